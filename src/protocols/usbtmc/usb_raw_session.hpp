// usbtmc::UsbRawSession: a `USB[board]::vid::pid::serial[::interface]::RAW` session: bytes straight
// to and from the bulk pipes of one interface, no USBTMC framing (VPP-4.3 USB RAW; pyvisa-py
// `usbraw.py` for the behaviour users expect).
// - viWrite: one Bulk-OUT transfer to VI_ATTR_USB_BULK_OUT_PIPE;
// - viRead: Bulk-IN transfers from VI_ATTR_USB_BULK_IN_PIPE in whole packets (a caller buffer
//   smaller than a packet is served from a packet-sized buffer, the rest kept for the next read);
//   END per VI_ATTR_USB_END_IN: VI_USB_END_NONE (0) never, VI_USB_END_SHORT (4) and
//   VI_USB_END_SHORT_OR_COUNT (5, the default) on a short or zero-length packet;
// - the pipe attributes accept only endpoints of the interface with the right type and direction;
// - interrupt-IN packets (VI_ATTR_USB_INTR_IN_PIPE) raise VI_EVENT_USB_INTR with
//   VI_ATTR_USB_RECV_INTR_SIZE / _DATA, read on a thread while the session is open;
// - viUsbControlIn/Out: any control transfer; USB attributes from the descriptors;
// - a device that goes away gives VI_ERROR_CONN_LOST.
#pragma once

#include "core/message_reader.hpp"
#include "core/session.hpp"
#include "protocols/usbtmc/usb_transport.hpp"
#include "protocols/usbtmc/usbtmc_session.hpp"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace cppvisa::usbtmc {

/// Endpoints of the interface (for the pipe attributes' validation).
struct RawEndpoints {
  std::vector<std::uint8_t> bulk_in, bulk_out, interrupt_in;
};

/// The endpoints of alternate setting 0 and of the others, by setting number.
struct RawInterface {
  RawEndpoints endpoints;                                       ///< alternate setting 0
  std::vector<std::pair<std::uint8_t, RawEndpoints>> alternates;  ///< settings 1..
};

class UsbRawSession : public core::Session, private core::ByteSource {
 public:
  UsbRawSession(const ResourceName& name, TransportOpener opener, RawInterface interface = {});
  ~UsbRawSession() override;

  status_t connect(core::Deadline deadline) override;
  void disconnect() override;
  status_t read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) override;
  status_t write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) override;
  status_t flush(std::uint16_t mask, core::Deadline deadline) override;
  status_t usb_control_out(std::int16_t request_type, std::int16_t request, std::uint16_t value, std::uint16_t index,
                           std::span<const std::byte> data, core::Deadline deadline) override;
  status_t usb_control_in(std::int16_t request_type, std::int16_t request, std::uint16_t value, std::uint16_t index,
                          std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) override;

  /// VI_ATTR_USB_ALT_SETTING (SET_INTERFACE, then the pipes of that setting) and the pipe status
  /// attributes (VI_USB_PIPE_READY clears a stall) act on the device.
  status_t set_attribute(attr_id_t id, const AttrValue& value) override;

 protected:
  status_t validate_attribute(attr_id_t id, const AttrValue& value) override;

 private:
  status_t receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) override;
  status_t lost(status_t st) noexcept;
  void interrupt_loop(std::uint8_t endpoint, std::size_t size);
  void use_endpoints(const RawEndpoints& eps);
  status_t note_stall(status_t st, attr_id_t status_attribute);

  TransportOpener opener_;
  RawInterface interface_;
  RawEndpoints endpoints_;  // of the current alternate setting
  std::unique_ptr<UsbTransport> transport_;
  UsbDeviceInfo info_;
  core::MessageReader reader_;
  std::vector<std::byte> packet_;  // for reads smaller than a packet
  std::size_t packet_pos_ = 0, packet_len_ = 0;
  bool packet_short_ = false;
  std::uint8_t in_pipe_ = 0, out_pipe_ = 0;
  std::int64_t end_in_ = 5;
  bool lost_ = false;
  std::thread interrupt_thread_;
  std::atomic<bool> stop_{false};
};

}  // namespace cppvisa::usbtmc
