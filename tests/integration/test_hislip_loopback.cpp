// Our HiSLIP client (hislip::Client, hislip::HislipSession) against our HiSLIP server
// (hislip::Server) on loopback, with a fake instrument.
#include "core/session_backend.hpp"
#include "integration/fake_device.hpp"
#include "integration/hislip_raw_peer.hpp"
#include "protocols/hislip/hislip_channel.hpp"
#include "protocols/hislip/hislip_client.hpp"
#include "protocols/hislip/hislip_server.hpp"
#include "protocols/hislip/hislip_session.hpp"
#include "protocols/net/socket.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <thread>

namespace cppvisa {
namespace {

using namespace std::chrono_literals;
using testing::bytes_of;
using testing::FakeDevice;
using testing::RawPeer;
using testing::RawSession;
using testing::text_of;
using Clock = std::chrono::steady_clock;
using hislip::Header;
using hislip::MessageType;

/// A FakeDevice whose output can be held back (a slow instrument): reads wait until released;
/// abort() ends a held read at once.
class GatedDevice : public FakeDevice {
 public:
  void open_gate() {
    std::lock_guard lock(gate_mutex_);
    open_ = true;
    gate_changed_.notify_all();
  }
  /// Waits until `n` reads are held at the gate.
  bool wait_held(int n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(gate_mutex_);
    return gate_changed_.wait_for(lock, timeout, [&] { return waiting_ == n; });
  }

 protected:
  status_t do_read(std::span<std::byte> buffer, std::optional<std::byte> termchar, server::ReadResult& result,
                   core::Deadline deadline) override {
    {
      std::unique_lock lock(gate_mutex_);
      ++waiting_;
      gate_changed_.notify_all();
      bool open = gate_changed_.wait_until(lock, deadline.when(), [&] { return open_ || aborted_; });
      --waiting_;
      gate_changed_.notify_all();
      if (aborted_) {
        aborted_ = false;
        result = {};
        return status::ERROR_ABORT;
      }
      if (!open) {
        result = {};
        return status::ERROR_TMO;
      }
    }
    return FakeDevice::do_read(buffer, termchar, result, deadline);
  }
  void do_abort() override {
    {
      std::lock_guard lock(gate_mutex_);
      if (waiting_ > 0) aborted_ = true;
      gate_changed_.notify_all();
    }
    FakeDevice::do_abort();
  }

 private:
  std::mutex gate_mutex_;
  std::condition_variable gate_changed_;
  int waiting_ = 0;
  bool open_ = false;
  bool aborted_ = false;
};

/// A FakeDevice that says its answer is ready (do_output()) but, while stalled, does not deliver
/// it: a read waits, whatever its deadline, until an abort or unstall() (an instrument that
/// misreports its output). Records the threads that wrote and read last.
class StalledDevice : public FakeDevice {
 public:
  void stall() {
    std::lock_guard lock(stall_mutex_);
    stalled_ = true;
  }
  void unstall() {
    std::lock_guard lock(stall_mutex_);
    stalled_ = false;
    stall_changed_.notify_all();
  }
  /// Waits until a read is stalled in the device.
  bool wait_stalled_read(std::chrono::milliseconds timeout) {
    std::unique_lock lock(stall_mutex_);
    return stall_changed_.wait_for(lock, timeout, [&] { return in_read_ > 0; });
  }
  std::thread::id writer() {
    std::lock_guard lock(stall_mutex_);
    return writer_;
  }
  std::thread::id reader() {
    std::lock_guard lock(stall_mutex_);
    return reader_;
  }
  std::atomic<int> stalled_reads_aborted{0};

 protected:
  status_t do_write(std::span<const std::byte> data, bool end, std::size_t& count, core::Deadline deadline) override {
    {
      std::lock_guard lock(stall_mutex_);
      writer_ = std::this_thread::get_id();
    }
    return FakeDevice::do_write(data, end, count, deadline);
  }
  status_t do_read(std::span<std::byte> buffer, std::optional<std::byte> termchar, server::ReadResult& result,
                   core::Deadline deadline) override {
    {
      std::unique_lock lock(stall_mutex_);
      reader_ = std::this_thread::get_id();
      if (stalled_) {
        ++in_read_;
        stall_changed_.notify_all();
        stall_changed_.wait(lock, [&] { return aborted_ || !stalled_; });
        --in_read_;
        if (aborted_) {
          aborted_ = false;
          ++stalled_reads_aborted;
          result = {};
          return status::ERROR_ABORT;
        }
      }
    }
    return FakeDevice::do_read(buffer, termchar, result, deadline);
  }
  void do_abort() override {
    {
      std::lock_guard lock(stall_mutex_);
      if (in_read_ > 0) aborted_ = true;
      stall_changed_.notify_all();
    }
    FakeDevice::do_abort();
  }

 private:
  std::mutex stall_mutex_;
  std::condition_variable stall_changed_;
  bool stalled_ = false;
  bool aborted_ = false;
  int in_read_ = 0;
  std::thread::id writer_, reader_;
};

/// A FakeDevice without remote/local, trigger or status byte (a served raw-socket instrument).
class PlainDevice : public FakeDevice {
 protected:
  status_t do_remote(core::Deadline) override { return status::ERROR_NSUP_OPER; }
  status_t do_local(core::Deadline) override { return status::ERROR_NSUP_OPER; }
  status_t do_trigger(core::Deadline) override { return status::ERROR_NSUP_OPER; }
  status_t do_read_stb(std::uint8_t&, core::Deadline) override { return status::ERROR_NSUP_OPER; }
};

core::Deadline in(std::chrono::milliseconds ms) { return core::Deadline::after_ms(static_cast<std::uint32_t>(ms.count())); }

class HislipLoopback : public ::testing::Test {
 protected:
  void SetUp() override { start_server({}); }
  void TearDown() override {
    if (server) server->stop();
  }
  void start_server(hislip::Server::Options options) {
    if (server) server->stop();
    device = std::make_shared<FakeDevice>();
    gated = std::make_shared<GatedDevice>();
    options.max_message_size = options.max_message_size == hislip::Server::Options{}.max_message_size
                                   ? 1024  // small, so that writes are split
                                   : options.max_message_size;
    server = std::make_unique<hislip::Server>(options);
    server->add_device("hislip0", device);
    server->add_device("hislip1", gated);
    plain = std::make_shared<PlainDevice>();
    server->add_device("hislip2", plain);
    ASSERT_EQ(server->start(), status::SUCCESS);
  }
  hislip::Client::Target target(std::string sub = "hislip0") {
    return hislip::Client::Target{"127.0.0.1", server->port(), std::move(sub)};
  }
  status_t open(hislip::Client& c, std::string sub = "hislip0") { return c.open(target(std::move(sub)), in(2s)); }
  status_t send(hislip::Client& c, std::string_view text) {
    std::size_t n = 0;
    return c.write(bytes_of(text), true, n, in(2s));
  }
  std::string receive(hislip::Client& c, status_t* st = nullptr, std::size_t size = 1 << 16,
                      std::chrono::milliseconds timeout = 2s) {
    std::vector<std::byte> buffer(size);
    std::size_t n = 0;
    core::ReadTermination term;
    status_t s = c.read(buffer, n, term, in(timeout));
    if (st) *st = s;
    return text_of(std::span(buffer).first(n));
  }
  std::string query(hislip::Client& c, std::string_view command, status_t* st = nullptr) {
    EXPECT_EQ(send(c, command), status::SUCCESS);
    return receive(c, st);
  }
  /// Waits until the server has `n` sessions (sessions end asynchronously after a close).
  bool wait_sessions(std::size_t n) {
    auto until = Clock::now() + 5s;
    while (Clock::now() < until) {
      if (server->session_count() == n) return true;
      std::this_thread::sleep_for(5ms);  // polling a counter, not synchronising data
    }
    return false;
  }

