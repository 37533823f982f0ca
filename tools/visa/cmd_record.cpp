// visa record RESOURCE [CMD...] --out dev.yaml: a session with an instrument as a simulated device.
#include "common.hpp"

#include <cppvisa/recording.hpp>

#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include <unistd.h>

namespace visa_tool {
namespace {

struct RecordOptions {
  OpenSettings open;
  std::string resource, out, device = "recorded", trace;
  std::vector<std::string> commands;
  bool json = false;
};

// Sends `command`; a query (a message with '?', as SCPI and IEEE 488.2 name them) waits for its
// reply, and a query that gets none within the timeout is recorded as a command without reply.
cppvisa::RecordedExchange send_and_record(cppvisa::MessageBasedResource& r, const std::string& command) {
  cppvisa::RecordedExchange e{command, std::nullopt};
  r.write(command);
  if (command.find('?') == std::string::npos) return e;
  try {
    auto reply = cppvisa::read_reply(r);
    std::string bytes(reinterpret_cast<const char*>(reply.data()), reply.size());
    const std::string& term = r.read_termination();
    if (!term.empty() && bytes.ends_with(term)) bytes.resize(bytes.size() - term.size());
    e.reply = std::move(bytes);
  } catch (const cppvisa::VisaIOError& err) {
    if (err.error_code() != cppvisa::status::ERROR_TMO) throw;
    fmt::print(stderr, "visa: {}: no reply within the timeout (recorded as a command without reply)\n",
               cppvisa::show_bytes(command));
  }
  return e;
}

// The recording of `resource` (or of the only resource) in a JSON-lines trace file.
cppvisa::SessionRecording from_trace(const RecordOptions& o) {
  std::ifstream f(o.trace, std::ios::binary);
  if (!f) throw cppvisa::Error(fmt::format("cannot read {}", o.trace));
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto recordings = cppvisa::recordings_from_trace(text);
  std::string names;
  for (auto& r : recordings) {
    if (r.resource == o.resource) return r;
    names += (names.empty() ? "" : ", ") + r.resource;
  }
  if (o.resource.empty() && recordings.size() == 1) return recordings.front();
  if (recordings.empty()) throw cppvisa::Error(fmt::format("{} holds no message written to a resource", o.trace));
  throw cppvisa::Error(fmt::format("{}: {}; the trace has: {}", o.trace,
                                   o.resource.empty() ? "several resources, name one" : "no message to " + o.resource,
                                   names));
}

void write_device(const RecordOptions& o, const cppvisa::SessionRecording& rec);

int run(const RecordOptions& o) {
  if (!o.trace.empty()) {
    if (!o.commands.empty()) {
      fmt::print(stderr, "visa: record --from-trace takes no commands (the trace has them)\n");
      return exit_usage;
    }
    write_device(o, from_trace(o));
    return 0;
  }
  if (o.resource.empty()) {
    fmt::print(stderr, "visa: record needs a RESOURCE (or --from-trace FILE)\n");
    return exit_usage;
  }
  cppvisa::ResourceManager rm(o.open.backend);
  auto r = open_message_based(rm, o.resource, o.open);
  cppvisa::SessionRecording rec;
  rec.resource = o.resource;
  rec.write_termination = r->write_termination();
  rec.read_termination = r->read_termination();
  auto one = [&](const std::string& typed) {
    auto e = send_and_record(*r, cppvisa::unescape(typed));
    if (e.reply && !o.json) {
      std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(e.reply->data()),
                                   reinterpret_cast<const std::byte*>(e.reply->data() + e.reply->size()));
      fmt::print("{}", cppvisa::is_text(bytes) ? *e.reply + "\n" : cppvisa::hex_dump(bytes));
    }
    rec.exchanges.push_back(std::move(e));
  };
  if (!o.commands.empty()) {
    for (auto& c : o.commands) one(c);
  } else {  // one message per line of standard input (a person typing, or a script)
    bool tty = isatty(STDIN_FILENO);
    std::string line;
    while (true) {
      if (tty) fmt::print(stderr, "record> ");
      if (!std::getline(std::cin, line)) break;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) one(line);
    }
    if (tty) fmt::print(stderr, "\n");
  }
  write_device(o, rec);
  return 0;
}

void write_device(const RecordOptions& o, const cppvisa::SessionRecording& rec) {
  cppvisa::SimDeviceSummary summary;
  std::string yaml = cppvisa::sim_device_yaml(rec, o.device, &summary);
  if (o.out == "-") {
    fmt::print("{}", yaml);
  } else {
    std::ofstream f(o.out, std::ios::binary | std::ios::trunc);
    f << yaml;
    f.close();
    if (!f) throw cppvisa::Error(fmt::format("cannot write {}", o.out));
  }
  std::string properties, notes;
  for (auto& p : summary.properties) properties += (properties.empty() ? "" : ",") + cppvisa::json_quote(p);
  for (auto& n : summary.notes) notes += (notes.empty() ? "" : ",") + cppvisa::json_quote(n);
  if (o.json && o.out != "-") {
    fmt::print(R"({{"file":{},"messages":{},"dialogues":{},"properties":[{}],"error":{},"notes":[{}]}})" "\n",
               cppvisa::json_quote(o.out), rec.exchanges.size(), summary.dialogues, properties,
               summary.error ? cppvisa::json_quote(*summary.error) : "null", notes);
  } else {
    fmt::print(stderr, "visa: {} messages recorded into {}: {} dialogues, properties [{}], error reply {}\n",
               rec.exchanges.size(), o.out == "-" ? "stdout" : o.out, summary.dialogues, properties,
               summary.error ? cppvisa::show_bytes(*summary.error) : "none seen");
    for (auto& n : summary.notes) fmt::print(stderr, "visa: note: {}\n", n);
  }
}

}  // namespace

Subcommand add_record(CLI::App& app) {
  auto o = std::make_shared<RecordOptions>();
  auto* sub = app.add_subcommand(
      "record", "Send commands (or read a trace) and record the session as a simulated device (PyVISA-sim YAML)");
  sub->add_option("resource", o->resource, "resource name or alias (with --from-trace: which of the trace's)");
  sub->add_option("commands", o->commands,
                  "messages to send (\\ escapes allowed; those with '?' wait for a reply); none: one per line of stdin");
  sub->add_option("-o,--out", o->out, "the YAML file to write (- for stdout)")->required();
  sub->add_option("--from-trace", o->trace,
                  "make the device from a JSON-lines I/O trace (CPPVISA_TRACE=FILE.jsonl, CPPVISA_TRACE_DATA=0) "
                  "instead of talking to the instrument");
  sub->add_option("--device", o->device, "the device's name in the file")->capture_default_str();
  add_open_options(*sub, o->open);
  sub->add_flag("--json", o->json, "what was recorded as JSON");
  return {sub, [o] { return run(*o); }};
}

}  // namespace visa_tool
