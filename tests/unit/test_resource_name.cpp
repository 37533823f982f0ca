// Tests of resource_name.hpp: every interface type and class, canonical forms and defaults, IPv6
// hosts, case rules, and each kind of error with its message.
#include <cppvisa/resource_name.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace cppvisa;

namespace {

std::string canon(std::string_view name) { return to_canonical_name(name); }

/// The message of the InvalidResourceName that parsing `name` throws ("" when it parses).
std::string parse_error(std::string_view name) {
  try {
    ResourceName::parse(name);
  } catch (const InvalidResourceName& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_INV_RSRC_NAME);
    return e.message();
  }
  return {};
}

}  // namespace

TEST(ResourceName, GpibInstr) {
  EXPECT_EQ(canon("GPIB::1"), "GPIB0::1::INSTR");
  EXPECT_EQ(canon("GPIB0::1::INSTR"), "GPIB0::1::INSTR");
  EXPECT_EQ(canon("GPIB3::22::5::INSTR"), "GPIB3::22::5::INSTR");
  EXPECT_EQ(canon("GPIB::1::0"), "GPIB0::1::0::INSTR");  // secondary 0 is kept, absent is omitted
  auto r = ResourceName::parse("gpib2::7::30::INSTR");
  EXPECT_EQ(r.interface_type, InterfaceType::gpib);
  EXPECT_EQ(r.interface_name, "GPIB");
  EXPECT_EQ(r.board, "2");
  EXPECT_EQ(r.resource_class, "INSTR");
  EXPECT_EQ(r.primary_address(), 7);
  EXPECT_EQ(r.secondary_address(), 30);
  EXPECT_EQ(r.user, "gpib2::7::30::INSTR");
  EXPECT_EQ(ResourceName::parse("GPIB::1").secondary_address(), std::nullopt);
  ASSERT_EQ(r.fields.size(), 2u);
  EXPECT_EQ(r.fields[0].first, "primary_address");
  EXPECT_EQ(r.fields[1].first, "secondary_address");
}

TEST(ResourceName, GpibOtherClasses) {
  EXPECT_EQ(canon("GPIB::INTFC"), "GPIB0::INTFC");
  EXPECT_EQ(canon("GPIB1::INTFC"), "GPIB1::INTFC");
  EXPECT_EQ(canon("GPIB::SERVANT"), "GPIB0::SERVANT");
  EXPECT_TRUE(ResourceName::parse("GPIB1::INTFC").fields.empty());
}

TEST(ResourceName, GpibVxi) {
  auto r = ResourceName::parse("GPIB-VXI::1::INSTR");
  EXPECT_EQ(r.interface_type, InterfaceType::gpib_vxi);
  EXPECT_EQ(r.canonical(), "GPIB-VXI0::1::INSTR");
  EXPECT_EQ(canon("GPIB-VXI2::128"), "GPIB-VXI2::128::INSTR");
  EXPECT_EQ(canon("gpib-vxi::MEMACC"), "GPIB-VXI0::MEMACC");
  EXPECT_EQ(canon("GPIB-VXI::BACKPLANE"), "GPIB-VXI0::0::BACKPLANE");
  EXPECT_EQ(canon("GPIB-VXI1::5::BACKPLANE"), "GPIB-VXI1::5::BACKPLANE");
}

TEST(ResourceName, AsrlInstr) {
  EXPECT_EQ(canon("ASRL1"), "ASRL1::INSTR");
  EXPECT_EQ(canon("ASRL::INSTR"), "ASRL0::INSTR");
  EXPECT_EQ(canon("ASRL"), "ASRL0::INSTR");
  EXPECT_EQ(canon("asrl3::instr"), "ASRL3::INSTR");
  auto dev = ResourceName::parse("ASRL/dev/ttyUSB0::INSTR");
  EXPECT_EQ(dev.board, "/dev/ttyUSB0");
  EXPECT_EQ(dev.board_number(), std::nullopt);
  EXPECT_EQ(dev.canonical(), "ASRL/dev/ttyUSB0::INSTR");
  EXPECT_EQ(canon("ASRLCOM1::INSTR"), "ASRLCOM1::INSTR");
  EXPECT_EQ(ResourceName::parse("ASRLCOM1").board_number(), std::nullopt);
  EXPECT_EQ(ResourceName::parse("ASRL11::INSTR").board_number(), 11);
  // Single colons inside a device path are fine.
  EXPECT_EQ(canon("ASRL/dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0::INSTR"),
            "ASRL/dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0::INSTR");
}