  std::shared_ptr<FakeDevice> device;
  std::shared_ptr<GatedDevice> gated;
  std::shared_ptr<PlainDevice> plain;
  std::unique_ptr<hislip::Server> server;
};

TEST_F(HislipLoopback, OpenQueryClose) {
  hislip::Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  EXPECT_EQ(c.version(), hislip::version_2_0);
  EXPECT_EQ(c.server_max_message_size(), 1024u);
  EXPECT_EQ(c.server_vendor_id(), ('C' << 8) | 'V');
  EXPECT_FALSE(c.overlap());
  EXPECT_EQ(server->session_count(), 1u);
  status_t st = 0;
  EXPECT_EQ(query(c, "*IDN?\n", &st), "FAKE,LAN-TEST,0,1.0\n");
  EXPECT_EQ(st, status::SUCCESS);  // END
  c.close();
  EXPECT_TRUE(wait_sessions(0));
}

TEST_F(HislipLoopback, SubAddressesSelectDevices) {
  hislip::Client c, d, e;
  ASSERT_EQ(open(c, "HISLIP1"), status::SUCCESS);  // case-insensitive
  gated->open_gate();
  EXPECT_EQ(query(c, "ECHO? one\n"), "one\n");
  EXPECT_EQ(gated->bytes_written.load(), 10u);
  ASSERT_EQ(open(d, ""), status::SUCCESS);  // empty: the first device
  EXPECT_EQ(query(d, "ECHO? zero\n"), "zero\n");
  EXPECT_EQ(device->bytes_written.load(), 11u);
  auto start = Clock::now();
  EXPECT_EQ(open(e, "hislip7"), status::ERROR_RSRC_NFOUND);
  EXPECT_LT(Clock::now() - start, 1500ms);  // refused at once (FatalError), not after the timeout
  EXPECT_FALSE(e.is_open());
}

TEST_F(HislipLoopback, NothingListeningIsNotFound) {
  std::uint16_t port = server->port();
  server->stop();
  hislip::Client c;
  EXPECT_EQ(c.open({"127.0.0.1", port, "hislip0"}, in(2s)), status::ERROR_RSRC_NFOUND);
}

TEST_F(HislipLoopback, LargeBinaryTransferAcrossSeveralMessages) {
  hislip::Client::Options options;
  options.max_message_size = 4096;  // the server sends at most 4096-byte messages to us
  hislip::Client c(options);
  ASSERT_EQ(open(c), status::SUCCESS);
  // Write: 5006 bytes in messages of at most 1024 (server max) - 16 bytes.
  std::string big = "ECHO? " + std::string(5000, 'x') + "\n";
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of(big), true, n, in(2s)), status::SUCCESS);
  EXPECT_EQ(n, big.size());
  EXPECT_EQ(receive(c), std::string(5000, 'x') + "\n");
  // Read: a 300 kB binary block arrives in many Data messages and one DataEnd.
  constexpr std::size_t size = 300000;
  ASSERT_EQ(send(c, "BLOCK? 300000\n"), status::SUCCESS);
  status_t st = 0;
  std::string reply = receive(c, &st, 400000, 10s);
  EXPECT_EQ(st, status::SUCCESS);
  ASSERT_EQ(reply.size(), 8 + size + 1);
  EXPECT_EQ(reply.substr(0, 8), "#6300000");
  for (std::size_t i = 0; i < size; i += 997) ASSERT_EQ(static_cast<unsigned char>(reply[8 + i]), i & 0xFF) << i;
  EXPECT_EQ(reply.back(), '\n');
}

TEST_F(HislipLoopback, ReadRulesTermcharCountAndEnd) {
  hislip::Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  ASSERT_EQ(send(c, "ECHO? ab-cd\n"), status::SUCCESS);
  std::vector<std::byte> buffer(100);
  std::size_t n = 0;
  core::ReadTermination term;
  term.termchar_enabled = true;
  term.termchar = std::byte{'-'};
  EXPECT_EQ(c.read(buffer, n, term, in(2s)), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(text_of(std::span(buffer).first(n)), "ab-");
  EXPECT_EQ(c.read(std::span(buffer).first(2), n, term, in(2s)), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(text_of(std::span(buffer).first(n)), "cd");
  EXPECT_EQ(c.read(buffer, n, term, in(2s)), status::SUCCESS);
  EXPECT_EQ(text_of(std::span(buffer).first(n)), "\n");
}

TEST_F(HislipLoopback, WriteWithoutEndContinuesTheMessage) {
  hislip::Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of("ECHO? ab"), false, n, in(2s)), status::SUCCESS);
  ASSERT_EQ(c.write(bytes_of("cd"), true, n, in(2s)), status::SUCCESS);
  EXPECT_EQ(receive(c), "abcd\n");
}

TEST_F(HislipLoopback, QueryWithoutReplyTimesOutNearTheTimeout) {
  hislip::Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  ASSERT_EQ(send(c, "SILENT?\n"), status::SUCCESS);
  auto start = Clock::now();
  status_t st = 0;
  EXPECT_EQ(receive(c, &st, 100, 300ms), "");
  EXPECT_EQ(st, status::ERROR_TMO);
  EXPECT_GE(Clock::now() - start, 290ms);
  EXPECT_LT(Clock::now() - start, 3s);
  EXPECT_EQ(query(c, "ECHO? after\n"), "after\n");  // the session still works
}

TEST_F(HislipLoopback, LateAnswerToATimedOutQueryIsDropped) {
  hislip::Client c;
  ASSERT_EQ(open(c, "hislip1"), status::SUCCESS);
  ASSERT_EQ(send(c, "ECHO? first\n"), status::SUCCESS);
  status_t st = 0;
  receive(c, &st, 100, 200ms);
  EXPECT_EQ(st, status::ERROR_TMO);
  gated->open_gate();
  // MAV says the late answer is on its way (tagged with the first query's MessageID).
  std::uint8_t stb = 0;
  auto until = Clock::now() + 5s;
  do {
    ASSERT_EQ(c.read_stb(stb, in(2s)), status::SUCCESS);
  } while (!(stb & 0x10) && Clock::now() < until);
  ASSERT_EQ(stb & 0x10, 0x10);
  ASSERT_EQ(send(c, "ECHO? second\n"), status::SUCCESS);
  EXPECT_EQ(receive(c), "second\n");  // not "first\n" (pyvisa-py #376)
}

TEST_F(HislipLoopback, StatusByteMavTriggerRemoteLocal) {
  hislip::Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  std::uint8_t stb = 0xFF;
  ASSERT_EQ(c.read_stb(stb, in(2s)), status::SUCCESS);
  EXPECT_EQ(stb, 0);
  ASSERT_EQ(send(c, "*IDN?\n"), status::SUCCESS);
  // MAV once the answer was sent, until the client says it delivered it (RMT-delivered).
  auto until = Clock::now() + 5s;
  do {
    ASSERT_EQ(c.read_stb(stb, in(2s)), status::SUCCESS);
  } while (!(stb & 0x10) && Clock::now() < until);
  EXPECT_EQ(stb & 0x10, 0x10);
  EXPECT_EQ(receive(c), "FAKE,LAN-TEST,0,1.0\n");
  ASSERT_EQ(c.read_stb(stb, in(2s)), status::SUCCESS);
  EXPECT_EQ(stb & 0x10, 0);
  ASSERT_EQ(c.trigger(in(2s)), status::SUCCESS);
  ASSERT_EQ(c.read_stb(stb, in(2s)), status::SUCCESS);  // the async query waits behind nothing; trigger is sync
  until = Clock::now() + 5s;
  while (device->triggers.load() == 0 && Clock::now() < until) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(device->triggers.load(), 1);
  ASSERT_EQ(c.remote_local(hislip::remote_local::enable_remote_goto_remote, in(2s)), status::SUCCESS);
  EXPECT_TRUE(device->is_remote.load());
  ASSERT_EQ(c.remote_local(hislip::remote_local::gtl, in(2s)), status::SUCCESS);
  EXPECT_FALSE(device->is_remote.load());
  EXPECT_EQ(c.remote_local(9, in(2s)), status::ERROR_INV_MODE);
}

TEST_F(HislipLoopback, DeviceClearMidTransfer) {
  hislip::Client::Options options;
  options.max_message_size = 2048;
  hislip::Client c(options);
  ASSERT_EQ(open(c), status::SUCCESS);
  ASSERT_EQ(send(c, "BLOCK? 1000000\n"), status::SUCCESS);
  std::vector<std::byte> buffer(5000);
  std::size_t n = 0;
  core::ReadTermination term;
  ASSERT_EQ(c.read(buffer, n, term, in(2s)), status::SUCCESS_MAX_CNT);  // the rest is still coming
  EXPECT_EQ(text_of(std::span(buffer).first(8)), "#7100000");
  ASSERT_EQ(c.clear(in(5s)), status::SUCCESS);
  EXPECT_EQ(device->clears.load(), 1);
  EXPECT_EQ(query(c, "ECHO? fresh\n"), "fresh\n");  // nothing of the block is left
  ASSERT_EQ(c.clear(in(5s)), status::SUCCESS);
  EXPECT_EQ(device->clears.load(), 2);
}

