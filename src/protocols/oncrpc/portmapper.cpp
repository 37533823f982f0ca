#include "protocols/oncrpc/portmapper.hpp"

#include "protocols/net/peer_process.hpp"
#include "protocols/oncrpc/rpc_client.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace cppvisa::oncrpc {

namespace {
bool loopback(const net::Endpoint& peer) {
  return peer.host.rfind("127.", 0) == 0 || peer.host == "::1" || peer.host.rfind("::ffff:127.", 0) == 0;
}
// Bound on the registration table (remote SETs cannot grow it without limit).
constexpr std::size_t max_mappings = 256;
}  // namespace

void encode_mapping(XdrWriter& out, const Mapping& m) {
  out.put_u32(m.prog);
  out.put_u32(m.vers);
  out.put_u32(m.prot);
  out.put_u32(m.port);
}

bool decode_mapping(XdrReader& in, Mapping& m) {
  m.prog = in.get_u32();
  m.vers = in.get_u32();
  m.prot = in.get_u32();
  m.port = in.get_u32();
  return in.ok();
}

std::uint16_t portmapper_port() {
  if (const char* env = std::getenv("CPPVISA_PORTMAPPER_PORT")) {
    char* end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (end && *end == '\0' && end != env && v > 0 && v <= 65535) return static_cast<std::uint16_t>(v);
  }
  return pmap::default_port;
}

PortmapperServer::PortmapperServer() : PortmapperServer(RpcServer::Options{}) {}

PortmapperServer::PortmapperServer(RpcServer::Options options) : rpc_(options) {
  rpc_.add_program(pmap::program, pmap::version, pmap::version,
                   [this](const CallContext& c, XdrReader& a, XdrWriter& r) { return dispatch(c, a, r); });
}

PortmapperServer::~PortmapperServer() { stop(); }

status_t PortmapperServer::start(std::string_view host, std::uint16_t port) {
  // TCP and UDP must share one port number: with port 0 take TCP's port for UDP, retrying a few
  // times in the unlikely case another process holds that UDP port.
  for (int attempt = 0; attempt < 8; ++attempt) {
    status_t st = rpc_.listen_tcp(host, port);
    if (st != status::SUCCESS) return st;
    st = rpc_.listen_udp(host, rpc_.tcp_port());
    if (st == status::SUCCESS) {
      rpc_.start();
      return status::SUCCESS;
    }
    if (port != 0) return st;
  }
  return status::ERROR_IO;
}

void PortmapperServer::stop() { rpc_.stop(); }

bool PortmapperServer::set(const Mapping& m) {
  std::lock_guard lock(mutex_);
  for (const auto& existing : mappings_)
    if (existing.prog == m.prog && existing.vers == m.vers && existing.prot == m.prot) return false;
  if (mappings_.size() >= max_mappings) return false;
  mappings_.push_back(m);
  return true;
}

bool PortmapperServer::unset(std::uint32_t prog, std::uint32_t vers) {
  std::lock_guard lock(mutex_);
  auto before = mappings_.size();
  std::erase_if(mappings_, [&](const Mapping& m) { return m.prog == prog && m.vers == vers; });
  return mappings_.size() != before;
}

std::uint32_t PortmapperServer::getport(std::uint32_t prog, std::uint32_t vers, std::uint32_t prot) const {
  std::lock_guard lock(mutex_);
  for (const auto& m : mappings_)
    if (m.prog == prog && m.vers == vers && m.prot == prot) return m.port;
  return 0;
}

std::vector<Mapping> PortmapperServer::dump() const {
  std::lock_guard lock(mutex_);
  return mappings_;
}

ProcResult PortmapperServer::dispatch(const CallContext& call, XdrReader& args, XdrWriter& results) {
  switch (call.header.proc) {
    case pmap::proc_set:
    case pmap::proc_unset: {
      Mapping m;
      if (!decode_mapping(args, m) || !args.done()) return ProcResult::garbage_args;
      bool ok = false;
      // Only from this process itself (net::peer_in_this_process): another local user must not
      // redirect the VXI-11 server's clients or remove its registration. FALSE otherwise.
      if (loopback(call.peer) && net::peer_in_this_process(call.peer, call.udp))
        ok = call.header.proc == pmap::proc_set ? set(m) : unset(m.prog, m.vers);
      results.put_bool(ok);
      return ProcResult::reply;
    }
    case pmap::proc_getport: {
      Mapping m;
      if (!decode_mapping(args, m) || !args.done()) return ProcResult::garbage_args;
      results.put_u32(getport(m.prog, m.vers, m.prot));
      return ProcResult::reply;
    }
    case pmap::proc_dump: {
      if (!args.done()) return ProcResult::garbage_args;
      for (const auto& m : dump()) {
        results.put_bool(true);
        encode_mapping(results, m);
      }
      results.put_bool(false);
      return ProcResult::reply;
    }
    default:  // CALLIT is not offered (an amplification vector); unknown procedures
      return ProcResult::proc_unavail;
  }
}

status_t portmap_getport(std::string_view host, std::uint16_t pm_port, std::uint32_t prog, std::uint32_t vers,
                         std::uint32_t prot, core::Deadline deadline, std::uint16_t& port) {
  port = 0;
  RpcClient client(4096);
  status_t st = client.connect(host, pm_port, deadline);
  if (st == status::ERROR_TMO) return status::ERROR_TMO;
  if (st != status::SUCCESS) return status::ERROR_RSRC_NFOUND;
  encode_mapping(client.begin_call(pmap::program, pmap::version, pmap::proc_getport), Mapping{prog, vers, prot, 0});
  XdrReader results;
  st = client.finish_call(deadline, results);
  if (st == status::ERROR_TMO) return st;
  if (st != status::SUCCESS) return status::ERROR_RSRC_NFOUND;
  std::uint32_t value = results.get_u32();
  if (!results.ok() || value == 0 || value > 65535) return status::ERROR_RSRC_NFOUND;
  port = static_cast<std::uint16_t>(value);
  return status::SUCCESS;
}

}  // namespace cppvisa::oncrpc
