// Portmapper v2 (program 100000; RFC 1833 §3): a server (NULL, SET, UNSET,
// GETPORT, DUMP over TCP and UDP, so that the UDP GETPORT "broadcast" discovery of liblxi and
// PyVISA-py and TI-RPC's UDP-first lookup are answered) and a GETPORT client over TCP.
#pragma once

#include "core/deadline.hpp"
#include "protocols/oncrpc/rpc_server.hpp"
#include "protocols/oncrpc/xdr.hpp"

#include <cppvisa/status.hpp>

#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

namespace cppvisa::oncrpc {

namespace pmap {
inline constexpr std::uint32_t program = 100000;
inline constexpr std::uint32_t version = 2;
inline constexpr std::uint32_t proc_null = 0;
inline constexpr std::uint32_t proc_set = 1;
inline constexpr std::uint32_t proc_unset = 2;
inline constexpr std::uint32_t proc_getport = 3;
inline constexpr std::uint32_t proc_dump = 4;
inline constexpr std::uint32_t proc_callit = 5;
inline constexpr std::uint32_t ipproto_tcp = 6;
inline constexpr std::uint32_t ipproto_udp = 17;
inline constexpr std::uint16_t default_port = 111;
}  // namespace pmap

struct Mapping {
  std::uint32_t prog = 0, vers = 0, prot = 0, port = 0;
  bool operator==(const Mapping&) const = default;
};

void encode_mapping(XdrWriter& out, const Mapping& m);
bool decode_mapping(XdrReader& in, Mapping& m);

/// The portmapper port clients use: $CPPVISA_PORTMAPPER_PORT when set to a valid port, else 111.
std::uint16_t portmapper_port();

/// The registration table and its RPC program.
class PortmapperServer {
 public:
  PortmapperServer();
  /// With the TCP side's limits, allow list and idle timeout (RpcServer::Options).
  explicit PortmapperServer(RpcServer::Options options);
  ~PortmapperServer();
  PortmapperServer(const PortmapperServer&) = delete;
  PortmapperServer& operator=(const PortmapperServer&) = delete;

  /// Listens on host:port over TCP and UDP (the same port number; port 0 = a free one) and serves.
  status_t start(std::string_view host, std::uint16_t port);
  void stop();
  std::uint16_t port() const noexcept { return rpc_.tcp_port(); }

  /// Local registration (also over SET/UNSET, from a loopback socket of this process only).
  bool set(const Mapping& m);
  /// Removes every mapping of prog/vers (any protocol), as UNSET does.
  bool unset(std::uint32_t prog, std::uint32_t vers);
  std::uint32_t getport(std::uint32_t prog, std::uint32_t vers, std::uint32_t prot) const;
  std::vector<Mapping> dump() const;

  /// The program's dispatch (exposed for tests and the fuzz target).
  ProcResult dispatch(const CallContext& call, XdrReader& args, XdrWriter& results);

 private:
  mutable std::mutex mutex_;
  std::vector<Mapping> mappings_;
  RpcServer rpc_;
};

/// GETPORT over TCP to host:pm_port. `port` = 0 means "not registered" (then ERROR_RSRC_NFOUND).
/// Connection failures give ERROR_RSRC_NFOUND, a silent portmapper ERROR_TMO.
status_t portmap_getport(std::string_view host, std::uint16_t pm_port, std::uint32_t prog, std::uint32_t vers,
                         std::uint32_t prot, core::Deadline deadline, std::uint16_t& port);

}  // namespace cppvisa::oncrpc