TEST_F(HislipLoopback, OverlappedModePipelinesQueries) {
  hislip::Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  ASSERT_EQ(c.set_overlap(true, in(5s)), status::SUCCESS);
  EXPECT_TRUE(c.overlap());
  ASSERT_EQ(send(c, "ECHO? one\n"), status::SUCCESS);
  ASSERT_EQ(send(c, "ECHO? two\n"), status::SUCCESS);
  EXPECT_EQ(receive(c), "one\n");
  EXPECT_EQ(receive(c), "two\n");
  ASSERT_EQ(c.set_overlap(false, in(5s)), status::SUCCESS);
  EXPECT_FALSE(c.overlap());
  EXPECT_EQ(query(c, "ECHO? three\n"), "three\n");
}

TEST_F(HislipLoopback, ServerPreferringOverlapStartsOverlapped) {
  hislip::Server::Options options;
  options.prefer_overlap = true;
  start_server(options);
  hislip::Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  EXPECT_TRUE(c.overlap());
  EXPECT_EQ(query(c, "ECHO? x\n"), "x\n");
}

TEST_F(HislipLoopback, LocksBetweenTwoClients) {
  hislip::Client a, b;
  ASSERT_EQ(open(a), status::SUCCESS);
  ASSERT_EQ(open(b), status::SUCCESS);
  ASSERT_EQ(a.lock("", 0, in(2s)), status::SUCCESS);
  bool exclusive = false;
  std::uint32_t holders = 0;
  ASSERT_EQ(b.lock_info(exclusive, holders, in(2s)), status::SUCCESS);
  EXPECT_TRUE(exclusive);
  EXPECT_EQ(holders, 1u);
  EXPECT_EQ(b.lock("", 0, in(2s)), status::ERROR_RSRC_LOCKED);
  auto start = Clock::now();
  EXPECT_EQ(b.lock("", 300, in(3s)), status::ERROR_TMO);
  EXPECT_GE(Clock::now() - start, 290ms);
  EXPECT_LT(Clock::now() - start, 3s);
  // b's messages wait on the server while a holds the lock: b's query times out, a works.
  ASSERT_EQ(send(b, "ECHO? from b\n"), status::SUCCESS);
  status_t st = 0;
  receive(b, &st, 100, 300ms);
  EXPECT_EQ(st, status::ERROR_TMO);
  EXPECT_EQ(query(a, "ECHO? from a\n"), "from a\n");
  ASSERT_EQ(a.unlock(in(2s)), status::SUCCESS);
  EXPECT_EQ(a.unlock(in(2s)), status::ERROR_SESN_NLOCKED);
  EXPECT_EQ(receive(b), "from b\n");  // released: b's query went through
  // Shared locks: the same string shares, an exclusive request waits for all of them.
  hislip::Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  ASSERT_EQ(a.lock("key", 0, in(2s)), status::SUCCESS);
  ASSERT_EQ(b.lock("key", 0, in(2s)), status::SUCCESS);
  EXPECT_EQ(c.lock("other", 0, in(2s)), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(c.lock("", 0, in(2s)), status::ERROR_RSRC_LOCKED);
  ASSERT_EQ(c.lock_info(exclusive, holders, in(2s)), status::SUCCESS);
  EXPECT_FALSE(exclusive);
  EXPECT_EQ(holders, 2u);
  auto waiter = std::async(std::launch::async, [&] { return c.lock("", 10000, in(15s)); });
  ASSERT_EQ(a.unlock(in(2s)), status::SUCCESS);
  ASSERT_EQ(b.unlock(in(2s)), status::SUCCESS);
  EXPECT_EQ(waiter.get(), status::SUCCESS);
}

TEST_F(HislipLoopback, LockIsReleasedWhenTheHolderDisappears) {
  hislip::Client a, b;
  ASSERT_EQ(open(a), status::SUCCESS);
  ASSERT_EQ(open(b), status::SUCCESS);
  ASSERT_EQ(a.lock("", 0, in(2s)), status::SUCCESS);
  auto waiter = std::async(std::launch::async, [&] { return b.lock("", 10000, in(15s)); });
  a.close();
  EXPECT_EQ(waiter.get(), status::SUCCESS);
}

TEST_F(HislipLoopback, ServiceRequestReachesTheClient) {
  hislip::Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  std::promise<std::uint8_t> got;
  std::atomic<bool> once{false};
  c.set_service_request_handler([&](std::uint8_t stb) {
    if (!once.exchange(true)) got.set_value(stb);
  });
  auto future = got.get_future();
  ASSERT_EQ(send(c, "SRQ\n"), status::SUCCESS);
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(future.get() & 0x40, 0x40);
  std::uint8_t stb = 0;
  ASSERT_EQ(c.read_stb(stb, in(2s)), status::SUCCESS);
  EXPECT_EQ(stb & 0x40, 0x40);
  ASSERT_EQ(c.read_stb(stb, in(2s)), status::SUCCESS);
  EXPECT_EQ(stb & 0x40, 0);  // the serial poll cleared RQS
}

TEST_F(HislipLoopback, ServerKilledMidTransferGivesConnectionLost) {
  hislip::Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  device->knows_output = false;  // so the server waits in the device for the answer to SILENT?
  ASSERT_EQ(send(c, "SILENT?\n"), status::SUCCESS);
  auto reader = std::async(std::launch::async, [&] {
    status_t st = 0;
    receive(c, &st, 100, 20s);
    return st;
  });
  ASSERT_TRUE(device->wait_for_blocked_read(5s));
  auto start = Clock::now();
  server->stop();
  EXPECT_EQ(reader.get(), status::ERROR_CONN_LOST);
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_EQ(send(c, "*IDN?\n"), status::ERROR_CONN_LOST);
  std::uint8_t stb = 0;
  EXPECT_EQ(c.read_stb(stb, in(2s)), status::ERROR_CONN_LOST);
}

TEST_F(HislipLoopback, ServerKilledInTheMiddleOfALargeAnswer) {
  hislip::Client::Options options;
  options.max_message_size = 4096;
  hislip::Client c(options);
  ASSERT_EQ(open(c), status::SUCCESS);
  ASSERT_EQ(send(c, "BLOCK? 20000000\n"), status::SUCCESS);
  std::vector<std::byte> buffer(1 << 16);
  std::size_t n = 0, total = 0;
  core::ReadTermination term;
  // The fake device builds the 20 MB answer byte by byte: slow under sanitizers.
  ASSERT_EQ(c.read(buffer, n, term, in(60s)), status::SUCCESS_MAX_CNT);
  total += n;
  server->stop();
  status_t st = status::SUCCESS_MAX_CNT;
  auto start = Clock::now();
  while (st == status::SUCCESS_MAX_CNT && Clock::now() - start < 20s) {
    st = c.read(buffer, n, term, in(5s));
    total += n;
  }
  EXPECT_EQ(st, status::ERROR_CONN_LOST);  // what was in flight is read, then the loss shows
  EXPECT_LT(total, 20000000u);
  EXPECT_EQ(send(c, "*IDN?\n"), status::ERROR_CONN_LOST);
}

TEST_F(HislipLoopback, TwoSessionsAtOnce) {
  constexpr int threads = 4, rounds = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> workers;
  // Each client writes and reads its own echo; output goes to the client that wrote last, so
  // the queries of different clients are serialised with a lock, as on a real instrument.
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      hislip::Client c;
      if (open(c) != status::SUCCESS) return;
      for (int i = 0; i < rounds; ++i) {
        if (c.lock("", 10000, in(15s)) != status::SUCCESS) continue;
        std::string text = "c" + std::to_string(t) + "-" + std::to_string(i);
        if (query(c, "ECHO? " + text + "\n") == text + "\n") ++ok;
        c.unlock(in(2s));
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(ok.load(), threads * rounds);
}

// ---- malformed traffic: raw sockets speaking bad HiSLIP ----

TEST_F(HislipLoopback, MalformedTrafficDoesNotHurtTheServer) {
  {  // not HiSLIP at all: FatalError 1, then closed
    RawPeer p(server->port());
    ASSERT_EQ(p.send_raw("GET / HTTP/1.0\r\n\r\n"), status::SUCCESS);
    hislip::Message m;
    ASSERT_EQ(p.next(m), status::SUCCESS);
    EXPECT_TRUE(m.header.is(MessageType::fatal_error));
    EXPECT_EQ(m.header.control, hislip::fatal::bad_header);
    EXPECT_EQ(p.next(m), status::ERROR_CONN_LOST);
  }
  {  // wrong first message: FatalError 3
    RawPeer p(server->port());
    ASSERT_EQ(p.send(hislip::make_header(MessageType::data_end, 0, 0)), status::SUCCESS);
    hislip::Message m;
    ASSERT_EQ(p.next(m), status::SUCCESS);
    EXPECT_EQ(m.header.control, hislip::fatal::invalid_init_sequence);
  }
  {  // AsyncInitialize for a session that does not exist: FatalError 3
    RawPeer p(server->port());
    ASSERT_EQ(p.send(hislip::make_header(MessageType::async_initialize, 0, 0x7777)), status::SUCCESS);
    hislip::Message m;
    ASSERT_EQ(p.next(m), status::SUCCESS);
    EXPECT_EQ(m.header.control, hislip::fatal::invalid_init_sequence);
  }
  {  // sync traffic before the async channel: FatalError 2
    RawPeer p(server->port());
    ASSERT_EQ(p.send(hislip::make_header(MessageType::initialize, 0, hislip::initialize_parameter(0x0100, "XX")),
                     "hislip0"),
              status::SUCCESS);
    hislip::Message m;
    ASSERT_EQ(p.next(m), status::SUCCESS);
    ASSERT_TRUE(m.header.is(MessageType::initialize_response));
    ASSERT_EQ(p.send(hislip::make_header(MessageType::data_end, 0, hislip::initial_message_id), "*IDN?\n"),
              status::SUCCESS);
    ASSERT_EQ(p.next(m), status::SUCCESS);
    EXPECT_TRUE(m.header.is(MessageType::fatal_error));
    EXPECT_EQ(m.header.control, hislip::fatal::channels_not_established);
  }
  {  // an established session: oversized payload -> Error 4 (skipped), unknown types -> Error 1/3
    RawPeer sync(server->port());
    ASSERT_EQ(sync.send(hislip::make_header(MessageType::initialize, 0, hislip::initialize_parameter(0x0100, "XX"))),
              status::SUCCESS);
    hislip::Message m;
    ASSERT_EQ(sync.next(m), status::SUCCESS);
    hislip::InitializeResult r;
    ASSERT_TRUE(hislip::parse_initialize_response(m.header, r));
    RawPeer async(server->port());
    ASSERT_EQ(async.send(hislip::make_header(MessageType::async_initialize, 0, r.session_id)), status::SUCCESS);
    ASSERT_EQ(async.next(m), status::SUCCESS);
    ASSERT_TRUE(m.header.is(MessageType::async_initialize_response));
    ASSERT_EQ(sync.send(hislip::make_header(MessageType::data_end, 0, hislip::initial_message_id), std::string(3000, 'x')),
              status::SUCCESS);
    ASSERT_EQ(sync.next(m), status::SUCCESS);
    EXPECT_TRUE(m.header.is(MessageType::error));
    EXPECT_EQ(m.header.control, hislip::error::message_too_large);
    EXPECT_EQ(device->bytes_written.load(), 0u);
    ASSERT_EQ(sync.send(Header{200, 0, 0, 0}), status::SUCCESS);
    ASSERT_EQ(sync.next(m), status::SUCCESS);
    EXPECT_EQ(m.header.control, hislip::error::unrecognized_vendor);
    ASSERT_EQ(async.send(Header{60, 0, 0, 0}), status::SUCCESS);
    ASSERT_EQ(async.next(m), status::SUCCESS);
    EXPECT_TRUE(m.header.is(MessageType::error));
    EXPECT_EQ(m.header.control, hislip::error::unrecognized_type);
    // Still a working session.
    ASSERT_EQ(sync.send(hislip::make_header(MessageType::data_end, 0, hislip::initial_message_id), "*IDN?\n"),
              status::SUCCESS);
    ASSERT_EQ(sync.next(m), status::SUCCESS);
    EXPECT_TRUE(m.header.is(MessageType::data_end));
    EXPECT_EQ(m.header.parameter, hislip::initial_message_id);
    EXPECT_EQ(m.text(), "FAKE,LAN-TEST,0,1.0\n");
    // A header with a 2^64-1 length is skipped, not allocated; the peer then vanishes.
    ASSERT_EQ(sync.send_raw(std::string("HS\x06\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff", 16)),
              status::SUCCESS);
  }
  EXPECT_TRUE(wait_sessions(0));
  hislip::Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  EXPECT_EQ(query(c, "ECHO? still here\n"), "still here\n");
}

// Our client against a scripted server that checks what the client puts on the wire: MessageIDs
// (0xFFFFFF00, +2), RMT-delivered once after a delivered answer, the status query's MessageID,
// and that stale answers and Interrupted (with its AsyncInterrupted) are skipped while 0xFFFFFFFF
// Data is accepted.
TEST(HislipClientWire, MessageIdsRmtDeliveredAndStaleAnswers) {
  using namespace hislip;
  net::TcpListener listener;
  ASSERT_EQ(listener.open("127.0.0.1", 0), status::SUCCESS);
  std::promise<std::string> verdict;
  auto result = verdict.get_future();
  std::thread server([&] {
    std::string problem;
    auto check = [&](bool ok, const char* what) {
      if (!ok && problem.empty()) problem = what;
    };
    net::Socket sync, async;
    if (listener.accept(sync, in(5s)) != status::SUCCESS) return verdict.set_value("no sync connection");
    SocketInput sync_in(sync);
    MessageStream ss(sync_in);
    Message m;
    check(ss.next_message(m, 4096, in(5s)) == status::SUCCESS && m.header.is(MessageType::initialize) &&
              m.text() == "hislip0" && (m.header.parameter >> 16) == protocol_version,
          "Initialize");
    send_message(sync, make_header(MessageType::initialize_response, 0, 0x01000007), std::string_view{}, in(5s));
    if (listener.accept(async, in(5s)) != status::SUCCESS) return verdict.set_value("no async connection");
    SocketInput async_in(async);
    MessageStream as(async_in);
    check(as.next_message(m, 4096, in(5s)) == status::SUCCESS && m.header.is(MessageType::async_initialize) &&
              m.header.parameter == 7,
          "AsyncInitialize");
    send_message(async, make_header(MessageType::async_initialize_response, 0, 0x5859), std::string_view{}, in(5s));
    check(as.next_message(m, 4096, in(5s)) == status::SUCCESS &&
              m.header.is(MessageType::async_maximum_message_size) && parse_maximum_message_size(m) == (1u << 20),
          "AsyncMaximumMessageSize");
    auto size = encode_u64(1u << 20);
    send_message(async, make_header(MessageType::async_maximum_message_size_response), size, in(5s));
    // Query 1: first DataEnd, initial MessageID, no RMT flag yet.
    check(ss.next_message(m, 4096, in(5s)) == status::SUCCESS && m.header.is(MessageType::data_end) &&
              m.header.parameter == initial_message_id && m.header.control == 0 && m.text() == "Q1\n",
          "first DataEnd");
    send_message(sync, make_header(MessageType::data_end, 0, 0x12345678), "stale\n", in(5s));
    send_message(sync, make_header(MessageType::interrupted, 0, initial_message_id), std::string_view{}, in(5s));
    send_message(sync, make_header(MessageType::data, 0, unknown_message_id), "an", in(5s));
    send_message(sync, make_header(MessageType::data_end, 0, initial_message_id), "swer\n", in(5s));
    // Interrupted came alone: the client sends nothing more until AsyncInterrupted (§6.10).
    send_message(async, make_header(MessageType::async_interrupted, 0, initial_message_id), std::string_view{}, in(5s));
    // Query 2: the answer was delivered, so RMT-delivered is set, once.
    check(ss.next_message(m, 4096, in(5s)) == status::SUCCESS && m.header.is(MessageType::data_end) &&
              m.header.parameter == initial_message_id + 2 && m.header.control == rmt_delivered,
          "second DataEnd with RMT-delivered");
    check(as.next_message(m, 4096, in(5s)) == status::SUCCESS && m.header.is(MessageType::async_status_query) &&
              m.header.parameter == initial_message_id + 2 && m.header.control == 0,
          "AsyncStatusQuery");
    send_message(async, make_header(MessageType::async_status_response, 0x10), std::string_view{}, in(5s));
    check(ss.next_message(m, 4096, in(5s)) == status::SUCCESS && m.header.is(MessageType::trigger) &&
              m.header.parameter == initial_message_id + 4 && m.header.control == 0,
          "Trigger");
    verdict.set_value(problem);
    ss.next_message(m, 4096, in(5s));  // until the client closes
  });
  Client c;
  ASSERT_EQ(c.open({"127.0.0.1", listener.port(), "hislip0"}, in(5s)), status::SUCCESS);
  EXPECT_EQ(c.session_id(), 7);
  EXPECT_EQ(c.server_vendor_id(), 0x5859);
  std::size_t n = 0;
  ASSERT_EQ(c.write(bytes_of("Q1\n"), true, n, in(5s)), status::SUCCESS);
  std::vector<std::byte> buffer(100);
  core::ReadTermination term;
  EXPECT_EQ(c.read(buffer, n, term, in(5s)), status::SUCCESS);
  EXPECT_EQ(text_of(std::span(buffer).first(n)), "answer\n");
  ASSERT_EQ(c.write(bytes_of("Q2\n"), true, n, in(5s)), status::SUCCESS);
  std::uint8_t stb = 0;
  EXPECT_EQ(c.read_stb(stb, in(5s)), status::SUCCESS);
  EXPECT_EQ(stb, 0x10);
  EXPECT_EQ(c.trigger(in(5s)), status::SUCCESS);
  ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(result.get(), "");
  c.close();
  server.join();
}

TEST_F(HislipLoopback, RandomMessagesOnEstablishedChannels) {
  // Well-framed messages of random type, control code, parameter and (small) payload on both
  // channels of a session: the server answers with errors or closes, never crashes or hangs.
  std::uint32_t seed = 12345;
  auto next = [&] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  for (int round = 0; round < 30; ++round) {
    RawPeer sync(server->port());
    ASSERT_EQ(sync.send(hislip::make_header(MessageType::initialize, 0, hislip::initialize_parameter(0x0100, "XX"))),
              status::SUCCESS);
    hislip::Message m;
    ASSERT_EQ(sync.next(m), status::SUCCESS);
    hislip::InitializeResult r;
    ASSERT_TRUE(hislip::parse_initialize_response(m.header, r));
    RawPeer async(server->port());
    ASSERT_EQ(async.send(hislip::make_header(MessageType::async_initialize, 0, r.session_id)), status::SUCCESS);
    ASSERT_EQ(async.next(m), status::SUCCESS);
    for (int i = 0; i < 20; ++i) {
      // Lock requests with long timeouts would only make the test slow: keep them short.
      std::uint8_t type = static_cast<std::uint8_t>(next() % 40);
      std::uint32_t parameter = type == 4 ? next() % 50 : next();
      Header h{type, static_cast<std::uint8_t>(next() % 8), parameter, 0};
      std::string payload(next() % 12, static_cast<char>('a' + next() % 26));
      RawPeer& channel = (next() & 1) ? sync : async;
      if (channel.send(h, payload) != status::SUCCESS) break;
    }
  }
  EXPECT_TRUE(wait_sessions(0));
  hislip::Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  ASSERT_EQ(c.clear(in(5s)), status::SUCCESS);
  EXPECT_EQ(query(c, "ECHO? survived\n"), "survived\n");
}

TEST_F(HislipLoopback, TooManyClientsIsBusy) {
  hislip::Server::Options options;
  options.max_sessions = 1;
  start_server(options);
  hislip::Client a, b;
  ASSERT_EQ(open(a), status::SUCCESS);
  EXPECT_EQ(open(b), status::ERROR_RSRC_BUSY);
  a.close();
  EXPECT_TRUE(wait_sessions(0));
  EXPECT_EQ(open(b), status::SUCCESS);
}

TEST_F(HislipLoopback, TwoClientsInterleavingEachGetOnlyTheirOwnAnswers) {
  {  // A asks the slow device and goes away before the answer; B asks next.
    hislip::Client a;
    ASSERT_EQ(open(a, "hislip1"), status::SUCCESS);
    ASSERT_EQ(send(a, "ECHO? from-a\n"), status::SUCCESS);
    ASSERT_TRUE(gated->wait_held(1, 5s));
  }
  hislip::Client b;
  ASSERT_EQ(open(b, "hislip1"), status::SUCCESS);
  gated->open_gate();
  status_t st = 0;
  ASSERT_EQ(send(b, "*IDN?\n"), status::SUCCESS);
  EXPECT_EQ(receive(b, &st, 100, 5s), "FAKE,LAN-TEST,0,1.0\n");  // not A's "from-a"
  // A client whose query timed out gets its late answer (tagged with that query), never the
  // other client's, and never as the answer to its next query.
  hislip::Client c;
  ASSERT_EQ(open(c, "hislip1"), status::SUCCESS);
  EXPECT_EQ(query(b, "ECHO? b1\n"), "b1\n");
  EXPECT_EQ(query(c, "ECHO? c1\n"), "c1\n");
  EXPECT_EQ(query(b, "ECHO? b2\n"), "b2\n");
}

TEST_F(HislipLoopback, AClientTimingOutDoesNotTakeTheOthersAnswers) {
  hislip::Server::Options options;
  options.response_timeout_ms = 500;  // an answer that does not come is given up after this
  start_server(options);
  for (bool knows : {true, false}) {
    SCOPED_TRACE(knows ? "device knows its output" : "output unknown");
    device->knows_output = knows;
    hislip::Client a, b;
    ASSERT_EQ(open(a), status::SUCCESS);
    ASSERT_EQ(open(b), status::SUCCESS);
    for (int round = 0; round < 2; ++round) {
      status_t st = 0;
      ASSERT_EQ(send(a, "SILENT?\n"), status::SUCCESS);  // never answered: A times out
      receive(a, &st, 100, 300ms);
      EXPECT_EQ(st, status::ERROR_TMO);
      std::string rb = "b" + std::to_string(round), ra = "a" + std::to_string(round);
      ASSERT_EQ(send(b, "ECHO? " + rb + "\n"), status::SUCCESS);
      EXPECT_EQ(receive(b, &st, 100, 5s), rb + "\n");
      ASSERT_EQ(send(a, "ECHO? " + ra + "\n"), status::SUCCESS);
      EXPECT_EQ(receive(a, &st, 100, 5s), ra + "\n");
    }
  }
}

TEST_F(HislipLoopback, ALateAnswerIsNeverTheAnswerToTheNextQuery) {
  hislip::Client a, b;
  ASSERT_EQ(open(a, "hislip1"), status::SUCCESS);
  ASSERT_EQ(open(b, "hislip1"), status::SUCCESS);
  ASSERT_EQ(send(a, "ECHO? late\n"), status::SUCCESS);
  status_t st = 0;
  receive(a, &st, 100, 300ms);
  EXPECT_EQ(st, status::ERROR_TMO);
  gated->open_gate();  // A's late answer arrives now
  EXPECT_EQ(query(b, "ECHO? b\n"), "b\n");
  EXPECT_EQ(query(a, "ECHO? a2\n"), "a2\n");
}

TEST_F(HislipLoopback, NoReadWithoutAPendingResponse) {
  for (bool knows : {true, false}) {
    SCOPED_TRACE(knows ? "device knows its output" : "output unknown");
    start_server({});
    device->knows_output = knows;
    hislip::Client c;
    ASSERT_EQ(open(c), status::SUCCESS);
    ASSERT_EQ(send(c, "VOLT 1\n"), status::SUCCESS);  // a command: nothing to read
    EXPECT_EQ(query(c, "ECHO? x\n"), "x\n");
    int reads = device->reads.load();
    EXPECT_GE(reads, 1);
    ASSERT_EQ(send(c, "VOLT 2\n"), status::SUCCESS);
    auto until = Clock::now() + 5s;
    while (device->log_copy().size() < 2 && Clock::now() < until) std::this_thread::sleep_for(5ms);
    ASSERT_EQ(device->log_copy().size(), 2u);
    std::this_thread::sleep_for(300ms);  // a server that polls would have read by now
    EXPECT_EQ(device->reads.load(), reads);
  }
}

TEST_F(HislipLoopback, DeviceClearUnblocksAReadOnASlowDevice) {
  hislip::Server::Options options;
  options.response_timeout_ms = 5000;  // the server's read of the answer would last this long
  start_server(options);
  hislip::Client c;
  ASSERT_EQ(open(c, "hislip1"), status::SUCCESS);
  ASSERT_EQ(send(c, "ECHO? slow\n"), status::SUCCESS);
  ASSERT_TRUE(gated->wait_held(1, 5s));
  auto start = Clock::now();
  ASSERT_EQ(c.clear(in(5s)), status::SUCCESS);
  EXPECT_TRUE(gated->wait_held(0, 100ms));  // the device read has ended
  EXPECT_LT(Clock::now() - start, 500ms);   // within 10% of the read's 5 s
  EXPECT_EQ(gated->clears.load(), 1);
  gated->open_gate();
  EXPECT_EQ(query(c, "ECHO? fresh\n"), "fresh\n");  // nothing of the old answer is left
}

TEST_F(HislipLoopback, ANewQueryInterruptsAResponseStillComing) {
  hislip::Server::Options options;
  options.response_timeout_ms = 5000;
  start_server(options);
  RawSession s(server->port(), "hislip1");
  const std::uint32_t first = hislip::initial_message_id, second = first + 2;
  ASSERT_EQ(s.sync.send(hislip::make_header(MessageType::data_end, 0, first), "ECHO? first\n"), status::SUCCESS);
  ASSERT_TRUE(gated->wait_held(1, 5s));
  auto start = Clock::now();
  ASSERT_EQ(s.sync.send(hislip::make_header(MessageType::data_end, 0, second), "ECHO? second\n"), status::SUCCESS);
  // IVI-6.1 §6.10: the read of the first answer ends at once, AsyncInterrupted and Interrupted
  // carry the MessageID of the interrupting message.
  hislip::Message m;
  ASSERT_EQ(s.async.next(m), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::async_interrupted));
  EXPECT_EQ(m.header.parameter, second);
  ASSERT_EQ(s.sync.next(m), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::interrupted));
  EXPECT_EQ(m.header.parameter, second);
  EXPECT_LT(Clock::now() - start, 500ms);
  gated->open_gate();
  ASSERT_EQ(s.sync.next(m), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::data_end));
  EXPECT_EQ(m.header.parameter, second);
  EXPECT_EQ(m.text(), "second\n");  // the first answer was discarded
}

