// Prologix over a serial line (PRLGX-ASRL, as a GPIB-USB adapter's FTDI port): the session opens
// the slave of a pseudo-terminal; the master side is bridged to our simulated adapter.
#include "backends/native/native_backend.hpp"
#include "integration/fake_device.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/prologix/prologix_server.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>

namespace cppvisa {
namespace {

using testing::bytes_of;
using testing::FakeDevice;
using testing::text_of;

/// Copies bytes between a pseudo-terminal's master and a TCP connection to the adapter.
class PtyBridge {
 public:
  explicit PtyBridge(std::uint16_t adapter_port) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return;
    slave_ = ::ptsname(master_);
    if (net::connect_tcp("127.0.0.1", adapter_port, core::Deadline::after_ms(2000), tcp_) != status::SUCCESS) return;
    thread_ = std::thread([this] { run(); });
  }
  ~PtyBridge() {
    stop_.wake();
    if (thread_.joinable()) thread_.join();
    if (master_ >= 0) ::close(master_);
  }
  bool ok() const { return thread_.joinable(); }
  std::string intfc() const { return "PRLGX-ASRL::" + slave_ + "::INTFC"; }

 private:
  void run() {
    char buf[65536];
    for (;;) {
      pollfd fds[3] = {{master_, POLLIN, 0}, {tcp_.fd(), POLLIN, 0}, {stop_.fd(), POLLIN, 0}};
      if (::poll(fds, 3, -1) < 0) return;
      if (fds[2].revents) return;
      if (fds[0].revents & POLLIN) {
        ssize_t n = ::read(master_, buf, sizeof buf);
        if (n > 0) tcp_.send_all(std::as_bytes(std::span(buf, static_cast<std::size_t>(n))), core::Deadline::after_ms(5000));
      } else if (fds[0].revents & POLLHUP) {
        ::poll(nullptr, 0, 5);  // the slave is closed between sessions: wait for it to come back
      }
      if (fds[1].revents & (POLLIN | POLLHUP)) {
        std::size_t n = 0;
        if (tcp_.recv_available(std::as_writable_bytes(std::span(buf)), n) != status::SUCCESS) return;
        for (std::size_t done = 0; done < n;) {
          ssize_t w = ::write(master_, buf + done, n - done);
          if (w <= 0) return;
          done += static_cast<std::size_t>(w);
        }
      }
    }
  }

  int master_ = -1;
  std::string slave_;
  net::Socket tcp_;
  net::Waker stop_;
  std::thread thread_;
};

TEST(PrologixPty, QueriesThroughASerialAdapter) {
  auto d5 = std::make_shared<FakeDevice>();
  prologix::AdapterServer server{{{5, std::nullopt, d5}}, {}};
  ASSERT_EQ(server.start(), status::SUCCESS);
  PtyBridge bridge(server.port());
  ASSERT_TRUE(bridge.ok());
  auto backend = native::make_backend();
  session_t rm = 0, intfc = 0, instr = 0;
  ASSERT_EQ(backend->open_default_rm(rm), status::SUCCESS);
  ASSERT_EQ(backend->open(rm, bridge.intfc(), AccessMode::no_lock, 2000, intfc), status::SUCCESS);
  ASSERT_EQ(backend->open(rm, "GPIB0::5::INSTR", AccessMode::no_lock, 2000, instr), status::SUCCESS);
  std::size_t n = 0;
  std::string payload = "ECHO? a+b\r\x1b" "c";  // escapes on a serial line too
  ASSERT_EQ(backend->write(instr, bytes_of(payload + "\n"), n), status::SUCCESS);
  std::vector<std::byte> buffer(256);
  EXPECT_EQ(backend->read(instr, buffer, n), status::SUCCESS);
  EXPECT_EQ(text_of(std::span(buffer).first(n)), "a+b\r\x1b" "c\n");
  std::uint16_t stb = 0xFF;
  EXPECT_EQ(backend->read_stb(instr, stb), status::SUCCESS);
  EXPECT_EQ(stb, 0);
  backend->close(instr);
  backend->close(intfc);
  backend->close(rm);
}

}  // namespace
}  // namespace cppvisa
