// visa info [--json]: what visa-info prints (cppvisa::system_info()).
#include "common.hpp"

#include <fmt/format.h>

namespace visa_tool {

Subcommand add_info(CLI::App& app) {
  struct Options {
    std::string query = "?*";
    std::vector<std::string> backends;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* sub = app.add_subcommand("info", "Show the machine, cppvisa's version, the backends and their resources (visa-info)");
  sub->add_option("-q,--query", o->query, "VISA resource expression to list")->capture_default_str();
  sub->add_option("-b,--backend", o->backends, "backends to show (default: every one)");
  sub->add_flag("--json", o->json, "the report as JSON");
  return {sub, [o] {
            auto info = cppvisa::system_info(o->query, o->backends);
            fmt::print("{}", o->json ? cppvisa::to_json(info) + "\n" : cppvisa::to_text(info));
            return 0;
          }};
}

}  // namespace visa_tool
