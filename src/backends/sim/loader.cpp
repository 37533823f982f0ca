#include "backends/sim/loader.hpp"

#include "backends/sim/block.hpp"
#include "core/install_paths.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

namespace cppvisa::sim {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_file_size = 64u << 20;
constexpr int max_nesting = 200;  // flow-collection depth accepted before YAML parsing
constexpr std::size_t max_block_bytes = 16u << 20;  // data of a `block:` reply

// Reads a regular file of bounded size (not a device, a FIFO or a directory, which could block
// or never end). Returns the error message, or nullopt.
std::optional<std::string> read_regular_file(const std::string& path, std::string& text) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec) return "cannot open the simulation file '" + path + "': " + ec.message();
  if (!fs::is_regular_file(status)) return "cannot open the simulation file '" + path + "': not a regular file";
  auto size = fs::file_size(path, ec);
  if (ec || size > max_file_size) return "the simulation file '" + path + "' is too large";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot open the simulation file '" + path + "'";
  text.assign(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return std::nullopt;
}

// One parsed YAML file and its text (the text recovers what a null scalar was written as).
struct SourceFile {
  std::string path;  // as shown in messages
  std::string directory;
  std::string text;
  YAML::Node root;
  bool bundled = false;  // in bundled_directory(): cppvisa's own files
};

// Whether `directory` is the bundled directory (the files cppvisa ships).
bool is_bundled_directory(const std::string& directory) {
  std::error_code ec;
  return !directory.empty() && fs::equivalent(directory, bundled_directory(), ec) && !ec;
}

class Loader {
 public:
  Definitions load_top(std::string_view text, const std::string& path);

