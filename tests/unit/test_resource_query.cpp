// Tests of resource_query.hpp: the VISA regular-expression dialect, PyVISA's prefix/Python
// dialect, attribute filters, attribute_from_name, and invalid expressions.
#include <cppvisa/resource_query.hpp>

#include <cppvisa/error.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

using namespace cppvisa;

namespace {

bool visa_match(std::string_view expr, std::string_view name) { return ResourceQuery(expr).matches(name); }
bool py_match(std::string_view expr, std::string_view name) {
  return ResourceQuery(expr, MatchMode::pyvisa).matches(name);
}

/// The status of the VisaIOError compiling `expr` throws (0 when it compiles).
status_t compile_status(std::string_view expr, MatchMode mode = MatchMode::visa) {
  try {
    ResourceQuery q(expr, mode);
  } catch (const VisaIOError& e) {
    return e.error_code();
  }
  return status::SUCCESS;
}

const std::vector<std::string> names = {
    "ASRL1::INSTR",
    "ASRL11::INSTR",
    "GPIB0::12::INSTR",
    "GPIB0::INTFC",
    "TCPIP0::192.168.1.5::inst0::INSTR",
    "TCPIP0::192.168.1.5::5025::SOCKET",
    "USB0::0x0957::0x1796::MY123::0::INSTR",
    "USB0::0x1AB1::0x04CE::DS1Z::0::RAW",
    "VXI0::1::INSTR",
};

}  // namespace

TEST(ResourceQuery, VisaOperators) {
  EXPECT_TRUE(visa_match("?*", "ASRL1::INSTR"));
  EXPECT_TRUE(visa_match("?*::INSTR", "GPIB0::12::INSTR"));
  EXPECT_FALSE(visa_match("?*::INSTR", "GPIB0::INTFC"));
  EXPECT_TRUE(visa_match("GPIB?::12::INSTR", "GPIB0::12::INSTR"));
  EXPECT_FALSE(visa_match("GPIB?::12::INSTR", "GPIB10::12::INSTR"));  // ? is exactly one character
  EXPECT_TRUE(visa_match("GPIB0::1*2::INSTR", "GPIB0::2::INSTR"));    // * zero or more
  EXPECT_TRUE(visa_match("GPIB0::1*2::INSTR", "GPIB0::1112::INSTR"));
  EXPECT_FALSE(visa_match("GPIB0::1+2::INSTR", "GPIB0::2::INSTR"));   // + one or more
  EXPECT_TRUE(visa_match("GPIB0::1+2::INSTR", "GPIB0::112::INSTR"));
  EXPECT_TRUE(visa_match("ASRL[0-9]*::?*INSTR", "ASRL11::INSTR"));
  EXPECT_FALSE(visa_match("ASRL[0-9]*::?*INSTR", "ASRLX::INSTR"));
  EXPECT_TRUE(visa_match("ASRL[^2-9]::INSTR", "ASRL1::INSTR"));
  EXPECT_FALSE(visa_match("ASRL[^2-9]::INSTR", "ASRL5::INSTR"));
  EXPECT_TRUE(visa_match("ASRL[135]::INSTR", "ASRL3::INSTR"));
  EXPECT_FALSE(visa_match("ASRL[135]::INSTR", "ASRL2::INSTR"));
  EXPECT_TRUE(visa_match("[a-c-]x", "-x"));  // a '-' at the end of a list is literal
}

TEST(ResourceQuery, VisaWholeNameAndCase) {
  EXPECT_FALSE(visa_match("ASRL1", "ASRL1::INSTR"));  // whole-name match
  EXPECT_FALSE(visa_match("ASRL1::INSTR", "ASRL11::INSTR"));
  EXPECT_TRUE(visa_match("asrl1::instr", "ASRL1::INSTR"));
  EXPECT_TRUE(visa_match("ASRL1::INSTR", "asrl1::instr"));
  EXPECT_TRUE(visa_match("usb?*[m-n]?*", "USB0::0x0957::0x1796::MY123::0::INSTR"));
  EXPECT_TRUE(visa_match("[A-Z]SRL1::INSTR", "asrl1::INSTR"));
  EXPECT_FALSE(visa_match("[^a]SRL1::INSTR", "ASRL1::INSTR"));  // case folding happens before negation
}

