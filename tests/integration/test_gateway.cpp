// cppvisa::Gateway end to end: a simulated oscilloscope served over raw socket, VXI-11 and HiSLIP
// at once, used by cppvisa's own clients (the native backend) over every protocol: one device, one
// lock, answers only to the client that asked, safe defaults and option errors.
#include <cppvisa/cppvisa.hpp>
#include <cppvisa/gateway.hpp>

#include "support/served_gateway.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

using namespace cppvisa;
using namespace std::chrono_literals;

namespace {

constexpr const char* scope = "TCPIP::sim-scope::INSTR";
constexpr const char* scope_idn = "CPPVISA,SIMSCOPE-1000,SIM0001,1.0";

GatewayOptions all_protocols() {
  GatewayOptions o = cppvisa::testing::every_protocol(scope);
  o.response_hold_ms = 1000;
  return o;
}

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override { served_.start(all_protocols()); }

  std::unique_ptr<MessageBasedResource> open(const std::string& protocol, std::uint32_t timeout_ms = 2000) {
    return cppvisa::testing::open_lines(rm_, served_.name(protocol), timeout_ms);
  }

  ResourceManager rm_{"@native"};
  cppvisa::testing::ServedGateway served_;
};

const char* protocols[] = {"socket", "vxi11", "hislip"};

TEST_F(GatewayTest, ServesOneInstrumentOverEveryProtocol) {
  ASSERT_EQ(served_.gateway().endpoints().size(), 3u);
  for (const char* p : protocols) {
    SCOPED_TRACE(p);
    auto inst = open(p);
    EXPECT_EQ(inst->query("*IDN?"), scope_idn);
    EXPECT_EQ(served_.gateway().endpoints().front().serves, scope);
  }
  EXPECT_TRUE(served_.gateway().warnings().empty());  // loopback, named resource
}

TEST_F(GatewayTest, EndAloneEndsAProgramMessage) {
  // IEEE 488.2 §7.5: END without NL terminates the message (liblxi writes "*IDN?" so over VXI-11).
  for (const char* p : {"vxi11", "hislip"}) {
    SCOPED_TRACE(p);
    auto inst = open(p);
    inst->set_write_termination("");
    EXPECT_EQ(inst->query("*IDN?"), scope_idn);
  }
}

TEST_F(GatewayTest, ALockOverVxi11KeepsOutTheOtherProtocols) {
  auto owner = open("vxi11");
  owner->lock_excl(1000);
  for (const char* p : {"socket", "hislip"}) {
    SCOPED_TRACE(p);
    auto other = open(p, 300);
    std::error_code ec;
    other->write("*IDN?", ec);
    std::string answer;
    if (!ec) answer = other->read(ec);
    EXPECT_TRUE(ec) << "got '" << answer << "' through another client's exclusive lock";
  }
  EXPECT_EQ(owner->query("*IDN?"), scope_idn);  // the owner goes on
  owner->unlock();
  for (const char* p : {"socket", "hislip"}) {
    SCOPED_TRACE(p);
    auto other = open(p);
    EXPECT_EQ(other->query("*IDN?"), scope_idn);
  }
}

TEST_F(GatewayTest, AHislipLockKeepsOutVxi11) {
  auto owner = open("hislip");
  owner->lock_excl(1000);
  auto other = open("vxi11", 300);
  std::error_code ec;
  other->write("*IDN?", ec);
  EXPECT_TRUE(ec);
  owner->unlock();
  EXPECT_EQ(other->query("*IDN?"), scope_idn);
}

TEST_F(GatewayTest, TheAnswerOfAClientThatLeftGoesToNobody) {
  for (const char* p : protocols) {
    SCOPED_TRACE(p);
    {
      auto a = open(p);
      a->write(":ACQ:SLOW?");  // answered after 500 ms, never read
    }
    auto b = open(p);
    EXPECT_EQ(b->query("*IDN?"), scope_idn);
    EXPECT_NEAR(std::stod(b->query(":MEAS:FREQ?")), 1000.0, 1.0);  // and the next one is not shifted
  }
}

