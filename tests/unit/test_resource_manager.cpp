// Tests of resource_manager.hpp and resource.hpp against the in-memory backend.
#include "support/fake_backend.hpp"

#include <cppvisa/resource_manager.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <chrono>
#include <thread>

using namespace cppvisa;
using cppvisa::testing::FakeBackend;

namespace {

struct RmFixture : ::testing::Test {
  std::shared_ptr<FakeBackend> backend = std::make_shared<FakeBackend>();
  void SetUp() override {
    backend->add("TCPIP::10.0.0.1::INSTR");
    backend->add("TCPIP::10.0.0.2::5025::SOCKET");
    backend->add("ASRL1::INSTR");
    backend->add("GPIB0::12::INSTR");
    backend->add("USB0::0x1234::0x5678::SN1::INSTR");
  }
};

}  // namespace

TEST_F(RmFixture, ListResourcesDefaultsToInstr) {
  ResourceManager rm(backend);
  auto names = rm.list_resources();
  EXPECT_EQ(names.size(), 4u);
  for (auto& n : names) EXPECT_NE(n.find("::INSTR"), std::string::npos) << n;
  EXPECT_EQ(rm.list_resources("?*").size(), 5u);
  EXPECT_EQ(rm.list_resources("TCPIP?*").size(), 2u);
  EXPECT_TRUE(rm.list_resources("VXI?*").empty());
  EXPECT_THROW(rm.list_resources("(unclosed"), VisaIOError);
  auto info = rm.list_resources_info("GPIB?*");
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info.begin()->second.interface_type, InterfaceType::gpib);
}

TEST_F(RmFixture, ResourceInfoParsesAndReportsErrors) {
  ResourceManager rm(backend);
  auto info = rm.resource_info("tcpip::10.0.0.1::INSTR");
  EXPECT_EQ(info.resource_name, "TCPIP0::10.0.0.1::inst0::INSTR");
  EXPECT_EQ(info.resource_class, "INSTR");
  EXPECT_EQ(info.interface_board_number, 0);
  try {
    rm.resource_info("NOPE::1");
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_INV_RSRC_NAME);
  }
  std::error_code ec;
  rm.resource_info("NOPE::1", ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_RSRC_NAME));
}

TEST_F(RmFixture, OpenChoosesTheClassFromTheName) {
  ResourceManager rm(backend);
  EXPECT_EQ(rm.open_resource("TCPIP::10.0.0.1::INSTR")->class_name(), "TCPIPInstrument");
  EXPECT_EQ(rm.open_resource("TCPIP::10.0.0.2::5025::SOCKET")->class_name(), "TCPIPSocket");
  EXPECT_EQ(rm.open_resource("ASRL1::INSTR")->class_name(), "SerialInstrument");
  EXPECT_EQ(rm.open_resource("GPIB::12")->class_name(), "GPIBInstrument");
  EXPECT_EQ(rm.open_resource("USB::0x1234::0x5678::SN1::INSTR")->class_name(), "USBInstrument");
  auto sock = rm.open<TCPIPSocket>("TCPIP::10.0.0.2::5025::SOCKET");
  EXPECT_EQ(sock->resource_name(), "TCPIP0::10.0.0.2::5025::SOCKET");
  EXPECT_EQ(sock->to_string(), "TCPIPSocket at TCPIP0::10.0.0.2::5025::SOCKET");
  EXPECT_THROW(rm.open<SerialInstrument>("TCPIP::10.0.0.2::5025::SOCKET"), Error);
}

TEST_F(RmFixture, OpenErrors) {
  ResourceManager rm(backend);
  try {
    rm.open_resource("TCPIP::10.9.9.9::INSTR");
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_RSRC_NFOUND);
  }
  std::error_code ec;
  EXPECT_EQ(rm.open_resource("GPIB::99::99::99::99", {}, ec), nullptr);
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_RSRC_NAME));
  // Unknown property names are refused before opening.
  OpenOptions opts;
  opts.properties = {{"no_such_thing", std::int64_t{1}}};
  EXPECT_THROW(rm.open_resource("ASRL1::INSTR", opts), Error);
  EXPECT_TRUE(rm.list_opened_resources().empty());
}

