/// @file types.hpp
/// @brief Scalar types and VISA constants shared by every layer (widths as in visatype.h on LP64).
#pragma once

#include <cstdint>
#include <limits>

namespace cppvisa {

/// A VISA completion or error code (ViStatus): negative = error, 0 = success, positive = success with warning.
using status_t = std::int32_t;
/// A session, find-list or event-context handle (ViSession / ViObject). 0 is never a valid handle.
using session_t = std::uint32_t;
/// An attribute id (ViAttr).
using attr_id_t = std::uint32_t;
/// An event type (ViEventType).
using event_type_t = std::uint32_t;

/// Timeout values in milliseconds (VI_ATTR_TMO_VALUE, viOpen, viLock, viWaitOnEvent).
inline constexpr std::uint32_t tmo_immediate = 0;  ///< VI_TMO_IMMEDIATE: fail at once if the operation cannot complete
inline constexpr std::uint32_t tmo_infinite = 0xFFFFFFFFu;  ///< VI_TMO_INFINITE: no time limit

/// Interface types (VI_ATTR_INTF_TYPE), values as in visa.h and PyVISA's InterfaceType.
enum class InterfaceType : std::int32_t {
  unknown = -1,
  gpib = 1,
  vxi = 2,
  gpib_vxi = 3,
  asrl = 4,
  pxi = 5,
  tcpip = 6,
  usb = 7,
  rio = 8,
  firewire = 9,
  rsnrp = 0x8100,
  prlgx_asrl = 0x8707,
  vicp = 0x8CA0,
  prlgx_tcpip = 0x12AFF,
  ni_enet100_tcpip = 0x12B00,
};

/// Access modes of viOpen and lock types of viLock (PyVISA's AccessModes).
enum class AccessMode : std::uint32_t {
  no_lock = 0,
  exclusive_lock = 1,
  shared_lock = 2,
  load_config = 4,
};

/// Event mechanisms (bit flags).
enum class EventMechanism : std::uint16_t {
  queue = 1,
  handler = 2,
  suspend_handler = 4,
  all = 0xFFFF,
};

/// Event types (VI_EVENT_*).
namespace event {
/// VI_EVENT_IO_COMPLETION: an asynchronous operation completed
inline constexpr event_type_t io_completion = 0x3FFF2009u;
inline constexpr event_type_t trig = 0xBFFF200Au;  ///< VI_EVENT_TRIG: a trigger line was asserted
/// VI_EVENT_SERVICE_REQ: the device requested service (SRQ, IEEE 488.2)
inline constexpr event_type_t service_request = 0x3FFF200Bu;
inline constexpr event_type_t clear = 0x3FFF200Du;  ///< VI_EVENT_CLEAR: a device clear was received
/// VI_EVENT_EXCEPTION: an error occurred in an operation (handler mechanism only)
inline constexpr event_type_t exception = 0xBFFF200Eu;
/// VI_EVENT_GPIB_CIC: the controller-in-charge status changed
inline constexpr event_type_t gpib_controller_in_charge = 0x3FFF2012u;
inline constexpr event_type_t gpib_talk = 0x3FFF2013u;  ///< VI_EVENT_GPIB_TALK: the interface was addressed to talk
/// VI_EVENT_GPIB_LISTEN: the interface was addressed to listen
inline constexpr event_type_t gpib_listen = 0x3FFF2014u;
/// VI_EVENT_VXI_VME_SYSFAIL: the VXI/VME SYSFAIL line was asserted
inline constexpr event_type_t vxi_vme_sysfail = 0x3FFF201Du;
/// VI_EVENT_VXI_VME_SYSRESET: the VXI/VME SYSRESET line was asserted
inline constexpr event_type_t vxi_vme_sysreset = 0x3FFF201Eu;
/// VI_EVENT_VXI_SIGP: a VXI signal or interrupt was received
inline constexpr event_type_t vxi_signal_interrupt = 0x3FFF2020u;
/// VI_EVENT_VXI_VME_INTR: a VXIbus interrupt was received
inline constexpr event_type_t vxi_vme_interrupt = 0xBFFF2021u;
inline constexpr event_type_t pxi_interrupt = 0x3FFF2022u;  ///< VI_EVENT_PXI_INTR: a PXI interrupt occurred
/// VI_EVENT_TCPIP_CONNECT: a controller connected (VISA's server side, the TCPIP SERVANT class); no
/// cppvisa session raises it, enabling it is VI_ERROR_INV_EVENT (docs/threads.md)
inline constexpr event_type_t tcpip_connect = 0x3FFF2036u;
inline constexpr event_type_t usb_interrupt = 0x3FFF2037u;  ///< VI_EVENT_USB_INTR: a USB interrupt-IN packet arrived
/// VI_EVENT_ASRL_BREAK (NI): a break was received on the serial line
inline constexpr event_type_t asrl_break = 0x3FFF2023u;
/// VI_EVENT_ASRL_TERMCHAR (NI): the termination character (VI_ATTR_TERMCHAR) was received
inline constexpr event_type_t asrl_termchar = 0x3FFF2024u;
inline constexpr event_type_t asrl_cts = 0x3FFF2029u;  ///< VI_EVENT_ASRL_CTS (NI): the CTS line changed state
inline constexpr event_type_t asrl_dsr = 0x3FFF202Au;  ///< VI_EVENT_ASRL_DSR (NI): the DSR line changed state
inline constexpr event_type_t asrl_dcd = 0x3FFF202Cu;  ///< VI_EVENT_ASRL_DCD (NI): the DCD line changed state
inline constexpr event_type_t asrl_ri = 0x3FFF202Eu;   ///< VI_EVENT_ASRL_RI (NI): the RI line changed state
/// VI_EVENT_ASRL_CHAR (NI): data bytes were received (they stay for viRead)
inline constexpr event_type_t asrl_char = 0x3FFF2035u;
/// VI_ALL_ENABLED_EVENTS: every enabled event type (wait_on_event, discard_events)
inline constexpr event_type_t all_enabled = 0x3FFF7FFFu;
}  // namespace event

/// viFlush / viSetBuf masks.
namespace buffer {
/// VI_READ_BUF: discard the formatted-I/O read buffer, reading from the device up to END if none was buffered
inline constexpr std::uint16_t read_buf = 1;
inline constexpr std::uint16_t write_buf = 2;  ///< VI_WRITE_BUF: flush the formatted-I/O write buffer (send it)
inline constexpr std::uint16_t read_buf_discard = 4;  ///< VI_READ_BUF_DISCARD: discard the formatted-I/O read buffer
inline constexpr std::uint16_t write_buf_discard = 8;  ///< VI_WRITE_BUF_DISCARD: discard the formatted-I/O write buffer
/// VI_IO_IN_BUF: discard the low-level receive buffer (as io_in_buf_discard)
inline constexpr std::uint16_t io_in_buf = 16;
inline constexpr std::uint16_t io_out_buf = 32;  ///< VI_IO_OUT_BUF: send the low-level transmit buffer to the device
inline constexpr std::uint16_t io_in_buf_discard = 64;  ///< VI_IO_IN_BUF_DISCARD: discard the low-level receive buffer
/// VI_IO_OUT_BUF_DISCARD: discard the low-level transmit buffer
inline constexpr std::uint16_t io_out_buf_discard = 128;
}  // namespace buffer

/// Trigger protocols of viAssertTrigger.
enum class TriggerProtocol : std::uint16_t { default_ = 0, on = 1, off = 2, sync = 5, reserve = 6, unreserve = 7 };

/// REN line operations of viGpibControlREN (PyVISA's RENLineOperation).
enum class RenMode : std::uint16_t {
  deassert = 0,
  assert_ = 1,
  deassert_gtl = 2,
  assert_address = 3,
  assert_llo = 4,
  assert_address_llo = 5,
  address_gtl = 6,
};

/// Serial parity (VI_ATTR_ASRL_PARITY, VI_ASRL_PAR_*).
enum class Parity : std::uint16_t { none = 0, odd = 1, even = 2, mark = 3, space = 4 };
/// Serial stop bits in tenths of a bit (VI_ATTR_ASRL_STOP_BITS: 10 = 1, 15 = 1.5, 20 = 2).
enum class StopBits : std::uint16_t { one = 10, one_and_a_half = 15, two = 20 };
/// Serial flow control bit flags (VI_ATTR_ASRL_FLOW_CNTRL, VI_ASRL_FLOW_*).
enum class FlowControl : std::uint16_t { none = 0, xon_xoff = 1, rts_cts = 2, dtr_dsr = 4 };
/// How a serial read ends or a write is terminated (VI_ATTR_ASRL_END_IN / END_OUT, VI_ASRL_END_*).
enum class SerialTermination : std::uint16_t { none = 0, last_bit = 1, termination_char = 2, termination_break = 3 };
/// State of a serial control line (VI_ATTR_ASRL_CTS_STATE ...: VI_STATE_*).
enum class LineState : std::int16_t { unknown = -1, unasserted = 0, asserted = 1 };

/// Version numbers reported as VI_ATTR_RSRC_SPEC_VERSION (VISA 7.0) and the manufacturer id.
inline constexpr std::uint32_t visa_spec_version = 0x00700000u;

}  // namespace cppvisa
