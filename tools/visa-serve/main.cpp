// visa-serve: puts cppvisa resources (simulated instruments, or any resource a backend can open:
// serial, USB, GPIB, another LAN instrument) on the network as raw SCPI sockets, VXI-11, HiSLIP
// and VICP instruments, and on the GPIB bus of a simulated Prologix GPIB-ETHERNET adapter: a thin
// command line over cppvisa::Gateway. Prints one line per endpoint, starting
// with the resource name a client opens, then serves until SIGINT or SIGTERM.
//
//   visa-serve --sim --socket 5025 --vxi11 0 --hislip 4880 --vicp 1861 --prologix 1234
//   visa-serve --backend @native --resource ASRL/dev/ttyUSB0::INSTR --vxi11 0.0.0.0:0
//              --portmapper 0.0.0.0:111 --allow 192.168.1.0/24
#include <cppvisa/backend.hpp>
#include <cppvisa/error.hpp>
#include <cppvisa/gateway.hpp>
#include <cppvisa/version.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <optional>
#include <pthread.h>
#include <string>
#include <vector>

namespace {

bool parse_address(const std::string& text, const char* option, std::optional<cppvisa::GatewayAddress>& out) {
  if (text.empty()) return true;
  std::string error;
  out = cppvisa::GatewayAddress::parse(text, error);
  if (out) return true;
  fmt::print(stderr, "visa-serve: {} {}\n", option, error);
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"visa-serve: serve cppvisa resources over raw sockets, VXI-11, HiSLIP, VICP and a simulated Prologix adapter"};
  std::string sim_file, backend_spec, socket_at, vxi11_at, portmapper_at, hislip_at, vicp_at, prologix_at;
  cppvisa::GatewayOptions o;
  auto* sim = app.add_option("--sim", sim_file, "Serve simulated instruments (from FILE.yaml, or the default set)")
                  ->expected(0, 1);
  app.add_option("--backend", backend_spec, "Backend to open resources with (@native, @sim, FILE@sim, a libvisa path)");
  app.add_option("--resource", o.resources, "Resource to serve (repeatable)");
  app.add_flag("--all", o.serve_all, "Serve every resource the backend lists (default only for simulated instruments)");
  app.add_option("--socket", socket_at, "Raw socket server at [ADDR:]PORT (one port per resource: PORT, PORT+1, ...; 0 = free)");
  app.add_option("--vxi11", vxi11_at, "VXI-11 server (core channel) at [ADDR:]PORT (0 = free)");
  app.add_option("--portmapper", portmapper_at, "Portmapper (TCP and UDP) at [ADDR:]PORT for the VXI-11 server");
  app.add_option("--hislip", hislip_at, "HiSLIP server at [ADDR:]PORT (4880 is HiSLIP's port; 0 = free)");
  app.add_option("--vicp", vicp_at, "VICP server at [ADDR:]PORT (one port per resource: PORT, PORT+1, ...; 1861 is VICP's; 0 = free)");
  app.add_option("--prologix", prologix_at,
                 "Simulated Prologix GPIB-ETHERNET adapter at [ADDR:]PORT (1234 is its port; 0 = free) with the "
                 "GPIB resources on its bus");
  app.add_option("--allow", o.allow, "Accept clients from ADDR/PREFIX only (repeatable; default: any that reaches the address)");
  app.add_option("--max-connections", o.max_connections, "Connections per endpoint in total")->capture_default_str();
  app.add_option("--max-per-client", o.max_connections_per_client, "Connections per endpoint from one client address")
      ->capture_default_str();
  app.add_option("--max-links", o.max_links_per_connection, "VXI-11 links per connection")->capture_default_str();
  app.add_option("--max-links-per-client", o.max_links_per_client,
                 "VXI-11 links from one client address (all its connections)")
      ->capture_default_str();
  std::uint32_t idle_s = o.idle_timeout_ms / 1000;
  app.add_option("--idle-timeout", idle_s, "Close a connection on which the client sends nothing for SECONDS (0 = never)")
      ->check(CLI::Range(0u, 4000000u))
      ->capture_default_str();
  app.add_option("--max-hislip-sessions", o.max_hislip_sessions, "HiSLIP sessions in total")->capture_default_str();
  auto* tls_cert = app.add_option("--tls-cert", o.hislip_tls_cert,
                                  "HiSLIP 2.0 secure connections: PEM certificate (with --tls-key)")
                       ->check(CLI::ExistingFile);
  auto* tls_key = app.add_option("--tls-key", o.hislip_tls_key, "PEM private key of --tls-cert")->check(CLI::ExistingFile);
  tls_cert->needs(tls_key);
  tls_key->needs(tls_cert);
  app.add_flag("--tls-required", o.hislip_tls_required,
               "HiSLIP clients must encrypt before anything else (encryption mandatory)")
      ->needs(tls_cert);
  app.add_option("--sasl-users", o.hislip_sasl_users,
                 "HiSLIP 2.0 authentication: users file, one 'user:password' a line (mode 600: refused when group "
                 "or others may read it); clients must authenticate (SCRAM-SHA-256, PLAIN only over TLS)")
      ->check(CLI::ExistingFile);
  app.add_flag("--sasl-anonymous", o.hislip_sasl_anonymous,
               "HiSLIP 2.0 authentication: also offer ANONYMOUS (a client may authenticate without credentials)");
  app.add_flag("--read-only", o.read_only, "Refuse writes and triggers (clients may read and poll)");
  app.add_flag("--advertise", o.advertise, "Announce the endpoints over mDNS/DNS-SD (_scpi-raw, _hislip, _vxi-11): through the Avahi daemon when one runs, else on UDP 5353 itself");
  app.add_option("--max-recv-size", o.vxi11_max_recv_size, "VXI-11 maxRecvSize announced to clients (>= 1024)")
      ->capture_default_str();
  app.add_option("--hold", o.response_hold_ms, "How long (ms) an unread answer holds off other clients")
      ->capture_default_str();
  app.set_version_flag("--version", std::string("visa-serve (cppvisa) ") + cppvisa::version_string);
  CLI11_PARSE(app, argc, argv);
  o.idle_timeout_ms = idle_s * 1000;