// Synchronized mode, the answer ready in the device: the synchronous channel's thread reads and
// sends it itself (no hand-off to the pump thread, issue #18).
TEST(HislipServer, AReadyAnswerIsSentByTheThreadThatReceivedTheQuery) {
  auto device = std::make_shared<StalledDevice>();
  hislip::Server server;
  server.add_device("hislip0", device);
  ASSERT_EQ(server.start(), status::SUCCESS);
  RawSession s(server.port(), "hislip0");
  std::uint32_t id = hislip::initial_message_id;
  for (int i = 0; i < 3; ++i, id += 2) {
    ASSERT_EQ(s.sync.send(hislip::make_header(MessageType::data_end, 0, id), "*IDN?\n"), status::SUCCESS);
    hislip::Message m;
    ASSERT_EQ(s.sync.next(m), status::SUCCESS);
    EXPECT_TRUE(m.header.is(MessageType::data_end));
    EXPECT_EQ(m.header.parameter, id);
    EXPECT_EQ(m.text(), "FAKE,LAN-TEST,0,1.0\n");
    EXPECT_EQ(device->reader(), device->writer());
  }
}

// The sync thread's read is a device call like the pump's: an AsyncDeviceClear ends it at once
// (IVI-6.1 §6.12 step 2), nothing of it is sent, and the synchronous channel is served again
// (DeviceClearComplete is answered).
TEST(HislipServer, ADeviceClearAbortsTheAnswerReadOnTheSynchronousChannel) {
  auto device = std::make_shared<StalledDevice>();
  hislip::Server::Options options;
  options.response_timeout_ms = 5000;
  options.device_timeout_ms = 5000;
  hislip::Server server(options);
  server.add_device("hislip0", device);
  ASSERT_EQ(server.start(), status::SUCCESS);
  RawSession s(server.port(), "hislip0");
  device->stall();
  const std::uint32_t first = hislip::initial_message_id;
  ASSERT_EQ(s.sync.send(hislip::make_header(MessageType::data_end, 0, first), "ECHO? stale\n"), status::SUCCESS);
  ASSERT_TRUE(device->wait_stalled_read(5s));
  EXPECT_EQ(device->reader(), device->writer());  // stalled in the thread that received the query
  auto start = Clock::now();
  ASSERT_EQ(s.async.send(hislip::make_header(MessageType::async_device_clear)), status::SUCCESS);
  hislip::Message m;
  ASSERT_EQ(s.async.next(m), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::async_device_clear_acknowledge));
  EXPECT_EQ(device->stalled_reads_aborted.load(), 1);
  ASSERT_EQ(s.sync.send(hislip::make_header(MessageType::device_clear_complete)), status::SUCCESS);
  ASSERT_EQ(s.sync.next(m), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::device_clear_acknowledge)) << hislip::message_type_name(m.header.type);
  EXPECT_LT(Clock::now() - start, 1000ms);  // not the read's 5 s
  EXPECT_EQ(device->clears.load(), 1);
  device->unstall();
  const std::uint32_t next = hislip::initial_message_id;  // MessageIDs start again after a clear
  ASSERT_EQ(s.sync.send(hislip::make_header(MessageType::data_end, 0, next), "ECHO? fresh\n"), status::SUCCESS);
  ASSERT_EQ(s.sync.next(m), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::data_end));
  EXPECT_EQ(m.header.parameter, next);
  EXPECT_EQ(m.text(), "fresh\n");  // nothing of the stale answer
}

