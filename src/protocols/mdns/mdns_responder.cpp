#include "protocols/mdns/mdns_responder.hpp"

#include "protocols/mdns/dns_message.hpp"
#include "protocols/mdns/mdns_browse.hpp"
#include "protocols/mdns/mdns_group.hpp"
#include "protocols/net/interfaces.hpp"
#include "protocols/net/socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <set>
#include <thread>

namespace cppvisa::mdns {
namespace {

constexpr std::uint32_t kTtl = 120;
// RFC 6762 §17: a packet should fit the interface's MTU (Ethernet's 1500 bytes less the IPv6 and
// UDP headers); a larger answer goes out in several packets.
constexpr std::size_t kPacketBudget = 1500 - 40 - 8;
// RFC 6762 §6.7: answers to legacy unicast queries carry a TTL of at most 10 s.
constexpr std::uint32_t kLegacyTtl = 10;
constexpr std::string_view kServicesName = "_services._dns-sd._udp.local";

int bound_socket(int family) {
  int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
  int ttl = 255;  // RFC 6762 §11
  bool ok;
  if (family == AF_INET) {
    ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(mdns_port);
    ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  } else {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(mdns_port);
    ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  if (!ok) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

struct Responder::Impl {
  std::string host;  // "name.local"
  std::vector<Service> services;
  int v4 = -1, v6 = -1;
  net::Waker wake;
  std::thread thread;

  ~Impl() {
    if (v4 >= 0) ::close(v4);
    if (v6 >= 0) ::close(v6);
  }

  std::set<unsigned> joined4, joined6;  // interfaces whose groups the sockets joined

  void join_groups() {
    std::set<unsigned>& done4 = joined4;
    std::set<unsigned>& done6 = joined6;
    for (const auto& a : net::interface_addresses()) {
      if (!a.multicast || a.index == 0) continue;
      if (!a.ipv6 && v4 >= 0 && done4.insert(a.index).second) {
        ip_mreqn m{};
        inet_pton(AF_INET, ipv4_group, &m.imr_multiaddr);
        m.imr_ifindex = static_cast<int>(a.index);
        ::setsockopt(v4, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m);
      }
      if (a.ipv6 && v6 >= 0 && done6.insert(a.index).second) {
        ipv6_mreq m{};
        inet_pton(AF_INET6, ipv6_group, &m.ipv6mr_multiaddr);
        m.ipv6mr_interface = a.index;
        ::setsockopt(v6, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m);
      }
    }
  }

  std::string full_name(const Service& s) const { return escape_label(s.instance) + "." + s.type + ".local"; }

  void add_addresses(std::vector<Record>& out, unsigned index, std::uint32_t ttl) const {
    for (const auto& a : net::interface_addresses()) {
      if (a.index != index) continue;
      Record r;
      r.name = host;
      r.type = a.ipv6 ? rr_type::aaaa : rr_type::a;
      r.ttl = ttl;
      inet_pton(a.ipv6 ? AF_INET6 : AF_INET, a.address.c_str(), r.address.data());
      out.push_back(std::move(r));
    }
  }

  void add_service(std::vector<Record>& out, const Service& s, std::uint16_t qtype, std::uint32_t ttl) const {
    if (qtype == rr_type::srv || qtype == rr_type::any || qtype == rr_type::ptr) {
      Record r;
      r.name = full_name(s);
      r.type = rr_type::srv;
      r.ttl = ttl;
      r.port = s.port;
      r.target = host;
      out.push_back(std::move(r));
    }
    if (qtype == rr_type::txt || qtype == rr_type::any || qtype == rr_type::ptr) {
      Record r;
      r.name = full_name(s);
      r.type = rr_type::txt;
      r.ttl = ttl;
      r.txt = s.txt;
      out.push_back(std::move(r));
    }
  }

  // The records answering `q` (RFC 6763 §12: a PTR answer brings the SRV, TXT and addresses along).
  void answer(const Question& q, unsigned index, std::uint32_t ttl, std::vector<Record>& out) const {
    const std::uint16_t type = q.type;
    bool addresses = false;
    if (same_name(q.name, kServicesName) && (type == rr_type::ptr || type == rr_type::any)) {
      std::set<std::string> types;
      for (const auto& s : services)
        if (types.insert(s.type).second) {
          Record r;
          r.name = std::string(kServicesName);
          r.type = rr_type::ptr;
          r.ttl = ttl;
          r.target = s.type + ".local";
          out.push_back(std::move(r));
        }
    }
    for (const auto& s : services) {
      if (same_name(q.name, s.type + ".local") && (type == rr_type::ptr || type == rr_type::any)) {
        Record r;
        r.name = s.type + ".local";
        r.type = rr_type::ptr;
        r.ttl = ttl;
        r.target = full_name(s);
        out.push_back(std::move(r));
        add_service(out, s, rr_type::ptr, ttl);
        addresses = true;
      } else if (same_name(q.name, full_name(s))) {
        add_service(out, s, type, ttl);
        addresses = addresses || type != rr_type::txt;
      }
    }
    if (same_name(q.name, host) && (type == rr_type::a || type == rr_type::aaaa || type == rr_type::any))
      addresses = true;
    if (addresses) add_addresses(out, index, ttl);
  }

  void handle(int fd, bool ipv6) {
    std::array<std::byte, max_message_size> buffer;
    sockaddr_storage from{};
    alignas(cmsghdr) char control[256];
    iovec iov{buffer.data(), buffer.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd, &msg, 0);
    if (n <= 0) return;
    unsigned index = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
        index = static_cast<unsigned>(reinterpret_cast<const in_pktinfo*>(CMSG_DATA(c))->ipi_ifindex);
      if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
        index = reinterpret_cast<const in6_pktinfo*>(CMSG_DATA(c))->ipi6_ifindex;
    }
    Message query;
    if (!decode(std::span(buffer).first(static_cast<std::size_t>(n)), query) || (query.flags & flag_response)) return;
    const std::uint16_t source_port =
        ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&from)->sin6_port : reinterpret_cast<sockaddr_in*>(&from)->sin_port);
    const bool legacy = source_port != mdns_port;
    Message reply;
    reply.flags = flag_response | flag_authoritative;
    std::vector<Record> records;
    for (const auto& q : query.questions) answer(q, index, legacy ? kLegacyTtl : kTtl, records);
    if (records.empty()) return;
    reply.answers = unique(std::move(records));
    if (legacy) {
      reply.id = query.id;  // RFC 6762 §6.7: the id and the questions of the query
      reply.questions = query.questions;
    }
    for (const auto& bytes : encode_in_parts(reply, kPacketBudget)) send(fd, ipv6, legacy, from, msg.msg_namelen, index, bytes);
  }

