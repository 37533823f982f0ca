// visa-serve's bridge: a server::ServedDevice over one session of any cppvisa Backend.
// NOTE: this is the tool's own minimal adapter, written before src/server's general adapter
// existed; once that lands, visa-serve should use it and this file can go.
#pragma once

#include "server/served_device.hpp"

#include <cppvisa/backend.hpp>

#include <memory>
#include <mutex>
#include <thread>
#include <string>

namespace cppvisa::serve {

class SessionDevice : public server::ServedDevice {
 public:
  /// Serves `session` (opened on `backend`, closed by the caller after this object is gone).
  SessionDevice(std::shared_ptr<Backend> backend, session_t session, std::string resource_name);
  ~SessionDevice() override;

  status_t write(std::span<const std::byte> data, bool end, std::size_t& count, core::Deadline deadline) override;
  status_t read(std::span<std::byte> buffer, std::optional<std::byte> termchar, server::ReadResult& result,
                core::Deadline deadline) override;
  status_t read_stb(std::uint8_t& stb, core::Deadline deadline) override;
  status_t trigger(core::Deadline deadline) override;
  status_t clear(core::Deadline deadline) override;
  status_t remote(core::Deadline deadline) override;
  status_t local(core::Deadline deadline) override;
  void abort() override;
  void set_service_request_handler(std::function<void()> handler) override;
  std::string description() const override { return resource_name_; }

 private:
  static status_t on_event(session_t session, event_type_t type, session_t context, void* user);
  void set_timeout(core::Deadline deadline);
  void set(attr_id_t id, std::int64_t value);

  std::shared_ptr<Backend> backend_;
  session_t session_;
  std::string resource_name_;
  std::mutex io_mutex_;
  // The thread that wrote last: one device may be served over several protocols at once, and a
  // server polling for unsolicited output (the raw-socket server) must not take the answer to a
  // question another connection asked. Each connection reads and writes on its own thread.
  std::thread::id last_writer_;
  std::mutex handler_mutex_;
  std::function<void()> srq_handler_;
  bool handler_installed_ = false;
  bool is_socket_ = false;  // the served resource is a raw socket (no END on the wire)
};

}  // namespace cppvisa::serve
