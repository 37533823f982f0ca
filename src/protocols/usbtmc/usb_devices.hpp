// usbtmc device discovery without opening anything: the USB descriptors Linux exposes in sysfs
// (/sys/bus/usb/devices/<dev>/descriptors: the device descriptor followed by the configuration
// descriptors, USB 2.0 §9.6), the iManufacturer / iProduct / iSerialNumber strings the kernel
// already read (the `manufacturer`, `product`, `serial` files), bus number and address.
// Also the VISA side: which interface a `USB::vid::pid::serial[::iface]::INSTR|RAW` name means.
#pragma once

#include <cppvisa/resource_name.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cppvisa::usbtmc {

struct UsbEndpoint {
  std::uint8_t address = 0;     ///< bEndpointAddress (bit 7 = IN)
  std::uint8_t attributes = 0;  ///< bmAttributes (bits 0-1: 2 bulk, 3 interrupt)
  std::uint16_t max_packet = 0; ///< wMaxPacketSize (bits 0-10)
  bool is_in() const noexcept { return (address & 0x80) != 0; }
  bool is_bulk() const noexcept { return (attributes & 3) == 2; }
  bool is_interrupt() const noexcept { return (attributes & 3) == 3; }
};

/// An alternate setting other than 0 of an interface (USB 2.0 §9.6.5): its endpoints.
struct UsbAltSetting {
  std::uint8_t alternate = 0;
  std::vector<UsbEndpoint> endpoints;
};

struct UsbInterfaceDesc {
  std::uint8_t number = 0;
  std::uint8_t alternate = 0;
  std::uint8_t cls = 0, subclass = 0, protocol = 0;
  std::vector<UsbEndpoint> endpoints;  ///< of alternate setting 0
  std::vector<UsbAltSetting> alternates;  ///< settings 1.. (at most 16 kept)
  bool is_usbtmc() const noexcept { return cls == 0xFE && subclass == 0x03; }
};

/// What descriptors say about a device: the first configuration; an interface's class is that of
/// alternate setting 0, its other settings' endpoints are in `alternates`.
struct UsbDescriptors {
  std::uint16_t vendor_id = 0, product_id = 0;
  std::uint8_t num_interfaces = 0;
  std::vector<UsbInterfaceDesc> interfaces;
};

/// Parses a device descriptor followed by configuration descriptors. Lengths are checked at
/// every step (a descriptor shorter than 2 bytes or running past the end stops the parse);
/// false when even the device descriptor is not there.
bool parse_descriptors(std::span<const std::byte> data, UsbDescriptors& out);

/// One device as sysfs lists it.
struct UsbDeviceEntry {
  std::string sysfs_path;
  int bus = 0, address = 0;
  std::string manufacturer, product, serial;
  UsbDescriptors descriptors;
};

/// Devices under `root` (default /sys/bus/usb/devices; umockdev redirects /sys).
std::vector<UsbDeviceEntry> scan_devices(const std::string& root = "/sys/bus/usb/devices");

/// The device and interface a USB resource name designates: vendor and product ids compared as
/// numbers, the serial number exactly, the interface number when the name has one, otherwise
/// the first USBTMC interface (INSTR) or the first interface (RAW). nullopt when none matches;
/// `ambiguous` is set when several devices match (identical instruments without serials).
struct UsbMatch {
  UsbDeviceEntry device;
  UsbInterfaceDesc interface;
};
std::optional<UsbMatch> resolve(const ResourceName& name, const std::vector<UsbDeviceEntry>& devices,
                                bool* ambiguous = nullptr);

/// The interface number written in a USB name, or nullopt when the name leaves it out.
std::optional<int> explicit_interface(const ResourceName& name);

/// Canonical names: USBTMC interfaces as INSTR; with `raw`, every other interface as RAW.
std::vector<std::string> resource_names(const std::vector<UsbDeviceEntry>& devices, bool raw);

}  // namespace cppvisa::usbtmc
