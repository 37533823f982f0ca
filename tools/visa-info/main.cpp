// visa-info: cppvisa's version, the backends available with their libraries, and the resources
// each finds (like pyvisa-info).
#include <cppvisa/cppvisa.hpp>
#include <cppvisa/resource_manager.hpp>
#include <cppvisa/resource_query.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <sys/utsname.h>

#include <iostream>

namespace {

enum class Shown { ok, unavailable, failed };

// Prints one backend and what it finds; the cause of a failure is printed.
Shown print_backend(const std::string& spec, const std::string& label, const std::string& query) {
  fmt::print("   {}:\n", label);
  std::shared_ptr<cppvisa::Backend> backend;
  try {
    backend = cppvisa::open_backend(spec);
  } catch (const std::exception& e) {
    fmt::print("      Could not instantiate backend\n      -> {}\n", e.what());
    return Shown::unavailable;
  }
  for (auto& line : backend->debug_info()) fmt::print("      {}\n", line);
  try {
    cppvisa::ResourceManager rm(backend);
    auto names = rm.list_resources(query);
    if (names.empty()) {
      fmt::print("      Resources: none found\n");
    } else {
      fmt::print("      Resources:\n");
      for (auto& n : names) fmt::print("         {}\n", n);
    }
  } catch (const std::exception& e) {
    fmt::print("      Could not list resources\n      -> {}\n", e.what());
    return Shown::failed;
  }
  return Shown::ok;
}

}  // namespace

// Exit status: 0 when the backends shown work, 1 when one failed (a backend named with -b that
// cannot be opened, or listing resources failed), 2 for a bad command line or query expression.
int main(int argc, char** argv) {
  CLI::App app{"Print cppvisa's version, its backends and the resources they find."};
  std::string query = "?*";
  std::vector<std::string> backends;
  app.add_option("-q,--query", query, "VISA resource expression to list (default: every resource)");
  app.add_option("-b,--backend", backends, "backend specifications to show (default: every available backend)");
  CLI11_PARSE(app, argc, argv);

  // A malformed expression is the user's mistake, not a backend's: said once, before anything.
  try {
    cppvisa::ResourceQuery check(query);
  } catch (const cppvisa::VisaIOError& e) {
    fmt::print(stderr, "visa-info: bad --query expression '{}': {} ({})\n", query,
               e.detail().empty() ? e.description() : e.detail(), e.abbreviation());
    return 2;
  }

  utsname u{};
  uname(&u);
  fmt::print("Machine Details:\n   Platform ID:    {} {} {}\n   Processor:      {}\n\n", u.sysname, u.release,
             u.version, u.machine);
  fmt::print("cppvisa Version: {}\n\n", cppvisa::version_string);
  fmt::print("Backends:\n");
  bool ok = true;
  if (backends.empty()) {
    // Every backend this build has: one that cannot be opened here (no vendor VISA for @ivi) is
    // shown with the reason and is not a failure; listing resources failing is.
    for (auto& name : cppvisa::list_backends())
      if (print_backend("@" + name, name, query) == Shown::failed) ok = false;
  } else {
    for (auto& spec : backends)
      if (print_backend(spec, spec, query) != Shown::ok) ok = false;
  }
  std::fflush(stdout);
  if (!ok) fmt::print(stderr, "visa-info: a backend failed (see above)\n");
  return ok ? 0 : 1;
}
