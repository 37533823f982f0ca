#include "protocols/vxi11/vxi11_discovery.hpp"

#include "protocols/net/interfaces.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/oncrpc/portmapper.hpp"
#include "protocols/oncrpc/rpc_message.hpp"
#include "protocols/vxi11/vxi11_wire.hpp"

#include <sys/socket.h>

#include <array>
#include <chrono>
#include <set>

namespace cppvisa::vxi11 {

std::vector<std::byte> getport_broadcast_call(std::uint32_t xid) {
  std::vector<std::byte> out;
  oncrpc::XdrWriter w(out);
  oncrpc::encode_call(w, {xid, oncrpc::pmap::program, oncrpc::pmap::version, oncrpc::pmap::proc_getport});
  oncrpc::encode_mapping(w, {core_program, program_version, oncrpc::pmap::ipproto_tcp, 0});
  return out;
}

std::uint16_t getport_reply_port(std::span<const std::byte> datagram, std::uint32_t xid) {
  oncrpc::XdrReader r(datagram);
  oncrpc::ReplyHeader h;
  if (!oncrpc::decode_reply(r, h) || h.xid != xid || !h.accepted || h.accept != oncrpc::AcceptStat::success) return 0;
  const std::uint32_t port = r.get_u32();
  return r.ok() && port > 0 && port <= 0xFFFF ? static_cast<std::uint16_t>(port) : 0;
}

namespace {

std::vector<core::Discovered> resources_of(const std::set<std::string>& hosts) {
  std::vector<core::Discovered> out;
  for (const auto& h : hosts) {
    core::Discovered d;
    d.name = "TCPIP0::" + h + "::inst0::INSTR";
    d.found_by = "VXI-11 broadcast";
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

std::vector<core::Discovered> broadcast_discover(core::Deadline deadline, const core::Progress& progress) {
  std::set<std::string> broadcasts;
  for (const auto& a : net::interface_addresses())
    if (!a.ipv6 && !a.loopback && !a.broadcast.empty()) broadcasts.insert(a.broadcast);
  if (broadcasts.empty()) return {};
  net::UdpSocket s;
  if (s.open("0.0.0.0", 0) != status::SUCCESS) return {};
  int on = 1;
  if (::setsockopt(s.fd(), SOL_SOCKET, SO_BROADCAST, &on, sizeof on) != 0) return {};
  const auto xid = static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  const auto call = getport_broadcast_call(xid);
  const std::uint16_t pm_port = oncrpc::portmapper_port();
  for (const auto& b : broadcasts) s.send_to(call, net::Endpoint{b, pm_port});

  std::set<std::string> hosts;
  std::array<std::byte, 512> buffer;
  while (!deadline.expired() && hosts.size() < 4096) {
    std::size_t n = 0;
    net::Endpoint from;
    if (s.recv_from(buffer, n, from, deadline) != status::SUCCESS) break;
    if (getport_reply_port(std::span(buffer).first(n), xid) != 0 && hosts.insert(from.host).second && progress)
      progress(resources_of(hosts));
  }
  return resources_of(hosts);
}

}  // namespace cppvisa::vxi11
