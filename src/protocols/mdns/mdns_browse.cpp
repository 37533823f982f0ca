#include "protocols/mdns/mdns_browse.hpp"

#include "protocols/mdns/avahi_browse.hpp"
#include "protocols/mdns/mdns_group.hpp"
#include "protocols/net/interfaces.hpp"
#include "protocols/net/socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>

namespace cppvisa::mdns {
namespace {

constexpr std::string_view kTypes[] = {"_lxi._tcp.local", "_vxi-11._tcp.local", "_hislip._tcp.local",
                                       "_scpi-raw._tcp.local", "_scpi-telnet._tcp.local"};
// IVI-6.1 §2.1 / HiSLIP: the IANA port of HiSLIP, left out of resource names that use it.
constexpr std::uint16_t kHislipPort = 4880;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string text_address(const Record& r) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(r.type == rr_type::a ? AF_INET : AF_INET6, r.address.data(), text, sizeof text);
  return text;
}

// The service type of a DNS-SD instance name ("Scope._hislip._tcp.local"), or empty when the name is
// no instance of one of kTypes.
std::string_view instance_type(std::string_view lower_name) {
  for (auto type : kTypes)
    if (lower_name.size() > type.size() + 1 && lower_name.ends_with(type) &&
        lower_name[lower_name.size() - type.size() - 1] == '.')
      return type;
  return {};
}

bool link_local_v6(const Record& r) { return r.address[0] == 0xFE && (r.address[1] & 0xC0) == 0x80; }

struct Instance {
  std::string type;  // one of kTypes, lower case
  const Received* srv = nullptr;
  const Received* txt = nullptr;
};

}  // namespace

std::span<const std::string_view> instrument_service_types() { return kTypes; }

std::vector<core::Discovered> resources_from_records(const std::vector<Received>& records) {
  // Instances named by PTR records of our service types.
  std::map<std::string, Instance> instances;  // lower-case instance name -> instance
  for (const auto& r : records)
    if (r.record.type == rr_type::ptr)
      for (auto type : kTypes)
        if (same_name(r.record.name, type)) instances[lower(r.record.target)].type = std::string(type);
  // Their SRV and TXT (also when an SRV arrived without its PTR: the instance name says its type).
  for (const auto& r : records) {
    if (r.record.type != rr_type::srv && r.record.type != rr_type::txt) continue;
    auto key = lower(r.record.name);
    auto it = instances.find(key);
    if (it == instances.end()) {
      auto type = instance_type(key);
      if (type.empty()) continue;
      it = instances.emplace(key, Instance{std::string(type)}).first;
    }
    (r.record.type == rr_type::srv ? it->second.srv : it->second.txt) = &r;
  }
  // Host addresses: IPv4 first, then a global IPv6 address.
  std::map<std::string, std::string> v4, v6;  // lower-case host name -> address
  for (const auto& r : records) {
    if (r.record.type == rr_type::a) v4.emplace(lower(r.record.name), text_address(r.record));
    if (r.record.type == rr_type::aaaa && !link_local_v6(r.record))
      v6.emplace(lower(r.record.name), "[" + text_address(r.record) + "]");
  }
  // Identity per host from any TXT of its instances (the _lxi._tcp one usually carries it).
  struct Identity {
    std::string manufacturer, model, serial, firmware;
  };
  std::map<std::string, Identity> identity;  // host address -> identity
  auto host_of = [&](const Instance& in) -> std::string {
    auto target = lower(in.srv->record.target);
    if (auto a = v4.find(target); a != v4.end()) return a->second;
    if (auto a = v6.find(target); a != v6.end()) return a->second;
    return in.srv->from.find(':') != std::string::npos ? "[" + in.srv->from + "]" : in.srv->from;
  };
  for (const auto& [name, in] : instances) {
    if (!in.srv || !in.txt) continue;
    const auto& txt = in.txt->record.txt;
    Identity& id = identity[host_of(in)];
    auto take = [&](std::string& field, std::string_view key) {
      if (field.empty()) field = txt_value(txt, key);
    };
    take(id.manufacturer, "Manufacturer");
    take(id.model, "Model");
    take(id.serial, "SerialNumber");
    take(id.firmware, "FirmwareVersion");
  }

  std::map<std::string, core::Discovered> out;
  for (const auto& [name, in] : instances) {
    if (!in.srv || in.type == "_lxi._tcp.local") continue;
    const std::string host = host_of(in);
    if (host.empty()) continue;
    const std::uint16_t port = in.srv->record.port;
    std::string resource;
    if (in.type == "_hislip._tcp.local")
      resource = "TCPIP0::" + host + "::hislip0" + (port && port != kHislipPort ? "," + std::to_string(port) : "") +
                 "::INSTR";
    else if (in.type == "_vxi-11._tcp.local")
      resource = "TCPIP0::" + host + "::inst0::INSTR";
    else if (port != 0)
      resource = "TCPIP0::" + host + "::" + std::to_string(port) + "::SOCKET";
    if (resource.empty() || out.contains(resource)) continue;
    core::Discovered d;
    d.name = resource;
    d.found_by = "mDNS " + in.type.substr(0, in.type.size() - 6);  // without ".local"
    d.host_name = in.srv->record.target;
    const Identity& id = identity[host];
    d.manufacturer = id.manufacturer;
    d.model = id.model;
    d.serial_number = id.serial;
    d.firmware = id.firmware;
    out.emplace(resource, std::move(d));
  }
  std::vector<core::Discovered> result;
  for (auto& [name, d] : out) result.push_back(std::move(d));
  return result;
}

