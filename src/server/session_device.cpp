#include "server/session_device.hpp"

#include "core/session_backend.hpp"

#include <cppvisa/resource_name.hpp>

#include <algorithm>

namespace cppvisa::server {

namespace {
constexpr std::uint16_t vi_hndlr = 2;  // VI_HNDLR
}

SessionDevice::SessionDevice(std::shared_ptr<Backend> backend, session_t session, std::string resource_name,
                             Options options)
    : ServedDevice(options), backend_(std::move(backend)), session_(session), resource_name_(std::move(resource_name)) {
  // A gateway forwards message ends: END (or, for sockets, a pause in the data) ends a read.
  set(attr::SUPPRESS_END_EN, 0);
  std::error_code ec;
  auto parsed = ResourceName::parse(resource_name_, ec);
  is_socket_ = parsed && parsed->resource_class == "SOCKET";
  sessions_ = dynamic_cast<core::SessionBackend*>(backend_.get());
}

SessionDevice::~SessionDevice() { do_enable_service_requests(false); }

void SessionDevice::set(attr_id_t id, std::int64_t value) { backend_->set_attribute(session_, id, value); }

void SessionDevice::set_timeout(core::Deadline deadline) {
  std::int64_t ms = deadline.infinite() ? std::int64_t{tmo_infinite}
                                        : std::min<std::int64_t>(deadline.remaining().count(), tmo_infinite - 1);
  set(attr::TMO_VALUE, ms);
}

status_t SessionDevice::do_write(std::span<const std::byte> data, bool end, std::size_t& count,
                                 core::Deadline deadline) {
  count = 0;
  if (!message_started_) {
    // A new program message: bytes of an earlier response that this session buffered are stale
    // (IEEE 488.2 §6.3.2.3: a new message interrupts an unread response).
    backend_->flush(session_, buffer::read_buf_discard);
  }
  message_started_ = !end;
  set_timeout(deadline);
  set(attr::SEND_END_EN, end ? 1 : 0);
  status_t st = backend_->write(session_, data, count);
  // IEEE 488.2 §7.5: a program message ends with NL, NL^END or ^END. A raw socket cannot carry
  // END, so a message ended by END alone (as liblxi sends "*IDN?" over VXI-11) gets its NL here.
  if (st >= 0 && end && is_socket_ && (data.empty() || data.back() != std::byte{'\n'})) {
    static constexpr std::byte newline[1] = {std::byte{'\n'}};
    std::size_t n = 0;
    status_t nl = backend_->write(session_, newline, n);
    if (nl < 0) return nl;
  }
  return st;
}

status_t SessionDevice::do_read(std::span<std::byte> buffer, std::optional<std::byte> termchar, ReadResult& result,
                                core::Deadline deadline) {
  result = {};
  set_timeout(deadline);
  set(attr::TERMCHAR_EN, termchar ? 1 : 0);
  if (termchar) set(attr::TERMCHAR, static_cast<std::int64_t>(*termchar));
  status_t st = backend_->read(session_, buffer, result.count);
  result.end = st == status::SUCCESS;
  result.termchar = st == status::SUCCESS_TERM_CHAR;
  return st < 0 ? st : status::SUCCESS;
}

Output SessionDevice::do_output() {
  core::OutputState state = core::OutputState::unknown;
  if (!sessions_ || sessions_->output_state(session_, state) < 0) return Output::unknown;
  switch (state) {
    case core::OutputState::ready: return Output::ready;
    case core::OutputState::pending: return Output::pending;
    case core::OutputState::none: return Output::none;
    case core::OutputState::unknown: break;
  }
  return Output::unknown;
}

status_t SessionDevice::do_read_stb(std::uint8_t& stb, core::Deadline deadline) {
  set_timeout(deadline);
  std::uint16_t value = 0;
  status_t st = backend_->read_stb(session_, value);
  if (st >= 0) stb = static_cast<std::uint8_t>(value);
  return st;
}

status_t SessionDevice::do_trigger(core::Deadline deadline) {
  set_timeout(deadline);
  return backend_->assert_trigger(session_, TriggerProtocol::default_);
}

status_t SessionDevice::do_clear(core::Deadline deadline) {
  set_timeout(deadline);
  message_started_ = false;
  return backend_->clear(session_);
}

status_t SessionDevice::do_remote(core::Deadline deadline) {
  set_timeout(deadline);
  return backend_->gpib_control_ren(session_, RenMode::assert_);
}

status_t SessionDevice::do_local(core::Deadline deadline) {
  set_timeout(deadline);
  return backend_->gpib_control_ren(session_, RenMode::deassert_gtl);
}

void SessionDevice::do_abort() { backend_->terminate(session_, 0, 0); }

void SessionDevice::do_interrupt(core::Deadline) { backend_->flush(session_, buffer::read_buf_discard); }

status_t SessionDevice::on_event(session_t, event_type_t, session_t, void* user) {
  static_cast<SessionDevice*>(user)->service_requested();
  return status::SUCCESS;
}

void SessionDevice::do_enable_service_requests(bool on) {
  std::lock_guard lock(srq_mutex_);
  if (on == srq_installed_) return;
  if (on) {
    // A resource that cannot request service simply never calls the listeners.
    if (backend_->install_handler(session_, event::service_request, &SessionDevice::on_event, this) < 0) return;
    if (backend_->enable_event(session_, event::service_request, vi_hndlr) < 0) {
      backend_->uninstall_handler(session_, event::service_request, &SessionDevice::on_event, this);
      return;
    }
    srq_installed_ = true;
  } else {
    backend_->disable_event(session_, event::service_request, vi_hndlr);
    backend_->uninstall_handler(session_, event::service_request, &SessionDevice::on_event, this);
    srq_installed_ = false;
  }
}

}  // namespace cppvisa::server