// A response longer than the client's maximum message size: the first message goes from the
// synchronous channel's thread, the rest from the pump, all tagged with the query's MessageID
// and in order; further responses to the same message follow whole.
TEST(HislipServer, ALongAnswerArrivesWholeAndInOrder) {
  auto device = std::make_shared<FakeDevice>();
  hislip::Server server;
  server.add_device("hislip0", device);
  ASSERT_EQ(server.start(), status::SUCCESS);
  RawSession s(server.port(), "hislip0");
  auto size = hislip::encode_u64(hislip::header_size + 100);  // Data messages of 100 bytes
  ASSERT_EQ(s.async.send(hislip::make_header(MessageType::async_maximum_message_size),
                         std::string_view(reinterpret_cast<const char*>(size.data()), size.size())),
            status::SUCCESS);
  hislip::Message m;
  ASSERT_EQ(s.async.next(m), status::SUCCESS);
  ASSERT_TRUE(m.header.is(MessageType::async_maximum_message_size_response));
  std::uint32_t id = hislip::initial_message_id;
  for (int round = 0; round < 3; ++round, id += 2) {
    SCOPED_TRACE(round);
    ASSERT_EQ(s.sync.send(hislip::make_header(MessageType::data_end, 0, id), "BLOCK? 1000\n"), status::SUCCESS);
    std::string reply;
    int messages = 0;
    do {
      ASSERT_EQ(s.sync.next(m), status::SUCCESS);
      ASSERT_TRUE(m.header.is(MessageType::data) || m.header.is(MessageType::data_end))
          << hislip::message_type_name(m.header.type);
      EXPECT_EQ(m.header.parameter, id);
      EXPECT_LE(m.payload.size(), 100u);
      reply += m.text();
      ++messages;
    } while (!m.header.is(MessageType::data_end));
    EXPECT_EQ(messages, 11);  // "#41000" + 1000 bytes + LF = 1007 bytes
    ASSERT_EQ(reply.size(), 1007u);
    EXPECT_EQ(reply.substr(0, 6), "#41000");
    for (std::size_t i = 0; i < 1000; ++i) ASSERT_EQ(static_cast<unsigned char>(reply[6 + i]), i & 0xFF) << i;
    EXPECT_EQ(reply.back(), '\n');
  }
  ASSERT_EQ(s.sync.send(hislip::make_header(MessageType::data_end, 0, id), "PARTS? 3\n"), status::SUCCESS);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(s.sync.next(m), status::SUCCESS);
    EXPECT_TRUE(m.header.is(MessageType::data_end));
    EXPECT_EQ(m.header.parameter, id);
    EXPECT_EQ(m.text(), "part" + std::to_string(i) + "\n");
  }
}