TEST(ResourceName, TcpipInstr) {
  EXPECT_EQ(canon("TCPIP::1.2.3.4::INSTR"), "TCPIP0::1.2.3.4::inst0::INSTR");
  EXPECT_EQ(canon("TCPIP::dev.company.com"), "TCPIP0::dev.company.com::inst0::INSTR");
  EXPECT_EQ(canon("TCPIP3::1.2.3.4::inst2"), "TCPIP3::1.2.3.4::inst2::INSTR");
  EXPECT_EQ(canon("TCPIP::1.2.3.4::gpib0,5::INSTR"), "TCPIP0::1.2.3.4::gpib0,5::INSTR");
  auto r = ResourceName::parse("TCPIP::10.0.0.1::INSTR");
  EXPECT_EQ(r.host_address(), "10.0.0.1");
  EXPECT_EQ(r.lan_device_name(), "inst0");
  EXPECT_FALSE(r.is_hislip());
  EXPECT_EQ(r.port(), std::nullopt);
  EXPECT_EQ(r.field("host_address"), "10.0.0.1");
  EXPECT_EQ(r.field("nope"), std::nullopt);
}

TEST(ResourceName, TcpipHislip) {
  auto r = ResourceName::parse("TCPIP0::1.2.3.4::hislip0::INSTR");
  EXPECT_TRUE(r.is_hislip());
  EXPECT_EQ(r.port(), std::nullopt);
  EXPECT_EQ(r.canonical(), "TCPIP0::1.2.3.4::hislip0::INSTR");
  auto p = ResourceName::parse("TCPIP::1.2.3.4::hislip0,4881::INSTR");
  EXPECT_TRUE(p.is_hislip());
  EXPECT_EQ(p.port(), 4881);
  EXPECT_EQ(p.lan_device_name(), "hislip0,4881");
  EXPECT_EQ(p.canonical(), "TCPIP0::1.2.3.4::hislip0,4881::INSTR");
  EXPECT_TRUE(ResourceName::parse("TCPIP::h::HISLIP1").is_hislip());
}

TEST(ResourceName, TcpipSocket) {
  auto r = ResourceName::parse("TCPIP::1.2.3.4::5025::SOCKET");
  EXPECT_EQ(r.resource_class, "SOCKET");
  EXPECT_EQ(r.canonical(), "TCPIP0::1.2.3.4::5025::SOCKET");
  EXPECT_EQ(r.port(), 5025);
  EXPECT_EQ(r.host_address(), "1.2.3.4");
  EXPECT_EQ(r.lan_device_name(), "");
  EXPECT_EQ(canon("tcpip2::localhost::1::socket"), "TCPIP2::localhost::1::SOCKET");
  EXPECT_EQ(canon("TCPIP::h::65535::SOCKET"), "TCPIP0::h::65535::SOCKET");
}

