// The real libusb path under umockdev: an emulated sysfs device (descriptors, serial, bus and
// address) whose usbdevfs node is answered by the USBTMC/USB488 device model
// (tests/support/usbtmc_device_model.hpp). libusb submits, reaps and discards URBs; this file
// answers them (the ioctls libusb's Linux backend issues, as libusb's own tests/umockdev.c shows:
// GET_CAPABILITIES, CLAIM/RELEASEINTERFACE, GETDRIVER, IOCTL(DISCONNECT/CONNECT), CLEAR_HALT,
// SUBMITURB, REAPURBNDELAY, DISCARDURB). Runs only under umockdev-wrapper (LD_PRELOAD); exits 77
// (skip) otherwise.
#include "protocols/usbtmc/libusb_transport.hpp"
#include "protocols/usbtmc/usb_devices.hpp"
#include "protocols/usbtmc/usbtmc_resources.hpp"
#include "protocols/usbtmc/usbtmc_session.hpp"
#include "support/usbtmc_device_model.hpp"

#include <gtest/gtest.h>
#include <linux/usbdevice_fs.h>
#include <sys/ioctl.h>
#include <umockdev.h>

#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

namespace cppvisa::usbtmc {
namespace {

using testing::ModelReply;
using testing::UsbtmcDeviceModel;
using Result = UsbtmcDeviceModel::Result;

constexpr const char* kDevNode = "/dev/bus/usb/001/002";
constexpr const char* kName = "USB0::0x0957::0x1796::MY123::INSTR";

// Device + configuration descriptors of a USB488 interface: bulk OUT 0x02, bulk IN 0x81 (512),
// interrupt IN 0x83 (8 bytes).
constexpr const char* kDescriptors =
    "12010002000000405709961700010102030109022700010100c0320904000003fe030100"
    "0705020200020007058102000200070583030800 0a";

// ------------------------------------------------------------------ URB answering (umockdev thread)

struct Urb {
  UMockdevIoctlData* data = nullptr;    // the resolved usbdevfs_urb (referenced)
  UMockdevIoctlData* buffer = nullptr;  // its resolved buffer (referenced)
  bool done = false;
  int status = 0;
  int actual = 0;
  usbdevfs_urb* urb() const { return reinterpret_cast<usbdevfs_urb*>(data->data); }
};

struct Emulation {
  std::shared_ptr<UsbtmcDeviceModel> model;
  std::mutex mutex;
  std::deque<Urb> urbs;  // submitted, not yet reaped
  bool driver_bound = true;  // the kernel's usbtmc driver holds interface 0 at the start
  int detaches = 0, attaches = 0, claims = 0, releases = 0;
  std::size_t urbs_submitted = 0, bulk_urbs = 0;
};

// Tries to complete a URB with the model's current state.
void progress(Emulation& e, Urb& u) {
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
      Result r = e.model->control(type, req, value, index, std::span(buf + 8, length), n);
      // usbdevfs reports the data stage only (the setup packet is not counted).
      return finish(r, static_cast<int>((type & 0x80) ? n : length));
    }
    case USBDEVFS_URB_TYPE_BULK:
      if (urb->endpoint & 0x80) {
        Result r = e.model->bulk_in(urb->endpoint, len, out);
        if (r == Result::ok && !out.empty()) std::memcpy(buf, out.data(), out.size());
        return finish(r, static_cast<int>(out.size()));
      } else {
        Result r = e.model->bulk_out(urb->endpoint, std::span(buf, len));
        return finish(r, static_cast<int>(len));
      }
    case USBDEVFS_URB_TYPE_INTERRUPT: {
      Result r = e.model->interrupt_in(urb->endpoint, out);
      if (r == Result::ok) {
        const std::size_t n = std::min(out.size(), len);
        std::memcpy(buf, out.data(), n);
        return finish(r, static_cast<int>(n));
      }
      return finish(r, 0);
    }
    default:
      return finish(Result::stall, 0);  // isochronous: not used by USBTMC
  }
}

