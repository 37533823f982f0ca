// usbtmc::LibusbTransport: a UsbTransport over libusb-1.0's synchronous API for one claimed
// interface. Compiled only with CPPVISA_HAVE_LIBUSB.
//
// Open: the device found in sysfs (usb_devices.hpp) is matched to libusb's list by bus number and
// address, opened, the kernel driver (usbtmc) detached from the interface when it holds it and
// re-attached at close, the interface claimed. Errors: VI_ERROR_RSRC_NFOUND (gone),
// VI_ERROR_NPERMISSION (no access to /dev/bus/usb/BBB/DDD: the message names the udev rule,
// data/udev/99-cppvisa-usbtmc.rules), VI_ERROR_RSRC_BUSY (another program claimed it).
// Transfers map LIBUSB_ERROR_TIMEOUT to VI_ERROR_TMO (bytes moved counted), NO_DEVICE to
// VI_ERROR_CONN_LOST, PIPE (stall) / OVERFLOW / IO to VI_ERROR_IO.
#pragma once

#ifdef CPPVISA_HAVE_LIBUSB

#include "protocols/usbtmc/usb_devices.hpp"
#include "protocols/usbtmc/usb_transport.hpp"

#include <memory>
#include <string>

struct libusb_context;
struct libusb_device_handle;

namespace cppvisa::usbtmc {

class LibusbTransport : public UsbTransport {
 public:
  /// Opens and claims `match.interface` of `match.device`; nullptr with `st` on failure.
  static std::unique_ptr<LibusbTransport> open(const UsbMatch& match, status_t& st);
  ~LibusbTransport() override;

  const UsbDeviceInfo& info() const override { return info_; }
  status_t bulk_out(std::uint8_t endpoint, std::span<const std::byte> data, core::Deadline deadline,
                    std::size_t& sent) override;
  status_t bulk_in(std::uint8_t endpoint, std::span<std::byte> buffer, core::Deadline deadline,
                   std::size_t& received) override;
  status_t control_in(std::uint8_t request_type, std::uint8_t request, std::uint16_t value, std::uint16_t index,
                      std::span<std::byte> buffer, core::Deadline deadline, std::size_t& received) override;
  status_t control_out(std::uint8_t request_type, std::uint8_t request, std::uint16_t value, std::uint16_t index,
                       std::span<const std::byte> data, core::Deadline deadline) override;
  status_t clear_halt(std::uint8_t endpoint, core::Deadline deadline) override;
  status_t interrupt_in(std::uint8_t endpoint, std::span<std::byte> buffer, core::Deadline deadline,
                        std::size_t& received) override;
  status_t reset(core::Deadline deadline) override;
  status_t set_alt_setting(std::uint8_t alternate, core::Deadline deadline) override;

  /// Whether open() detached a kernel driver (re-attached at close).
  bool detached_kernel_driver() const noexcept { return detached_; }

 private:
  LibusbTransport() = default;
  libusb_context* ctx_ = nullptr;
  libusb_device_handle* handle_ = nullptr;
  UsbDeviceInfo info_;
  bool claimed_ = false, detached_ = false;
};

/// The text of the permission error (names the udev rules file and the device node).
std::string permission_hint(int bus, int address);

}  // namespace cppvisa::usbtmc

#endif  // CPPVISA_HAVE_LIBUSB
