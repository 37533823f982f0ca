/// @file probe.hpp
/// @brief probe(): finds the terminations (and on serial ports the baud rate and framing) an
/// unknown instrument answers with, by trying them in turn with a query (`visa probe`).
#pragma once

#include <cppvisa/export.hpp>
#include <cppvisa/resource_manager.hpp>
#include <cppvisa/types.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa {

/// A serial character format: data bits, parity and stop bits ("8N1").
struct SerialFraming {
  std::uint16_t data_bits = 8;          ///< 5 to 8
  Parity parity = Parity::none;         ///< none, odd, even, mark, space
  StopBits stop_bits = StopBits::one;   ///< one, one_and_a_half, two

  bool operator==(const SerialFraming&) const = default;  ///< member-wise equality
};

/// The usual short name of a framing: "8N1", "7E1", "8N2", "5N1.5".
CPPVISA_API std::string framing_name(const SerialFraming& framing);
/// A framing from its short name ("8N1", "7e1", "8N1.5"). @throws Error for anything else.
CPPVISA_API SerialFraming parse_framing(std::string_view name);

/// Appends to `open.properties` the PyVISA properties ("baud_rate", "data_bits", "parity",
/// "stop_bits") that open a serial port at `baud` and `framing` (nothing for what is empty).
CPPVISA_API void add_serial_properties(OpenOptions& open, std::optional<std::uint32_t> baud,
                                       const std::optional<SerialFraming>& framing);

/// What probe() tries.
struct ProbeOptions {
  std::string command = "*IDN?";  ///< the query sent (with each write termination)
  /// Write terminations tried, in order: LF, CR, CR LF, NUL, then none (the message ends with END
  /// alone). IEEE 488.2 §7.5: NL is the standard program message terminator, hence first. The
  /// empty termination is tried only where the protocol carries END (GPIB, VXI-11, HiSLIP,
  /// USBTMC), not on serial ports or raw sockets, where a message without terminator never ends.
  std::vector<std::string> terminations = {"\n", "\r", "\r\n", std::string(1, '\0'), ""};
  /// Serial ports only: baud rates tried, in order (9600 first: the most common default).
  std::vector<std::uint32_t> baud_rates = {9600, 19200, 115200, 38400, 57600, 4800, 2400, 1200};
  /// Serial ports only: framings tried, in order; every baud rate is tried with the first before
  /// the second is tried (8N1 is by far the most common, 7E1 and 7O1 are the old instruments').
  std::vector<SerialFraming> framings = {{8, Parity::none, StopBits::one},
                                         {7, Parity::even, StopBits::one},
                                         {7, Parity::odd, StopBits::one}};
  std::chrono::milliseconds try_timeout{500};      ///< how long one try waits for a reply
  std::chrono::milliseconds total_timeout{60000};  ///< bound on the whole probe
  /// Called before each try with a line for a person ("19200 baud 8N1, write CRLF"); may be empty.
  std::function<void(const std::string& what)> progress;
};

/// The settings found, or why none were.
struct ProbeResult {
  bool found = false;                  ///< whether a reply in plain text came back
  std::string write_termination;       ///< the termination the instrument answered to ("" = END only)
  std::string read_termination;        ///< the termination its reply ended with ("" = END only)
  std::optional<std::uint32_t> baud_rate;  ///< serial ports: the rate that gave a clean reply
  std::optional<SerialFraming> framing;    ///< serial ports: the framing that gave a clean reply
  std::string reply;                   ///< the reply, without its termination
  int tries = 0;                       ///< settings tried
  bool timed_out = false;              ///< the total bound ended the probe
  std::vector<std::string> notes;      ///< what each try saw ("no reply", "garbled: wrong baud rate?")
};

/// Tries the settings of `options` on `resource` until one gives a reply that is plain text
/// ending with a termination or END. Each try runs on a fresh session: it clears the device
/// (viClear: a device clear where the protocol has one, buffers discarded elsewhere), discards
/// input, and, after a try that got no answer, sends the termination about to be tried alone and
/// throws away whatever comes back, so that a command left unterminated by an earlier try is
/// ended before the query goes out. Replies holding bytes outside printable ASCII, tab, CR and
/// LF, or reads failing with a framing, parity or overrun error, are taken as garbled by a wrong
/// baud rate or framing: the other terminations are skipped at that setting. A try never waits
/// past options.total_timeout, so the whole probe ends within it (plus the time to open a session).
/// @throws VisaIOError when the resource cannot be opened at all.
CPPVISA_API ProbeResult probe(ResourceManager& rm, std::string_view resource, const ProbeOptions& options = {});

/// The settings as C++, PyVISA and `visa` options, one line each, ready to paste.
CPPVISA_API std::vector<std::string> probe_snippets(std::string_view resource, const ProbeResult& result);

}  // namespace cppvisa
