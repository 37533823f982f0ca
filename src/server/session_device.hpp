// server::SessionDevice: a ServedDevice over one session of any cppvisa Backend (simulated
// instruments, serial ports, USB, GPIB, another LAN instrument): what a gateway serves.
#pragma once

#include "server/served_device.hpp"

#include <cppvisa/backend.hpp>

namespace cppvisa::core {
class SessionBackend;
}

#include <memory>
#include <mutex>
#include <string>

namespace cppvisa::server {

class SessionDevice final : public ServedDevice {
 public:
  /// Serves `session`, opened on `backend`; the caller closes the session after this object is gone.
  SessionDevice(std::shared_ptr<Backend> backend, session_t session, std::string resource_name,
                Options options = {});
  ~SessionDevice() override;

  std::string description() const override { return resource_name_; }
  const std::string& resource_name() const noexcept { return resource_name_; }

 protected:
  status_t do_write(std::span<const std::byte> data, bool end, std::size_t& count, core::Deadline deadline) override;
  status_t do_read(std::span<std::byte> buffer, std::optional<std::byte> termchar, ReadResult& result,
                   core::Deadline deadline) override;
  /// The session's own knowledge (core::Session::output_state) on cppvisa's backends; unknown on a vendor library.
  Output do_output() override;
  status_t do_read_stb(std::uint8_t& stb, core::Deadline deadline) override;
  status_t do_trigger(core::Deadline deadline) override;
  status_t do_clear(core::Deadline deadline) override;
  status_t do_remote(core::Deadline deadline) override;
  status_t do_local(core::Deadline deadline) override;
  void do_abort() override;
  /// Drops what this session buffered; the instrument itself discards its unread response when
  /// the next message arrives and reports it (IEEE 488.2 §6.3.2.3: the simulated ones do).
  void do_interrupt(core::Deadline deadline) override;
  void do_enable_service_requests(bool on) override;

 private:
  static status_t on_event(session_t session, event_type_t type, session_t context, void* user);
  void set_timeout(core::Deadline deadline);
  void set(attr_id_t id, std::int64_t value);

  std::shared_ptr<Backend> backend_;
  core::SessionBackend* sessions_ = nullptr;  // backend_ when it is built from core::Session objects
  session_t session_;
  std::string resource_name_;
  bool is_socket_ = false;      // the served resource is a raw socket (no END on the wire)
  bool message_started_ = false;  // a program message is being written (no END yet)
  std::mutex srq_mutex_;        // serialises enabling/disabling the SRQ handler
  bool srq_installed_ = false;
};

}  // namespace cppvisa::server
