// The `native` backend: cppvisa's own protocol stacks, as core::Session classes.
// LAN: `TCPIP::host::port::SOCKET` (raw_socket::SocketSession) and `TCPIP::host[::name]::INSTR`
// over VXI-11 (vxi11::Vxi11Session). viTerminate aborts a VXI-11 call blocked in another thread.
// list_resources returns nothing for LAN (discovery is separate).
#pragma once

#include "core/session_backend.hpp"

#include <map>
#include <memory>
#include <mutex>

namespace cppvisa::vxi11 {
class Vxi11Session;
}

namespace cppvisa::native {

class NativeBackend : public core::SessionBackend {
 public:
  NativeBackend();
  ~NativeBackend() override;

  std::string name() const override { return "native"; }
  std::string library_path() const override { return "built-in"; }
  std::vector<std::string> debug_info() const override;

  std::vector<std::string> list_resources(session_t rm) override;
  std::unique_ptr<core::Session> create_session(session_t rm, const ResourceName& name, status_t& st) override;

  /// viTerminate: aborts the VXI-11 call in progress on `session` (device_abort on the abort
  /// channel); the blocked operation returns VI_ERROR_ABORT.
  status_t terminate(session_t session, std::uint16_t degree, std::uint32_t job_id) override;

 private:
  // Connected VXI-11 sessions by handle (shared with the sessions' observers, which may outlive
  // nothing: a session removes itself at disconnect, before it is destroyed).
  struct Abortable {
    std::mutex mutex;
    std::map<session_t, vxi11::Vxi11Session*> sessions;
  };
  std::shared_ptr<Abortable> abortable_ = std::make_shared<Abortable>();
};

/// A new native backend.
std::shared_ptr<Backend> make_backend();

}  // namespace cppvisa::native
