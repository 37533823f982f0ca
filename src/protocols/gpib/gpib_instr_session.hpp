// gpib::GpibInstrSession: GPIB[board]::primary[::secondary]::INSTR over linux-gpib (docs/gpib.md).
// - connect: ibdev(board, pad, sad, T-value of the open timeout, EOI per SEND_END_EN, EOS per the
//   termination); secondary 0 is looked up (below); EndBitIsNormal off (END = EOI only);
// - viReadSTB = ibrsp, viClear = ibclr (SDC), viAssertTrigger = ibtrg (GET), viGpibControlREN
//   = ibsre / ibloc / address and LLO command bytes on the board;
// - VI_EVENT_SERVICE_REQ: an EventMonitor (ibwait RQS) while the event is enabled;
// - VI_ATTR_GPIB_PRIMARY/SECONDARY_ADDR, READDR_EN, UNADDR_EN are applied with ibconfig,
//   VI_ATTR_GPIB_REN_STATE comes from iblines.
// Secondary address 0: PyVISA 1.11 rewrites "GPIB0::8::INSTR" into "GPIB0::8::0::INSTR" before
// viOpen, so a secondary address 0 may mean "none". connect asks the bus (ibln) whether a device
// listens at secondary 0 of that primary address; when none does, the session addresses the
// primary address alone, and VI_ATTR_GPIB_SECONDARY_ADDR reads VI_NO_SEC_ADDR.
// abort() is not supported: linux-gpib's ibstop stops asynchronous I/O only, and a synchronous
// ibrd/ibwrt in another thread cannot be interrupted (the call ends at its ibtmo timeout).
#pragma once

#include "protocols/gpib/gpib_session.hpp"

#include <atomic>


namespace cppvisa::gpib {

class GpibInstrSession : public GpibSession {
 public:
  explicit GpibInstrSession(const ResourceName& name);
  ~GpibInstrSession() override;

  status_t connect(core::Deadline deadline) override;
  void disconnect() override;

  status_t read_stb(std::uint16_t& stb, core::Deadline deadline) override;
  status_t clear(core::Deadline deadline) override;
  status_t assert_trigger(TriggerProtocol protocol, core::Deadline deadline) override;
  status_t gpib_control_ren(RenMode mode, core::Deadline deadline) override;

 protected:
  std::unique_ptr<EventMonitor> make_monitor() override;
  status_t validate_attribute(attr_id_t id, const AttrValue& value) override;
  status_t computed_attribute(attr_id_t id, AttrValue& value) override;

 private:
  /// UNL, the device's listen address (and secondary), then `extra`, on the board.
  status_t address_as_listener(std::initializer_list<std::uint8_t> extra);
  int board_ = 0;
  std::atomic<int> pad_{0};  // atomic: attribute calls change it beside an operation
  std::atomic<int> sad_{0};  // ibdev's sad: 0 none, else 0x60 + secondary
};

}  // namespace cppvisa::gpib
