// TCPIP SOCKET sessions of the native backend against (a) our raw socket server with a fake
// instrument and (b) a scripted peer in the test, on loopback.
#include "backends/native/native_backend.hpp"
#include "integration/fake_device.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/socket/socket_server.hpp"
#include "protocols/socket/socket_session.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>

namespace cppvisa {
namespace {

using namespace std::chrono_literals;
using testing::bytes_of;
using testing::FakeDevice;
using testing::text_of;
using Clock = std::chrono::steady_clock;

std::string socket_name(std::uint16_t port) { return "TCPIP::127.0.0.1::" + std::to_string(port) + "::SOCKET"; }

/// A backend, a resource manager and helpers around one session.
class SocketClient {
 public:
  SocketClient() : backend_(native::make_backend()) { EXPECT_EQ(backend_->open_default_rm(rm_), status::SUCCESS); }
  ~SocketClient() { backend_->close(rm_); }
  status_t open(std::uint16_t port) { return backend_->open(rm_, socket_name(port), AccessMode::no_lock, 0, s_); }
  status_t write(std::string_view text) {
    std::size_t n = 0;
    return backend_->write(s_, bytes_of(text), n);
  }
  status_t read(std::string& out, std::size_t size = 1 << 16) {
    std::vector<std::byte> buffer(size);
    std::size_t n = 0;
    status_t st = backend_->read(s_, buffer, n);
    out = text_of(std::span(buffer).first(n));
    return st;
  }
  status_t set(attr_id_t id, std::int64_t v) { return backend_->set_attribute(s_, id, v); }
  std::int64_t get(attr_id_t id) {
    AttrValue v;
    EXPECT_EQ(backend_->get_attribute(s_, id, v), status::SUCCESS);
    return std::get<std::int64_t>(v);
  }
  Backend& backend() { return *backend_; }
  session_t session() const { return s_; }