TEST(ResourceName, Ipv6HostsStayOneField) {
  auto r = ResourceName::parse("TCPIP0::[fe80::1]::INSTR");
  EXPECT_EQ(r.field("host_address"), "[fe80::1]");
  EXPECT_EQ(r.host_address(), "fe80::1");
  EXPECT_EQ(r.lan_device_name(), "inst0");
  EXPECT_EQ(r.canonical(), "TCPIP0::[fe80::1]::inst0::INSTR");
  auto s = ResourceName::parse("TCPIP::[::1]::5025::SOCKET");
  EXPECT_EQ(s.host_address(), "::1");
  EXPECT_EQ(s.port(), 5025);
  EXPECT_EQ(s.canonical(), "TCPIP0::[::1]::5025::SOCKET");
  EXPECT_EQ(canon("TCPIP::[fe80::1%eth0]::hislip0"), "TCPIP0::[fe80::1%eth0]::hislip0::INSTR");
  EXPECT_EQ(canon("TCPIP::[2001:db8::192.168.0.1]::inst0::INSTR"), "TCPIP0::[2001:db8::192.168.0.1]::inst0::INSTR");
  EXPECT_EQ(ResourceName::parse("VICP::[::1]").host_address(), "::1");
}

TEST(ResourceName, UsbInstrAndRaw) {
  EXPECT_EQ(canon("USB::0x1234::125::A22-5"), "USB0::0x1234::125::A22-5::0::INSTR");
  EXPECT_EQ(canon("USB0::0x1234::125::A22-5::INSTR"), "USB0::0x1234::125::A22-5::0::INSTR");
  EXPECT_EQ(canon("USB1::0x0957::0x1796::MY5::3::INSTR"), "USB1::0x0957::0x1796::MY5::3::INSTR");
  EXPECT_EQ(canon("USB::0XABCD::65535::SN::RAW"), "USB0::0XABCD::65535::SN::0::RAW");
  auto r = ResourceName::parse("usb::0x1234::125::A22-5::raw");
  EXPECT_EQ(r.resource_class, "RAW");
  EXPECT_EQ(r.interface_type, InterfaceType::usb);
  EXPECT_EQ(r.field("manufacturer_id"), "0x1234");
  EXPECT_EQ(r.field("model_code"), "125");
  EXPECT_EQ(r.field("serial_number"), "A22-5");
  EXPECT_EQ(r.field("usb_interface_number"), "0");
}

TEST(ResourceName, Vxi) {
  EXPECT_EQ(canon("VXI::1"), "VXI0::1::INSTR");
  EXPECT_EQ(canon("VXI2::255::INSTR"), "VXI2::255::INSTR");
  EXPECT_EQ(canon("VXI::MEMACC"), "VXI0::MEMACC");
  EXPECT_EQ(canon("VXI::SERVANT"), "VXI0::SERVANT");
  EXPECT_EQ(canon("VXI::1::BACKPLANE"), "VXI0::1::BACKPLANE");
  EXPECT_EQ(canon("VXI1::BACKPLANE"), "VXI1::0::BACKPLANE");  // VPP-4.3: mainframe LA defaults to 0
  EXPECT_EQ(ResourceName::parse("VXI::1").interface_type, InterfaceType::vxi);
}

TEST(ResourceName, PxiInstrThreeSyntaxes) {
  auto a = ResourceName::parse("PXI::15::INSTR");
  EXPECT_EQ(a.interface_type, InterfaceType::pxi);
  EXPECT_EQ(a.canonical(), "PXI0::15::INSTR");
  EXPECT_EQ(a.field("device_number"), "15");
  EXPECT_EQ(canon("PXI2::15::3"), "PXI2::15::3::INSTR");
  auto b = ResourceName::parse("PXI0::2-12.1::INSTR");
  EXPECT_EQ(b.field("bus_device"), "2-12.1");
  EXPECT_EQ(b.canonical(), "PXI0::2-12.1::INSTR");
  EXPECT_EQ(canon("PXI::3-4"), "PXI0::3-4::INSTR");
  auto c = ResourceName::parse("pxi1::chassis2::slot3::func4::instr");
  EXPECT_EQ(c.canonical(), "PXI1::CHASSIS2::SLOT3::FUNC4::INSTR");
  EXPECT_EQ(c.board_number(), 1);
  EXPECT_EQ(canon("PXI::CHASSIS1::SLOT5"), "PXI0::CHASSIS1::SLOT5::INSTR");
  EXPECT_NE(parse_error("PXI::32::INSTR").find("device number must be a number from 0 to 31"), std::string::npos);
  EXPECT_NE(parse_error("PXI::1::8::INSTR").find("function number"), std::string::npos);
  EXPECT_NE(parse_error("PXI::1-2.9::INSTR").find("function number"), std::string::npos);
  EXPECT_NE(parse_error("PXI::256-2::INSTR").find("bus number"), std::string::npos);
  EXPECT_NE(parse_error("PXI::CHASSIS1::INSTR").find("SLOT part is mandatory"), std::string::npos);
  EXPECT_NE(parse_error("PXI::CHASSIS1::BOARD2::INSTR").find("SLOTm must follow"), std::string::npos);
  EXPECT_NE(parse_error("PXI::CHASSIS1::SLOT2::X3::INSTR").find("FUNCk must follow"), std::string::npos);
  EXPECT_NE(parse_error("PXI::1::2::3::INSTR").find("too many parts"), std::string::npos);
  EXPECT_NE(parse_error("PXI::1-2::3::INSTR").find("too many parts"), std::string::npos);
  EXPECT_NE(parse_error("PXI::INSTR").find("device part is mandatory"), std::string::npos);
}

