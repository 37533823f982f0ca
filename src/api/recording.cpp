// A recorded session as a PyVISA-sim YAML device (recording.hpp).
#include <cppvisa/recording.hpp>

#include <cppvisa/error.hpp>
#include <cppvisa/resource_name.hpp>
#include <cppvisa/text.hpp>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <map>
#include <set>

namespace cppvisa {
namespace {

/// `bytes` as a YAML double-quoted scalar the simulator gives back byte for byte: printable ASCII
/// as it is, anything else (and a backslash, which the loader would read as "\r"/"\n" escapes, and
/// spaces at either end, which it trims) inside BYTES(...) as \xHH escapes (docs/simulation.md).
/// A ')' always stays outside: the loader ends BYTES( at the first one, escaped or not.
std::string yaml_bytes(std::string_view bytes) {
  std::string out = "\"";
  bool in_run = false;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    bool edge_space = c == ' ' && (i == 0 || i + 1 == bytes.size());
    bool plain = c >= 0x20 && c < 0x7F && c != '\\' && !edge_space;
    if (plain) {
      if (in_run) out += ')';
      in_run = false;
      if (c == '"') out += "\\\"";
      else out += static_cast<char>(c);
    } else {
      if (!in_run) out += "BYTES(";
      in_run = true;
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (in_run) out += ')';
  return out + "\"";
}

bool is_error_reply(std::string_view reply) {
  std::string head;
  for (char c : reply.substr(0, 7)) head += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return head.starts_with("ERR") || head.starts_with("INVALID");
}

// ---- properties: a query "S?" and writes "S VALUE" --------------------------------------------

struct Event {
  bool set = false;
  std::string text;  // the value set, or the reply
};

std::optional<double> as_double(std::string_view s) {
  if (s.empty() || s.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
  std::string copy(s);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return v;
}

std::optional<long long> as_integer(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

/// A Python format and specs type that could have produced every reply ("{:+.3E}", "float").
struct NumberFormat {
  std::string format, type;
};

std::optional<NumberFormat> number_format(const std::vector<std::string>& replies) {
  if (replies.empty()) return std::nullopt;
  bool plus = std::any_of(replies.begin(), replies.end(), [](auto& r) { return r.starts_with('+'); });
  std::string sign = plus ? "+" : "";
  if (std::all_of(replies.begin(), replies.end(), [](auto& r) { return as_integer(r).has_value(); }))
    return NumberFormat{"{:" + sign + "d}", "int"};
  // Fixed or exponent notation, with one count of decimals in all replies.
  std::optional<std::size_t> decimals;
  std::optional<char> exponent;  // 'E', 'e' or '\0' (fixed)
  for (auto& r : replies) {
    if (!as_double(r)) return std::nullopt;
    auto e = r.find_first_of("eE");
    char ex = e == std::string::npos ? '\0' : r[e];
    auto dot = r.find('.');
    std::size_t n = dot == std::string::npos ? 0 : (e == std::string::npos ? r.size() : e) - dot - 1;
    if ((decimals && *decimals != n) || (exponent && *exponent != ex)) return std::nullopt;
    decimals = n;
    exponent = ex;
  }
  char type = *exponent == '\0' ? 'f' : *exponent;
  return NumberFormat{fmt::format("{{:{}.{}{}}}", sign, *decimals, type), "float"};
}

/// Whether `predict(value)` gives every reply, the value being the one last set (or the first
/// reply, before any set). Returns the default (the value at the start).
template <class Parse, class Show>
std::optional<std::string> replays(const std::vector<Event>& events, Parse parse, Show show) {
  std::optional<std::string> current;
  std::optional<std::string> initial;
  for (auto& e : events) {
    if (e.set) {
      if (!parse(e.text)) return std::nullopt;
      current = e.text;
      if (!initial) initial = e.text;
      continue;
    }
    if (!current) {
      if (!parse(e.text)) return std::nullopt;
      current = initial = e.text;
      continue;
    }
    if (show(*current) != e.text) return std::nullopt;
  }
  return initial;
}

struct Property {
  std::string name, stem, getter_format, type, default_value;
};

std::string property_name(std::string_view stem, std::set<std::string>& taken) {
  std::string name;
  for (char c : stem) {
    if (std::isalnum(static_cast<unsigned char>(c))) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!name.empty() && name.back() != '_') name += '_';
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) name = "p_" + name;
  std::string unique = name;
  for (int n = 2; taken.count(unique); ++n) unique = fmt::format("{}_{}", name, n);
  taken.insert(unique);
  return unique;
}

std::optional<Property> infer_property(const std::string& stem, const std::vector<Event>& events) {
  std::vector<std::string> replies;
  for (auto& e : events)
    if (!e.set) replies.push_back(e.text);
  Property p;
  p.stem = stem;
  // The instrument gives back the text it was sent.
  if (auto d = replays(events, [](const std::string&) { return true; }, [](const std::string& v) { return v; })) {
    p.getter_format = "{}";
    p.type = "str";
    p.default_value = *d;
    return p;
  }
  // It gives back a number in a format of its own.
  auto format = number_format(replies);
  if (!format) return std::nullopt;
  std::optional<std::string> d;
  if (format->type == "int")
    d = replays(
        events, [](const std::string& v) { return as_integer(v).has_value(); },
        [&](const std::string& v) { return fmt::format(fmt::runtime(format->format), *as_integer(v)); });
  else
    d = replays(
        events, [](const std::string& v) { return as_double(v).has_value(); },
        [&](const std::string& v) { return fmt::format(fmt::runtime(format->format), *as_double(v)); });
  if (!d) return std::nullopt;
  p.getter_format = format->format;
  p.type = format->type;
  p.default_value = *d;
  return p;
}

std::string eom_key(std::string_view resource) {
  std::error_code ec;
  auto name = ResourceName::parse(resource, ec);
  if (!name) return "TCPIP INSTR";
  return name->interface_name + " " + name->resource_class;
}

/// The termination all of `messages` end with (CR LF, LF, CR), or "" when they differ.
std::string common_ending(const std::vector<std::string>& messages) {
  for (std::string_view t : {"\r\n", "\n", "\r"})
    if (!messages.empty() && std::all_of(messages.begin(), messages.end(), [&](auto& m) { return m.ends_with(t); }))
      return std::string(t);
  return {};
}

void strip(std::string& text, const std::string& ending) {
  if (!ending.empty() && text.ends_with(ending)) text.resize(text.size() - ending.size());
}

}  // namespace

std::vector<SessionRecording> recordings_from_trace(std::string_view jsonl) {
  struct Raw {
    std::string command;
    std::optional<std::string> reply;
  };
  std::vector<std::string> order;                       // resources in the order first written to
  std::map<std::string, std::vector<Raw>> by_resource;  // messages per resource
  std::map<std::string, std::string> open_reply_of;     // pid:session -> resource whose last message awaits reads
  std::size_t line_number = 0;
  while (!jsonl.empty()) {
    auto end = jsonl.find('\n');
    std::string_view line = jsonl.substr(0, end);
    jsonl.remove_prefix(end == std::string_view::npos ? jsonl.size() : end + 1);
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    YAML::Node record;
    try {
      record = YAML::Load(std::string(line));
    } catch (const YAML::Exception& e) {
      throw Error(fmt::format("trace line {} is not JSON ({}); visa record reads JSON-lines traces", line_number, e.what()));
    }
    if (!record.IsMap() || !record["op"] || !record["resource"] || !record["session"]) continue;
    std::string op = record["op"].as<std::string>(), resource = record["resource"].as<std::string>();
    std::string key = (record["pid"] ? record["pid"].as<std::string>() : "") + ":" + record["session"].as<std::string>();
    if (resource.empty() || (op != "viWrite" && op != "viRead")) continue;
    std::string data = record["data"] ? parse_shown_bytes(record["data"].as<std::string>()) : std::string();
    auto& messages = by_resource[resource];
    if (op == "viWrite") {
      if (messages.empty()) order.push_back(resource);
      messages.push_back({data, std::nullopt});
      open_reply_of[key] = resource;
    } else if (!data.empty() && open_reply_of.count(key) && open_reply_of[key] == resource) {
      auto& reply = by_resource[resource].back().reply;
      reply = reply.value_or("") + data;
    }
  }
  std::vector<SessionRecording> out;
  for (auto& resource : order) {
    SessionRecording rec;
    rec.resource = resource;
    std::vector<std::string> commands, replies;
    for (auto& m : by_resource[resource]) {
      commands.push_back(m.command);
      if (m.reply && is_text(std::as_bytes(std::span(m.reply->data(), m.reply->size())))) replies.push_back(*m.reply);
    }
    rec.write_termination = common_ending(commands);
    rec.read_termination = common_ending(replies);
    for (auto& m : by_resource[resource]) {
      RecordedExchange e{m.command, m.reply};
      strip(e.command, rec.write_termination);
      if (e.reply) strip(*e.reply, rec.read_termination);
      rec.exchanges.push_back(std::move(e));
    }
    out.push_back(std::move(rec));
  }
  return out;
}

std::string sim_device_yaml(const SessionRecording& rec, std::string_view device_name, SimDeviceSummary* summary) {
  SimDeviceSummary local;
  SimDeviceSummary& sum = summary ? *summary : local;
  sum = {};

  // The error reply: the most frequent reply that reads as an error.
  std::map<std::string, int> error_counts;
  for (auto& e : rec.exchanges)
    if (e.reply && is_error_reply(*e.reply)) ++error_counts[*e.reply];
  if (!error_counts.empty())
    sum.error = std::max_element(error_counts.begin(), error_counts.end(),
                                 [](auto& a, auto& b) { return a.second < b.second; })
                    ->first;

  // Property candidates: stems of queries "S?" that also appear as writes "S VALUE".
  std::map<std::string, std::vector<Event>> by_stem;
  std::set<std::string> query_stems;
  for (auto& e : rec.exchanges)
    if (e.command.size() > 1 && e.command.back() == '?' && e.reply && !is_error_reply(*e.reply))
      query_stems.insert(e.command.substr(0, e.command.size() - 1));
  std::set<std::string> covered;  // commands a property answers
  std::vector<Property> properties;
  std::set<std::string> taken;
  for (auto& stem : query_stems) {
    if (stem.find_first_of("{}") != std::string::npos) continue;  // would read as a format field
    std::vector<Event> events;
    bool has_set = false, usable = true;
    for (auto& e : rec.exchanges) {
      if (e.command == stem + "?") {
        if (!e.reply || is_error_reply(*e.reply)) usable = false;
        else events.push_back({false, *e.reply});
      } else if (e.command.size() > stem.size() + 1 && e.command.starts_with(stem + " ") &&
                 e.command[stem.size() + 1] != ' ') {
        if (e.reply) usable = false;  // a setter with a reply: left to the dialogues
        events.push_back({true, e.command.substr(stem.size() + 1)});
        has_set = true;
      }
    }
    if (!has_set || !usable) continue;
    auto p = infer_property(stem, events);
    if (!p) {
      sum.notes.push_back(fmt::format("{}?: the replies do not follow the values set by \"{} VALUE\"; kept as dialogues",
                                      stem, stem));
      continue;
    }
    p->name = property_name(stem, taken);
    covered.insert(stem + "?");
    for (auto& e : rec.exchanges)
      if (e.command.starts_with(stem + " ")) covered.insert(e.command);
    sum.properties.push_back(p->name);
    properties.push_back(*p);
  }

  // Dialogues, in the order first seen; a query's last reply wins.
  std::vector<std::string> order;
  std::map<std::string, std::optional<std::string>> reply_of;
  std::map<std::string, std::set<std::string>> replies_seen;
  for (auto& e : rec.exchanges) {
    if (covered.count(e.command)) continue;
    if (e.reply && sum.error && *e.reply == *sum.error) continue;  // the simulator's error reply answers it
    if (!reply_of.count(e.command)) order.push_back(e.command);
    reply_of[e.command] = e.reply;
    if (e.reply) replies_seen[e.command].insert(*e.reply);
  }
  for (auto& [command, seen] : replies_seen)
    if (seen.size() > 1)
      sum.notes.push_back(fmt::format("{}: {} different replies seen; the last one is replayed", show_bytes(command),
                                      seen.size()));

  std::string y;
  y += fmt::format("# A simulated device recorded from {} ({} messages). Replay: -b FILE.yaml@sim {}\n", rec.resource,
                   rec.exchanges.size(), rec.resource);
  for (auto& n : sum.notes) y += "# note: " + n + "\n";
  y += "spec: \"1.1\"\n\ndevices:\n";
  y += fmt::format("  {}:\n", yaml_bytes(device_name));
  y += fmt::format("    eom:\n      {}: {{q: {}, r: {}}}\n", eom_key(rec.resource), yaml_bytes(rec.write_termination),
                   yaml_bytes(rec.read_termination));
  y += "    delimiter: \"\"\n";
  if (sum.error) y += fmt::format("    error: {}\n", yaml_bytes(*sum.error));
  y += order.empty() ? "    dialogues: []\n" : "    dialogues:\n";
  for (auto& command : order) {
    auto& reply = reply_of[command];
    if (reply) y += fmt::format("      - {{q: {}, r: {}}}\n", yaml_bytes(command), yaml_bytes(*reply));
    else y += fmt::format("      - {{q: {}}}\n", yaml_bytes(command));
    ++sum.dialogues;
  }
  if (!properties.empty()) {
    y += "    properties:\n";
    for (auto& p : properties) {
      y += fmt::format("      {}:\n", p.name);
      y += fmt::format("        default: {}\n", yaml_bytes(p.default_value));
      y += fmt::format("        getter: {{q: {}, r: {}}}\n", yaml_bytes(p.stem + "?"), yaml_bytes(p.getter_format));
      y += fmt::format("        setter: {{q: {}}}\n", yaml_bytes(p.stem + " {}"));
      y += fmt::format("        specs: {{type: {}}}\n", p.type);
    }
  }
  y += fmt::format("\nresources:\n  {}: {{device: {}}}\n", yaml_bytes(rec.resource), yaml_bytes(device_name));
  return y;
}

}  // namespace cppvisa
