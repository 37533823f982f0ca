// visa trace [-o FILE] [--json] -- PROGRAM ARGS...: runs a program with CPPVISA_TRACE set, so that
// every VISA operation it makes through cppvisa or libvisa.so is recorded (docs/tools.md).
#include "common.hpp"

#include <fmt/format.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace visa_tool {
namespace {

struct TraceOptions {
  std::string out = "-";
  bool json = false;
  std::string data_limit;
};

int run(const TraceOptions& o, std::vector<std::string> command) {
  if (command.empty()) throw cppvisa::Error("no program to run: visa trace [-o FILE] -- PROGRAM ARGS...");
  std::string path = o.out;
  if (path != "-" && !path.starts_with('/')) {  // the program may change directory
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) != nullptr) path = std::string(cwd) + "/" + path;
  }
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) throw cppvisa::Error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    setenv("CPPVISA_TRACE", path == "-" ? "stderr" : path.c_str(), 1);
    setenv("CPPVISA_TRACE_FORMAT", o.json ? "json" : "text", 1);
    if (!o.data_limit.empty()) setenv("CPPVISA_TRACE_DATA", o.data_limit.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : command) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    fmt::print(stderr, "visa trace: cannot run {}: {}\n", command[0], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw cppvisa::Error(fmt::format("waitpid: {}", std::strerror(errno)));
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);  // the program's own status
}

}  // namespace

Subcommand add_trace(CLI::App& app) {
  auto o = std::make_shared<TraceOptions>();
  auto* sub = app.add_subcommand("trace", "Run a program and record every VISA operation it makes (its exit status is returned)");
  sub->add_option("-o,--out", o->out, "the trace file (appended to; - for stderr)")->capture_default_str();
  sub->add_flag("--json", o->json, "JSON lines instead of text lines");
  sub->add_option("--data", o->data_limit, "bytes of data shown per record (0: all; default 128)");
  auto command = std::make_shared<std::vector<std::string>>();
  // After "--" every argument is positional: PROGRAM's options stay its own.
  sub->add_option("command", *command, "-- PROGRAM ARGS...")->required();
  sub->footer("Example: visa trace -o io.log -- python3 script.py   (PyVISA: PYVISA_LIBRARY=.../libvisa.so)");
  return {sub, [o, command] { return run(*o, *command); }};
}

}  // namespace visa_tool
