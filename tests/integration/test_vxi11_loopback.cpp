// Our VXI-11 client (vxi11::Vxi11Client) against our VXI-11 server (vxi11::Vxi11Server) and
// portmapper, on loopback, with a fake instrument.
#include "backends/native/native_backend.hpp"
#include "backends/sim/sim_backend.hpp"
#include "integration/fake_device.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/oncrpc/portmapper.hpp"
#include "protocols/oncrpc/rpc_server.hpp"
#include "protocols/vxi11/vxi11_client.hpp"
#include "protocols/vxi11/vxi11_server.hpp"
#include "server/session_device.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <thread>

namespace cppvisa {
namespace {

using namespace std::chrono_literals;
using testing::bytes_of;
using testing::FakeDevice;
using testing::text_of;
using Clock = std::chrono::steady_clock;

class Vxi11Loopback : public ::testing::Test {
 protected:
  void SetUp() override {
    device = std::make_shared<FakeDevice>();
    gateway_device = std::make_shared<FakeDevice>();
    ASSERT_EQ(portmapper.start("127.0.0.1", 0), status::SUCCESS);
    vxi11::Vxi11Server::Options options;
    options.max_recv_size = 1024;  // small, so that writes are split
    server = std::make_unique<vxi11::Vxi11Server>(options);
    server->add_device("inst0", device);
    server->add_device("gpib0,5", gateway_device);
    ASSERT_EQ(server->start(), status::SUCCESS);
    server->register_with(portmapper);
  }
  void TearDown() override {
    if (server) server->stop();
    portmapper.stop();
  }
  vxi11::Vxi11Client::Target target(std::string name = "inst0") {
    vxi11::Vxi11Client::Target t;
    t.host = "127.0.0.1";
    t.device_name = std::move(name);
    t.portmapper_port = portmapper.port();
    return t;
  }
  status_t open(vxi11::Vxi11Client& c, std::string name = "inst0") {
    return c.open(target(std::move(name)), core::Deadline::after_ms(2000));
  }
  std::string query(vxi11::Vxi11Client& c, std::string_view command, status_t* read_status = nullptr) {
    std::size_t n = 0;
    EXPECT_EQ(c.write(bytes_of(command), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
    std::vector<std::byte> buffer(1 << 16);
    core::ReadTermination term;
    status_t st = c.read(buffer, n, term, core::Deadline::after_ms(2000));
    if (read_status) *read_status = st;
    return text_of(std::span(buffer).first(n));
  }

  std::shared_ptr<FakeDevice> device, gateway_device;
  oncrpc::PortmapperServer portmapper;
  std::unique_ptr<vxi11::Vxi11Server> server;
};

TEST_F(Vxi11Loopback, OpenQueryClose) {
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  EXPECT_EQ(c.max_recv_size(), 1024u);
  EXPECT_NE(c.abort_port(), 0);
  EXPECT_EQ(server->link_count(), 1u);
  status_t st = 0;
  EXPECT_EQ(query(c, "*IDN?\n", &st), "FAKE,LAN-TEST,0,1.0\n");
  EXPECT_EQ(st, status::SUCCESS);  // END
  c.close();
  EXPECT_EQ(server->link_count(), 0u);
}

TEST_F(Vxi11Loopback, BypassPortmapperWithCorePort) {
  auto t = target();
  t.core_port = server->core_port();
  t.portmapper_port = 1;  // unused
  vxi11::Vxi11Client c;
  ASSERT_EQ(c.open(t, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(query(c, "ECHO? direct\n"), "direct\n");
}

TEST_F(Vxi11Loopback, GatewayDeviceName) {
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c, "GPIB0,5"), status::SUCCESS);
  EXPECT_EQ(query(c, "ECHO? behind the gateway\n"), "behind the gateway\n");
  EXPECT_EQ(gateway_device->bytes_written.load(), std::string("ECHO? behind the gateway\n").size());
  EXPECT_EQ(device->bytes_written.load(), 0u);
}

TEST_F(Vxi11Loopback, UnknownDeviceIsNotFound) {
  vxi11::Vxi11Client c;
  EXPECT_EQ(open(c, "inst7"), status::ERROR_RSRC_NFOUND);
  EXPECT_FALSE(c.is_open());
}

TEST_F(Vxi11Loopback, NotRegisteredOrNoPortmapperIsNotFound) {
  portmapper.unset(vxi11::core_program, vxi11::program_version);
  vxi11::Vxi11Client c;
  EXPECT_EQ(open(c), status::ERROR_RSRC_NFOUND);
  portmapper.stop();
  auto start = Clock::now();
  EXPECT_EQ(open(c), status::ERROR_RSRC_NFOUND);
  EXPECT_LT(Clock::now() - start, 1500ms);  // refused at once, not after the open timeout
}

TEST_F(Vxi11Loopback, LargeWriteIsSplitWithEndOnLastPiece) {
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  std::string big = "ECHO? " + std::string(5000, 'x') + "\n";
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of(big), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(n, big.size());
  std::vector<std::byte> buffer(10000);
  core::ReadTermination term;
  EXPECT_EQ(c.read(buffer, n, term, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(text_of(std::span(buffer).first(n)), std::string(5000, 'x') + "\n");
}

TEST_F(Vxi11Loopback, WriteWithoutEndContinuesTheMessage) {
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of("ECHO? ab"), false, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_TRUE(device->log_copy().empty());
  ASSERT_EQ(c.write(bytes_of("cd"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  std::vector<std::byte> buffer(100);
  core::ReadTermination term;
  EXPECT_EQ(c.read(buffer, n, term, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(text_of(std::span(buffer).first(n)), "abcd\n");
}

TEST_F(Vxi11Loopback, ReadRulesTermcharCountAndEnd) {
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of("BLOCK? 300\n"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  // "#3300" + 300 bytes (LF at offset 10 of the data) + "\n"
  std::vector<std::byte> buffer(1000);
  core::ReadTermination term;
  term.termchar_enabled = true;
  EXPECT_EQ(c.read(buffer, n, term, core::Deadline::after_ms(2000)), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(n, 5u + 11u);  // stops at the first LF, which is stored
  // Without termchar: a 4-byte read gives MAX_CNT, the rest of the message follows with END.
  term.termchar_enabled = false;
  EXPECT_EQ(c.read(std::span(buffer).first(4), n, term, core::Deadline::after_ms(2000)), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(n, 4u);
  EXPECT_EQ(c.read(buffer, n, term, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(n, 300u - 11u - 4u + 1u);
  // END exactly at the count is END, not MAX_CNT (pyvisa-py #608).
  ASSERT_EQ(c.write(bytes_of("ECHO? abc\n"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(c.read(std::span(buffer).first(4), n, term, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(n, 4u);
  // Zero-length read.
  EXPECT_EQ(c.read(std::span(buffer).first(0), n, term, core::Deadline::after_ms(2000)), status::SUCCESS_MAX_CNT);
}

TEST_F(Vxi11Loopback, LargeBinaryBlockReadInOneCall) {
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of("BLOCK? 3000000\n"), true, n, core::Deadline::after_ms(5000)), status::SUCCESS);
  std::vector<std::byte> buffer(3100000);
  core::ReadTermination term;
  ASSERT_EQ(c.read(buffer, n, term, core::Deadline::after_ms(10000)), status::SUCCESS);
  ASSERT_EQ(n, 3000000u + 9u + 1u);
  for (std::size_t i = 0; i < 3000000; i += 4099) ASSERT_EQ(buffer[9 + i], std::byte(i & 0xFF)) << i;
}

TEST(Vxi11LargeRead, SpansManyDeviceReadRepliesWithTheExactBytesAndEnd) {
  // Replies of an odd size (the server's max_read_size): the block arrives in 46 device_read
  // replies, each straight into the caller's buffer, with END on the last one only.
  auto device = std::make_shared<FakeDevice>();
  vxi11::Vxi11Server::Options options;
  options.max_read_size = 65537;
  vxi11::Vxi11Server server(options);
  server.add_device("inst0", device);
  ASSERT_EQ(server.start(), status::SUCCESS);
  vxi11::Vxi11Client c;
  vxi11::Vxi11Client::Target t;
  t.host = "127.0.0.1";
  t.core_port = server.core_port();
  t.device_name = "inst0";
  ASSERT_EQ(c.open(t, core::Deadline::after_ms(2000)), status::SUCCESS);
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of("BLOCK? 3000001\n"), true, n, core::Deadline::after_ms(5000)), status::SUCCESS);
  std::vector<std::byte> buffer(3100000, std::byte{0xEE});
  core::ReadTermination term;
  ASSERT_EQ(c.read(buffer, n, term, core::Deadline::after_ms(10000)), status::SUCCESS);  // END
  ASSERT_EQ(n, 3000001u + 9u + 1u);
  EXPECT_EQ(text_of(std::span(buffer).first(9)), "#73000001");
  for (std::size_t i = 0; i < 3000001; ++i) ASSERT_EQ(buffer[9 + i], std::byte(i & 0xFF)) << i;
  EXPECT_EQ(buffer[n - 1], std::byte{'\n'});
  EXPECT_EQ(buffer[n], std::byte{0xEE});  // nothing past the message
  // Read with a buffer that ends inside the block: MAX_CNT, then the rest with END.
  ASSERT_EQ(c.write(bytes_of("BLOCK? 200000\n"), true, n, core::Deadline::after_ms(5000)), status::SUCCESS);
  ASSERT_EQ(c.read(std::span(buffer).first(100001), n, term, core::Deadline::after_ms(10000)), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(n, 100001u);
  std::size_t rest = 0;
  ASSERT_EQ(c.read(std::span(buffer).subspan(100001), rest, term, core::Deadline::after_ms(10000)), status::SUCCESS);
  EXPECT_EQ(n + rest, 200000u + 8u + 1u);
  for (std::size_t i = 0; i < 200000; ++i) ASSERT_EQ(buffer[8 + i], std::byte(i & 0xFF)) << i;
}

// A VXI-11 core channel whose device_read replies lie about their data: an opaque claiming more
// bytes than the reply holds, or more than the client asked for.
class LyingVxi11Server {
 public:
  explicit LyingVxi11Server(std::function<void(oncrpc::XdrWriter&, std::uint32_t request_size)> read_reply)
      : read_reply_(std::move(read_reply)) {
    rpc_.add_program(vxi11::core_program, vxi11::program_version, vxi11::program_version,
                     [this](const oncrpc::CallContext& call, oncrpc::XdrReader& args, oncrpc::XdrWriter& results) {
                       if (call.header.proc == vxi11::proc::create_link) {
                         vxi11::CreateLinkResp r;
                         r.lid = 1;
                         r.max_recv_size = 4096;
                         vxi11::encode(results, r);
                         return oncrpc::ProcResult::reply;
                       }
                       if (call.header.proc == vxi11::proc::device_read) {
                         vxi11::DeviceReadParms p;
                         if (!vxi11::decode(args, p)) return oncrpc::ProcResult::garbage_args;
                         read_reply_(results, p.request_size);
                         return oncrpc::ProcResult::reply;
                       }
                       results.put_i32(0);  // destroy_link and the rest: no error
                       return oncrpc::ProcResult::reply;
                     });
    EXPECT_EQ(rpc_.listen_tcp("127.0.0.1", 0), status::SUCCESS);
    rpc_.start();
  }
  vxi11::Vxi11Client::Target target() const {
    vxi11::Vxi11Client::Target t;
    t.host = "127.0.0.1";
    t.core_port = rpc_.tcp_port();
    t.device_name = "inst0";
    return t;
  }

 private:
  std::function<void(oncrpc::XdrWriter&, std::uint32_t)> read_reply_;
  oncrpc::RpcServer rpc_;
};

TEST(Vxi11LyingServer, DataShorterThanAnnouncedOrLongerThanAskedIsAnIoErrorAtOnce) {
  for (int lie = 0; lie < 2; ++lie) {
    LyingVxi11Server server([lie](oncrpc::XdrWriter& w, std::uint32_t request_size) {
      w.put_i32(0);                 // error
      w.put_i32(vxi11::reason::end);
      if (lie == 0) {
        w.put_u32(request_size);    // claims the whole request...
        w.put_u32(0x41414141);      // ...and sends 4 bytes
      } else {
        std::vector<std::byte> more(std::size_t{request_size} + 4, std::byte{'A'});
        w.put_opaque(more);         // more than asked for
      }
    });
    vxi11::Vxi11Client c;
    ASSERT_EQ(c.open(server.target(), core::Deadline::after_ms(2000)), status::SUCCESS);
    std::vector<std::byte> buffer(1000);
    std::size_t n = 0;
    core::ReadTermination term;
    auto start = Clock::now();
    EXPECT_EQ(c.read(buffer, n, term, core::Deadline::after_ms(5000)), status::ERROR_IO) << lie;
    EXPECT_LT(Clock::now() - start, 2s) << lie;  // no wait for bytes that never come
    EXPECT_EQ(n, 0u) << lie;
  }
}

TEST_F(Vxi11Loopback, QueryWithoutReplyTimesOutNearTheTimeout) {
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of("SILENT?\n"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  std::vector<std::byte> buffer(100);
  core::ReadTermination term;
  auto start = Clock::now();
  EXPECT_EQ(c.read(buffer, n, term, core::Deadline::after_ms(300)), status::ERROR_TMO);
  auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 3000ms);
  EXPECT_EQ(n, 0u);
  // The link still works.
  EXPECT_EQ(query(c, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
}

TEST_F(Vxi11Loopback, ServerIgnoringItsTimeoutIsAbortedAndTheCallTimesOut) {
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  device->ignore_deadlines = true;
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of("SILENT?\n"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  std::vector<std::byte> buffer(100);
  core::ReadTermination term;
  auto start = Clock::now();
  EXPECT_EQ(c.read(buffer, n, term, core::Deadline::after_ms(1000)), status::ERROR_TMO);
  auto elapsed = Clock::now() - start;
  // Within the timeout + 10%: the transport's grace and the abort fit in it (docs/reliability.md).
  EXPECT_GE(elapsed, 1000ms);
  EXPECT_LE(elapsed, 1100ms);
  device->ignore_deadlines = false;
  EXPECT_EQ(query(c, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");  // the link is usable again
}

TEST(Vxi11SilentServer, OpenGivesUpNearTheOpenTimeout) {
  net::TcpListener silent;  // accepts (the kernel does) and never answers
  ASSERT_EQ(silent.open("127.0.0.1", 0), status::SUCCESS);
  vxi11::Vxi11Client c;
  vxi11::Vxi11Client::Target t;
  t.host = "127.0.0.1";
  t.core_port = silent.port();
  auto start = Clock::now();
  EXPECT_EQ(c.open(t, core::Deadline::after_ms(300)), status::ERROR_RSRC_NFOUND);
  EXPECT_GE(Clock::now() - start, 290ms);
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST_F(Vxi11Loopback, StbTriggerClearRemoteLocal) {
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  auto d = [] { return core::Deadline::after_ms(2000); };
  std::uint8_t stb = 0xFF;
  EXPECT_EQ(c.read_stb(stb, d()), status::SUCCESS);
  EXPECT_EQ(stb, 0);
  EXPECT_EQ(c.trigger(d()), status::SUCCESS);
  EXPECT_EQ(device->triggers.load(), 1);
  EXPECT_EQ(c.remote(d()), status::SUCCESS);
  EXPECT_TRUE(device->is_remote.load());
  EXPECT_EQ(c.local(d()), status::SUCCESS);
  EXPECT_FALSE(device->is_remote.load());
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of("*IDN?\n"), true, n, d()), status::SUCCESS);
  EXPECT_EQ(c.clear(d()), status::SUCCESS);
  EXPECT_EQ(device->clears.load(), 1);
  std::vector<std::byte> buffer(100);
  core::ReadTermination term;
  EXPECT_EQ(c.read(buffer, n, term, core::Deadline::after_ms(100)), status::ERROR_TMO);  // output discarded
}

TEST_F(Vxi11Loopback, LocksBetweenTwoClients) {
  vxi11::Vxi11Client a, b;
  ASSERT_EQ(open(a), status::SUCCESS);
  ASSERT_EQ(open(b), status::SUCCESS);
  EXPECT_EQ(a.lock(0), status::SUCCESS);
  EXPECT_EQ(a.lock(0), status::ERROR_RSRC_LOCKED);  // already held by this link: error 11 too
  // b: I/O is refused, lock fails at once without waitlock, and after its lock timeout with it.
  std::size_t n = 0;
  EXPECT_EQ(b.write(bytes_of("*IDN?\n"), true, n, core::Deadline::after_ms(2000)), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(b.lock(0), status::ERROR_RSRC_LOCKED);
  auto start = Clock::now();
  EXPECT_EQ(b.lock(300), status::ERROR_RSRC_LOCKED);
  EXPECT_GE(Clock::now() - start, 290ms);
  EXPECT_LT(Clock::now() - start, 3000ms);
  // a can still work; b's waiting lock is granted when a unlocks.
  EXPECT_EQ(query(a, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
  auto waiting = std::async(std::launch::async, [&] { return b.lock(10000); });
  EXPECT_EQ(waiting.wait_for(100ms), std::future_status::timeout);
  EXPECT_EQ(a.unlock(), status::SUCCESS);
  EXPECT_EQ(waiting.get(), status::SUCCESS);
  EXPECT_EQ(a.unlock(), status::ERROR_SESN_NLOCKED);  // error 12
  EXPECT_EQ(b.unlock(), status::SUCCESS);
}

TEST_F(Vxi11Loopback, LockIsReleasedWhenTheHolderDisappears) {
  vxi11::Vxi11Client b;
  ASSERT_EQ(open(b), status::SUCCESS);
  {
    // A raw connection that creates a locked link and then vanishes without destroy_link.
    oncrpc::RpcClient raw;
    ASSERT_EQ(raw.connect("127.0.0.1", server->core_port(), core::Deadline::after_ms(2000)), status::SUCCESS);
    vxi11::CreateLinkParms p;
    p.lock_device = true;
    p.device = "inst0";
    encode(raw.begin_call(vxi11::core_program, 1, vxi11::proc::create_link), p);
    oncrpc::XdrReader r;
    ASSERT_EQ(raw.finish_call(core::Deadline::after_ms(2000), r), status::SUCCESS);
    vxi11::CreateLinkResp resp;
    ASSERT_TRUE(decode(r, resp));
    ASSERT_EQ(resp.error, 0);
    EXPECT_EQ(b.lock(0), status::ERROR_RSRC_LOCKED);
  }
  // The server notices the closed connection; b's waiting lock then succeeds.
  EXPECT_EQ(b.lock(5000), status::SUCCESS);
}

TEST_F(Vxi11Loopback, AbortEndsABlockedRead) {
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of("SILENT?\n"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  auto start = Clock::now();
  auto reader = std::async(std::launch::async, [&] {
    std::vector<std::byte> buffer(100);
    std::size_t count = 0;
    core::ReadTermination term;
    return c.read(buffer, count, term, core::Deadline::after_ms(20000));
  });
  ASSERT_TRUE(device->wait_for_blocked_read(5s));
  EXPECT_EQ(c.abort(), status::SUCCESS);
  EXPECT_EQ(reader.get(), status::ERROR_ABORT);
  EXPECT_LT(Clock::now() - start, 10s);
  EXPECT_EQ(query(c, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
}

TEST_F(Vxi11Loopback, ServiceRequestReachesTheClient) {
  vxi11::Vxi11Client c, other;
  ASSERT_EQ(open(c), status::SUCCESS);
  ASSERT_EQ(open(other), status::SUCCESS);
  std::mutex m;
  std::condition_variable cv;
  int srqs = 0;
  ASSERT_EQ(c.enable_srq([&] {
              std::lock_guard lock(m);
              ++srqs;
              cv.notify_all();
            }),
            status::SUCCESS);
  std::size_t n = 0;
  ASSERT_EQ(other.write(bytes_of("SRQ\n"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return srqs >= 1; }));
  }
  std::uint8_t stb = 0;
  EXPECT_EQ(c.read_stb(stb, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(stb & 0x40, 0x40);
  device->request_service();
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return srqs >= 2; }));
  }
  c.disable_srq();
  EXPECT_FALSE(c.srq_enabled());
  EXPECT_EQ(query(c, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
}

TEST_F(Vxi11Loopback, ServerKilledMidTransferGivesConnectionLost) {
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of("SILENT?\n"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  auto reader = std::async(std::launch::async, [&] {
    std::vector<std::byte> buffer(100);
    std::size_t count = 0;
    core::ReadTermination term;
    return c.read(buffer, count, term, core::Deadline::after_ms(20000));
  });
  ASSERT_TRUE(device->wait_for_blocked_read(5s));
  auto start = Clock::now();
  server->stop();
  status_t st = reader.get();
  EXPECT_TRUE(st == status::ERROR_CONN_LOST || st == status::ERROR_ABORT) << status_name(st);
  EXPECT_LT(Clock::now() - start, 10s);
  EXPECT_EQ(c.write(bytes_of("*IDN?\n"), true, n, core::Deadline::after_ms(2000)), status::ERROR_CONN_LOST);
}

TEST_F(Vxi11Loopback, ManyClientsFromManyThreads) {
  constexpr int threads = 8, rounds = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      vxi11::Vxi11Client c;
      if (open(c) != status::SUCCESS) return;
      for (int i = 0; i < rounds; ++i) {
        std::string text = "t" + std::to_string(t) + "-" + std::to_string(i);
        // Each client owns the device for its query (the device is shared: lock around write+read).
        if (c.lock(10000) != status::SUCCESS) return;
        bool good = query(c, "ECHO? " + text + "\n") == text + "\n";
        c.unlock();
        if (good) ++ok;
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(ok.load(), threads * rounds);
}

TEST_F(Vxi11Loopback, MalformedTrafficDoesNotHurtTheServer) {
  // Garbage, an oversize fragment and a truncated record on raw connections.
  for (std::string junk : {std::string("\x80\x00\x00\x05hello", 9), std::string("\x7f\xff\xff\xff", 4),
                           std::string("\x80\x00\x00\x40\x00\x00", 6), std::string(100, '\xff')}) {
    net::Socket s;
    ASSERT_EQ(net::connect_tcp("127.0.0.1", server->core_port(), core::Deadline::after_ms(2000), s), status::SUCCESS);
    s.send_all(bytes_of(junk), core::Deadline::after_ms(2000));
  }
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  EXPECT_EQ(query(c, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
  // Wrong program version on the core port: PROG_MISMATCH -> NSUP_OPER.
  oncrpc::RpcClient raw;
  ASSERT_EQ(raw.connect("127.0.0.1", server->core_port(), core::Deadline::after_ms(2000)), status::SUCCESS);
  raw.begin_call(vxi11::core_program, 7, vxi11::proc::create_link);
  oncrpc::XdrReader r;
  EXPECT_EQ(raw.finish_call(core::Deadline::after_ms(2000), r), status::ERROR_NSUP_OPER);
  // Invalid link id.
  raw.begin_call(vxi11::core_program, 1, vxi11::proc::device_unlock).put_i32(424242);
  ASSERT_EQ(raw.finish_call(core::Deadline::after_ms(2000), r), status::SUCCESS);
  EXPECT_EQ(r.get_i32(), vxi11::err::invalid_link);
}

TEST_F(Vxi11Loopback, OversizeWriteIsParameterError) {
  oncrpc::RpcClient raw;
  ASSERT_EQ(raw.connect("127.0.0.1", server->core_port(), core::Deadline::after_ms(2000)), status::SUCCESS);
  vxi11::CreateLinkParms p;
  p.device = "inst0";
  encode(raw.begin_call(vxi11::core_program, 1, vxi11::proc::create_link), p);
  oncrpc::XdrReader r;
  ASSERT_EQ(raw.finish_call(core::Deadline::after_ms(2000), r), status::SUCCESS);
  vxi11::CreateLinkResp link;
  ASSERT_TRUE(decode(r, link));
  std::string data(2000, 'a');  // > maxRecvSize 1024
  vxi11::DeviceWriteParms w;
  w.lid = link.lid;
  w.io_timeout = 1000;
  w.flags = vxi11::flag::end;
  w.data = bytes_of(data);
  encode(raw.begin_call(vxi11::core_program, 1, vxi11::proc::device_write), w);
  ASSERT_EQ(raw.finish_call(core::Deadline::after_ms(2000), r), status::SUCCESS);
  vxi11::DeviceWriteResp resp;
  ASSERT_TRUE(decode(r, resp));
  EXPECT_EQ(resp.error, vxi11::err::parameter);
  EXPECT_EQ(resp.size, 0u);
  EXPECT_EQ(device->bytes_written.load(), 0u);
}

// ---- several clients of one device, locks shared with other protocols, limits, statuses ----

/// A link made by hand on its own core connection (the calls our client does not make).
struct RawLink {
  oncrpc::RpcClient rpc{1 << 20};
  std::int32_t lid = 0;
  std::int32_t open(std::uint16_t port, std::string device = "inst0", bool lock_device = false,
                    std::uint32_t lock_timeout = 0) {
    if (!rpc.connected() && rpc.connect("127.0.0.1", port, core::Deadline::after_ms(2000)) != status::SUCCESS)
      return -1;
    vxi11::CreateLinkParms p;
    p.lock_device = lock_device;
    p.lock_timeout = lock_timeout;
    p.device = std::move(device);
    encode(rpc.begin_call(vxi11::core_program, 1, vxi11::proc::create_link), p);
    oncrpc::XdrReader r;
    if (rpc.finish_call(core::Deadline::after_ms(lock_timeout + 3000), r) != status::SUCCESS) return -1;
    vxi11::CreateLinkResp resp;
    if (!decode(r, resp)) return -1;
    if (resp.error == 0) lid = resp.lid;
    return resp.error;
  }
  std::int32_t simple(std::uint32_t procedure, std::int32_t link) {
    rpc.begin_call(vxi11::core_program, 1, procedure).put_i32(link);
    oncrpc::XdrReader r;
    if (rpc.finish_call(core::Deadline::after_ms(3000), r) != status::SUCCESS) return -1;
    return r.get_i32();
  }
  std::int32_t destroy(std::int32_t link) { return simple(vxi11::proc::destroy_link, link); }
  std::int32_t write(std::string_view text, std::int32_t flags = vxi11::flag::end, std::uint32_t lock_timeout = 0) {
    vxi11::DeviceWriteParms w;
    w.lid = lid;
    w.io_timeout = 2000;
    w.lock_timeout = lock_timeout;
    w.flags = flags;
    w.data = bytes_of(text);
    encode(rpc.begin_call(vxi11::core_program, 1, vxi11::proc::device_write), w);
    oncrpc::XdrReader r;
    if (rpc.finish_call(core::Deadline::after_ms(lock_timeout + 5000), r) != status::SUCCESS) return -1;
    vxi11::DeviceWriteResp resp;
    if (!decode(r, resp)) return -1;
    return resp.error;
  }
};

TEST_F(Vxi11Loopback, TwoLinksInterleaveAndEachGetsItsOwnAnswers) {
  for (bool knows : {true, false}) {
    SCOPED_TRACE(knows ? "device knows its output" : "device cannot tell");
    device->knows_output = knows;
    vxi11::Vxi11Client a, b;
    ASSERT_EQ(open(a), status::SUCCESS);
    ASSERT_EQ(open(b), status::SUCCESS);
    for (int round = 0; round < 5; ++round) {
      std::string ta = "a" + std::to_string(round), tb = "b" + std::to_string(round);
      std::size_t n = 0;
      ASSERT_EQ(a.write(bytes_of("ECHO? " + ta + "\n"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
      // b's query waits while a's answer is unread (never reads a's answer, never overtakes it).
      auto b_query = std::async(std::launch::async, [&] { return query(b, "ECHO? " + tb + "\n"); });
      EXPECT_EQ(b_query.wait_for(50ms), std::future_status::timeout);
      std::vector<std::byte> buffer(100);
      core::ReadTermination term;
      ASSERT_EQ(a.read(buffer, n, term, core::Deadline::after_ms(2000)), status::SUCCESS);
      EXPECT_EQ(text_of(std::span(buffer).first(n)), ta + "\n");
      EXPECT_EQ(b_query.get(), tb + "\n");
    }
  }
}

TEST_F(Vxi11Loopback, UnreadAnswerOfAGoneLinkOrConnectionIsDiscarded) {
  vxi11::Vxi11Client b;
  ASSERT_EQ(open(b), status::SUCCESS);
  {
    vxi11::Vxi11Client a;  // destroy_link with a query pending
    ASSERT_EQ(open(a), status::SUCCESS);
    std::size_t n = 0;
    ASSERT_EQ(a.write(bytes_of("ECHO? from a\n"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  }
  auto start = Clock::now();
  EXPECT_EQ(query(b, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
  EXPECT_LT(Clock::now() - start, 1500ms);  // discarded at once, not after the response hold
  {
    RawLink raw;  // the connection drops without destroy_link
    ASSERT_EQ(raw.open(server->core_port()), 0);
    ASSERT_EQ(raw.write("ECHO? from raw\n"), 0);
  }
  EXPECT_EQ(query(b, "ECHO? mine\n"), "mine\n");
  EXPECT_GE(device->clears.load(), 2);  // each orphaned answer was cleared (IEEE 488.2 §5.8)
}

TEST(Vxi11Clients, TimedOutQueryLeavesNoAnswerForAnotherLink) {
  server::ServedDevice::Options o;
  o.response_hold_ms = 300;
  auto device = std::make_shared<FakeDevice>(o);
  vxi11::Vxi11Server srv;
  srv.add_device("inst0", device);
  ASSERT_EQ(srv.start(), status::SUCCESS);
  vxi11::Vxi11Client a, b;
  auto t = vxi11::Vxi11Client::Target{};
  t.host = "127.0.0.1";
  t.core_port = srv.core_port();
  ASSERT_EQ(a.open(t, core::Deadline::after_ms(2000)), status::SUCCESS);
  ASSERT_EQ(b.open(t, core::Deadline::after_ms(2000)), status::SUCCESS);
  std::size_t n = 0;
  ASSERT_EQ(a.write(bytes_of("SILENT?\n"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  std::vector<std::byte> buffer(100);
  core::ReadTermination term;
  EXPECT_EQ(a.read(buffer, n, term, core::Deadline::after_ms(200)), status::ERROR_TMO);
  device->queue_output("late answer for a\n");  // a's answer arrives after a gave up
  ASSERT_EQ(b.write(bytes_of("ECHO? for b\n"), true, n, core::Deadline::after_ms(3000)), status::SUCCESS);
  ASSERT_EQ(b.read(buffer, n, term, core::Deadline::after_ms(3000)), status::SUCCESS);
  EXPECT_EQ(text_of(std::span(buffer).first(n)), "for b\n");
  EXPECT_EQ(b.read(buffer, n, term, core::Deadline::after_ms(100)), status::ERROR_TMO);  // nothing else
  srv.stop();
}

TEST_F(Vxi11Loopback, AbortEndsAReadOnADeviceIgnoringItsDeadlineAtOnce) {
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  device->ignore_deadlines = true;  // only an abort ends the device's read
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of("SILENT?\n"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  constexpr auto request = 4000ms;
  auto reader = std::async(std::launch::async, [&] {
    std::vector<std::byte> buffer(100);
    std::size_t count = 0;
    core::ReadTermination term;
    return c.read(buffer, count, term, core::Deadline::after_ms(request.count()));
  });
  ASSERT_TRUE(device->wait_for_blocked_read(5s));
  auto start = Clock::now();
  EXPECT_EQ(c.abort(), status::SUCCESS);
  EXPECT_EQ(reader.get(), status::ERROR_ABORT);
  EXPECT_LT(Clock::now() - start, request / 10);  // well within 10 % of the read's timeout
  device->ignore_deadlines = false;
  EXPECT_EQ(query(c, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
  EXPECT_EQ(c.abort(), status::SUCCESS);  // nothing in progress: delivered, nothing ended
  EXPECT_EQ(query(c, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
}

TEST_F(Vxi11Loopback, AbortEndsAWaitForTheLock) {
  vxi11::Vxi11Client holder, waiter;
  ASSERT_EQ(open(holder), status::SUCCESS);
  ASSERT_EQ(open(waiter), status::SUCCESS);
  ASSERT_EQ(holder.lock(0), status::SUCCESS);
  auto start = Clock::now();
  auto waiting = std::async(std::launch::async, [&] { return waiter.lock(10000); });
  EXPECT_EQ(waiting.wait_for(100ms), std::future_status::timeout);
  EXPECT_EQ(waiter.abort(), status::SUCCESS);
  EXPECT_EQ(waiting.get(), status::ERROR_ABORT);
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_EQ(holder.unlock(), status::SUCCESS);
}

TEST_F(Vxi11Loopback, LockOfAnotherProtocolsClientKeepsLinksOutAndTheirsKeepsItOut) {
  // `other` stands for a HiSLIP or raw-socket client of the same device.
  const server::ClientId other = server::new_client_id();
  ASSERT_EQ(device->lock(other, server::LockType::exclusive, {}, core::Deadline::after_ms(0)), status::SUCCESS);
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  std::size_t n = 0;
  EXPECT_EQ(c.write(bytes_of("*IDN?\n"), true, n, core::Deadline::after_ms(2000)), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(c.lock(0), status::ERROR_RSRC_LOCKED);
  auto start = Clock::now();
  EXPECT_EQ(c.lock(300), status::ERROR_RSRC_LOCKED);
  EXPECT_GE(Clock::now() - start, 290ms);
  // With waitlock, I/O waits for the other client's unlock (up to lock_timeout).
  RawLink raw;
  ASSERT_EQ(raw.open(server->core_port()), 0);
  EXPECT_EQ(raw.write("NOTE 1\n", vxi11::flag::end, 0), vxi11::err::locked);
  auto unlocker = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(200ms);
    return device->unlock(other);
  });
  EXPECT_EQ(raw.write("NOTE 2\n", vxi11::flag::end | vxi11::flag::waitlock, 5000), 0);
  EXPECT_EQ(unlocker.get(), status::SUCCESS);
  EXPECT_EQ(device->log_copy(), std::vector<std::string>{"NOTE 2"});
  // Now the VXI-11 lock keeps the other client out, and a shared lock as well.
  ASSERT_EQ(c.lock(0), status::SUCCESS);
  EXPECT_FALSE(device->may_access(other));
  EXPECT_EQ(device->lock(other, server::LockType::exclusive, {}, core::Deadline::after_ms(100)),
            status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(device->lock(other, server::LockType::shared, "key", core::Deadline::after_ms(0)),
            status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(device->wait_access(other, core::Deadline::after_ms(50)), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(raw.write("NOTE 3\n"), vxi11::err::locked);  // another link is kept out too
  EXPECT_EQ(c.unlock(), status::SUCCESS);
  EXPECT_TRUE(device->may_access(other));
  // A shared lock of the other client keeps links out as well; a link's waiting lock gets it after.
  ASSERT_EQ(device->lock(other, server::LockType::shared, "key", core::Deadline::after_ms(0)), status::SUCCESS);
  EXPECT_EQ(c.write(bytes_of("*IDN?\n"), true, n, core::Deadline::after_ms(2000)), status::ERROR_RSRC_LOCKED);
  auto waiting = std::async(std::launch::async, [&] { return c.lock(5000); });
  EXPECT_EQ(waiting.wait_for(100ms), std::future_status::timeout);
  EXPECT_EQ(device->unlock(other), status::SUCCESS_NESTED_SHARED);
  EXPECT_EQ(waiting.get(), status::SUCCESS);
  EXPECT_FALSE(device->may_access(other));
  // The lock goes with the link.
  c.close();
  EXPECT_TRUE(device->may_access(other));
}

TEST_F(Vxi11Loopback, LinkLocksEndWithTheConnectionAndTheServer) {
  const server::ClientId other = server::new_client_id();
  {
    RawLink raw;
    ASSERT_EQ(raw.open(server->core_port(), "inst0", true, 1000), 0);  // create_link with lockDevice
    EXPECT_FALSE(device->may_access(other));
    RawLink second;  // lockDevice while it is held: error 11 after lock_timeout, and no link
    auto start = Clock::now();
    EXPECT_EQ(second.open(server->core_port(), "inst0", true, 200), vxi11::err::locked);
    EXPECT_GE(Clock::now() - start, 190ms);
    EXPECT_EQ(server->link_count(), 1u);
  }
  EXPECT_TRUE(device->wait_access(other, core::Deadline::after_ms(5000)) == status::SUCCESS);
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  ASSERT_EQ(c.lock(0), status::SUCCESS);
  EXPECT_FALSE(device->may_access(other));
  server->stop();
  EXPECT_TRUE(device->may_access(other));
}

TEST(Vxi11Clients, LinkLimitsInTotalAndPerConnection) {
  auto device = std::make_shared<FakeDevice>();
  vxi11::Vxi11Server::Options o;
  o.max_links = 3;
  o.max_links_per_connection = 2;
  vxi11::Vxi11Server srv(o);
  srv.add_device("inst0", device);
  ASSERT_EQ(srv.start(), status::SUCCESS);
  RawLink one, two;
  ASSERT_EQ(one.open(srv.core_port()), 0);
  std::int32_t first = one.lid;
  ASSERT_EQ(one.open(srv.core_port()), 0);
  EXPECT_EQ(one.open(srv.core_port()), vxi11::err::out_of_resources);  // third on one connection
  ASSERT_EQ(two.open(srv.core_port()), 0);
  EXPECT_EQ(two.open(srv.core_port()), vxi11::err::out_of_resources);  // fourth in total
  EXPECT_EQ(srv.link_count(), 3u);
  // Our client reports a refused link as "busy".
  vxi11::Vxi11Client c;
  vxi11::Vxi11Client::Target t;
  t.host = "127.0.0.1";
  t.core_port = srv.core_port();
  EXPECT_EQ(c.open(t, core::Deadline::after_ms(2000)), status::ERROR_RSRC_BUSY);
  EXPECT_EQ(one.destroy(first), 0);
  EXPECT_EQ(one.destroy(first), vxi11::err::invalid_link);
  EXPECT_EQ(two.open(srv.core_port()), 0);  // room again
  srv.stop();
}

TEST(Vxi11Clients, ConnectionLimit) {
  auto device = std::make_shared<FakeDevice>();
  vxi11::Vxi11Server::Options o;
  o.max_connections = 1;
  vxi11::Vxi11Server srv(o);
  srv.add_device("inst0", device);
  ASSERT_EQ(srv.start(), status::SUCCESS);
  RawLink one, two;
  ASSERT_EQ(one.open(srv.core_port()), 0);
  EXPECT_EQ(two.open(srv.core_port()), -1);  // accepted and closed at once
  srv.stop();
}

TEST(Vxi11Clients, AllowListAndPerAddressLimit) {
  auto device = std::make_shared<FakeDevice>();
  {
    vxi11::Vxi11Server::Options o;
    ASSERT_TRUE(o.allow.add("192.0.2.0/24"));  // loopback is not in it
    vxi11::Vxi11Server srv(o);
    srv.add_device("inst0", device);
    ASSERT_EQ(srv.start(), status::SUCCESS);
    RawLink outside;
    EXPECT_EQ(outside.open(srv.core_port()), -1);  // closed at accept
    vxi11::Vxi11Client c;
    vxi11::Vxi11Client::Target t;
    t.host = "127.0.0.1";
    t.core_port = srv.core_port();
    EXPECT_NE(c.open(t, core::Deadline::after_ms(2000)), status::SUCCESS);
    EXPECT_EQ(srv.link_count(), 0u);
    srv.stop();
  }
  {
    vxi11::Vxi11Server::Options o;
    ASSERT_TRUE(o.allow.add("127.0.0.0/8"));
    o.max_per_address = 1;
    vxi11::Vxi11Server srv(o);
    srv.add_device("inst0", device);
    ASSERT_EQ(srv.start(), status::SUCCESS);
    RawLink first, second;
    ASSERT_EQ(first.open(srv.core_port()), 0);
    EXPECT_EQ(second.open(srv.core_port()), -1);  // a second connection from 127.0.0.1
    EXPECT_EQ(first.write("NOTE allowed\n"), 0);
    srv.stop();
  }
}

// ---- the simulated oscilloscope served (server::SessionDevice over the sim backend) ----

class Vxi11ServedSim : public ::testing::Test {
 protected:
  void SetUp() override {
    backend = sim::make_backend("");
    ASSERT_EQ(backend->open_default_rm(rm), status::SUCCESS);
    ASSERT_EQ(backend->open(rm, "TCPIP::sim-scope::INSTR", AccessMode::no_lock, 2000, session), status::SUCCESS);
    server::ServedDevice::Options o;
    o.response_hold_ms = 300;  // how long a client's unread answer holds off the others
    device = std::make_shared<server::SessionDevice>(backend, session, "TCPIP::sim-scope::INSTR", o);
    server = std::make_unique<vxi11::Vxi11Server>();
    server->add_device("inst0", device);
    ASSERT_EQ(server->start(), status::SUCCESS);
  }
  void TearDown() override {
    server->stop();
    device.reset();
    backend->close(session);
    backend->close(rm);
  }
  status_t open(vxi11::Vxi11Client& c) {
    vxi11::Vxi11Client::Target t;
    t.host = "127.0.0.1";
    t.core_port = server->core_port();
    return c.open(t, core::Deadline::after_ms(2000));
  }
  std::string query(vxi11::Vxi11Client& c, std::string_view command) {
    std::size_t n = 0;
    EXPECT_EQ(c.write(bytes_of(command), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
    std::vector<std::byte> buffer(4096);
    core::ReadTermination term;
    EXPECT_EQ(c.read(buffer, n, term, core::Deadline::after_ms(3000)), status::SUCCESS);
    return text_of(std::span(buffer).first(n));
  }
  std::shared_ptr<Backend> backend;
  session_t rm = 0, session = 0;
  std::shared_ptr<server::SessionDevice> device;
  std::unique_ptr<vxi11::Vxi11Server> server;
};

TEST_F(Vxi11ServedSim, AnotherClientNeverGetsTheAnswerOfOneThatLeft) {
  // Issue #8: A sends the slow query and disconnects; B's first query must get its own answer.
  vxi11::Vxi11Client b;
  ASSERT_EQ(open(b), status::SUCCESS);
  {
    vxi11::Vxi11Client a;
    ASSERT_EQ(open(a), status::SUCCESS);
    std::size_t n = 0;
    ASSERT_EQ(a.write(bytes_of(":ACQ:SLOW?\n"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  }
  EXPECT_EQ(query(b, "*IDN?\n"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
  EXPECT_EQ(query(b, "*OPC?\n"), "1\n");
}

TEST_F(Vxi11ServedSim, AClientThatTimedOutLeavesNoAnswerForAnother) {
  vxi11::Vxi11Client a, b;
  ASSERT_EQ(open(a), status::SUCCESS);
  ASSERT_EQ(open(b), status::SUCCESS);
  std::size_t n = 0;
  ASSERT_EQ(a.write(bytes_of(":ACQ:SLOW?\n"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  std::vector<std::byte> buffer(100);
  core::ReadTermination term;
  EXPECT_EQ(a.read(buffer, n, term, core::Deadline::after_ms(100)), status::ERROR_TMO);
  EXPECT_EQ(query(b, "*IDN?\n"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
}

TEST_F(Vxi11ServedSim, AbortEndsAReadOfTheSlowQuery) {
  vxi11::Vxi11Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of(":ACQ:SLOW?\n"), true, n, core::Deadline::after_ms(2000)), status::SUCCESS);
  constexpr auto request = 5000ms;
  auto reader = std::async(std::launch::async, [&] {
    std::vector<std::byte> buffer(100);
    std::size_t count = 0;
    core::ReadTermination term;
    return c.read(buffer, count, term, core::Deadline::after_ms(request.count()));
  });
  std::this_thread::sleep_for(200ms);  // the read is waiting for the answer due at 500 ms
  auto start = Clock::now();
  EXPECT_EQ(c.abort(), status::SUCCESS);
  EXPECT_EQ(reader.get(), status::ERROR_ABORT);  // ended by the abort, not by the answer
  EXPECT_LT(Clock::now() - start, request / 10);
  EXPECT_EQ(query(c, "*IDN?\n"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
}

/// A device that can only read and write: everything else is the base's VI_ERROR_NSUP_OPER.
class PlainDevice : public server::ServedDevice {
 protected:
  status_t do_write(std::span<const std::byte> data, bool, std::size_t& count, core::Deadline) override {
    count = data.size();
    return status::SUCCESS;
  }
  status_t do_read(std::span<std::byte>, std::optional<std::byte>, server::ReadResult& r, core::Deadline) override {
    r = {};
    return status::ERROR_IO;  // an instrument failing its transfer
  }
};

TEST(Vxi11Clients, DeviceStatusesReachTheClientUnchanged) {
  server::ServedDevice::Options read_only;
  read_only.read_only = true;
  auto guarded = std::make_shared<FakeDevice>(read_only);
  auto plain = std::make_shared<PlainDevice>();
  vxi11::Vxi11Server srv;
  srv.add_device("inst0", guarded);
  srv.add_device("inst1", plain);
  ASSERT_EQ(srv.start(), status::SUCCESS);
  vxi11::Vxi11Client::Target t;
  t.host = "127.0.0.1";
  t.core_port = srv.core_port();
  auto d = [] { return core::Deadline::after_ms(2000); };
  vxi11::Vxi11Client ro, p;
  t.device_name = "inst0";
  ASSERT_EQ(ro.open(t, d()), status::SUCCESS);
  t.device_name = "inst1";
  ASSERT_EQ(p.open(t, d()), status::SUCCESS);
  std::size_t n = 0;
  EXPECT_EQ(ro.write(bytes_of("*RST\n"), true, n, d()), status::ERROR_NSUP_OPER);  // read-only serving
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(ro.trigger(d()), status::ERROR_NSUP_OPER);
  EXPECT_EQ(guarded->triggers.load(), 0);
  std::uint8_t stb = 0;
  EXPECT_EQ(ro.read_stb(stb, d()), status::SUCCESS);  // reading stays allowed
  EXPECT_EQ(p.trigger(d()), status::ERROR_NSUP_OPER);  // devices that cannot
  EXPECT_EQ(p.read_stb(stb, d()), status::ERROR_NSUP_OPER);
  EXPECT_EQ(p.clear(d()), status::ERROR_NSUP_OPER);
  EXPECT_EQ(p.remote(d()), status::ERROR_NSUP_OPER);
  EXPECT_EQ(p.local(d()), status::ERROR_NSUP_OPER);
  EXPECT_EQ(p.write(bytes_of("X\n"), true, n, d()), status::SUCCESS);
  std::vector<std::byte> buffer(10);
  core::ReadTermination term;
  EXPECT_EQ(p.read(buffer, n, term, d()), status::ERROR_IO);
  EXPECT_EQ(p.unlock(), status::ERROR_SESN_NLOCKED);
  srv.stop();
}

}  // namespace
}  // namespace cppvisa

// ---- the same server through the native backend (Vxi11Session) ----

namespace cppvisa {
namespace {

class Vxi11Backend : public Vxi11Loopback {
 protected:
  void SetUp() override {
    Vxi11Loopback::SetUp();
    // The client asks this portmapper instead of port 111.
    ::setenv("CPPVISA_PORTMAPPER_PORT", std::to_string(portmapper.port()).c_str(), 1);
    backend = native::make_backend();
    ASSERT_EQ(backend->open_default_rm(rm), status::SUCCESS);
  }
  void TearDown() override {
    backend->close(rm);
    ::unsetenv("CPPVISA_PORTMAPPER_PORT");
    Vxi11Loopback::TearDown();
  }
  session_t open_session(std::string name = "TCPIP::127.0.0.1::inst0::INSTR", Backend* b = nullptr,
                         session_t rm_of_b = 0) {
    session_t s = 0;
    Backend& target = b ? *b : *backend;
    EXPECT_EQ(target.open(b ? rm_of_b : rm, name, AccessMode::no_lock, 0, s), status::SUCCESS) << name;
    return s;
  }
  status_t write(session_t s, std::string_view text, Backend* b = nullptr) {
    std::size_t n = 0;
    return (b ? *b : *backend).write(s, bytes_of(text), n);
  }
  status_t read(session_t s, std::string& out, std::size_t size = 4096, Backend* b = nullptr) {
    std::vector<std::byte> buffer(size);
    std::size_t n = 0;
    status_t st = (b ? *b : *backend).read(s, buffer, n);
    out = text_of(std::span(buffer).first(n));
    return st;
  }
  std::shared_ptr<Backend> backend;
  session_t rm = 0;
};

TEST_F(Vxi11Backend, QueryThroughTheBackend) {
  session_t s = open_session();
  ASSERT_EQ(write(s, "*IDN?\n"), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(read(s, reply), status::SUCCESS);
  EXPECT_EQ(reply, "FAKE,LAN-TEST,0,1.0\n");
  AttrValue v;
  ASSERT_EQ(backend->get_attribute(s, attr::TCPIP_DEVICE_NAME, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::string>(v), "inst0");
  EXPECT_EQ(backend->close(s), status::SUCCESS);
  EXPECT_EQ(server->link_count(), 0u);  // destroy_link on close
}

TEST_F(Vxi11Backend, DefaultDeviceNameAndGatewayName) {
  session_t s = open_session("TCPIP0::127.0.0.1::INSTR");
  ASSERT_EQ(write(s, "ECHO? inst0\n"), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(read(s, reply), status::SUCCESS);
  EXPECT_EQ(reply, "inst0\n");
  session_t g = open_session("TCPIP::127.0.0.1::gpib0,5::INSTR");
  ASSERT_EQ(write(g, "ECHO? gw\n"), status::SUCCESS);
  EXPECT_EQ(read(g, reply), status::SUCCESS);
  EXPECT_EQ(reply, "gw\n");
  EXPECT_EQ(gateway_device->bytes_written.load(), 9u);
}

TEST_F(Vxi11Backend, MissingInstrumentFailsAtOpen) {
  session_t s = 0;
  EXPECT_EQ(backend->open(rm, "TCPIP::127.0.0.1::inst3::INSTR", AccessMode::no_lock, 0, s), status::ERROR_RSRC_NFOUND);
  ::setenv("CPPVISA_PORTMAPPER_PORT", "1", 1);  // nothing listens there
  EXPECT_EQ(backend->open(rm, "TCPIP::127.0.0.1::inst0::INSTR", AccessMode::no_lock, 0, s), status::ERROR_RSRC_NFOUND);
}

TEST_F(Vxi11Backend, SendEndAndTermcharAttributes) {
  session_t s = open_session();
  ASSERT_EQ(backend->set_attribute(s, attr::SEND_END_EN, std::int64_t{0}), status::SUCCESS);
  ASSERT_EQ(write(s, "ECHO? x"), status::SUCCESS);  // no END: the message continues
  ASSERT_EQ(backend->set_attribute(s, attr::SEND_END_EN, std::int64_t{1}), status::SUCCESS);
  ASSERT_EQ(write(s, "y"), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(read(s, reply), status::SUCCESS);
  EXPECT_EQ(reply, "xy\n");
  ASSERT_EQ(backend->set_attribute(s, attr::TERMCHAR_EN, std::int64_t{1}), status::SUCCESS);
  ASSERT_EQ(backend->set_attribute(s, attr::TERMCHAR, std::int64_t{'-'}), status::SUCCESS);
  ASSERT_EQ(write(s, "ECHO? a-b\n"), status::SUCCESS);
  EXPECT_EQ(read(s, reply), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(reply, "a-");
  EXPECT_EQ(read(s, reply), status::SUCCESS);
  EXPECT_EQ(reply, "b\n");
}

TEST_F(Vxi11Backend, TimeoutStbTriggerClearRen) {
  session_t s = open_session();
  ASSERT_EQ(backend->set_attribute(s, attr::TMO_VALUE, std::int64_t{250}), status::SUCCESS);
  ASSERT_EQ(write(s, "SILENT?\n"), status::SUCCESS);
  std::string reply;
  auto start = Clock::now();
  EXPECT_EQ(read(s, reply), status::ERROR_TMO);
  EXPECT_GE(Clock::now() - start, 240ms);
  EXPECT_LT(Clock::now() - start, 3s);
  std::uint16_t stb = 0xFFFF;
  EXPECT_EQ(backend->read_stb(s, stb), status::SUCCESS);
  EXPECT_EQ(stb, 0);
  EXPECT_EQ(backend->assert_trigger(s, TriggerProtocol::default_), status::SUCCESS);
  EXPECT_EQ(device->triggers.load(), 1);
  EXPECT_EQ(backend->clear(s), status::SUCCESS);
  EXPECT_EQ(device->clears.load(), 1);
  EXPECT_EQ(backend->gpib_control_ren(s, RenMode::assert_), status::SUCCESS);
  EXPECT_TRUE(device->is_remote.load());
  EXPECT_EQ(backend->gpib_control_ren(s, RenMode::deassert_gtl), status::SUCCESS);
  EXPECT_FALSE(device->is_remote.load());
}

TEST_F(Vxi11Backend, ExclusiveLockExcludesAnotherProcess) {
  // A second backend stands for another process: only the device lock can exclude it.
  auto other = native::make_backend();
  session_t other_rm = 0;
  ASSERT_EQ(other->open_default_rm(other_rm), status::SUCCESS);
  session_t a = open_session();
  session_t b = open_session("TCPIP::127.0.0.1::inst0::INSTR", other.get(), other_rm);
  std::string key;
  ASSERT_EQ(backend->lock(a, AccessMode::exclusive_lock, 1000, {}, key), status::SUCCESS);
  EXPECT_EQ(write(b, "*IDN?\n", other.get()), status::ERROR_RSRC_LOCKED);
  auto start = Clock::now();
  // A wait that ran out is VI_ERROR_TMO (VXI-11 says error 11 either way; VISA tells them apart).
  EXPECT_EQ(other->lock(b, AccessMode::exclusive_lock, 300, {}, key), status::ERROR_TMO);
  EXPECT_GE(Clock::now() - start, 290ms);
  EXPECT_LT(Clock::now() - start, 3s);
  ASSERT_EQ(backend->unlock(a), status::SUCCESS);
  EXPECT_EQ(other->lock(b, AccessMode::exclusive_lock, 1000, {}, key), status::SUCCESS);
  EXPECT_EQ(write(a, "*IDN?\n"), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(other->close(b), status::SUCCESS);  // closing releases the device lock
  EXPECT_EQ(write(a, "*IDN?\n"), status::SUCCESS);
  other->close(other_rm);
}

TEST_F(Vxi11Backend, ServiceRequestEvent) {
  session_t s = open_session();
  ASSERT_EQ(backend->enable_event(s, event::service_request, 1 /* VI_QUEUE */), status::SUCCESS);
  device->request_service();
  event_type_t type = 0;
  session_t context = 0;
  ASSERT_EQ(backend->wait_on_event(s, event::service_request, 5000, type, context, false), status::SUCCESS);
  EXPECT_EQ(type, event::service_request);
  std::uint16_t stb = 0;
  EXPECT_EQ(backend->read_stb(s, stb), status::SUCCESS);
  EXPECT_EQ(stb & 0x40, 0x40);
  EXPECT_EQ(backend->close(s), status::SUCCESS);
}

TEST_F(Vxi11Backend, TerminateAbortsABlockedRead) {
  session_t s = open_session();
  ASSERT_EQ(backend->set_attribute(s, attr::TMO_VALUE, std::int64_t{20000}), status::SUCCESS);
  ASSERT_EQ(write(s, "SILENT?\n"), status::SUCCESS);
  auto start = Clock::now();
  auto reader = std::async(std::launch::async, [&] {
    std::string reply;
    return read(s, reply);
  });
  ASSERT_TRUE(device->wait_for_blocked_read(5s));
  EXPECT_EQ(backend->terminate(s, 0, 0), status::SUCCESS);
  EXPECT_EQ(reader.get(), status::ERROR_ABORT);
  EXPECT_LT(Clock::now() - start, 10s);
}

TEST_F(Vxi11Backend, ServerKilledMidTransfer) {
  session_t s = open_session();
  ASSERT_EQ(backend->set_attribute(s, attr::TMO_VALUE, std::int64_t{20000}), status::SUCCESS);
  ASSERT_EQ(write(s, "SILENT?\n"), status::SUCCESS);
  auto reader = std::async(std::launch::async, [&] {
    std::string reply;
    return read(s, reply);
  });
  ASSERT_TRUE(device->wait_for_blocked_read(5s));
  server->stop();
  status_t st = reader.get();
  EXPECT_TRUE(st == status::ERROR_CONN_LOST || st == status::ERROR_ABORT) << status_name(st);
  EXPECT_EQ(write(s, "*IDN?\n"), status::ERROR_CONN_LOST);
  EXPECT_EQ(backend->close(s), status::SUCCESS);
}

TEST_F(Vxi11Backend, SessionsOnSeveralThreads) {
  constexpr int threads = 6, rounds = 15;
  std::atomic<int> ok{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      session_t s = 0;
      if (backend->open(rm, "TCPIP::127.0.0.1::inst0::INSTR", AccessMode::no_lock, 0, s) != status::SUCCESS) return;
      for (int i = 0; i < rounds; ++i) {
        std::string key, text = "s" + std::to_string(t) + "-" + std::to_string(i), reply;
        if (backend->lock(s, AccessMode::exclusive_lock, 10000, {}, key) < 0) continue;
        if (write(s, "ECHO? " + text + "\n") == status::SUCCESS && read(s, reply) == status::SUCCESS &&
            reply == text + "\n")
          ++ok;
        backend->unlock(s);
      }
      backend->close(s);
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(ok.load(), threads * rounds);
}

}  // namespace
}  // namespace cppvisa
