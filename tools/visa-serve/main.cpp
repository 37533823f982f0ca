// visa-serve: puts cppvisa resources (simulated instruments, or any resource a backend can open:
// serial, USB, GPIB, another LAN instrument) on the network as raw SCPI sockets and/or VXI-11
// instruments, with an optional portmapper. Prints one line per served endpoint, starting with
// the resource name a client opens, then serves until SIGINT or SIGTERM.
//
//   visa-serve --sim [FILE.yaml] --socket 127.0.0.1:5025 --vxi11 127.0.0.1:0 --portmapper 127.0.0.1:0
//   visa-serve --backend @native --resource ASRL/dev/ttyUSB0::INSTR --vxi11 0.0.0.0:0 --portmapper 0.0.0.0:111
#include "protocols/net/socket.hpp"
#include "protocols/oncrpc/portmapper.hpp"
#include "protocols/socket/socket_server.hpp"
#include "protocols/vxi11/vxi11_server.hpp"
#include "session_device.hpp"

#include <cppvisa/backend.hpp>
#include <cppvisa/error.hpp>
#include <cppvisa/resource_name.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace cppvisa;

struct Served {
  std::string name;
  session_t session = 0;
  std::shared_ptr<serve::SessionDevice> device;
};

bool parse_endpoint(const std::string& text, const char* option, net::Endpoint& out) {
  if (net::parse_host_port(text, out)) return true;
  fmt::print(stderr, "visa-serve: {} expects HOST:PORT (or [IPv6]:PORT), got '{}'\n", option, text);
  return false;
}

