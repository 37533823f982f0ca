// net::Link over TLS without HiSLIP: a large block arrives whole with the right bytes, the
// records already received come out of one recv_some together (not one 16 KiB record per call),
// and with a partial record held by the link a read still ends at its deadline, on its waker, or
// when the peer dies; plain bytes that arrive together with the peer's close_notify are kept.
// The two links talk over socket pairs; the partial-record cases put the test between them.
#include "integration/self_signed.hpp"
#include "protocols/net/tls_link.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <filesystem>
#include <thread>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cppvisa {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

core::Deadline soon() { return core::Deadline::after_ms(10000); }

std::vector<std::byte> pattern(std::size_t size) {
  std::vector<std::byte> out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::byte>((i * 131 + i / 7919) & 0xff);
  return out;
}

/// Two connected non-blocking stream sockets.
std::pair<std::shared_ptr<net::Socket>, std::shared_ptr<net::Socket>> socket_pair() {
  int fds[2] = {-1, -1};
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  return {std::make_shared<net::Socket>(fds[0]), std::make_shared<net::Socket>(fds[1])};
}

/// Everything readable on `fd` now (waits up to 2 s for the first byte).
std::vector<std::byte> drain(int fd) {
  std::vector<std::byte> out;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 2000) <= 0) return out;
  std::byte chunk[65536];
  for (;;) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    out.insert(out.end(), chunk, chunk + n);
  }
  return out;
}

void put(int fd, std::span<const std::byte> bytes) {
  net::Socket s(::dup(fd));
  ASSERT_EQ(s.send_all(bytes, soon()), status::SUCCESS);
}

/// Relays everything between two raw sockets until `done` (the test is the wire in between).
std::function<void(const std::atomic<bool>&)> relayed(net::Socket& a_raw, net::Socket& b_raw) {
  return [&a_raw, &b_raw](const std::atomic<bool>& done) {
    while (!done) {
      pollfd p[2] = {{a_raw.fd(), POLLIN, 0}, {b_raw.fd(), POLLIN, 0}};
      if (::poll(p, 2, 10) <= 0) continue;
      if (p[0].revents & POLLIN) put(b_raw.fd(), drain(a_raw.fd()));
      if (p[1].revents & POLLIN) put(a_raw.fd(), drain(b_raw.fd()));
    }
  };
}

class TlsLink : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!net::tls_available()) return;
    dir_ = fs::temp_directory_path() / ("cppvisa-tls-link-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    pair_ = testing::make_self_signed(dir_, "link", "subjectAltName=IP:127.0.0.1");
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void SetUp() override {
    if (!net::tls_available()) GTEST_SKIP() << "built without OpenSSL";
    if (pair_.cert.empty()) GTEST_SKIP() << "the openssl command could not make a certificate";
    status_t st{};
    std::string why;
    server_ctx = net::TlsContext::server({pair_.cert, pair_.key}, st, why);
    ASSERT_TRUE(server_ctx) << why;
    net::TlsClientConfig c;
    c.verify = false;
    client_ctx = net::TlsContext::client(c, st, why);
    ASSERT_TRUE(client_ctx) << why;
  }

  /// Both handshakes at once over `s` and `c` (connected, or relayed by `relay` meanwhile).
  void handshake(net::Link& s, net::Link& c, const std::function<void(const std::atomic<bool>&)>& relay = {}) {
    std::atomic<bool> done{false};
    status_t server_st{}, client_st{};
    std::string server_why, client_why;
    std::thread server([&] { server_st = s.start_tls(*server_ctx, {}, soon(), server_why); });
    std::thread client([&] { client_st = c.start_tls(*client_ctx, {}, soon(), client_why); });
    std::thread relaying([&] {
      if (relay) relay(done);
    });
    server.join();
    client.join();
    done = true;
    relaying.join();
    ASSERT_EQ(server_st, status::SUCCESS) << server_why;
    ASSERT_EQ(client_st, status::SUCCESS) << client_why;
    ASSERT_TRUE(s.encrypted());
    ASSERT_TRUE(c.encrypted());
  }

  static inline fs::path dir_;
  static inline testing::CertPair pair_;
  std::shared_ptr<net::TlsContext> server_ctx, client_ctx;
};

