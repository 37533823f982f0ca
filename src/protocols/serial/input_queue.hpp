// serial::InputQueue: bytes received from a port and not yet read, decoded from the terminal's
// error marking, with the serial END rule of VI_ATTR_ASRL_END_IN applied when they are taken.
#pragma once

#include <cppvisa/status.hpp>
#include <cppvisa/types.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

namespace cppvisa::serial {

/// Which received byte carries END (VI_ATTR_ASRL_END_IN).
struct EndRule {
  SerialTermination mode = SerialTermination::termination_char;
  std::byte termchar{0x0A};   ///< VI_ATTR_TERMCHAR: ends a read in TERMCHAR mode whatever TERMCHAR_EN says
  std::byte last_bit{0x80};   ///< the top data bit (1 << (data bits - 1)) for LAST_BIT mode

  bool ends(std::byte b) const noexcept {
    switch (mode) {
      case SerialTermination::termination_char: return b == termchar;
      case SerialTermination::last_bit: return (b & last_bit) != std::byte{0};
      default: return false;
    }
  }
};

/// Received bytes and error marks in arrival order.
class InputQueue {
 public:
  /// Input options that apply while decoding (VI_ATTR_ASRL_DISCARD_NULL, VI_ATTR_ASRL_REPLACE_CHAR).
  struct Options {
    bool discard_null = false;
    std::byte replace_char{0};
  };

  /// Appends bytes read from a terminal with PARMRK set: "\377\377" is a data 0xFF, "\377\0c" a
  /// character c received with a parity or framing error, which becomes an error mark
  /// (`marked_error`) followed by the replacement character. A sequence cut between two calls is
  /// completed by the next call.
  void decode(std::span<const std::byte> raw, status_t marked_error, const Options& options);
  /// Marks an error (such as an overrun) after the bytes received so far.
  void mark_error(status_t error);
  /// Takes up to `buffer.size()` bytes, stopping after the first byte that carries END (`end` is
  /// then true) and before an error mark. When an error mark is first, consumes it and returns
  /// its status with `count` 0. Else VI_SUCCESS (`count` 0 when the queue is empty).
  status_t take(std::span<std::byte> buffer, const EndRule& rule, std::size_t& count, bool& end);
  /// Appends the last `n` bytes queued (n <= size()) to `out`: what the latest decode() added.
  void copy_tail(std::size_t n, std::vector<std::byte>& out) const;
  /// Bytes waiting (not counting marks).
  std::size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.empty() && marks_.empty(); }
  /// Forgets everything, including a partly received marking sequence.
  void clear() noexcept;

 private:
  void push(std::byte b, const Options& options);
  struct Mark {
    std::uint64_t position;  // index (in bytes ever queued) of the byte the mark precedes
    status_t error;
  };
  enum class Escape { none, ff, ff_zero };
  std::deque<std::byte> bytes_;
  std::deque<Mark> marks_;
  std::uint64_t taken_ = 0;  // bytes ever taken (index of bytes_.front())
  Escape escape_ = Escape::none;
};

}  // namespace cppvisa::serial