TEST(ResourceQuery, VisaAlternationAndGroups) {
  EXPECT_TRUE(visa_match("VXI?*|GPIB?*", "GPIB0::12::INSTR"));  // alternatives of whole expressions
  EXPECT_TRUE(visa_match("VXI?*|GPIB?*", "VXI0::1::INSTR"));
  EXPECT_FALSE(visa_match("VXI?*|GPIB?*", "ASRL1::INSTR"));
  EXPECT_FALSE(visa_match("VXI|GPIB", "GPIB0::12::INSTR"));  // no prefix matching in VISA mode
  EXPECT_TRUE(visa_match("(GPIB|VXI)?*INSTR", "VXI0::1::INSTR"));
  EXPECT_FALSE(visa_match("(GPIB|VXI)?*INSTR", "GPIB0::INTFC"));
  EXPECT_TRUE(visa_match("(ab)+c", "ababc"));
  EXPECT_FALSE(visa_match("(ab)+c", "abac"));
  EXPECT_TRUE(visa_match("x(ab)*c", "xc"));
  EXPECT_TRUE(visa_match("((a|b)(c|d))+", "acbdad"));
}

TEST(ResourceQuery, VisaEscapesAndLiterals) {
  EXPECT_TRUE(visa_match("TCPIP0::192.168.1.5::inst0::INSTR", "TCPIP0::192.168.1.5::inst0::INSTR"));
  EXPECT_FALSE(visa_match("TCPIP0::192.168.1.5::inst0::INSTR", "TCPIP0::192x168.1.5::inst0::INSTR"));  // '.' literal
  EXPECT_TRUE(visa_match("a\\*b", "a*b"));
  EXPECT_FALSE(visa_match("a\\*b", "aab"));
  EXPECT_TRUE(visa_match("a\\?", "a?"));
  EXPECT_FALSE(visa_match("a\\?", "ab"));
  EXPECT_TRUE(visa_match("\\(x\\)", "(x)"));
  EXPECT_TRUE(visa_match("a\\|b", "a|b"));
  EXPECT_TRUE(visa_match("[\\]x]", "]"));
  EXPECT_TRUE(visa_match("a\\{b", "a{b"));  // an escaped brace does not start a filter
  EXPECT_TRUE(visa_match("[{]", "{"));
  EXPECT_TRUE(visa_match("^$", "^$"));  // anchors are ordinary characters in VISA
}

TEST(ResourceQuery, PyvisaPrefixMatch) {
  EXPECT_TRUE(py_match("ASRL1", "ASRL1::INSTR"));
  EXPECT_TRUE(py_match("ASRL1", "ASRL11::INSTR"));  // the PyVISA quirk
  EXPECT_TRUE(py_match("VXI|GPIB", "GPIB0::12::INSTR"));
  EXPECT_TRUE(py_match("?*::INSTR", "GPIB0::INTFC::INSTR"));
  EXPECT_FALSE(py_match("?*::INSTR", "GPIB0::INTFC"));
  EXPECT_TRUE(py_match("?*", "anything"));
  EXPECT_TRUE(py_match("", "anything"));
  EXPECT_TRUE(py_match("gpib", "GPIB0::1::INSTR"));  // IGNORECASE
  EXPECT_FALSE(py_match("SRL", "ASRL1::INSTR"));     // anchored at the start
}

