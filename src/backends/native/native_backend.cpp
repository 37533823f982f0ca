#include "backends/native/native_backend.hpp"

#include "protocols/hislip/hislip_session.hpp"
#include "protocols/oncrpc/portmapper.hpp"
#include "protocols/serial/serial_session.hpp"
#include "protocols/socket/socket_session.hpp"
#include "protocols/vxi11/vxi11_session.hpp"

#include <string>

namespace cppvisa::native {

NativeBackend::NativeBackend() = default;
NativeBackend::~NativeBackend() = default;

std::vector<std::string> NativeBackend::debug_info() const {
  return {"cppvisa native backend (built-in protocol stacks)",
          "LAN: TCPIP SOCKET, TCPIP INSTR over VXI-11 and HiSLIP",
          "Serial: ASRL INSTR (termios)",
          "VXI-11 portmapper port: " + std::to_string(oncrpc::portmapper_port()) +
              " (CPPVISA_PORTMAPPER_PORT overrides 111)"};
}

std::vector<std::string> NativeBackend::list_resources(session_t) {
  // Serial ports are found on the machine; LAN instruments need discovery (not yet).
  return serial::list_ports();
}

std::unique_ptr<core::Session> NativeBackend::create_session(session_t, const ResourceName& name, status_t& st) {
  st = status::SUCCESS;
  if (name.interface_type == InterfaceType::tcpip) {
    if (name.resource_class == "SOCKET") return std::make_unique<raw_socket::SocketSession>(name);
    if (name.resource_class == "INSTR") {
      if (name.is_hislip()) return hislip::make_session(name, st);
      auto session = std::make_unique<vxi11::Vxi11Session>(name);
      std::weak_ptr<Abortable> registry = abortable_;
      session->set_lifecycle_observer([registry](vxi11::Vxi11Session& s, bool connected) {
        auto r = registry.lock();
        if (!r) return;
        std::lock_guard lock(r->mutex);
        if (connected)
          r->sessions[s.handle()] = &s;
        else
          r->sessions.erase(s.handle());
      });
      return session;
    }
  }
  if (name.interface_type == InterfaceType::asrl && name.resource_class == "INSTR") return serial::make_session(name, st);
  st = status::ERROR_RSRC_NFOUND;
  return nullptr;
}

status_t NativeBackend::terminate(session_t session, std::uint16_t degree, std::uint32_t job_id) {
  std::lock_guard lock(abortable_->mutex);
  auto it = abortable_->sessions.find(session);
  if (it == abortable_->sessions.end()) return SessionBackend::terminate(session, degree, job_id);
  // Held under the registry mutex so that the session cannot disconnect meanwhile.
  return it->second->abort();
}

std::shared_ptr<Backend> make_backend() { return std::make_shared<NativeBackend>(); }

}  // namespace cppvisa::native
