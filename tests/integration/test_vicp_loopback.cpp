// VICP sessions of the native backend against (a) our VICP server with fake instruments and (b)
// scripted hostile peers in the test, on loopback.
#include "integration/binary_echo_device.hpp"
#include "integration/fake_device.hpp"
#include "integration/loopback_helpers.hpp"
#include "protocols/vicp/vicp_server.hpp"
#include "protocols/vicp/vicp_wire.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

namespace cppvisa {
namespace {

using namespace std::chrono_literals;
using testing::BinaryEchoDevice;
using testing::bytes_of;
using testing::FakeDevice;
using testing::text_of;
using Clock = std::chrono::steady_clock;

std::string vicp_name(std::uint16_t port) { return "VICP::127.0.0.1:" + std::to_string(port) + "::INSTR"; }

using testing::eventually;

/// One VICP session of a native backend.
class Client : public testing::BackendClient {
 public:
  status_t open(std::uint16_t port) { return BackendClient::open(vicp_name(port), s_); }
  status_t write(std::string_view text) { return BackendClient::write(s_, text); }
  status_t read(std::string& out, std::size_t size = 1 << 16) { return BackendClient::read(s_, out, size); }
  status_t set(attr_id_t id, std::int64_t v) { return BackendClient::set(s_, id, v); }
  session_t session() const { return s_; }

