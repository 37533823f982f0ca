// visa-info: cppvisa's version, the backends available with their libraries, and the resources
// each finds (like pyvisa-info). The same report as `visa info` (cppvisa::system_info()).
#include <cppvisa/cppvisa.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

int main(int argc, char** argv) {
  CLI::App app{"Print cppvisa's version, its backends and the resources they find (as `visa info`)."};
  std::string query = "?*";
  std::vector<std::string> backends;
  bool json = false;
  app.add_option("-q,--query", query, "VISA resource expression to list (default: every resource)");
  app.add_option("-b,--backend", backends, "backend specifications to show (default: every available backend)");
  app.add_flag("--json", json, "the report as JSON");
  app.set_version_flag("--version", std::string("visa-info (cppvisa) ") + cppvisa::version_string);
  CLI11_PARSE(app, argc, argv);
  auto info = cppvisa::system_info(query, backends);
  fmt::print("{}", json ? cppvisa::to_json(info) + "\n" : cppvisa::to_text(info));
  return 0;
}