TEST(ResourceName, PxiOtherClasses) {
  EXPECT_EQ(canon("PXI::MEMACC"), "PXI0::MEMACC");
  EXPECT_EQ(canon("PXI1::MEMACC"), "PXI1::MEMACC");
  auto r = ResourceName::parse("PXI::3::BACKPLANE");
  EXPECT_EQ(r.resource_class, "BACKPLANE");
  EXPECT_EQ(r.canonical(), "PXI0::3::BACKPLANE");
  EXPECT_EQ(r.field("chassis_number"), "3");
}

TEST(ResourceName, VicpHasNoBoard) {
  auto r = ResourceName::parse("VICP::1.2.3.4");
  EXPECT_EQ(r.canonical(), "VICP::1.2.3.4::INSTR");
  EXPECT_EQ(r.board, "");
  EXPECT_EQ(r.board_number(), std::nullopt);
  EXPECT_EQ(r.info().interface_board_number, std::nullopt);
  EXPECT_EQ(r.host_address(), "1.2.3.4");
  EXPECT_EQ(canon("VICP0::1.2.3.4::INSTR"), "VICP0::1.2.3.4::INSTR");  // PyVISA keeps the unused "0"
  EXPECT_EQ(ResourceName::parse("VICP0::h").board_number(), std::nullopt);
}

TEST(ResourceName, Prologix) {
  auto t = ResourceName::parse("PRLGX-TCPIP::1.2.3.4::INTFC");
  EXPECT_EQ(t.interface_type, InterfaceType::prlgx_tcpip);
  EXPECT_EQ(t.canonical(), "PRLGX-TCPIP0::1.2.3.4::1234::INTFC");
  EXPECT_EQ(t.port(), 1234);
  EXPECT_EQ(canon("prlgx-tcpip2::host::5000::intfc"), "PRLGX-TCPIP2::host::5000::INTFC");
  auto a = ResourceName::parse("PRLGX-ASRL::/dev/ttyUSB0::INTFC");
  EXPECT_EQ(a.interface_type, InterfaceType::prlgx_asrl);
  EXPECT_EQ(a.canonical(), "PRLGX-ASRL0::/dev/ttyUSB0::INTFC");
  EXPECT_EQ(a.field("serial_device"), "/dev/ttyUSB0");
}

TEST(ResourceName, NiEnet100) {
  auto r = ResourceName::parse("NI-ENET100-TCPIP::10.1.1.1::INTFC");
  EXPECT_EQ(r.interface_type, InterfaceType::ni_enet100_tcpip);
  EXPECT_EQ(r.canonical(), "NI-ENET100-TCPIP0::10.1.1.1::INTFC");
}