 private:
  // ---- YAML helpers (every error carries file:line:column) ----
  SourceMark mark(const SourceFile& f, const YAML::Node& n) const {
    SourceMark m{f.path, 0, 0};
    auto ym = n.Mark();
    if (ym.line >= 0) {
      m.line = ym.line + 1;
      m.column = ym.column + 1;
    }
    return m;
  }
  [[noreturn]] void fail(const SourceFile& f, const YAML::Node& n, const std::string& what) const {
    throw LoadError(mark(f, n), what);
  }
  // What PyVISA-sim loads without complaint but is probably a mistake: the file loads, and the
  // message ("FILE:LINE:COLUMN: what") is kept in Definitions::warnings.
  void warn(const SourceFile& f, const YAML::Node& n, const std::string& what) const {
    (f.bundled ? bundled_warnings_ : warnings_).push_back(mark(f, n).str() + ": " + what);
  }
  static std::string kind_of(const YAML::Node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Map: return "a mapping";
      case YAML::NodeType::Sequence: return "a list";
      case YAML::NodeType::Scalar: return "a string";
      case YAML::NodeType::Null: return "empty";
      default: return "undefined";
    }
  }
  // A scalar as BaseLoader reads it: text; a null node gives what was written ("~", "null" or "").
  std::string scalar(const SourceFile& f, const YAML::Node& n, const std::string& what) const {
    if (n.IsScalar()) return n.Scalar();
    if (n.IsNull()) {
      auto pos = n.Mark().pos;
      if (pos >= 0 && static_cast<std::size_t>(pos) < f.text.size()) {
        std::string_view rest = std::string_view(f.text).substr(static_cast<std::size_t>(pos));
        if (!rest.empty() && rest.front() == '~') return "~";
        for (const char* word : {"null", "Null", "NULL"}) {
          std::string_view w(word);
          if (rest.substr(0, w.size()) == w &&
              (rest.size() == w.size() || !std::isalnum(static_cast<unsigned char>(rest[w.size()])) ))
            return std::string(w);
        }
      }
      return "";
    }
    fail(f, n, what + " must be a string, not " + kind_of(n));
  }
  void require_map(const SourceFile& f, const YAML::Node& n, const std::string& what) const {
    if (!n.IsMap()) fail(f, n, what + " must be a mapping, not " + kind_of(n));
  }
  void require_seq(const SourceFile& f, const YAML::Node& n, const std::string& what) const {
    if (!n.IsSequence()) fail(f, n, what + " must be a list, not " + kind_of(n));
  }
  // Warns about keys not in `allowed` (PyVISA-sim ignores them; a typo loses the setting).
  // (Duplicate keys are gone: drop_duplicate_keys.)
  void check_keys(const SourceFile& f, const YAML::Node& n, std::initializer_list<std::string_view> allowed,
                  const std::string& what) const {
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = scalar(f, it->first, "a key of " + what);
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        warn(f, it->first, "unknown key '" + key + "' in " + what + " (ignored; allowed: " + list + ")");
      }
    }
  }
  // Map entries in file order, checking that keys are strings.
  std::vector<std::pair<YAML::Node, YAML::Node>> entries(const SourceFile& f, const YAML::Node& n,
                                                         const std::string& what) const {
    std::vector<std::pair<YAML::Node, YAML::Node>> out;
    for (auto it = n.begin(); it != n.end(); ++it) {
      (void)scalar(f, it->first, "a key of " + what);
      out.emplace_back(it->first, it->second);
    }
    return out;
  }
  // PyVISA-sim's YAML loader (PyYAML) keeps the last value of a key written twice in a mapping:
  // the earlier entries are removed, with a warning at each later one. Each node is visited once
  // (an alias shares its anchor's node, found by its position), so aliases cannot make it explode.
  void drop_duplicate_keys(const SourceFile& f, YAML::Node n, std::set<std::pair<int, int>>& visited) const {
    if (!visited.insert({n.Mark().line, n.Mark().column}).second) return;
    if (n.IsSequence()) {
      for (auto child : n) drop_duplicate_keys(f, child, visited);
    } else if (n.IsMap()) {
      std::map<std::string, int> count;
      for (auto it = n.begin(); it != n.end(); ++it) {
        if (!it->first.IsScalar()) continue;
        if (++count[it->first.Scalar()] > 1)
          warn(f, it->first, "duplicate key '" + it->first.Scalar() + "': the earlier value is ignored, as PyVISA-sim's YAML loader does");
      }
      for (auto& [key, c] : count)
        for (; c > 1; --c) n.remove(key);  // removes the first entry with that key
      for (auto it = n.begin(); it != n.end(); ++it) drop_duplicate_keys(f, it->second, visited);
    }
  }
  // The q/r/e strings: stripped of spaces only (PyVISA-sim strips " ").
  std::string message_text(const SourceFile& f, const YAML::Node& n, const std::string& what) const {
    std::string s = scalar(f, n, what);
    auto b = s.find_first_not_of(' ');
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(' ') - b + 1);
  }
  std::string query_bytes(const SourceFile& f, const YAML::Node& n, const std::string& what) const {
    try {
      return to_bytes(message_text(f, n, what));
    } catch (const FormatError& e) {
      fail(f, n, what + ": " + e.what());
    }
  }
  std::optional<Response> response(const SourceFile& f, const YAML::Node& n, ResponseTemplate::Mode mode,
                                    const std::string& what) const {
    std::string text = message_text(f, n, what);
    if (text == "null_response") return std::nullopt;  // documented by PyVISA-sim: no response
    try {
      // In a channel group, {ch_id} is replaced per channel by the device; check with one id.
      std::string checked = text;
      if (!channel_sample_id_.empty()) checked = replace_all(checked, "{ch_id}", channel_sample_id_);
      return Response{ResponseTemplate::parse(checked, mode), text};
    } catch (const FormatError& e) {
      // PyVISA-sim loads a malformed directive and raises when the response is used; so does
      // cppvisa (the write that uses it fails), and says where it is now.
      std::string why = mark(f, n).str() + ": " + what + " '" + text + "': " + e.what();
      warn(f, n, what + " '" + text + "': " + e.what() + " (an error when this response is used)");
      return Response{ResponseTemplate::malformed(text, std::move(why)), text};
    }
  }
  bool boolean(const SourceFile& f, const YAML::Node& n, const std::string& what) const {
    std::string s = scalar(f, n, what);
    std::string l;
    for (char c : s) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (l == "true" || l == "yes" || l == "on" || l == "1") return true;
    if (l == "false" || l == "no" || l == "off" || l == "0") return false;
    fail(f, n, what + " must be true or false, not '" + s + "'");
  }
  // PyVISA-sim's flags (can_select, bundled) read as text: a boolean as boolean() reads it; any
  // other text loads, as PyVISA-sim loads it, with `pyvisa_sim_meaning` and a warning.
  bool lenient_boolean(const SourceFile& f, const YAML::Node& n, const std::string& what, bool pyvisa_sim_meaning) const {
    std::string s = scalar(f, n, what);
    std::string l;
    for (char c : s) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (l == "true" || l == "yes" || l == "on" || l == "1") return true;
    if (l == "false" || l == "no" || l == "off" || l == "0") return false;
    warn(f, n, what + " '" + s + "' is not true or false: taken as " + (pyvisa_sim_meaning ? "true" : "false") +
                   ", as PyVISA-sim does");
    return pyvisa_sim_meaning;
  }
  std::int64_t integer(const SourceFile& f, const YAML::Node& n, const std::string& what, std::int64_t lo,
                       std::int64_t hi) const {
    std::string s = scalar(f, n, what);
    auto v = parse_python_int(s);
    if (!v) fail(f, n, what + " must be an integer, not '" + s + "'");
    if (*v < lo || *v > hi)
      fail(f, n, what + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", not " + s);
    return *v;
  }
  Duration duration(const SourceFile& f, const YAML::Node& n, const std::string& what) const;

  // ---- definitions ----
  std::shared_ptr<const DeviceDef> device(const SourceFile& f, const std::string& name);
  DeviceDef parse_device(const SourceFile& f, const YAML::Node& node, const std::string& name);
  ErrorHandling parse_errors(const SourceFile& f, const YAML::Node& node);
  std::vector<Dialogue> parse_dialogues(const SourceFile& f, const YAML::Node& node, const std::string& where,
                                        const std::vector<Property>& device_properties);
  // cppvisa extensions: when/set (state across properties), fault injection, binary blocks.
  std::vector<PropertyValue> property_values(const SourceFile& f, const YAML::Node& node,
                                             const std::vector<Property>& device_properties, const std::string& what);
  void parse_setter_states(const SourceFile& f, const YAML::Node& node, std::vector<Property>& properties,
                           const std::vector<Property>& device_properties);
  FaultDef parse_fault(const SourceFile& f, const YAML::Node& node, const std::string& what);
  BlockDef parse_block(const SourceFile& f, const YAML::Node& node, const std::string& what);
  std::vector<Property> parse_properties(const SourceFile& f, const YAML::Node& node, const std::string& where);
  Property parse_property(const SourceFile& f, const YAML::Node& key, const YAML::Node& node,
                          const std::string& where);
  Specs parse_specs(const SourceFile& f, const YAML::Node& node, const std::string& what);
  ChannelGroup parse_channel_group(const SourceFile& f, const YAML::Node& key, const YAML::Node& node,
                                   const DeviceDef& dev);
  void check_spec(const SourceFile& f);
  const SourceFile& file(const std::string& resolved, const SourceFile& from, const YAML::Node& at);
  void parse(SourceFile& f);

  std::string channel_sample_id_;  // while parsing a channel group: its first id
  mutable std::vector<std::string> warnings_;
  mutable std::vector<std::string> bundled_warnings_;
  std::map<std::string, std::unique_ptr<SourceFile>> files_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const DeviceDef>> devices_;
};