// Overlapped mode keeps the pump: answers are tagged with the server's own counter (§6.11), not
// with the MessageID of the query, and come in the order of the queries.
TEST(HislipServer, OverlappedAnswersAreTaggedWithTheServersCounter) {
  auto device = std::make_shared<FakeDevice>();
  hislip::Server::Options options;
  options.prefer_overlap = true;
  hislip::Server server(options);
  server.add_device("hislip0", device);
  ASSERT_EQ(server.start(), status::SUCCESS);
  RawSession s(server.port(), "hislip0");
  ASSERT_TRUE(s.init.prefer_overlap);
  ASSERT_EQ(s.sync.send(hislip::make_header(MessageType::data_end, 0, 100), "ECHO? a\n"), status::SUCCESS);
  ASSERT_EQ(s.sync.send(hislip::make_header(MessageType::data_end, 0, 102), "ECHO? b\n"), status::SUCCESS);
  hislip::Message m;
  ASSERT_EQ(s.sync.next(m), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::data_end));
  EXPECT_EQ(m.header.parameter, hislip::initial_message_id);
  EXPECT_EQ(m.text(), "a\n");
  ASSERT_EQ(s.sync.next(m), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::data_end));
  EXPECT_EQ(m.header.parameter, hislip::initial_message_id + 2);
  EXPECT_EQ(m.text(), "b\n");
}

