// usbtmc::UsbtmcSession: a `USB[board]::vid::pid::serial[::interface]::INSTR` session speaking
// USBTMC 1.0 / USB488 1.0 over a UsbTransport (libusb, or a device model).
//
// - open: GET_CAPABILITIES (a device that stalls it is treated as having no optional capability);
//   VI_ATTR_MANF_ID/_NAME, MODEL_CODE/_NAME, USB_SERIAL_NUM, USB_INTFC_NUM, USB_PROTOCOL,
//   USB_MAX_INTR_SIZE, 4882_COMPLIANT are defined from the descriptors and capabilities;
// - viWrite: DEV_DEP_MSG_OUT transfers of up to Options::max_out_payload data bytes, each with its
//   own bTag (1..255, never 0), EOM on the last one when VI_ATTR_SEND_END_EN, 4-byte padding;
// - viRead: one REQUEST_DEV_DEP_MSG_IN for a whole block (the caller's room, at least
//   Options::min_request and at most Options::max_request bytes, so that small caller chunks do
//   not become request ping-pong), TermChar in the request when VI_ATTR_TERMCHAR_EN and the
//   device can end on it; Bulk-IN read in transfers of Options::rx_buffer bytes into one fixed
//   buffer (memory stays bounded whatever a header says); every header is checked (truncated,
//   MsgID, bTagInverse, bTag, TransferSize <= requested); bytes a read cannot take stay for the
//   next read; zero-length and short packets end a transfer; END = EOM;
// - a read or write that times out leaves an abort due (INITIATE_ABORT_BULK_IN/OUT, the Bulk-IN
//   drain, CHECK_ABORT_*_STATUS, CLEAR_FEATURE(HALT) on Bulk-OUT) which runs at the start of the
//   next operation within that operation's timeout, so no call outlives its own timeout and the
//   next command works; a refused header aborts the same way;
// - viClear: INITIATE_CLEAR, CHECK_CLEAR_STATUS while PENDING (draining Bulk-IN when bmClear D0),
//   CLEAR_FEATURE(HALT) on Bulk-OUT (USBTMC 1.0 §4.2.1.6-7), and local buffers discarded;
// - viReadSTB: USB488 READ_STATUS_BYTE (bTag 2..127); the STB comes on interrupt-IN when the
//   interface has an interrupt endpoint (USB488 §4.3.1.1), else in the control response;
// - viAssertTrigger: the USB488 TRIGGER message (when the interface accepts it);
// - viGpibControlREN: REN_CONTROL / GO_TO_LOCAL / LOCAL_LOCKOUT (when accepted);
// - viUsbControlIn/Out: any control transfer;
// - interrupt-IN is read on a thread: SRQ notifications (0x81) raise VI_EVENT_SERVICE_REQ;
// - a device that goes away gives VI_ERROR_CONN_LOST for this and every later operation.
#pragma once

#include "core/message_reader.hpp"
#include "core/session.hpp"
#include "protocols/usbtmc/usb_transport.hpp"
#include "protocols/usbtmc/usbtmc_wire.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

namespace cppvisa::usbtmc {

/// Opens the transport for a name (e.g. libusb: find, open, detach the kernel driver, claim).
using TransportOpener =
    std::function<std::unique_ptr<UsbTransport>(const ResourceName& name, core::Deadline deadline, status_t& st)>;

/// Tunables and device quirks applied by a session.
struct SessionOptions {
  std::uint32_t min_request = 16u << 20;   ///< smallest TransferSize asked for
  std::uint32_t max_request = 1u << 30;    ///< largest TransferSize asked for
  std::size_t max_out_payload = 1u << 20;  ///< data bytes per Bulk-OUT transfer
  std::size_t rx_buffer = 1u << 20;        ///< Bulk-IN transfer size (rounded to wMaxPacketSize)
  bool accept_wrong_tag = false;           ///< quirk: tolerate a Bulk-IN bTag that is not the request's
  bool accept_wrong_msg_id = false;        ///< quirk: tolerate a wrong MsgID (old firmware, pyvisa-py)
  bool no_termchar_request = false;        ///< quirk: never put TermChar in a request (wins over the next)
  /// Put TermChar in REQUEST_DEV_DEP_MSG_IN when VI_ATTR_TERMCHAR_EN is on and the device can end
  /// a transfer on it (USBTMC 1.0 §3.2.1.2). Off by default: the host finds the character in what
  /// one large request brings and keeps the rest for the next read, so a message full of
  /// termination bytes (a binary block) costs one request, not one request per termination byte.
  bool termchar_in_request = false;
  bool clear_on_open = false;              ///< run the device-clear sequence at open (python-usbtmc does)
  bool headerless_continuation = false;    ///< quirk (Rigol): data go on after a short packet without header
  /// When set, the session asks `*IDN?` once at open and calls this with the answer (quirk rows
  /// known by model: usbtmc_quirks.hpp); it may change the options above.
  std::function<void(std::string_view idn, SessionOptions& options)> identify;
};

/// VI_EVENT_USB_INTR for an interrupt-IN packet (USB RAW: every packet; USB INSTR: the
/// vendor-specific ones): VI_ATTR_STATUS, VI_ATTR_USB_RECV_INTR_SIZE and _DATA.
std::shared_ptr<core::Event> usb_interrupt_event(std::span<const std::byte> packet);

class UsbtmcSession : public core::Session, private core::ByteSource {
 public:
  UsbtmcSession(const ResourceName& name, TransportOpener opener, SessionOptions options = {});
  ~UsbtmcSession() override;