TEST_F(RmFixture, PropertiesAppliedAtOpen) {
  ResourceManager rm(backend);
  OpenOptions opts;
  opts.properties = {{"timeout", std::int64_t{1234}}, {"read_termination", std::string("\n")},
                     {"baud_rate", std::int64_t{115200}}};
  auto r = rm.open<SerialInstrument>("ASRL1::INSTR", opts);
  EXPECT_EQ(r->timeout(), 1234u);
  EXPECT_EQ(r->read_termination(), "\n");
  EXPECT_EQ(r->get_int_attribute(attr::TERMCHAR_EN), 1);
  EXPECT_EQ(r->baud_rate(), 115200u);
  EXPECT_EQ(std::get<std::int64_t>(r->get_property("baud_rate")), 115200);
  r->set_property("parity", std::int64_t{2});
  EXPECT_EQ(r->parity(), Parity::even);
  EXPECT_THROW(r->set_property("parity", std::int64_t{9}), VisaIOError);
  EXPECT_THROW(r->set_property("bytes_in_buffer", std::int64_t{1}), Error);
}

TEST_F(RmFixture, TimeoutRules) {
  ResourceManager rm(backend);
  auto r = rm.open_resource("ASRL1::INSTR");
  EXPECT_EQ(r->timeout(), 2000u);
  r->set_timeout_ms(std::numeric_limits<double>::infinity());
  EXPECT_EQ(r->timeout(), tmo_infinite);
  r->set_timeout_ms(0.5);
  EXPECT_EQ(r->timeout(), tmo_immediate);
  r->set_timeout_ms(1.9);
  EXPECT_EQ(r->timeout(), 1u);
  EXPECT_THROW(r->set_timeout_ms(std::nan("")), Error);
  EXPECT_THROW(r->set_timeout_ms(4294967295.0), Error);
  EXPECT_TRUE(std::isinf(std::get<double>([&] {
    r->set_timeout(tmo_infinite);
    return r->get_property("timeout");
  }())));
}

TEST_F(RmFixture, CommonAttributes) {
  ResourceManager rm(backend);
  auto r = rm.open_resource("GPIB::12");
  EXPECT_EQ(r->interface_type(), InterfaceType::gpib);
  EXPECT_EQ(r->interface_number(), 0);
  EXPECT_EQ(r->resource_class(), "INSTR");
  EXPECT_EQ(r->get_string_attribute(attr::RSRC_NAME), "GPIB0::12::INSTR");
  EXPECT_EQ(r->resource_manufacturer_name(), "cppvisa");
  EXPECT_EQ(r->lock_state(), AccessMode::no_lock);
  EXPECT_EQ(r->spec_version(), visa_spec_version);
  std::error_code ec;
  r->set_visa_attribute(attr::RSRC_NAME, std::string("x"), ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_ATTR_READONLY));
  r->get_visa_attribute(attr::ASRL_BAUD, ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_NSUP_ATTR));
  r->set_visa_attribute(attr::TERMCHAR_EN, std::int64_t{7}, ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_NSUP_ATTR_STATE));
}

TEST_F(RmFixture, ClosingTheManagerClosesResources) {
  auto rm = std::make_unique<ResourceManager>(backend);
  auto r = rm->open_resource("ASRL1::INSTR");
  EXPECT_EQ(rm->list_opened_resources().size(), 1u);
  rm->close();
  EXPECT_FALSE(r->is_open());
  EXPECT_THROW(r->session(), InvalidSession);
  EXPECT_THROW(rm->session(), InvalidSession);
  rm->close();  // twice is fine
  r->close();
  rm.reset();
}

