// LAN discovery without the network: mDNS records -> resource names, the VXI-11 GETPORT
// broadcast call and its replies, merging findings, which expressions need the LAN.
#include "backends/native/lan_discovery.hpp"
#include "protocols/mdns/mdns_browse.hpp"
#include "protocols/oncrpc/portmapper.hpp"
#include "protocols/oncrpc/rpc_message.hpp"
#include "protocols/vxi11/vxi11_discovery.hpp"

#include <gtest/gtest.h>

namespace cppvisa {
namespace {

using mdns::Record;
using mdns::Received;
namespace rr = mdns::rr_type;

Record record(std::string name, std::uint16_t type, std::string target = {}) {
  Record r;
  r.name = std::move(name);
  r.type = type;
  r.target = std::move(target);
  return r;
}
Received ptr(std::string type, std::string instance) { return {record(type, rr::ptr, instance), "10.250.1.2"}; }
Received srv(std::string instance, std::string host, std::uint16_t port) {
  Record r = record(instance, rr::srv, host);
  r.port = port;
  return {r, "10.250.1.2"};
}
Received txt(std::string instance, std::vector<std::string> strings) {
  Record r = record(instance, rr::txt);
  r.txt = std::move(strings);
  return {r, "10.250.1.2"};
}
Received a(std::string host, std::array<std::uint8_t, 4> address) {
  Record r = record(host, rr::a);
  std::copy(address.begin(), address.end(), r.address.begin());
  return {r, "10.250.1.2"};
}
core::Discovered found(std::string name, std::string by, std::string manufacturer = {}, std::string model = {}) {
  core::Discovered d;
  d.name = std::move(name);
  d.found_by = std::move(by);
  d.manufacturer = std::move(manufacturer);
  d.model = std::move(model);
  return d;
}

std::vector<std::string> names(const std::vector<core::Discovered>& all) {
  std::vector<std::string> out;
  for (const auto& d : all) out.push_back(d.name);
  return out;
}

TEST(MdnsBrowse, RecordsBecomeResourceNamesWithIdentity) {
  std::vector<Received> records = {
      ptr("_lxi._tcp.local", "Scope._lxi._tcp.local"),
      srv("Scope._lxi._tcp.local", "scope.local", 80),
      txt("Scope._lxi._tcp.local", {"txtvers=1", "Manufacturer=ACME", "Model=SC-1", "SerialNumber=42"}),
      ptr("_hislip._tcp.local", "Scope._hislip._tcp.local"),
      srv("Scope._hislip._tcp.local", "scope.local", 4880),
      txt("Scope._hislip._tcp.local", {}),
      ptr("_vxi-11._tcp.local", "Scope._vxi-11._tcp.local"),
      srv("Scope._vxi-11._tcp.local", "scope.local", 111),
      ptr("_scpi-raw._tcp.local", "Scope._scpi-raw._tcp.local"),
      srv("Scope._scpi-raw._tcp.local", "scope.local", 5025),
      ptr("_scpi-telnet._tcp.local", "Scope._scpi-telnet._tcp.local"),
      srv("Scope._scpi-telnet._tcp.local", "scope.local", 5024),
      ptr("_hislip._tcp.local", "Other._hislip._tcp.local"),
      srv("Other._hislip._tcp.local", "other.local", 4881),  // no address record: the sender's
      ptr("_http._tcp.local", "Web._http._tcp.local"),          // not an instrument type
      srv("Web._http._tcp.local", "web.local", 80),
      a("scope.local", {10, 250, 1, 3}),
  };
  auto result = mdns::resources_from_records(records);
  EXPECT_EQ(names(result), (std::vector<std::string>{
                              "TCPIP0::10.250.1.2::hislip0,4881::INSTR",
                              "TCPIP0::10.250.1.3::5024::SOCKET",
                              "TCPIP0::10.250.1.3::5025::SOCKET",
                              "TCPIP0::10.250.1.3::hislip0::INSTR",
                              "TCPIP0::10.250.1.3::inst0::INSTR",
                          }));
  for (const auto& d : result) {
    if (d.name.find("10.250.1.3") == std::string::npos) continue;
    EXPECT_EQ(d.manufacturer, "ACME") << d.name;
    EXPECT_EQ(d.model, "SC-1") << d.name;
    EXPECT_EQ(d.serial_number, "42") << d.name;
    EXPECT_EQ(d.host_name, "scope.local");
  }
  EXPECT_EQ(result[3].found_by, "mDNS _hislip._tcp");
}

Received aaaa(std::string host, std::array<std::uint8_t, 16> address) {
  Record r = record(host, rr::aaaa);
  r.address = address;
  return {r, "fe80::1"};
}

TEST(MdnsBrowse, HostsAreNamedByIpv4ThenGlobalIpv6ThenTheSender) {
  const std::array<std::uint8_t, 16> link_local = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
  const std::array<std::uint8_t, 16> global = {0xfd, 0, 0x02, 0x50, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  std::vector<Received> records = {
      ptr("_scpi-raw._tcp.local", "A._scpi-raw._tcp.local"), srv("A._scpi-raw._tcp.local", "a.local", 5025),
      aaaa("a.local", link_local), aaaa("a.local", global), a("a.local", {10, 0, 0, 1}),
      ptr("_scpi-raw._tcp.local", "B._scpi-raw._tcp.local"), srv("B._scpi-raw._tcp.local", "b.local", 5025),
      aaaa("b.local", link_local), aaaa("b.local", global),
      ptr("_scpi-raw._tcp.local", "C._scpi-raw._tcp.local"), srv("C._scpi-raw._tcp.local", "c.local", 5025),
      aaaa("c.local", link_local),  // a link-local address names nothing without its zone: the sender
  };
  EXPECT_EQ(names(mdns::resources_from_records(records)), (std::vector<std::string>{
                                                              "TCPIP0::10.0.0.1::5025::SOCKET",
                                                              "TCPIP0::10.250.1.2::5025::SOCKET",
                                                              "TCPIP0::[fd00:250:1::2]::5025::SOCKET",
                                                          }));
}

TEST(MdnsBrowse, TheQueryAsksForEveryInstrumentType) {
  mdns::Message m;
  ASSERT_TRUE(mdns::decode(mdns::browse_query(), m));
  ASSERT_EQ(m.questions.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(m.questions[i].name, mdns::instrument_service_types()[i]);
    EXPECT_EQ(m.questions[i].type, rr::ptr);
  }
}

TEST(Vxi11Discovery, GetportCallAndReplies) {
  const auto call = vxi11::getport_broadcast_call(77);
  oncrpc::XdrReader r(call);
  oncrpc::CallHeader h;
  ASSERT_EQ(oncrpc::decode_call(r, h), oncrpc::CallDecode::ok);
  EXPECT_EQ(h.prog, oncrpc::pmap::program);
  EXPECT_EQ(h.proc, oncrpc::pmap::proc_getport);
  oncrpc::Mapping m;
  ASSERT_TRUE(oncrpc::decode_mapping(r, m));
  EXPECT_EQ(m.prog, 0x0607AFu);

  auto reply = [](std::uint32_t xid, std::uint32_t port) {
    std::vector<std::byte> out;
    oncrpc::XdrWriter w(out);
    oncrpc::encode_accepted_reply(w, xid, oncrpc::AcceptStat::success);
    w.put_u32(port);
    return out;
  };
  EXPECT_EQ(vxi11::getport_reply_port(reply(77, 1024), 77), 1024);
  EXPECT_EQ(vxi11::getport_reply_port(reply(78, 1024), 77), 0) << "another xid";
  EXPECT_EQ(vxi11::getport_reply_port(reply(77, 0), 77), 0) << "not registered";
  EXPECT_EQ(vxi11::getport_reply_port(reply(77, 70000), 77), 0) << "not a port";
  auto cut = reply(77, 1024);
  cut.resize(cut.size() - 2);
  EXPECT_EQ(vxi11::getport_reply_port(cut, 77), 0) << "truncated";
}

TEST(LanDiscovery, MergeKeepsOneEntryPerNameAndLendsIdentity) {
  std::vector<core::Discovered> all = {
      found("TCPIP0::10.0.0.5::inst0::INSTR", "VXI-11 broadcast"),
      found("TCPIP0::10.0.0.5::inst0::INSTR", "mDNS _vxi-11._tcp", "ACME"),
      found("TCPIP0::10.0.0.5::5025::SOCKET", "mDNS _scpi-raw._tcp", "ACME", "M"),
      found("TCPIP0::10.0.0.6::inst0::INSTR", "VXI-11 broadcast"),
      found("ASRL/dev/ttyS0::INSTR", "serial"),
  };
  auto merged = native::merge_findings(all);
  ASSERT_EQ(merged.size(), 4u);
  EXPECT_EQ(merged[0].name, "ASRL/dev/ttyS0::INSTR");
  EXPECT_EQ(merged[2].name, "TCPIP0::10.0.0.5::inst0::INSTR");
  EXPECT_EQ(merged[2].found_by, "VXI-11 broadcast, mDNS _vxi-11._tcp");
  EXPECT_EQ(merged[2].manufacturer, "ACME");
  EXPECT_EQ(merged[3].manufacturer, "") << "another host";
}

TEST(LanDiscovery, OnlyExpressionsThatCanMatchTcpipNeedTheLan) {
  for (const char* e : {"?*::INSTR", "?*", "TCPIP?*", "tcpip0::?*::SOCKET", "TC?*", "?*INSTR", "TCPIP::1.2.3.4::?*"})
    EXPECT_TRUE(native::expression_may_match_tcpip(e)) << e;
  for (const char* e : {"ASRL?*::INSTR", "USB?*", "GPIB?*::INSTR", "?*::RAW", "?*::INTFC{VI_ATTR_INTF_NUM==0}"})
    EXPECT_FALSE(native::expression_may_match_tcpip(e)) << e;
}

}  // namespace
}  // namespace cppvisa
