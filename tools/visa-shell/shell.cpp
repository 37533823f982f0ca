// visa-shell's commands (shell.hpp). Every command's errors are printed with their VISA status and
// cause (cppvisa::error_cause) and the shell goes on.
#include "shell.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace visa_shell {
namespace {

using cppvisa::Error;

std::vector<std::string> split(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

cppvisa::PropertyValue parse_value(const std::string& text) {
  if (text == "true" || text == "True") return true;
  if (text == "false" || text == "False") return false;
  try {
    std::size_t used = 0;
    long long i = std::stoll(text, &used, 0);
    if (used == text.size()) return static_cast<std::int64_t>(i);
  } catch (const std::exception&) {
  }
  try {
    std::size_t used = 0;
    double d = std::stod(text, &used);
    if (used == text.size()) return d;
  } catch (const std::exception&) {
  }
  return cppvisa::unescape(text);
}

std::string show(const cppvisa::PropertyValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return cppvisa::show_bytes(x);
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else return fmt::format("{}", x);
      },
      v);
}

std::string show(const cppvisa::AttrValue& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return cppvisa::show_bytes(std::get<std::string>(v));
}

// A reply read with its progress on the terminal (erased before the reply is printed).
std::vector<std::byte> read_with_progress(cppvisa::MessageBasedResource& r) {
  cppvisa::TerminalProgress progress;
  return cppvisa::read_reply(r, progress.callback());
}

void add_matches(std::vector<std::string>& out, const std::vector<std::string>& candidates, const std::string& word) {
  for (auto& c : candidates)
    if (c.compare(0, word.size(), word) == 0) out.push_back(c);
}

}  // namespace

Shell::Shell(const std::string& backend) : rm_(backend) {}

const std::map<std::string, Shell::Command>& Shell::commands() {
  static const std::map<std::string, Command> table = {
      {"list", {&Shell::do_list, "list [QUERY]", "List the resources matching QUERY (default ?*::INSTR), numbered for open."}},
      {"open", {&Shell::do_open, "open RESOURCE|NUMBER", "Open a resource by name, alias or number of the last list."}},
      {"close", {&Shell::do_close, "close", "Close the open resource."}},
      {"query", {&Shell::do_query, "query COMMAND", "Write COMMAND (\\n, \\r, \\xHH escapes) and read the reply."}},
      {"read", {&Shell::do_read, "read", "Read one message (binary replies shown as hex)."}},
      {"write", {&Shell::do_write, "write COMMAND", "Write COMMAND with the write termination."}},
      {"attr", {&Shell::do_attr, "attr [NAME [VALUE]]",
                "Show every attribute, get one, or set one (PyVISA property names or VI_ATTR_* names)."}},
      {"termchar", {&Shell::do_termchar, "termchar [READ [WRITE]]", "Show or set the terminations: CR, LF, CRLF, NUL, None."}},
      {"timeout", {&Shell::do_timeout, "timeout [MS|inf]", "Show or set the I/O timeout in milliseconds."}},
      {"clear", {&Shell::do_clear, "clear", "Device clear (viClear)."}},
      {"stb", {&Shell::do_stb, "stb", "Read the status byte (viReadSTB)."}},
      {"help", {&Shell::do_help, "help [COMMAND]", "List the commands, or explain one."}},
      {"exit", {nullptr, "exit", "Leave the shell (also quit, Ctrl-D)."}},
  };
  return table;
}

std::string Shell::prompt() const {
  return current_ ? fmt::format("({}) ", current_->resource_name()) : std::string("(visa) ");
}

bool Shell::execute(const std::string& line) {
  auto start = line.find_first_not_of(" \t");
  if (start == std::string::npos) return true;
  auto end = line.find_first_of(" \t", start);
  std::string name = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
  std::string rest;
  if (end != std::string::npos) {
    auto r = line.find_first_not_of(" \t", end);
    if (r != std::string::npos) rest = line.substr(r);
  }
  if (name == "exit" || name == "quit" || name == "EOF") return false;
  auto it = commands().find(name);
  if (it == commands().end()) {
    fmt::print("Unknown command '{}'. Type help for the list.\n", name);
    return true;
  }
  try {
    (this->*(it->second.run))(rest, split(rest));
  } catch (const std::exception& e) {
    fmt::print("Error: {}\n", cppvisa::error_cause(e));
  }
  std::fflush(stdout);
  return true;
}

cppvisa::Resource& Shell::resource() {
  if (!current_) throw Error("no resource is open: use open first (list shows the resources)");
  return *current_;
}

