// visa-info: cppvisa's version, the backends available with their libraries, and the resources
// each finds (like pyvisa-info). `visa info` prints the same report (cppvisa::system_info()).
#include <cppvisa/cppvisa.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

int main(int argc, char** argv) {
  CLI::App app{"Print cppvisa's version, its backends and the resources they find (as `visa info`)."};
  std::string query = "?*";
  std::vector<std::string> backends;
  app.add_option("-q,--query", query, "VISA resource expression to list (default: every resource)");
  app.add_option("-b,--backend", backends, "backend specifications to show (default: every available backend)");
  app.set_version_flag("--version", std::string("visa-info (cppvisa) ") + cppvisa::version_string);
  CLI11_PARSE(app, argc, argv);

  auto info = cppvisa::system_info(query, backends);
  fmt::print("Machine Details:\n   Platform ID:    {}\n   Processor:      {}\n\n", info.platform, info.processor);
  fmt::print("cppvisa Version: {}\n\n", info.version);
  fmt::print("Backends:\n");
  for (auto& b : info.backends) {
    std::string label = b.specification.starts_with('@') && backends.empty() ? b.specification.substr(1) : b.specification;
    fmt::print("   {}:\n", label);
    if (!b.available) {
      fmt::print("      Could not instantiate backend\n      -> {}\n", b.error);
      continue;
    }
    for (auto& line : b.details) fmt::print("      {}\n", line);
    if (!b.list_error.empty()) {
      fmt::print("      Resources: could not list\n      -> {}\n", b.list_error);
    } else if (b.resources.empty()) {
      fmt::print("      Resources: none found\n");
    } else {
      fmt::print("      Resources:\n");
      for (auto& n : b.resources) fmt::print("         {}\n", n);
    }
  }
  return 0;
}
