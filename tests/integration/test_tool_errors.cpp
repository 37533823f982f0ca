// The tools exit non-zero on failure and name the real problem (a bad expression, an address in
// use, an unknown backend); CPPVISA_LOG makes any cppvisa program write its debug log.
#include "protocols/net/socket.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace cppvisa {
namespace {

struct Run {
  int status = -1;     // exit status (-1: did not exit normally)
  std::string output;  // stdout and stderr
};

std::string tool(const char* name) { return std::string(CPPVISA_BINARY_DIR) + "/tools/" + name; }

/// Runs `binary` with `args` (and `env` added), stdout and stderr captured, at most 20 s.
Run run(const std::string& binary, std::vector<std::string> args, std::vector<std::string> env = {}) {
  Run r;
  std::vector<char*> argv{const_cast<char*>(binary.c_str())};
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe(fds) != 0) return r;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    for (auto& e : env) ::putenv(e.data());
    ::alarm(20);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) r.output.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool built(const char* name) { return std::filesystem::exists(tool(name)); }

}  // namespace

TEST(ToolErrors, VisaInfoNamesABadExpressionAndFailsForABadBackend) {
  if (!built("visa-info")) GTEST_SKIP() << "visa-info is not built";
  auto bad = run(tool("visa-info"), {"-q", "?*["});
  EXPECT_EQ(bad.status, 2) << bad.output;
  EXPECT_NE(bad.output.find("bad --query expression '?*['"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("without a closing ']'"), std::string::npos) << bad.output;
  EXPECT_EQ(bad.output.find("Could not instantiate backend"), std::string::npos) << bad.output;

  auto unknown = run(tool("visa-info"), {"-b", "@nope"});
  EXPECT_EQ(unknown.status, 1) << unknown.output;
  EXPECT_NE(unknown.output.find("unknown backend '@nope'"), std::string::npos) << unknown.output;

  auto sim = run(tool("visa-info"), {"-b", "@sim"});
  EXPECT_EQ(sim.status, 0) << sim.output;
}

TEST(ToolErrors, VisaServeSaysTheAddressIsInUse) {
  if (!built("visa-serve")) GTEST_SKIP() << "visa-serve is not built";
  net::TcpListener busy;
  ASSERT_EQ(busy.open("127.0.0.1", 0), status::SUCCESS);
  const std::string at = "127.0.0.1:" + std::to_string(busy.port());
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--sim", "--socket", at},
           {"--sim", "--vxi11", at},
           {"--sim", "--hislip", at},
           {"--sim", "--vxi11", "127.0.0.1:0", "--portmapper", at}}) {
    auto r = run(tool("visa-serve"), args);
    EXPECT_EQ(r.status, 1) << args[1] << ": " << r.output;
    EXPECT_NE(r.output.find("Address already in use"), std::string::npos) << args[1] << ": " << r.output;
    EXPECT_NE(r.output.find(at), std::string::npos) << args[1] << ": " << r.output;
  }
}

TEST(ToolErrors, CppvisaLogWritesTheDebugLogOfAnyProgram) {
  if (!built("visa-info")) GTEST_SKIP() << "visa-info is not built";
  char path[] = "/tmp/cppvisa-tool-log-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto r = run(tool("visa-info"), {"-b", "@sim"}, {std::string("CPPVISA_LOG=debug:") + path});
  EXPECT_EQ(r.status, 0) << r.output;
  std::ifstream in(path);
  std::stringstream log;
  log << in.rdbuf();
  std::remove(path);
  EXPECT_NE(log.str().find("[backend] opening @sim"), std::string::npos) << log.str();
  EXPECT_EQ(r.output.find("[backend]"), std::string::npos) << "the log went to the file, not the output";

  auto to_stderr = run(tool("visa-info"), {"-b", "@sim"}, {"CPPVISA_LOG=debug"});
  EXPECT_NE(to_stderr.output.find("[backend] opening @sim"), std::string::npos) << to_stderr.output;
  auto off = run(tool("visa-info"), {"-b", "@sim"});
  EXPECT_EQ(off.output.find("[backend]"), std::string::npos) << off.output;
}

}  // namespace cppvisa