TEST_F(TlsLink, ALargeBlockArrivesWholeAndRecordsAlreadyHereComeTogether) {
  auto [a, b] = socket_pair();
  net::Link server(a), client(b);
  handshake(server, client);

  // 100 000 bytes (7 records) fit the socket's buffer: once sent, one read takes them all
  // (before: one 16 KiB record per call).
  auto small = pattern(100000);
  ASSERT_EQ(server.send_all(small, soon()), status::SUCCESS);
  std::vector<std::byte> buffer(1 << 20);
  std::size_t n = 0;
  ASSERT_EQ(client.recv_some(buffer, soon(), n), status::SUCCESS);
  ASSERT_EQ(n, small.size());
  EXPECT_TRUE(std::equal(small.begin(), small.end(), buffer.begin()));

  // 16 MB while the reader reads: every byte, in order.
  auto block = pattern(16u << 20);
  status_t sent = status::ERROR_IO;
  std::thread sender([&] { sent = server.send_all(block, soon()); });
  std::vector<std::byte> got(block.size());
  std::size_t done = 0;
  status_t st = status::SUCCESS;
  while (done < got.size() && st == status::SUCCESS) {
    st = client.recv_some(std::span(got).subspan(done), soon(), n);
    done += n;
  }
  sender.join();
  EXPECT_EQ(sent, status::SUCCESS);
  ASSERT_EQ(st, status::SUCCESS);
  ASSERT_EQ(done, block.size());
  EXPECT_TRUE(got == block);
}

TEST_F(TlsLink, APartialRecordHeldDoesNotStopTheDeadlineTheWakerOrTheEnd) {
  auto [a, a_raw] = socket_pair();
  auto [b, b_raw] = socket_pair();
  net::Link server(a), client(b);
  handshake(server, client, relayed(*a_raw, *b_raw));

  // One record, of which the client gets the first half only.
  auto message = pattern(3000);
  ASSERT_EQ(server.send_all(message, soon()), status::SUCCESS);
  auto record = drain(a_raw->fd());
  ASSERT_GT(record.size(), message.size());
  const std::size_t half = record.size() / 2;
  put(b_raw->fd(), std::span(record).first(half));

  std::vector<std::byte> buffer(8192);
  std::size_t n = 0;
  auto t0 = Clock::now();
  EXPECT_EQ(client.recv_some(buffer, core::Deadline::after_ms(300), n), status::ERROR_TMO);
  auto waited = Clock::now() - t0;
  EXPECT_EQ(n, 0u);
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(3));

  net::Waker waker;
  std::thread waking([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    waker.wake();
  });
  EXPECT_EQ(client.recv_some(buffer, soon(), n, &waker), status::ERROR_ABORT);
  waking.join();

  // The rest arrives: the whole message, nothing lost to the timeout or the abort.
  put(b_raw->fd(), std::span(record).subspan(half));
  std::size_t done = 0;
  while (done < message.size()) {
    ASSERT_EQ(client.recv_some(std::span(buffer).subspan(done), soon(), n), status::SUCCESS);
    done += n;
  }
  EXPECT_TRUE(std::equal(message.begin(), message.end(), buffer.begin()));

  // Plain bytes that come in the same piece as the server's close_notify are plain data after it.
  status_t server_end = status::ERROR_IO, client_end = status::ERROR_IO;
  std::string server_why, client_why;
  const std::string after = "PLAIN AFTER TLS\n";
  std::thread s_end([&] {
    server_end = server.end_tls(soon(), server_why);
    if (server_end == status::SUCCESS)
      server.send_all(std::as_bytes(std::span(after.data(), after.size())), soon());
  });
  std::thread c_end([&] { client_end = client.end_tls(soon(), client_why); });
  put(a_raw->fd(), drain(b_raw->fd()));  // the client's close_notify
  s_end.join();
  ASSERT_EQ(server_end, status::SUCCESS) << server_why;
  put(b_raw->fd(), drain(a_raw->fd()));  // the server's close_notify and the plain text, at once
  c_end.join();
  ASSERT_EQ(client_end, status::SUCCESS) << client_why;
  EXPECT_FALSE(client.encrypted());
  ASSERT_EQ(client.recv_some(buffer, soon(), n), status::SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer.data()), n), after);

  // TLS again, then a peer that dies in the middle of a record: an error, no hang.
  handshake(server, client, relayed(*a_raw, *b_raw));
  ASSERT_EQ(server.send_all(message, soon()), status::SUCCESS);
  record = drain(a_raw->fd());
  put(b_raw->fd(), std::span(record).first(record.size() / 2));
  b_raw->close();
  t0 = Clock::now();
  EXPECT_EQ(client.recv_some(buffer, soon(), n), status::ERROR_CONN_LOST);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(3));
}

}  // namespace
}  // namespace cppvisa
