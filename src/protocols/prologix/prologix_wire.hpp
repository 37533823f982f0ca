// prologix wire: the byte formats of Prologix GPIB-ETHERNET / GPIB-USB adapters (and clones such
// as AR488), pure functions over bytes for both ends (docs/prologix.md).
//
// Host -> adapter: lines. A line that starts with an unescaped "++" is an adapter command
// ("++addr 5"), ended by CR or LF; any other line is data for the addressed GPIB device, ended
// by an unescaped CR or LF (stripped; the adapter appends its ++eos characters and asserts EOI
// with the last byte when ++eoi 1). Inside data, CR, LF, ESC (0x1B) and '+' are sent as data by
// preceding them with ESC (Prologix GPIB-ETHERNET manual, "binary transmission").
// Adapter -> host: the device's bytes unmodified (plus ++eot_char at EOI with ++eot_enable 1),
// and command replies as text lines ended by CR LF.
//
// Hand-written: tiny byte-level state machines on the data path of every transfer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::prologix {

constexpr std::uint16_t default_port = 1234;  ///< GPIB-ETHERNET's TCP port
constexpr std::byte esc{0x1B};

/// Appends `data` escaped: ESC before CR, LF, ESC and '+'. A line may be sent in escaped pieces;
/// an unescaped LF ends it.
void append_escaped(std::span<const std::byte> data, std::vector<std::byte>& out);

/// Appends `data` escaped, then an unescaped LF ending the line: the device receives exactly `data`.
void append_data_line(std::span<const std::byte> data, std::vector<std::byte>& out);

/// "++addr 5\n" or "++addr 5 96\n" (secondary addresses go on the wire as 96 + sad).
std::string address_command(int primary, std::optional<int> secondary);

/// Reads command replies (++spoll, ++srq, ++ver, ++addr ...) on the client side: a text line
/// ended by LF (a CR before it is dropped), at most max_line bytes.
class ReplyReader {
 public:
  static constexpr std::size_t max_line = 256;
  enum class Result { need_more, line, too_long };

  /// Takes bytes from `in` up to and including a line end; `consumed` says how many.
  /// `line` when a line is complete (see line()), `too_long` when max_line bytes came without
  /// one (the reader must be reset()), else `need_more`.
  Result feed(std::span<const std::byte> in, std::size_t& consumed);
  /// The complete line, without CR/LF.
  std::string_view line() const noexcept { return line_; }
  void reset() noexcept;

 private:
  std::string line_;
  bool complete_ = false;
};

/// A decimal number 0..`max` alone on a line (spaces around allowed), e.g. a ++spoll reply.
std::optional<unsigned> parse_number(std::string_view line, unsigned max);

/// One adapter command: "++read eoi" -> {"read", {"eoi"}}.
struct Command {
  std::string name;               ///< lower case, without "++"
  std::vector<std::string> args;  ///< the words after it
};
/// Parses a command line (starting with "++"); nullopt when it is not one.
std::optional<Command> parse_command(std::string_view line);

/// Splits the host's byte stream (adapter side) into data, line ends and commands, undoing the
/// escapes. Memory is bounded: data is handed on as it comes; a command longer than
/// max_command bytes is reported as too long and the rest of its line skipped.
class HostParser {
 public:
  static constexpr std::size_t max_command = 256;
  struct Event {
    enum Kind { data, data_end, command, command_too_long } kind;
    std::span<const std::byte> bytes;  ///< data: unescaped bytes for the device
    std::string_view text;             ///< command: the line, e.g. "++addr 5"
  };
  /// Parses all of `in`, calling `sink` for each event in order. data_end follows the data of a
  /// line (a line without data gives no event).
  void feed(std::span<const std::byte> in, const std::function<void(const Event&)>& sink);

 private:
  enum class State { line_start, plus, data, data_escape, command, skip_command };
  State state_ = State::line_start;
  bool line_has_data_ = false;
  std::string command_;
  std::vector<std::byte> data_;
};

}  // namespace cppvisa::prologix
