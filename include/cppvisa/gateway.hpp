/// @file gateway.hpp
/// @brief cppvisa::Gateway: puts the resources of a backend (simulated instruments, serial ports,
/// USB, GPIB, other LAN instruments) on the network as raw SCPI sockets, VXI-11 instruments (with
/// an optional portmapper), HiSLIP instruments, VICP instruments and the GPIB bus of a simulated
/// Prologix GPIB-ETHERNET adapter, for every VISA client. `visa-serve` is a thin
/// command line over it; a program can embed it.
///
/// Safe by default: endpoints bind the loopback address unless a host is given (a wildcard bind
/// is reported in warnings()); a backend other than the simulated one serves only the resources
/// named in GatewayOptions::resources unless serve_all is set; an allow list refuses other clients
/// at accept; connections are limited in total and per client address.
///
/// One served device per resource, shared by every protocol and client: a lock taken over one
/// protocol holds for all of them, and output goes only to the client that asked
/// (see server::ServedDevice in the sources for the rules).
///
/// Thread safety: start(), stop() and the destructor must not run concurrently with each other;
/// the accessors may be called from any thread once start() has returned.
#pragma once

#include <cppvisa/backend.hpp>
#include <cppvisa/export.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace cppvisa {

/// Where one served protocol listens.
struct CPPVISA_API GatewayAddress {
  std::string host = "127.0.0.1";  ///< numeric or a name; "0.0.0.0" / "::" bind every interface
  std::uint16_t port = 0;          ///< 0 = a free port

  /// Parses "PORT", "HOST:PORT" or "[IPv6]:PORT" (a bare port binds 127.0.0.1).
  /// @return the address, or nothing with `error` naming what is wrong.
  static std::optional<GatewayAddress> parse(std::string_view text, std::string& error);
};

/// What to serve and how.
struct GatewayOptions {
  /// Resources to serve. Empty: every resource the backend lists, when the backend is the
  /// simulated one or `serve_all` is set (otherwise start() fails: a real backend would put every
  /// serial port of the machine on the network).
  std::vector<std::string> resources;
  bool serve_all = false;  ///< serve every listed resource of a real backend when `resources` is empty
  std::optional<GatewayAddress> socket;      ///< raw socket: one port per resource (port, port+1, ...; 0 = free ports)
  std::optional<GatewayAddress> vxi11;       ///< VXI-11 core channel (devices inst0, inst1, ...)
  std::optional<GatewayAddress> portmapper;  ///< portmapper (TCP and UDP) for the VXI-11 server; port 111 needs root
  std::optional<GatewayAddress> hislip;      ///< HiSLIP (sub-addresses hislip0, hislip1, ...; IANA port 4880)
  /// A simulated Prologix GPIB-ETHERNET adapter (its port is 1234): the served GPIB INSTR
  /// resources sit on its bus at the addresses of their names ("GPIB0::5::INSTR" at 5); other
  /// resources are not on it (a warning says so).
  std::optional<GatewayAddress> prologix;
  std::optional<GatewayAddress> vicp;        ///< VICP: one port per resource (port, port+1, ...; 0 = free ports; VICP's is 1861)
  /// Clients allowed to connect ("ADDR/PREFIX" or "ADDR", IPv4 or IPv6); empty: everyone who can
  /// reach the bound address.
  std::vector<std::string> allow;
  std::size_t max_connections = 64;             ///< per served endpoint, in total
  std::size_t max_connections_per_client = 16;  ///< per endpoint and client address
  std::size_t max_links_per_connection = 16;    ///< VXI-11 links one connection may create
  std::size_t max_links_per_client = 64;        ///< VXI-11 links all connections from one client address may hold
  /// A connection (any protocol, the portmapper's too) on which the client sends nothing for this
  /// long is closed, so that idle clients cannot hold the limits above forever (ms; 0 = never).
  std::uint32_t idle_timeout_ms = 600000;
  std::size_t max_hislip_sessions = 64;         ///< HiSLIP sessions in total
  /// HiSLIP 2.0 secure connections: a PEM certificate file (with hislip_tls_key; both, or neither).
  std::string hislip_tls_cert;
  /// The PEM private key file of hislip_tls_cert.
  std::string hislip_tls_key;
  /// With a certificate: clients must encrypt before anything else and may not end it
  /// ("encryption mandatory"); otherwise they choose.
  bool hislip_tls_required = false;
  /// HiSLIP 2.0 authentication: a users file (`user:password` lines, refused when group or others
  /// may read it); sessions must then authenticate (SCRAM-SHA-256, PLAIN over TLS) first.
  std::string hislip_sasl_users;
  /// HiSLIP 2.0 authentication: offer ANONYMOUS too (anonymous sessions are then served).
  bool hislip_sasl_anonymous = false;
  bool read_only = false;                       ///< writes and triggers are refused (VI_ERROR_NSUP_OPER)
  std::uint32_t vxi11_max_recv_size = 65536;    ///< VXI-11 maxRecvSize announced to clients (>= 1024)
  std::uint32_t response_hold_ms = 2000;        ///< how long an unread answer holds off other clients (ms)
  std::uint32_t open_timeout_ms = 2000;         ///< opening each resource on the backend (ms)
  /// Announce the endpoints over mDNS/DNS-SD (`_scpi-raw._tcp`, `_hislip._tcp`, `_vxi-11._tcp`):
  /// through the host's Avahi daemon when one answers (start() fails when it refuses them, e.g. a
  /// name collision), else with a responder of the gateway's own on UDP 5353 of every multicast
  /// interface.
  bool advertise = false;
};

/// One endpoint a client can open.
struct GatewayEndpoint {
  std::string protocol;  ///< "socket", "vxi11", "hislip", "vicp" or "prologix"
  /// The VISA resource name a client opens, e.g. "TCPIP::127.0.0.1::5025::SOCKET"; for
  /// "prologix", the adapter ("PRLGX-TCPIP::127.0.0.1::1234::INTFC") and each instrument on its
  /// bus ("GPIB0::5::INSTR", opened while the adapter is open)
  std::string resource;
  std::string serves;    ///< the backend resource behind it
  std::uint16_t port = 0;  ///< the TCP port the endpoint listens on
};

/// Serves a backend's resources over the protocols chosen in GatewayOptions (see the file comment).
/// Thread safety: start(), stop() and the accessors are not synchronised with each other: call them
/// from one thread (the serving runs on the gateway's own threads).
class CPPVISA_API Gateway {
 public:
  /// A gateway over `backend` (not started).
  Gateway(std::shared_ptr<Backend> backend, GatewayOptions options);
  /// Stops serving and closes the resources.
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  /// Opens the resources and starts every endpoint.
  /// @throws VisaIOError naming the cause: VI_ERROR_INV_SETUP (options: nothing to serve, a
  /// malformed allow entry, a portmapper without VXI-11, resources not named on a real backend),
  /// the backend's status for a named resource that cannot be opened, VI_ERROR_IO for an address
  /// that cannot be bound.
  void start();
  /// As start(), with the status in `ec` and the cause in error_text().
  void start(std::error_code& ec);
  /// Stops every endpoint (clients are disconnected) and closes the resources. Idempotent.
  void stop();

  bool running() const noexcept;  ///< whether start() succeeded and stop() has not been called since
  /// The endpoints being served (after start()).
  std::vector<GatewayEndpoint> endpoints() const;
  /// Things the operator should know (a wildcard bind, a listed resource that did not open, a
  /// portmapper on a port other than 111).
  std::vector<std::string> warnings() const;
  /// Why the last start() failed.
  std::string error_text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cppvisa
