#include "umockdev_usb_device.hpp"

#include <linux/usbdevice_fs.h>
#include <sys/ioctl.h>
#include <umockdev.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace cppvisa::testing {

using Result = UsbtmcDeviceModel::Result;

namespace {

void put16(std::vector<std::byte>& v, unsigned x) {
  v.push_back(static_cast<std::byte>(x & 0xFF));
  v.push_back(static_cast<std::byte>((x >> 8) & 0xFF));
}
void put(std::vector<std::byte>& v, std::initializer_list<unsigned> bytes) {
  for (unsigned b : bytes) v.push_back(static_cast<std::byte>(b));
}
void endpoint(std::vector<std::byte>& v, unsigned address, unsigned type, unsigned max_packet, unsigned interval) {
  put(v, {7, 5, address, type});
  put16(v, max_packet);
  put(v, {interval});
}

}  // namespace

std::vector<std::byte> usb_descriptors(const cppvisa::usbtmc::UsbDeviceInfo& info, const UmockdevUsbSpec& spec) {
  std::vector<std::byte> d;
  // Device descriptor (USB 2.0 §9.6.1): strings 1, 2, 3 are manufacturer, product, serial.
  put(d, {18, 1});
  put16(d, 0x0200);
  put(d, {0, 0, 0, 64});
  put16(d, info.vendor_id);
  put16(d, info.product_id);
  put16(d, 0x0100);
  put(d, {1, 2, 3, 1});
  // Configuration descriptor (§9.6.3); wTotalLength patched below.
  const std::size_t config = d.size();
  put(d, {9, 2, 0, 0, 1, 1, 0, 0xC0, 50});
  auto interface = [&](unsigned alternate, unsigned out, unsigned in, bool with_interrupt) {
    const unsigned n = (out ? 1u : 0u) + (in ? 1u : 0u) + (with_interrupt ? 1u : 0u);
    put(d, {9, 4, info.interface_number, alternate, n, info.interface_class, info.interface_subclass,
            info.interface_protocol, 0});
    if (out) endpoint(d, out, 2, info.bulk_out_max_packet, 0);
    if (in) endpoint(d, in, 2, info.bulk_in_max_packet, 0);
    if (with_interrupt) endpoint(d, info.interrupt_in, 3, info.interrupt_max_packet ? info.interrupt_max_packet : 8, 10);
  };
  interface(0, info.bulk_out, info.bulk_in, info.interrupt_in != 0);
  if (spec.alt_bulk_out || spec.alt_bulk_in) interface(1, spec.alt_bulk_out, spec.alt_bulk_in, false);
  const std::size_t total = d.size() - config;
  d[config + 2] = static_cast<std::byte>(total & 0xFF);
  d[config + 3] = static_cast<std::byte>(total >> 8);
  return d;
}

// ------------------------------------------------------------------ URB answering (umockdev thread)

struct UmockdevUsbDevice::State {
  struct Urb {
    UMockdevIoctlData* data = nullptr;    // the resolved usbdevfs_urb (referenced)
    UMockdevIoctlData* buffer = nullptr;  // its resolved buffer (referenced)
    bool done = false;
    int status = 0;
    int actual = 0;
    usbdevfs_urb* urb() const { return reinterpret_cast<usbdevfs_urb*>(data->data); }
  };
  std::shared_ptr<UsbtmcDeviceModel> model;
  mutable std::mutex mutex;
  std::deque<Urb> urbs;  // submitted, not yet reaped
  bool driver_bound = true;
  UmockdevUsbCounters counters;

  // Tries to complete a URB with the model's current state.
  void progress(Urb& u) {
    if (u.done) return;
    usbdevfs_urb* urb = u.urb();
    auto* buf = reinterpret_cast<std::byte*>(u.buffer ? u.buffer->data : nullptr);
    const std::size_t len = static_cast<std::size_t>(urb->buffer_length);
    auto finish = [&](Result r, int actual) {
      if (r == Result::nak) return;
      u.done = true;
      u.actual = actual;
      u.status = r == Result::ok ? 0 : r == Result::stall ? -EPIPE : -ENODEV;
    };
    std::vector<std::byte> out;
    switch (urb->type) {
      case USBDEVFS_URB_TYPE_CONTROL: {
        if (len < 8) return finish(Result::stall, 0);
        const auto type = static_cast<std::uint8_t>(buf[0]);
        const auto req = static_cast<std::uint8_t>(buf[1]);
        const auto value = static_cast<std::uint16_t>(static_cast<unsigned>(buf[2]) | static_cast<unsigned>(buf[3]) << 8);
        const auto index = static_cast<std::uint16_t>(static_cast<unsigned>(buf[4]) | static_cast<unsigned>(buf[5]) << 8);
        const auto length = std::min<std::size_t>(
            static_cast<std::size_t>(static_cast<unsigned>(buf[6]) | static_cast<unsigned>(buf[7]) << 8), len - 8);
        std::size_t n = 0;
        Result r = model->control(type, req, value, index, std::span(buf + 8, length), n);
        // usbdevfs reports the data stage only (the setup packet is not counted).
        return finish(r, static_cast<int>((type & 0x80) ? n : length));
      }
      case USBDEVFS_URB_TYPE_BULK:
        if (urb->endpoint & 0x80) {
          Result r = model->bulk_in(urb->endpoint, len, out);
          if (r == Result::ok && !out.empty()) std::memcpy(buf, out.data(), out.size());
          return finish(r, static_cast<int>(out.size()));
        } else {
          Result r = model->bulk_out(urb->endpoint, std::span(buf, len));
          return finish(r, static_cast<int>(len));
        }
      case USBDEVFS_URB_TYPE_INTERRUPT: {
        Result r = model->interrupt_in(urb->endpoint, out);
        if (r == Result::ok) {
          const std::size_t n = std::min(out.size(), len);
          if (n) std::memcpy(buf, out.data(), n);
          return finish(r, static_cast<int>(n));
        }
        return finish(r, 0);
      }
      default:
        return finish(Result::stall, 0);  // isochronous: not used by USBTMC
    }
  }