  // One copy of each record (several questions may name the same ones).
  static std::vector<Record> unique(std::vector<Record> records) {
    std::vector<Record> out;
    for (auto& r : records) {
      bool seen = false;
      for (const auto& k : out)
        seen = seen || (k.type == r.type && same_name(k.name, r.name) && k.target == r.target && k.address == r.address);
      if (!seen) out.push_back(std::move(r));
    }
    return out;
  }

  // Every record of every service, unsolicited, to the group of every joined interface: with
  // kTtl an announcement (RFC 6762 §8.3), with TTL 0 a goodbye (§10.1) that makes caches drop them.
  void announce(std::uint32_t ttl) const {
    for (bool ipv6 : {false, true}) {
      const int fd = ipv6 ? v6 : v4;
      if (fd < 0) continue;
      for (unsigned index : ipv6 ? joined6 : joined4) {
        std::vector<Record> records;
        for (const auto& s : services) answer({s.type + ".local", rr_type::ptr, class_in}, index, ttl, records);
        Message m;
        m.flags = flag_response | flag_authoritative;
        m.answers = unique(std::move(records));
        for (const auto& bytes : encode_in_parts(m, kPacketBudget)) send(fd, ipv6, false, {}, 0, index, bytes);
      }
    }
  }

  // To the querier (legacy unicast) or the group on the interface the query came in on.
  static void send(int fd, bool ipv6, bool legacy, const sockaddr_storage& from, socklen_t from_size, unsigned index,
                   const std::vector<std::byte>& bytes) {
    if (legacy)
      ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&from), from_size);
    else
      send_to_group(fd, ipv6, index, bytes);
  }

  void run() {
    // RFC 6762 §8.3: at least two announcements, one second apart (no probing: the names are the
    // host's own and the gateway's endpoints, see mdns_responder.hpp).
    announce(kTtl);
    auto second = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    bool announced = false;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(second - std::chrono::steady_clock::now());
      pollfd fds[3] = {{v4, POLLIN, 0}, {v6, POLLIN, 0}, {wake.fd(), POLLIN, 0}};
      if (::poll(fds, 3, announced ? -1 : static_cast<int>(std::max<long long>(0, left.count()))) < 0) continue;
      if (fds[2].revents) {
        announce(0);  // goodbye
        return;
      }
      if (!announced && std::chrono::steady_clock::now() >= second) {
        announce(kTtl);
        announced = true;
      }
      if (fds[0].revents & POLLIN) handle(v4, false);
      if (fds[1].revents & POLLIN) handle(v6, true);
    }
  }
};

Responder::Responder() = default;
Responder::~Responder() { stop(); }

status_t Responder::start(std::string host, std::vector<Service> services) {
  stop();
  auto impl = std::make_unique<Impl>();
  impl->host = escape_label(host) + ".local";
  impl->services = std::move(services);
  impl->v4 = bound_socket(AF_INET);
  impl->v6 = bound_socket(AF_INET6);
  if (impl->v4 < 0 && impl->v6 < 0) return status::ERROR_IO;
  impl->join_groups();
  impl_ = std::move(impl);
  impl_->thread = std::thread([i = impl_.get()] { i->run(); });
  return status::SUCCESS;
}

void Responder::stop() {
  if (!impl_) return;
  impl_->wake.wake();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_.reset();
}

const std::string& Responder::host_name() const noexcept {
  static const std::string none;
  return impl_ ? impl_->host : none;
}

std::string local_host_label() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || !name[0]) return "cppvisa";
  std::string s(name);
  return s.substr(0, s.find('.'));
}

}  // namespace cppvisa::mdns
