// visa-shell: an interactive shell to talk to instruments (pyvisa-shell's commands), with line
// editing, history and TAB completion when built with libedit.
#include "line_input.hpp"
#include "shell.hpp"

#include <cppvisa/cppvisa.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdlib>

namespace {

// ~/.visa_shell_history, or $VISA_SHELL_HISTORY ("" = no history file).
std::string history_file() {
  if (const char* path = std::getenv("VISA_SHELL_HISTORY")) return path;
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::string(home) + "/.visa_shell_history";
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Talk to instruments interactively (the commands of pyvisa-shell: list, open, query, "
               "read, write, attr, termchar, timeout, close, exit; help lists them)."};
  std::string backend;
  app.add_option("-b,--backend", backend,
                 "backend specification: @native, @sim, FILE.yaml@sim, @ivi or a VISA library path (default: as "
                 "open_backend chooses, CPPVISA_LIBRARY/PYVISA_LIBRARY first)");
  app.set_version_flag("--version", std::string("visa-shell (cppvisa) ") + cppvisa::version_string);
  app.footer("Environment: VISA_SHELL_HISTORY (history file; empty for none), CPPVISA_TRACE (I/O trace).");
  CLI11_PARSE(app, argc, argv);

  std::unique_ptr<visa_shell::Shell> shell;
  try {
    shell = std::make_unique<visa_shell::Shell>(backend);
  } catch (const std::exception& e) {
    fmt::print(stderr, "visa-shell: cannot open backend '{}': {}\n", backend, cppvisa::error_cause(e));
    return 1;
  }
  visa_shell::LineInput input(
      [&](const std::string& line, const std::string& word) { return shell->complete(line, word); }, history_file());
  if (input.editing()) fmt::print("Welcome to visa-shell (cppvisa {}). Type help or ? to list commands.\n\n",
                                  cppvisa::version_string);
  std::fflush(stdout);
  while (auto line = input.read(shell->prompt())) {
    if (line->find_first_not_of(" \t") != std::string::npos && line->substr(line->find_first_not_of(" \t")) == "?")
      *line = "help";
    if (!shell->execute(*line)) break;
  }
  return 0;
}