TEST(ResourceQuery, PyvisaPythonSyntax) {
  EXPECT_TRUE(py_match("TCPIP0::192.168", "TCPIP0::192x168::INSTR"));  // '.' is any character there
  EXPECT_TRUE(py_match("a\\?", "a.b"));   // "\?" becomes "\." : a literal dot
  EXPECT_FALSE(py_match("a\\?", "a?b"));
  EXPECT_TRUE(py_match("GPIB\\d::\\d+::INSTR$", "GPIB0::12::INSTR"));
  EXPECT_FALSE(py_match("GPIB\\d::\\d+::INSTR$", "GPIB0::12::INSTR::X"));
  EXPECT_TRUE(py_match("^USB\\w+", "USB0::1"));
  EXPECT_TRUE(py_match("[]x]", "]"));  // ']' first in a Python class is literal
  EXPECT_TRUE(py_match("\\x41SRL", "ASRL1"));
  EXPECT_TRUE(py_match("(GPIB|VXI)\\b", "VXI::0"));
  EXPECT_FALSE(py_match("(GPIB|VXI)\\b", "VXI0"));
  EXPECT_FALSE(py_match("ASRL\\b", "ASRL1"));
  EXPECT_TRUE(py_match("a|", "zzz"));  // an empty alternative matches the empty prefix
  EXPECT_TRUE(py_match("[\\d]+::", "12::"));
  EXPECT_TRUE(py_match("\\AGPIB", "GPIB0"));
  EXPECT_TRUE(py_match("GPIB0\\Z", "GPIB0"));
  EXPECT_FALSE(py_match("GPIB\\Z", "GPIB0"));
  // The attribute part is split off at '{' (PyVISA's filter ignores it; we evaluate it).
  EXPECT_TRUE(py_match("GPIB?*{VI_ATTR_GPIB_PRIMARY_ADDR == 12}", "GPIB0::12::INSTR"));
  EXPECT_FALSE(py_match("GPIB?*{VI_ATTR_GPIB_PRIMARY_ADDR == 13}", "GPIB0::12::INSTR"));
  EXPECT_TRUE(py_match("GPIB?*{VI_ATTR_GPIB_PRIMARY_ADDR == 12} ignored", "GPIB0::12::INSTR"));
  // filter2 compares USB ids as strings: accepted in PyVISA mode.
  EXPECT_TRUE(py_match("USB?*{VI_ATTR_MANF_ID == \"0x0957\"}", "USB0::0x0957::0x1796::MY123::0::INSTR"));
}

TEST(ResourceQuery, FilterResourcesKeepsOrder) {
  EXPECT_EQ(filter_resources(names, "?*::INSTR"),
            (std::vector<std::string>{"ASRL1::INSTR", "ASRL11::INSTR", "GPIB0::12::INSTR",
                                      "TCPIP0::192.168.1.5::inst0::INSTR", "USB0::0x0957::0x1796::MY123::0::INSTR",
                                      "VXI0::1::INSTR"}));
  EXPECT_EQ(filter_resources(names, "ASRL1", MatchMode::pyvisa),
            (std::vector<std::string>{"ASRL1::INSTR", "ASRL11::INSTR"}));
  EXPECT_EQ(filter_resources(names, "ASRL1::INSTR"), (std::vector<std::string>{"ASRL1::INSTR"}));
  EXPECT_EQ(filter_resources(names, "?*SOCKET|?*RAW"),
            (std::vector<std::string>{"TCPIP0::192.168.1.5::5025::SOCKET", "USB0::0x1AB1::0x04CE::DS1Z::0::RAW"}));
  EXPECT_TRUE(filter_resources(names, "PXI?*").empty());
}