  static void complete(UMockdevIoctlClient* client, int ret, int err) {
    umockdev_ioctl_client_complete(client, ret, err);
  }

  gboolean handle(UMockdevIoctlClient* client) {
    std::lock_guard g(mutex);
    const unsigned long request = umockdev_ioctl_client_get_request(client);
    UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);
    switch (request) {
      case USBDEVFS_GET_CAPABILITIES: {
        UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(guint32), nullptr);
        // One URB per transfer whatever its size (libusb then does not split bulk transfers).
        *reinterpret_cast<guint32*>(d->data) =
            USBDEVFS_CAP_BULK_SCATTER_GATHER | USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT |
            USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION;
        g_object_unref(d);
        complete(client, 0, 0);
        return TRUE;
      }
      case USBDEVFS_CLAIMINTERFACE:
        if (driver_bound) {
          complete(client, -1, EBUSY);  // as the kernel: a driver holds it
          return TRUE;
        }
        ++counters.claims;
        complete(client, 0, 0);
        return TRUE;
      case USBDEVFS_RELEASEINTERFACE:
        ++counters.releases;
        complete(client, 0, 0);
        return TRUE;
      case USBDEVFS_GETDRIVER: {
        UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_getdriver), nullptr);
        auto* gd = reinterpret_cast<usbdevfs_getdriver*>(d->data);
        if (!driver_bound) {
          g_object_unref(d);
          complete(client, -1, ENODATA);
          return TRUE;
        }
        std::snprintf(gd->driver, sizeof gd->driver, "usbtmc");
        g_object_unref(d);
        complete(client, 0, 0);
        return TRUE;
      }
      case USBDEVFS_IOCTL: {
        UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_ioctl), nullptr);
        const int code = reinterpret_cast<usbdevfs_ioctl*>(d->data)->ioctl_code;
        g_object_unref(d);
        if (code == USBDEVFS_DISCONNECT) {
          driver_bound = false;
          ++counters.detaches;
        } else if (code == USBDEVFS_CONNECT) {
          driver_bound = true;
          ++counters.attaches;
        } else {
          complete(client, -1, ENOTTY);
          return TRUE;
        }
        complete(client, 0, 0);
        return TRUE;
      }
      case USBDEVFS_CLEAR_HALT: {
        UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(unsigned int), nullptr);
        const unsigned ep = *reinterpret_cast<unsigned int*>(d->data);
        g_object_unref(d);
        std::size_t n = 0;
        Result r = model->control(0x02, cppvisa::usbtmc::std_request_clear_feature,
                                  cppvisa::usbtmc::feature_endpoint_halt, static_cast<std::uint16_t>(ep), {}, n);
        if (r == Result::ok) complete(client, 0, 0);
        else complete(client, -1, r == Result::gone ? ENODEV : EPIPE);
        return TRUE;
      }
      case USBDEVFS_SETINTERFACE: {
        UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_setinterface), nullptr);
        const auto* si = reinterpret_cast<usbdevfs_setinterface*>(d->data);
        ++counters.set_interfaces;
        counters.last_alt_setting = static_cast<int>(si->altsetting);
        g_object_unref(d);
        complete(client, 0, 0);
        return TRUE;
      }
      case USBDEVFS_RESET:
      case USBDEVFS_RESETEP:
        complete(client, 0, 0);
        return TRUE;
      case USBDEVFS_SUBMITURB: {
        Urb u;
        u.data = umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_urb), nullptr);
        usbdevfs_urb* urb = u.urb();
        if (urb->buffer_length > 0)
          u.buffer = umockdev_ioctl_data_resolve(u.data, offsetof(usbdevfs_urb, buffer),
                                                 static_cast<gsize>(urb->buffer_length), nullptr);
        ++counters.urbs_submitted;
        if (urb->type == USBDEVFS_URB_TYPE_BULK) {
          ++counters.bulk_urbs;
          ++((urb->endpoint & 0x80) ? counters.bulk_in_urbs : counters.bulk_out_urbs);
        }
        progress(u);
        if (u.done && u.status == -ENODEV) {
          if (u.buffer) g_object_unref(u.buffer);
          g_object_unref(u.data);
          complete(client, -1, ENODEV);
          return TRUE;
        }
        urbs.push_back(u);
        complete(client, 0, 0);
        return TRUE;
      }
      case USBDEVFS_REAPURB:
      case USBDEVFS_REAPURBNDELAY: {
        for (auto& u : urbs) progress(u);
        for (auto it = urbs.begin(); it != urbs.end(); ++it) {
          if (!it->done) continue;
          Urb u = *it;
          urbs.erase(it);
          u.urb()->status = u.status;
          u.urb()->actual_length = u.actual;
          UMockdevIoctlData* ptr = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), nullptr);
          umockdev_ioctl_data_set_ptr(ptr, 0, u.data);
          g_object_unref(ptr);
          if (u.buffer) g_object_unref(u.buffer);
          g_object_unref(u.data);
          complete(client, 0, 0);
          return TRUE;
        }
        complete(client, -1, EAGAIN);
        return TRUE;
      }
      case USBDEVFS_DISCARDURB: {
        const auto addr = reinterpret_cast<gulong>(*reinterpret_cast<void**>(arg->data));
        for (auto& u : urbs) {
          if (u.data->client_addr == addr && !u.done) {
            u.done = true;
            u.status = -ENOENT;  // reaped as cancelled, as the kernel does
            u.actual = 0;
            complete(client, 0, 0);
            return TRUE;
          }
        }
        complete(client, -1, EINVAL);
        return TRUE;
      }
      default:
        return FALSE;
    }
  }
};

