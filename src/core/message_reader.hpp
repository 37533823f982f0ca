// core::MessageReader: viRead's termination rules (VPP-4.3 §6.1) over any byte
// source, shared by every message-based session (socket, simulated, serial, USBTMC, HiSLIP...).
//
// A read ends at the first of: END after a byte (unless SUPPRESS_END_EN) -> VI_SUCCESS; the
// termination character when TERMCHAR_EN -> VI_SUCCESS_TERM_CHAR (stored and counted); the
// buffer full -> VI_SUCCESS_MAX_CNT; the deadline -> VI_ERROR_TMO with the bytes stored so far.
// END/termchar on the last byte win over MAX_CNT. Bytes past the end of a read stay buffered here
// for the next read. Data are received straight into the caller's buffer where possible.
#pragma once

#include "core/deadline.hpp"

#include <cppvisa/status.hpp>

#include <cstddef>
#include <span>
#include <vector>

namespace cppvisa::core {

/// What ends a read, from the session's attributes.
struct ReadTermination {
  bool termchar_enabled = false;  ///< VI_ATTR_TERMCHAR_EN
  std::byte termchar{0x0A};       ///< VI_ATTR_TERMCHAR
  bool suppress_end = false;      ///< VI_ATTR_SUPPRESS_END_EN
};

/// Where the bytes come from.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Waits until at least one byte is available (or the deadline), then stores up to
  /// `buffer.size()` bytes. `end` is true when the last byte stored carries END (the end of a
  /// message). Returns VI_SUCCESS, VI_ERROR_TMO (nothing stored), or an error such as
  /// VI_ERROR_CONN_LOST. `buffer` is never empty.
  virtual status_t receive(std::span<std::byte> buffer, Deadline deadline, std::size_t& count, bool& end) = 0;
};

class MessageReader {
 public:
  /// viRead over `source`. `count` is the number of bytes stored, also on error.
  status_t read(ByteSource& source, std::span<std::byte> buffer, std::size_t& count, const ReadTermination& term,
                Deadline deadline);
  /// Discards buffered bytes (viClear, viFlush with VI_READ_BUF_DISCARD / VI_IO_IN_BUF_DISCARD).
  void discard() noexcept;
  /// Bytes received but not yet read.
  std::size_t buffered() const noexcept { return pending_.size() - pending_pos_; }

 private:
  // Takes buffered bytes; returns true when the read is complete (status set).
  bool take_pending(std::span<std::byte> buffer, std::size_t& count, const ReadTermination& term, status_t& st);
  std::vector<std::byte> pending_;
  std::size_t pending_pos_ = 0;
  bool pending_end_ = false;  // END follows the last pending byte
};

}  // namespace cppvisa::core
