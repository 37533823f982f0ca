// UsbRawSession against the device model: raw bytes on the bulk pipes (here the test speaks
// USBTMC framing by hand, which is what RAW users of a USBTMC device do), END on short packets
// per VI_ATTR_USB_END_IN, reads smaller than a packet, pipe attributes validated, interrupt-IN
// as VI_EVENT_USB_INTR, USB attributes, unplug.
#include "protocols/usbtmc/usb_raw_session.hpp"
#include "protocols/usbtmc/usbtmc_wire.hpp"
#include "core/session_backend.hpp"
#include "support/usbtmc_device_model.hpp"

#include <gtest/gtest.h>

namespace cppvisa::usbtmc {
namespace {

using testing::ModelTransport;
using testing::UsbtmcDeviceModel;

constexpr const char* kRawName = "USB0::0x0957::0x1796::MY123::0::RAW";
constexpr const char* kInstrName = "USB0::0x0957::0x1796::MY123::0::INSTR";

TransportOpener opener_for(std::shared_ptr<UsbtmcDeviceModel> model) {
  return [model](const ResourceName&, core::Deadline, status_t& st) -> std::unique_ptr<UsbTransport> {
    st = status::SUCCESS;
    return std::make_unique<ModelTransport>(model);
  };
}

class UsbRaw : public ::testing::Test {
 protected:
  void SetUp() override {
    model = std::make_shared<UsbtmcDeviceModel>();
    session = std::make_unique<UsbRawSession>(ResourceName::parse(kRawName), opener_for(model));
    ASSERT_EQ(session->connect(core::Deadline::after_ms(1000)), status::SUCCESS);
  }
  void TearDown() override { session->disconnect(); }
  status_t send(const std::vector<std::byte>& frame) {
    std::size_t n = 0;
    status_t st = session->write(frame, n, core::Deadline::after_ms(1000));
    if (st >= 0) {
      EXPECT_EQ(n, frame.size());
    }
    return st;
  }
  std::shared_ptr<UsbtmcDeviceModel> model;
  std::unique_ptr<UsbRawSession> session;
};

TEST_F(UsbRaw, HandMadeUsbtmcQueryOverTheRawPipes) {
  std::vector<std::byte> frame;
  const std::string cmd = "*IDN?\n";
  append_dev_dep_msg_out(frame, 1, std::as_bytes(std::span(cmd.data(), cmd.size())), true);
  ASSERT_EQ(send(frame), status::SUCCESS);
  auto req = request_dev_dep_msg_in(2, 1000, std::nullopt);
  ASSERT_EQ(send(std::vector<std::byte>(req.begin(), req.end())), status::SUCCESS);
  std::vector<std::byte> buf(4096);
  std::size_t n = 0;
  ASSERT_EQ(session->read(buf, n, core::Deadline::after_ms(1000)), status::SUCCESS) << "END on the short packet";
  const std::string reply = "Keysight,Model Scope,MY123,1.0\n";
  ASSERT_EQ(n, header_size + reply.size() + padding(reply.size()));
  BulkInHeader h;
  ASSERT_EQ(parse_bulk_in_header(std::span(buf.data(), n), 2, 1000, h), HeaderError::none);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data() + header_size), h.transfer_size), reply);
}

TEST_F(UsbRaw, ReadsSmallerThanAPacketKeepTheRest) {
  std::vector<std::byte> frame;
  const std::string cmd = "*IDN?\n";
  append_dev_dep_msg_out(frame, 1, std::as_bytes(std::span(cmd.data(), cmd.size())), true);
  ASSERT_EQ(send(frame), status::SUCCESS);
  auto req = request_dev_dep_msg_in(2, 1000, std::nullopt);
  ASSERT_EQ(send(std::vector<std::byte>(req.begin(), req.end())), status::SUCCESS);
  std::string got;
  status_t st = status::SUCCESS_MAX_CNT;
  while (st == status::SUCCESS_MAX_CNT) {
    std::vector<std::byte> buf(5);
    std::size_t n = 0;
    st = session->read(buf, n, core::Deadline::after_ms(1000));
    got.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  EXPECT_EQ(st, status::SUCCESS);
  EXPECT_EQ(got.size(), 44u);
  EXPECT_EQ(got.substr(12, 31), "Keysight,Model Scope,MY123,1.0\n");
}

TEST_F(UsbRaw, NothingToReadTimesOut) {
  std::vector<std::byte> buf(512);
  std::size_t n = 0;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(session->read(buf, n, core::Deadline::after_ms(100)), status::ERROR_TMO);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1500));
}

