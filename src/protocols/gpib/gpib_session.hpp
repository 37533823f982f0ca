// gpib::GpibSession: what GPIB INSTR and INTFC sessions share over one libgpib descriptor (a
// device's from ibdev, or a board's): viRead through core::MessageReader over ibrd, viWrite over
// ibwrt with EOI per VI_ATTR_SEND_END_EN, the descriptor's timeout (ibtmo) and EOS mode kept in
// step with VI_ATTR_TMO_VALUE and the termination attributes, and libgpib errors as VISA statuses.
#pragma once

#include "core/message_reader.hpp"
#include "core/session.hpp"
#include "protocols/gpib/libgpib.hpp"
#include "protocols/gpib/event_monitor.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <set>

namespace cppvisa::gpib {

class GpibSession : public core::Session, private core::ByteSource {
 public:
  GpibSession(const ResourceName& name, std::set<event_type_t> events);
  ~GpibSession() override;

  /// viRead: ibrd straight into the caller's buffer; END is EOI (ibconfig EndBitIsNormal = 0,
  /// so that an EOS match is told from EOI); with TERMCHAR_EN the descriptor's EOS mode makes
  /// the bus transfer stop after the termination character (REOS, 8-bit compare).
  status_t read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) override;
  /// viWrite: ibwrt, the last byte sent with EOI when VI_ATTR_SEND_END_EN (ibconfig EOT).
  status_t write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) override;
  /// viFlush: input bits discard what this session received and has not read; output bits have
  /// nothing to do (ibwrt returns when the bytes are on the bus).
  status_t flush(std::uint16_t mask, core::Deadline deadline) override;
  /// ready when this session holds received bytes, else unknown (only the talker knows).
  core::OutputState output_state() override;
  /// Any event the session supports (the backend checked): starts the subclass's EventMonitor, once.
  void event_enabled(event_type_t type) override;

 protected:
  /// The library (set by connect of the subclasses; nullptr before).
  const Libgpib* lib() const noexcept { return lib_; }
  /// Adopts a descriptor (an ibdev result or a board index); -1 when none.
  void set_descriptor(const Libgpib* lib, int ud) noexcept;
  int descriptor() const noexcept { return ud_.load(); }
  /// ibtmo for `deadline` (nearest T-value not shorter than the time left), when it changed.
  status_t apply_timeout(core::Deadline deadline);
  /// The descriptor's EOS mode for the session's read termination, when it changed.
  status_t apply_termination();
  /// The status of the calling thread's last libgpib call (VI_SUCCESS unless ERR).
  status_t last_status() const { return lib_->last().status(); }
  /// The monitor that raises this session's events (event_enabled starts it once).
  virtual std::unique_ptr<EventMonitor> make_monitor() = 0;
  /// Stops the monitor (disconnect of the subclasses).
  void stop_monitor();

 private:
  status_t receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) override;

  const Libgpib* lib_ = nullptr;
  std::atomic<int> ud_{-1};
  int applied_tmo_ = -1;  // T-value last given to ibtmo
  int applied_eos_ = -1;  // EOS mode last configured
  int applied_eot_ = -1;  // EOT last configured
  core::MessageReader reader_;
  std::mutex monitor_mutex_;
  std::unique_ptr<EventMonitor> monitor_;
};

}  // namespace cppvisa::gpib
