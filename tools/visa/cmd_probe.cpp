// visa probe RESOURCE: the terminations (and serial baud rate) an unknown instrument answers with.
#include "common.hpp"

#include <cppvisa/probe.hpp>

#include <fmt/format.h>

#include <unistd.h>

namespace visa_tool {
namespace {

struct ProbeCliOptions {
  std::string backend, resource;
  cppvisa::ProbeOptions probe;
  std::vector<std::string> framings;
  double try_ms = 500, total_s = 60;
  bool json = false;
};

int run(ProbeCliOptions& o) {
  cppvisa::ResourceManager rm(o.backend);
  o.probe.try_timeout = std::chrono::milliseconds(static_cast<long>(o.try_ms));
  o.probe.total_timeout = std::chrono::milliseconds(static_cast<long>(o.total_s * 1000));
  if (!o.framings.empty()) {
    o.probe.framings.clear();
    for (auto& f : o.framings) o.probe.framings.push_back(cppvisa::parse_framing(f));
  }
  if (isatty(STDERR_FILENO)) {  // progress for a person; nothing in a pipe or a log
    auto start = std::chrono::steady_clock::now();
    o.probe.progress = [start, bound = o.total_s, n = 0](const std::string& what) mutable {
      std::chrono::duration<double> spent = std::chrono::steady_clock::now() - start;
      fmt::print(stderr, "\r\033[Ktry {}: {} ({:.0f} of at most {:.0f} s)", ++n, what, spent.count(), bound);
    };
  }
  auto result = cppvisa::probe(rm, o.resource, o.probe);
  if (isatty(STDERR_FILENO)) fmt::print(stderr, "\r\033[K");
  if (o.json) {
    std::string notes;
    for (auto& n : result.notes) notes += (notes.empty() ? "" : ",") + cppvisa::json_quote(n);
    fmt::print(R"({{"found":{},"write_termination":{},"read_termination":{},"baud_rate":{},"framing":{},"reply":{},"tries":{},)"
               R"("timed_out":{},"notes":[{}]}})" "\n",
               result.found ? "true" : "false", cppvisa::json_quote(result.write_termination),
               cppvisa::json_quote(result.read_termination),
               result.baud_rate ? std::to_string(*result.baud_rate) : "null",
               result.framing ? cppvisa::json_quote(cppvisa::framing_name(*result.framing)) : "null",
               cppvisa::json_quote(result.reply),
               result.tries, result.timed_out ? "true" : "false", notes);
  } else {
    for (auto& n : result.notes) fmt::print("  {}\n", n);
    if (result.found) {
      fmt::print("{} answers {} to {} with write termination {}, read termination {}{}:\n", o.resource,
                 cppvisa::show_bytes(result.reply), o.probe.command, cppvisa::termination_name(result.write_termination),
                 cppvisa::termination_name(result.read_termination),
                 result.baud_rate ? fmt::format(", {} baud {}", *result.baud_rate, cppvisa::framing_name(*result.framing))
                                  : std::string());
      for (auto& line : cppvisa::probe_snippets(o.resource, result)) fmt::print("  {}\n", line);
    }
  }
  if (!result.found) {
    fmt::print(stderr, "visa: {} gave no plain-text reply to {} in {} tries{}\n", o.resource, o.probe.command,
               result.tries, result.timed_out ? " (total time bound reached)" : "");
    return exit_failure;
  }
  return 0;
}

}  // namespace

Subcommand add_probe(CLI::App& app) {
  auto o = std::make_shared<ProbeCliOptions>();
  auto* sub = app.add_subcommand("probe", "Find the terminations (and serial baud rate) an instrument answers with");
  sub->add_option("resource", o->resource, "resource name or alias")->required();
  sub->add_option("-c,--command", o->probe.command, "the query to send")->capture_default_str();
  sub->add_option("--baud", o->probe.baud_rates, "serial baud rates to try, in order (default 9600 19200 115200 ...)");
  sub->add_option("--framing", o->framings, "serial framings to try, in order (default 8N1 7E1 7O1)")
      ->check(check_framing);
  sub->add_option("--try-timeout", o->try_ms, "ms to wait for each reply")->capture_default_str();
  sub->add_option("--max-time", o->total_s, "seconds for the whole probe")->capture_default_str();
  add_backend_option(*sub, o->backend);
  sub->add_flag("--json", o->json, "the result as JSON");
  return {sub, [o] { return run(*o); }};
}

}  // namespace visa_tool
