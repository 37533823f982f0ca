#include "backends/native/transports.hpp"

#include <cctype>

#include "protocols/gpib/gpib_resources.hpp"
#include "protocols/hislip/hislip_session.hpp"
#include "protocols/prologix/prologix_session.hpp"
#include "protocols/serial/serial_session.hpp"
#include "protocols/socket/socket_session.hpp"
#include "protocols/usbtmc/usbtmc_resources.hpp"
#include "protocols/vicp/vicp_session.hpp"
#include "protocols/vxi11/vxi11_session.hpp"

namespace cppvisa::native {
namespace {

bool is_tcpip(const ResourceName& n, const char* cls) {
  return n.interface_type == InterfaceType::tcpip && n.resource_class == cls;
}

const Transport kBuiltin[] = {
    {
        .name = "raw socket",
        .resources = "TCPIP::host::port::SOCKET",
        .opens = [](const ResourceName& n) { return is_tcpip(n, "SOCKET"); },
        .create = [](const ResourceName& n, status_t& st) -> std::unique_ptr<core::Session> {
          st = status::SUCCESS;
          return std::make_unique<raw_socket::SocketSession>(n);
        },
    },
    {
        .name = "HiSLIP",
        .resources = "TCPIP::host::hislipN[,port]::INSTR",
        .opens = [](const ResourceName& n) { return is_tcpip(n, "INSTR") && n.is_hislip(); },
        .create = [](const ResourceName& n, status_t& st) { return hislip::make_session(n, st); },
    },
    {
        .name = "VXI-11",
        .resources = "TCPIP::host[::device]::INSTR",
        .opens = [](const ResourceName& n) { return is_tcpip(n, "INSTR") && !n.is_hislip(); },
        .create = [](const ResourceName& n, status_t& st) -> std::unique_ptr<core::Session> {
          st = status::SUCCESS;
          return std::make_unique<vxi11::Vxi11Session>(n);
        },
    },
    {
        .name = "serial",
        .resources = "ASRL<n or device path>::INSTR (termios)",
        .opens = [](const ResourceName& n) {
          return n.interface_type == InterfaceType::asrl && n.resource_class == "INSTR";
        },
        .create = [](const ResourceName& n, status_t& st) { return serial::make_session(n, st); },
        .list = [](const ListRequest&) { return serial::list_ports(); },
    },
    {
        .name = "USBTMC / USB RAW",
        .resources = "USB[board]::vid::pid::serial[::interface]::INSTR and ::RAW (libusb)",
        .opens = [](const ResourceName& n) {
          return n.interface_type == InterfaceType::usb && (n.resource_class == "INSTR" || n.resource_class == "RAW");
        },
        .create = [](const ResourceName& n, status_t& st) { return usbtmc::make_session(n, st); },
        .list = [](const ListRequest& r) { return usbtmc::list_resources(r.names_class("RAW")); },
        // availability() names a static text (the missing dependency).
        .unavailable = []() -> const char* { return usbtmc::available() ? nullptr : usbtmc::availability().data(); },
    },
    {
        .name = "VICP",
        .resources = "VICP[board]::host[:port]::INSTR (Teledyne LeCroy, port 1861)",
        .opens = [](const ResourceName& n) { return n.interface_type == InterfaceType::vicp; },
        .create = [](const ResourceName& n, status_t& st) -> std::unique_ptr<core::Session> {
          st = status::SUCCESS;
          return std::make_unique<vicp::VicpSession>(n);
        },
    },
    {
        .name = "Prologix adapter",
        .resources = "PRLGX-TCPIP[board]::host[::port]::INTFC, PRLGX-ASRL[board]::device::INTFC",
        .opens = [](const ResourceName& n) {
          return n.interface_type == InterfaceType::prlgx_tcpip || n.interface_type == InterfaceType::prlgx_asrl;
        },
        .create = [](const ResourceName& n, status_t& st) { return prologix::make_session(n, st); },
    },
    {
        // Before any other GPIB row: a GPIB<n> INSTR name goes through the Prologix adapter of
        // board n while one is open (as PyVISA-py routes them), else to the rows after this one.
        .name = "GPIB via Prologix",
        .resources = "GPIB<board>::pad[::sad]::INSTR while PRLGX-*<board>::...::INTFC is open",
        .opens = [](const ResourceName& n) { return prologix::routes(n); },
        .create = [](const ResourceName& n, status_t& st) { return prologix::make_session(n, st); },
    },
    // Keep GPIB (linux-gpib) last: rows before it may claim GPIB names of other boards
    // (a Prologix adapter's).
    {
        .name = "GPIB (linux-gpib)",
        .resources = "GPIB[board]::primary[::secondary]::INSTR and GPIB[board]::INTFC (libgpib.so.0, "
                     "CPPVISA_LIBGPIB)",
        .opens = [](const ResourceName& n) {
          return n.interface_type == InterfaceType::gpib && (n.resource_class == "INSTR" || n.resource_class == "INTFC");
        },
        .create = [](const ResourceName& n, status_t& st) { return gpib::make_session(n, st); },
        .list = [](const ListRequest&) { return gpib::list_resources(); },
        .unavailable = [] { return gpib::unavailable(); },
        .detail = [] { return gpib::found_at(); },
    },
};

}  // namespace

std::span<const Transport> builtin_transports() { return kBuiltin; }

bool ListRequest::names_class(std::string_view cls) const {
  if (cls.empty() || expression.size() < cls.size()) return false;
  for (std::size_t i = 0; i + cls.size() <= expression.size(); ++i) {
    bool same = true;
    for (std::size_t k = 0; k < cls.size() && same; ++k)
      same = std::toupper(static_cast<unsigned char>(expression[i + k])) == std::toupper(static_cast<unsigned char>(cls[k]));
    if (same) return true;
  }
  return false;
}

const Transport* find_transport(std::span<const Transport> table, const ResourceName& name) {
  for (const auto& t : table)
    if (t.opens && t.opens(name)) return &t;
  return nullptr;
}

}  // namespace cppvisa::native
