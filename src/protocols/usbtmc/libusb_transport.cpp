#ifdef CPPVISA_HAVE_LIBUSB

#include "protocols/usbtmc/libusb_transport.hpp"

#include <libusb.h>

#include <algorithm>
#include <climits>
#include <cstdio>

namespace cppvisa::usbtmc {
namespace {

// libusb takes unsigned ms with 0 = no timeout: an expired deadline still gets one try of 1 ms.
unsigned int timeout_ms(core::Deadline d) {
  if (d.infinite()) return 0;
  auto ms = d.remaining().count();
  if (ms < 1) ms = 1;
  return static_cast<unsigned int>(std::min<long long>(ms, UINT_MAX - 1));
}

status_t map_error(int r) {
  switch (r) {
    case LIBUSB_SUCCESS: return status::SUCCESS;
    case LIBUSB_ERROR_TIMEOUT: return status::ERROR_TMO;
    case LIBUSB_ERROR_NO_DEVICE: return status::ERROR_CONN_LOST;
    case LIBUSB_ERROR_NOT_SUPPORTED: return status::ERROR_NSUP_OPER;
    case LIBUSB_ERROR_NO_MEM: return status::ERROR_ALLOC;
    case LIBUSB_ERROR_ACCESS: return status::ERROR_NPERMISSION;
    case LIBUSB_ERROR_BUSY: return status::ERROR_RSRC_BUSY;
    default: return status::ERROR_IO;  // PIPE (stall), OVERFLOW, IO, INTERRUPTED, OTHER
  }
}

int clamp_length(std::size_t n) { return static_cast<int>(std::min<std::size_t>(n, INT_MAX)); }

}  // namespace

std::string permission_hint(int bus, int address) {
  char node[64];
  std::snprintf(node, sizeof node, "/dev/bus/usb/%03d/%03d", bus, address);
  return std::string("cppvisa: no permission to open ") + node +
         "; install the udev rule data/udev/99-cppvisa-usbtmc.rules (to /etc/udev/rules.d/, then "
         "'udevadm control --reload && udevadm trigger') and be in the plugdev group or at the seat";
}

std::unique_ptr<LibusbTransport> LibusbTransport::open(const UsbMatch& match, status_t& st) {
  std::unique_ptr<LibusbTransport> t(new LibusbTransport());
  if (int r = libusb_init(&t->ctx_); r != 0) {
    t->ctx_ = nullptr;
    st = status::ERROR_RSRC_NFOUND;
    return nullptr;
  }
  libusb_device** list = nullptr;
  ssize_t n = libusb_get_device_list(t->ctx_, &list);
  libusb_device* dev = nullptr;
  for (ssize_t i = 0; i < n; ++i) {
    if (libusb_get_bus_number(list[i]) == match.device.bus && libusb_get_device_address(list[i]) == match.device.address)
      dev = list[i];
  }
  int r = dev ? libusb_open(dev, &t->handle_) : LIBUSB_ERROR_NOT_FOUND;
  if (n >= 0) libusb_free_device_list(list, 1);
  if (r != 0) {
    t->handle_ = nullptr;
    if (r == LIBUSB_ERROR_ACCESS) {
      std::fprintf(stderr, "%s\n", permission_hint(match.device.bus, match.device.address).c_str());
      st = status::ERROR_NPERMISSION;
    } else {
      st = r == LIBUSB_ERROR_BUSY ? status::ERROR_RSRC_BUSY : status::ERROR_RSRC_NFOUND;
    }
    return nullptr;
  }
  const int iface = match.interface.number;
  // The kernel's usbtmc driver binds class FE/03 interfaces (USBTMC/USB488): take the
  // interface from it for the session's life.
  if (libusb_kernel_driver_active(t->handle_, iface) == 1) {
    if (int d = libusb_detach_kernel_driver(t->handle_, iface); d != 0) {
      st = d == LIBUSB_ERROR_ACCESS ? status::ERROR_NPERMISSION : status::ERROR_RSRC_BUSY;
      return nullptr;
    }
    t->detached_ = true;
  }
  if (int c = libusb_claim_interface(t->handle_, iface); c != 0) {
    st = c == LIBUSB_ERROR_ACCESS ? status::ERROR_NPERMISSION
         : c == LIBUSB_ERROR_NO_DEVICE ? status::ERROR_RSRC_NFOUND
                                       : status::ERROR_RSRC_BUSY;
    return nullptr;
  }
  t->claimed_ = true;

  UsbDeviceInfo& info = t->info_;
  info.vendor_id = match.device.descriptors.vendor_id;
  info.product_id = match.device.descriptors.product_id;
  info.manufacturer = match.device.manufacturer;
  info.product = match.device.product;
  info.serial = match.device.serial;
  info.interface_number = match.interface.number;
  info.interface_class = match.interface.cls;
  info.interface_subclass = match.interface.subclass;
  info.interface_protocol = match.interface.protocol;
  info.num_interfaces = match.device.descriptors.num_interfaces;
  for (const auto& e : match.interface.endpoints) {
    if (e.is_bulk() && e.is_in() && !info.bulk_in) {
      info.bulk_in = e.address;
      info.bulk_in_max_packet = std::max<std::uint16_t>(e.max_packet, 8);
    } else if (e.is_bulk() && !e.is_in() && !info.bulk_out) {
      info.bulk_out = e.address;
      info.bulk_out_max_packet = std::max<std::uint16_t>(e.max_packet, 8);
    } else if (e.is_interrupt() && e.is_in() && !info.interrupt_in) {
      info.interrupt_in = e.address;
      info.interrupt_max_packet = e.max_packet;
    }
  }
  st = status::SUCCESS;
  return t;
}

LibusbTransport::~LibusbTransport() {
  if (handle_) {
    if (claimed_) libusb_release_interface(handle_, info_.interface_number);
    if (detached_) libusb_attach_kernel_driver(handle_, info_.interface_number);
    libusb_close(handle_);
  }
  if (ctx_) libusb_exit(ctx_);
}

status_t LibusbTransport::bulk_out(std::uint8_t ep, std::span<const std::byte> data, core::Deadline d,
                                   std::size_t& sent) {
  sent = 0;
  int done = 0;
  int r = libusb_bulk_transfer(handle_, ep, reinterpret_cast<unsigned char*>(const_cast<std::byte*>(data.data())),
                               clamp_length(data.size()), &done, timeout_ms(d));
  sent = static_cast<std::size_t>(std::max(done, 0));
  return map_error(r);
}

status_t LibusbTransport::bulk_in(std::uint8_t ep, std::span<std::byte> buffer, core::Deadline d,
                                  std::size_t& received) {
  received = 0;
  int done = 0;
  int r = libusb_bulk_transfer(handle_, ep, reinterpret_cast<unsigned char*>(buffer.data()),
                               clamp_length(buffer.size()), &done, timeout_ms(d));
  received = static_cast<std::size_t>(std::max(done, 0));
  return map_error(r);
}

status_t LibusbTransport::interrupt_in(std::uint8_t ep, std::span<std::byte> buffer, core::Deadline d,
                                       std::size_t& received) {
  received = 0;
  int done = 0;
  int r = libusb_interrupt_transfer(handle_, ep, reinterpret_cast<unsigned char*>(buffer.data()),
                                    clamp_length(buffer.size()), &done, timeout_ms(d));
  received = static_cast<std::size_t>(std::max(done, 0));
  return map_error(r);
}

status_t LibusbTransport::control_in(std::uint8_t type, std::uint8_t req, std::uint16_t value, std::uint16_t index,
                                     std::span<std::byte> buffer, core::Deadline d, std::size_t& received) {
  received = 0;
  int r = libusb_control_transfer(handle_, type, req, value, index, reinterpret_cast<unsigned char*>(buffer.data()),
                                  static_cast<std::uint16_t>(std::min<std::size_t>(buffer.size(), 0xFFFF)),
                                  timeout_ms(d));
  if (r < 0) return map_error(r);
  received = static_cast<std::size_t>(r);
  return status::SUCCESS;
}

status_t LibusbTransport::control_out(std::uint8_t type, std::uint8_t req, std::uint16_t value, std::uint16_t index,
                                      std::span<const std::byte> data, core::Deadline d) {
  int r = libusb_control_transfer(handle_, type, req, value, index,
                                  reinterpret_cast<unsigned char*>(const_cast<std::byte*>(data.data())),
                                  static_cast<std::uint16_t>(std::min<std::size_t>(data.size(), 0xFFFF)),
                                  timeout_ms(d));
  return r < 0 ? map_error(r) : status::SUCCESS;
}

status_t LibusbTransport::clear_halt(std::uint8_t ep, core::Deadline) {
  // libusb_clear_halt has no timeout parameter (the kernel's control timeout applies).
  return map_error(libusb_clear_halt(handle_, ep));
}

status_t LibusbTransport::reset(core::Deadline) { return map_error(libusb_reset_device(handle_)); }

status_t LibusbTransport::set_alt_setting(std::uint8_t alternate, core::Deadline) {
  // Like libusb_clear_halt: a control request with the kernel's own timeout.
  return map_error(libusb_set_interface_alt_setting(handle_, info_.interface_number, alternate));
}

}  // namespace cppvisa::usbtmc

#endif  // CPPVISA_HAVE_LIBUSB
