// visa-info: cppvisa's version, the backends available with their libraries, and the resources
// each finds (like pyvisa-info).
#include <cppvisa/cppvisa.hpp>
#include <cppvisa/resource_manager.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <sys/utsname.h>

#include <iostream>

namespace {

void print_backend(const std::string& spec, const std::string& label, const std::string& query) {
  fmt::print("   {}:\n", label);
  try {
    auto backend = cppvisa::open_backend(spec);
    for (auto& line : backend->debug_info()) fmt::print("      {}\n", line);
    cppvisa::ResourceManager rm(backend);
    auto names = rm.list_resources(query);
    if (names.empty()) {
      fmt::print("      Resources: none found\n");
    } else {
      fmt::print("      Resources:\n");
      for (auto& n : names) fmt::print("         {}\n", n);
    }
  } catch (const std::exception& e) {
    fmt::print("      Could not instantiate backend\n      -> {}\n", e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Print cppvisa's version, its backends and the resources they find."};
  std::string query = "?*";
  std::vector<std::string> backends;
  app.add_option("-q,--query", query, "VISA resource expression to list (default: every resource)");
  app.add_option("-b,--backend", backends, "backend specifications to show (default: every available backend)");
  CLI11_PARSE(app, argc, argv);

  utsname u{};
  uname(&u);
  fmt::print("Machine Details:\n   Platform ID:    {} {} {}\n   Processor:      {}\n\n", u.sysname, u.release,
             u.version, u.machine);
  fmt::print("cppvisa Version: {}\n\n", cppvisa::version_string);
  fmt::print("Backends:\n");
  if (backends.empty()) {
    for (auto& name : cppvisa::list_backends()) print_backend("@" + name, name, query);
  } else {
    for (auto& spec : backends) print_backend(spec, spec, query);
  }
  return 0;
}