// Rejects very deep flow nesting before yaml-cpp recurses into it.
void check_nesting(std::string_view text, const std::string& path) {
  int depth = 0, line = 1;
  for (char c : text) {
    if (c == '\n') ++line;
    if (c == '[' || c == '{') {
      if (++depth > max_nesting)
        throw LoadError(SourceMark{path, line, 0}, "nesting deeper than " + std::to_string(max_nesting) + " levels");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

void Loader::parse(SourceFile& f) {
  check_nesting(f.text, f.path);
  try {
    f.root = YAML::Load(f.text);
  } catch (const YAML::Exception& e) {
    SourceMark m{f.path, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column >= 0 ? e.mark.column + 1 : 0};
    throw LoadError(m, "YAML syntax error: " + e.msg);
  }
  if (f.root.IsNull()) throw LoadError(SourceMark{f.path, 1, 1}, "the file is empty (a 'spec' key is required)");
  std::set<std::pair<int, int>> visited;
  drop_duplicate_keys(f, f.root, visited);
  require_map(f, f.root, "the top level");
  check_keys(f, f.root, {"spec", "devices", "resources"}, "the top level");
  check_spec(f);
}

void Loader::check_spec(const SourceFile& f) {
  auto spec = f.root["spec"];
  if (!spec) throw LoadError(SourceMark{f.path, 1, 1}, "the file does not specify a spec version (spec: \"1.1\")");
  std::string s = scalar(f, spec, "spec");
  auto dot = s.find('.');
  auto major = parse_python_int(s.substr(0, dot));
  auto minor = dot == std::string::npos ? std::nullopt : parse_python_int(s.substr(dot + 1));
  if (!major || !minor || s.find_first_not_of("0123456789.") != std::string::npos)
    fail(f, spec, "spec must be a version \"X.Y\", not '" + s + "'");
  if (*major != 1) fail(f, spec, "spec " + s + " is not supported: the major version must be 1");
  if (*minor > 1) fail(f, spec, "spec " + s + " is newer than the supported 1.1");
}

Duration Loader::duration(const SourceFile& f, const YAML::Node& n, const std::string& what) const {
  std::string s = scalar(f, n, what);
  std::string num = s, unit = "s";
  auto p = s.find_first_not_of("0123456789.+-eE ");
  if (p != std::string::npos) {
    num = s.substr(0, p);
    unit = s.substr(p);
  }
  auto v = parse_python_float(num);
  double scale = unit == "s" ? 1e6 : unit == "ms" ? 1e3 : unit == "us" ? 1.0 : -1.0;
  if (!v || scale < 0 || !(*v >= 0) || *v * scale > 3600e6)
    fail(f, n, what + " must be a time between 0 and 3600 s (seconds, or with a unit: \"50 ms\", \"200 us\"), not '" + s + "'");
  return Duration(static_cast<std::int64_t>(*v * scale + 0.5));
}

const SourceFile& Loader::file(const std::string& resolved, const SourceFile& from, const YAML::Node& at) {
  auto key = fs::path(resolved).lexically_normal().string();
  auto it = files_.find(key);
  if (it != files_.end()) return *it->second;
  std::string text;
  if (auto error = read_regular_file(key, text)) fail(from, at, *error);
  auto f = std::make_unique<SourceFile>();
  f->path = key;
  f->directory = fs::path(key).parent_path().string();
  f->bundled = is_bundled_directory(f->directory);
  f->text = std::move(text);
  parse(*f);
  return *files_.emplace(key, std::move(f)).first->second;
}

std::shared_ptr<const DeviceDef> Loader::device(const SourceFile& f, const std::string& name) {
  auto key = std::make_pair(f.path, name);
  if (auto it = devices_.find(key); it != devices_.end()) return it->second;
  auto devs = f.root["devices"];
  if (!devs || !devs.IsMap()) return nullptr;
  for (auto it = devs.begin(); it != devs.end(); ++it) {
    if (scalar(f, it->first, "a device name") != name) continue;
    auto dev = std::make_shared<DeviceDef>(parse_device(f, it->second, name));
    dev->mark = mark(f, it->first);
    devices_[key] = dev;
    return dev;
  }
  return nullptr;
}

DeviceDef Loader::parse_device(const SourceFile& f, const YAML::Node& node, const std::string& name) {
  const std::string where = "device '" + name + "'";
  require_map(f, node, where);
  check_keys(f, node,
             {"eom", "error", "dialogues", "properties", "channels", "delimiter", "bases", "delay", "seed",
              "query_error_on_empty_read", "status_byte", "waveforms"},
             where);
  DeviceDef dev;
  dev.name = name;
  if (auto eom = node["eom"]) {
    require_map(f, eom, where + ": eom");
    static const std::set<std::string> interfaces{"ASRL", "GPIB", "TCPIP", "USB", "VXI", "GPIB-VXI", "PXI"};
    static const std::set<std::string> classes{"INSTR", "SOCKET", "RAW", "INTFC", "BACKPLANE", "MEMACC", "SERVANT"};
    for (auto& [k, v] : entries(f, eom, where + ": eom")) {
      std::string key = scalar(f, k, "an eom key");
      auto sp = key.find(' ');
      if (sp == std::string::npos || !interfaces.count(key.substr(0, sp)) || !classes.count(key.substr(sp + 1)))
        fail(f, k, "eom key '" + key + "' must be \"<INTERFACE> <CLASS>\", e.g. \"ASRL INSTR\", \"TCPIP SOCKET\", \"USB RAW\"");
      require_map(f, v, "eom '" + key + "'");
      check_keys(f, v, {"q", "r"}, "eom '" + key + "'");
      if (!v["q"] || !v["r"]) fail(f, v, "eom '" + key + "' needs both q and r");
      // Terminations are not stripped: they are usually whitespace.
      Eom e;
      try {
        e.query_termination = to_bytes(scalar(f, v["q"], "eom q"));
        e.response_termination = to_bytes(scalar(f, v["r"], "eom r"));
      } catch (const FormatError& ex) {
        fail(f, v, ex.what());
      }
      dev.eom[key] = e;
    }
  }
  if (auto d = node["delimiter"]) {
    try {
      dev.delimiter = to_bytes(scalar(f, d, where + ": delimiter"));
    } catch (const FormatError& ex) {
      fail(f, d, ex.what());
    }
  }
  if (auto b = node["bases"]) {
    if (!(b.IsNull() || (b.IsSequence() && b.size() == 0)))
      fail(f, b, where + ": 'bases' (device inheritance) is reserved and not implemented");
  }
  if (auto e = node["error"]) dev.errors = parse_errors(f, e);
  if (auto p = node["properties"]) {
    dev.properties = parse_properties(f, p, where);
    parse_setter_states(f, p, dev.properties, dev.properties);
  }
  if (auto d = node["dialogues"]) dev.dialogues = parse_dialogues(f, d, where, dev.properties);
  if (auto d = node["delay"]) dev.delay = duration(f, d, where + ": delay");
  if (auto s = node["seed"]) dev.seed = static_cast<std::uint64_t>(integer(f, s, where + ": seed", 0, INT64_MAX));
  if (auto q = node["query_error_on_empty_read"]) dev.query_error_on_empty_read = boolean(f, q, where + ": query_error_on_empty_read");
  if (auto sb = node["status_byte"]) {
    require_map(f, sb, where + ": status_byte");
    check_keys(f, sb, {"query", "enable_query", "enable_setter", "enable"}, where + ": status_byte");
    if (auto q = sb["query"]) dev.status_byte.query = query_bytes(f, q, "status_byte query");
    if (auto q = sb["enable_query"]) dev.status_byte.enable_query = query_bytes(f, q, "status_byte enable_query");
    if (auto q = sb["enable_setter"]) {
      try {
        dev.status_byte.enable_setter = SetterPattern::parse(query_bytes(f, q, "status_byte enable_setter"));
      } catch (const FormatError& ex) {
        fail(f, q, std::string("status_byte enable_setter: ") + ex.what());
      }
      if (dev.status_byte.enable_setter->positional_count() != 1)
        fail(f, q, "status_byte enable_setter must have exactly one value field, e.g. \"*SRE {:d}\"");
    }
    if (auto e = sb["enable"]) dev.status_byte.enable = integer(f, e, "status_byte enable", 0, 255);
  }
  if (auto ch = node["channels"]) {
    require_map(f, ch, where + ": channels");
    for (auto& [k, v] : entries(f, ch, where + ": channels")) dev.channels.push_back(parse_channel_group(f, k, v, dev));
  }
  if (auto w = node["waveforms"]) {
    require_seq(f, w, where + ": waveforms");
    for (const auto& item : w) {
      require_map(f, item, "a waveform");
      check_keys(f, item, {"q", "points", "sample", "byte_order", "period", "delay"}, "a waveform");
      WaveformDef wf;
      wf.mark = mark(f, item);
      if (!item["q"] || !item["points"]) fail(f, item, "a waveform needs q and points (the name of a property)");
      wf.query = query_bytes(f, item["q"], "waveform q");
      wf.points_property = scalar(f, item["points"], "waveform points");
      int idx = dev.property_index(wf.points_property);
      if (idx < 0) fail(f, item["points"], "waveform points: no property named '" + wf.points_property + "'");
      if (dev.properties[static_cast<std::size_t>(idx)].specs.type != ValueType::integer)
        fail(f, item["points"], "waveform points: property '" + wf.points_property + "' must have specs type int");
      if (auto s = item["sample"]) {
        std::string t = scalar(f, s, "waveform sample");
        if (t == "int8") wf.sample_bytes = 1;
        else if (t == "int16") wf.sample_bytes = 2;
        else fail(f, s, "waveform sample must be int8 or int16, not '" + t + "'");
      }
      if (auto b = item["byte_order"]) {
        std::string t = scalar(f, b, "waveform byte_order");
        if (t != "big" && t != "little") fail(f, b, "waveform byte_order must be big or little, not '" + t + "'");
        wf.big_endian = t == "big";
      }
      if (auto p = item["period"]) wf.period = integer(f, p, "waveform period", 2, INT64_C(1) << 40);
      if (auto d = item["delay"]) wf.delay = duration(f, d, "waveform delay");
      dev.waveforms.push_back(std::move(wf));
    }
  }
  return dev;
}

ErrorHandling Loader::parse_errors(const SourceFile& f, const YAML::Node& node) {
  ErrorHandling out;
  if (node.IsScalar() || node.IsNull()) {
    // String form: the same response for both kinds of error.
    auto r = response(f, node, ResponseTemplate::Mode::verbatim, "error");
    out.command_error = r;
    out.query_error = r;
    return out;
  }
  require_map(f, node, "error");
  check_keys(f, node, {"response", "status_register", "error_queue"}, "error");
  auto kinds = [](const std::string& k) -> std::optional<ErrorKind> {
    if (k == "command_error") return ErrorKind::command_error;
    if (k == "query_error") return ErrorKind::query_error;
    if (k == "query_interrupted") return ErrorKind::query_interrupted;
    return std::nullopt;
  };
  if (auto r = node["response"]) {
    require_map(f, r, "error response");
    check_keys(f, r, {"command_error", "query_error"}, "error response");
    if (auto c = r["command_error"]) out.command_error = response(f, c, ResponseTemplate::Mode::verbatim, "command_error");
    if (auto q = r["query_error"]) out.query_error = response(f, q, ResponseTemplate::Mode::verbatim, "query_error");
  }
  if (auto regs = node["status_register"]) {
    require_seq(f, regs, "error status_register");
    for (const auto& item : regs) {
      require_map(f, item, "a status_register entry");
      check_keys(f, item, {"q", "command_error", "query_error", "query_interrupted"}, "a status_register entry");
      if (!item["q"]) fail(f, item, "a status_register entry needs q");
      StatusRegister reg;
      reg.query = query_bytes(f, item["q"], "status_register q");
      for (auto it = item.begin(); it != item.end(); ++it) {
        auto kind = kinds(it->first.Scalar());
        if (kind) reg.bits[*kind] = integer(f, it->second, it->first.Scalar(), 0, INT64_C(1) << 32);
      }
      // An interrupted query is a query error (IEEE 488.2 §6.3.2.3): the same event status bit.
      if (!reg.bits.contains(ErrorKind::query_interrupted) && reg.bits.contains(ErrorKind::query_error))
        reg.bits[ErrorKind::query_interrupted] = reg.bits[ErrorKind::query_error];
      out.registers.push_back(std::move(reg));
    }
  }
  if (auto queues = node["error_queue"]) {
    require_seq(f, queues, "error error_queue");
    for (const auto& item : queues) {
      require_map(f, item, "an error_queue entry");
      check_keys(f, item, {"q", "default", "command_error", "query_error", "query_interrupted", "strict"},
                 "an error_queue entry");
      if (!item["q"]) fail(f, item, "an error_queue entry needs q");
      if (!item["default"]) fail(f, item, "an error_queue entry needs default (the reply when the queue is empty)");
      ErrorQueue q;
      q.query = query_bytes(f, item["q"], "error_queue q");
      q.default_reply = query_bytes(f, item["default"], "error_queue default");
      for (auto it = item.begin(); it != item.end(); ++it) {
        auto kind = kinds(it->first.Scalar());
        if (kind) q.messages[*kind] = query_bytes(f, it->second, it->first.Scalar());
      }
      // IEEE 488.2 §6.3.2.3 / SCPI: an interrupted query is reported as -410.
      if (!q.messages.contains(ErrorKind::query_interrupted))
        q.messages[ErrorKind::query_interrupted] = "-410, Query INTERRUPTED";
      out.queues.push_back(std::move(q));
    }
  }
  return out;
}

std::vector<Dialogue> Loader::parse_dialogues(const SourceFile& f, const YAML::Node& node, const std::string& where,
                                              const std::vector<Property>& device_properties) {
  std::vector<Dialogue> out;
  if (node.IsNull()) return out;
  require_seq(f, node, where + ": dialogues");
  for (const auto& item : node) {
    require_map(f, item, "a dialogue");
    check_keys(f, item, {"q", "r", "delay", "when", "set", "fault", "block"}, "a dialogue");
    if (!item["q"]) fail(f, item, "malformed dialogue: q is required");
    Dialogue d;
    d.mark = mark(f, item);
    d.query = query_bytes(f, item["q"], "dialogue q");
    if (auto r = item["r"]) d.response = response(f, r, ResponseTemplate::Mode::verbatim, "dialogue r");
    if (auto dl = item["delay"]) d.delay = duration(f, dl, "dialogue delay");
    if (auto w = item["when"]) d.when = property_values(f, w, device_properties, "dialogue when");
    if (auto st = item["set"]) d.set = property_values(f, st, device_properties, "dialogue set");
    if (auto ft = item["fault"]) d.fault = parse_fault(f, ft, "dialogue fault");
    if (auto b = item["block"]) d.block = parse_block(f, b, "dialogue block");
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<PropertyValue> Loader::property_values(const SourceFile& f, const YAML::Node& node,
                                                   const std::vector<Property>& device_properties,
                                                   const std::string& what) {
  require_map(f, node, what);
  std::vector<PropertyValue> out;
  for (auto& [k, v] : entries(f, node, what)) {
    std::string name = scalar(f, k, what + " property");
    auto it = std::find_if(device_properties.begin(), device_properties.end(),
                           [&](const Property& p) { return p.name == name; });
    if (it == device_properties.end()) fail(f, k, what + ": the device has no property named '" + name + "'");
    std::string text = scalar(f, v, what + " '" + name + "'");
    auto value = it->specs.accept(Value(text));
    if (!value) fail(f, v, what + ": '" + text + "' is not a valid value of property '" + name + "' (its specs)");
    out.push_back(PropertyValue{static_cast<std::size_t>(it - device_properties.begin()), *value});
  }
  return out;
}

void Loader::parse_setter_states(const SourceFile& f, const YAML::Node& node, std::vector<Property>& properties,
                                 const std::vector<Property>& device_properties) {
  if (node.IsNull()) return;
  for (auto& [k, v] : entries(f, node, "properties")) {
    auto setter = v["setter"];
    if (!setter) continue;
    std::string name = scalar(f, k, "a property name");
    auto it = std::find_if(properties.begin(), properties.end(), [&](const Property& p) { return p.name == name; });
    const std::string what = "property '" + name + "' setter";
    if (auto w = setter["when"]) it->setter_when = property_values(f, w, device_properties, what + " when");
    if (auto st = setter["set"]) it->setter_set = property_values(f, st, device_properties, what + " set");
  }
}

FaultDef Loader::parse_fault(const SourceFile& f, const YAML::Node& node, const std::string& what) {
  FaultDef fd;
  fd.mark = mark(f, node);
  YAML::Node kind = node;
  if (node.IsMap()) {
    check_keys(f, node, {"kind", "every", "probability"}, what);
    if (!node["kind"]) fail(f, node, what + ": kind is required (timeout, garbage or disconnect)");
    kind.reset(node["kind"]);  // (operator= would assign into the node `kind` refers to)
    if (auto e = node["every"]) fd.every = static_cast<std::uint64_t>(integer(f, e, what + " every", 1, INT64_MAX));
    if (auto p = node["probability"]) {
      std::string text = scalar(f, p, what + " probability");
      auto v = convert_value(Value(text), ValueType::floating);
      double d = v ? std::get<double>(*v) : -1;
      if (!(d >= 0 && d <= 1)) fail(f, p, what + ": probability must be a number from 0 to 1, not '" + text + "'");
      fd.probability = d;
    }
  }
  std::string k = scalar(f, kind, what + " kind");
  if (k == "timeout") fd.kind = FaultDef::Kind::timeout;
  else if (k == "garbage") fd.kind = FaultDef::Kind::garbage;
  else if (k == "disconnect") fd.kind = FaultDef::Kind::disconnect;
  else fail(f, kind, what + ": kind must be timeout, garbage or disconnect, not '" + k + "'");
  return fd;
}

BlockDef Loader::parse_block(const SourceFile& f, const YAML::Node& node, const std::string& what) {
  require_map(f, node, what);
  check_keys(f, node, {"type", "byte_order", "values", "random"}, what);
  BlockDef b;
  if (auto t = node["type"]) {
    std::string name = scalar(f, t, what + " type");
    auto type = block_data_type(name);
    if (!type) fail(f, t, what + ": type must be int8, uint8, int16, uint16, int32, uint32, float32 or float64, not '" + name + "'");
    b.type = *type;
  }
  if (auto o = node["byte_order"]) {
    std::string order = scalar(f, o, what + " byte_order");
    if (order != "big" && order != "little") fail(f, o, what + ": byte_order must be big or little, not '" + order + "'");
    b.big_endian = order == "big";
  }
  auto number = [&](const YAML::Node& n, const std::string& label) {
    std::string text = scalar(f, n, label);
    auto v = convert_value(Value(text), ValueType::floating);
    if (!v) fail(f, n, label + " must be a number, not '" + text + "'");
    return std::get<double>(*v);
  };
  if (auto vs = node["values"]) {
    require_seq(f, vs, what + " values");
    for (const auto& item : vs) {
      if (b.data.size() > max_block_bytes) fail(f, item, what + ": more than " + std::to_string(max_block_bytes) + " bytes");
      if (!append_block_value(b.data, number(item, what + " value"), b.type, b.big_endian))
        fail(f, item, what + ": the value '" + item.Scalar() + "' does not fit the block type");
    }
  }
  if (auto r = node["random"]) {
    require_seq(f, r, what + " random");
    if (r.size() != 3) fail(f, r, what + ": random must be [min, max, count]");
    double lo = number(r[0], what + " random min"), hi = number(r[1], what + " random max");
    std::string probe;
    if (!append_block_value(probe, lo, b.type, b.big_endian) || !append_block_value(probe, hi, b.type, b.big_endian))
      fail(f, r, what + ": the random range does not fit the block type");
    b.random_range = std::array<double, 2>{lo, hi};
    b.random_count = static_cast<std::size_t>(integer(f, r[2], what + " random count", 0, max_block_bytes));
    if (b.data.size() + b.random_count * (probe.size() / 2) > max_block_bytes)
      fail(f, r, what + ": more than " + std::to_string(max_block_bytes) + " bytes");
  }
  if (!node["values"] && !node["random"]) fail(f, node, what + ": values or random is required");
  return b;
}

std::vector<Property> Loader::parse_properties(const SourceFile& f, const YAML::Node& node, const std::string& where) {
  std::vector<Property> out;
  if (node.IsNull()) return out;
  require_map(f, node, where + ": properties");
  for (auto& [k, v] : entries(f, node, where + ": properties")) out.push_back(parse_property(f, k, v, where));
  return out;
}

Specs Loader::parse_specs(const SourceFile& f, const YAML::Node& node, const std::string& what) {
  Specs s;
  require_map(f, node, what);
  check_keys(f, node, {"type", "min", "max", "valid"}, what);
  if (!node["type"]) fail(f, node, what + ": type is required (float, int or str)");
  std::string t = scalar(f, node["type"], what + " type");
  if (t == "float") s.type = ValueType::floating;
  else if (t == "int") s.type = ValueType::integer;
  else if (t == "str") s.type = ValueType::str;
  else fail(f, node["type"], what + ": type must be float, int or str, not '" + t + "'");
  auto convert = [&](const YAML::Node& n, const std::string& label) {
    std::string text = scalar(f, n, label);
    auto v = convert_value(Value(text), s.type);
    if (!v) fail(f, n, label + " '" + text + "' is not a valid " + t);
    return *v;
  };
  if (auto m = node["min"]) s.min = convert(m, what + " min");
  if (auto m = node["max"]) s.max = convert(m, what + " max");
  if (auto v = node["valid"]) {
    require_seq(f, v, what + " valid");
    for (const auto& item : v) s.valid.push_back(convert(item, what + " valid value"));
  }
  return s;
}

Property Loader::parse_property(const SourceFile& f, const YAML::Node& key, const YAML::Node& node,
                                const std::string& where) {
  Property p;
  p.name = scalar(f, key, "a property name");
  p.mark = mark(f, key);
  const std::string what = "property '" + p.name + "'";
  require_map(f, node, what);
  check_keys(f, node, {"default", "getter", "setter", "specs"}, what);
  if (auto s = node["specs"]) p.specs = parse_specs(f, s, what + " specs");
  if (!node["default"]) fail(f, node, what + ": default is required");
  {
    std::string text = scalar(f, node["default"], what + " default");
    auto v = p.specs.accept(Value(text));
    if (!v) fail(f, node["default"], what + ": the default '" + text + "' is not valid for its specs");
    p.default_value = *v;
  }
  if (auto g = node["getter"]) {
    require_map(f, g, what + " getter");
    check_keys(f, g, {"q", "r", "delay", "fault"}, what + " getter");
    if (!g["q"]) fail(f, g, what + " getter: q is required");
    p.getter_query = query_bytes(f, g["q"], what + " getter q");
    if (auto r = g["r"]) {
      p.getter_response = response(f, r, ResponseTemplate::Mode::getter, what + " getter r");
      if (p.getter_response) {
        PythonRandom rng(0);
        try {
          render_getter(p.getter_response->tmpl, p.default_value, rng);
        } catch (const MalformedResponse&) {
          // already reported by response()
        } catch (const FormatError& e) {
          // PyVISA-sim loads it and fails at the query; the query answers a query error here.
          warn(f, r, what + ": the getter format '" + p.getter_response->text + "' cannot format the value '" +
                         python_str(p.default_value) + "' (" + std::string(type_name(p.default_value)) +
                         (p.specs.type == ValueType::untyped ? ", the property has no specs type" : "") + "): " + e.what());
        }
      }
    }
    if (auto d = g["delay"]) p.getter_delay = duration(f, d, what + " getter delay");
    if (auto ft = g["fault"]) p.getter_fault = parse_fault(f, ft, what + " getter fault");
  }
  if (auto s = node["setter"]) {
    require_map(f, s, what + " setter");
    check_keys(f, s, {"q", "r", "e", "when", "set"}, what + " setter");  // when, set: parse_setter_states
    if (!s["q"]) fail(f, s, what + " setter: q is required");
    p.setter_text = query_bytes(f, s["q"], what + " setter q");
    try {
      p.setter = SetterPattern::parse(p.setter_text);
    } catch (const FormatError& e) {
      fail(f, s["q"], what + " setter q '" + p.setter_text + "': " + e.what());
    }
    if (p.setter->positional_count() != 1)
      fail(f, s["q"], what + " setter q '" + p.setter_text + "' must have exactly one value field such as {:d} or {:.3f}");
    if (auto r = s["r"]) p.setter_response = response(f, r, ResponseTemplate::Mode::verbatim, what + " setter r");
    if (auto e = s["e"]) p.setter_error = response(f, e, ResponseTemplate::Mode::verbatim, what + " setter e");
  }
  (void)where;
  return p;
}

ChannelGroup Loader::parse_channel_group(const SourceFile& f, const YAML::Node& key, const YAML::Node& node,
                                         const DeviceDef& dev) {
  ChannelGroup g;
  g.name = scalar(f, key, "a channel group name");
  g.mark = mark(f, key);
  const std::string what = "channel group '" + g.name + "'";
  require_map(f, node, what);
  check_keys(f, node, {"ids", "can_select", "dialogues", "properties"}, what);
  if (!node["ids"]) fail(f, node, what + ": ids is required");
  require_seq(f, node["ids"], what + " ids");
  for (const auto& id : node["ids"]) g.ids.push_back(scalar(f, id, what + " id"));
  // PyVISA-sim: can_select is False only for the text "False".
  if (auto cs = node["can_select"]) g.can_select = lenient_boolean(f, cs, what + " can_select", true);
  channel_sample_id_ = g.ids.empty() ? std::string("1") : g.ids.front();
  if (auto d = node["dialogues"]) g.dialogues = parse_dialogues(f, d, what, dev.properties);
  if (auto p = node["properties"]) {
    g.properties = parse_properties(f, p, what);
    parse_setter_states(f, p, g.properties, dev.properties);
  }
  channel_sample_id_.clear();
  if (!g.can_select && dev.property_index("selected_channel") < 0)
    fail(f, key, what + ": can_select is False, so the device needs a property named 'selected_channel'");
  for (const auto& p : g.properties)
    if (g.can_select && p.setter && !p.setter->has_named("ch_id"))
      fail(f, key, what + ": the setter of property '" + p.name + "' must contain {ch_id} (can_select is True)");
  return g;
}

Definitions Loader::load_top(std::string_view text, const std::string& path) {
  if (text.size() > max_file_size) throw LoadError(SourceMark{path, 0, 0}, "the file is too large");
  auto top = std::make_unique<SourceFile>();
  top->path = path;
  top->directory = fs::path(path).parent_path().string();
  top->bundled = is_bundled_directory(top->directory);
  top->text = std::string(text);
  parse(*top);
  const SourceFile& f = *top;
  files_.emplace(fs::path(path).lexically_normal().string(), std::move(top));

  Definitions defs;
  defs.path = path;
  defs.spec = scalar(f, f.root["spec"], "spec");
  if (auto devs = f.root["devices"]) {
    if (!devs.IsNull()) {
      require_map(f, devs, "devices");
      for (auto& [k, v] : entries(f, devs, "devices")) {
        (void)v;
        defs.devices.push_back(device(f, scalar(f, k, "a device name")));
      }
    }
  }
  if (auto res = f.root["resources"]) {
    if (!res.IsNull()) {
      require_map(f, res, "resources");
      for (auto& [k, v] : entries(f, res, "resources")) {
        ResourceDef r;
        r.name = scalar(f, k, "a resource name");
        r.mark = mark(f, k);
        const std::string what = "resource '" + r.name + "'";
        require_map(f, v, what);
        check_keys(f, v, {"device", "filename", "bundled", "channel_ids"}, what);
        if (!v["device"]) fail(f, v, what + ": device is required");
        std::string dev_name = scalar(f, v["device"], what + " device");
        const SourceFile* source = &f;
        if (auto fn = v["filename"]) {
          std::string name = scalar(f, fn, what + " filename");
          // PyVISA-sim: any non-empty text means bundled.
          bool bundled = v["bundled"] && lenient_boolean(f, v["bundled"], what + " bundled", true);
          fs::path p(name);
          std::string resolved = bundled          ? (fs::path(bundled_directory()) / p).string()
                                 : p.is_absolute() ? p.string()
                                                   : (fs::path(f.directory) / p).string();
          source = &file(resolved, f, fn);
        } else if (v["bundled"]) {
          fail(f, v["bundled"], what + ": bundled needs filename");
        }
        r.device = device(*source, dev_name);
        if (!r.device) {
          std::string known;
          if (auto devs = source->root["devices"]; devs && devs.IsMap())
            for (auto it = devs.begin(); it != devs.end(); ++it) known += (known.empty() ? "'" : ", '") + it->first.Scalar() + "'";
          fail(f, v["device"], what + ": no device named '" + dev_name + "' in " + source->path +
                                   (known.empty() ? " (it defines none)" : " (it defines " + known + ")"));
        }
        if (auto ids = v["channel_ids"]) {
          require_map(f, ids, what + " channel_ids");
          for (auto& [gk, gv] : entries(f, ids, what + " channel_ids")) {
            std::string group = scalar(f, gk, "a channel group");
            bool exists = std::any_of(r.device->channels.begin(), r.device->channels.end(),
                                      [&](const ChannelGroup& g) { return g.name == group; });
            if (!exists) fail(f, gk, what + " channel_ids: the device has no channel group '" + group + "'");
            require_seq(f, gv, what + " channel_ids '" + group + "'");
            std::vector<std::string> list;
            for (const auto& id : gv) list.push_back(scalar(f, id, "a channel id"));
            r.channel_ids[group] = std::move(list);
          }
        }
        defs.resources.push_back(std::move(r));
      }
    }
  }
  defs.warnings = std::move(warnings_);
  defs.bundled_warnings = std::move(bundled_warnings_);
  return defs;
}

}  // namespace

Definitions load_definitions_text(std::string_view text, const std::string& path) {
  Loader loader;
  try {
    return loader.load_top(text, path);
  } catch (const LoadError&) {
    throw;
  } catch (const YAML::Exception& e) {
    throw LoadError(SourceMark{path, e.mark.line + 1, e.mark.column + 1}, e.msg);
  } catch (const std::bad_alloc&) {
    throw LoadError(SourceMark{path, 0, 0}, "out of memory");
  } catch (const std::exception& e) {
    throw LoadError(SourceMark{path, 0, 0}, e.what());
  }
}

Definitions load_definitions(const std::string& path) {
  std::string text;
  if (auto error = read_regular_file(path, text)) throw LoadError(*error);
  return load_definitions_text(text, path);
}

std::string bundled_directory() {
  // Located from the library's own path (relocatable installs), or the source tree's data/ for a
  // build tree: src/core/install_paths.hpp.
  return (fs::path(core::data_directory()) / "sim").string();
}

std::string default_definitions_path() {
  if (const char* env = std::getenv("CPPVISA_SIM_DEFAULT"); env && *env) return env;
  return (fs::path(bundled_directory()) / "default.yaml").string();
}

}  // namespace cppvisa::sim