gboolean handle_ioctl(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer user) {
  auto& e = *static_cast<Emulation*>(user);
  std::lock_guard g(e.mutex);
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
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    }
    case USBDEVFS_CLAIMINTERFACE:
      if (e.driver_bound) {
        umockdev_ioctl_client_complete(client, -1, EBUSY);  // as the kernel: a driver holds it
        return TRUE;
      }
      ++e.claims;
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    case USBDEVFS_RELEASEINTERFACE:
      ++e.releases;
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    case USBDEVFS_GETDRIVER: {
      UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_getdriver), nullptr);
      auto* gd = reinterpret_cast<usbdevfs_getdriver*>(d->data);
      if (!e.driver_bound) {
        g_object_unref(d);
        umockdev_ioctl_client_complete(client, -1, ENODATA);
        return TRUE;
      }
      std::snprintf(gd->driver, sizeof gd->driver, "usbtmc");
      g_object_unref(d);
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    }
    case USBDEVFS_IOCTL: {
      UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_ioctl), nullptr);
      const int code = reinterpret_cast<usbdevfs_ioctl*>(d->data)->ioctl_code;
      g_object_unref(d);
      if (code == USBDEVFS_DISCONNECT) {
        e.driver_bound = false;
        ++e.detaches;
      } else if (code == USBDEVFS_CONNECT) {
        e.driver_bound = true;
        ++e.attaches;
      } else {
        umockdev_ioctl_client_complete(client, -1, ENOTTY);
        return TRUE;
      }
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    }
    case USBDEVFS_CLEAR_HALT: {
      UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(unsigned int), nullptr);
      const unsigned ep = *reinterpret_cast<unsigned int*>(d->data);
      g_object_unref(d);
      std::size_t n = 0;
      Result r = e.model->control(0x02, std_request_clear_feature, feature_endpoint_halt,
                                  static_cast<std::uint16_t>(ep), {}, n);
      if (r == Result::ok) umockdev_ioctl_client_complete(client, 0, 0);
      else umockdev_ioctl_client_complete(client, -1, r == Result::gone ? ENODEV : EPIPE);
      return TRUE;
    }
    case USBDEVFS_RESET:
    case USBDEVFS_RESETEP:
    case USBDEVFS_SETINTERFACE:
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    case USBDEVFS_SUBMITURB: {
      Urb u;
      u.data = umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_urb), nullptr);
      usbdevfs_urb* urb = u.urb();
      if (urb->buffer_length > 0)
        u.buffer = umockdev_ioctl_data_resolve(u.data, offsetof(usbdevfs_urb, buffer),
                                               static_cast<gsize>(urb->buffer_length), nullptr);
      ++e.urbs_submitted;
      if (urb->type == USBDEVFS_URB_TYPE_BULK) ++e.bulk_urbs;
      progress(e, u);
      if (u.done && u.status == -ENODEV) {
        if (u.buffer) g_object_unref(u.buffer);
        g_object_unref(u.data);
        umockdev_ioctl_client_complete(client, -1, ENODEV);
        return TRUE;
      }
      e.urbs.push_back(u);
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    }
    case USBDEVFS_REAPURB:
    case USBDEVFS_REAPURBNDELAY: {
      for (auto& u : e.urbs) progress(e, u);
      for (auto it = e.urbs.begin(); it != e.urbs.end(); ++it) {
        if (!it->done) continue;
        Urb u = *it;
        e.urbs.erase(it);
        u.urb()->status = u.status;
        u.urb()->actual_length = u.actual;
        UMockdevIoctlData* ptr = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), nullptr);
        umockdev_ioctl_data_set_ptr(ptr, 0, u.data);
        g_object_unref(ptr);
        if (u.buffer) g_object_unref(u.buffer);
        g_object_unref(u.data);
        umockdev_ioctl_client_complete(client, 0, 0);
        return TRUE;
      }
      umockdev_ioctl_client_complete(client, -1, EAGAIN);
      return TRUE;
    }
    case USBDEVFS_DISCARDURB: {
      const auto addr = reinterpret_cast<gulong>(*reinterpret_cast<void**>(arg->data));
      for (auto& u : e.urbs) {
        if (u.data->client_addr == addr && !u.done) {
          u.done = true;
          u.status = -ENOENT;  // reaped as cancelled, as the kernel does
          u.actual = 0;
          umockdev_ioctl_client_complete(client, 0, 0);
          return TRUE;
        }
      }
      umockdev_ioctl_client_complete(client, -1, EINVAL);
      return TRUE;
    }
    default:
      return FALSE;
  }
}

// ------------------------------------------------------------------ fixture

