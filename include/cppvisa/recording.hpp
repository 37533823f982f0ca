/// @file recording.hpp
/// @brief A session with an instrument turned into a simulated device (`visa record`): the
/// commands sent and the replies seen become a PyVISA-sim YAML file that the `@sim` backend
/// replays, so that a program can be tested without the instrument.
#pragma once

#include <cppvisa/export.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa {

/// One message sent and what came back.
struct RecordedExchange {
  std::string command;               ///< the message, without its write termination
  std::optional<std::string> reply;  ///< the reply's bytes without the read termination; nullopt: none
};

/// What was seen in one session with one instrument.
struct SessionRecording {
  std::string resource;                  ///< the resource name it was opened with
  std::string write_termination = "\n";  ///< the termination each message was sent with ("" = END only)
  std::string read_termination = "\n";   ///< the termination replies ended with ("" = END only)
  std::vector<RecordedExchange> exchanges;  ///< in the order they happened
};

/// The sessions of an I/O trace in JSON lines (CPPVISA_TRACE=FILE.jsonl with CPPVISA_TRACE_DATA=0,
/// or `visa trace --json --data 0`), one recording per resource, sessions of the same resource
/// (in any process) joined in the order of the trace. Each viWrite is a message; the viRead
/// records after it, up to the next viWrite, are its reply (none when they read nothing). The
/// terminations are the ones every message (every text reply) ends with, empty when they differ;
/// they are stripped from the commands and replies. Lines that are not VISA operations on a
/// resource are skipped. @throws Error for a line that is not JSON, or data the trace cut.
CPPVISA_API std::vector<SessionRecording> recordings_from_trace(std::string_view jsonl);

/// How a recording became a device (what sim_device_yaml() inferred).
struct SimDeviceSummary {
  int dialogues = 0;                  ///< dialogues written (queries with their replies, commands)
  std::vector<std::string> properties;  ///< properties inferred from set/query pairs, by name
  std::optional<std::string> error;   ///< the device's error reply, when one was seen
  std::vector<std::string> notes;     ///< what could not be replayed as seen ("replies varied")
};

/// The recording as a PyVISA-sim YAML file (spec 1.1, docs/simulation.md) with one device,
/// `device_name`, and one resource, the recorded one. What is inferred:
/// - the terminations, as the `eom` of the resource's interface and class ("TCPIP INSTR");
/// - properties: a query `S?` with writes `S VALUE` becomes a property whose getter answers the
///   value last set, when every reply in the session is what that model predicts: the text set
///   (type str), or a number formatted the way the replies are (`{:d}`, `{:.3f}`, `{:+.6E}`...);
/// - the error reply: a reply starting with "ERR" or "INVALID" that answered a query becomes the
///   device's `error`, which the simulator sends for any command it does not know;
/// - dialogues: the other queries with their reply (the last one, when they varied, with a
///   note), and the commands that got no reply, so that the simulator accepts them silently.
///
/// Replies keep their bytes: text outside printable ASCII is written as `BYTES(...)`. The message
/// delimiter is off (`delimiter: ""`): a recorded message with `;` is one dialogue.
CPPVISA_API std::string sim_device_yaml(const SessionRecording& recording, std::string_view device_name = "recorded",
                                        SimDeviceSummary* summary = nullptr);

}  // namespace cppvisa
