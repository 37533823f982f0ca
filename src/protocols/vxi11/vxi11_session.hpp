// vxi11::Vxi11Session: a `TCPIP[board]::host[::lan_device_name][::INSTR]` session over VXI-11,
// built on vxi11::Vxi11Client.
// - the portmapper is asked on port 111, or $CPPVISA_PORTMAPPER_PORT (oncrpc::portmapper_port());
//   a host written "host:port" or "host,port" (PyVISA-py's extension) connects straight to that
//   core port;
// - the device name is passed verbatim to create_link ("inst0" by default, "gpib0,5" for gateways);
// - viWrite honours VI_ATTR_SEND_END_EN (END on the last piece only when it is set);
// - viRead sends termChar when VI_ATTR_TERMCHAR_EN; VI_ATTR_SUPPRESS_END_EN ignores END;
// - viLock(exclusive) also locks the device (device_lock with waitlock and the rest of the lock
//   timeout, the RPC waiting that long plus a margin), so sessions in other processes and machines
//   are excluded; viUnlock of the last exclusive level sends device_unlock. VXI-11's lock is
//   exclusive only (B.6.9): a shared lock is the library's alone, between the sessions of this
//   process, as NI-VISA documents it ("exclusive lock requests can be sent to a device, but shared
//   locks can only be handled locally"). A sharer's I/O while another client holds the device
//   lock gets VI_ERROR_RSRC_LOCKED from the instrument;
// - closing a session whose device_lock waits sends device_abort on the abort channel: the wait
//   ends at once (error 23);
// - viEnableEvent(VI_EVENT_SERVICE_REQ) sets up the interrupt channel; each device_intr_srq
//   raises a service-request event;
// - abort() cancels a call blocked in another thread over the abort channel (viTerminate), or
//   the device_read of an asynchronous read waiting in the reactor; with neither it sends
//   nothing (VI_SUCCESS);
// - output_state() is unknown: VXI-11 cannot ask whether output waits without reading it
//   (device_readstb's MAV bit is the instrument's, and a serial poll disturbs RQS).
#pragma once

#include "core/session.hpp"
#include "protocols/vxi11/vxi11_client.hpp"


namespace cppvisa::vxi11 {

class Vxi11Session : public core::Session {
 public:
  explicit Vxi11Session(const ResourceName& name);
  ~Vxi11Session() override;

  status_t connect(core::Deadline deadline) override;
  void disconnect() override;
  status_t read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) override;
  /// An asynchronous read's step (Vxi11Client::read_step): the device_read goes out on the first
  /// step and its reply is waited for on the core channel's socket, without a thread.
  status_t read_step(std::span<std::byte> buffer, std::size_t& count, ReadStep& step) override;
  status_t write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) override;
  status_t read_stb(std::uint16_t& stb, core::Deadline deadline) override;
  status_t clear(core::Deadline deadline) override;
  status_t assert_trigger(TriggerProtocol protocol, core::Deadline deadline) override;
  status_t gpib_control_ren(RenMode mode, core::Deadline deadline) override;
  status_t device_lock(AccessMode type, std::string_view key, core::Deadline deadline) override;
  status_t device_unlock(AccessMode type) override;
  void event_enabled(event_type_t type) override;

  /// Aborts the operation in progress in another thread (device_abort on the abort channel; the
  /// blocked call returns VI_ERROR_ABORT). VI_SUCCESS and nothing sent when no call is in
  /// progress. Thread-safe.
  status_t abort() override;

  /// The client (for tests).
  Vxi11Client& client() noexcept { return client_; }

 private:
  Vxi11Client client_;
  bool device_locked_ = false;
  core::AbortGate gate_{nullptr, nullptr};  // only tells whether a call is in progress
};

}  // namespace cppvisa::vxi11