  if (!parse_address(socket_at, "--socket", o.socket) || !parse_address(vxi11_at, "--vxi11", o.vxi11) ||
      !parse_address(portmapper_at, "--portmapper", o.portmapper) || !parse_address(hislip_at, "--hislip", o.hislip) ||
      !parse_address(vicp_at, "--vicp", o.vicp) || !parse_address(prologix_at, "--prologix", o.prologix))
    return 2;
  if (backend_spec.empty()) backend_spec = sim->count() ? sim_file + "@sim" : "";

  // Block the signals before any thread starts, so that only sigwait() below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::shared_ptr<cppvisa::Backend> backend;
  try {
    backend = cppvisa::open_backend(backend_spec);
  } catch (const std::exception& e) {
    fmt::print(stderr, "visa-serve: cannot open backend '{}': {}\n", backend_spec, e.what());
    return 1;
  }
  cppvisa::Gateway gateway(backend, o);
  std::error_code ec;
  gateway.start(ec);
  for (const auto& w : gateway.warnings()) fmt::print(stderr, "visa-serve: warning: {}\n", w);
  if (ec) {
    fmt::print(stderr, "visa-serve: {} ({})\n", gateway.error_text(), cppvisa::status_name(cppvisa::to_status(ec)));
    return ec.value() == cppvisa::status::ERROR_INV_SETUP ? 2 : 1;
  }
  for (const auto& e : gateway.endpoints()) fmt::print("{} serves {}\n", e.resource, e.serves);
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  fmt::print(stderr, "visa-serve: {} received, stopping\n", received == SIGINT ? "SIGINT" : "SIGTERM");
  gateway.stop();
  return 0;
}
