// visa-serve end to end: serve simulated instruments over a raw socket and VXI-11, talk to them
// with the native backend, stop with SIGINT and check the clean exit.
#include "backends/native/native_backend.hpp"
#include "integration/fake_device.hpp"
#include "protocols/net/socket.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>
#include <sys/wait.h>
#include <thread>
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

/// Reads until `total` bytes came (or an error), with termination characters off.
std::string read_exactly(Backend& b, session_t s, std::size_t total) {
  std::string out;
  std::vector<std::byte> buffer(65536);
  while (out.size() < total) {
    std::size_t n = 0;
    status_t st = b.read(s, std::span(buffer).first(std::min(buffer.size(), total - out.size())), n);
    out += text_of(std::span(buffer).first(n));
    if (st < 0) return out + "<" + status_name(st) + ">";
  }
  return out;
}

bool write_all(Backend& b, session_t s, std::string_view data) {
  std::size_t n = 0;
  return b.write(s, bytes_of(data), n) >= 0 && n == data.size();
}

// One instrument served over VXI-11 and a raw socket at once, a VXI-11 link open after a large
// binary transfer. The socket client sends two program messages in one TCP segment (as happens
// when the server reads the socket later than PyVISA writes ":WAV:POIN" then "CURV?"): the server
// must hand the device two messages, not one unknown ":WAV:POIN 1000\nCURV?" (which timed out).
TEST(VisaServe, SocketSplitsProgramMessagesWhileVxi11LinkIsOpen) {
  VisaServeProcess serve({"--backend", "@sim", "--resource", "TCPIP0::sim-scope::inst0::INSTR", "--socket",
                          "127.0.0.1:0", "--vxi11", "127.0.0.1:0"});
  if (!serve.started()) GTEST_SKIP() << "visa-serve is not built";
  std::string socket_line = serve.line();
  std::string vxi11_line = serve.line();
  ASSERT_NE(socket_line.find("::SOCKET serves "), std::string::npos) << socket_line;
  ASSERT_NE(vxi11_line.find("::inst0::INSTR serves "), std::string::npos) << vxi11_line;
  std::string socket_name = socket_line.substr(0, socket_line.find(' '));
  std::string vxi11_name = vxi11_line.substr(0, vxi11_line.find(' '));

  auto backend = native::make_backend();
  session_t rm = 0, sock = 0, vxi = 0;
  ASSERT_EQ(backend->open_default_rm(rm), status::SUCCESS);
  ASSERT_EQ(backend->open(rm, vxi11_name, AccessMode::no_lock, 2000, vxi), status::SUCCESS) << vxi11_name;
  ASSERT_EQ(backend->set_attribute(vxi, attr::TMO_VALUE, std::int64_t{10000}), status::SUCCESS);
  ASSERT_TRUE(write_all(*backend, vxi, ":WAV:POIN 1000000\n"));
  ASSERT_TRUE(write_all(*backend, vxi, "CURV?\n"));
  std::string big = read_exactly(*backend, vxi, 9 + 1000000 + 1);
  EXPECT_EQ(big.substr(0, 9), "#71000000");
  ASSERT_EQ(big.size(), 9u + 1000000 + 1) << big.substr(big.size() > 64 ? big.size() - 64 : 0);
  EXPECT_EQ(big.back(), '\n');
  ASSERT_TRUE(write_all(*backend, vxi, ":WAV:POIN 1000\n"));  // the link stays open

  ASSERT_EQ(backend->open(rm, socket_name, AccessMode::no_lock, 2000, sock), status::SUCCESS) << socket_name;
  ASSERT_EQ(backend->set_attribute(sock, attr::TMO_VALUE, std::int64_t{10000}), status::SUCCESS);
  ASSERT_TRUE(write_all(*backend, sock, ":WAV:POIN 2000\nCURV?\n"));  // two messages, one segment
  std::string small = read_exactly(*backend, sock, 6 + 2000 + 1);
  EXPECT_EQ(small.substr(0, 6), "#42000");
  ASSERT_EQ(small.size(), 6u + 2000 + 1) << small.substr(small.size() > 64 ? small.size() - 64 : 0);
  EXPECT_EQ(small.back(), '\n');
  // The same as separate writes, with a large record over the socket too.
  ASSERT_TRUE(write_all(*backend, sock, ":WAV:POIN 1000000\n"));
  ASSERT_TRUE(write_all(*backend, sock, "CURV?\n"));
  std::string large = read_exactly(*backend, sock, 9 + 1000000 + 1);
  EXPECT_EQ(large.substr(0, 9), "#71000000");
  ASSERT_EQ(large.size(), 9u + 1000000 + 1) << large.substr(large.size() > 64 ? large.size() - 64 : 0);
  EXPECT_EQ(large.back(), '\n');
  EXPECT_EQ(query(*backend, vxi, "*IDN?\n"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
  backend->close(rm);
  EXPECT_EQ(serve.stop(SIGINT), 0);
}

// --idle-timeout (issue #12 point 3): every endpoint closes a connection on which the client sends
// nothing for that long, while a client that keeps talking stays served.
TEST(VisaServe, IdleTimeoutClosesSilentConnectionsOnEveryEndpoint) {
  VisaServeProcess serve({"--sim", "--resource", "TCPIP::sim-scope::INSTR", "--socket", "127.0.0.1:0", "--vxi11",
                          "127.0.0.1:0", "--hislip", "127.0.0.1:0", "--idle-timeout", "1"});
  if (!serve.started()) GTEST_SKIP() << "visa-serve is not built";
  std::vector<std::string> names;
  std::vector<net::Socket> silent;
  for (int i = 0; i < 3; ++i) {
    std::string line = serve.line();
    ASSERT_NE(line.find(" serves "), std::string::npos) << line;
    names.push_back(line.substr(0, line.find(' ')));
    std::smatch port;  // "::5025::SOCKET", ":1024::inst0::INSTR", ",4880::INSTR"
    ASSERT_TRUE(std::regex_search(names.back(), port, std::regex("[:,]([0-9]+)::"))) << names.back();
    net::Socket s;
    ASSERT_EQ(net::connect_tcp("127.0.0.1", static_cast<std::uint16_t>(std::stoi(port[1])),
                               core::Deadline::after_ms(2000), s),
              status::SUCCESS);
    silent.push_back(std::move(s));
  }
  auto backend = native::make_backend();
  session_t rm = 0, busy = 0;
  ASSERT_EQ(backend->open_default_rm(rm), status::SUCCESS);
  ASSERT_EQ(backend->open(rm, names[0], AccessMode::no_lock, 2000, busy), status::SUCCESS) << names[0];
  ASSERT_EQ(backend->set_attribute(busy, attr::TERMCHAR_EN, std::int64_t{1}), status::SUCCESS);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) {  // 1.8 s of queries 300 ms apart: never idle for 1 s
    EXPECT_EQ(query(*backend, busy, "*IDN?\n"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  for (std::size_t i = 0; i < silent.size(); ++i) {
    SCOPED_TRACE(names[i]);
    std::byte b[64];
    std::size_t n = 0;
    status_t st = status::SUCCESS;
    while (st == status::SUCCESS) st = silent[i].recv_some(b, core::Deadline::at(start + std::chrono::seconds(4)), n);
    // At 1 s (the busy session was served meanwhile); HiSLIP: a connection that never sent its
    // Initialize is idle too.
    EXPECT_EQ(st, status::ERROR_CONN_LOST) << "still open 4 s after a 1 s idle timeout";
  }
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
