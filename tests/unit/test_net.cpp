// net helpers: endpoint parsing, connect statuses, deadlines, cancellation.
#include "protocols/net/socket.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace cppvisa::net {
namespace {

using namespace std::chrono_literals;

TEST(NetEndpoint, ParseHostPort) {
  Endpoint e;
  ASSERT_TRUE(parse_host_port("127.0.0.1:5025", e));
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, 5025);
  ASSERT_TRUE(parse_host_port("[::1]:0", e));
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.port, 0);
  ASSERT_TRUE(parse_host_port("localhost:111", e));
  for (auto bad : {"127.0.0.1", "::1:5025", "host:", ":5025", "host:65536", "host:5x", "[::1]5025", "[::1"})
    EXPECT_FALSE(parse_host_port(bad, e)) << bad;
  EXPECT_EQ(host_for_display("::1"), "[::1]");
  EXPECT_EQ(host_for_display("[::1]"), "[::1]");
  EXPECT_EQ(host_for_display("10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(strip_brackets("[fe80::1]"), "fe80::1");
}

TEST(NetSocket, RefusedPortIsNotFound) {
  TcpListener l;
  ASSERT_EQ(l.open("127.0.0.1", 0), status::SUCCESS);
  std::uint16_t port = l.port();
  l.close();
  Socket s;
  EXPECT_EQ(connect_tcp("127.0.0.1", port, core::Deadline::after_ms(2000), s), status::ERROR_RSRC_NFOUND);
}

TEST(NetSocket, RecvTimesOutAndWakerCancels) {
  TcpListener l;
  ASSERT_EQ(l.open("127.0.0.1", 0), status::SUCCESS);
  Socket client, server;
  ASSERT_EQ(connect_tcp("127.0.0.1", l.port(), core::Deadline::after_ms(2000), client), status::SUCCESS);
  ASSERT_EQ(l.accept(server, core::Deadline::after_ms(2000)), status::SUCCESS);
  std::byte b[4];
  std::size_t n = 0;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(client.recv_some(b, core::Deadline::after_ms(100), n), status::ERROR_TMO);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 95ms);
  EXPECT_EQ(client.recv_some(b, core::Deadline::after_ms(0), n), status::ERROR_TMO);  // immediate
  Waker waker;
  std::thread t([&] { waker.wake(); });
  EXPECT_EQ(client.recv_some(b, core::Deadline::never(), n, &waker), status::ERROR_ABORT);
  t.join();
  waker.reset();
  EXPECT_FALSE(waker.woken());
  server.close();
  EXPECT_EQ(client.recv_some(b, core::Deadline::after_ms(2000), n), status::ERROR_CONN_LOST);
}

TEST(NetSocket, IPv6Loopback) {
  TcpListener l;
  if (l.open("::1", 0) != status::SUCCESS) GTEST_SKIP() << "no IPv6 loopback here";
  Socket client, server;
  ASSERT_EQ(connect_tcp("[::1]", l.port(), core::Deadline::after_ms(2000), client), status::SUCCESS);
  ASSERT_EQ(l.accept(server, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(client.peer_endpoint().host, "::1");
  const std::byte hello[2] = {std::byte{'h'}, std::byte{'i'}};
  ASSERT_EQ(client.send_all(hello, core::Deadline::after_ms(2000)), status::SUCCESS);
  std::byte got[2];
  ASSERT_EQ(server.recv_exact(got, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(got[1], std::byte{'i'});
}

}  // namespace
}  // namespace cppvisa::net