TEST(ResourceQuery, AttributeFilterFromNames) {
  EXPECT_EQ(filter_resources(names, "USB?*{VI_ATTR_MANF_ID == 0x0957}"),
            (std::vector<std::string>{"USB0::0x0957::0x1796::MY123::0::INSTR"}));
  EXPECT_EQ(filter_resources(names, "USB?*{VI_ATTR_MANF_ID != 0x0957}"),
            (std::vector<std::string>{"USB0::0x1AB1::0x04CE::DS1Z::0::RAW"}));
  EXPECT_EQ(filter_resources(names, "?*{VI_ATTR_MANF_ID == 0x0957 && VI_ATTR_MODEL_CODE != 0x0101}"),
            (std::vector<std::string>{"USB0::0x0957::0x1796::MY123::0::INSTR"}));
  EXPECT_EQ(filter_resources(names, "?*{VI_ATTR_USB_SERIAL_NUM == \"DS1Z\"}"),
            (std::vector<std::string>{"USB0::0x1AB1::0x04CE::DS1Z::0::RAW"}));
  EXPECT_EQ(filter_resources(names, "?*{VI_ATTR_TCPIP_PORT >= 5000}"),
            (std::vector<std::string>{"TCPIP0::192.168.1.5::5025::SOCKET"}));
  EXPECT_EQ(filter_resources(names, "?*{VI_ATTR_TCPIP_ADDR == '192.168.1.5' && VI_ATTR_RSRC_CLASS == \"INSTR\"}"),
            (std::vector<std::string>{"TCPIP0::192.168.1.5::inst0::INSTR"}));
  EXPECT_EQ(filter_resources(names, "?*{VI_ATTR_INTF_TYPE == VI_INTF_ASRL && VI_ATTR_INTF_NUM > 1}"),
            (std::vector<std::string>{"ASRL11::INSTR"}));
  EXPECT_EQ(filter_resources(names, "?*{VI_ATTR_GPIB_PRIMARY_ADDR < 13 && VI_ATTR_GPIB_SECONDARY_ADDR == VI_NO_SEC_ADDR}"),
            (std::vector<std::string>{"GPIB0::12::INSTR"}));
  EXPECT_EQ(filter_resources(names, "?*{VI_ATTR_GPIB_PRIMARY_ADDR <= 11}"), std::vector<std::string>{});
  EXPECT_EQ(filter_resources(names, "?*{VI_ATTR_MAINFRAME_LA > 0}"), (std::vector<std::string>{"VXI0::1::INSTR"}));
}

TEST(ResourceQuery, PrecedenceNotAndOr) {
  const std::string usb = "USB0::0x0957::0x1796::MY123::0::INSTR";
  // && binds tighter than ||: true || (false && false)
  EXPECT_TRUE(visa_match("?*{VI_ATTR_MANF_ID == 0x0957 || VI_ATTR_MANF_ID == 1 && VI_ATTR_MODEL_CODE == 2}", usb));
  // (true || false) && false
  EXPECT_FALSE(visa_match("?*{(VI_ATTR_MANF_ID == 0x0957 || VI_ATTR_MANF_ID == 1) && VI_ATTR_MODEL_CODE == 2}", usb));
  EXPECT_TRUE(visa_match("?*{!(VI_ATTR_MANF_ID == 1)}", usb));
  EXPECT_FALSE(visa_match("?*{!(VI_ATTR_MANF_ID == 0x0957)}", usb));
  EXPECT_TRUE(visa_match("?*{!!(VI_ATTR_MANF_ID == 2391)}", usb));  // decimal 2391 == 0x0957
  EXPECT_TRUE(visa_match("?*{ ! VI_ATTR_MANF_ID == 1 || VI_ATTR_MODEL_CODE == 0x1796 }", usb));
  EXPECT_TRUE(visa_match("?*{VI_ATTR_MANF_ID}", usb));  // a bare integer is true when non-zero
}

