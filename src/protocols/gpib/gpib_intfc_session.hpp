// gpib::GpibIntfcSession: GPIB[board]::INTFC, the board itself (its descriptor is the board
// index, as linux-gpib numbers board descriptors 0..15). viGpibCommand = ibcmd, viGpibSendIFC =
// ibsic, viGpibControlATN = ibcac / ibgts, viGpibPassControl = ibpct on a descriptor of the
// new controller, viGpibControlREN = ibsre (and GTL / LLO); viRead/viWrite are the board's own
// ibrd/ibwrt (after the caller addressed it with viGpibCommand). VI_ATTR_GPIB_*: the bus lines
// from iblines, CIC and addressed state from ibsta, system controller, addresses, HS488 cable
// length and the status byte the board answers serial polls with (ibask / ibconfig).
// Events (EventMonitor on the board's status): VI_EVENT_SERVICE_REQ when SRQ is asserted,
// VI_EVENT_GPIB_CIC when the board becomes or stops being controller-in-charge (with
// VI_ATTR_GPIB_RECV_CIC_STATE), VI_EVENT_GPIB_TALK / _LISTEN when it is addressed to talk / listen.
#pragma once

#include "protocols/gpib/gpib_session.hpp"


namespace cppvisa::gpib {

class GpibIntfcSession : public GpibSession {
 public:
  explicit GpibIntfcSession(const ResourceName& name);
  ~GpibIntfcSession() override;

  /// Checks the board answers (ibask PAD): else VI_ERROR_INTF_NUM_NCONFIG (ENEB) or the error.
  status_t connect(core::Deadline deadline) override;
  void disconnect() override;

  status_t gpib_command(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) override;
  status_t gpib_send_ifc(core::Deadline deadline) override;
  status_t gpib_control_atn(std::uint16_t mode, core::Deadline deadline) override;
  status_t gpib_pass_control(std::uint16_t primary, std::uint16_t secondary, core::Deadline deadline) override;
  /// DEASSERT, ASSERT, ASSERT_LLO (LLO to all), DEASSERT_GTL (GTL to the addressed listeners);
  /// the modes that address one device are for INSTR sessions: VI_ERROR_INV_MODE.
  status_t gpib_control_ren(RenMode mode, core::Deadline deadline) override;

 protected:
  std::unique_ptr<EventMonitor> make_monitor() override;
  status_t validate_attribute(attr_id_t id, const AttrValue& value) override;
  status_t computed_attribute(attr_id_t id, AttrValue& value) override;

 private:
  status_t ask(int option, int& value) const;
  int board_ = 0;
};

}  // namespace cppvisa::gpib