 private:
  session_t s_ = 0;
};

template <typename Device>
struct Served {
  std::shared_ptr<Device> device = std::make_shared<Device>();
  vicp::Server server{device, {}};
  Served() { EXPECT_EQ(server.start(), status::SUCCESS); }
};

TEST(VicpLoopback, QueryEndsWithTheEoiBlock) {
  Served<FakeDevice> s;
  Client c;
  ASSERT_EQ(c.open(s.server.port()), status::SUCCESS);
  AttrValue v;
  ASSERT_EQ(c.backend().get_attribute(c.session(), attr::TCPIP_PORT, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), s.server.port());
  ASSERT_EQ(c.write("*IDN?\n"), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(c.read(reply), status::SUCCESS);
  EXPECT_EQ(reply, "FAKE,LAN-TEST,0,1.0\n");
  // Two messages in a row: each read ends at its own EOI.
  ASSERT_EQ(c.write("PARTS? 2\n"), status::SUCCESS);
  EXPECT_EQ(c.read(reply), status::SUCCESS);
  EXPECT_EQ(reply, "part0\n");
  EXPECT_EQ(c.read(reply), status::SUCCESS);
  EXPECT_EQ(reply, "part1\n");
  // A small buffer: MAX_CNT, the rest in the next read.
  ASSERT_EQ(c.write("ECHO? abcdef\n"), status::SUCCESS);
  EXPECT_EQ(c.read(reply, 3), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(reply, "abc");
  EXPECT_EQ(c.read(reply), status::SUCCESS);
  EXPECT_EQ(reply, "def\n");
}

TEST(VicpLoopback, BinaryDataWithEveryByteValue) {
  Served<BinaryEchoDevice> s;
  Client c;
  ASSERT_EQ(c.open(s.server.port()), status::SUCCESS);
  std::string data;
  for (int round = 0; round < 4; ++round)
    for (int i = 0; i < 256; ++i) data += static_cast<char>(i);
  ASSERT_EQ(c.write(data), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(c.read(reply), status::SUCCESS);
  EXPECT_EQ(reply, data);
  EXPECT_EQ(text_of(s.device->last_message()), data);
}

TEST(VicpLoopback, AnUnreadResponseIsNeverReadForTheNextQuery) {
  Served<FakeDevice> s;
  Client c;
  ASSERT_EQ(c.open(s.server.port()), status::SUCCESS);
  ASSERT_EQ(c.write("ECHO? first\n"), status::SUCCESS);
  std::this_thread::sleep_for(50ms);  // let the first answer reach the client
  ASSERT_EQ(c.write("ECHO? second\n"), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(c.read(reply), status::SUCCESS);
  EXPECT_EQ(reply, "second\n");
}

TEST(VicpLoopback, HundredMegabyteWaveformStraightIntoTheBuffer) {
  Served<FakeDevice> s;
  Client c;
  ASSERT_EQ(c.open(s.server.port()), status::SUCCESS);
  ASSERT_EQ(c.set(attr::TMO_VALUE, 60000), status::SUCCESS);
  constexpr std::size_t n = 100'000'000;
  ASSERT_EQ(c.write("BLOCK? " + std::to_string(n) + "\n"), status::SUCCESS);
  const std::string header = "#9100000000";
  std::vector<std::byte> buffer(header.size() + n + 1);
  std::size_t count = 0;
  auto start = Clock::now();
  EXPECT_EQ(c.backend().read(c.session(), buffer, count), status::SUCCESS);  // END on the last byte
  auto seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_EQ(count, buffer.size());
  EXPECT_EQ(text_of(std::span(buffer).first(header.size())), header);
  bool ok = true;
  for (std::size_t i = 0; i < n && ok; ++i) ok = buffer[header.size() + i] == static_cast<std::byte>(i & 0xFF);
  EXPECT_TRUE(ok);
  std::printf("[ vicp ] 100 MB in %.2f s (%.0f MB/s)\n", seconds, 100.0 / seconds);
}

TEST(VicpLoopback, SerialPollClearRemoteLockoutAndServiceRequest) {
  Served<FakeDevice> s;
  Client c;
  ASSERT_EQ(c.open(s.server.port()), status::SUCCESS);
  std::uint16_t stb = 0xFF;
  EXPECT_EQ(c.backend().read_stb(c.session(), stb), status::SUCCESS);  // VICP 1 in band (no 1a seen yet)
  EXPECT_EQ(stb, 0);
  ASSERT_EQ(c.write("*IDN?\n"), status::SUCCESS);
  std::string reply;
  ASSERT_EQ(c.read(reply), status::SUCCESS);
  stb = 0xFF;
  EXPECT_EQ(c.backend().read_stb(c.session(), stb), status::SUCCESS);  // 1a out of band
  EXPECT_EQ(stb, 0);
  EXPECT_EQ(c.backend().clear(c.session()), status::SUCCESS);
  EXPECT_TRUE(eventually([&] { return s.device->clears.load() == 1; }));
  EXPECT_EQ(c.backend().gpib_control_ren(c.session(), RenMode::assert_llo), status::SUCCESS);
  EXPECT_TRUE(eventually([&] { return s.device->is_remote.load(); }));
  EXPECT_EQ(c.backend().gpib_control_ren(c.session(), RenMode::deassert_gtl), status::SUCCESS);
  EXPECT_TRUE(eventually([&] { return !s.device->is_remote.load(); }));
  // A query after the clear is answered normally (older numbered blocks are dropped).
  ASSERT_EQ(c.write("ECHO? after clear\n"), status::SUCCESS);
  EXPECT_EQ(c.read(reply), status::SUCCESS);
  EXPECT_EQ(reply, "after clear\n");

  ASSERT_EQ(c.backend().enable_event(c.session(), event::service_request, 1 /* VI_QUEUE */), status::SUCCESS);
  s.device->request_service();
  event_type_t type = 0;
  session_t context = 0;
  ASSERT_EQ(c.backend().wait_on_event(c.session(), event::service_request, 5000, type, context, false), status::SUCCESS);
  EXPECT_EQ(c.backend().read_stb(c.session(), stb), status::SUCCESS);
  EXPECT_EQ(stb & 0x40, 0x40);
}

/// A scripted VICP peer.
struct ScriptedPeer : testing::ScriptedPeer {
  using testing::ScriptedPeer::ScriptedPeer;
  /// Receives one block from the client (header and payload).
  static std::string receive_block(net::Socket& s) {
    std::array<std::byte, vicp::header_size> h{};
    if (s.recv_exact(h, core::Deadline::after_ms(5000)) != status::SUCCESS) return {};
    auto header = vicp::decode_header(h, false);
    if (!header) return {};
    std::vector<std::byte> payload(header->length);
    if (!payload.empty() && s.recv_exact(payload, core::Deadline::after_ms(5000)) != status::SUCCESS) return {};
    return text_of(payload);
  }
  static void send_block(net::Socket& s, std::uint8_t bits, std::uint32_t length, std::string_view payload) {
    vicp::Header h;
    h.operation = static_cast<std::uint8_t>(vicp::op::data | bits);
    h.sequence = 1;
    h.length = length;
    auto head = h.encode();
    s.send_all(head, core::Deadline::after_ms(2000));
    send(s, payload);
  }
};

TEST(VicpHostile, SilenceGivesATimeoutWithinTheTimeout) {
  ScriptedPeer peer([](net::Socket& s) {
    std::array<std::byte, 256> b;
    std::size_t n = 0;
    while (s.recv_some(b, core::Deadline::after_ms(10000), n) == status::SUCCESS) {
    }  // takes everything, answers nothing, until the client goes
  });
  Client c;
  ASSERT_EQ(c.open(peer.port()), status::SUCCESS);
  ASSERT_EQ(c.set(attr::TMO_VALUE, 300), status::SUCCESS);
  ASSERT_EQ(c.write("*IDN?\n"), status::SUCCESS);
  std::string reply;
  auto start = Clock::now();
  EXPECT_EQ(c.read(reply), status::ERROR_TMO);
  EXPECT_LT(Clock::now() - start, 2s);
  std::uint16_t stb = 0;
  start = Clock::now();
  EXPECT_EQ(c.backend().read_stb(c.session(), stb), status::ERROR_TMO);
  EXPECT_LT(Clock::now() - start, 2s);
  // viTerminate from another thread ends a blocked read.
  ASSERT_EQ(c.set(attr::TMO_VALUE, 20000), status::SUCCESS);
  std::thread aborter([&] {
    std::this_thread::sleep_for(200ms);
    c.backend().terminate(c.session(), 0, 0);
  });
  start = Clock::now();
  EXPECT_EQ(c.read(reply), status::ERROR_ABORT);
  EXPECT_LT(Clock::now() - start, 5s);
  aborter.join();
}

TEST(VicpHostile, ALyingLengthTimesOutWithTheBytesThatCame) {
  ScriptedPeer peer([](net::Socket& s) {
    ScriptedPeer::receive_block(s);
    ScriptedPeer::send_block(s, vicp::op::eoi, 0x7FFFFFFF, "only ten b");  // announces 2 GiB
    ScriptedPeer::receive_block(s);
  });
  Client c;
  ASSERT_EQ(c.open(peer.port()), status::SUCCESS);
  ASSERT_EQ(c.set(attr::TMO_VALUE, 300), status::SUCCESS);
  ASSERT_EQ(c.write("*IDN?\n"), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(c.read(reply, 100), status::ERROR_TMO);
  EXPECT_EQ(reply, "only ten b");
}

TEST(VicpHostile, GarbageIsAnIoErrorAndEndsTheConnection) {
  ScriptedPeer peer([](net::Socket& s) {
    ScriptedPeer::receive_block(s);
    ScriptedPeer::send(s, "HTTP/1.1 400 Bad Request\r\n\r\n");
    ScriptedPeer::receive_block(s);
  });
  Client c;
  ASSERT_EQ(c.open(peer.port()), status::SUCCESS);
  ASSERT_EQ(c.write("*IDN?\n"), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(c.read(reply), status::ERROR_IO);
  EXPECT_EQ(c.read(reply), status::ERROR_CONN_LOST);
  EXPECT_EQ(c.write("*IDN?\n"), status::ERROR_CONN_LOST);
}

TEST(VicpHostile, HangUpMidBlockIsConnectionLost) {
  ScriptedPeer peer([](net::Socket& s) {
    ScriptedPeer::receive_block(s);
    ScriptedPeer::send_block(s, vicp::op::eoi, 100, "partial");
    s.close();
  });
  Client c;
  ASSERT_EQ(c.open(peer.port()), status::SUCCESS);
  ASSERT_EQ(c.write("*IDN?\n"), status::SUCCESS);
  std::string reply;
  auto start = Clock::now();
  EXPECT_EQ(c.read(reply), status::ERROR_CONN_LOST);
  EXPECT_EQ(reply, "partial");
  EXPECT_LT(Clock::now() - start, 2s);
}

}  // namespace
}  // namespace cppvisa

namespace cppvisa {
namespace {

TEST(VicpServer, HostileClientsAreBounded) {
  auto device = std::make_shared<FakeDevice>();
  vicp::Server::Options o;
  o.io_timeout_ms = 300;
  vicp::Server server(device, o);
  ASSERT_EQ(server.start(), status::SUCCESS);
  // A mode change without the DATA bit (as fsc2 sends at open) is taken.
  {
    net::Socket s;
    ASSERT_EQ(net::connect_tcp("127.0.0.1", server.port(), core::Deadline::after_ms(2000), s), status::SUCCESS);
    vicp::Header h;
    h.operation = vicp::op::remote | vicp::op::lockout;
    ASSERT_EQ(s.send_all(h.encode(), core::Deadline::after_ms(2000)), status::SUCCESS);
    EXPECT_TRUE(testing::eventually([&] { return device->is_remote.load(); }));
  }
  // A client that announces 1 GB, sends a few bytes and stalls is dropped after the I/O timeout.
  {
    net::Socket s;
    ASSERT_EQ(net::connect_tcp("127.0.0.1", server.port(), core::Deadline::after_ms(2000), s), status::SUCCESS);
    vicp::Header h;
    h.operation = vicp::op::data | vicp::op::eoi;
    h.length = 1u << 30;
    ASSERT_EQ(s.send_all(h.encode(), core::Deadline::after_ms(2000)), status::SUCCESS);
    ASSERT_EQ(s.send_all(bytes_of("*IDN"), core::Deadline::after_ms(2000)), status::SUCCESS);
    std::array<std::byte, 16> b;
    std::size_t n = 0;
    auto start = Clock::now();
    EXPECT_EQ(s.recv_some(b, core::Deadline::after_ms(5000), n), status::ERROR_CONN_LOST);
    EXPECT_LT(Clock::now() - start, 3s);
  }
  // Garbage closes the connection at once.
  {
    net::Socket s;
    ASSERT_EQ(net::connect_tcp("127.0.0.1", server.port(), core::Deadline::after_ms(2000), s), status::SUCCESS);
    ASSERT_EQ(s.send_all(bytes_of("GET / HTTP/1.0\r\n\r\n"), core::Deadline::after_ms(2000)), status::SUCCESS);
    std::array<std::byte, 16> b;
    std::size_t n = 0;
    EXPECT_EQ(s.recv_some(b, core::Deadline::after_ms(5000), n), status::ERROR_CONN_LOST);
  }
  EXPECT_TRUE(testing::eventually([&] { return server.connection_count() == 0; }));
}

TEST(VicpHostile, ALateSerialPollAnswerIsNotTheNextQuerysAnswer) {
  // A VICP 1a instrument (it echoes sequence numbers) answers an in-band serial poll after the
  // client's timeout: that status byte block must not be read as the answer to the next query.
  auto receive = [](net::Socket& s, vicp::Header& header) {
    std::array<std::byte, vicp::header_size> h{};
    if (s.recv_exact(h, core::Deadline::after_ms(5000)) != status::SUCCESS) return false;
    auto decoded = vicp::decode_header(h, false);
    if (!decoded) return false;
    header = *decoded;
    std::vector<std::byte> payload(header.length);
    return payload.empty() || s.recv_exact(payload, core::Deadline::after_ms(5000)) == status::SUCCESS;
  };
  auto answer = [](net::Socket& s, std::uint8_t sequence, std::string_view payload) {
    vicp::Header h;
    h.operation = static_cast<std::uint8_t>(vicp::op::data | vicp::op::eoi);
    h.sequence = sequence;
    h.length = static_cast<std::uint32_t>(payload.size());
    s.send_all(h.encode(), core::Deadline::after_ms(2000));
    testing::ScriptedPeer::send(s, payload);
  };
  ScriptedPeer peer([&](net::Socket& s) {
    vicp::Header h;
    if (!receive(s, h) || !h.has(vicp::op::serial_poll)) return;
    std::this_thread::sleep_for(600ms);  // the client has given up
    answer(s, h.sequence, "\x10");
    while (receive(s, h))
      if (h.has(vicp::op::eoi) && h.length > 0) answer(s, h.sequence, "ANSWER\n");
  });
  Client c;
  ASSERT_EQ(c.open(peer.port()), status::SUCCESS);
  ASSERT_EQ(c.set(attr::TMO_VALUE, 300), status::SUCCESS);
  std::uint16_t stb = 0;
  EXPECT_EQ(c.backend().read_stb(c.session(), stb), status::ERROR_TMO);
  std::this_thread::sleep_for(500ms);  // the late status byte has come
  EXPECT_EQ(c.backend().clear(c.session()), status::SUCCESS);
  ASSERT_EQ(c.write("*IDN?\n"), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(c.read(reply), status::SUCCESS);
  EXPECT_EQ(reply, "ANSWER\n");
}

}  // namespace
}  // namespace cppvisa
