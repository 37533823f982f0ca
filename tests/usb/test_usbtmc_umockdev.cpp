// The real libusb path under umockdev: an emulated USB instrument (umockdev_usb_device.hpp: sysfs
// device plus usbdevfs node answered by the USBTMC/USB488 device model) met by the libusb
// transport and the USBTMC session. Runs only under umockdev-wrapper (LD_PRELOAD); exits 77 (skip)
// otherwise.
#include "protocols/usbtmc/libusb_transport.hpp"
#include "protocols/usbtmc/usb_devices.hpp"
#include "protocols/usbtmc/usbtmc_resources.hpp"
#include "protocols/usbtmc/usbtmc_session.hpp"
#include "support/usbtmc_device_model.hpp"
#include "usb/umockdev_usb_device.hpp"

#include <cppvisa/resource_manager.hpp>
#include <cppvisa/resource.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace cppvisa::usbtmc {
namespace {

using testing::ModelReply;
using testing::UsbtmcDeviceModel;
constexpr const char* kName = "USB0::0x0957::0x1796::MY123::INSTR";



// ------------------------------------------------------------------ fixture

class UmockdevUsbtmc : public ::testing::Test {
 protected:
  void SetUp() override {
    model = std::make_shared<UsbtmcDeviceModel>();
    device = std::make_unique<testing::UmockdevUsbDevice>(model);
  }
  void TearDown() override {
    session.reset();
    device.reset();
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

  std::shared_ptr<UsbtmcDeviceModel> model;
  std::unique_ptr<testing::UmockdevUsbDevice> device;
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
  EXPECT_EQ(device->counters().urbs_submitted, 0u) << "listing opened nothing";
  status_t st = status::SUCCESS;
  EXPECT_FALSE(make_session(ResourceName::parse("USB0::0x0957::0x1796::OTHER::INSTR"), st));
  EXPECT_EQ(st, status::ERROR_RSRC_NFOUND);
  EXPECT_TRUE(make_session(ResourceName::parse("USB0::2391::6038::MY123::0::INSTR"), st)) << "ids are numbers";
}

TEST_F(UmockdevUsbtmc, QueryThroughLibusbDetachingTheKernelDriver) {
  open_session();
  EXPECT_EQ(device->counters().detaches, 1);
  EXPECT_EQ(device->counters().claims, 1);
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
  std::uint16_t stb = 0;
  model->set_stb(0x10);
  ASSERT_EQ(session->read_stb(stb, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(stb, 0x10) << "STB over interrupt-IN";
  ASSERT_EQ(session->clear(core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
  auto s = model->stats();
  EXPECT_EQ(s.tag_errors, 0u);
  EXPECT_EQ(s.padding_errors, 0u);
  EXPECT_EQ(s.clears, 1u);
  session->disconnect();
  session.reset();
  EXPECT_EQ(device->counters().releases, 1);
  EXPECT_EQ(device->counters().attaches, 1) << "the kernel driver is given its interface back";
}

TEST_F(UmockdevUsbtmc, HundredMegabyteReplyOneRequest) {
  open_session();
  constexpr std::size_t size = 100u << 20;
  model->queue_reply(ModelReply::pattern(size));
  std::vector<std::byte> buf(size);
  std::size_t n = 0;
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(session->read(buf, n, core::Deadline::after_ms(60000)), status::SUCCESS);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(n, size);
  for (std::size_t i = 0; i < size; i += 1021) ASSERT_EQ(buf[i], ModelReply::pattern_byte(i)) << i;
  EXPECT_EQ(model->stats().requests, 1u);
  std::printf("100 MiB through libusb+umockdev in %lld ms, %zu bulk URBs\n", static_cast<long long>(ms),
              device->counters().bulk_urbs);
}

TEST_F(UmockdevUsbtmc, TimeoutAbortsAndTheNextQueryWorks) {
  open_session();
  model->configure([](auto& c) { c.never_answer = true; });
  auto t0 = std::chrono::steady_clock::now();
  std::size_t n = 0;
  ASSERT_EQ(session->write(std::as_bytes(std::span("*IDN?\n", 6)), n, core::Deadline::after_ms(1000)), status::SUCCESS);
  std::vector<std::byte> buf(64);
  EXPECT_EQ(session->read(buf, n, core::Deadline::after_ms(200)), status::ERROR_TMO);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1500));
  model->configure([](auto& c) { c.never_answer = false; });
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
  EXPECT_EQ(model->stats().aborts_in, 1u);
}

TEST_F(UmockdevUsbtmc, WrongTagIsAnError) {
  open_session();
  model->configure([](auto& c) { c.wrong_tag = true; });
  query("*IDN?\n", status::ERROR_IO);
  model->configure([](auto& c) { c.wrong_tag = false; });
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
  model->unplug();
  std::size_t n = 0;
  EXPECT_EQ(session->write(std::as_bytes(std::span("*IDN?\n", 6)), n, core::Deadline::after_ms(1000)),
            status::ERROR_CONN_LOST);
}

TEST_F(UmockdevUsbtmc, UnplugMidTransfer) {
  open_session();
  model->configure([](auto& c) { c.never_answer = true; });
  std::size_t n = 0;
  ASSERT_EQ(session->write(std::as_bytes(std::span("*IDN?\n", 6)), n, core::Deadline::after_ms(1000)), status::SUCCESS);
  std::thread pull([m = model] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    m->unplug();  // the Bulk-IN URB in flight completes with -ENODEV
  });
  std::vector<std::byte> buf(64);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(session->read(buf, n, core::Deadline::after_ms(5000)), status::ERROR_CONN_LOST);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(3000));
  pull.join();
}

// VI_EVENT_USB_INTR through the real libusb path and the C++ API: a vendor-specific interrupt-IN
// packet (bNotify1 bit 7 clear) of the emulated device, on USB INSTR and on USB RAW.
TEST_F(UmockdevUsbtmc, VendorInterruptPacketIsAUsbInterruptEventThroughLibusb) {
  ResourceManager rm("@native");
  for (const char* name : {kName, "USB0::0x0957::0x1796::MY123::0::RAW"}) {
    SCOPED_TRACE(name);
    auto r = rm.open_resource(name);
    r->enable_event(event::usb_interrupt, EventMechanism::queue);
    model->send_interrupt({std::byte{0x05}, std::byte{0x2A}});
    auto w = r->wait_on_event(event::usb_interrupt, 5000);
    EXPECT_EQ(w.event_type, event::usb_interrupt);
    EXPECT_EQ(std::get<std::int64_t>(w.attributes.at(attr::USB_RECV_INTR_SIZE)), 2);
    EXPECT_EQ(std::get<std::string>(w.attributes.at(attr::USB_RECV_INTR_DATA)), std::string("\x05\x2A", 2));
    r->close();
  }
}

TEST(UmockdevUsbRaw, AlternateSettingsControlPipeAndPipeStatus) {
  auto model = std::make_shared<UsbtmcDeviceModel>();
  testing::UmockdevUsbSpec spec;
  spec.alt_bulk_out = 0x04;
  spec.alt_bulk_in = 0x85;
  testing::UmockdevUsbDevice device(model, spec);
  status_t st = status::SUCCESS;
  auto session = make_session(ResourceName::parse("USB0::0x0957::0x1796::MY123::0::RAW"), st);
  ASSERT_TRUE(session);
  ASSERT_EQ(session->connect(core::Deadline::after_ms(2000)), status::SUCCESS);
  auto get = [&](attr_id_t id) {
    AttrValue v;
    EXPECT_EQ(session->get_attribute(id, v), status::SUCCESS);
    return std::get<std::int64_t>(v);
  };
  EXPECT_EQ(get(attr::USB_ALT_SETTING), 0);
  EXPECT_EQ(get(attr::USB_BULK_IN_PIPE), 0x81);
  ASSERT_EQ(session->set_attribute(attr::USB_ALT_SETTING, std::int64_t{1}), status::SUCCESS);
  EXPECT_EQ(device.counters().set_interfaces, 1);
  EXPECT_EQ(device.counters().last_alt_setting, 1) << "SET_INTERFACE reached the device";
  EXPECT_EQ(get(attr::USB_ALT_SETTING), 1);
  EXPECT_EQ(get(attr::USB_BULK_IN_PIPE), 0x85);
  EXPECT_EQ(get(attr::USB_BULK_OUT_PIPE), 0x04);
  EXPECT_EQ(get(attr::USB_INTR_IN_PIPE), -1) << "setting 1 has no interrupt endpoint";
  EXPECT_EQ(session->set_attribute(attr::USB_BULK_IN_PIPE, std::int64_t{0x81}), status::ERROR_NSUP_ATTR_STATE)
      << "0x81 is not an endpoint of setting 1";
  EXPECT_EQ(session->set_attribute(attr::USB_ALT_SETTING, std::int64_t{2}), status::ERROR_NSUP_ATTR_STATE);
  ASSERT_EQ(session->set_attribute(attr::USB_ALT_SETTING, std::int64_t{0}), status::SUCCESS);
  EXPECT_EQ(get(attr::USB_BULK_IN_PIPE), 0x81);
  EXPECT_EQ(get(attr::USB_BULK_OUT_PIPE), 0x02);
  EXPECT_EQ(session->set_attribute(attr::USB_CTRL_PIPE, std::int64_t{1}), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(session->set_attribute(attr::USB_CTRL_PIPE, std::int64_t{0}), status::SUCCESS);

  // A stalled Bulk-IN shows in VI_ATTR_USB_BULK_IN_STATUS until the user clears it.
  EXPECT_EQ(get(attr::USB_BULK_IN_STATUS), 0);
  model->halt_bulk_in();
  std::vector<std::byte> buf(4096);
  std::size_t n = 0;
  EXPECT_EQ(session->read(buf, n, core::Deadline::after_ms(500)), status::ERROR_IO);
  EXPECT_EQ(get(attr::USB_BULK_IN_STATUS), 1) << "VI_USB_PIPE_STALLED";
  EXPECT_EQ(session->set_attribute(attr::USB_BULK_IN_STATUS, std::int64_t{1}), status::ERROR_NSUP_ATTR_STATE);
  ASSERT_EQ(session->set_attribute(attr::USB_BULK_IN_STATUS, std::int64_t{0}), status::SUCCESS);
  EXPECT_EQ(get(attr::USB_BULK_IN_STATUS), 0);
  std::vector<std::byte> frame;
  const std::string cmd = "*IDN?\n";
  append_dev_dep_msg_out(frame, 1, std::as_bytes(std::span(cmd.data(), cmd.size())), true);
  ASSERT_EQ(session->write(frame, n, core::Deadline::after_ms(1000)), status::SUCCESS);
  auto req = request_dev_dep_msg_in(2, 1000, std::nullopt);
  ASSERT_EQ(session->write(req, n, core::Deadline::after_ms(1000)), status::SUCCESS);
  ASSERT_EQ(session->read(buf, n, core::Deadline::after_ms(1000)), status::SUCCESS) << "the pipe works again";
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data() + 12), 31), "Keysight,Model Scope,MY123,1.0\n");
}

TEST(UmockdevUsbRaw, AVendorClassDeviceIsListedAsRawOnlyWhenAsked) {
  testing::UsbtmcModelConfig config;
  config.info.interface_class = 0xFF;  // vendor specific: not USBTMC
  config.info.interface_subclass = 0;
  config.info.interface_protocol = 0;
  config.info.serial = "RAW42";
  auto model = std::make_shared<UsbtmcDeviceModel>(config);
  testing::UmockdevUsbDevice device(model);
  ResourceManager rm("@native");
  std::error_code ec;
  auto instr = rm.list_resources("USB?*", ec);
  EXPECT_TRUE(instr.empty()) << "not a USBTMC interface: no INSTR, no RAW unless asked";
  auto raw = rm.list_resources("?*::RAW");
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_EQ(raw[0], "USB0::0x0957::0x1796::RAW42::0::RAW");
  EXPECT_EQ(device.counters().urbs_submitted, 0u) << "listing opened nothing";
  auto r = rm.open_resource(raw[0]);
  EXPECT_EQ(std::get<std::int64_t>(r->get_visa_attribute(attr::USB_INTFC_NUM)), 0);
  EXPECT_EQ(device.counters().claims, 1);
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