TEST(ResourceName, CaseRules) {
  EXPECT_EQ(canon("Gpib::3"), "GPIB0::3::INSTR");
  EXPECT_EQ(canon("tcpip::1.2.3.4::5025::SOCKET"), "TCPIP0::1.2.3.4::5025::SOCKET");
  // Deliberate difference from PyVISA: the class suffix is case-insensitive too (VPP-4.3).
  EXPECT_EQ(canon("gpib0::2::instr"), "GPIB0::2::INSTR");
  EXPECT_EQ(canon("tcpip::1.2.3.4::inst0::instr"), "TCPIP0::1.2.3.4::inst0::INSTR");
  EXPECT_EQ(canon("TCPIP::1.2.3.4::5025::Socket"), "TCPIP0::1.2.3.4::5025::SOCKET");
  // Field text is never normalised.
  EXPECT_EQ(canon("TCPIP::MyHost::Inst1"), "TCPIP0::MyHost::Inst1::INSTR");
  EXPECT_EQ(canon("USB::0xabcd::0x00FF::sn"), "USB0::0xabcd::0x00FF::sn::0::INSTR");
}

TEST(ResourceName, Info) {
  auto info = ResourceName::parse("TCPIP::1.2.3.4::INSTR").info();
  EXPECT_EQ(info.interface_type, InterfaceType::tcpip);
  EXPECT_EQ(info.interface_board_number, 0);
  EXPECT_EQ(info.resource_class, "INSTR");
  EXPECT_EQ(info.resource_name, "TCPIP0::1.2.3.4::inst0::INSTR");
  EXPECT_EQ(info.alias, "");
  EXPECT_EQ(ResourceName::parse("ASRL/dev/ttyS0::INSTR").info().interface_board_number, std::nullopt);
  EXPECT_EQ(ResourceName::parse("GPIB7::1").info().interface_board_number, 7);
  EXPECT_EQ(ResourceName::parse("PXI4::MEMACC").info().interface_board_number, 4);
}

TEST(ResourceName, NonThrowingParse) {
  std::error_code ec;
  std::string message;
  auto ok = ResourceName::parse("GPIB::1", ec, &message);
  ASSERT_TRUE(ok);
  EXPECT_FALSE(ec);
  auto bad = ResourceName::parse("FOO::1", ec, &message);
  EXPECT_FALSE(bad);
  EXPECT_EQ(to_status(ec), status::ERROR_INV_RSRC_NAME);
  EXPECT_EQ(message,
            "Could not parse 'FOO::1': unknown interface type (expected one of GPIB-VXI, GPIB, ASRL, TCPIP, USB, VXI, "
            "PXI, VICP, PRLGX-TCPIP, PRLGX-ASRL, NI-ENET100-TCPIP)");
  ec.clear();
  EXPECT_FALSE(ResourceName::parse("GPIB::99", ec));  // message pointer may be null
  EXPECT_TRUE(ec);
}

TEST(ResourceName, ExceptionIsVisaIOError) {
  try {
    ResourceName::parse("TCPIP::1.2.3.4::SOCKET");
    FAIL() << "no exception";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_INV_RSRC_NAME);
    EXPECT_NE(std::string(e.what()).find("port part is mandatory"), std::string::npos);
  }
  EXPECT_THROW(to_canonical_name("nope"), InvalidResourceName);
}