cppvisa::MessageBasedResource& Shell::message_based() {
  auto* mb = dynamic_cast<cppvisa::MessageBasedResource*>(&resource());
  if (!mb) throw Error(fmt::format("{} is not message-based", current_->resource_name()));
  return *mb;
}

void Shell::do_list(const std::string&, const Args& args) {
  std::string query = args.empty() ? "?*::INSTR" : args[0];
  std::error_code ec;
  listed_ = rm_.list_resources(query, ec);
  listed_once_ = true;
  if (ec) cppvisa::throw_if(ec, "(listing resources)");
  if (listed_.empty()) {
    fmt::print("No resource matches {}\n", query);
    return;
  }
  for (std::size_t i = 0; i < listed_.size(); ++i) fmt::print("({:2}) {}\n", i, listed_[i]);
}

void Shell::do_open(const std::string&, const Args& args) {
  if (args.size() != 1) throw Error("usage: open RESOURCE|NUMBER");
  std::string name = args[0];
  if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) {
    std::size_t n = std::stoul(name);
    if (n >= listed_.size()) throw Error(fmt::format("no resource number {} in the last list", n));
    name = listed_[n];
  }
  if (current_) {
    fmt::print("Closing {}\n", current_->resource_name());
    current_.reset();
  }
  current_ = rm_.open_resource(name);
  fmt::print("{} has been opened.\nYou can talk to the device using \"write\", \"read\" or \"query\".\n"
             "The default end of message is added to each message.\n",
             current_->resource_name());
}

void Shell::do_close(const std::string&, const Args&) {
  resource();
  fmt::print("The resource {} has been closed.\n", current_->resource_name());
  current_.reset();
}

void Shell::print_reply(const std::vector<std::byte>& reply) {
  auto& r = message_based();
  if (cppvisa::is_text(reply)) {
    std::string text = r.decode(reply);
    const std::string& term = r.read_termination();
    if (!term.empty() && text.ends_with(term)) text.resize(text.size() - term.size());
    else if (text.ends_with("\r\n")) text.resize(text.size() - 2);
    else if (text.ends_with('\n')) text.pop_back();
    fmt::print("Response: {}\n", text);
  } else {
    // A long block shows its start; the count says how much there was.
    constexpr std::size_t shown = 512;
    std::span<const std::byte> head(reply.data(), std::min(reply.size(), shown));
    fmt::print("Response: {} bytes (binary){}:\n{}", reply.size(),
               reply.size() > shown ? fmt::format(", the first {}", shown) : std::string(), cppvisa::hex_dump(head));
  }
}

void Shell::do_query(const std::string& rest, const Args&) {
  auto& r = message_based();
  r.write(cppvisa::unescape(rest));
  print_reply(read_with_progress(r));
}

void Shell::do_read(const std::string&, const Args&) { print_reply(read_with_progress(message_based())); }

void Shell::do_write(const std::string& rest, const Args&) { message_based().write(cppvisa::unescape(rest)); }

namespace {
/// The table's rows shown for a resource: those of its class, and cppvisa's HiSLIP attributes
/// (class "HISLIP": only HiSLIP sessions have them) on TCPIP INSTR resources.
bool listed(const cppvisa::AttrInfo& row, const cppvisa::ResourceInfo& info) {
  if (cppvisa::attribute_applies_to(row, info.interface_type, info.resource_class)) return true;
  return row.classes == "HISLIP" && info.interface_type == cppvisa::InterfaceType::tcpip && info.resource_class == "INSTR";
}
}  // namespace

std::vector<std::string> Shell::attribute_names() {
  std::vector<std::string> names;
  if (!current_) return names;
  names = current_->property_names();
  std::size_t count = 0;
  const cppvisa::AttrInfo* table = cppvisa::attribute_table(count);
  auto info = current_->resource_info();
  for (std::size_t i = 0; i < count; ++i)
    if (listed(table[i], info)) names.emplace_back(table[i].name);
  return names;
}

