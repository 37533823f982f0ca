// The definitions of a simulation file (PyVISA-sim YAML, spec 1.0/1.1, plus cppvisa's
// extensions), as the loader (loader.hpp) builds them: devices, their dialogues, properties,
// errors and channels, and the resources bound to them. Immutable once loaded; the runtime state
// of an instrument lives in sim::Device (device.hpp).
#pragma once

#include "backends/sim/response.hpp"
#include "backends/sim/setter_pattern.hpp"
#include "backends/sim/value.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cppvisa::sim {

/// Where something was written: "file:line:column" in messages (1-based).
struct SourceMark {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const;
};

/// A definition file that cannot be used. what() is "FILE:LINE:COLUMN: what is wrong".
class LoadError : public std::runtime_error {
 public:
  LoadError(const SourceMark& mark, const std::string& message);
  explicit LoadError(const std::string& message) : std::runtime_error(message) {}
};

using Duration = std::chrono::microseconds;

/// A response as written (`r:`/`e:`); absent (nullopt) means "no response at all".
struct Response {
  ResponseTemplate tmpl;
  std::string text;  ///< the source text (after space stripping), for channel substitution
};

/// cppvisa extension (state machines across properties): a device-level property and a value,
/// converted and checked with the property's specs at load. In `when:` a condition (the property
/// holds that value), in `set:` an assignment made when the command is accepted.
struct PropertyValue {
  std::size_t property = 0;  ///< index in DeviceDef::properties
  Value value;
};

/// cppvisa extension: an injected fault, declared on a dialogue or a getter, to test client code.
/// The `every`-th use of the command (every use by default) is faulted, each with `probability`
/// (drawn from the device's random stream, so a seed makes it reproducible).
struct FaultDef {
  enum class Kind {
    timeout,     ///< no reply: the read times out
    garbage,     ///< the reply's bytes replaced by as many random bytes (not the terminator's)
    disconnect,  ///< the connection drops: every open session of the instrument gets VI_ERROR_CONN_LOST
  };
  Kind kind = Kind::timeout;
  std::uint64_t every = 1;
  double probability = 1.0;
  SourceMark mark;
};

/// cppvisa extension: a reply that is an IEEE 488.2 definite-length arbitrary block (§7.7.6.2,
/// "#<n><length><data>"), its data given as numbers of one type, or drawn with Python's
/// random.uniform (RANDOM); written after the reply's `r` text if any.
struct BlockDef {
  enum class DataType { int8, uint8, int16, uint16, int32, uint32, float32, float64 };
  DataType type = DataType::int8;
  bool big_endian = true;   ///< IEEE 488.2 §7.7.6.2 (definite-length block of binary integers): big-endian
  std::string data;         ///< the encoded `values`
  std::optional<std::array<double, 2>> random_range;  ///< `random: [min, max, count]`
  std::size_t random_count = 0;
};

struct Dialogue {
  std::string query;                 ///< bytes to match exactly
  std::optional<Response> response;  ///< none: nothing is sent (also for `r: null_response`)
  std::optional<Duration> delay;     ///< cppvisa: the response appears after this time
  // cppvisa extensions
  std::vector<PropertyValue> when;   ///< answers only while these properties hold these values
  std::vector<PropertyValue> set;    ///< assignments when it answers
  std::optional<FaultDef> fault;
  std::optional<BlockDef> block;
  SourceMark mark;
};

/// Kinds of error a device reports. query_interrupted is cppvisa's (IEEE 488.2 §6.3.2.3: a new
/// program message before the previous response was read); its YAML key is `query_interrupted`
/// (status register bit, default: the register's query_error bit; error queue message, default
/// "-410, Query INTERRUPTED").
enum class ErrorKind { command_error, query_error, query_interrupted };

struct Specs {
  ValueType type = ValueType::untyped;
  std::optional<Value> min, max;  ///< inclusive
  std::vector<Value> valid;       ///< empty: any value
  /// Converts and validates a value; nullopt when invalid.
  std::optional<Value> accept(const Value& v) const;
};

