// net::TcpAcceptor over loopback: serving, reaping, stop with blocked connections, the allow
// list, the total and per-address limits (127.0.0.1 and 127.0.0.2 as two client addresses), a
// dual-stack listener with IPv4-mapped peers, and accept() back-off when out of descriptors.
#include "protocols/net/acceptor.hpp"
#include "protocols/oncrpc/rpc_client.hpp"
#include "protocols/oncrpc/rpc_server.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <fcntl.h>
#include <mutex>
#include <netinet/in.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace cppvisa::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

// Waits (generously) until `done` holds.
template <class F>
bool eventually(F done, std::chrono::milliseconds limit = 5000ms) {
  auto end = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// A TCP connection to 127.0.0.1:port from the local address `source` (127.0.0.x). False when
// the source address cannot be bound here.
bool connect_from(const char* source, std::uint16_t port, Socket& out) {
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return false;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  if (::bind(s.fd(), reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) return false;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::connect(s.fd(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) return false;
  ::fcntl(s.fd(), F_SETFL, ::fcntl(s.fd(), F_GETFL, 0) | O_NONBLOCK);  // Socket waits with poll()
  out = std::move(s);
  return true;
}

// Sends `text` and reads the same number of bytes back.
std::string round_trip(Socket& s, std::string_view text) {
  if (s.send_all(bytes(text), core::Deadline::after_ms(5000)) != status::SUCCESS) return "<send failed>";
  std::string got(text.size(), '\0');
  status_t st = s.recv_exact(std::as_writable_bytes(std::span(got.data(), got.size())), core::Deadline::after_ms(5000));
  return st == status::SUCCESS ? got : "<" + std::string(status_name(st)) + ">";
}

// Reads until the peer closes: what arrived, and whether the close came (within 5 s).
std::pair<std::string, bool> read_to_close(Socket& s) {
  std::string got;
  std::byte buf[256];
  auto deadline = core::Deadline::after_ms(5000);
  for (;;) {
    std::size_t n = 0;
    status_t st = s.recv_some(buf, deadline, n);
    if (st == status::ERROR_CONN_LOST) return {got, true};
    if (st != status::SUCCESS) return {got, false};
    got.append(reinterpret_cast<const char*>(buf), n);
  }
}

// The echo server every test uses; counts the connections it served.
struct Echo {
  std::atomic<int> served{0};
  std::mutex mutex;
  std::vector<TcpAcceptor::ConnectionInfo> infos;  // copies (the stop waker reference stays valid)
  std::vector<std::weak_ptr<Socket>> sockets;

  TcpAcceptor::Serve serve() {
    return [this](const std::shared_ptr<Socket>& socket, const TcpAcceptor::ConnectionInfo& info) {
      ++served;
      {
        std::lock_guard lock(mutex);
        infos.push_back(info);
        sockets.push_back(socket);
      }
      std::byte buf[4096];
      for (;;) {
        std::size_t n = 0;
        if (socket->recv_some(buf, core::Deadline::never(), n, &info.stop) != status::SUCCESS) return;
        if (socket->send_all(std::span(buf, n), core::Deadline::after_ms(5000), nullptr, &info.stop) != status::SUCCESS)
          return;
      }
    };
  }
};

// What the refuse callback saw; it answers each refusal with a line naming the reason.
struct Refusals {
  std::mutex mutex;
  std::vector<std::pair<TcpAcceptor::Refusal, std::string>> seen;  // reason, peer host

  TcpAcceptor::Refuse refuse() {
    return [this](Socket& socket, const TcpAcceptor::RefusalInfo& info) {
      {
        std::lock_guard lock(mutex);
        seen.emplace_back(info.reason, info.peer.host);
      }
      const char* text = info.reason == TcpAcceptor::Refusal::not_allowed ? "not allowed\n"
                         : info.reason == TcpAcceptor::Refusal::too_many  ? "too many\n"
                                                                          : "too many from you\n";
      socket.send_all(bytes(text), info.deadline);
    };
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return seen.size();
  }
};

TEST(TcpAcceptor, ServesEchoesAndReapsWithoutANewAccept) {
  TcpAcceptor a;
  ASSERT_EQ(a.open({}), status::SUCCESS) << a.error();
  EXPECT_EQ(a.host(), "127.0.0.1");
  ASSERT_NE(a.port(), 0);
  Echo echo;
  ASSERT_EQ(a.start(echo.serve()), status::SUCCESS);
  EXPECT_EQ(a.start(echo.serve()), status::ERROR_IO);  // once
  Socket c1, c2;
  ASSERT_EQ(connect_tcp("127.0.0.1", a.port(), core::Deadline::after_ms(2000), c1), status::SUCCESS);
  ASSERT_EQ(connect_tcp("127.0.0.1", a.port(), core::Deadline::after_ms(2000), c2), status::SUCCESS);
  EXPECT_EQ(round_trip(c1, "hello"), "hello");
  EXPECT_EQ(round_trip(c2, "world"), "world");
  EXPECT_EQ(a.connection_count(), 2u);
  {
    std::lock_guard lock(echo.mutex);
    ASSERT_EQ(echo.infos.size(), 2u);
    EXPECT_NE(echo.infos[0].id, echo.infos[1].id);
    EXPECT_EQ(echo.infos[0].peer.host, "127.0.0.1");
    EXPECT_EQ(echo.infos[0].local.port, a.port());
    EXPECT_EQ(echo.infos[0].peer.port == c1.local_endpoint().port ||
                  echo.infos[0].peer.port == c2.local_endpoint().port,
              true);
  }
  // A finished connection is joined and its socket released at once, with no accept after it.
  c1.close();
  EXPECT_TRUE(eventually([&] { return a.connection_count() == 1; }));
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(echo.mutex);
    int expired = 0;
    for (auto& w : echo.sockets) expired += w.expired() ? 1 : 0;
    return expired == 1;
  }));
  EXPECT_EQ(round_trip(c2, "still"), "still");
  EXPECT_EQ(a.refused_count(), 0u);
  a.stop();
  EXPECT_EQ(read_to_close(c2).second, true);
  EXPECT_EQ(a.connection_count(), 0u);
}

