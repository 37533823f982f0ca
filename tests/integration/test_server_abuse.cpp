// Issue #12 point 3: the servers under abuse. Idle connections are closed after the idle timeout
// (every protocol, VICP and the Prologix adapter included, and the portmapper) so that they cannot hold the limits; links are limited per
// client address; the VXI-11 interrupt channel goes only to the client's own address; the
// portmapper takes SET/UNSET only from its own process. A client past a limit gets the
// protocol's error, and a client from another address keeps working. Loopback has a whole /8:
// "another address" is 127.0.0.2.
#include "integration/fake_device.hpp"
#include "protocols/hislip/hislip_client.hpp"
#include "protocols/hislip/hislip_server.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/oncrpc/portmapper.hpp"
#include "protocols/oncrpc/rpc_client.hpp"
#include "protocols/prologix/prologix_server.hpp"
#include "protocols/socket/socket_server.hpp"
#include "protocols/vicp/vicp_server.hpp"
#include "protocols/vxi11/vxi11_client.hpp"
#include "protocols/vxi11/vxi11_server.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <unistd.h>
#include <cstdio>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>

namespace cppvisa {
namespace {

using namespace std::chrono_literals;
using testing::bytes_of;
using testing::FakeDevice;
using testing::text_of;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t idle_ms = 300;

// A TCP connection to 127.0.0.1:port from `source` (a loopback address of our choice).
net::Socket connect_from(const char* source, std::uint16_t port) {
  net::Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  if (::bind(s.fd(), reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) return net::Socket();
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::connect(s.fd(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)
    return net::Socket();
  pollfd p{s.fd(), POLLOUT, 0};
  if (::poll(&p, 1, 2000) != 1) return net::Socket();
  int error = 0;
  socklen_t len = sizeof error;
  ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &error, &len);
  return error == 0 ? std::move(s) : net::Socket();
}

// How long until the server closes `s` (which sends nothing); nullopt when it stays open for `limit`.
std::optional<std::chrono::milliseconds> time_to_close(net::Socket& s, std::chrono::milliseconds limit) {
  auto start = Clock::now();
  std::byte b[64];
  for (;;) {
    std::size_t n = 0;
    status_t st = s.recv_some(b, core::Deadline::at(start + limit), n);
    if (st == status::ERROR_TMO) return std::nullopt;
    if (st != status::SUCCESS) return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  }
}

// create_link (and other calls) from a chosen source address, with the raw VXI-11 errors.
struct Link {
  oncrpc::RpcClient rpc{1 << 16};
  std::int32_t lid = 0;
  bool connect(const char* source, std::uint16_t port) {
    net::Socket s = connect_from(source, port);
    if (!s.valid()) return false;
    rpc.adopt(std::move(s));
    return true;
  }
  std::int32_t create() {
    vxi11::CreateLinkParms p;
    p.device = "inst0";
    encode(rpc.begin_call(vxi11::core_program, 1, vxi11::proc::create_link), p);
    oncrpc::XdrReader r;
    if (rpc.finish_call(core::Deadline::after_ms(2000), r) != status::SUCCESS) return -1;
    vxi11::CreateLinkResp resp;
    if (!decode(r, resp)) return -1;
    if (resp.error == 0) lid = resp.lid;
    return resp.error;
  }
  std::int32_t create_intr_chan(const char* host, std::uint16_t port) {
    in_addr a{};
    ::inet_pton(AF_INET, host, &a);
    vxi11::DeviceRemoteFunc f{ntohl(a.s_addr), port, vxi11::intr_program, vxi11::program_version, vxi11::family_tcp};
    encode(rpc.begin_call(vxi11::core_program, 1, vxi11::proc::create_intr_chan), f);
    oncrpc::XdrReader r;
    if (rpc.finish_call(core::Deadline::after_ms(4000), r) != status::SUCCESS) return -1;
    return r.get_i32();
  }
};

std::string query_socket(net::Socket& s, std::string_view command) {
  std::size_t n = 0;
  if (s.send_all(bytes_of(command), core::Deadline::after_ms(2000), &n) != status::SUCCESS) return "<send failed>";
  std::string reply;
  std::byte b[256];
  auto deadline = core::Deadline::after_ms(2000);
  while (reply.empty() || reply.back() != '\n') {
    if (s.recv_some(b, deadline, n) != status::SUCCESS) return reply + "<recv failed>";
    reply += text_of(std::span(b).first(n));
  }
  return reply;
}

// ---- idle timeouts ----

TEST(ServerAbuse, Vxi11IdleConnectionsAreClosedAndBusyLinksStay) {
  auto device = std::make_shared<FakeDevice>();
  vxi11::Vxi11Server::Options o;
  o.idle_timeout_ms = idle_ms;
  o.max_connections = 2;  // two idle connections would block everyone without the idle timeout
  vxi11::Vxi11Server server(o);
  server.add_device("inst0", device);
  ASSERT_EQ(server.start(), status::SUCCESS);
  net::Socket idle_core = connect_from("127.0.0.1", server.core_port());
  net::Socket idle_abort = connect_from("127.0.0.1", server.abort_port());
  ASSERT_TRUE(idle_core.valid() && idle_abort.valid());
  // A client that keeps calling, more slowly than nothing but faster than the idle timeout.
  vxi11::Vxi11Client busy;
  vxi11::Vxi11Client::Target t{"127.0.0.1", "inst0", server.core_port()};
  ASSERT_EQ(busy.open(t, core::Deadline::after_ms(2000)), status::SUCCESS);
  std::atomic<bool> failed{false};
  std::thread calls([&] {
    for (int i = 0; i < 8; ++i) {
      std::uint8_t stb = 0;
      if (busy.read_stb(stb, core::Deadline::after_ms(1000)) != status::SUCCESS) failed = true;
      std::this_thread::sleep_for(100ms);
    }
  });
  auto core_closed = time_to_close(idle_core, 3s);
  auto abort_closed = time_to_close(idle_abort, 3s);
  calls.join();
  ASSERT_TRUE(core_closed && abort_closed);
  EXPECT_GE(core_closed->count(), idle_ms - 20);
  EXPECT_LE(core_closed->count(), idle_ms + 1000);
  EXPECT_FALSE(failed);
  // The room is back: a new client gets in although the limit is 2 (the busy one holds one).
  vxi11::Vxi11Client late;
  EXPECT_EQ(late.open(t, core::Deadline::after_ms(2000)), status::SUCCESS);
}

TEST(ServerAbuse, PortmapperIdleConnectionsAreClosed) {
  auto options = oncrpc::RpcServer::Options::bounded(4096, 1);
  options.idle_timeout_ms = idle_ms;
  oncrpc::PortmapperServer portmapper(options);
  ASSERT_EQ(portmapper.start("127.0.0.1", 0), status::SUCCESS);
  net::Socket idle = connect_from("127.0.0.1", portmapper.port());
  ASSERT_TRUE(idle.valid());
  auto closed = time_to_close(idle, 3s);
  ASSERT_TRUE(closed);
  EXPECT_GE(closed->count(), idle_ms - 20);
  // The one connection allowed is free again: a lookup works.
  std::uint16_t port = 1;
  EXPECT_EQ(oncrpc::portmap_getport("127.0.0.1", portmapper.port(), 0x0607AF, 1, oncrpc::pmap::ipproto_tcp,
                                    core::Deadline::after_ms(2000), port),
            status::ERROR_RSRC_NFOUND);  // reached, and nothing registered
  EXPECT_EQ(port, 0);
}

TEST(ServerAbuse, SocketIdleConnectionsAreClosedAndActiveOnesStay) {
  auto device = std::make_shared<FakeDevice>();
  raw_socket::SocketServer::Options o;
  o.idle_timeout_ms = idle_ms;
  raw_socket::SocketServer server(device, o);
  ASSERT_EQ(server.start(), status::SUCCESS);
  net::Socket idle = connect_from("127.0.0.1", server.port());
  net::Socket active = connect_from("127.0.0.1", server.port());
  ASSERT_TRUE(idle.valid() && active.valid());
  std::thread queries([&] {
    for (int i = 0; i < 6; ++i) {
      EXPECT_EQ(query_socket(active, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
      std::this_thread::sleep_for(100ms);
    }
  });
  auto closed = time_to_close(idle, 3s);
  queries.join();
  ASSERT_TRUE(closed);
  EXPECT_GE(closed->count(), idle_ms - 20);
  EXPECT_LE(closed->count(), idle_ms + 1000);
  EXPECT_EQ(query_socket(active, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
  server.stop();
}

TEST(ServerAbuse, HislipIdleSessionGetsFatalErrorAndIsClosed) {
  auto device = std::make_shared<FakeDevice>();
  hislip::Server::Options o;
  o.idle_timeout_ms = idle_ms;
  hislip::Server server(o);
  server.add_device("hislip0", device);
  ASSERT_EQ(server.start(), status::SUCCESS);
  hislip::Client idle, active;
  hislip::Client::Target t{"127.0.0.1", server.port(), "hislip0"};
  ASSERT_EQ(idle.open(t, core::Deadline::after_ms(2000)), status::SUCCESS);
  ASSERT_EQ(active.open(t, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(server.session_count(), 2u);
  for (int i = 0; i < 8; ++i) {  // the active one polls its status byte (async channel) every 100 ms
    std::uint8_t stb = 0;
    EXPECT_EQ(active.read_stb(stb, core::Deadline::after_ms(1000)), status::SUCCESS);
    std::this_thread::sleep_for(100ms);
  }
  auto deadline = Clock::now() + 3s;
  while (server.session_count() > 1 && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server.session_count(), 1u);
  std::uint8_t stb = 0;
  EXPECT_LT(idle.read_stb(stb, core::Deadline::after_ms(1000)), 0);  // closed by the server
  EXPECT_EQ(active.read_stb(stb, core::Deadline::after_ms(1000)), status::SUCCESS);
  server.stop();
}

TEST(ServerAbuse, VicpIdleConnectionsAreClosed) {
  auto device = std::make_shared<FakeDevice>();
  vicp::Server::Options o;
  o.idle_timeout_ms = idle_ms;
  vicp::Server server(device, o);
  ASSERT_EQ(server.start(), status::SUCCESS);
  net::Socket idle = connect_from("127.0.0.1", server.port());
  ASSERT_TRUE(idle.valid());
  auto closed = time_to_close(idle, 3s);
  ASSERT_TRUE(closed);
  EXPECT_GE(closed->count(), idle_ms - 20);
  EXPECT_LE(closed->count(), idle_ms + 1000);
  server.stop();
}

TEST(ServerAbuse, PrologixIdleConnectionsAreClosedAndActiveOnesStay) {
  auto device = std::make_shared<FakeDevice>();
  prologix::AdapterServer::Options o;
  o.idle_timeout_ms = idle_ms;
  prologix::AdapterServer server({{5, std::nullopt, device}}, o);
  ASSERT_EQ(server.start(), status::SUCCESS);
  net::Socket idle = connect_from("127.0.0.1", server.port());
  net::Socket active = connect_from("127.0.0.1", server.port());
  ASSERT_TRUE(idle.valid() && active.valid());
  std::thread commands([&] {
    for (int i = 0; i < 6; ++i) {
      EXPECT_EQ(query_socket(active, "++ver\n"), o.version + "\r\n");
      std::this_thread::sleep_for(100ms);
    }
  });
  auto closed = time_to_close(idle, 3s);
  commands.join();
  ASSERT_TRUE(closed);
  EXPECT_GE(closed->count(), idle_ms - 20);
  EXPECT_LE(closed->count(), idle_ms + 1000);
  EXPECT_EQ(query_socket(active, "++ver\n"), o.version + "\r\n");
  server.stop();
}

// ---- per-address limits: the next client from that address gets the protocol's error, others go on ----

TEST(ServerAbuse, Vxi11LinksPerClientAddress) {
  auto device = std::make_shared<FakeDevice>();
  vxi11::Vxi11Server::Options o;
  o.max_links_per_address = 2;
  vxi11::Vxi11Server server(o);
  server.add_device("inst0", device);
  ASSERT_EQ(server.start(), status::SUCCESS);
  Link a, b, c, other;
  ASSERT_TRUE(a.connect("127.0.0.1", server.core_port()) && b.connect("127.0.0.1", server.core_port()) &&
              c.connect("127.0.0.1", server.core_port()));
  EXPECT_EQ(a.create(), vxi11::err::none);
  EXPECT_EQ(b.create(), vxi11::err::none);
  EXPECT_EQ(c.create(), vxi11::err::out_of_resources);  // a third link from 127.0.0.1, on its own connection
  EXPECT_EQ(a.create(), vxi11::err::out_of_resources);
  ASSERT_TRUE(other.connect("127.0.0.2", server.core_port()));
  EXPECT_EQ(other.create(), vxi11::err::none);  // another client is not held up
  // Our client reports the refusal as VI_ERROR_RSRC_BUSY.
  vxi11::Vxi11Client refused;
  vxi11::Vxi11Client::Target t{"127.0.0.1", "inst0", server.core_port()};
  EXPECT_EQ(refused.open(t, core::Deadline::after_ms(2000)), status::ERROR_RSRC_BUSY);
  server.stop();
}

TEST(ServerAbuse, SocketConnectionsPerClientAddress) {
  auto device = std::make_shared<FakeDevice>();
  raw_socket::SocketServer::Options o;
  o.max_per_address = 2;
  raw_socket::SocketServer server(device, o);
  ASSERT_EQ(server.start(), status::SUCCESS);
  net::Socket one = connect_from("127.0.0.1", server.port()), two = connect_from("127.0.0.1", server.port());
  net::Socket three = connect_from("127.0.0.1", server.port());
  ASSERT_TRUE(one.valid() && two.valid() && three.valid());
  EXPECT_TRUE(time_to_close(three, 2s));  // a raw socket has no error message: the close
  net::Socket other = connect_from("127.0.0.2", server.port());
  EXPECT_EQ(query_socket(other, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
  EXPECT_EQ(query_socket(one, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
  server.stop();
}

// ---- the interrupt channel goes back to the caller only ----

TEST(ServerAbuse, Vxi11InterruptChannelOnlyToTheClientsOwnAddress) {
  auto device = std::make_shared<FakeDevice>();
  vxi11::Vxi11Server server;
  server.add_device("inst0", device);
  ASSERT_EQ(server.start(), status::SUCCESS);
  net::TcpListener elsewhere, home;
  ASSERT_EQ(elsewhere.open("127.0.0.2", 0), status::SUCCESS);
  ASSERT_EQ(home.open("127.0.0.1", 0), status::SUCCESS);
  Link link;
  ASSERT_TRUE(link.connect("127.0.0.1", server.core_port()));
  ASSERT_EQ(link.create(), vxi11::err::none);
  EXPECT_EQ(link.create_intr_chan("127.0.0.2", elsewhere.port()), vxi11::err::parameter);
  net::Socket accepted;
  EXPECT_EQ(elsewhere.accept(accepted, core::Deadline::after_ms(300)), status::ERROR_TMO);  // never connected there
  EXPECT_EQ(link.create_intr_chan("127.0.0.1", home.port()), vxi11::err::none);
  EXPECT_EQ(home.accept(accepted, core::Deadline::after_ms(2000)), status::SUCCESS);
  server.stop();
}

// ---- portmapper SET/UNSET only from its own process ----

// Sends SET (or UNSET) from another process (Python) and returns the boolean reply, -1 on failure.
int set_from_another_process(std::uint16_t pm_port, bool udp, bool set) {
  std::string script =
      "import socket,struct,sys\n"
      "p,udp,proc=int(sys.argv[1]),sys.argv[2]=='1',int(sys.argv[3])\n"
      "call=struct.pack('>10I',7,0,2,100000,2,proc,0,0,0,0)+struct.pack('>4I',0x0607AF,1,6,4242)\n"
      "if udp:\n"
      "  s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(3);s.sendto(call,('127.0.0.1',p));r=s.recv(100)\n"
      "else:\n"
      "  s=socket.create_connection(('127.0.0.1',p),3);s.sendall(struct.pack('>I',0x80000000|len(call))+call)\n"
      "  r=b''\n"
      "  while len(r)<4+28: r+=s.recv(100)\n"
      "  r=r[4:]\n"
      "print(struct.unpack('>I',r[24:28])[0])\n";
  std::string command = "/usr/bin/python3 -c \"" + script + "\" " + std::to_string(pm_port) + (udp ? " 1 " : " 0 ") +
                        (set ? "1" : "2");
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return -1;
  char line[64] = {};
  bool got = std::fgets(line, sizeof line, p) != nullptr;
  int rc = ::pclose(p);
  if (!got || rc != 0) return -1;
  return std::atoi(line);
}

TEST(ServerAbuse, PortmapperSetAndUnsetOnlyFromItsOwnProcess) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/python3 as the other process";
  oncrpc::PortmapperServer portmapper;
  ASSERT_EQ(portmapper.start("127.0.0.1", 0), status::SUCCESS);
  for (bool udp : {false, true}) {
    SCOPED_TRACE(udp ? "UDP" : "TCP");
    EXPECT_EQ(set_from_another_process(portmapper.port(), udp, true), 0);  // FALSE
    EXPECT_EQ(portmapper.getport(0x0607AF, 1, 6), 0u);
  }
  ASSERT_TRUE(portmapper.set({0x0607AF, 1, 6, 1234}));
  for (bool udp : {false, true}) EXPECT_EQ(set_from_another_process(portmapper.port(), udp, false), 0);
  EXPECT_EQ(portmapper.getport(0x0607AF, 1, 6), 1234u);  // UNSET from elsewhere changed nothing
  // From this process over TCP: accepted.
  oncrpc::RpcClient client(4096);
  ASSERT_EQ(client.connect("127.0.0.1", portmapper.port(), core::Deadline::after_ms(2000)), status::SUCCESS);
  oncrpc::XdrReader r;
  encode_mapping(client.begin_call(oncrpc::pmap::program, oncrpc::pmap::version, oncrpc::pmap::proc_unset),
                 {0x0607AF, 1, 6, 0});
  ASSERT_EQ(client.finish_call(core::Deadline::after_ms(2000), r), status::SUCCESS);
  EXPECT_TRUE(r.get_bool());
  EXPECT_EQ(portmapper.getport(0x0607AF, 1, 6), 0u);
  portmapper.stop();
}

}  // namespace
}  // namespace cppvisa