struct Property {
  std::string name;
  Value default_value;
  Specs specs;
  std::optional<std::string> getter_query;
  std::optional<Response> getter_response;  ///< a getter without `r` answers nothing
  std::optional<Duration> getter_delay;
  std::optional<SetterPattern> setter;
  std::string setter_text;                  ///< setter q as written (for channel substitution)
  std::optional<Response> setter_response;  ///< on success
  std::optional<Response> setter_error;     ///< `e`: on a rejected value, instead of command_error
  // cppvisa extensions
  std::optional<FaultDef> getter_fault;
  std::vector<PropertyValue> setter_when;  ///< the setter matches only while these hold
  std::vector<PropertyValue> setter_set;   ///< other assignments when a value is accepted
  SourceMark mark;
};

struct StatusRegister {
  std::string query;
  std::map<ErrorKind, std::int64_t> bits;
};

struct ErrorQueue {
  std::string query;
  std::string default_reply;
  std::map<ErrorKind, std::string> messages;
};

struct ErrorHandling {
  std::optional<Response> command_error;  ///< response to a command error (none: silent)
  std::optional<Response> query_error;    ///< response to a query error (none: silent)
  std::vector<StatusRegister> registers;
  std::vector<ErrorQueue> queues;
};

struct ChannelGroup {
  std::string name;
  std::vector<std::string> ids;
  bool can_select = true;
  std::vector<Dialogue> dialogues;
  std::vector<Property> properties;
  SourceMark mark;
};

/// End of message for one "<INTERFACE> <CLASS>": q ends incoming messages, r ends responses.
struct Eom {
  std::string query_termination = "\n";
  std::string response_termination = "\n";
};

/// cppvisa extension: the IEEE 488.2 status byte and service requests.
struct StatusByteDef {
  std::optional<std::string> query;          ///< e.g. "*STB?": answers the status byte in decimal
  std::optional<std::string> enable_query;   ///< e.g. "*SRE?"
  std::optional<SetterPattern> enable_setter;  ///< e.g. "*SRE {:d}"
  std::int64_t enable = 0;                   ///< initial service request enable mask
};

/// cppvisa extension: a query answered with an IEEE 488.2 definite-length binary block holding
/// a generated waveform (sine), produced while it is read (never held in memory).
struct WaveformDef {
  std::string query;
  std::string points_property;  ///< property holding the number of points
  int sample_bytes = 1;         ///< 1 (int8) or 2 (int16)
  bool big_endian = true;
  std::int64_t period = 1000;   ///< samples per sine period
  std::optional<Duration> delay;
  SourceMark mark;
};

struct DeviceDef {
  std::string name;
  SourceMark mark;
  std::map<std::string, Eom> eom;  ///< key "ASRL INSTR", "TCPIP SOCKET", ...
  std::string delimiter = ";";
  ErrorHandling errors;
  std::vector<Dialogue> dialogues;
  std::vector<Property> properties;
  std::vector<ChannelGroup> channels;
  // cppvisa extensions
  std::optional<Duration> delay;           ///< default response delay
  std::optional<std::uint64_t> seed;       ///< RANDOM seed (Python's random.seed)
  bool query_error_on_empty_read = false;  ///< a read with nothing to read raises query_error
  StatusByteDef status_byte;
  std::vector<WaveformDef> waveforms;

  /// The eom for an interface type and class ("GPIB INSTR"); LF/LF when the file has none.
  Eom eom_for(const std::string& key) const;
  /// Index of a property by name, or -1.
  int property_index(const std::string& name) const;
};

struct ResourceDef {
  std::string name;  ///< as written in the file (canonicalised by the backend)
  std::shared_ptr<const DeviceDef> device;
  std::map<std::string, std::vector<std::string>> channel_ids;  ///< per-resource override
  SourceMark mark;
};

/// Replaces every occurrence of `from` in `text` (used for {ch_id}).
std::string replace_all(std::string text, std::string_view from, std::string_view to);

struct Definitions {
  std::string path;
  std::string spec;
  std::vector<ResourceDef> resources;
  std::vector<std::shared_ptr<const DeviceDef>> devices;  ///< of the top file
  /// "FILE:LINE:COLUMN: what": what PyVISA-sim loads but is probably wrong (an unknown key, a
  /// malformed RANDOM/BYTES directive in a response, which fails only when that response is used).
  std::vector<std::string> warnings;
  /// The same about the bundled files (bundled_directory()): the deliberate ones of default.yaml
  /// (PyVISA-sim's two malformed RANDOM dialogues of device 5), not printed when loading.
  std::vector<std::string> bundled_warnings;
};

}  // namespace cppvisa::sim
