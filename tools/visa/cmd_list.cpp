// visa list [QUERY] [--info] [--idn] [--json]
#include "common.hpp"

#include <fmt/format.h>

namespace visa_tool {
namespace {

struct ListOptions {
  std::string backend;
  std::string query = "?*::INSTR";
  bool info = false;
  bool idn = false;
  bool json = false;
  double idn_timeout_ms = 2000;
};

struct Row {
  std::string name, interface, board, resource_class, alias, idn, idn_error;
};

std::string ask_idn(cppvisa::ResourceManager& rm, const std::string& name, double timeout_ms, std::string& error) {
  try {
    OpenSettings s;
    s.timeout_ms = timeout_ms;
    auto r = open_message_based(rm, name, s);
    return r->query("*IDN?");
  } catch (const std::exception& e) {
    error = cppvisa::error_cause(e);
    return {};
  }
}

int run(const ListOptions& o) {
  cppvisa::ResourceManager rm(o.backend);
  std::vector<Row> rows;
  for (auto& [name, info] : rm.list_resources_info(o.query)) {
    Row row;
    row.name = name;
    std::error_code ec;
    if (auto parsed = cppvisa::ResourceName::parse(name, ec)) row.interface = parsed->interface_name;
    row.board = info.interface_board_number ? std::to_string(*info.interface_board_number) : "";
    row.resource_class = info.resource_class;
    row.alias = info.alias;
    if (o.idn) row.idn = ask_idn(rm, name, o.idn_timeout_ms, row.idn_error);
    rows.push_back(std::move(row));
  }
  if (o.json) {
    std::string out = "[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      auto& r = rows[i];
      out += i ? ",\n " : "";
      out += fmt::format(R"({{"name":{})", cppvisa::json_quote(r.name));
      if (o.info)
        out += fmt::format(R"(,"interface":{},"board":{},"class":{},"alias":{})", cppvisa::json_quote(r.interface),
                           r.board.empty() ? "null" : r.board, cppvisa::json_quote(r.resource_class),
                           r.alias.empty() ? "null" : cppvisa::json_quote(r.alias));
      if (o.idn)
        out += r.idn_error.empty() ? fmt::format(R"(,"idn":{})", cppvisa::json_quote(r.idn))
                                   : fmt::format(R"(,"idn":null,"idn_error":{})", cppvisa::json_quote(r.idn_error));
      out += "}";
    }
    fmt::print("{}]\n", out);
    return 0;
  }
  if (!o.info && !o.idn) {
    for (auto& r : rows) fmt::print("{}\n", r.name);
    return 0;
  }
  std::size_t width = 8;
  for (auto& r : rows) width = std::max(width, r.name.size());
  std::string header = fmt::format("{:<{}}", "RESOURCE", width);
  if (o.info) header += fmt::format("  {:<9} {:<5} {:<7} {}", "INTERFACE", "BOARD", "CLASS", "ALIAS");
  if (o.idn) header += "  IDN";
  fmt::print("{}\n", header);
  for (auto& r : rows) {
    std::string line = fmt::format("{:<{}}", r.name, width);
    if (o.info)
      line += fmt::format("  {:<9} {:<5} {:<7} {}", r.interface, r.board.empty() ? "-" : r.board, r.resource_class,
                          r.alias.empty() ? "-" : r.alias);
    if (o.idn) line += "  " + (r.idn_error.empty() ? r.idn : "(" + r.idn_error + ")");
    fmt::print("{}\n", line);
  }
  return 0;
}

}  // namespace

Subcommand add_list(CLI::App& app) {
  auto o = std::make_shared<ListOptions>();
  auto* sub = app.add_subcommand("list", "List the resources matching a VISA resource expression");
  sub->add_option("query", o->query, "VISA resource expression")->capture_default_str();
  add_backend_option(*sub, o->backend);
  sub->add_flag("-i,--info", o->info, "columns: interface, board, class, alias");
  sub->add_flag("--idn", o->idn, "ask each resource *IDN? (an instrument that does not answer shows why)");
  sub->add_option("--idn-timeout", o->idn_timeout_ms, "ms to wait for each *IDN? reply")->capture_default_str();
  sub->add_flag("--json", o->json, "a JSON array of objects");
  return {sub, [o] { return run(*o); }};
}

}  // namespace visa_tool