// "gpib0,5" / "gpib0,5,10" for a GPIB INSTR resource, so VXI-11-to-GPIB style names also work.
std::string gateway_name(const std::string& resource) {
  std::error_code ec;
  auto parsed = ResourceName::parse(resource, ec);
  if (!parsed || parsed->interface_type != InterfaceType::gpib || !parsed->primary_address()) return {};
  std::string name = "gpib" + std::to_string(parsed->board_number().value_or(0)) + "," +
                     std::to_string(*parsed->primary_address());
  if (auto sad = parsed->secondary_address()) name += "," + std::to_string(*sad);
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"visa-serve: serve cppvisa resources over raw sockets and VXI-11"};
  std::string sim_file, backend_spec, socket_at, vxi11_at, portmapper_at;
  std::vector<std::string> resources;
  std::uint32_t max_recv_size = 65536;
  auto* sim = app.add_option("--sim", sim_file, "Serve simulated instruments (from FILE.yaml, or the default set)")
                  ->expected(0, 1);
  app.add_option("--backend", backend_spec, "Backend to open resources with (e.g. @native, @sim, FILE@sim, a libvisa path)");
  app.add_option("--resource", resources, "Resource to serve (repeatable; default: every resource the backend lists)");
  app.add_option("--socket", socket_at, "Raw socket server at HOST:PORT (port 0 = free; one port per resource: PORT, PORT+1, ...)");
  app.add_option("--vxi11", vxi11_at, "VXI-11 server (core channel) at HOST:PORT (port 0 = free)");
  app.add_option("--portmapper", portmapper_at, "Portmapper (TCP and UDP) at HOST:PORT for the VXI-11 server");
  app.add_option("--max-recv-size", max_recv_size, "VXI-11 maxRecvSize announced to clients (>= 1024)");
  CLI11_PARSE(app, argc, argv);

  if (socket_at.empty() && vxi11_at.empty()) {
    fmt::print(stderr, "visa-serve: nothing to serve: give --socket and/or --vxi11\n");
    return 2;
  }
  if (!portmapper_at.empty() && vxi11_at.empty()) {
    fmt::print(stderr, "visa-serve: --portmapper needs --vxi11\n");
    return 2;
  }
  net::Endpoint socket_ep, vxi11_ep, portmapper_ep;
  if (!socket_at.empty() && !parse_endpoint(socket_at, "--socket", socket_ep)) return 2;
  if (!vxi11_at.empty() && !parse_endpoint(vxi11_at, "--vxi11", vxi11_ep)) return 2;
  if (!portmapper_at.empty() && !parse_endpoint(portmapper_at, "--portmapper", portmapper_ep)) return 2;
  if (backend_spec.empty()) backend_spec = sim->count() ? sim_file + "@sim" : "";

  // Block the signals before any thread starts, so that only sigwait() below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::shared_ptr<Backend> backend;
  session_t rm = 0;
  try {
    backend = open_backend(backend_spec);
  } catch (const std::exception& e) {
    fmt::print(stderr, "visa-serve: cannot open backend '{}': {}\n", backend_spec, e.what());
    return 1;
  }
  if (status_t st = backend->open_default_rm(rm); st < 0) {
    fmt::print(stderr, "visa-serve: cannot open a resource manager: {}\n", status_name(st));
    return 1;
  }
  const bool listed = resources.empty();
  if (listed) {
    backend->find_resources(rm, "?*", resources);
    if (resources.empty()) {
      fmt::print(stderr, "visa-serve: the backend lists no resources; name some with --resource\n");
      return 1;
    }
  }
  std::vector<Served> served;
  for (const auto& name : resources) {
    Served s;
    s.name = name;
    if (status_t st = backend->open(rm, name, AccessMode::no_lock, 2000, s.session); st < 0) {
      fmt::print(stderr, "visa-serve: cannot open {}: {}\n", name, status_name(st));
      if (!listed) return 1;  // a resource the user named must be served
      continue;
    }
    s.device = std::make_shared<serve::SessionDevice>(backend, s.session, name);
    served.push_back(std::move(s));
  }
  if (served.empty()) return 1;

  std::vector<std::unique_ptr<raw_socket::SocketServer>> socket_servers;
  std::unique_ptr<vxi11::Vxi11Server> vxi11_server;
  std::unique_ptr<oncrpc::PortmapperServer> portmapper;
  std::vector<std::string> lines;

  if (!socket_at.empty()) {
    for (std::size_t i = 0; i < served.size(); ++i) {
      raw_socket::SocketServer::Options o;
      o.host = socket_ep.host;
      o.port = socket_ep.port == 0 ? 0 : static_cast<std::uint16_t>(socket_ep.port + i);
      auto server = std::make_unique<raw_socket::SocketServer>(served[i].device, o);
      if (status_t st = server->start(); st < 0) {
        fmt::print(stderr, "visa-serve: cannot listen on {}:{}: {}\n", o.host, o.port, status_name(st));
        return 1;
      }
      lines.push_back(fmt::format("TCPIP::{}::{}::SOCKET serves {}", net::host_for_display(o.host), server->port(),
                                  served[i].name));
      socket_servers.push_back(std::move(server));
    }
  }
  if (!vxi11_at.empty()) {
    vxi11::Vxi11Server::Options o;
    o.host = vxi11_ep.host;
    o.core_port = vxi11_ep.port;
    o.max_recv_size = max_recv_size;
    vxi11_server = std::make_unique<vxi11::Vxi11Server>(o);
    std::vector<std::pair<std::string, std::string>> names;  // (device name, served resource)
    for (std::size_t i = 0; i < served.size(); ++i) {
      std::string inst = "inst" + std::to_string(i);
      vxi11_server->add_device(inst, served[i].device);
      names.emplace_back(inst, served[i].name);
      if (auto gw = gateway_name(served[i].name); !gw.empty()) {
        vxi11_server->add_device(gw, served[i].device);
        names.emplace_back(gw, served[i].name);
      }
    }
    if (status_t st = vxi11_server->start(); st < 0) {
      fmt::print(stderr, "visa-serve: cannot start the VXI-11 server on {}: {}\n", vxi11_at, status_name(st));
      return 1;
    }
    std::string host = net::host_for_display(vxi11_ep.host);
    if (!portmapper_at.empty()) {
      portmapper = std::make_unique<oncrpc::PortmapperServer>();
      if (status_t st = portmapper->start(portmapper_ep.host, portmapper_ep.port); st < 0) {
        fmt::print(stderr, "visa-serve: cannot start the portmapper on {} (port 111 needs root): {}\n", portmapper_at,
                   status_name(st));
        return 1;
      }
      vxi11_server->register_with(*portmapper);
      for (auto& [device, resource] : names)
        lines.push_back(fmt::format("TCPIP::{}::{}::INSTR serves {}", host, device, resource));
      if (portmapper->port() != oncrpc::pmap::default_port)
        fmt::print(stderr,
                   "visa-serve: portmapper on port {} (not 111): cppvisa clients need CPPVISA_PORTMAPPER_PORT={}; "
                   "or skip the portmapper with TCPIP::{}:{}::inst0::INSTR\n",
                   portmapper->port(), portmapper->port(), host, vxi11_server->core_port());
    } else {
      // No portmapper: the "host:port" form reaches the core channel directly (cppvisa; PyVISA-py
      // writes it "host,port").
      for (auto& [device, resource] : names)
        lines.push_back(
            fmt::format("TCPIP::{}:{}::{}::INSTR serves {}", host, vxi11_server->core_port(), device, resource));
    }
  }
  for (auto& line : lines) fmt::print("{}\n", line);
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  fmt::print(stderr, "visa-serve: {} received, stopping\n", received == SIGINT ? "SIGINT" : "SIGTERM");

  socket_servers.clear();  // stops them
  vxi11_server.reset();
  portmapper.reset();
  for (auto& s : served) {
    s.device.reset();
    backend->close(s.session);
  }
  backend->close(rm);
  return 0;
}