TEST_F(UsbRaw, PipeAttributesAndUsbAttributes) {
  AttrValue v;
  ASSERT_EQ(session->get_attribute(attr::USB_BULK_IN_PIPE, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 0x81);
  ASSERT_EQ(session->get_attribute(attr::USB_BULK_OUT_PIPE, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 0x02);
  ASSERT_EQ(session->get_attribute(attr::USB_INTR_IN_PIPE, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 0x83);
  ASSERT_EQ(session->get_attribute(attr::USB_CLASS, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 0xFE);
  ASSERT_EQ(session->get_attribute(attr::USB_NUM_PIPES, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 3);
  EXPECT_EQ(session->set_attribute(attr::USB_BULK_IN_PIPE, std::int64_t{0x02}), status::ERROR_NSUP_ATTR_STATE)
      << "an OUT endpoint is no Bulk-IN pipe";
  EXPECT_EQ(session->set_attribute(attr::USB_BULK_IN_PIPE, std::int64_t{0x81}), status::SUCCESS);
  EXPECT_EQ(session->set_attribute(attr::USB_END_IN, std::int64_t{3}), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(session->set_attribute(attr::USB_END_IN, std::int64_t{0}), status::SUCCESS);
}

TEST_F(UsbRaw, EndNoneDoesNotEndOnShortPackets) {
  ASSERT_EQ(session->set_attribute(attr::USB_END_IN, std::int64_t{0}), status::SUCCESS);
  std::vector<std::byte> frame;
  const std::string cmd = "*IDN?\n";
  append_dev_dep_msg_out(frame, 1, std::as_bytes(std::span(cmd.data(), cmd.size())), true);
  ASSERT_EQ(send(frame), status::SUCCESS);
  auto req = request_dev_dep_msg_in(2, 1000, std::nullopt);
  ASSERT_EQ(send(std::vector<std::byte>(req.begin(), req.end())), status::SUCCESS);
  std::vector<std::byte> buf(4096);
  std::size_t n = 0;
  EXPECT_EQ(session->read(buf, n, core::Deadline::after_ms(150)), status::ERROR_TMO);
  EXPECT_EQ(n, 44u) << "the bytes came, END did not";
}

TEST_F(UsbRaw, UnplugGivesConnectionLost) {
  model->unplug();
  std::vector<std::byte> buf(512);
  std::size_t n = 0;
  EXPECT_EQ(session->read(buf, n, core::Deadline::after_ms(100)), status::ERROR_CONN_LOST);
  EXPECT_EQ(send(std::vector<std::byte>(4)), status::ERROR_CONN_LOST);
}

class RawBackend : public core::SessionBackend {
 public:
  explicit RawBackend(std::shared_ptr<UsbtmcDeviceModel> m) : model_(std::move(m)) {}
  std::vector<std::string> list_resources(session_t) override { return {kRawName, kInstrName}; }
  std::unique_ptr<core::Session> create_session(session_t, const ResourceName& name, status_t& st) override {
    st = status::SUCCESS;
    if (name.resource_class == "INSTR") return std::make_unique<UsbtmcSession>(name, opener_for(model_));
    return std::make_unique<UsbRawSession>(name, opener_for(model_));
  }
  std::string name() const override { return "usbraw-model"; }
  std::string library_path() const override { return "test"; }

 private:
  std::shared_ptr<UsbtmcDeviceModel> model_;
};

// VI_EVENT_USB_INTR on both classes that have it: a vendor-specific interrupt-IN packet from the
// device reaches the session with its bytes; on USB INSTR the USB488 SRQ packet is a service
// request, not a USB_INTR (VPP-4.3 USB INSTR events), while RAW reports every packet.
class UsbInterruptEvent : public ::testing::TestWithParam<const char*> {
 protected:
  /// The next VI_EVENT_USB_INTR of `s` carries `packet`.
  static void expect_interrupt(core::SessionBackend& backend, session_t s, const std::string& packet) {
    event_type_t type = 0;
    session_t context = 0;
    ASSERT_EQ(backend.wait_on_event(s, event::usb_interrupt, 2000, type, context, true), status::SUCCESS);
    EXPECT_EQ(type, event::usb_interrupt);
    AttrValue v;
    ASSERT_EQ(backend.get_attribute(context, attr::USB_RECV_INTR_SIZE, v), status::SUCCESS);
    EXPECT_EQ(std::get<std::int64_t>(v), static_cast<std::int64_t>(packet.size()));
    ASSERT_EQ(backend.get_attribute(context, attr::USB_RECV_INTR_DATA, v), status::SUCCESS);
    EXPECT_EQ(std::get<std::string>(v), packet);
    ASSERT_EQ(backend.get_attribute(context, attr::STATUS, v), status::SUCCESS);
    EXPECT_EQ(std::get<std::int64_t>(v), status::SUCCESS);
    backend.close(context);
  }
};

TEST_P(UsbInterruptEvent, VendorPacketCarriesItsBytes) {
  const bool instr = std::string(GetParam()) == kInstrName;
  auto model = std::make_shared<UsbtmcDeviceModel>();
  RawBackend backend(model);
  session_t rm = 0, s = 0;
  ASSERT_EQ(backend.open_default_rm(rm), status::SUCCESS);
  ASSERT_EQ(backend.open(rm, GetParam(), AccessMode::no_lock, 1000, s), status::SUCCESS);
  ASSERT_EQ(backend.enable_event(s, event::usb_interrupt, static_cast<std::uint16_t>(EventMechanism::queue)),
            status::SUCCESS);
  if (instr) {
    ASSERT_EQ(backend.enable_event(s, event::service_request, static_cast<std::uint16_t>(EventMechanism::queue)),
              status::SUCCESS);
  }
  event_type_t type = 0;
  session_t context = 0;
  model->request_service(0x01);  // 0x81, STB: USB488's SRQ
  if (instr) {
    ASSERT_EQ(backend.wait_on_event(s, event::service_request, 2000, type, context, false), status::SUCCESS);
  } else {
    expect_interrupt(backend, s, std::string("\x81\x41", 2));  // RQS with the device's status
  }
  model->send_interrupt({std::byte{0x05}, std::byte{0x2A}});  // bNotify1 D7 = 0: vendor specific
  expect_interrupt(backend, s, std::string("\x05\x2A", 2));
  // Nothing else arrived: on INSTR the SRQ packet was not also a USB_INTR.
  EXPECT_EQ(backend.wait_on_event(s, event::usb_interrupt, 100, type, context, false), status::ERROR_TMO);
  EXPECT_EQ(backend.close(s), status::SUCCESS);
  EXPECT_EQ(backend.close(rm), status::SUCCESS);
}

INSTANTIATE_TEST_SUITE_P(Classes, UsbInterruptEvent, ::testing::Values(kInstrName, kRawName));

}  // namespace
}  // namespace cppvisa::usbtmc