class UmockdevUsbtmc : public ::testing::Test {
 protected:
  void SetUp() override {
    emulation = std::make_unique<Emulation>();
    emulation->model = std::make_shared<UsbtmcDeviceModel>();
    testbed = umockdev_testbed_new();
    handler = umockdev_ioctl_base_new();
    g_signal_connect_after(handler, "handle-ioctl", G_CALLBACK(handle_ioctl), emulation.get());
    ASSERT_TRUE(umockdev_testbed_attach_ioctl(testbed, kDevNode, handler, nullptr));
    std::string descriptors;
    for (char c : std::string(kDescriptors))
      if (c != ' ') descriptors += c;
    std::string spec = std::string("P: /devices/pci0000:00/usb1/1-1\nN: bus/usb/001/002\n") +
                       "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: DRIVER=usb\nE: BUSNUM=001\nE: DEVNUM=002\n"
                       "E: DEVNAME=/dev/bus/usb/001/002\n"
                       "A: busnum=1\\n\nA: devnum=2\\n\nA: speed=480\\n\nA: bConfigurationValue=1\\n\n"
                       "A: serial=MY123\\n\nA: manufacturer=Keysight Model\\n\nA: product=Model Scope\\n\n"
                       "H: descriptors=" + descriptors + "\n";
    GError* error = nullptr;
    ASSERT_TRUE(umockdev_testbed_add_from_string(testbed, spec.c_str(), &error))
        << (error ? error->message : "");
  }
  void TearDown() override {
    session.reset();
    g_clear_object(&handler);
    g_clear_object(&testbed);
  }
  void open_session() {
    status_t st = status::SUCCESS;
    session = make_session(ResourceName::parse(kName), st);
    ASSERT_EQ(st, status::SUCCESS);
    ASSERT_TRUE(session);
    ASSERT_EQ(session->connect(core::Deadline::after_ms(2000)), status::SUCCESS);
  }
  std::string query(std::string_view text, status_t expect = status::SUCCESS) {
    std::size_t n = 0;
    EXPECT_EQ(session->write(std::as_bytes(std::span(text.data(), text.size())), n, core::Deadline::after_ms(2000)),
              status::SUCCESS);
    std::vector<std::byte> buf(4096);
    EXPECT_EQ(session->read(buf, n, core::Deadline::after_ms(2000)), expect);
    return std::string(reinterpret_cast<const char*>(buf.data()), n);
  }

  std::unique_ptr<Emulation> emulation;
  UMockdevTestbed* testbed = nullptr;
  UMockdevIoctlBase* handler = nullptr;
  std::unique_ptr<core::Session> session;
};

TEST_F(UmockdevUsbtmc, SysfsEnumerationWithoutOpening) {
  auto devices = scan_devices();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].serial, "MY123");
  EXPECT_EQ(devices[0].bus, 1);
  EXPECT_EQ(devices[0].address, 2);
  ASSERT_EQ(devices[0].descriptors.interfaces.size(), 1u);
  EXPECT_TRUE(devices[0].descriptors.interfaces[0].is_usbtmc());
  auto names = list_resources();
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(ResourceName::parse(names[0]).canonical(), ResourceName::parse(kName).canonical());
  EXPECT_EQ(emulation->urbs_submitted, 0u) << "listing opened nothing";
  status_t st = status::SUCCESS;
  EXPECT_FALSE(make_session(ResourceName::parse("USB0::0x0957::0x1796::OTHER::INSTR"), st));
  EXPECT_EQ(st, status::ERROR_RSRC_NFOUND);
  EXPECT_TRUE(make_session(ResourceName::parse("USB0::2391::6038::MY123::0::INSTR"), st)) << "ids are numbers";
}

TEST_F(UmockdevUsbtmc, QueryThroughLibusbDetachingTheKernelDriver) {
  open_session();
  EXPECT_EQ(emulation->detaches, 1);
  EXPECT_EQ(emulation->claims, 1);
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
  std::uint16_t stb = 0;
  emulation->model->set_stb(0x10);
  ASSERT_EQ(session->read_stb(stb, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(stb, 0x10) << "STB over interrupt-IN";
  ASSERT_EQ(session->clear(core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
  auto s = emulation->model->stats();
  EXPECT_EQ(s.tag_errors, 0u);
  EXPECT_EQ(s.padding_errors, 0u);
  EXPECT_EQ(s.clears, 1u);
  session->disconnect();
  session.reset();
  EXPECT_EQ(emulation->releases, 1);
  EXPECT_EQ(emulation->attaches, 1) << "the kernel driver is given its interface back";
}

TEST_F(UmockdevUsbtmc, HundredMegabyteReplyOneRequest) {
  open_session();
  constexpr std::size_t size = 100u << 20;
  emulation->model->queue_reply(ModelReply::pattern(size));
  std::vector<std::byte> buf(size);
  std::size_t n = 0;
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(session->read(buf, n, core::Deadline::after_ms(60000)), status::SUCCESS);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(n, size);
  for (std::size_t i = 0; i < size; i += 1021) ASSERT_EQ(buf[i], ModelReply::pattern_byte(i)) << i;
  EXPECT_EQ(emulation->model->stats().requests, 1u);
  std::printf("100 MiB through libusb+umockdev in %lld ms, %zu bulk URBs\n", static_cast<long long>(ms),
              emulation->bulk_urbs);
}

TEST_F(UmockdevUsbtmc, TimeoutAbortsAndTheNextQueryWorks) {
  open_session();
  emulation->model->configure([](auto& c) { c.never_answer = true; });
  auto t0 = std::chrono::steady_clock::now();
  std::size_t n = 0;
  ASSERT_EQ(session->write(std::as_bytes(std::span("*IDN?\n", 6)), n, core::Deadline::after_ms(1000)), status::SUCCESS);
  std::vector<std::byte> buf(64);
  EXPECT_EQ(session->read(buf, n, core::Deadline::after_ms(200)), status::ERROR_TMO);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1500));
  emulation->model->configure([](auto& c) { c.never_answer = false; });
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
  EXPECT_EQ(emulation->model->stats().aborts_in, 1u);
}

TEST_F(UmockdevUsbtmc, WrongTagIsAnError) {
  open_session();
  emulation->model->configure([](auto& c) { c.wrong_tag = true; });
  query("*IDN?\n", status::ERROR_IO);
  emulation->model->configure([](auto& c) { c.wrong_tag = false; });
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
}

TEST_F(UmockdevUsbtmc, VendorControlTransfers) {
  open_session();
  const char data[] = "vendor";
  ASSERT_EQ(session->usb_control_out(0x41, 0x01, 0, 0, std::as_bytes(std::span(data, 6)),
                                     core::Deadline::after_ms(1000)),
            status::SUCCESS);
  std::vector<std::byte> buf(16);
  std::size_t n = 0;
  ASSERT_EQ(session->usb_control_in(0xC1, 0x02, 0, 0, buf, n, core::Deadline::after_ms(1000)), status::SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), n), "vendor");
  EXPECT_EQ(session->usb_control_in(0xC1, 0x55, 0, 0, buf, n, core::Deadline::after_ms(1000)), status::ERROR_IO);
}