TEST(ResourceQuery, MissingAttributeDoesNotMatch) {
  // The resource lacks the attribute: the comparison is unknown, so the resource is left out...
  EXPECT_FALSE(visa_match("?*{VI_ATTR_MANF_ID == 0x0957}", "GPIB0::12::INSTR"));
  EXPECT_FALSE(visa_match("?*{!(VI_ATTR_MANF_ID == 0x0957)}", "GPIB0::12::INSTR"));
  EXPECT_FALSE(visa_match("?*{VI_ATTR_MANF_ID != 0x0957}", "GPIB0::12::INSTR"));
  // ...unless the rest of the expression decides on its own.
  EXPECT_TRUE(visa_match("?*{VI_ATTR_MANF_ID == 1 || VI_ATTR_GPIB_PRIMARY_ADDR == 12}", "GPIB0::12::INSTR"));
  EXPECT_FALSE(visa_match("?*{VI_ATTR_MANF_ID == 1 && VI_ATTR_GPIB_PRIMARY_ADDR == 12}", "GPIB0::12::INSTR"));
  // A name that does not parse has no attributes.
  EXPECT_FALSE(visa_match("?*{VI_ATTR_INTF_NUM == 0}", "not a resource"));
}

TEST(ResourceQuery, LookupIsUsedAndCalledOncePerAttribute) {
  std::map<attr_id_t, int> calls;
  AttributeLookup lookup = [&](std::string_view name, attr_id_t id) -> std::optional<AttrValue> {
    ++calls[id];
    if (name != "ASRL1::INSTR") return std::nullopt;
    if (id == attr::ASRL_BAUD) return AttrValue(std::int64_t{9600});
    if (id == attr::RSRC_MANF_NAME) return AttrValue(std::string("Acme"));
    return std::nullopt;
  };
  ResourceQuery q("ASRL?*{VI_ATTR_ASRL_BAUD >= 9600 && VI_ATTR_ASRL_BAUD < 19200 && VI_ATTR_RSRC_MANF_NAME == \"Acme\"}");
  EXPECT_TRUE(q.has_attribute_filter());
  EXPECT_TRUE(q.matches("ASRL1::INSTR", lookup));
  EXPECT_EQ(calls[attr::ASRL_BAUD], 1);
  EXPECT_FALSE(q.matches("ASRL2::INSTR", lookup));
  EXPECT_FALSE(q.matches("GPIB0::1::INSTR", lookup));  // the name part rejects it: no lookup at all
  EXPECT_EQ(calls[attr::ASRL_BAUD], 2);
  EXPECT_TRUE(q.matches_name("ASRL2::INSTR"));
  // A lookup giving the wrong type counts as missing.
  AttributeLookup wrong = [](std::string_view, attr_id_t) -> std::optional<AttrValue> { return AttrValue(std::string("x")); };
  EXPECT_FALSE(ResourceQuery("?*{VI_ATTR_ASRL_BAUD == 1}").matches("ASRL1::INSTR", wrong));
  EXPECT_FALSE(ResourceQuery("?*").has_attribute_filter());
  EXPECT_FALSE(ResourceQuery("?*{}").has_attribute_filter());
  EXPECT_FALSE(ResourceQuery("?*{ }").has_attribute_filter());
}

TEST(ResourceQuery, StringLiteralsAndEscapes) {
  AttributeLookup lookup = [](std::string_view, attr_id_t id) -> std::optional<AttrValue> {
    if (id == attr::RSRC_MANF_NAME) return AttrValue(std::string("A \"quoted\" } name"));
    return std::nullopt;
  };
  EXPECT_TRUE(ResourceQuery("?*{VI_ATTR_RSRC_MANF_NAME == \"A \\\"quoted\\\" } name\"}").matches("X", lookup));
  EXPECT_TRUE(ResourceQuery("?*{VI_ATTR_RSRC_MANF_NAME != 'other'}").matches("X", lookup));
  EXPECT_FALSE(ResourceQuery("?*{VI_ATTR_RSRC_MANF_NAME == 'a \"quoted\" } name'}").matches("X", lookup));  // case matters
}

