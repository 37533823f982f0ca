// Tests of screenshot.hpp's table lookup and image formats.
#include <cppvisa/screenshot.hpp>

#include <gtest/gtest.h>

using namespace cppvisa;

namespace {
std::string query_for(std::string_view idn) {
  const auto* m = find_screen_dump_method(idn);
  return m ? m->query : "";
}
std::string format_of(std::string_view bytes) { return image_format(std::as_bytes(std::span(bytes.data(), bytes.size()))); }
}  // namespace

TEST(Screenshot, TableLookupByIdn) {
  EXPECT_EQ(query_for("KEYSIGHT TECHNOLOGIES,DSO-X 1204G,CN1,1"), ":DISPlay:DATA? PNG,COLor");
  EXPECT_EQ(query_for("Agilent Technologies,MSO-X 3054A,MY1,2"), ":DISPlay:DATA? PNG,COLor");
  EXPECT_EQ(query_for("Keysight Technologies,33522B,MY1,4.0"), "HCOPy:SDUMp:DATA?");
  EXPECT_EQ(query_for("RIGOL TECHNOLOGIES,DS1054Z,DS1ZA1,00.04.04"), ":DISPlay:DATA? ON,OFF,PNG");
  EXPECT_EQ(query_for("Rohde&Schwarz,RTB2004,1333,02.400"), "HCOPy:DATA?");
  EXPECT_EQ(query_for("Siglent Technologies, SDS1202X-E,SDS1,8.1"), "SCDP");  // a space after the comma
  EXPECT_EQ(query_for("KEYSIGHT TECHNOLOGIES,N9020B,MY1,1"), "");  // a Keysight not in the table
  EXPECT_EQ(query_for("ACME"), "");
  EXPECT_EQ(query_for(""), "");
  for (auto& m : screen_dump_methods()) {
    EXPECT_FALSE(m.query.empty()) << m.family;
    EXPECT_FALSE(m.manufacturer.empty()) << m.family;
  }
}

TEST(Screenshot, ImageFormats) {
  EXPECT_EQ(format_of("\x89PNG\r\n\x1a\nrest"), "png");
  EXPECT_EQ(format_of("BM\x36\x00"), "bmp");
  EXPECT_EQ(format_of("GIF89a"), "gif");
  EXPECT_EQ(format_of("\xff\xd8\xff\xe0"), "jpeg");
  EXPECT_EQ(format_of(std::string_view("II*\0", 4)), "tiff");
  EXPECT_EQ(format_of("\x89PN"), "");
  EXPECT_EQ(format_of(""), "");
}
