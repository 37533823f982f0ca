// cppvisa::Gateway: the served devices (one server::SessionDevice per resource) and the protocol
// servers in front of them.
#include <cppvisa/gateway.hpp>

#include "core/error_detail.hpp"
#include "protocols/hislip/hislip_server.hpp"
#include "protocols/mdns/avahi_publish.hpp"
#include "protocols/mdns/mdns_browse.hpp"
#include "protocols/mdns/mdns_responder.hpp"
#include "protocols/net/address_filter.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/oncrpc/portmapper.hpp"
#include "protocols/prologix/prologix_server.hpp"
#include "protocols/socket/socket_server.hpp"
#include "protocols/vicp/vicp_server.hpp"
#include "protocols/vxi11/vxi11_server.hpp"
#include "server/session_device.hpp"

#include <cppvisa/error.hpp>
#include <cppvisa/resource_name.hpp>

#include <fmt/format.h>

#include <mutex>

namespace cppvisa {

namespace {

constexpr std::uint16_t hislip_default_port = 4880;  // IANA, IVI-6.1 §2
constexpr std::uint16_t vicp_default_port = 1861;    // IANA lecroy-vicp

bool wildcard(std::string_view host) { return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]"; }

// "gpib0,5" / "gpib0,5,10" for a GPIB INSTR resource, so VXI-11-to-GPIB style names also work.
std::string vxi11_gateway_name(const std::string& resource) {
  std::error_code ec;
  auto parsed = ResourceName::parse(resource, ec);
  if (!parsed || parsed->interface_type != InterfaceType::gpib || !parsed->primary_address()) return {};
  std::string name = "gpib" + std::to_string(parsed->board_number().value_or(0)) + "," +
                     std::to_string(*parsed->primary_address());
  if (auto sad = parsed->secondary_address()) name += "," + std::to_string(*sad);
  return name;
}

}  // namespace

std::optional<GatewayAddress> GatewayAddress::parse(std::string_view text, std::string& error) {
  GatewayAddress out;
  bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  if (digits) {
    if (text.size() > 5 || std::stoul(std::string(text)) > 65535) {
      error = fmt::format("'{}': a port is 0..65535", text);
      return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(std::stoul(std::string(text)));
    return out;
  }
  net::Endpoint ep;
  if (!net::parse_host_port(text, ep)) {
    error = fmt::format("'{}': expected PORT, HOST:PORT or [IPv6]:PORT", text);
    return std::nullopt;
  }
  out.host = ep.host;
  out.port = ep.port;
  return out;
}

struct Gateway::Impl {
  std::shared_ptr<Backend> backend;
  GatewayOptions options;
  session_t rm = 0;
  struct Served {
    std::string name;
    session_t session = 0;
    std::shared_ptr<server::SessionDevice> device;
  };
  std::vector<Served> served;
  std::vector<std::unique_ptr<raw_socket::SocketServer>> socket_servers;
  std::unique_ptr<vxi11::Vxi11Server> vxi11_server;
  std::unique_ptr<oncrpc::PortmapperServer> portmapper;
  std::unique_ptr<hislip::Server> hislip_server;
  std::vector<std::unique_ptr<vicp::Server>> vicp_servers;
  std::unique_ptr<prologix::AdapterServer> prologix_server;
  std::unique_ptr<mdns::Responder> responder;
  std::unique_ptr<mdns::AvahiPublisher> avahi;
  net::AddressFilter allow;
  std::vector<GatewayEndpoint> endpoints;
  std::vector<std::string> warnings;
  std::string error;
  bool running = false;

  status_t fail(status_t st, std::string text) {
    error = std::move(text);
    return st;
  }
  /// The cause a lower layer recorded for `st` ("cannot listen on 127.0.0.1:111: Address already
  /// in use"), or the status's name when none.
  static std::string cause(status_t st) {
    std::string why = core::detail_for(st);
    return why.empty() ? status_name(st) : why;
  }
  status_t check_options();
  status_t open_resources();
  status_t start_socket();
  status_t start_vxi11();
  status_t start_hislip();
  status_t start_vicp();
  /// Where a server listens and whom it admits (the options' limits and allow list).
  net::TcpAcceptor::Options listen_options(const GatewayAddress& at, std::uint16_t port) const {
    net::TcpAcceptor::Options o;
    o.host = at.host;
    o.port = port;
    o.max_connections = options.max_connections;
    o.max_per_address = options.max_connections_per_client;
    o.allow = allow;
    return o;
  }
  status_t start_prologix();
  status_t start_advertising();
  void warn_wildcard(const char* what, const GatewayAddress& a) {
    if (wildcard(a.host))
      warnings.push_back(fmt::format("{} binds every interface ({}): anyone who reaches this machine can use the "
                                     "instruments; restrict it with an allow list",
                                     what, a.host.empty() ? "*" : a.host));
  }
  void teardown();
};

status_t Gateway::Impl::check_options() {
  const auto& o = options;
  if (!o.socket && !o.vxi11 && !o.hislip && !o.vicp && !o.prologix)
    return fail(status::ERROR_INV_SETUP, "nothing to serve: give a raw-socket, VXI-11, HiSLIP, VICP or Prologix address");
  if (o.portmapper && !o.vxi11) return fail(status::ERROR_INV_SETUP, "a portmapper serves the VXI-11 server: give a VXI-11 address too");
  if (o.vxi11_max_recv_size < 1024)
    return fail(status::ERROR_INV_SETUP, fmt::format("VXI-11 maxRecvSize {} is below 1024 (VXI-11 B.6.3)", o.vxi11_max_recv_size));
  if (o.max_connections == 0 || o.max_connections_per_client == 0 || o.max_links_per_connection == 0 ||
      o.max_links_per_client == 0 || o.max_hislip_sessions == 0)
    return fail(status::ERROR_INV_SETUP, "connection, link and session limits must be at least 1");
  allow = net::AddressFilter{};
  for (const auto& entry : o.allow) {
    std::string why;
    if (!allow.add(entry, &why)) return fail(status::ERROR_INV_SETUP, fmt::format("allow list: {}", why));
  }
  return status::SUCCESS;
}

status_t Gateway::Impl::open_resources() {
  if (status_t st = backend->open_default_rm(rm); st < 0)
    return fail(st, fmt::format("cannot open a resource manager on backend '{}': {}", backend->name(), status_name(st)));
  std::vector<std::string> names = options.resources;
  const bool listed = names.empty();
  if (listed) {
    if (backend->name() != "sim" && !options.serve_all)
      return fail(status::ERROR_INV_SETUP,
                  fmt::format("backend '{}' reaches real instruments: name the resources to serve (--resource), or "
                              "serve every one it lists with --all",
                              backend->name()));
    backend->find_resources(rm, "?*", names);
    if (names.empty())
      return fail(status::ERROR_RSRC_NFOUND, fmt::format("backend '{}' lists no resources; name some", backend->name()));
  }
  server::ServedDevice::Options device_options;
  device_options.response_hold_ms = options.response_hold_ms;
  device_options.read_only = options.read_only;
  for (const auto& name : names) {
    Served s;
    s.name = name;
    if (status_t st = backend->open(rm, name, AccessMode::no_lock, options.open_timeout_ms, s.session); st < 0) {
      if (!listed) return fail(st, fmt::format("cannot open {}: {}", name, cause(st)));
      warnings.push_back(fmt::format("{} is listed but does not open ({}): not served", name, status_name(st)));
      continue;
    }
    s.device = std::make_shared<server::SessionDevice>(backend, s.session, name, device_options);
    served.push_back(std::move(s));
  }
  if (served.empty()) return fail(status::ERROR_RSRC_NFOUND, "no resource could be opened");
  return status::SUCCESS;
}

status_t Gateway::Impl::start_socket() {
  const auto& at = *options.socket;
  warn_wildcard("the raw-socket server", at);
  for (std::size_t i = 0; i < served.size(); ++i) {
    raw_socket::SocketServer::Options o;
    o.host = at.host;
    if (at.port != 0 && at.port + i > 65535) return fail(status::ERROR_INV_SETUP, "raw-socket ports run past 65535");
    o.port = at.port == 0 ? 0 : static_cast<std::uint16_t>(at.port + i);
    o.max_connections = options.max_connections;
    o.max_per_address = options.max_connections_per_client;
    o.allow = allow;
    o.idle_timeout_ms = options.idle_timeout_ms;
    auto server = std::make_unique<raw_socket::SocketServer>(served[i].device, o);
    if (status_t st = server->start(); st < 0)
      return fail(st, fmt::format("raw socket for {}: {}", served[i].name,
                                  server->error().empty() ? status_name(st) : server->error()));
    endpoints.push_back({"socket",
                         fmt::format("TCPIP::{}::{}::SOCKET", net::host_for_display(o.host), server->port()),
                         served[i].name, server->port()});
    socket_servers.push_back(std::move(server));
  }
  return status::SUCCESS;
}

status_t Gateway::Impl::start_vxi11() {
  const auto& at = *options.vxi11;
  warn_wildcard("the VXI-11 server", at);
  vxi11::Vxi11Server::Options o;
  o.host = at.host;
  o.core_port = at.port;
  o.max_recv_size = options.vxi11_max_recv_size;
  o.max_connections = options.max_connections;
  o.max_per_address = options.max_connections_per_client;
  o.max_links_per_connection = options.max_links_per_connection;
  o.max_links_per_address = options.max_links_per_client;
  o.idle_timeout_ms = options.idle_timeout_ms;
  o.allow = allow;
  vxi11_server = std::make_unique<vxi11::Vxi11Server>(o);
  std::vector<std::pair<std::string, std::string>> names;  // (device name, served resource)
  for (std::size_t i = 0; i < served.size(); ++i) {
    std::string inst = "inst" + std::to_string(i);
    vxi11_server->add_device(inst, served[i].device);
    names.emplace_back(inst, served[i].name);
    if (auto gw = vxi11_gateway_name(served[i].name); !gw.empty()) {
      vxi11_server->add_device(gw, served[i].device);
      names.emplace_back(gw, served[i].name);
    }
  }
  if (status_t st = vxi11_server->start(); st < 0)
    return fail(st, fmt::format("cannot start the VXI-11 server on {}:{}: {}", net::host_for_display(at.host), at.port,
                                cause(st)));
  std::string host = net::host_for_display(at.host);
  if (options.portmapper) {
    const auto& pm = *options.portmapper;
    warn_wildcard("the portmapper", pm);
    oncrpc::RpcServer::Options pmo = oncrpc::RpcServer::Options::bounded(4096, options.max_connections);
    pmo.max_per_address = options.max_connections_per_client;
    pmo.allow = allow;
    pmo.idle_timeout_ms = options.idle_timeout_ms;
    portmapper = std::make_unique<oncrpc::PortmapperServer>(pmo);
    if (status_t st = portmapper->start(pm.host, pm.port); st < 0)
      return fail(st, fmt::format("cannot start the portmapper on {}:{}{}: {}", net::host_for_display(pm.host), pm.port,
                                  pm.port < 1024 ? " (a port below 1024 needs root)" : "", cause(st)));
    vxi11_server->register_with(*portmapper);
    for (auto& [device, resource] : names)
      endpoints.push_back({"vxi11", fmt::format("TCPIP::{}::{}::INSTR", host, device), resource, vxi11_server->core_port()});
    if (portmapper->port() != oncrpc::pmap::default_port)
      warnings.push_back(fmt::format("the portmapper is on port {} (not 111): cppvisa clients need "
                                     "CPPVISA_PORTMAPPER_PORT={}; or skip it with TCPIP::{}:{}::inst0::INSTR",
                                     portmapper->port(), portmapper->port(), host, vxi11_server->core_port()));
  } else {
    // No portmapper: the "host:port" form reaches the core channel directly (cppvisa; PyVISA-py
    // writes it "host,port").
    for (auto& [device, resource] : names)
      endpoints.push_back({"vxi11", fmt::format("TCPIP::{}:{}::{}::INSTR", host, vxi11_server->core_port(), device),
                           resource, vxi11_server->core_port()});
  }
  return status::SUCCESS;
}

status_t Gateway::Impl::start_hislip() {
  const auto& at = *options.hislip;
  warn_wildcard("the HiSLIP server", at);
  hislip::Server::Options o;
  o.host = at.host;
  o.port = at.port;
  o.max_sessions = options.max_hislip_sessions;
  o.max_connections = 2 * options.max_connections;  // two connections (synchronous, asynchronous) per session
  o.max_per_address = 2 * options.max_connections_per_client;
  o.allow = allow;
  o.idle_timeout_ms = options.idle_timeout_ms;
  o.tls_cert_file = options.hislip_tls_cert;
  o.tls_key_file = options.hislip_tls_key;
  if (options.hislip_tls_required) o.encryption = hislip::Server::Options::Encryption::mandatory;
  if (!options.hislip_sasl_users.empty() || options.hislip_sasl_anonymous) {
    if (!hislip::sasl_available())
      return fail(status::ERROR_NSUP_OPER, "HiSLIP authentication: this build has no SASL (Cyrus SASL, Debian: libsasl2-dev)");
    if (!options.hislip_sasl_users.empty()) {
      auto users = std::make_shared<hislip::SaslUsers>();
      std::string why;
      if (status_t st = hislip::load_sasl_users(options.hislip_sasl_users, *users, why); st != status::SUCCESS)
        return fail(st, "HiSLIP users file " + why);
      o.sasl_users = std::move(users);
    }
    o.sasl_anonymous = options.hislip_sasl_anonymous;
  }
  hislip_server = std::make_unique<hislip::Server>(o);
  for (std::size_t i = 0; i < served.size(); ++i) hislip_server->add_device("hislip" + std::to_string(i), served[i].device);
  if (status_t st = hislip_server->start(); st < 0)
    return fail(st, fmt::format("HiSLIP: {}", hislip_server->error().empty()
                                                  ? fmt::format("cannot listen on {}:{}: {}", net::host_for_display(at.host),
                                                                at.port, status_name(st))
                                                  : hislip_server->error()));
  std::string host = net::host_for_display(at.host);
  std::uint16_t port = hislip_server->port();
  for (std::size_t i = 0; i < served.size(); ++i) {
    std::string sub = "hislip" + std::to_string(i);
    if (port != hislip_default_port) sub += "," + std::to_string(port);
    endpoints.push_back({"hislip", fmt::format("TCPIP::{}::{}::INSTR", host, sub), served[i].name, port});
  }
  return status::SUCCESS;
}

status_t Gateway::Impl::start_vicp() {
  const auto& at = *options.vicp;
  warn_wildcard("the VICP server", at);
  for (std::size_t i = 0; i < served.size(); ++i) {
    vicp::Server::Options o;
    if (at.port != 0 && at.port + i > 65535) return fail(status::ERROR_INV_SETUP, "VICP ports run past 65535");
    o.listen = listen_options(at, at.port == 0 ? 0 : static_cast<std::uint16_t>(at.port + i));
    o.idle_timeout_ms = options.idle_timeout_ms;
    auto server = std::make_unique<vicp::Server>(served[i].device, o);
    if (status_t st = server->start(); st < 0)
      return fail(st, fmt::format("VICP for {}: {}", served[i].name, server->error().empty() ? status_name(st) : server->error()));
    std::string host = net::host_for_display(at.host);
    // VICP names carry no port: another one rides on the host ("host:port", as TCPIP INSTR).
    std::string resource = server->port() == vicp_default_port ? fmt::format("VICP::{}::INSTR", host)
                                                                 : fmt::format("VICP::{}:{}::INSTR", host, server->port());
    endpoints.push_back({"vicp", resource, served[i].name, server->port()});
    vicp_servers.push_back(std::move(server));
  }
  return status::SUCCESS;
}

status_t Gateway::Impl::start_prologix() {
  const auto& at = *options.prologix;
  warn_wildcard("the Prologix adapter", at);
  std::vector<prologix::AdapterServer::Instrument> bus;
  std::vector<std::string> names;
  std::string others;
  for (const auto& s : served) {
    std::error_code ec;
    auto parsed = ResourceName::parse(s.name, ec);
    if (!parsed || parsed->interface_type != InterfaceType::gpib || !parsed->primary_address()) {
      others += (others.empty() ? "" : ", ") + s.name;
      continue;
    }
    bus.push_back({*parsed->primary_address(), parsed->secondary_address(), s.device});
    std::string gpib = fmt::format("GPIB0::{}", *parsed->primary_address());
    if (auto sad = parsed->secondary_address()) gpib += fmt::format("::{}", *sad);
    names.push_back(gpib + "::INSTR");
  }
  if (bus.empty())
    return fail(status::ERROR_INV_SETUP, "the Prologix adapter needs GPIB instruments (GPIB[board]::address::INSTR) to serve");
  if (!others.empty()) warnings.push_back(fmt::format("not GPIB instruments, so not on the Prologix adapter's bus: {}", others));
  prologix::AdapterServer::Options o;
  o.listen = listen_options(at, at.port);
  o.idle_timeout_ms = options.idle_timeout_ms;
  prologix_server = std::make_unique<prologix::AdapterServer>(std::move(bus), o);
  if (status_t st = prologix_server->start(); st < 0)
    return fail(st, fmt::format("Prologix adapter: {}", prologix_server->error().empty() ? status_name(st) : prologix_server->error()));
  std::string adapter = fmt::format("PRLGX-TCPIP::{}::{}::INTFC", net::host_for_display(at.host), prologix_server->port());
  std::string bus_names;
  for (const auto& n : names) bus_names += (bus_names.empty() ? "" : ", ") + n;
  endpoints.push_back({"prologix", adapter, "GPIB bus: " + bus_names, prologix_server->port()});
  std::size_t k = 0;
  for (const auto& s : served) {
    std::error_code ec;
    auto parsed = ResourceName::parse(s.name, ec);
    if (!parsed || parsed->interface_type != InterfaceType::gpib || !parsed->primary_address()) continue;
    endpoints.push_back({"prologix", names[k++], s.name + " (through " + adapter + ")", prologix_server->port()});
  }
  return status::SUCCESS;
}

// DNS-SD (RFC 6763) services for the endpoints: one _scpi-raw._tcp instance per raw socket (each
// resource has its port), one _hislip._tcp and one _vxi-11._tcp instance for the first resource of
// those servers (a service names a port, not a sub-address: hislip0 and inst0 are what a browser
// makes of them). Only with a portmapper on 111 is VXI-11 advertised: a client reaches it there.
// Through the Avahi daemon when one answers (the host's one responder: it probes the names and
// answers for every program), else with a responder of our own.
status_t Gateway::Impl::start_advertising() {
  auto publisher = std::make_unique<mdns::AvahiPublisher>();
  const bool through_avahi = publisher->connect();
  const std::string host = through_avahi ? publisher->host_label() : mdns::local_host_label();
  std::vector<mdns::Service> services;
  bool hislip = false, vxi11 = false;
  for (const auto& e : endpoints) {
    mdns::Service s;
    s.txt = {"txtvers=1", "Manufacturer=cppvisa", "Model=visa-serve", "Resource=" + e.serves};
    if (e.protocol == "socket") {
      s.type = "_scpi-raw._tcp";
      s.instance = fmt::format("{} {} on {}", e.serves, "socket", host);
      s.port = e.port;
    } else if (e.protocol == "hislip" && !hislip) {
      hislip = true;
      s.type = "_hislip._tcp";
      s.instance = fmt::format("{} on {}", e.serves, host);
      s.port = e.port;
    } else if (e.protocol == "vxi11" && !vxi11 && portmapper && portmapper->port() == oncrpc::pmap::default_port) {
      vxi11 = true;
      s.type = "_vxi-11._tcp";
      s.instance = fmt::format("{} on {}", e.serves, host);
      s.port = oncrpc::pmap::default_port;
    } else {
      continue;
    }
    services.push_back(std::move(s));
  }
  if (through_avahi) {
    // RFC 6762 §8: probing takes about 750 ms; collisions are reported at once.
    if (!publisher->publish(services, core::Deadline::after_ms(5000)))
      return fail(status::ERROR_INV_SETUP, "cannot advertise through the Avahi daemon: " + publisher->error());
    avahi = std::move(publisher);
    return status::SUCCESS;
  }
  responder = std::make_unique<mdns::Responder>();
  if (status_t st = responder->start(host, std::move(services)); st < 0)
    return fail(st, fmt::format("cannot advertise over mDNS: UDP port {} cannot be bound", mdns::mdns_port));
  return status::SUCCESS;
}

void Gateway::Impl::teardown() {
  // Servers first (they end every client's calls), then the devices, then the sessions.
  responder.reset();
  avahi.reset();
  socket_servers.clear();
  vicp_servers.clear();
  prologix_server.reset();
  vxi11_server.reset();
  portmapper.reset();
  hislip_server.reset();
  for (auto& s : served) {
    s.device.reset();
    backend->close(s.session);
  }
  served.clear();
  if (rm) backend->close(rm);
  rm = 0;
  endpoints.clear();
  running = false;
}

Gateway::Gateway(std::shared_ptr<Backend> backend, GatewayOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->backend = std::move(backend);
  impl_->options = std::move(options);
}

Gateway::~Gateway() { stop(); }

void Gateway::start() {
  std::error_code ec;
  start(ec);
  if (ec) throw VisaIOError(to_status(ec), impl_->error);
}

void Gateway::start(std::error_code& ec) {
  ec.clear();
  Impl& g = *impl_;
  if (g.running) return;
  g.error.clear();
  g.warnings.clear();
  if (!g.backend) {
    ec = make_error_code(g.fail(status::ERROR_INV_SETUP, "no backend"));
    return;
  }
  status_t st = g.check_options();
  if (st >= 0) st = g.open_resources();
  if (st >= 0 && g.options.socket) st = g.start_socket();
  if (st >= 0 && g.options.vxi11) st = g.start_vxi11();
  if (st >= 0 && g.options.hislip) st = g.start_hislip();
  if (st >= 0 && g.options.vicp) st = g.start_vicp();
  if (st >= 0 && g.options.prologix) st = g.start_prologix();
  if (st >= 0 && g.options.advertise) st = g.start_advertising();
  if (st < 0) {
    g.teardown();
    ec = make_error_code(st);
    return;
  }
  g.running = true;
}

void Gateway::stop() {
  if (impl_) impl_->teardown();
}

bool Gateway::running() const noexcept { return impl_->running; }
std::vector<GatewayEndpoint> Gateway::endpoints() const { return impl_->endpoints; }
std::vector<std::string> Gateway::warnings() const { return impl_->warnings; }
std::string Gateway::error_text() const { return impl_->error; }

}  // namespace cppvisa