namespace {
gboolean on_ioctl(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer user) {
  return static_cast<UmockdevUsbDevice::State*>(user)->handle(client);
}
std::string hex(const std::vector<std::byte>& v) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (std::byte b : v) {
    s += digits[static_cast<unsigned>(b) >> 4];
    s += digits[static_cast<unsigned>(b) & 15];
  }
  return s;
}
}  // namespace

UmockdevUsbDevice::UmockdevUsbDevice(std::shared_ptr<UsbtmcDeviceModel> model, UmockdevUsbSpec spec)
    : model_(std::move(model)), state_(std::make_unique<State>()) {
  char node[64];
  std::snprintf(node, sizeof node, "/dev/bus/usb/%03d/%03d", spec.bus, spec.address);
  devnode_ = node;
  state_->model = model_;
  state_->driver_bound = spec.driver_bound;
  testbed_ = umockdev_testbed_new();
  handler_ = umockdev_ioctl_base_new();
  g_signal_connect_after(handler_, "handle-ioctl", G_CALLBACK(on_ioctl), state_.get());
  GError* error = nullptr;
  if (!umockdev_testbed_attach_ioctl(testbed_, devnode_.c_str(), handler_, &error)) {
    std::string why = error ? error->message : "attach_ioctl failed";
    g_clear_error(&error);
    throw std::runtime_error("umockdev: " + why);
  }
  const auto& info = model_->config().info;
  char numbers[256];
  std::snprintf(numbers, sizeof numbers,
                "E: BUSNUM=%03d\nE: DEVNUM=%03d\nE: DEVNAME=%s\nA: busnum=%d\\n\nA: devnum=%d\\n\n", spec.bus,
                spec.address, node, spec.bus, spec.address);
  std::string text = "P: /devices/pci0000:00/usb" + std::to_string(spec.bus) + "/" + std::to_string(spec.bus) + "-" +
                     std::to_string(spec.address - 1) + "\nN: " + devnode_.substr(5) + "\n" +
                     "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: DRIVER=usb\n" + numbers +
                     "A: speed=480\\n\nA: bConfigurationValue=1\\n\n";
  if (!info.serial.empty()) text += "A: serial=" + info.serial + "\\n\n";
  if (!info.manufacturer.empty()) text += "A: manufacturer=" + info.manufacturer + "\\n\n";
  if (!info.product.empty()) text += "A: product=" + info.product + "\\n\n";
  text += "H: descriptors=" + hex(usb_descriptors(info, spec)) + "\n";
  if (!umockdev_testbed_add_from_string(testbed_, text.c_str(), &error)) {
    std::string why = error ? error->message : "add_from_string failed";
    g_clear_error(&error);
    throw std::runtime_error("umockdev: " + why);
  }
}

UmockdevUsbDevice::~UmockdevUsbDevice() {
  g_clear_object(&handler_);
  g_clear_object(&testbed_);
}

std::string UmockdevUsbDevice::root_dir() const {
  gchar* dir = umockdev_testbed_get_root_dir(testbed_);
  std::string s = dir ? dir : "";
  g_free(dir);
  return s;
}

UmockdevUsbCounters UmockdevUsbDevice::counters() const {
  std::lock_guard g(state_->mutex);
  return state_->counters;
}

}  // namespace cppvisa::testing