TEST_F(GatewayTest, AQueryThatTimedOutDoesNotShiftLaterAnswers) {
  for (const char* p : protocols) {
    SCOPED_TRACE(p);
    auto inst = open(p, 200);
    std::error_code ec;
    inst->query(":ACQ:SLOW?", ec);  // answered after 500 ms: times out
    EXPECT_EQ(to_status(ec), status::ERROR_TMO);
    inst->set_timeout(2000);
    // The next query interrupts the late answer (IEEE 488.2 §6.3.2.3): only its own answer comes.
    EXPECT_EQ(inst->query("*IDN?"), scope_idn);
    EXPECT_EQ(inst->query("*OPC?"), "1");
  }
}

TEST_F(GatewayTest, ALateAnswerIsDroppedBeforeTheNextQuery) {
  // Over VXI-11 and HiSLIP the client asks for each answer; over a raw socket the gateway has
  // already sent a late answer when it is ready, and the client's own buffer holds it.
  for (const char* p : {"vxi11", "hislip"}) {
    SCOPED_TRACE(p);
    auto inst = open(p, 200);
    std::error_code ec;
    inst->query(":ACQ:SLOW?", ec);
    EXPECT_EQ(to_status(ec), status::ERROR_TMO);
    inst->set_timeout(2000);
    std::this_thread::sleep_for(400ms);  // the late answer is ready meanwhile
    EXPECT_EQ(inst->query("*IDN?"), scope_idn);
    EXPECT_EQ(inst->query("*OPC?"), "1");
  }
}

TEST(Gateway, ARealBackendServesOnlyNamedResources) {
  GatewayOptions o;
  o.socket = GatewayAddress{};
  Gateway g(open_backend("@native"), o);
  std::error_code ec;
  g.start(ec);
  EXPECT_EQ(to_status(ec), status::ERROR_INV_SETUP);
  EXPECT_NE(g.error_text().find("--resource"), std::string::npos) << g.error_text();
  EXPECT_FALSE(g.running());
}

TEST(Gateway, OptionErrorsNameTheirCause) {
  auto check = [](GatewayOptions o, std::string_view words) {
    Gateway g(open_backend("@sim"), std::move(o));
    std::error_code ec;
    g.start(ec);
    EXPECT_EQ(to_status(ec), status::ERROR_INV_SETUP);
    EXPECT_NE(g.error_text().find(words), std::string::npos) << g.error_text();
    EXPECT_THROW(g.start(), VisaIOError);
  };
  check(GatewayOptions{}, "nothing to serve");
  GatewayOptions pm;
  pm.socket = GatewayAddress{};
  pm.portmapper = GatewayAddress{};
  check(pm, "VXI-11");
  GatewayOptions allow;
  allow.socket = GatewayAddress{};
  allow.allow = {"10.0.0.0/99"};
  check(allow, "10.0.0.0/99");
}

TEST(Gateway, AddressesParse) {
  std::string error;
  auto a = GatewayAddress::parse("5025", error);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");  // a bare port binds loopback
  EXPECT_EQ(a->port, 5025);
  a = GatewayAddress::parse("[::1]:4880", error);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_FALSE(GatewayAddress::parse("99999", error));
  EXPECT_NE(error.find("99999"), std::string::npos);
  EXPECT_FALSE(GatewayAddress::parse("host:", error));
}

TEST(Gateway, AWildcardBindIsReported) {
  GatewayOptions o;
  o.resources = {scope};
  o.socket = GatewayAddress{"0.0.0.0", 0};
  Gateway g(open_backend("@sim"), o);
  g.start();
  ASSERT_EQ(g.warnings().size(), 1u);
  EXPECT_NE(g.warnings()[0].find("every interface"), std::string::npos);
}