TEST(TcpAcceptor, StopJoinsConnectionsBlockedInRecv) {
  TcpAcceptor a;
  ASSERT_EQ(a.open({}), status::SUCCESS) << a.error();
  std::atomic<int> returned{0}, entered{0};
  std::shared_ptr<Socket> kept;  // a socket shared beyond serve: stop still reaches it
  std::mutex kept_mutex;
  ASSERT_EQ(a.start([&](const std::shared_ptr<Socket>& socket, const TcpAcceptor::ConnectionInfo& info) {
    std::byte b[16];
    std::size_t n = 0;
    bool first = entered++ == 0;
    if (first) {
      std::lock_guard lock(kept_mutex);
      kept = socket;
      // Blocked with no waker and no deadline: only the shutdown can wake it.
      socket->recv_some(b, core::Deadline::never(), n);
    } else {
      socket->recv_some(b, core::Deadline::never(), n, &info.stop);
    }
    ++returned;
  }),
            status::SUCCESS);
  Socket c1, c2;
  ASSERT_EQ(connect_tcp("127.0.0.1", a.port(), core::Deadline::after_ms(2000), c1), status::SUCCESS);
  ASSERT_EQ(connect_tcp("127.0.0.1", a.port(), core::Deadline::after_ms(2000), c2), status::SUCCESS);
  ASSERT_TRUE(eventually([&] { return entered.load() == 2; }));
  auto start = Clock::now();
  a.stop();
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_EQ(returned.load(), 2);
  EXPECT_TRUE(read_to_close(c1).second);
  EXPECT_TRUE(read_to_close(c2).second);
  a.stop();  // idempotent
  EXPECT_EQ(a.start([](auto&, auto&) {}), status::ERROR_IO);
  EXPECT_EQ(a.open({}), status::ERROR_IO);  // single use
  std::lock_guard lock(kept_mutex);
  EXPECT_TRUE(kept && kept->valid());  // shut down, but the descriptor lives as long as a pointer does
}