 private:
  std::shared_ptr<Backend> backend_;
  session_t rm_ = 0, s_ = 0;
};

std::uint16_t free_closed_port() {
  net::TcpListener l;
  EXPECT_EQ(l.open("127.0.0.1", 0), status::SUCCESS);
  std::uint16_t port = l.port();
  l.close();
  return port;
}

class SocketLoopback : public ::testing::Test {
 protected:
  void SetUp() override {
    device = std::make_shared<FakeDevice>();
    server = std::make_unique<raw_socket::SocketServer>(device, raw_socket::SocketServer::Options{});
    ASSERT_EQ(server->start(), status::SUCCESS);
  }
  std::shared_ptr<FakeDevice> device;
  std::unique_ptr<raw_socket::SocketServer> server;
};

TEST_F(SocketLoopback, QueryWithTermchar) {
  SocketClient c;
  ASSERT_EQ(c.open(server->port()), status::SUCCESS);
  EXPECT_EQ(c.get(attr::SUPPRESS_END_EN), 1);  // NI's default for sockets
  EXPECT_EQ(c.get(attr::TCPIP_PORT), server->port());
  ASSERT_EQ(c.set(attr::TERMCHAR_EN, 1), status::SUCCESS);
  ASSERT_EQ(c.write("*IDN?\n"), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(c.read(reply), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(reply, "FAKE,LAN-TEST,0,1.0\n");
}

TEST_F(SocketLoopback, BytesAfterTheTermcharStayForTheNextRead) {
  SocketClient c;
  ASSERT_EQ(c.open(server->port()), status::SUCCESS);
  ASSERT_EQ(c.set(attr::TERMCHAR_EN, 1), status::SUCCESS);
  ASSERT_EQ(c.write("PARTS? 5\n"), status::SUCCESS);
  for (int i = 0; i < 5; ++i) {
    std::string reply;
    EXPECT_EQ(c.read(reply), status::SUCCESS_TERM_CHAR);
    EXPECT_EQ(reply, "part" + std::to_string(i) + "\n");
  }
}

TEST_F(SocketLoopback, TermcharIgnoredWhenDisabledAndBinaryBlockReadByCount) {
  SocketClient c;
  ASSERT_EQ(c.open(server->port()), status::SUCCESS);
  ASSERT_EQ(c.write("BLOCK? 100000\n"), status::SUCCESS);
  // TERMCHAR_EN is false: the LF bytes inside the block do not end the read.
  std::string header;
  EXPECT_EQ(c.read(header, 8), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(header, "#6100000");
  std::string data;
  EXPECT_EQ(c.read(data, 100001), status::SUCCESS_MAX_CNT);
  ASSERT_EQ(data.size(), 100001u);
  for (std::size_t i = 0; i < 100000; ++i) ASSERT_EQ(static_cast<unsigned char>(data[i]), i & 0xFF) << i;
  EXPECT_EQ(data.back(), '\n');
}

TEST_F(SocketLoopback, ReadWithoutTerminationTimesOutNearTheTimeout) {
  SocketClient c;
  ASSERT_EQ(c.open(server->port()), status::SUCCESS);
  ASSERT_EQ(c.set(attr::TMO_VALUE, 300), status::SUCCESS);
  ASSERT_EQ(c.write("SILENT?\n"), status::SUCCESS);
  std::string reply;
  auto start = Clock::now();
  EXPECT_EQ(c.read(reply), status::ERROR_TMO);
  EXPECT_GE(Clock::now() - start, 290ms);
  EXPECT_LT(Clock::now() - start, 3s);
  // With SUPPRESS_END_EN false a pause in the data ends the read (a socket has no END).
  ASSERT_EQ(c.set(attr::SUPPRESS_END_EN, 0), status::SUCCESS);
  ASSERT_EQ(c.set(attr::TMO_VALUE, 5000), status::SUCCESS);
  ASSERT_EQ(c.write("ECHO? no termchar\n"), status::SUCCESS);
  EXPECT_EQ(c.read(reply), status::SUCCESS);
  EXPECT_EQ(reply, "no termchar\n");
}

TEST_F(SocketLoopback, ClosedPortFailsAtOpen) {
  SocketClient c;
  auto start = Clock::now();
  EXPECT_EQ(c.open(free_closed_port()), status::ERROR_RSRC_NFOUND);
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST_F(SocketLoopback, NodelayAndKeepaliveAttributes) {
  SocketClient c;
  ASSERT_EQ(c.open(server->port()), status::SUCCESS);
  EXPECT_EQ(c.get(attr::TCPIP_NODELAY), 1);
  EXPECT_EQ(c.get(attr::TCPIP_KEEPALIVE), 0);
  EXPECT_EQ(c.set(attr::TCPIP_KEEPALIVE, 1), status::SUCCESS);
  EXPECT_EQ(c.set(attr::TCPIP_NODELAY, 0), status::SUCCESS);
  EXPECT_EQ(c.get(attr::TCPIP_KEEPALIVE), 1);
  EXPECT_EQ(c.get(attr::TCPIP_NODELAY), 0);
}

TEST(SocketSessionOptions, NodelayAndKeepaliveReachTheSocket) {
  // A session used directly (without a backend) to look at its socket's options.
  net::TcpListener l;
  ASSERT_EQ(l.open("127.0.0.1", 0), status::SUCCESS);
  auto name = ResourceName::parse(socket_name(l.port()));
  raw_socket::SocketSession s(name);
  ASSERT_EQ(s.connect(core::Deadline::after_ms(2000)), status::SUCCESS);
  net::Socket peer;
  ASSERT_EQ(l.accept(peer, core::Deadline::after_ms(2000)), status::SUCCESS);
  net::Endpoint client = peer.peer_endpoint();
  // Find the client's fd by its local port: the only other socket of this process on that port.
  int fd = -1;
  for (int candidate = 3; candidate < 1024 && fd < 0; ++candidate) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    if (candidate == peer.fd() || getsockname(candidate, reinterpret_cast<sockaddr*>(&a), &len) != 0) continue;
    if (a.sin_family == AF_INET && ntohs(a.sin_port) == client.port) fd = candidate;
  }
  ASSERT_GE(fd, 0);
  auto option = [&](int level, int name) {
    int v = -1;
    socklen_t len = sizeof v;
    getsockopt(fd, level, name, &v, &len);
    return v;
  };
  EXPECT_NE(option(IPPROTO_TCP, TCP_NODELAY), 0);
  EXPECT_EQ(option(SOL_SOCKET, SO_KEEPALIVE), 0);
  ASSERT_EQ(s.set_attribute(attr::TCPIP_KEEPALIVE, std::int64_t{1}), status::SUCCESS);
  ASSERT_EQ(s.set_attribute(attr::TCPIP_NODELAY, std::int64_t{0}), status::SUCCESS);
  EXPECT_NE(option(SOL_SOCKET, SO_KEEPALIVE), 0);
  EXPECT_EQ(option(IPPROTO_TCP, TCP_NODELAY), 0);
  s.disconnect();
}

/// A scripted peer: the test decides what the "instrument" sends and when.
class ScriptedPeer : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(listener.open("127.0.0.1", 0), status::SUCCESS); }
  void open_and_accept(SocketClient& c) {
    ASSERT_EQ(c.open(listener.port()), status::SUCCESS);
    ASSERT_EQ(listener.accept(peer, core::Deadline::after_ms(2000)), status::SUCCESS);
  }
  void send(std::string_view text) {
    ASSERT_EQ(peer.send_all(bytes_of(text), core::Deadline::after_ms(2000)), status::SUCCESS);
  }
  std::string receive_exactly(std::size_t n) {
    std::vector<std::byte> b(n);
    EXPECT_EQ(peer.recv_exact(b, core::Deadline::after_ms(2000)), status::SUCCESS);
    return text_of(b);
  }
  net::TcpListener listener;
  net::Socket peer;
};

TEST_F(ScriptedPeer, ClearDiscardsBufferedInput) {
  SocketClient c;
  open_and_accept(c);
  ASSERT_EQ(c.set(attr::TERMCHAR_EN, 1), status::SUCCESS);
  send("abc\ndef\n");
  std::string reply;
  EXPECT_EQ(c.read(reply), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(reply, "abc\n");
  EXPECT_EQ(c.backend().clear(c.session()), status::SUCCESS);
  ASSERT_EQ(c.set(attr::TMO_VALUE, 100), status::SUCCESS);
  EXPECT_EQ(c.read(reply), status::ERROR_TMO);
  send("ghi\n");
  ASSERT_EQ(c.set(attr::TMO_VALUE, 2000), status::SUCCESS);
  EXPECT_EQ(c.read(reply), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(reply, "ghi\n");
}

TEST_F(ScriptedPeer, FlushWithReadDiscardDropsPendingBytes) {
  SocketClient c;
  open_and_accept(c);
  ASSERT_EQ(c.set(attr::TERMCHAR_EN, 1), status::SUCCESS);
  send("one\ntwo\n");
  std::string reply;
  EXPECT_EQ(c.read(reply), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(c.backend().flush(c.session(), buffer::read_buf_discard), status::SUCCESS);
  ASSERT_EQ(c.set(attr::TMO_VALUE, 100), status::SUCCESS);
  EXPECT_EQ(c.read(reply), status::ERROR_TMO);
}

TEST_F(ScriptedPeer, PeerClosingMidMessageIsConnectionLost) {
  SocketClient c;
  open_and_accept(c);
  ASSERT_EQ(c.set(attr::TERMCHAR_EN, 1), status::SUCCESS);
  send("partial");
  peer.close();
  std::string reply;
  EXPECT_EQ(c.read(reply), status::ERROR_CONN_LOST);
  EXPECT_EQ(reply, "partial");  // the bytes received are returned with the error
  EXPECT_EQ(c.read(reply), status::ERROR_CONN_LOST);
}

TEST_F(ScriptedPeer, WriteToAPeerThatDoesNotReadTimesOut) {
  SocketClient c;
  open_and_accept(c);
  ASSERT_EQ(c.set(attr::TMO_VALUE, 300), status::SUCCESS);
  std::string big(64 << 20, 'x');
  std::size_t n = 0;
  auto start = Clock::now();
  EXPECT_EQ(c.backend().write(c.session(), bytes_of(big), n), status::ERROR_TMO);
  EXPECT_GE(Clock::now() - start, 290ms);
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_GT(n, 0u);
  EXPECT_LT(n, big.size());
}

TEST_F(ScriptedPeer, TriggerAndStatusByteAs4882Strings) {
  SocketClient c;
  open_and_accept(c);
  EXPECT_EQ(c.backend().assert_trigger(c.session(), TriggerProtocol::default_), status::ERROR_NSUP_OPER);
  ASSERT_EQ(c.set(attr::IO_PROT, 4), status::SUCCESS);  // VI_PROT_4882_STRS
  EXPECT_EQ(c.backend().assert_trigger(c.session(), TriggerProtocol::default_), status::SUCCESS);
  EXPECT_EQ(receive_exactly(5), "*TRG\n");
  auto stb = std::async(std::launch::async, [&] {
    std::uint16_t value = 0;
    status_t st = c.backend().read_stb(c.session(), value);
    return std::make_pair(st, value);
  });
  EXPECT_EQ(receive_exactly(6), "*STB?\n");
  send("+80\n");
  auto [st, value] = stb.get();
  EXPECT_EQ(st, status::SUCCESS);
  EXPECT_EQ(value, 80);
}

TEST(SocketManyInstruments, SessionsOnSeveralThreads) {
  constexpr int instruments = 4, rounds = 50;
  std::vector<std::shared_ptr<FakeDevice>> devices;
  std::vector<std::unique_ptr<raw_socket::SocketServer>> servers;
  for (int i = 0; i < instruments; ++i) {
    devices.push_back(std::make_shared<FakeDevice>());
    servers.push_back(std::make_unique<raw_socket::SocketServer>(devices.back(), raw_socket::SocketServer::Options{}));
    ASSERT_EQ(servers.back()->start(), status::SUCCESS);
  }
  auto backend = native::make_backend();  // one backend shared by every thread
  session_t rm = 0;
  ASSERT_EQ(backend->open_default_rm(rm), status::SUCCESS);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < instruments; ++i) {
    threads.emplace_back([&, i] {
      session_t s = 0;
      if (backend->open(rm, socket_name(servers[i]->port()), AccessMode::no_lock, 0, s) != status::SUCCESS) return;
      backend->set_attribute(s, attr::TERMCHAR_EN, std::int64_t{1});
      for (int r = 0; r < rounds; ++r) {
        std::string text = "i" + std::to_string(i) + "r" + std::to_string(r);
        std::string command = "ECHO? " + text + "\n";
        std::size_t n = 0;
        if (backend->write(s, bytes_of(command), n) != status::SUCCESS) continue;
        std::vector<std::byte> buffer(256);
        if (backend->read(s, buffer, n) == status::SUCCESS_TERM_CHAR && text_of(std::span(buffer).first(n)) == text + "\n")
          ++ok;
      }
      backend->close(s);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), instruments * rounds);
  backend->close(rm);
}

TEST_F(SocketLoopback, TwoSessionsToOneInstrumentEachGetTheirAnswer) {
  SocketClient a, b;
  ASSERT_EQ(a.open(server->port()), status::SUCCESS);
  ASSERT_EQ(b.open(server->port()), status::SUCCESS);
  a.set(attr::TERMCHAR_EN, 1);
  b.set(attr::TERMCHAR_EN, 1);
  for (int i = 0; i < 10; ++i) {
    std::string reply;
    ASSERT_EQ(a.write("ECHO? a" + std::to_string(i) + "\n"), status::SUCCESS);
    EXPECT_EQ(a.read(reply), status::SUCCESS_TERM_CHAR);
    EXPECT_EQ(reply, "a" + std::to_string(i) + "\n");
    ASSERT_EQ(b.write("ECHO? b" + std::to_string(i) + "\n"), status::SUCCESS);
    EXPECT_EQ(b.read(reply), status::SUCCESS_TERM_CHAR);
    EXPECT_EQ(reply, "b" + std::to_string(i) + "\n");
  }
}

/// A FakeDevice whose output is held back until release() (a slow instrument); abort() ends a
/// held read at once.
class SlowDevice : public FakeDevice {
 public:
  using FakeDevice::FakeDevice;
  void release() {
    std::lock_guard lock(gate_mutex_);
    open_ = true;
    gate_.notify_all();
  }
  bool wait_held(std::chrono::milliseconds timeout) {
    std::unique_lock lock(gate_mutex_);
    return gate_.wait_for(lock, timeout, [&] { return held_ > 0; });
  }

 protected:
  status_t do_read(std::span<std::byte> buffer, std::optional<std::byte> termchar, server::ReadResult& result,
                   core::Deadline deadline) override {
    {
      std::unique_lock lock(gate_mutex_);
      ++held_;
      gate_.notify_all();
      bool open = gate_.wait_until(lock, deadline.when(), [&] { return open_ || aborted_; });
      --held_;
      result = {};
      if (aborted_) {
        aborted_ = false;
        return status::ERROR_ABORT;
      }
      if (!open) return status::ERROR_TMO;
    }
    return FakeDevice::do_read(buffer, termchar, result, deadline);
  }
  void do_abort() override {
    {
      std::lock_guard lock(gate_mutex_);
      if (held_ > 0) aborted_ = true;
      gate_.notify_all();
    }
    FakeDevice::do_abort();
  }

 private:
  std::mutex gate_mutex_;
  std::condition_variable gate_;
  int held_ = 0;
  bool open_ = false, aborted_ = false;
};

/// A plain TCP client (no VISA in between), to close with a query pending.
net::Socket raw_client(std::uint16_t port) {
  net::Socket s;
  EXPECT_EQ(net::connect_tcp("127.0.0.1", port, core::Deadline::after_ms(2000), s), status::SUCCESS);
  return s;
}

TEST(SocketClients, AClientClosingWithAQueryPendingLeavesNothingForTheNext) {
  for (bool knows : {true, false}) {
    SCOPED_TRACE(knows ? "device knows its output" : "output unknown");
    auto device = std::make_shared<SlowDevice>();
    device->knows_output = knows;
    raw_socket::SocketServer server(device, {});
    ASSERT_EQ(server.start(), status::SUCCESS);
    {
      net::Socket a = raw_client(server.port());
      ASSERT_EQ(a.send_all(bytes_of("ECHO? from-a\n"), core::Deadline::after_ms(2000)), status::SUCCESS);
      ASSERT_TRUE(device->wait_held(5s));  // the server waits for A's answer
    }  // A goes away with its answer unread
    SocketClient b;
    ASSERT_EQ(b.open(server.port()), status::SUCCESS);
    b.set(attr::TERMCHAR_EN, 1);
    b.set(attr::TMO_VALUE, 5000);
    device->release();
    std::string reply;
    ASSERT_EQ(b.write("*IDN?\n"), status::SUCCESS);
    EXPECT_EQ(b.read(reply), status::SUCCESS_TERM_CHAR);
    EXPECT_EQ(reply, "FAKE,LAN-TEST,0,1.0\n");  // not A's "from-a"
    ASSERT_EQ(b.write("ECHO? b2\n"), status::SUCCESS);
    EXPECT_EQ(b.read(reply), status::SUCCESS_TERM_CHAR);
    EXPECT_EQ(reply, "b2\n");
  }
}

TEST(SocketClients, AClientTimingOutDoesNotTakeTheOthersAnswers) {
  for (bool knows : {true, false}) {
    SCOPED_TRACE(knows ? "device knows its output" : "output unknown");
    server::ServedDevice::Options hold;
    hold.response_hold_ms = 500;  // how long an unread answer holds the other client off
    auto device = std::make_shared<FakeDevice>(hold);
    device->knows_output = knows;
    raw_socket::SocketServer::Options o;
    o.response_timeout_ms = 500;  // an answer that does not come is given up after this
    raw_socket::SocketServer server(device, o);
    ASSERT_EQ(server.start(), status::SUCCESS);
    SocketClient a, b;
    ASSERT_EQ(a.open(server.port()), status::SUCCESS);
    ASSERT_EQ(b.open(server.port()), status::SUCCESS);
    for (auto* c : {&a, &b}) {
      c->set(attr::TERMCHAR_EN, 1);
      c->set(attr::TMO_VALUE, 5000);
    }
    std::string reply;
    for (int round = 0; round < 3; ++round) {
      a.set(attr::TMO_VALUE, 300);
      ASSERT_EQ(a.write("SILENT?\n"), status::SUCCESS);  // never answered: A times out
      EXPECT_EQ(a.read(reply), status::ERROR_TMO);
      a.set(attr::TMO_VALUE, 5000);
      ASSERT_EQ(b.write("ECHO? b" + std::to_string(round) + "\n"), status::SUCCESS);
      EXPECT_EQ(b.read(reply), status::SUCCESS_TERM_CHAR);
      EXPECT_EQ(reply, "b" + std::to_string(round) + "\n");
      ASSERT_EQ(a.write("ECHO? a" + std::to_string(round) + "\n"), status::SUCCESS);
      EXPECT_EQ(a.read(reply), status::SUCCESS_TERM_CHAR);
      EXPECT_EQ(reply, "a" + std::to_string(round) + "\n");
    }
    // Interleaved without waiting for each other: each still reads only its own answers.
    ASSERT_EQ(a.write("ECHO? a-x\n"), status::SUCCESS);
    ASSERT_EQ(b.write("ECHO? b-x\n"), status::SUCCESS);
    EXPECT_EQ(b.read(reply), status::SUCCESS_TERM_CHAR);
    EXPECT_EQ(reply, "b-x\n");
    EXPECT_EQ(a.read(reply), status::SUCCESS_TERM_CHAR);
    EXPECT_NE(reply, "b-x\n");
  }
}

TEST(SocketClients, NoReadWithoutAPendingResponse) {
  for (bool knows : {true, false}) {
    SCOPED_TRACE(knows ? "device knows its output" : "output unknown");
    auto device = std::make_shared<FakeDevice>();
    device->knows_output = knows;
    raw_socket::SocketServer server(device, {});
    ASSERT_EQ(server.start(), status::SUCCESS);
    SocketClient c;
    ASSERT_EQ(c.open(server.port()), status::SUCCESS);
    c.set(attr::TERMCHAR_EN, 1);
    ASSERT_EQ(c.write("VOLT 1\n"), status::SUCCESS);  // a command: nothing to read
    ASSERT_EQ(c.write("ECHO? x\n"), status::SUCCESS);
    std::string reply;
    EXPECT_EQ(c.read(reply), status::SUCCESS_TERM_CHAR);
    EXPECT_EQ(reply, "x\n");
    int reads = device->reads.load();
    EXPECT_GE(reads, 1);
    ASSERT_EQ(c.write("VOLT 2\n"), status::SUCCESS);
    auto until = Clock::now() + 5s;
    while (device->log_copy().size() < 2 && Clock::now() < until) std::this_thread::sleep_for(5ms);
    ASSERT_EQ(device->log_copy().size(), 2u);
    std::this_thread::sleep_for(300ms);  // a server that polls would have read by now
    EXPECT_EQ(device->reads.load(), reads);
  }
}

TEST(SocketClients, ALockOfAnotherClientOnTheDeviceHoldsTheSocketClientBack) {
  auto device = std::make_shared<FakeDevice>();
  raw_socket::SocketServer server(device, {});
  ASSERT_EQ(server.start(), status::SUCCESS);
  SocketClient c;
  ASSERT_EQ(c.open(server.port()), status::SUCCESS);
  c.set(attr::TERMCHAR_EN, 1);
  const server::ClientId other = server::new_client_id();  // stands for a VXI-11 (or HiSLIP) client
  for (auto type : {server::LockType::exclusive, server::LockType::shared}) {
    SCOPED_TRACE(type == server::LockType::exclusive ? "exclusive" : "shared");
    ASSERT_EQ(device->lock(other, type, "key", core::Deadline::after_ms(0)), status::SUCCESS);
    c.set(attr::TMO_VALUE, 300);
    std::size_t written = device->bytes_written.load();
    ASSERT_EQ(c.write("ECHO? held\n"), status::SUCCESS);
    std::string reply;
    EXPECT_EQ(c.read(reply), status::ERROR_TMO);
    EXPECT_EQ(device->bytes_written.load(), written);  // the message waits outside the device
    ASSERT_EQ(device->unlock(other), type == server::LockType::exclusive ? status::SUCCESS : status::SUCCESS_NESTED_SHARED);
    c.set(attr::TMO_VALUE, 5000);
    EXPECT_EQ(c.read(reply), status::SUCCESS_TERM_CHAR);
    EXPECT_EQ(reply, "held\n");
  }
}

TEST(SocketClients, ARefusedWriteClosesTheConnection) {
  server::ServedDevice::Options options;
  options.read_only = true;
  auto device = std::make_shared<FakeDevice>(options);
  raw_socket::SocketServer server(device, {});
  ASSERT_EQ(server.start(), status::SUCCESS);
  SocketClient c;
  ASSERT_EQ(c.open(server.port()), status::SUCCESS);
  c.set(attr::TMO_VALUE, 5000);
  ASSERT_EQ(c.write("*IDN?\n"), status::SUCCESS);
  std::string reply;
  auto start = Clock::now();
  EXPECT_EQ(c.read(reply), status::ERROR_CONN_LOST);  // said the only way a raw socket can
  EXPECT_LT(Clock::now() - start, 3s);
  EXPECT_EQ(device->bytes_written.load(), 0u);
}

/// CPU time of this process (user + system).
std::chrono::microseconds cpu_time() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto us = [](timeval t) { return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec); };
  return std::chrono::duration_cast<std::chrono::microseconds>(us(u.ru_utime) + us(u.ru_stime));
}

TEST(SocketClients, OutOfDescriptorsTheAcceptLoopBacksOff) {
  auto device = std::make_shared<FakeDevice>();
  raw_socket::SocketServer server(device, {});
  ASSERT_EQ(server.start(), status::SUCCESS);
  // The client's descriptor exists before the limit drops; connect() needs none, accept() does.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  net::Socket client(fd);
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(fd + 1);  // no descriptor above the client's
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
  ASSERT_EQ(client.send_all(bytes_of("*IDN?\n"), core::Deadline::after_ms(2000)), status::SUCCESS);
  std::vector<std::byte> reply(20);
  ASSERT_EQ(client.recv_exact(reply, core::Deadline::after_ms(5000)), status::SUCCESS);
  EXPECT_EQ(text_of(reply), "FAKE,LAN-TEST,0,1.0\n");
}

TEST_F(SocketLoopback, ServerStoppedMidTransferIsConnectionLost) {
  SocketClient c;
  ASSERT_EQ(c.open(server->port()), status::SUCCESS);
  ASSERT_EQ(c.set(attr::TMO_VALUE, 20000), status::SUCCESS);
  device->knows_output = false;  // so the server waits in the device for the answer to SILENT?
  ASSERT_EQ(c.write("SILENT?\n"), status::SUCCESS);
  auto reader = std::async(std::launch::async, [&] {
    std::string reply;
    return c.read(reply);
  });
  ASSERT_TRUE(device->wait_for_blocked_read(5s));
  auto start = Clock::now();
  server->stop();
  EXPECT_EQ(reader.get(), status::ERROR_CONN_LOST);
  EXPECT_LT(Clock::now() - start, 5s);
}

}  // namespace
}  // namespace cppvisa

namespace cppvisa {
namespace {

TEST(SocketIPv6, SessionOverIPv6Loopback) {
  auto device = std::make_shared<FakeDevice>();
  raw_socket::SocketServer::Options o;
  o.host = "::1";
  raw_socket::SocketServer server(device, o);
  if (server.start() != status::SUCCESS) GTEST_SKIP() << "no IPv6 loopback here";
  auto backend = native::make_backend();
  session_t rm = 0, s = 0;
  ASSERT_EQ(backend->open_default_rm(rm), status::SUCCESS);
  ASSERT_EQ(backend->open(rm, "TCPIP::[::1]::" + std::to_string(server.port()) + "::SOCKET", AccessMode::no_lock, 0, s),
            status::SUCCESS);
  backend->set_attribute(s, attr::TERMCHAR_EN, std::int64_t{1});
  std::size_t n = 0;
  ASSERT_EQ(backend->write(s, bytes_of("*IDN?\n"), n), status::SUCCESS);
  std::vector<std::byte> buffer(100);
  EXPECT_EQ(backend->read(s, buffer, n), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(text_of(std::span(buffer).first(n)), "FAKE,LAN-TEST,0,1.0\n");
  AttrValue addr;
  ASSERT_EQ(backend->get_attribute(s, attr::TCPIP_ADDR, addr), status::SUCCESS);
  EXPECT_EQ(std::get<std::string>(addr), "::1");
  backend->close(rm);
}

}  // namespace
}  // namespace cppvisa