TEST_F(UmockdevUsbtmc, RawSessionOnTheBulkPipes) {
  status_t st = status::SUCCESS;
  session = make_session(ResourceName::parse("USB0::0x0957::0x1796::MY123::0::RAW"), st);
  ASSERT_EQ(st, status::SUCCESS);
  ASSERT_EQ(session->connect(core::Deadline::after_ms(2000)), status::SUCCESS);
  std::vector<std::byte> frame;
  const std::string cmd = "*IDN?\n";
  append_dev_dep_msg_out(frame, 1, std::as_bytes(std::span(cmd.data(), cmd.size())), true);
  auto req = request_dev_dep_msg_in(2, 1000, std::nullopt);
  frame.insert(frame.end(), req.begin(), req.end());
  std::size_t n = 0;
  // Each USBTMC message is its own Bulk-OUT transfer (the device reads one header per transfer).
  ASSERT_EQ(session->write(std::span(frame.data(), 20), n, core::Deadline::after_ms(1000)), status::SUCCESS);
  ASSERT_EQ(session->write(std::span(frame.data() + 20, 12), n, core::Deadline::after_ms(1000)), status::SUCCESS);
  std::vector<std::byte> buf(4096);
  ASSERT_EQ(session->read(buf, n, core::Deadline::after_ms(1000)), status::SUCCESS);
  ASSERT_EQ(n, 44u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data() + 12), 31), "Keysight,Model Scope,MY123,1.0\n");
  EXPECT_EQ(list_resources(true).size(), 1u) << "the USBTMC interface is listed as INSTR";
}

TEST_F(UmockdevUsbtmc, UnplugGivesConnectionLost) {
  open_session();
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
  emulation->model->unplug();
  std::size_t n = 0;
  EXPECT_EQ(session->write(std::as_bytes(std::span("*IDN?\n", 6)), n, core::Deadline::after_ms(1000)),
            status::ERROR_CONN_LOST);
}

TEST_F(UmockdevUsbtmc, UnplugMidTransfer) {
  open_session();
  emulation->model->configure([](auto& c) { c.never_answer = true; });
  std::size_t n = 0;
  ASSERT_EQ(session->write(std::as_bytes(std::span("*IDN?\n", 6)), n, core::Deadline::after_ms(1000)), status::SUCCESS);
  std::thread pull([m = emulation->model] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    m->unplug();  // the Bulk-IN URB in flight completes with -ENODEV
  });
  std::vector<std::byte> buf(64);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(session->read(buf, n, core::Deadline::after_ms(5000)), status::ERROR_CONN_LOST);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(3000));
  pull.join();
}

}  // namespace
}  // namespace cppvisa::usbtmc

int main(int argc, char** argv) {
  const char* preload = std::getenv("LD_PRELOAD");
  if (!preload || !std::strstr(preload, "libumockdev-preload")) {
    std::fprintf(stderr, "not under umockdev-wrapper (LD_PRELOAD=libumockdev-preload.so): skipped\n");
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