TEST(ResourceQuery, HexAndNegativeLiterals) {
  AttributeLookup lookup = [](std::string_view, attr_id_t id) -> std::optional<AttrValue> {
    if (id == attr::SLOT) return AttrValue(std::int64_t{-1});
    if (id == attr::USER_DATA) return AttrValue(static_cast<std::int64_t>(0xFFFFFFFFFFFFFFFFull));
    return std::nullopt;
  };
  EXPECT_TRUE(ResourceQuery("?*{VI_ATTR_SLOT == -1}").matches("X", lookup));
  EXPECT_TRUE(ResourceQuery("?*{VI_ATTR_SLOT < 0x0}").matches("X", lookup));
  EXPECT_TRUE(ResourceQuery("?*{VI_ATTR_USER_DATA_64 == 0xFFFFFFFFFFFFFFFF}").matches("X", lookup));
  EXPECT_TRUE(ResourceQuery("?*{VI_ATTR_SLOT != 0XfF}").matches("X", lookup));
}

TEST(ResourceQuery, AttributeFromName) {
  auto i = [](std::int64_t v) { return std::optional<AttrValue>(AttrValue(v)); };
  auto s = [](std::string v) { return std::optional<AttrValue>(AttrValue(std::move(v))); };
  const std::string usb = "USB1::0x0957::0x1796::MY123::2::INSTR";
  EXPECT_EQ(attribute_from_name(usb, attr::MANF_ID), i(0x0957));
  EXPECT_EQ(attribute_from_name(usb, attr::MODEL_CODE), i(0x1796));
  EXPECT_EQ(attribute_from_name(usb, attr::USB_SERIAL_NUM), s("MY123"));
  EXPECT_EQ(attribute_from_name(usb, attr::USB_INTFC_NUM), i(2));
  EXPECT_EQ(attribute_from_name(usb, attr::INTF_NUM), i(1));
  EXPECT_EQ(attribute_from_name(usb, attr::INTF_TYPE), i(7));
  EXPECT_EQ(attribute_from_name(usb, attr::RSRC_CLASS), s("INSTR"));
  EXPECT_EQ(attribute_from_name("usb1::2391::0x1796::MY123::2", attr::RSRC_NAME), s("USB1::2391::0x1796::MY123::2::INSTR"));
  EXPECT_EQ(attribute_from_name(usb, attr::TCPIP_ADDR), std::nullopt);
  EXPECT_EQ(attribute_from_name("TCPIP::[::1]::hislip0::INSTR", attr::TCPIP_ADDR), s("::1"));
  EXPECT_EQ(attribute_from_name("TCPIP::h::hislip0::INSTR", attr::TCPIP_PORT), i(4880));
  EXPECT_EQ(attribute_from_name("TCPIP::h::hislip0,5000::INSTR", attr::TCPIP_PORT), i(5000));
  EXPECT_EQ(attribute_from_name("TCPIP::h::hislip0::INSTR", attr::TCPIP_IS_HISLIP), i(1));
  EXPECT_EQ(attribute_from_name("TCPIP::h::INSTR", attr::TCPIP_IS_HISLIP), i(0));
  EXPECT_EQ(attribute_from_name("TCPIP::h::INSTR", attr::TCPIP_PORT), std::nullopt);
  EXPECT_EQ(attribute_from_name("TCPIP::h::INSTR", attr::TCPIP_DEVICE_NAME), s("inst0"));
  EXPECT_EQ(attribute_from_name("TCPIP::h::5025::SOCKET", attr::TCPIP_PORT), i(5025));
  EXPECT_EQ(attribute_from_name("TCPIP::h::5025::SOCKET", attr::TCPIP_DEVICE_NAME), std::nullopt);
  EXPECT_EQ(attribute_from_name("GPIB::3::4", attr::GPIB_PRIMARY_ADDR), i(3));
  EXPECT_EQ(attribute_from_name("GPIB::3::4", attr::GPIB_SECONDARY_ADDR), i(4));
  EXPECT_EQ(attribute_from_name("GPIB::3", attr::GPIB_SECONDARY_ADDR), i(0xFFFF));
  EXPECT_EQ(attribute_from_name("GPIB::INTFC", attr::GPIB_PRIMARY_ADDR), std::nullopt);
  EXPECT_EQ(attribute_from_name("VXI::7::INSTR", attr::MAINFRAME_LA), i(7));
  EXPECT_EQ(attribute_from_name("VXI::7::INSTR", attr::VXI_LA), i(7));
  EXPECT_EQ(attribute_from_name("VXI::5::BACKPLANE", attr::MAINFRAME_LA), i(5));
  EXPECT_EQ(attribute_from_name("PXI::3::BACKPLANE", attr::PXI_CHASSIS), i(3));
  EXPECT_EQ(attribute_from_name("PXI2::15::3::INSTR", attr::PXI_BUS_NUM), i(2));
  EXPECT_EQ(attribute_from_name("PXI2::15::3::INSTR", attr::PXI_DEV_NUM), i(15));
  EXPECT_EQ(attribute_from_name("PXI2::15::3::INSTR", attr::PXI_FUNC_NUM), i(3));
  EXPECT_EQ(attribute_from_name("PXI0::4-12.1::INSTR", attr::PXI_BUS_NUM), i(4));
  EXPECT_EQ(attribute_from_name("PXI0::4-12.1::INSTR", attr::PXI_DEV_NUM), i(12));
  EXPECT_EQ(attribute_from_name("PXI0::4-12::INSTR", attr::PXI_FUNC_NUM), i(0));
  EXPECT_EQ(attribute_from_name("PXI0::CHASSIS2::SLOT9::FUNC1::INSTR", attr::PXI_CHASSIS), i(2));
  EXPECT_EQ(attribute_from_name("PXI0::CHASSIS2::SLOT9::FUNC1::INSTR", attr::SLOT), i(9));
  EXPECT_EQ(attribute_from_name("PXI0::CHASSIS2::SLOT9::INSTR", attr::PXI_FUNC_NUM), i(0));
  EXPECT_EQ(attribute_from_name("ASRL/dev/ttyS0::INSTR", attr::INTF_NUM), std::nullopt);
  EXPECT_EQ(attribute_from_name("VICP::h", attr::INTF_NUM), std::nullopt);
  EXPECT_EQ(attribute_from_name("garbage", attr::INTF_TYPE), std::nullopt);
  EXPECT_EQ(attribute_from_name("GPIB::1", attr::TMO_VALUE), std::nullopt);
}