void Shell::do_attr(const std::string&, const Args& args) {
  auto& r = resource();
  if (args.empty()) {
    fmt::print("Properties:\n");
    for (auto& name : r.property_names()) {
      try {
        fmt::print("  {:<24} {}\n", name, show(r.get_property(name)));
      } catch (const std::exception& e) {
        fmt::print("  {:<24} ({})\n", name, cppvisa::error_cause(e));
      }
    }
    fmt::print("VISA attributes:\n");
    std::size_t count = 0;
    const cppvisa::AttrInfo* table = cppvisa::attribute_table(count);
    auto info = r.resource_info();
    for (std::size_t i = 0; i < count; ++i) {
      if (!listed(table[i], info)) continue;
      if (table[i].type == cppvisa::AttrType::PTR || table[i].type == cppvisa::AttrType::BYTES) continue;
      std::error_code ec;
      auto v = r.get_visa_attribute(table[i].id, ec);
      if (!ec) fmt::print("  {:<32} 0x{:08X}  {}\n", table[i].name, table[i].id, show(v));
    }
    return;
  }
  if (args.size() > 2) throw Error("usage: attr [NAME [VALUE]]");
  const std::string& name = args[0];
  if (const auto* info = cppvisa::find_attribute(name)) {
    if (args.size() == 1) {
      fmt::print("{}\n", show(r.get_visa_attribute(info->id)));
    } else if (info->type == cppvisa::AttrType::STRING) {
      r.set_visa_attribute(info->id, cppvisa::unescape(args[1]));
    } else {
      auto v = parse_value(args[1]);
      r.set_visa_attribute(info->id, cppvisa::property::to_int(v, name));
    }
    return;
  }
  if (!r.has_property(name))
    throw Error(fmt::format("unknown attribute '{}' (attr lists them; TAB completes)", name));
  if (args.size() == 1) fmt::print("{}\n", show(r.get_property(name)));
  else r.set_property(name, parse_value(args[1]));
}

void Shell::do_termchar(const std::string&, const Args& args) {
  auto& r = message_based();
  if (args.empty()) {
    fmt::print("Termchar read: {} write: {}\n", cppvisa::termination_name(r.read_termination()),
               cppvisa::termination_name(r.write_termination()));
    return;
  }
  if (args.size() > 2) throw Error("usage: termchar [READ [WRITE]]");
  std::string read = cppvisa::parse_termination(args[0]);
  std::string write = args.size() == 2 ? cppvisa::parse_termination(args[1]) : read;
  r.set_read_termination(read);
  r.set_write_termination(write);
  fmt::print("Done\n");
}

void Shell::do_timeout(const std::string&, const Args& args) {
  auto& r = resource();
  if (args.empty()) {
    auto t = r.timeout();
    if (t == cppvisa::tmo_infinite) fmt::print("Timeout: infinite\n");
    else fmt::print("Timeout: {} ms\n", t);
    return;
  }
  if (args.size() > 1) throw Error("usage: timeout [MS|inf]");
  double ms = 0;
  if (args[0] == "inf" || args[0] == "+inf" || args[0] == "None") {
    ms = INFINITY;
  } else {
    std::size_t used = 0;
    try {
      ms = std::stod(args[0], &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != args[0].size() || ms < 0) throw Error(fmt::format("not a timeout: '{}' (milliseconds or inf)", args[0]));
  }
  r.set_timeout_ms(ms);
  fmt::print("Done\n");
}

void Shell::do_clear(const std::string&, const Args&) {
  resource().clear();
  fmt::print("Done\n");
}

void Shell::do_stb(const std::string&, const Args&) {
  auto stb = message_based().read_stb();
  fmt::print("Status byte: {} (0x{:02X})\n", stb, stb);
}

void Shell::do_help(const std::string&, const Args& args) {
  if (!args.empty()) {
    auto it = commands().find(args[0]);
    if (it == commands().end()) throw Error(fmt::format("no command '{}'", args[0]));
    fmt::print("{}\n    {}\n", it->second.usage, it->second.help);
    return;
  }
  fmt::print("Commands (TAB completes commands, resource names and attribute names):\n");
  for (auto& [name, c] : commands()) fmt::print("  {:<24} {}\n", c.usage, c.help);
}

const std::vector<std::string>& Shell::known_resources() {
  if (!listed_once_) {
    std::error_code ec;
    listed_ = rm_.list_resources("?*", ec);
    listed_once_ = true;
  }
  return listed_;
}

std::vector<std::string> Shell::complete(const std::string& line, const std::string& word) {
  std::vector<std::string> out;
  auto before = split(line);
  try {
    if (before.empty()) {
      std::vector<std::string> names;
      for (auto& [name, c] : commands()) names.push_back(name);
      add_matches(out, names, word);
    } else if (before.size() == 1 && before[0] == "open") {
      add_matches(out, known_resources(), word);
    } else if (before.size() == 1 && before[0] == "attr") {
      add_matches(out, attribute_names(), word);
    } else if (before[0] == "termchar" && before.size() <= 2) {
      add_matches(out, {"CR", "LF", "CRLF", "NUL", "None"}, word);
    } else if (before.size() == 1 && before[0] == "help") {
      for (auto& [name, c] : commands())
        if (name.compare(0, word.size(), word) == 0) out.push_back(name);
    }
  } catch (const std::exception&) {
    // completion never disturbs the line: no candidates
  }
  return out;
}

}  // namespace visa_shell