TEST(ResourceName, ErrorMessages) {
  // Mandatory part missing: the message names the syntax.
  EXPECT_EQ(parse_error("TCPIP::1.2.3.4::SOCKET"),
            "Could not parse 'TCPIP::1.2.3.4::SOCKET': the syntax is 'TCPIP[board]::host address::port::SOCKET' "
            "(port part is mandatory)");
  EXPECT_EQ(parse_error("GPIB"),
            "Could not parse 'GPIB': the syntax is 'GPIB[board]::primary address[::secondary address][::INSTR]' "
            "(primary address part is mandatory)");
  EXPECT_NE(parse_error("USB::0x1234::125").find("serial number part is mandatory"), std::string::npos);
  EXPECT_NE(parse_error("VICP").find("host address part is mandatory"), std::string::npos);
  EXPECT_NE(parse_error("PRLGX-ASRL::INTFC").find("serial device part is mandatory"), std::string::npos);
  // Unknown interface.
  EXPECT_NE(parse_error("").find("unknown interface type"), std::string::npos);
  EXPECT_NE(parse_error("FIREWIRE::1::INSTR").find("unknown interface type"), std::string::npos);
  EXPECT_NE(parse_error("visa://host/GPIB0::1::INSTR").find("unknown interface type"), std::string::npos);
  // Missing class where the interface has no default.
  EXPECT_EQ(parse_error("PRLGX-TCPIP::1.2.3.4"),
            "Could not parse 'PRLGX-TCPIP::1.2.3.4': the resource class for PRLGX-TCPIP is not given and has no "
            "default (the syntax is 'PRLGX-TCPIP[board]::host address[::port]::INTFC')");
  EXPECT_NE(parse_error("NI-ENET100-TCPIP::h").find("has no default"), std::string::npos);
  // A class word the interface does not have.
  EXPECT_EQ(parse_error("GPIB0::1::SOCKET"),
            "Could not parse 'GPIB0::1::SOCKET': GPIB has no SOCKET resources (its classes are INSTR, INTFC, "
            "SERVANT)");
  EXPECT_NE(parse_error("ASRL1::raw").find("ASRL has no RAW resources"), std::string::npos);
  // Too many parts.
  EXPECT_EQ(parse_error("GPIB::1::1::1"),
            "Could not parse 'GPIB::1::1::1': the syntax is 'GPIB[board]::primary address[::secondary "
            "address][::INSTR]' (too many parts)");
  EXPECT_NE(parse_error("ASRL1::2::INSTR").find("too many parts"), std::string::npos);
  EXPECT_NE(parse_error("GPIB0::INTFC::INSTR").find("primary address must be a number"), std::string::npos);
  // Empty fields.
  EXPECT_NE(parse_error("TCPIP::1.2.3.4::::INSTR").find("the LAN device name is empty"), std::string::npos);
  EXPECT_NE(parse_error("GPIB::1::").find("the secondary address is empty"), std::string::npos);
  EXPECT_NE(parse_error("TCPIP::::5025::SOCKET").find("host address is empty"), std::string::npos);
  // Bad numbers.
  EXPECT_NE(parse_error("GPIB::31").find("primary address must be a number from 0 to 30, not '31'"),
            std::string::npos);
  EXPECT_NE(parse_error("GPIB::1::96").find("secondary address must be a number from 0 to 30, not '96'"),
            std::string::npos);
  EXPECT_NE(parse_error("GPIB::-1").find("primary address must be"), std::string::npos);
  EXPECT_NE(parse_error("GPIB::99999999999999999999999").find("primary address must be"), std::string::npos);
  EXPECT_NE(parse_error("TCPIP::h::0::SOCKET").find("port must be a number from 1 to 65535, not '0'"),
            std::string::npos);
  EXPECT_NE(parse_error("TCPIP::h::65536::SOCKET").find("port must be"), std::string::npos);
  EXPECT_NE(parse_error("TCPIP::h::http::SOCKET").find("port must be"), std::string::npos);
  EXPECT_NE(parse_error("USB::0x12345::1::SN").find("manufacturer ID must be a 16-bit number"), std::string::npos);
  EXPECT_NE(parse_error("USB::0x1234::65536::SN").find("model code must be a 16-bit number"), std::string::npos);
  EXPECT_NE(parse_error("USB::0xGG::1::SN").find("manufacturer ID"), std::string::npos);
  EXPECT_NE(parse_error("USB::1::1::SN::256").find("USB interface number must be"), std::string::npos);
  EXPECT_NE(parse_error("VXI::256").find("VXI logical address must be"), std::string::npos);
  EXPECT_NE(parse_error("PRLGX-TCPIP::h::0::INTFC").find("port must be"), std::string::npos);
  EXPECT_NE(parse_error("TCPIP::h::hislip0,0").find("HiSLIP port"), std::string::npos);
  EXPECT_NE(parse_error("TCPIP::h::hislipX").find("hislipN[,port]"), std::string::npos);
  // Board must be a number (except ASRL, whose board may be a device path).
  EXPECT_NE(parse_error("GPIBX::1").find("the board must be a number"), std::string::npos);
  EXPECT_NE(parse_error("GPIB-VX::1").find("the board must be a number"), std::string::npos);
  EXPECT_NE(parse_error("VICPx::h").find("the board must be empty or a number"), std::string::npos);
  // Host addresses.
  EXPECT_NE(parse_error("TCPIP::fe80:1:2::INSTR").find("write IPv6 addresses in brackets"), std::string::npos);
  EXPECT_NE(parse_error("TCPIP::[fe80::1::INSTR").find("without a closing ']'"), std::string::npos);
  EXPECT_NE(parse_error("TCPIP::[zz]::INSTR").find("not a bracketed IPv6 address"), std::string::npos);
  EXPECT_NE(parse_error("TCPIP::[]::INSTR").find("IPv6"), std::string::npos);
  EXPECT_NE(parse_error("TCPIP::a b::INSTR").find("contains the character ' '"), std::string::npos);
  // Control characters, and their escaping in messages.
  EXPECT_EQ(parse_error(std::string_view("GPIB::1\n", 8)),
            "Could not parse 'GPIB::1\\x0a': a resource name cannot contain control characters");
  EXPECT_EQ(parse_error("GPIB0::1::INSTR "), "Could not parse 'GPIB0::1::INSTR ': the name begins or ends with a space");
  EXPECT_NE(parse_error(" GPIB0::1").find("begins or ends with a space"), std::string::npos);
  EXPECT_NE(parse_error(std::string(5000, 'A')).find("at most 4096 characters"), std::string::npos);
  // A part that begins or ends with ':' would not survive a round trip.
  EXPECT_NE(parse_error("ASRL1:::INSTR").find("cannot begin or end with ':'"), std::string::npos);
  EXPECT_NE(parse_error("TCPIP::h::inst0:").find("cannot begin or end with ':'"), std::string::npos);
}

