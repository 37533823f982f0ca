// The formatted-I/O buffers of a session (VPP-4.3 §5.3): a write buffer filled by viPrintf and
// viBufWrite and sent when full, on a line feed at the end of a format, or by viFlush; a read
// buffer filled from the device for viScanf and viBufRead. Callers hold SessionState::io_mutex.
#pragma once

#include "cabi/format_scan.hpp"
#include "cabi/library.hpp"

#include <chrono>

namespace cppvisa::cabi {

/// Sends the whole write buffer. With `with_end` the last byte carries END (as VI_ATTR_SEND_END_EN
/// says); without it END is suppressed for this transfer (a buffer sent because it is full).
status_t flush_write_buffer(SessionState& s, bool with_end);

/// Appends data to the write buffer, sending full buffers without END.
status_t buffered_write(SessionState& s, std::string_view data);

/// The refill function of the read buffer: one device read of up to read_buffer_size bytes,
/// ending by `deadline` too (a viScanf's end: the call, not each refill, has the timeout).
status_t refill_read_buffer(SessionState& s, ReadBuffer& buffer,
                            std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

/// The device side of `%b`/`%B` for a scan of `s` that must end by `deadline` (format_scan.hpp).
BlockDevice block_device(SessionState& s, std::chrono::steady_clock::time_point deadline);

/// Writes all of `data` (looping over partial writes); `count` receives the bytes sent.
status_t write_all(SessionState& s, std::string_view data, std::size_t& count);

}  // namespace cppvisa::cabi
