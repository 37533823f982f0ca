// Issue #12, the C++ API against hostile instruments (raw sockets that lie): a block header
// announcing 9 999 999 999 bytes, and a message that never ends while bytes keep coming. The
// expected outcome: an error within the timeout + 10% and a peak resident memory far below what
// the instrument announced or sent. These depend on issue #12 point 1 (bounded read()/query()
// and one deadline per call in src/api and core::MessageReader), which lands separately: they
// skip, naming it, until then. Remove the GTEST_SKIP lines after the merge.
#include "protocols/net/socket.hpp"
#include "support/process_stats.hpp"

#include <cppvisa/cppvisa.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace cppvisa {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint32_t timeout_ms = 1000;
constexpr std::size_t max_peak_growth_kb = 64 * 1024;
constexpr const char* needs_point_1 =
    "needs issue #12 point 1 (bounded read()/query(), per-call deadline in src/api), merged separately";

// Accepts one client, reads its command, then calls `lie` with the socket until stopped.
class HostileInstrument {
 public:
  template <class Lie>
  explicit HostileInstrument(Lie lie) {
    listener_.open("127.0.0.1", 0);
    thread_ = std::thread([this, lie] {
      net::Socket s;
      if (listener_.accept(s, core::Deadline::after_ms(5000), &stop_) != status::SUCCESS) return;
      std::byte command[256];
      std::size_t n = 0;
      if (s.recv_some(command, core::Deadline::after_ms(5000), n, &stop_) != status::SUCCESS) return;
      lie(s, stop_);
    });
  }
  ~HostileInstrument() {
    stop_.wake();
    thread_.join();
  }
  std::string resource() const { return "TCPIP::127.0.0.1::" + std::to_string(listener_.port()) + "::SOCKET"; }

 private:
  net::TcpListener listener_;
  net::Waker stop_;
  std::thread thread_;
};

void send_text(net::Socket& s, std::string_view text, const net::Waker& stop) {
  s.send_all(std::as_bytes(std::span(text.data(), text.size())), core::Deadline::after_ms(1000), nullptr, &stop);
}

template <class Call>
void expect_bounded_failure(Call call) {
  auto before = testing::process_stats();
  auto start = Clock::now();
  std::error_code ec;
  try {
    call();
  } catch (const std::system_error& e) {
    ec = e.code();
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  auto after = testing::process_stats();
  EXPECT_TRUE(ec) << "the hostile answer was accepted";
  EXPECT_LE(elapsed, timeout_ms + timeout_ms / 10);
  EXPECT_LT(after.hwm_kb, before.hwm_kb + max_peak_growth_kb) << "peak RSS " << before.hwm_kb << " -> " << after.hwm_kb;
}

TEST(HostileInstrument, BlockHeaderAnnouncingTenGigabytes) {
  GTEST_SKIP() << needs_point_1;
  HostileInstrument instrument([](net::Socket& s, const net::Waker& stop) {
    send_text(s, "#9999999999", stop);
    while (!stop.woken()) {  // a few bytes now and then: the block never completes
      send_text(s, "abcdefgh", stop);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  ResourceManager rm("@native");
  auto inst = rm.open<MessageBasedResource>(instrument.resource());
  inst->set_timeout(timeout_ms);
  expect_bounded_failure([&] { inst->query_binary_values<std::uint8_t>("CURVE?"); });
}

TEST(HostileInstrument, MessageThatNeverEnds) {
  GTEST_SKIP() << needs_point_1;
  HostileInstrument instrument([](net::Socket& s, const net::Waker& stop) {
    std::string chunk(64 * 1024, 'A');  // no termination character, ever
    while (!stop.woken()) send_text(s, chunk, stop);
  });
  ResourceManager rm("@native");
  auto inst = rm.open<MessageBasedResource>(instrument.resource());
  inst->set_timeout(timeout_ms);
  inst->set_read_termination("\n");
  expect_bounded_failure([&] { inst->query("*IDN?"); });
}

}  // namespace
}  // namespace cppvisa
