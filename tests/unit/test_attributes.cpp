// Tests of attributes.hpp: the attribute table, widths and normalization of raw values.
#include <cppvisa/attributes.hpp>

#include <gtest/gtest.h>

#include <set>

using namespace cppvisa;

TEST(Attributes, KnownIdsAndTypes) {
  EXPECT_EQ(attr::TMO_VALUE, 0x3FFF001Au);
  const AttrInfo* tmo = find_attribute(attr::TMO_VALUE);
  ASSERT_NE(tmo, nullptr);
  EXPECT_EQ(tmo->name, "VI_ATTR_TMO_VALUE");
  EXPECT_EQ(tmo->type, AttrType::U32);
  EXPECT_FALSE(tmo->read_only);
  EXPECT_TRUE(tmo->local);
  EXPECT_EQ(tmo->default_value, 2000);
  const AttrInfo* tc = find_attribute("VI_ATTR_TERMCHAR");
  ASSERT_NE(tc, nullptr);
  EXPECT_EQ(tc->id, attr::TERMCHAR);
  EXPECT_EQ(tc->default_value, 10);
  EXPECT_EQ(find_attribute("VI_ATTR_4882_COMPLIANT")->id, attr::IS_4882_COMPLIANT);
  EXPECT_EQ(find_attribute(attr::RSRC_NAME)->type, AttrType::STRING);
  EXPECT_TRUE(find_attribute(attr::RSRC_NAME)->read_only);
  EXPECT_EQ(find_attribute(0x12345678u), nullptr);
  EXPECT_EQ(find_attribute("VI_ATTR_NOPE"), nullptr);
}

TEST(Attributes, TableIdsUnique) {
  std::size_t n = 0;
  const AttrInfo* rows = attribute_table(n);
  ASSERT_GT(n, 150u);
  std::set<attr_id_t> ids;
  for (std::size_t i = 0; i < n; ++i) EXPECT_TRUE(ids.insert(rows[i].id).second) << rows[i].name;
}

TEST(Attributes, Widths) {
  EXPECT_EQ(attr_type_size(AttrType::BOOL), 2u);
  EXPECT_EQ(attr_type_size(AttrType::U8), 1u);
  EXPECT_EQ(attr_type_size(AttrType::U64), 8u);
  EXPECT_EQ(attr_type_size(AttrType::I16), 2u);
}

TEST(Attributes, NormalizeRawValues) {
  // PyVISA 1.11.3 zero-extends -1 (0x00000000FFFFFFFF); master sign-extends it.
  EXPECT_EQ(normalize_attr_integer(AttrType::I16, 0x00000000FFFFFFFFull), -1);
  EXPECT_EQ(normalize_attr_integer(AttrType::I16, 0xFFFFFFFFFFFFFFFFull), -1);
  EXPECT_EQ(normalize_attr_integer(AttrType::U32, 0xFFFFFFFFFFFFFFFFull), 0xFFFFFFFFll);
  EXPECT_EQ(normalize_attr_integer(AttrType::U8, 0x10Aull), 0x0A);
  EXPECT_EQ(normalize_attr_integer(AttrType::I32, 0xFFFFFFFEull), -2);
}

TEST(Attributes, AppliesToClasses) {
  const AttrInfo& baud = *find_attribute(attr::ASRL_BAUD);
  EXPECT_TRUE(attribute_applies_to(baud, InterfaceType::asrl, "INSTR"));
  EXPECT_FALSE(attribute_applies_to(baud, InterfaceType::tcpip, "INSTR"));
  const AttrInfo& term = *find_attribute(attr::TERMCHAR);
  EXPECT_TRUE(attribute_applies_to(term, InterfaceType::tcpip, "SOCKET"));
  EXPECT_TRUE(attribute_applies_to(term, InterfaceType::usb, "RAW"));
  EXPECT_FALSE(attribute_applies_to(term, InterfaceType::vxi, "MEMACC"));
  const AttrInfo& tmo = *find_attribute(attr::TMO_VALUE);
  EXPECT_TRUE(attribute_applies_to(tmo, InterfaceType::pxi, "BACKPLANE"));
  const AttrInfo& port = *find_attribute(attr::TCPIP_PORT);
  EXPECT_TRUE(attribute_applies_to(port, InterfaceType::tcpip, "SOCKET"));
  EXPECT_FALSE(attribute_applies_to(port, InterfaceType::tcpip, "INSTR"));
}