TEST(Gateway, ClientsOutsideTheAllowListAreRefused) {
  GatewayOptions o;
  o.resources = {scope};
  o.socket = GatewayAddress{};
  o.vxi11 = GatewayAddress{};
  o.hislip = GatewayAddress{};
  o.allow = {"10.11.12.0/24"};  // not loopback
  Gateway g(open_backend("@sim"), o);
  g.start();
  ResourceManager rm("@native");
  for (const auto& e : g.endpoints()) {
    SCOPED_TRACE(e.resource);
    std::error_code ec;
    std::string answer;
    try {
      auto r = rm.open<MessageBasedResource>(e.resource);
      r->set_timeout(500);
      r->set_read_termination("\n");
      r->set_write_termination("\n");
      answer = r->query("*IDN?", ec);
    } catch (const Error&) {
      ec = make_error_code(status::ERROR_CONN_LOST);
    }
    EXPECT_TRUE(ec) << "a refused client got '" << answer << "'";
  }
}

TEST(Gateway, ReadOnlyServingRefusesWrites) {
  GatewayOptions o = all_protocols();
  o.read_only = true;
  Gateway g(open_backend("@sim"), o);
  g.start();
  ResourceManager rm("@native");
  for (const auto& e : g.endpoints()) {
    if (e.protocol == "socket") continue;  // a raw socket cannot carry the refusal: the gateway closes it
    SCOPED_TRACE(e.resource);
    auto r = rm.open<MessageBasedResource>(e.resource);
    r->set_timeout(500);
    std::error_code ec;
    r->write("*IDN?\n", ec);
    // VXI-11 answers the write itself; HiSLIP writes are not acknowledged: the refusal (an Error
    // message) reaches the next read.
    if (!ec && e.protocol == "hislip") r->read(ec);
    EXPECT_EQ(to_status(ec), status::ERROR_NSUP_OPER);
  }
}

}  // namespace

TEST(Gateway, GpibInstrumentsOnASimulatedPrologixBusAndOverVicp) {
  GatewayOptions o;
  o.resources = {"GPIB0::7::INSTR", "GPIB0::4::INSTR", "ASRL1::INSTR"};
  o.prologix = GatewayAddress{};
  o.vicp = GatewayAddress{};
  Gateway g(open_backend("@sim"), o);
  g.start();
  std::string adapter;
  std::map<std::string, std::string> vicp;  // served resource -> VICP name
  for (const auto& e : g.endpoints()) {
    if (e.protocol == "prologix" && e.resource.rfind("PRLGX-TCPIP::", 0) == 0) adapter = e.resource;
    if (e.protocol == "vicp") vicp[e.serves] = e.resource;
  }
  ASSERT_FALSE(adapter.empty());
  ASSERT_EQ(vicp.size(), 3u);
  ASSERT_EQ(g.warnings().size(), 1u);
  EXPECT_NE(g.warnings()[0].find("ASRL1::INSTR"), std::string::npos);  // not on the GPIB bus

  ResourceManager rm{"@native"};
  auto intfc = rm.open<MessageBasedResource>(adapter);
  for (auto [gpib, idn] : {std::pair{"GPIB0::7::INSTR", scope_idn}, std::pair{"GPIB0::4::INSTR", "SCPI,MOCK,VERSION_1.0"}}) {
    SCOPED_TRACE(gpib);
    auto inst = rm.open<MessageBasedResource>(gpib);
    inst->set_timeout(2000);
    inst->set_read_termination("\n");
    inst->set_write_termination("\n");
    EXPECT_EQ(inst->query("*IDN?"), idn);
    auto scope_vicp = rm.open<MessageBasedResource>(vicp.at(gpib));
    scope_vicp->set_timeout(2000);
    scope_vicp->set_read_termination("\n");
    scope_vicp->set_write_termination("\n");
    EXPECT_EQ(scope_vicp->query("*IDN?"), idn);
  }
}

TEST(Gateway, APrologixBusNeedsGpibInstruments) {
  GatewayOptions o;
  o.resources = {"ASRL1::INSTR"};
  o.prologix = GatewayAddress{};
  Gateway g(open_backend("@sim"), o);
  std::error_code ec;
  g.start(ec);
  EXPECT_EQ(to_status(ec), status::ERROR_INV_SETUP);
  EXPECT_NE(g.error_text().find("GPIB instruments"), std::string::npos) << g.error_text();
}