TEST_F(HislipLoopback, ALockTakenThroughAnotherProtocolHoldsAndIsHeld) {
  // The device's own lock, taken by another client (as the VXI-11 server does for its links).
  const server::ClientId other = server::new_client_id();
  ASSERT_EQ(device->lock(other, server::LockType::exclusive, "", core::Deadline::after_ms(0)), status::SUCCESS);
  hislip::Client c;
  ASSERT_EQ(open(c), status::SUCCESS);
  bool exclusive = false;
  std::uint32_t holders = 0;
  ASSERT_EQ(c.lock_info(exclusive, holders, in(2s)), status::SUCCESS);
  EXPECT_TRUE(exclusive);
  EXPECT_EQ(holders, 1u);
  EXPECT_EQ(c.lock("", 0, in(2s)), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(c.lock("key", 0, in(2s)), status::ERROR_RSRC_LOCKED);
  std::size_t written = device->bytes_written.load();
  ASSERT_EQ(send(c, "ECHO? held\n"), status::SUCCESS);
  status_t st = 0;
  receive(c, &st, 100, 300ms);
  EXPECT_EQ(st, status::ERROR_TMO);
  EXPECT_EQ(device->bytes_written.load(), written);  // the message waits outside the device
  ASSERT_EQ(device->unlock(other), status::SUCCESS);
  EXPECT_EQ(receive(c), "held\n");
  // A shared lock with the same key is shared across protocols; another key is kept out.
  ASSERT_EQ(device->lock(other, server::LockType::shared, "key", core::Deadline::after_ms(0)), status::SUCCESS);
  EXPECT_EQ(c.lock("other", 0, in(2s)), status::ERROR_RSRC_LOCKED);
  ASSERT_EQ(c.lock("key", 0, in(2s)), status::SUCCESS);
  ASSERT_EQ(c.lock_info(exclusive, holders, in(2s)), status::SUCCESS);
  EXPECT_FALSE(exclusive);
  EXPECT_EQ(holders, 2u);
  EXPECT_EQ(query(c, "ECHO? shared\n"), "shared\n");
  ASSERT_EQ(c.unlock(in(2s)), status::SUCCESS);
  ASSERT_EQ(device->unlock(other), status::SUCCESS_NESTED_SHARED);
  // The other way round: a HiSLIP lock keeps the other protocol's client out of the device.
  ASSERT_EQ(c.lock("", 0, in(2s)), status::SUCCESS);
  std::size_t n = 0;
  EXPECT_EQ(device->write(other, bytes_of("ECHO? x\n"), true, n, core::Deadline::after_ms(300)),
            status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(device->lock(other, server::LockType::exclusive, "", core::Deadline::after_ms(100)),
            status::ERROR_RSRC_LOCKED);
  c.close();  // the session's end releases its lock
  EXPECT_EQ(device->lock(other, server::LockType::exclusive, "", core::Deadline::after_ms(5000)), status::SUCCESS);
  device->close_client(other);
}

TEST_F(HislipLoopback, TheDevicesStatusReachesTheClient) {
  hislip::Client c;
  ASSERT_EQ(open(c, "hislip2"), status::SUCCESS);  // no remote/local, trigger or status byte
  EXPECT_EQ(c.remote_local(hislip::remote_local::enable_remote_goto_remote, in(2s)), status::ERROR_NSUP_OPER);
  EXPECT_EQ(c.remote_local(hislip::remote_local::gtl, in(2s)), status::ERROR_NSUP_OPER);
  std::uint8_t stb = 0;
  EXPECT_EQ(c.read_stb(stb, in(2s)), status::ERROR_NSUP_OPER);
  EXPECT_EQ(query(c, "ECHO? still\n"), "still\n");
  // Trigger has no response: its failure is an Error on the synchronous channel.
  RawSession s(server->port(), "hislip2");
  ASSERT_EQ(s.sync.send(hislip::make_header(MessageType::trigger, 0, hislip::initial_message_id)), status::SUCCESS);
  hislip::Message m;
  ASSERT_EQ(s.sync.next(m), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::error));
  EXPECT_EQ(m.header.control, hislip::error::unrecognized_control);
  EXPECT_NE(m.text().find("VI_ERROR_NSUP_OPER"), std::string::npos) << m.text();
}

TEST(HislipServer, ARefusedWriteIsAnError) {
  server::ServedDevice::Options options;
  options.read_only = true;
  auto device = std::make_shared<FakeDevice>(options);
  hislip::Server server;
  server.add_device("hislip0", device);
  ASSERT_EQ(server.start(), status::SUCCESS);
  RawSession s(server.port(), "hislip0");
  ASSERT_EQ(s.sync.send(hislip::make_header(MessageType::data_end, 0, hislip::initial_message_id), "*IDN?\n"),
            status::SUCCESS);
  hislip::Message m;
  ASSERT_EQ(s.sync.next(m), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::error));
  EXPECT_NE(m.text().find("VI_ERROR_NSUP_OPER"), std::string::npos) << m.text();
  EXPECT_EQ(device->bytes_written.load(), 0u);
  EXPECT_EQ(device->reads.load(), 0);
}

TEST(HislipServer, RefusedConnectionsGetAFatalError) {
  auto device = std::make_shared<FakeDevice>();
  {  // a limit: FatalError 4, then the close
    hislip::Server::Options o;
    o.max_connections = 2;  // one session
    hislip::Server server(o);
    server.add_device("hislip0", device);
    ASSERT_EQ(server.start(), status::SUCCESS);
    hislip::Client a, b;
    ASSERT_EQ(a.open({"127.0.0.1", server.port(), "hislip0"}, in(2s)), status::SUCCESS);
    RawPeer third(server.port());
    hislip::Message m;
    ASSERT_EQ(third.next(m), status::SUCCESS);
    EXPECT_TRUE(m.header.is(MessageType::fatal_error));
    EXPECT_EQ(m.header.control, hislip::fatal::too_many_clients);
    EXPECT_EQ(third.next(m), status::ERROR_CONN_LOST);
    EXPECT_EQ(b.open({"127.0.0.1", server.port(), "hislip0"}, in(2s)), status::ERROR_RSRC_BUSY);
    EXPECT_GE(server.refused_count(), 2u);
    std::size_t n = 0;
    ASSERT_EQ(a.write(bytes_of("*IDN?\n"), true, n, in(2s)), status::SUCCESS);  // the admitted one still works
  }
  {  // outside the allow list: FatalError 0 naming the reason
    hislip::Server::Options o;
    ASSERT_TRUE(o.allow.add("192.0.2.0/24"));
    hislip::Server server(o);
    server.add_device("hislip0", device);
    ASSERT_EQ(server.start(), status::SUCCESS);
    RawPeer p(server.port());
    hislip::Message m;
    ASSERT_EQ(p.next(m), status::SUCCESS);
    EXPECT_TRUE(m.header.is(MessageType::fatal_error));
    EXPECT_EQ(m.header.control, hislip::fatal::unidentified);
    EXPECT_EQ(m.text(), "client address not allowed");
    EXPECT_EQ(p.next(m), status::ERROR_CONN_LOST);
  }
}

std::chrono::microseconds cpu_time() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto us = [](timeval t) { return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec); };
  return std::chrono::duration_cast<std::chrono::microseconds>(us(u.ru_utime) + us(u.ru_stime));
}

TEST(HislipServer, OutOfDescriptorsTheAcceptLoopBacksOff) {
  auto device = std::make_shared<FakeDevice>();
  hislip::Server server;
  server.add_device("hislip0", device);
  ASSERT_EQ(server.start(), status::SUCCESS);
  // The client's descriptor exists before the limit drops; connect() needs none, accept() does.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  net::Socket client(fd);
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(fd + 1);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(server.port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  auto cpu_before = cpu_time();
  std::this_thread::sleep_for(1s);
  auto cpu_used = cpu_time() - cpu_before;
  std::uint64_t failures = server.accept_failures();
  setrlimit(RLIMIT_NOFILE, &saved);
  ASSERT_EQ(rc, 0);
  EXPECT_GT(failures, 0u);
  EXPECT_LE(failures, 20u);  // backing off, not retrying in a loop
  EXPECT_LT(cpu_used, 300ms);
  // The limit back up, the pending connection is served.
  hislip::SocketInput input(client);
  hislip::MessageStream stream(input);
  ASSERT_EQ(hislip::send_message(client, hislip::make_header(MessageType::initialize, 0,
                                                             hislip::initialize_parameter(0x0100, "XX")),
                                 std::string_view("hislip0"), in(2s)),
            status::SUCCESS);
  hislip::Message m;
  ASSERT_EQ(stream.next_message(m, 4096, in(5s)), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::initialize_response));
}

}  // namespace
}  // namespace cppvisa

