// core error details: the cause of an error, recorded where it happens (a refused connect, a
// device file missing, a read that timed out with bytes received) and carried beside the VISA
// status to the caller: VisaIOError::detail() for the throwing forms, last_error_detail() for
// the std::error_code forms, viStatusDesc in libvisa.so. Per thread, like errno: a backend
// operation runs on the caller's thread from start to end, and starts with clear_detail().
#pragma once

#include "core/message_reader.hpp"

#include <cppvisa/status.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace cppvisa::core {

/// Records `text` as the cause of `st` on this thread (replacing any earlier cause) and returns st.
status_t fail(status_t st, std::string text);
/// Records "`what`: strerror(err)" as the cause of `st`. Returns st.
status_t fail_errno(status_t st, std::string_view what, int err);
/// Adds context in front of the cause recorded by a lower layer ("VXI-11 portmapper: " + cause)
/// and makes it the cause of `st` (a layer may map a status to another). When no cause was
/// recorded, `context` alone becomes it. Returns st.
status_t fail_within(status_t st, std::string_view context);
/// Forgets the recorded cause (the start of an operation).
void clear_detail() noexcept;
/// The cause recorded for `st`, or "" when the last one recorded was for another status.
std::string detail_for(status_t st);

/// "34 bytes received ending in '\n'": what a failed read had received, for its error message.
/// With a `termination_name` a hint follows when the data end in a line ending other than
/// `termination` (the read termination in force, possibly empty): "; read_termination is '\r'".
std::string received_summary(std::span<const std::byte> data, std::string_view termination,
                             std::string_view termination_name = "read_termination");
/// A byte or text as a C-like literal for messages: '\n', '\x00', 'a'.
std::string quoted(std::string_view text);

}  // namespace cppvisa::core