  status_t connect(core::Deadline deadline) override;
  /// The `*IDN?` answer asked at open for SessionOptions::identify (empty when not asked).
  const std::string& identity() const noexcept { return identity_; }
  void disconnect() override;
  status_t read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) override;
  status_t write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) override;
  status_t read_stb(std::uint16_t& stb, core::Deadline deadline) override;
  status_t clear(core::Deadline deadline) override;
  status_t assert_trigger(TriggerProtocol protocol, core::Deadline deadline) override;
  status_t flush(std::uint16_t mask, core::Deadline deadline) override;
  status_t gpib_control_ren(RenMode mode, core::Deadline deadline) override;
  status_t usb_control_out(std::int16_t request_type, std::int16_t request, std::uint16_t value, std::uint16_t index,
                           std::span<const std::byte> data, core::Deadline deadline) override;
  status_t usb_control_in(std::int16_t request_type, std::int16_t request, std::uint16_t value, std::uint16_t index,
                          std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) override;

  /// INDICATOR_PULSE (USBTMC 1.0 §4.2.1.9); VI_ERROR_NSUP_OPER when the device does not accept it.
  status_t indicator_pulse(core::Deadline deadline);

  /// GET_CAPABILITIES as read at open.
  const Capabilities& capabilities() const noexcept { return caps_; }
  /// Counters for tests and benchmarks.
  struct Counters {
    std::size_t requests = 0, bulk_in_transfers = 0, bulk_out_transfers = 0, aborts_in = 0, aborts_out = 0;
  };
  Counters counters() const noexcept { return counters_; }

 private:
  status_t receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) override;
  status_t send_request(std::uint32_t room, core::Deadline deadline);
  status_t identify(core::Deadline deadline);
  status_t fill_rx(core::Deadline deadline);
  void drop_transfer() noexcept;
  status_t run_pending(core::Deadline deadline);
  status_t abort_bulk_in(std::uint8_t tag, core::Deadline deadline);
  status_t abort_bulk_out(std::uint8_t tag, core::Deadline deadline);
  status_t drain_bulk_in(core::Deadline deadline, int max_transfers);
  status_t class_request(std::uint8_t request, std::uint16_t value, std::span<std::byte> response,
                         core::Deadline deadline, std::size_t& received);
  status_t simple_request(std::uint8_t request, std::uint16_t value, core::Deadline deadline);
  status_t lost(status_t st) noexcept;
  void interrupt_loop();

  TransportOpener opener_;
  SessionOptions options_;
  std::string identity_;
  std::unique_ptr<UsbTransport> transport_;
  UsbDeviceInfo info_;
  Capabilities caps_;
  TagCounter tags_;
  StbTagCounter stb_tags_;
  core::MessageReader reader_;
  Counters counters_;
  bool lost_ = false;

  // Bulk-IN state: the transfer in progress.
  std::vector<std::byte> rx_;     // one Bulk-IN transfer worth of raw bytes
  std::size_t rx_pos_ = 0, rx_len_ = 0;
  bool rx_short_ = true;          // the last bulk_in ended the device's transfer (short packet)
  bool request_open_ = false;     // a REQUEST_DEV_DEP_MSG_IN is outstanding / being answered
  bool header_seen_ = false;
  std::uint8_t request_tag_ = 0;
  std::uint32_t requested_ = 0;
  std::uint32_t data_left_ = 0;
  bool eom_ = false;
  bool drain_before_request_ = false;  // bytes of an ended transfer may still follow (no short packet yet)
  bool termchar_request_ = false;
  std::optional<std::byte> termchar_;

  // Work left by a timeout, done at the start of the next operation.
  std::optional<std::uint8_t> abort_in_due_, abort_out_due_;

  // Interrupt-IN thread and the READ_STATUS_BYTE answers it collects.
  std::thread interrupt_thread_;
  std::atomic<bool> stop_{false};
  std::mutex stb_mutex_;
  std::condition_variable stb_cv_;
  std::map<std::uint8_t, std::uint8_t> stb_answers_;
  bool interrupt_lost_ = false;
};

}  // namespace cppvisa::usbtmc
