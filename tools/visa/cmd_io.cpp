// visa query | write | read RESOURCE ...
#include "common.hpp"

#include <fmt/format.h>

#include <unistd.h>

namespace visa_tool {
namespace {

struct IoOptions {
  OpenSettings open;
  std::string resource;
  std::vector<std::string> commands;
  bool json = false;
  bool raw = false;  // replies' bytes as they are on stdout
  std::size_t count = 0;  // read: bytes to read (0 = one message)
};

void print_reply(const IoOptions& o, cppvisa::MessageBasedResource& r, const std::string& command,
                 const std::vector<std::byte>& reply, bool& first) {
  if (o.json) {
    fmt::print("{}{{{}{}}}", first ? "" : ",\n ",
               command.empty() ? std::string() : fmt::format(R"("command":{},)", cppvisa::json_quote(command)),
               reply_json(r, reply));
  } else if (o.raw) {
    std::fwrite(reply.data(), 1, reply.size(), stdout);
  } else {
    fmt::print("{}", reply_text(r, reply));
  }
  first = false;
}

int query(const IoOptions& o) {
  cppvisa::ResourceManager rm(o.open.backend);
  auto r = open_message_based(rm, o.resource, o.open);
  bool first = true;
  if (o.json) fmt::print("[");
  for (auto& c : o.commands) {
    std::string command = cppvisa::unescape(c);
    r->write(command);
    std::vector<std::byte> reply;
    {
      cppvisa::TerminalProgress progress;  // its line is gone before the reply is printed
      reply = cppvisa::read_reply(*r, progress.callback());
    }
    print_reply(o, *r, command, reply, first);
  }
  if (o.json) fmt::print("]\n");
  return 0;
}

int write(const IoOptions& o) {
  cppvisa::ResourceManager rm(o.open.backend);
  auto r = open_message_based(rm, o.resource, o.open);
  std::size_t total = 0;
  for (auto& c : o.commands) total += r->write(cppvisa::unescape(c));
  if (o.json) fmt::print(R"({{"resource":{},"messages":{},"bytes":{}}})" "\n", cppvisa::json_quote(o.resource),
                         o.commands.size(), total);
  return 0;
}

int read(const IoOptions& o) {
  cppvisa::ResourceManager rm(o.open.backend);
  auto r = open_message_based(rm, o.resource, o.open);
  std::vector<std::byte> reply;
  {
    cppvisa::TerminalProgress progress;
    reply = o.count > 0 ? r->read_bytes(o.count) : cppvisa::read_reply(*r, progress.callback());
  }
  bool first = true;
  if (o.json) fmt::print("[");
  print_reply(o, *r, "", reply, first);
  if (o.json) fmt::print("]\n");
  return 0;
}

CLI::App* add_io(CLI::App& app, const char* name, const char* help, IoOptions& o, bool with_commands) {
  auto* sub = app.add_subcommand(name, help);
  sub->add_option("resource", o.resource, "resource name or alias")->required();
  if (with_commands)
    sub->add_option("commands", o.commands, "messages, each sent with the write termination (\\ escapes allowed)")
        ->required();
  add_open_options(*sub, o.open);
  sub->add_flag("--json", o.json, "the result as JSON");
  return sub;
}

}  // namespace

Subcommand add_query(CLI::App& app) {
  auto o = std::make_shared<IoOptions>();
  auto* sub = add_io(app, "query", "Send each command and print its reply (binary replies as hex)", *o, true);
  sub->add_flag("--raw", o->raw, "write the replies' bytes to stdout as they are");
  return {sub, [o] { return query(*o); }};
}

Subcommand add_write(CLI::App& app) {
  auto o = std::make_shared<IoOptions>();
  auto* sub = add_io(app, "write", "Send each command", *o, true);
  return {sub, [o] { return write(*o); }};
}

Subcommand add_read(CLI::App& app) {
  auto o = std::make_shared<IoOptions>();
  auto* sub = add_io(app, "read", "Read one message and print it (binary as hex)", *o, false);
  sub->add_option("-n,--count", o->count, "read exactly this many bytes instead of one message");
  sub->add_flag("--raw", o->raw, "write the bytes to stdout as they are");
  return {sub, [o] { return read(*o); }};
}

}  // namespace visa_tool