std::vector<std::byte> browse_query() {
  Message m;
  for (auto type : kTypes) m.questions.push_back({std::string(type), rr_type::ptr, class_in | class_top_bit});
  return encode(m);
}

namespace {

// One socket per family, bound to an ephemeral port: the answers come back to it by unicast.
struct Querier {
  net::UdpSocket v4, v6;
  std::vector<unsigned> v4_interfaces, v6_interfaces;

  void open() {
    std::set<unsigned> seen4, seen6;
    for (const auto& a : net::interface_addresses()) {
      if (!a.multicast || a.index == 0) continue;
      if (a.ipv6 ? seen6.insert(a.index).second : seen4.insert(a.index).second)
        (a.ipv6 ? v6_interfaces : v4_interfaces).push_back(a.index);
    }
    // RFC 6762 §11: multicast DNS packets are sent with IP TTL / hop limit 255.
    int ttl = 255;
    if (!v4_interfaces.empty() && v4.open("0.0.0.0", 0) == status::SUCCESS) {
      ::setsockopt(v4.fd(), IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
      widen_receive_buffer(v4);
    }
    if (!v6_interfaces.empty() && v6.open("::", 0) == status::SUCCESS) {
      ::setsockopt(v6.fd(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl);
      widen_receive_buffer(v6);
    }
  }

  // Every responder on the link answers the one query at once (with up to 9000-byte datagrams,
  // RFC 6762 §17), and others' chatter arrives too: the default receive buffer (about 200 KiB of
  // kernel memory, fragments included) can overflow before the first answer is read, dropping
  // answers. 1 MiB (the kernel caps it at net.core.rmem_max) keeps a busy link's answers.
  static void widen_receive_buffer(net::UdpSocket& s) {
    int bytes = 1 << 20;
    ::setsockopt(s.fd(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }

  void send(std::span<const std::byte> query) {
    if (v4.valid())
      for (unsigned index : v4_interfaces) send_to_group(v4.fd(), false, index, query);
    if (v6.valid())
      for (unsigned index : v6_interfaces) send_to_group(v6.fd(), true, index, query);
  }
};

// Follow-up questions for what the answers so far leave open: SRV and TXT of instances, A and
// AAAA of hosts (RFC 6763 §12 lets responders leave them out of the additional section).
Message follow_up(const std::vector<Received>& records, std::set<std::string>& asked) {
  std::set<std::string> have_srv_txt, have_address, instances, hosts;
  for (const auto& r : records) {
    const auto key = lower(r.record.name);
    switch (r.record.type) {
      case rr_type::ptr:
        for (auto type : kTypes)
          if (same_name(r.record.name, type)) instances.insert(lower(r.record.target));
        break;
      case rr_type::srv:
        have_srv_txt.insert(key);
        hosts.insert(lower(r.record.target));
        break;
      case rr_type::a:
      case rr_type::aaaa: have_address.insert(key); break;
      default: break;
    }
  }
  Message m;
  for (const auto& in : instances)
    if (!have_srv_txt.contains(in) && asked.insert("srv " + in).second) {
      m.questions.push_back({in, rr_type::srv, class_in | class_top_bit});
      m.questions.push_back({in, rr_type::txt, class_in | class_top_bit});
    }
  for (const auto& h : hosts)
    if (!have_address.contains(h) && asked.insert("addr " + h).second) {
      m.questions.push_back({h, rr_type::a, class_in | class_top_bit});
      m.questions.push_back({h, rr_type::aaaa, class_in | class_top_bit});
    }
  return m;
}

// Only records that can name an instrument are kept (PTR of our types, SRV/TXT of their
// instances, addresses), each once: a peer repeating records, or answering about other services,
// does not crowd out the answers of others.
bool relevant(const Record& r) {
  switch (r.type) {
    case rr_type::ptr: {
      const auto type = instance_type(lower(r.target));
      return !type.empty() && same_name(r.name, type);
    }
    case rr_type::srv:
    case rr_type::txt: return !instance_type(lower(r.name)).empty();
    case rr_type::a:
    case rr_type::aaaa: return true;
    default: return false;
  }
}

// The sender's numeric address; a link-local IPv6 one with the zone it came in on (RFC 6874
// "%ifname"), without which it names nothing a client can reach.
std::string sender_text(const sockaddr_storage& ss) {
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, text, sizeof text);
    return text;
  }
  const auto& a = *reinterpret_cast<const sockaddr_in6*>(&ss);
  inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
  std::string out = text;
  char name[IF_NAMESIZE] = {};
  if (IN6_IS_ADDR_LINKLOCAL(&a.sin6_addr) && a.sin6_scope_id && if_indextoname(a.sin6_scope_id, name))
    out += std::string("%") + name;
  return out;
}

std::string identity_of(const Record& r) {
  std::string key = lower(r.name) + '\0' + std::to_string(r.type) + '\0' + lower(r.target) + '\0' +
                    std::to_string(r.port) + '\0';
  key.append(reinterpret_cast<const char*>(r.address.data()), r.address.size());
  for (const auto& t : r.txt) key += '\0' + t;
  return key;
}

}  // namespace

std::vector<core::Discovered> browse(core::Deadline deadline, const core::Progress& progress) {
  Querier q;
  q.open();
  if (!q.v4.valid() && !q.v6.valid()) return {};
  const auto query = browse_query();
  q.send(query);

  std::vector<Received> records;
  std::set<std::string> asked, seen;
  std::array<std::byte, max_message_size> buffer;
  while (!deadline.expired()) {
    pollfd fds[2] = {{q.v4.fd(), POLLIN, 0}, {q.v6.fd(), POLLIN, 0}};
    int ready = ::poll(fds, 2, deadline.poll_ms());
    if (ready <= 0) continue;  // timeout (the loop ends) or EINTR
    bool grew = false;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      net::UdpSocket& s = i == 0 ? q.v4 : q.v6;
      sockaddr_storage from{};
      socklen_t from_size = sizeof from;
      const ssize_t got = ::recvfrom(s.fd(), buffer.data(), buffer.size(), MSG_DONTWAIT,
                                     reinterpret_cast<sockaddr*>(&from), &from_size);
      if (got < 0) continue;
      const auto n = std::min(static_cast<std::size_t>(got), buffer.size());
      Message m;
      // A query (ours looped back, or another host's) or a malformed datagram tells nothing.
      if (!decode(std::span(buffer).first(n), m) || !(m.flags & flag_response)) continue;
      const std::string sender = sender_text(from);
      for (auto& r : m.answers) {
        if (records.size() >= max_kept_records) break;
        if (!relevant(r) || !seen.insert(identity_of(r)).second) continue;
        records.push_back({std::move(r), sender});
        grew = true;
      }
    }
    if (grew) {
      Message more = follow_up(records, asked);
      if (!more.questions.empty() && more.questions.size() <= 64) q.send(encode(more));
      if (progress) progress(resources_from_records(records));
    }
  }
  return resources_from_records(records);
}

std::vector<core::Discovered> discover(core::Deadline deadline, const core::Progress& progress) {
  std::vector<core::Discovered> found;
  if (avahi_browse(deadline, progress, found)) return found;
  return browse(deadline, progress);
}

}  // namespace cppvisa::mdns
