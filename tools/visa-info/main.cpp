// visa-info: cppvisa's version, the backends available with their libraries, and the resources
// each finds (like pyvisa-info), with what LAN discovery told of each instrument (how it was found,
// its identity) and, with --identify, the instruments' own *IDN? answers. The same report as
// `visa info` (cppvisa::system_info()).
#include <cppvisa/cppvisa.hpp>
#include <cppvisa/resource_query.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

// Exit status: 0 when the backends shown work, 1 when one failed (a backend named with -b that
// cannot be opened, or listing resources failed), 2 for a bad command line or query expression.
int main(int argc, char** argv) {
  CLI::App app{"Print cppvisa's version, its backends and the resources they find (as `visa info`)."};
  std::string query = "?*";
  std::vector<std::string> backends;
  bool json = false;
  app.add_option("-q,--query", query, "VISA resource expression to list (default: every resource)");
  app.add_option("-b,--backend", backends, "backend specifications to show (default: every available backend)");
  app.add_flag("--json", json, "the report as JSON");
  app.set_version_flag("--version", std::string("visa-info (cppvisa) ") + cppvisa::version_string);
  bool no_discovery = false, ask_idn = false;
  int discovery_ms = -1;
  app.add_flag("--no-discovery", no_discovery, "no LAN discovery (as CPPVISA_DISCOVERY=off)");
  app.add_option("--discovery-timeout", discovery_ms, "deadline of the listing in ms (CPPVISA_DISCOVERY_TIMEOUT_MS)")
      ->check(CLI::Range(0, 600000));
  app.add_flag("--identify", ask_idn, "ask every listed instrument *IDN? (opens each one)");
  CLI11_PARSE(app, argc, argv);
  auto options = cppvisa::discovery_options();
  if (no_discovery) options.lan = false;
  if (discovery_ms >= 0) options.deadline = std::chrono::milliseconds(discovery_ms);
  cppvisa::set_discovery_options(options);
  // A malformed expression is the user's mistake, not a backend's: said once, before anything.
  try {
    cppvisa::ResourceQuery check(query);
  } catch (const cppvisa::VisaIOError& e) {
    fmt::print(stderr, "visa-info: bad --query expression '{}': {} ({})\n", query,
               e.detail().empty() ? e.description() : e.detail(), e.abbreviation());
    return 2;
  }

  auto info = cppvisa::system_info(query, backends, ask_idn);
  fmt::print("{}", json ? cppvisa::to_json(info) + "\n" : cppvisa::to_text(info));
  std::fflush(stdout);
  // Every backend this build has is shown when none is named: one that cannot be opened here (no
  // vendor VISA for @ivi) is shown with the reason and is not a failure; listing resources failing is.
  bool ok = true;
  for (const auto& b : info.backends)
    if (!b.list_error.empty() || (!backends.empty() && !b.available)) ok = false;
  if (!ok) fmt::print(stderr, "visa-info: a backend failed (see above)\n");
  return ok ? 0 : 1;
}