TEST_F(RmFixture, LocksBetweenSessions) {
  ResourceManager rm1(backend), rm2(backend);
  auto dev = backend->add("TCPIP::10.0.0.3::INSTR");
  dev->respond = [](const std::string&) { return std::vector<std::string>{"ok\n"}; };
  auto a = rm1.open<MessageBasedResource>("TCPIP::10.0.0.3::INSTR");
  auto b = rm2.open<MessageBasedResource>("TCPIP::10.0.0.3::INSTR");
  auto c = rm2.open<MessageBasedResource>("TCPIP::10.0.0.3::INSTR");
  std::string key = a->lock();
  std::string key_b = b->lock(std::nullopt, key);
  EXPECT_EQ(key_b, key);
  EXPECT_EQ(a->query("x"), "ok\n");
  EXPECT_EQ(b->query("x"), "ok\n");
  try {
    c->write("x");
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_RSRC_LOCKED);
  }
  EXPECT_EQ(a->lock_state(), AccessMode::shared_lock);
  b->unlock();
  a->unlock();
  EXPECT_NO_THROW(c->write("x"));
  {
    auto guard = a->lock_context();
    std::error_code ec;
    b->write("x", ec);
    EXPECT_EQ(ec, make_error_code(status::ERROR_RSRC_LOCKED));
  }
  EXPECT_NO_THROW(b->write("x"));
  // Exclusive open waits for the lock, then fails with a timeout.
  a->lock_excl();
  OpenOptions excl{AccessMode::exclusive_lock, 50, {}};
  try {
    rm2.open_resource("TCPIP::10.0.0.3::INSTR", excl);
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
  }
  a->unlock();
  EXPECT_NO_THROW(rm2.open_resource("TCPIP::10.0.0.3::INSTR", excl));
}

TEST_F(RmFixture, ServiceRequestEventsQueueAndHandlers) {
  ResourceManager rm(backend);
  auto r = rm.open<MessageBasedResource>("GPIB::12");
  auto* session = backend->last_session;
  r->enable_event(event::service_request, EventMechanism::queue);
  auto none = r->wait_on_event(event::service_request, 10, true);
  EXPECT_TRUE(none.timed_out);
  EXPECT_THROW(r->wait_on_event(event::service_request, 10), VisaIOError);
  session->request_service();
  auto got = r->wait_on_event(event::service_request, 1000);
  EXPECT_FALSE(got.timed_out);
  EXPECT_EQ(got.event_type, event::service_request);
  EXPECT_EQ(std::get<std::int64_t>(got.attributes.at(attr::EVENT_TYPE)), static_cast<std::int64_t>(event::service_request));

  std::atomic<int> calls{0};
  std::mutex m;
  std::condition_variable cv;
  int id = r->install_handler(event::service_request, [&](event_type_t t, const auto&) {
    EXPECT_EQ(t, event::service_request);
    std::lock_guard g(m);
    ++calls;
    cv.notify_all();
  });
  r->enable_event(event::service_request, EventMechanism::handler);
  session->request_service();
  std::unique_lock g(m);
  EXPECT_TRUE(cv.wait_for(g, std::chrono::seconds(10), [&] { return calls.load() == 1; }));
  g.unlock();
  r->uninstall_handler(id);
  EXPECT_THROW(r->uninstall_handler(id), Error);
}

TEST_F(RmFixture, AliasesResolveAndAreReported) {
  backend->set_aliases(AliasTable::parse("[aliases]\nscope = TCPIP::10.0.0.1::INSTR\n"));
  ResourceManager rm(backend);
  auto info = rm.resource_info("scope");
  EXPECT_EQ(info.resource_name, "TCPIP0::10.0.0.1::inst0::INSTR");
  EXPECT_EQ(info.alias, "scope");
  EXPECT_EQ(rm.resource_info("TCPIP::10.0.0.1::INSTR").alias, "scope");
  auto r = rm.open_resource("scope");
  EXPECT_EQ(r->class_name(), "TCPIPInstrument");
  EXPECT_EQ(r->resource_name(), "scope");
  EXPECT_EQ(r->get_string_attribute(attr::RSRC_NAME), "TCPIP0::10.0.0.1::inst0::INSTR");
}
