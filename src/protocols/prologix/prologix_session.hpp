// prologix sessions of the native backend (docs/prologix.md):
// - IntfcSession: PRLGX-TCPIP[board]::host[::port]::INTFC and PRLGX-ASRL[board]::device::INTFC,
//   the adapter itself. Opening it connects and configures the adapter and makes GPIB<board>
//   INSTR names route through it. viWrite/viRead talk to the adapter raw (e.g. "++ver\n"; the
//   session's termination character is enabled by default, as the adapter answers in lines),
//   viGpibSendIFC sends ++ifc, VI_ATTR_GPIB_SRQ_STATE asks ++srq.
// - InstrSession: GPIB<board>::pad[::sad]::INSTR behind the open adapter of that board: write
//   (EOI per VI_ATTR_SEND_END_EN), read (see prologix_adapter.hpp for where a read ends),
//   viReadSTB (++spoll), viClear (++clr), viAssertTrigger (++trg), viGpibControlREN (++loc,
//   ++llo), service requests (the adapter's SRQ monitor), abort.
#pragma once

#include "core/message_reader.hpp"
#include "core/session.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/prologix/prologix_adapter.hpp"

#include <cppvisa/resource_name.hpp>

#include <memory>
#include <mutex>

namespace cppvisa::prologix {

/// Whether a GPIB INSTR name routes through an open Prologix adapter (one of its board number).
bool routes(const ResourceName& name);

/// A new session for a PRLGX INTFC name or a routed GPIB INSTR name (nullptr with `st` set:
/// VI_ERROR_RSRC_NFOUND when no adapter of the GPIB name's board is open any more).
std::unique_ptr<core::Session> make_session(const ResourceName& name, status_t& st);

class IntfcSession : public core::Session {
 public:
  explicit IntfcSession(const ResourceName& name);
  ~IntfcSession() override;

  status_t connect(core::Deadline deadline) override;
  void disconnect() override;
  status_t read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) override;
  status_t write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) override;
  status_t clear(core::Deadline deadline) override;
  status_t flush(std::uint16_t mask, core::Deadline deadline) override;
  status_t gpib_send_ifc(core::Deadline deadline) override;
  status_t abort() override;

 protected:
  status_t computed_attribute(attr_id_t id, AttrValue& value) override;

 private:
  /// The adapter, for attribute calls (which the backend does not serialise with close).
  std::shared_ptr<Adapter> adapter() const;

  mutable std::mutex adapter_mutex_;  // guards adapter_ itself
  std::shared_ptr<Adapter> adapter_;
  core::MessageReader reader_;
  net::Waker waker_;
  core::AbortGate gate_{[this] { waker_.wake(); }, [this] { waker_.reset(); }};
};

class InstrSession : public core::Session {
 public:
  explicit InstrSession(const ResourceName& name);
  ~InstrSession() override;

  status_t connect(core::Deadline deadline) override;
  void disconnect() override;
  status_t read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) override;
  status_t write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) override;
  status_t read_stb(std::uint16_t& stb, core::Deadline deadline) override;
  status_t clear(core::Deadline deadline) override;
  status_t assert_trigger(TriggerProtocol protocol, core::Deadline deadline) override;
  status_t flush(std::uint16_t mask, core::Deadline deadline) override;
  status_t gpib_control_ren(RenMode mode, core::Deadline deadline) override;
  void event_enabled(event_type_t type) override;
  status_t abort() override;

 private:
  Target target_;
  std::shared_ptr<Adapter> adapter_;
  core::MessageReader reader_;
  std::mutex srq_mutex_;
  std::uint64_t srq_listener_ = 0;
  std::optional<std::uint8_t> polled_stb_;  // taken by the SRQ monitor's serial poll, for the next viReadSTB
  net::Waker waker_;
  core::AbortGate gate_{[this] { waker_.wake(); }, [this] { waker_.reset(); }};
};

}  // namespace cppvisa::prologix
