// visa: instrument control from the command line and from scripts (list, query, write, read,
// info, bench, trace). Exit status 0 on success, 1 with the cause on stderr when an operation
// fails, 2 for bad arguments; --json on every listing and result.
#include "common.hpp"

#include <fmt/format.h>

int main(int argc, char** argv) {
  CLI::App app{"Talk to instruments from the command line: list resources, query, write, read, show the "
               "installation, benchmark, trace the VISA calls of a program."};
  app.set_version_flag("--version", std::string("visa (cppvisa) ") + cppvisa::version_string);
  app.require_subcommand(0, 1);
  app.footer("Run `visa SUBCOMMAND --help` for a subcommand's options. See visa(1) and docs/tools.md.");
  std::vector<visa_tool::Subcommand> subcommands = {
      visa_tool::add_list(app),  visa_tool::add_info(app),  visa_tool::add_query(app), visa_tool::add_write(app),
      visa_tool::add_read(app),  visa_tool::add_bench(app), visa_tool::add_trace(app), visa_tool::add_probe(app),
      visa_tool::add_record(app), visa_tool::add_plot(app),
      visa_tool::add_screenshot(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : visa_tool::exit_usage;
  }
  for (auto& s : subcommands) {
    if (s.app->parsed()) {
      try {
        return s.run();
      } catch (const std::exception& e) {
        return visa_tool::fail(e);
      }
    }
  }
  fmt::print(stderr, "visa: a subcommand is required (list, query, write, read, info, bench, trace, probe, record, plot, screenshot); see visa --help\n");
  return visa_tool::exit_usage;
}
