#include "protocols/gpib/gpib_session.hpp"

#include "protocols/gpib/gpib_codes.hpp"

#include <algorithm>
#include <limits>

namespace cppvisa::gpib {

GpibSession::GpibSession(const ResourceName& name, std::set<event_type_t> events)
    : Session(name, std::move(events)) {}

GpibSession::~GpibSession() = default;

void GpibSession::set_descriptor(const Libgpib* lib, int ud) noexcept {
  lib_ = lib;
  ud_ = ud;
  applied_tmo_ = applied_eos_ = applied_eot_ = -1;
}

status_t GpibSession::apply_timeout(core::Deadline deadline) {
  std::uint32_t ms = tmo_infinite;
  if (!deadline.infinite())
    ms = static_cast<std::uint32_t>(std::min<long long>(deadline.remaining().count(), tmo_infinite - 1));
  const int code = timeout_code(ms);
  if (code == applied_tmo_) return status::SUCCESS;
  lib_->api().ibtmo(ud_, code);
  if (status_t st = last_status(); st < 0) return st;
  applied_tmo_ = code;
  return status::SUCCESS;
}

status_t GpibSession::apply_termination() {
  const core::ReadTermination term = read_termination();
  const int mode = eos_mode(term);
  if (mode == applied_eos_) return status::SUCCESS;
  const auto& api = lib_->api();
  // EOSchar, EOScmp (8-bit compare) and EOSrd (stop reads on EOS); EOS never ends a write:
  // VISA's END on writes is EOI only (VI_ATTR_SEND_END_EN).
  api.ibconfig(ud_, opt::EOSchar, mode & 0xFF);
  if (status_t st = last_status(); st < 0) return st;
  api.ibconfig(ud_, opt::EOScmp, (mode & eos::BIN) ? 1 : 0);
  if (status_t st = last_status(); st < 0) return st;
  api.ibconfig(ud_, opt::EOSrd, (mode & eos::REOS) ? 1 : 0);
  if (status_t st = last_status(); st < 0) return st;
  applied_eos_ = mode;
  return status::SUCCESS;
}

status_t GpibSession::receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) {
  count = 0;
  end = false;
  if (status_t st = apply_timeout(deadline); st < 0) return st;
  const long want = static_cast<long>(std::min<std::size_t>(buffer.size(), std::numeric_limits<int>::max()));
  lib_->api().ibrd(ud_, buffer.data(), want);
  const CallResult r = lib_->last();
  count = static_cast<std::size_t>(std::clamp<long>(r.count, 0, want));
  if (r.failed()) {
    // A timeout after some bytes: they are data (the reader keeps them and times out next).
    if (count > 0 && (r.ibsta & sta::TIMO)) return status::SUCCESS;
    count = 0;
    return r.status();
  }
  end = (r.ibsta & sta::END) != 0;
  return status::SUCCESS;
}

status_t GpibSession::read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (!lib_ || ud_ < 0) return status::ERROR_CONN_LOST;
  if (status_t st = apply_termination(); st < 0) return st;
  return reader_.read(*this, buffer, count, read_termination(), deadline);
}

status_t GpibSession::write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (!lib_ || ud_ < 0) return status::ERROR_CONN_LOST;
  const int eot = send_end() ? 1 : 0;
  if (eot != applied_eot_) {
    lib_->api().ibconfig(ud_, opt::EOT, eot);
    if (status_t st = last_status(); st < 0) return st;
    applied_eot_ = eot;
  }
  if (status_t st = apply_timeout(deadline); st < 0) return st;
  lib_->api().ibwrt(ud_, data.data(), static_cast<long>(data.size()));
  const CallResult r = lib_->last();
  count = static_cast<std::size_t>(std::clamp<long>(r.count, 0, static_cast<long>(data.size())));
  if (r.failed()) return r.status();
  return status::SUCCESS;
}

status_t GpibSession::flush(std::uint16_t mask, core::Deadline) {
  if (mask == 0 || (mask & ~0xFFu)) return status::ERROR_INV_MASK;
  constexpr std::uint16_t input = buffer::read_buf | buffer::read_buf_discard | buffer::io_in_buf |
                                  buffer::io_in_buf_discard;
  if (mask & input) reader_.discard();
  return status::SUCCESS;
}

core::OutputState GpibSession::output_state() {
  return reader_.buffered() > 0 ? core::OutputState::ready : core::OutputState::unknown;
}


void GpibSession::event_enabled(event_type_t) {
  if (!lib_ || ud_ < 0) return;
  std::lock_guard guard(monitor_mutex_);
  if (!monitor_) monitor_ = make_monitor();
}

void GpibSession::stop_monitor() {
  std::lock_guard guard(monitor_mutex_);
  monitor_.reset();
}

}  // namespace cppvisa::gpib