TEST(ResourceQuery, InvalidExpressions) {
  for (const char* expr : {
           "",              // VISA has no empty expression
           "*a",            // nothing to repeat
           "a|*",           //
           "(*)",           //
           "a(b",           // unbalanced
           "a)b",           //
           "a|",            // empty alternative
           "()",            // empty group
           "[abc",          // unterminated list
           "[]",            // empty list
           "[z-a]",         // reversed range
           "a\\",           // dangling escape
           "?*{",           // filter not closed
           "?*{VI_ATTR_MANF_ID == 1",
           "?*{VI_ATTR_MANF_ID == 1} trailing",
           "?*{VI_ATTR_NOPE == 1}",                 // unknown attribute
           "?*{VI_ATTR_MANF_ID = 1}",               // '=' instead of '=='
           "?*{VI_ATTR_MANF_ID == 1 & VI_ATTR_MODEL_CODE == 2}",
           "?*{VI_ATTR_MANF_ID == 1 | VI_ATTR_MODEL_CODE == 2}",
           "?*{VI_ATTR_MANF_ID ==}",
           "?*{== 1}",
           "?*{(VI_ATTR_MANF_ID == 1}",
           "?*{VI_ATTR_MANF_ID == 1)}",
           "?*{VI_ATTR_MANF_ID == \"0x0957\"}",     // integer vs string (VISA mode)
           "?*{VI_ATTR_RSRC_NAME < \"a\"}",         // strings: == and != only
           "?*{VI_ATTR_RSRC_NAME == \"unclosed}",
           "?*{VI_ATTR_MANF_ID == 0x}",
           "?*{VI_ATTR_MANF_ID == 0x1FFFFFFFFFFFFFFFF}",
           "?*{VI_ATTR_MANF_ID == 99999999999999999999}",
           "?*{VI_ATTR_MANF_ID == 12abc}",
           "?*{VI_ATTR_USB_RECV_INTR_DATA == 1}",   // a byte array is not comparable
           "?*{VI_ATTR_MANF_ID == 1 #}",
           "?*{VI_ATTR_MANF_ID 1}",
       }) {
    EXPECT_EQ(compile_status(expr), status::ERROR_INV_EXPR) << expr;
  }
  for (const char* expr : {
           "*",           // nothing to repeat
           "a**",         // multiple repeat
           "a*+",         // possessive (3.11) is not supported
           "(a",          //
           "a)",          //
           "[a",          //
           "\\1",         // back references are not supported
           "\\q",         // bad escape
           "a{b{c",       // more than one '{'
           "a{VI_ATTR_MANF_ID == 1",
           "a{x}}",       //
           "^*",          // an anchor cannot be repeated
           "\\x4",        //
           "[\\d-z]",     // bad character range
       }) {
    EXPECT_EQ(compile_status(expr, MatchMode::pyvisa), status::ERROR_INV_EXPR) << expr;
  }
  // The message says what is wrong.
  try {
    ResourceQuery q("?*{VI_ATTR_NOPE == 1}");
  } catch (const VisaIOError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown attribute 'VI_ATTR_NOPE'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(filter_resources(names, "(("), VisaIOError);
}

TEST(ResourceQuery, LimitsOnLengthAndNesting) {
  EXPECT_EQ(compile_status(std::string(5000, 'a')), status::ERROR_INV_EXPR);
  EXPECT_EQ(compile_status(std::string(100, '(') + "a" + std::string(100, ')')), status::ERROR_INV_EXPR);
  EXPECT_EQ(compile_status(std::string(60, '(') + "a" + std::string(60, ')')), status::SUCCESS);
  EXPECT_EQ(compile_status("?*{" + std::string(100, '!') + "VI_ATTR_MANF_ID}"), status::ERROR_INV_EXPR);
  EXPECT_EQ(compile_status("?*{" + std::string(100, '(') + "VI_ATTR_MANF_ID" + std::string(100, ')') + "}"),
            status::ERROR_INV_EXPR);
}

TEST(ResourceQuery, PathologicalPatternsFinishQuickly) {
  // (a*)*b and (a|a)* make a backtracking matcher exponential; the NFA simulation is linear.
  std::string subject(3000, 'a');
  std::string nested;
  for (int i = 0; i < 30; ++i) nested += "(a*)*";
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(visa_match("(a*)*b", subject));
  EXPECT_FALSE(visa_match(nested + "b", subject));
  EXPECT_FALSE(visa_match("(a|a)*(a|aa)+b", subject));
  EXPECT_FALSE(py_match("(a*)*b", subject));
  EXPECT_TRUE(visa_match(nested, subject));
  EXPECT_FALSE(visa_match("?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*b", subject));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(10));  // typically a few milliseconds
}

TEST(ResourceQuery, MoveKeepsTheCompiledQuery) {
  ResourceQuery a("GPIB?*");
  ResourceQuery b(std::move(a));
  EXPECT_TRUE(b.matches("GPIB0::1::INSTR"));
  ResourceQuery c("x");
  c = std::move(b);
  EXPECT_TRUE(c.matches("GPIB0::1::INSTR"));
}

TEST(ResourceQuery, StackedQuantifiersInVisaMode) {
  EXPECT_TRUE(visa_match("ab**c", "ac"));
  EXPECT_TRUE(visa_match("ab+*c", "ac"));
  EXPECT_TRUE(visa_match("ab*+c", "ac"));
  EXPECT_FALSE(visa_match("ab++c", "ac"));
  EXPECT_TRUE(visa_match("ab++c", "abbc"));
  EXPECT_TRUE(visa_match("a" + std::string(4000, '*'), "aaaa"));  // no deep nesting
}