TEST(ResourceName, ResourceSyntax) {
  EXPECT_EQ(resource_syntax("TCPIP", "SOCKET"), "TCPIP[board]::host address::port::SOCKET");
  EXPECT_EQ(resource_syntax("tcpip", "socket"), "TCPIP[board]::host address::port::SOCKET");
  EXPECT_EQ(resource_syntax("GPIB", "RAW"), "");
  EXPECT_NE(resource_syntax("PXI", "INSTR").find("CHASSISn::SLOTm"), std::string::npos);
}

TEST(ResourceName, CanonicalNamesReparseToThemselves) {
  for (const char* name :
       {"GPIB::1", "GPIB::1::0", "GPIB::INTFC", "ASRL/dev/ttyUSB0", "TCPIP::[::1]::5025::SOCKET",
        "TCPIP::h::hislip0,4880", "USB::1::2::instr::RAW", "VXI::BACKPLANE", "PXI::CHASSIS1::SLOT2",
        "PXI::1-2.3", "VICP::h", "PRLGX-TCPIP::h::INTFC", "NI-ENET100-TCPIP::h::INTFC", "GPIB-VXI::3"}) {
    std::string first = canon(name);
    EXPECT_EQ(canon(first), first) << name;
  }
}

TEST(ResourceName, HostWithPortSuffixIsOpaqueAsInPyVisa) {
  // PyVISA-sim's default file names instruments TCPIP::localhost:2222::INSTR.
  auto n = ResourceName::parse("TCPIP::localhost:2222::INSTR");
  EXPECT_EQ(n.canonical(), "TCPIP0::localhost:2222::inst0::INSTR");
  EXPECT_EQ(n.host_address(), "localhost:2222");
  EXPECT_THROW(ResourceName::parse("TCPIP::localhost:22x::INSTR"), InvalidResourceName);
}
