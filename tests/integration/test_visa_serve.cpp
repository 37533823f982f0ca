// visa-serve end to end: serve simulated instruments over a raw socket and VXI-11, talk to them
// with the native backend, stop with SIGINT and check the clean exit.
#include "backends/native/native_backend.hpp"
#include "integration/fake_device.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace cppvisa {
namespace {

using testing::bytes_of;
using testing::text_of;

/// visa-serve as a child process with its stdout on a pipe.
class VisaServeProcess {
 public:
  explicit VisaServeProcess(std::vector<std::string> args) {
    std::string binary = std::string(CPPVISA_BINARY_DIR) + "/tools/visa-serve";
    if (!std::filesystem::exists(binary)) return;
    // Everything the child needs is prepared before fork (only async-signal-safe calls after it).
    args_ = std::move(args);
    std::vector<char*> argv{binary.data()};
    for (auto& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = ::fdopen(fds[0], "r");
  }
  ~VisaServeProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_) std::fclose(out_);
  }
  bool started() const { return pid_ > 0 && out_; }
  /// The next line printed (empty at end of output).
  std::string line() {
    char buffer[1024];
    if (!out_ || !std::fgets(buffer, sizeof buffer, out_)) return {};
    std::string s(buffer);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }
  /// Sends `signal` and returns the exit status (-1 when it did not exit normally).
  int stop(int signal) {
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  std::vector<std::string> args_;
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  bool reaped_ = false;
};

std::string query(Backend& b, session_t s, std::string_view command) {
  std::size_t n = 0;
  if (b.write(s, bytes_of(command), n) < 0) return "<write failed>";
  std::vector<std::byte> buffer(4096);
  status_t st = b.read(s, buffer, n);
  if (st < 0) return "<" + status_name(st) + ">";
  return text_of(std::span(buffer).first(n));
}

TEST(VisaServe, ServesSimulatedInstrumentsAndStopsCleanly) {
  VisaServeProcess serve({"--sim", "--resource", "TCPIP::sim-scope::INSTR", "--socket", "127.0.0.1:0", "--vxi11",
                          "127.0.0.1:0"});
  if (!serve.started()) GTEST_SKIP() << "visa-serve is not built";
  std::string socket_line = serve.line();
  std::string vxi11_line = serve.line();
  ASSERT_NE(socket_line.find("::SOCKET serves TCPIP::sim-scope::INSTR"), std::string::npos) << socket_line;
  ASSERT_NE(vxi11_line.find("::inst0::INSTR serves TCPIP::sim-scope::INSTR"), std::string::npos) << vxi11_line;
  std::string socket_name = socket_line.substr(0, socket_line.find(' '));
  std::string vxi11_name = vxi11_line.substr(0, vxi11_line.find(' '));  // "TCPIP::127.0.0.1:<port>::inst0::INSTR"

  auto backend = native::make_backend();
  session_t rm = 0, sock = 0, vxi = 0;
  ASSERT_EQ(backend->open_default_rm(rm), status::SUCCESS);
  ASSERT_EQ(backend->open(rm, socket_name, AccessMode::no_lock, 2000, sock), status::SUCCESS) << socket_name;
  ASSERT_EQ(backend->set_attribute(sock, attr::TERMCHAR_EN, std::int64_t{1}), status::SUCCESS);
  EXPECT_EQ(query(*backend, sock, "*IDN?\n"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
  ASSERT_EQ(backend->open(rm, vxi11_name, AccessMode::no_lock, 2000, vxi), status::SUCCESS) << vxi11_name;
  EXPECT_EQ(query(*backend, vxi, "*IDN?\n"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
  backend->close(rm);
  EXPECT_EQ(serve.stop(SIGINT), 0);
}

TEST(VisaServe, RejectsBadArguments) {
  VisaServeProcess serve({"--sim", "--vxi11", "not-an-endpoint"});
  if (!serve.started()) GTEST_SKIP() << "visa-serve is not built";
  EXPECT_EQ(serve.line(), "");  // nothing served
  EXPECT_EQ(serve.stop(0), 2);  // signal 0: just reap the exit status
}

}  // namespace
}  // namespace cppvisa
