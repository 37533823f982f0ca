// usbtmc::UsbTransport: the USB operations a USBTMC/USB488 (or RAW) session needs from one claimed
// interface of one device, with deadlines, answering VISA statuses. Implemented over libusb
// (libusb_transport.hpp) and, for tests, by a device model (tests/support/usbtmc_device_model.hpp).
//
// Which hooks are mandatory follows libusb's own OS-backend interface (libusbi.h struct
// usbi_os_backend): transfers (submit/cancel) and clear_halt are required there, reset_device is
// optional; interrupt-IN is optional here because USBTMC makes the interrupt endpoint optional
// (USBTMC 1.0 §4.1: Bulk-OUT and Bulk-IN required, Interrupt-IN optional).
//
// Statuses: VI_SUCCESS; VI_ERROR_TMO (deadline, with the bytes moved so far counted);
// VI_ERROR_CONN_LOST (device gone); VI_ERROR_IO (stall, overflow, protocol error: the endpoint
// halted, and clear_halt() recovers it); VI_ERROR_NSUP_OPER (an optional hook not provided).
// Every hook is safe to call from two threads at once (the session reads interrupt-IN on its own
// thread while another does bulk and control transfers).
#pragma once

#include "core/deadline.hpp"

#include <cppvisa/status.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace cppvisa::usbtmc {

/// What is known of the device and interface without any class request.
struct UsbDeviceInfo {
  std::uint16_t vendor_id = 0;
  std::uint16_t product_id = 0;
  std::string manufacturer;  ///< iManufacturer string (may be empty)
  std::string product;       ///< iProduct string
  std::string serial;        ///< iSerialNumber string
  std::uint8_t interface_number = 0;
  std::uint8_t interface_class = 0;
  std::uint8_t interface_subclass = 0;
  std::uint8_t interface_protocol = 0;  ///< 0 USBTMC, 1 USB488
  std::uint8_t num_interfaces = 1;
  std::uint8_t bulk_out = 0;          ///< endpoint addresses (0 = none)
  std::uint8_t bulk_in = 0;
  std::uint8_t interrupt_in = 0;
  std::uint16_t bulk_out_max_packet = 64;   ///< wMaxPacketSize
  std::uint16_t bulk_in_max_packet = 64;
  std::uint16_t interrupt_max_packet = 0;
};

class UsbTransport {
 public:
  virtual ~UsbTransport() = default;

  /// Descriptor facts of the claimed interface.
  virtual const UsbDeviceInfo& info() const = 0;

  // ---- mandatory ----
  /// One Bulk-OUT transfer of `data` (the device sees it end with a short packet or by length).
  /// `sent` counts the bytes the device accepted, also on error.
  virtual status_t bulk_out(std::uint8_t endpoint, std::span<const std::byte> data, core::Deadline deadline,
                            std::size_t& sent) = 0;
  /// One Bulk-IN transfer of at most `buffer.size()` bytes: ends when the buffer is full or the
  /// device ends its transfer with a short or zero-length packet (`received` may then be 0).
  virtual status_t bulk_in(std::uint8_t endpoint, std::span<std::byte> buffer, core::Deadline deadline,
                           std::size_t& received) = 0;
  /// A control transfer, device to host (bmRequestType bit 7 set).
  virtual status_t control_in(std::uint8_t request_type, std::uint8_t request, std::uint16_t value,
                              std::uint16_t index, std::span<std::byte> buffer, core::Deadline deadline,
                              std::size_t& received) = 0;
  /// A control transfer, host to device.
  virtual status_t control_out(std::uint8_t request_type, std::uint8_t request, std::uint16_t value,
                               std::uint16_t index, std::span<const std::byte> data, core::Deadline deadline) = 0;
  /// CLEAR_FEATURE(ENDPOINT_HALT) on `endpoint` and the host side's data toggle reset.
  virtual status_t clear_halt(std::uint8_t endpoint, core::Deadline deadline) = 0;

  // ---- optional ----
  /// One interrupt-IN transfer. Default: VI_ERROR_NSUP_OPER.
  virtual status_t interrupt_in(std::uint8_t endpoint, std::span<std::byte> buffer, core::Deadline deadline,
                                std::size_t& received) {
    (void)endpoint, (void)buffer, (void)deadline;
    received = 0;
    return status::ERROR_NSUP_OPER;
  }
  /// SET_INTERFACE (USB 2.0 §9.4.10): alternate setting `alternate` of the claimed interface.
  /// Default: VI_ERROR_NSUP_OPER.
  virtual status_t set_alt_setting(std::uint8_t alternate, core::Deadline deadline) {
    (void)alternate, (void)deadline;
    return status::ERROR_NSUP_OPER;
  }
  /// USB port reset. Default: VI_ERROR_NSUP_OPER.
  virtual status_t reset(core::Deadline deadline) {
    (void)deadline;
    return status::ERROR_NSUP_OPER;
  }
};

}  // namespace cppvisa::usbtmc
