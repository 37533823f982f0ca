#include "protocols/vxi11/vxi11_session.hpp"

#include "core/error_detail.hpp"
#include "protocols/oncrpc/portmapper.hpp"

#include <algorithm>
#include <cstdlib>

namespace cppvisa::vxi11 {


Vxi11Session::Vxi11Session(const ResourceName& name) : Session(name, {event::service_request}) {
  std::string device = name.lan_device_name();
  if (device.empty()) device = "inst0";
  define(attr::TCPIP_ADDR, name.host_address());
  define(attr::TCPIP_HOSTNAME, name.host_address());
  define(attr::TCPIP_DEVICE_NAME, device);
  define(attr::TCPIP_IS_HISLIP, std::int64_t{0});
}

Vxi11Session::~Vxi11Session() = default;

status_t Vxi11Session::connect(core::Deadline deadline) {
  Vxi11Client::Target target;
  target.host = name().host_address();
  // "host,port" (PyVISA-py's form) and "host:port" skip the portmapper and connect to that core
  // port. (An IPv6 host is bracketed in the name, so several colons never mean a port.)
  auto separator = target.host.find(',');
  if (separator == std::string::npos && std::count(target.host.begin(), target.host.end(), ':') == 1)
    separator = target.host.find(':');
  if (separator != std::string::npos) {
    std::string port_text = target.host.substr(separator + 1);
    target.host.resize(separator);
    char* end = nullptr;
    long port = std::strtol(port_text.c_str(), &end, 10);
    if (port_text.empty() || *end != '\0' || port <= 0 || port > 65535) return status::ERROR_INV_RSRC_NAME;
    target.core_port = static_cast<std::uint16_t>(port);
  }
  if (target.host.empty()) return status::ERROR_INV_RSRC_NAME;
  target.device_name = name().lan_device_name();
  if (target.device_name.empty()) target.device_name = "inst0";
  target.portmapper_port = oncrpc::portmapper_port();
  return client_.open(target, deadline);
}

void Vxi11Session::disconnect() { client_.close(); }

status_t Vxi11Session::read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) {
  core::AbortGate::Scope op(gate_);
  return client_.read(buffer, count, read_termination(), deadline);
}

status_t Vxi11Session::read_step(std::span<std::byte> buffer, std::size_t& count, ReadStep& step) {
  core::AbortGate::Scope op(gate_);
  step.wait_fd = -1;
  bool pending = false;
  core::Deadline until = core::Deadline::never();
  status_t st = client_.read_step(buffer, count, read_termination(), core::Deadline::at(step.deadline), step.resumed,
                                  until, pending);
  if (pending) {
    step.wait_fd = client_.core_fd();
    step.wait_until = until.when();
    if (step.wait_fd < 0) return core::fail(status::ERROR_CONN_LOST, "VXI-11: the core channel closed during the read");
  }
  return st;
}

status_t Vxi11Session::write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) {
  core::AbortGate::Scope op(gate_);
  return client_.write(data, send_end(), count, deadline);
}

status_t Vxi11Session::read_stb(std::uint16_t& stb, core::Deadline deadline) {
  std::uint8_t value = 0;
  core::AbortGate::Scope op(gate_);
  status_t st = client_.read_stb(value, deadline);
  if (st >= 0) stb = value;
  return st;
}

status_t Vxi11Session::clear(core::Deadline deadline) {
  core::AbortGate::Scope op(gate_);
  return client_.clear(deadline);
}

status_t Vxi11Session::assert_trigger(TriggerProtocol protocol, core::Deadline deadline) {
  if (protocol != TriggerProtocol::default_) return status::ERROR_INV_PROT;
  core::AbortGate::Scope op(gate_);
  return client_.trigger(deadline);
}

status_t Vxi11Session::gpib_control_ren(RenMode mode, core::Deadline deadline) {
  switch (mode) {
    case RenMode::assert_:
    case RenMode::assert_address:
    case RenMode::assert_llo:
    case RenMode::assert_address_llo: return client_.remote(deadline);
    case RenMode::deassert:
    case RenMode::deassert_gtl:
    case RenMode::address_gtl: return client_.local(deadline);
  }
  return status::ERROR_INV_MODE;
}

status_t Vxi11Session::device_lock(AccessMode type, std::string_view, core::Deadline deadline) {
  // VXI-11 carries exclusive locks only (see the header): a shared lock is the library's alone.
  if (type != AccessMode::exclusive_lock || device_locked_) return status::SUCCESS;
  core::AbortGate::Scope op(gate_);
  const std::uint32_t wait_ms = remaining_ms(deadline);
  status_t st = client_.lock(wait_ms);
  // VXI-11 answers a wait that ran out as it answers "locked now": error 11 (B.6.9). viLock says
  // VI_ERROR_TMO for a lock not granted within a timeout, VI_ERROR_RSRC_LOCKED only without one.
  if (st == status::ERROR_RSRC_LOCKED && wait_ms > 0)
    return core::fail(status::ERROR_TMO, "VXI-11 device_lock: another link kept the instrument's lock for the whole "
                                         "lock timeout (error 11)");
  if (st < 0) return st;
  device_locked_ = true;
  return status::SUCCESS;
}

status_t Vxi11Session::device_unlock(AccessMode type) {
  if (type != AccessMode::exclusive_lock || !device_locked_) return status::SUCCESS;
  device_locked_ = false;
  return client_.unlock();
}

void Vxi11Session::event_enabled(event_type_t type) {
  if (type != event::service_request && type != event::all_enabled) return;
  // Best effort: an instrument without an interrupt channel simply never raises the event.
  client_.enable_srq([this] { raise_event(std::make_shared<core::Event>(event::service_request)); });
}

status_t Vxi11Session::abort() {
  // The gate only tells whether a call is in progress; the RPC goes out of its lock (it may take
  // a while). A call that ends meanwhile is harmless: VXI-11's device_abort terminates only the
  // link's in-progress core call, never a queued or later one.
  // An asynchronous read parked in the reactor (no call in progress on a thread) has its
  // device_read waiting at the instrument: that one is aborted too.
  const bool parked_read = client_.read_outstanding();
  if (!gate_.abort() && !parked_read) return status::SUCCESS;
  return client_.abort();
}

}  // namespace cppvisa::vxi11