// ---- through a SessionBackend (HislipSession), as the native backend will use it ----

namespace cppvisa {
namespace {

using testing::HislipOnlyBackend;

class HislipBackend : public HislipLoopback {
 protected:
  void SetUp() override {
    HislipLoopback::SetUp();
    backend = std::make_shared<HislipOnlyBackend>();
    ASSERT_EQ(backend->open_default_rm(rm), status::SUCCESS);
  }
  void TearDown() override {
    backend->close(rm);
    HislipLoopback::TearDown();
  }
  std::string resource(std::string sub = "hislip0") {
    return "TCPIP::127.0.0.1::" + sub + "," + std::to_string(server->port()) + "::INSTR";
  }
  session_t open_session(Backend* b = nullptr, session_t rm_of_b = 0) {
    session_t s = 0;
    Backend& target = b ? *b : *backend;
    EXPECT_EQ(target.open(b ? rm_of_b : rm, resource(), AccessMode::no_lock, 0, s), status::SUCCESS);
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

TEST_F(HislipBackend, NameAndFactory) {
  status_t st = 0;
  EXPECT_EQ(hislip::make_session(ResourceName::parse("TCPIP::10.0.0.1::inst0::INSTR"), st), nullptr);
  EXPECT_EQ(st, status::ERROR_INV_RSRC_NAME);
  EXPECT_NE(hislip::make_session(ResourceName::parse("TCPIP0::10.0.0.1::hislip0::INSTR"), st), nullptr);
  EXPECT_EQ(st, status::SUCCESS);
}

TEST_F(HislipBackend, QueryAndAttributes) {
  session_t s = open_session();
  ASSERT_EQ(write(s, "*IDN?\n"), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(read(s, reply), status::SUCCESS);
  EXPECT_EQ(reply, "FAKE,LAN-TEST,0,1.0\n");
  AttrValue v;
  ASSERT_EQ(backend->get_attribute(s, attr::TCPIP_IS_HISLIP, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 1);
  ASSERT_EQ(backend->get_attribute(s, attr::TCPIP_HISLIP_VERSION, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 0x00200000);  // ViVersion of HiSLIP 2.0
  ASSERT_EQ(backend->get_attribute(s, attr::TCPIP_DEVICE_NAME, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::string>(v), "hislip0");
  ASSERT_EQ(backend->get_attribute(s, attr::TCPIP_ADDR, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::string>(v), "127.0.0.1");
  ASSERT_EQ(backend->get_attribute(s, attr::TCPIP_HISLIP_OVERLAP_EN, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 0);
  ASSERT_EQ(backend->get_attribute(s, attr::TCPIP_HISLIP_MAX_MESSAGE_KB, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 1024);
  ASSERT_EQ(backend->set_attribute(s, attr::TCPIP_HISLIP_MAX_MESSAGE_KB, std::int64_t{2}), status::SUCCESS);
  EXPECT_EQ(backend->set_attribute(s, attr::TCPIP_HISLIP_MAX_MESSAGE_KB, std::int64_t{0}), status::ERROR_NSUP_ATTR_STATE);
  ASSERT_EQ(write(s, "BLOCK? 20000\n"), status::SUCCESS);  // comes back in 2 kB messages
  EXPECT_EQ(read(s, reply, 30000), status::SUCCESS);
  EXPECT_EQ(reply.size(), 7u + 20000u + 1u);
  ASSERT_EQ(backend->set_attribute(s, attr::TCPIP_HISLIP_OVERLAP_EN, std::int64_t{1}), status::SUCCESS);
  ASSERT_EQ(backend->get_attribute(s, attr::TCPIP_HISLIP_OVERLAP_EN, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 1);
  EXPECT_EQ(device->clears.load(), 1);  // changing the mode is a device clear
  EXPECT_EQ(backend->close(s), status::SUCCESS);
  EXPECT_TRUE(wait_sessions(0));
}

TEST_F(HislipBackend, SendEndAndTermcharAttributes) {
  session_t s = open_session();
  ASSERT_EQ(backend->set_attribute(s, attr::SEND_END_EN, std::int64_t{0}), status::SUCCESS);
  ASSERT_EQ(write(s, "ECHO? x"), status::SUCCESS);  // Data, no DataEnd: the message continues
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

TEST_F(HislipBackend, TimeoutStbTriggerClearRen) {
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
  EXPECT_EQ(backend->assert_trigger(s, TriggerProtocol::on), status::ERROR_INV_PROT);
  // Trigger travels on the sync channel, the clear on the async one: a clear may overtake it (and
  // the server then discards it, IVI-6.1 §6.12), so wait for it first.
  auto until = Clock::now() + 5s;
  while (device->triggers.load() == 0 && Clock::now() < until) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(device->triggers.load(), 1);
  EXPECT_EQ(backend->clear(s), status::SUCCESS);
  EXPECT_EQ(device->clears.load(), 1);
  EXPECT_EQ(backend->gpib_control_ren(s, RenMode::assert_address), status::SUCCESS);
  EXPECT_TRUE(device->is_remote.load());
  EXPECT_EQ(backend->gpib_control_ren(s, RenMode::deassert_gtl), status::SUCCESS);
  EXPECT_FALSE(device->is_remote.load());
}

TEST_F(HislipBackend, ExclusiveLockExcludesAnotherProcess) {
  // A second backend stands for another process: only the HiSLIP lock can exclude it.
  auto other = std::make_shared<HislipOnlyBackend>();
  session_t other_rm = 0;
  ASSERT_EQ(other->open_default_rm(other_rm), status::SUCCESS);
  session_t a = open_session();
  session_t b = open_session(other.get(), other_rm);
  std::string key;
  ASSERT_EQ(backend->lock(a, AccessMode::exclusive_lock, 1000, {}, key), status::SUCCESS);
  auto start = Clock::now();
  EXPECT_EQ(other->lock(b, AccessMode::exclusive_lock, 300, {}, key), status::ERROR_TMO);
  EXPECT_GE(Clock::now() - start, 290ms);
  EXPECT_LT(Clock::now() - start, 3s);
  EXPECT_EQ(other->lock(b, AccessMode::exclusive_lock, 0, {}, key), status::ERROR_RSRC_LOCKED);
  ASSERT_EQ(backend->unlock(a), status::SUCCESS);
  EXPECT_EQ(other->lock(b, AccessMode::exclusive_lock, 1000, {}, key), status::SUCCESS);
  EXPECT_EQ(backend->lock(a, AccessMode::exclusive_lock, 0, {}, key), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(other->close(b), status::SUCCESS);  // closing releases the device lock
  EXPECT_EQ(backend->lock(a, AccessMode::exclusive_lock, 2000, {}, key), status::SUCCESS);
  other->close(other_rm);
}

TEST_F(HislipBackend, ServiceRequestEvent) {
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

TEST_F(HislipBackend, ServerKilledMidTransfer) {
  session_t s = open_session();
  ASSERT_EQ(backend->set_attribute(s, attr::TMO_VALUE, std::int64_t{20000}), status::SUCCESS);
  device->knows_output = false;  // so the server waits in the device for the answer to SILENT?
  ASSERT_EQ(write(s, "SILENT?\n"), status::SUCCESS);
  auto reader = std::async(std::launch::async, [&] {
    std::string reply;
    return read(s, reply);
  });
  ASSERT_TRUE(device->wait_for_blocked_read(5s));
  server->stop();
  EXPECT_EQ(reader.get(), status::ERROR_CONN_LOST);
  EXPECT_EQ(write(s, "*IDN?\n"), status::ERROR_CONN_LOST);
  EXPECT_EQ(backend->close(s), status::SUCCESS);
}

TEST_F(HislipBackend, MissingInstrumentFailsAtOpen) {
  session_t s = 0;
  EXPECT_EQ(backend->open(rm, resource("hislip9"), AccessMode::no_lock, 0, s), status::ERROR_RSRC_NFOUND);
}

}  // namespace
}  // namespace cppvisa
