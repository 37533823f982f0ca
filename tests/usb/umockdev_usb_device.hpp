// An emulated USB instrument under umockdev: a sysfs device (descriptors, serial, bus and address)
// whose usbdevfs node is answered by the USBTMC/USB488 device model
// (tests/support/usbtmc_device_model.hpp). libusb's Linux backend submits, reaps and discards URBs
// on that node; this code answers the ioctls it issues, as libusb's own tests/umockdev.c does:
// GET_CAPABILITIES, CLAIM/RELEASEINTERFACE, GETDRIVER, IOCTL(DISCONNECT/CONNECT), CLEAR_HALT,
// SETINTERFACE, SUBMITURB, REAPURB(NDELAY), DISCARDURB.
//
// The testbed serves the node from a umockdev thread, to this process (run under
// umockdev-wrapper) or to child processes started with UMOCKDEV_DIR and the umockdev preload
// library (tests/usb/usb_instrument_emulator.cpp): a PyVISA process, visa-serve.
#pragma once

#include "support/usbtmc_device_model.hpp"

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

typedef struct _UMockdevTestbed UMockdevTestbed;
typedef struct _UMockdevIoctlBase UMockdevIoctlBase;

namespace cppvisa::testing {

/// Where the emulated device sits and how the kernel side behaves.
struct UmockdevUsbSpec {
  int bus = 1, address = 2;
  bool driver_bound = true;  ///< the kernel's usbtmc driver holds interface 0 at the start
  /// Alternate setting 1 of the interface: bulk OUT/IN on these endpoints (0: no alternate).
  std::uint8_t alt_bulk_out = 0, alt_bulk_in = 0;
};

/// Counters of what the host did, read by tests and benchmarks.
struct UmockdevUsbCounters {
  int detaches = 0, attaches = 0, claims = 0, releases = 0, set_interfaces = 0, last_alt_setting = 0;
  std::size_t urbs_submitted = 0, bulk_urbs = 0, bulk_in_urbs = 0, bulk_out_urbs = 0;
};

/// The device and configuration descriptors (USB 2.0 §9.6) of one interface described by
/// `info`: device, configuration, interface (alternate 0) and its endpoints, plus alternate 1
/// when `spec` asks for it.
std::vector<std::byte> usb_descriptors(const cppvisa::usbtmc::UsbDeviceInfo& info, const UmockdevUsbSpec& spec = {});

class UmockdevUsbDevice {
 public:
  /// Creates the testbed (UMOCKDEV_DIR is set in this process's environment) and the device.
  /// Throws std::runtime_error when umockdev refuses.
  explicit UmockdevUsbDevice(std::shared_ptr<UsbtmcDeviceModel> model, UmockdevUsbSpec spec = {});
  ~UmockdevUsbDevice();
  UmockdevUsbDevice(const UmockdevUsbDevice&) = delete;
  UmockdevUsbDevice& operator=(const UmockdevUsbDevice&) = delete;

  UsbtmcDeviceModel& model() { return *model_; }
  /// /dev/bus/usb/BBB/DDD as the host sees it.
  const std::string& devnode() const { return devnode_; }
  /// The testbed's root directory (its UMOCKDEV_DIR).
  std::string root_dir() const;
  /// The file that stands for the device node inside the testbed.
  std::string devnode_file() const { return root_dir() + devnode_; }
  UmockdevUsbCounters counters() const;

  struct State;  // URB bookkeeping, shared with the ioctl handler

 private:
  std::shared_ptr<UsbtmcDeviceModel> model_;
  std::string devnode_;
  std::unique_ptr<State> state_;
  UMockdevTestbed* testbed_ = nullptr;
  UMockdevIoctlBase* handler_ = nullptr;
};

}  // namespace cppvisa::testing