TEST(TcpAcceptor, AllowListRefusesAtAccept) {
  TcpAcceptor a;
  TcpAcceptor::Options o;
  ASSERT_TRUE(o.allow.add("127.0.0.2/32"));
  ASSERT_EQ(a.open(o), status::SUCCESS) << a.error();
  Echo echo;
  Refusals refusals;
  ASSERT_EQ(a.start(echo.serve(), refusals.refuse()), status::SUCCESS);
  Socket outsider, insider;
  ASSERT_EQ(connect_tcp("127.0.0.1", a.port(), core::Deadline::after_ms(2000), outsider), status::SUCCESS);
  auto [said, closed] = read_to_close(outsider);
  EXPECT_EQ(said, "not allowed\n");
  EXPECT_TRUE(closed);
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals.seen[0].first, TcpAcceptor::Refusal::not_allowed);
  EXPECT_EQ(refusals.seen[0].second, "127.0.0.1");
  EXPECT_EQ(a.refused_count(TcpAcceptor::Refusal::not_allowed), 1u);
  EXPECT_EQ(echo.served.load(), 0);
  if (!connect_from("127.0.0.2", a.port(), insider)) GTEST_SKIP() << "cannot bind 127.0.0.2 here";
  EXPECT_EQ(round_trip(insider, "in"), "in");
  EXPECT_EQ(echo.served.load(), 1);
  // A refused client that sends first still gets the message (no RST over unread input).
  Socket eager;
  ASSERT_EQ(connect_tcp("127.0.0.1", a.port(), core::Deadline::after_ms(2000), eager), status::SUCCESS);
  ASSERT_EQ(eager.send_all(bytes("hello?\n"), core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(read_to_close(eager).first, "not allowed\n");
  EXPECT_EQ(a.refused_count(), 2u);
}

TEST(TcpAcceptor, TotalAndPerAddressLimits) {
  TcpAcceptor a;
  TcpAcceptor::Options o;
  o.max_connections = 2;
  o.max_per_address = 1;
  ASSERT_EQ(a.open(o), status::SUCCESS) << a.error();
  Echo echo;
  Refusals refusals;
  ASSERT_EQ(a.start(echo.serve(), refusals.refuse()), status::SUCCESS);
  Socket a1, a2, b, c, a3;
  ASSERT_TRUE(connect_from("127.0.0.1", a.port(), a1));
  EXPECT_EQ(round_trip(a1, "a1"), "a1");
  ASSERT_TRUE(connect_from("127.0.0.1", a.port(), a2));
  auto refused = read_to_close(a2);
  EXPECT_EQ(refused.first, "too many from you\n");
  EXPECT_TRUE(refused.second);
  if (!connect_from("127.0.0.2", a.port(), b)) GTEST_SKIP() << "cannot bind 127.0.0.2 here";
  EXPECT_EQ(round_trip(b, "b"), "b");
  EXPECT_EQ(a.connection_count(), 2u);
  ASSERT_TRUE(connect_from("127.0.0.3", a.port(), c));
  refused = read_to_close(c);
  EXPECT_EQ(refused.first, "too many\n");
  EXPECT_TRUE(refused.second);
  EXPECT_EQ(a.refused_count(TcpAcceptor::Refusal::too_many_from_address), 1u);
  EXPECT_EQ(a.refused_count(TcpAcceptor::Refusal::too_many), 1u);
  EXPECT_EQ(a.refused_count(TcpAcceptor::Refusal::not_allowed), 0u);
  // When a1 ends, its address may connect again.
  a1.close();
  ASSERT_TRUE(eventually([&] { return a.connection_count() == 1; }));
  ASSERT_TRUE(connect_from("127.0.0.1", a.port(), a3));
  EXPECT_EQ(round_trip(a3, "a3"), "a3");
  EXPECT_EQ(echo.served.load(), 3);
  EXPECT_EQ(round_trip(b, "b again"), "b again");
}

TEST(TcpAcceptor, ConnectionsTheClientClosedDoNotHoldTheLimits) {
  // A client that opens and closes at once (a raw-socket open sends nothing) runs ahead of the
  // connection threads, which here take 50 ms to look (a loaded machine): the connections it has
  // closed must not get its next one refused. Live connections still are (TotalAndPerAddressLimits).
  TcpAcceptor a;
  TcpAcceptor::Options o;
  o.max_connections = 2;
  o.max_per_address = 2;
  ASSERT_EQ(a.open(o), status::SUCCESS) << a.error();
  Echo echo;
  auto echo_serve = echo.serve();
  Refusals refusals;
  ASSERT_EQ(a.start(
                [&](const std::shared_ptr<Socket>& socket, const TcpAcceptor::ConnectionInfo& info) {
                  std::this_thread::sleep_for(50ms);
                  echo_serve(socket, info);
                },
                refusals.refuse()),
            status::SUCCESS);
  for (int i = 0; i < 10; ++i) {
    Socket s;
    ASSERT_TRUE(connect_from("127.0.0.1", a.port(), s));
  }  // closed at once
  Socket last;
  ASSERT_TRUE(connect_from("127.0.0.1", a.port(), last));
  EXPECT_EQ(round_trip(last, "still served"), "still served");
  EXPECT_EQ(a.refused_count(), 0u);
  EXPECT_EQ(refusals.size(), 0u);
}

TEST(TcpAcceptor, DualStackListenerMatchesMappedPeersAgainstIPv4Entries) {
  TcpAcceptor a;
  TcpAcceptor::Options o;
  o.host = "::";
  o.max_per_address = 1;
  ASSERT_TRUE(o.allow.add("127.0.0.1"));
  if (a.open(o) != status::SUCCESS) GTEST_SKIP() << "no IPv6 here: " << a.error();
  Echo echo;
  Refusals refusals;
  ASSERT_EQ(a.start(echo.serve(), refusals.refuse()), status::SUCCESS);
  Socket v4, again;
  ASSERT_EQ(connect_tcp("127.0.0.1", a.port(), core::Deadline::after_ms(2000), v4), status::SUCCESS);
  EXPECT_EQ(round_trip(v4, "mapped"), "mapped");
  {
    std::lock_guard lock(echo.mutex);
    ASSERT_EQ(echo.infos.size(), 1u);
    EXPECT_EQ(echo.infos[0].peer.host, "::ffff:127.0.0.1");
  }
  // The mapped peer counts as the IPv4 address for the per-address limit too.
  ASSERT_EQ(connect_tcp("127.0.0.1", a.port(), core::Deadline::after_ms(2000), again), status::SUCCESS);
  EXPECT_EQ(read_to_close(again).first, "too many from you\n");
  Socket v6;
  if (connect_tcp("::1", a.port(), core::Deadline::after_ms(2000), v6) == status::SUCCESS) {
    EXPECT_EQ(read_to_close(v6).first, "not allowed\n");
  }
}

TEST(TcpAcceptor, ThrowingCallbacksEndOnlyTheirConnection) {
  TcpAcceptor a;
  TcpAcceptor::Options o;
  o.max_connections = 1;
  ASSERT_EQ(a.open(o), status::SUCCESS) << a.error();
  std::atomic<int> calls{0};
  ASSERT_EQ(a.start(
                [&](const std::shared_ptr<Socket>& socket, const TcpAcceptor::ConnectionInfo& info) {
                  if (calls++ == 0) throw std::runtime_error("serve failed");
                  std::byte b[1];
                  std::size_t n = 0;
                  socket->recv_some(b, core::Deadline::never(), n, &info.stop);
                },
                [](Socket&, const TcpAcceptor::RefusalInfo&) { throw std::runtime_error("refuse failed"); }),
            status::SUCCESS);
  Socket first, second, third;
  ASSERT_EQ(connect_tcp("127.0.0.1", a.port(), core::Deadline::after_ms(2000), first), status::SUCCESS);
  EXPECT_TRUE(read_to_close(first).second);
  ASSERT_TRUE(eventually([&] { return a.connection_count() == 0; }));
  ASSERT_EQ(connect_tcp("127.0.0.1", a.port(), core::Deadline::after_ms(2000), second), status::SUCCESS);
  ASSERT_TRUE(eventually([&] { return calls.load() == 2; }));
  ASSERT_EQ(connect_tcp("127.0.0.1", a.port(), core::Deadline::after_ms(2000), third), status::SUCCESS);
  EXPECT_TRUE(read_to_close(third).second);  // refused (limit 1) although the callback threw
  EXPECT_EQ(a.refused_count(TcpAcceptor::Refusal::too_many), 1u);
}

TEST(TcpAcceptor, OpenAndStartErrorsSayWhy) {
  TcpAcceptor first, second, unopened;
  ASSERT_EQ(first.open({}), status::SUCCESS);
  TcpAcceptor::Options o;
  o.port = first.port();
  EXPECT_EQ(second.open(o), status::ERROR_IO);
  EXPECT_NE(second.error().find("127.0.0.1:" + std::to_string(first.port())), std::string::npos) << second.error();
  EXPECT_NE(second.error().find("in use"), std::string::npos) << second.error();
  EXPECT_EQ(unopened.start([](auto&, auto&) {}), status::ERROR_IO);
  EXPECT_EQ(unopened.error(), "not open");
  EXPECT_EQ(first.start({}), status::ERROR_IO);
  EXPECT_EQ(first.error(), "no serve callback");
  o.host = "192.0.2.1";  // TEST-NET-1 (RFC 5737): not an address of this host
  o.port = 0;
  EXPECT_EQ(second.open(o), status::ERROR_IO);
  EXPECT_NE(second.error().find("192.0.2.1:0"), std::string::npos) << second.error();
}

// The ONC RPC server passes its allow list and per-address limit to its acceptor; a refused RPC
// client sees the connection close (RPC has no connection-level error).
TEST(TcpAcceptor, RpcServerPassesAllowListAndPerAddressLimit) {
  using namespace oncrpc;
  auto options = RpcServer::Options::bounded(4096, 8);
  options.max_per_address = 1;
  ASSERT_TRUE(options.allow.add("127.0.0.1/32"));
  RpcServer server(options);
  server.add_program(0x20000099, 1, 1, [](const CallContext&, XdrReader&, XdrWriter&) { return ProcResult::reply; });
  ASSERT_EQ(server.listen_tcp("127.0.0.1", 0), status::SUCCESS) << server.tcp_error();
  EXPECT_EQ(server.tcp_error(), "");
  server.start();
  RpcClient first, second;
  XdrReader r;
  ASSERT_EQ(first.connect("127.0.0.1", server.tcp_port(), core::Deadline::after_ms(2000)), status::SUCCESS);
  first.begin_call(0x20000099, 1, 0);
  ASSERT_EQ(first.finish_call(core::Deadline::after_ms(2000), r), status::SUCCESS);
  ASSERT_EQ(second.connect("127.0.0.1", server.tcp_port(), core::Deadline::after_ms(2000)), status::SUCCESS);
  second.begin_call(0x20000099, 1, 0);
  EXPECT_EQ(second.finish_call(core::Deadline::after_ms(2000), r), status::ERROR_CONN_LOST);  // one per address
  EXPECT_EQ(server.connection_count(), 1u);
  Socket outsider;
  if (!connect_from("127.0.0.2", server.tcp_port(), outsider)) GTEST_SKIP() << "cannot bind 127.0.0.2 here";
  EXPECT_EQ(read_to_close(outsider), std::make_pair(std::string(), true));  // not in the allow list
  EXPECT_EQ(server.refused_count(), 2u);
  first.begin_call(0x20000099, 1, 0);  // the admitted client is unaffected
  EXPECT_EQ(first.finish_call(core::Deadline::after_ms(2000), r), status::SUCCESS);
  RpcServer busy;
  EXPECT_EQ(busy.listen_tcp("127.0.0.1", server.tcp_port()), status::ERROR_IO);
  EXPECT_NE(busy.tcp_error().find(std::to_string(server.tcp_port())), std::string::npos) << busy.tcp_error();
}

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Restores RLIMIT_NOFILE however the test ends, so the rest of the binary keeps its descriptors.
class NofileLimit {
 public:
  NofileLimit() { ok_ = ::getrlimit(RLIMIT_NOFILE, &saved_) == 0; }
  ~NofileLimit() { restore(); }
  bool lower_to(rlim_t soft) {
    if (!ok_ || soft > saved_.rlim_cur) return false;
    rlimit low = saved_;
    low.rlim_cur = soft;
    lowered_ = ::setrlimit(RLIMIT_NOFILE, &low) == 0;
    return lowered_;
  }
  void restore() {
    if (lowered_) ::setrlimit(RLIMIT_NOFILE, &saved_);
    lowered_ = false;
  }

 private:
  rlimit saved_{};
  bool ok_ = false, lowered_ = false;
};

TEST(TcpAcceptor, OutOfDescriptorsBacksOffInsteadOfSpinning) {
  TcpAcceptor a;
  ASSERT_EQ(a.open({}), status::SUCCESS) << a.error();
  Echo echo;
  ASSERT_EQ(a.start(echo.serve()), status::SUCCESS);
  // The client's socket exists before the limit drops; connecting needs no new descriptor, and
  // the kernel completes the handshake into the backlog, so the accept is what fails (EMFILE).
  Socket client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(client.valid());
  int lowest_free = ::dup(client.fd());
  ASSERT_GE(lowest_free, 0);
  ::close(lowest_free);
  NofileLimit limit;
  if (!limit.lower_to(static_cast<rlim_t>(lowest_free))) GTEST_SKIP() << "cannot lower RLIMIT_NOFILE here";
  int probe = ::dup(client.fd());
  if (probe >= 0) {
    ::close(probe);
    limit.restore();
    GTEST_SKIP() << "the lowered limit does not stop new descriptors here";
  }
  ASSERT_EQ(errno, EMFILE);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(a.port());
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  ASSERT_EQ(::connect(client.fd(), reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << errno;
  ::fcntl(client.fd(), F_SETFL, ::fcntl(client.fd(), F_GETFL, 0) | O_NONBLOCK);

  const double cpu_before = process_cpu_seconds();
  std::this_thread::sleep_for(1s);
  const double cpu = process_cpu_seconds() - cpu_before;
  const std::uint64_t failures = a.accept_failures();
  const std::size_t served_while_limited = a.connection_count();
  limit.restore();

  // A back-off costs a handful of syscalls (~1 ms); a spin costs a core even on a loaded host.
  EXPECT_LT(cpu, 0.1) << "the accept loop spins on EMFILE (" << failures << " failed accepts)";
  RecordProperty("cpu_seconds_during_emfile", std::to_string(cpu));
  RecordProperty("failed_accepts_during_emfile", std::to_string(failures));
  EXPECT_GE(failures, 2u);   // it did hit EMFILE, and retried
  EXPECT_LE(failures, 20u);  // 50 ms doubling to 1 s: about 5 tries in a second
  EXPECT_EQ(served_while_limited, 0u);
  // With descriptors again, the pending client is served (the back-off is at most 1 s).
  EXPECT_EQ(round_trip(client, "late"), "late");
  EXPECT_EQ(echo.served.load(), 1);
}

}  // namespace
}  // namespace cppvisa::net
