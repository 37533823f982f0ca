// Tests of text.hpp: bytes for people, hex dumps, JSON quoting, error causes.
#include <cppvisa/error.hpp>
#include <cppvisa/status.hpp>
#include <cppvisa/text.hpp>

#include <gtest/gtest.h>

#include "support/bytes.hpp"

using cppvisa::testing::byte_view;

using namespace cppvisa;

namespace {
}  // namespace

TEST(Text, TextIsQuotedWithEscapes) {
  EXPECT_TRUE(is_text(byte_view("1.0\r\n\t")));
  EXPECT_EQ(show_bytes(std::string_view("*IDN?\n")), "\"*IDN?\\n\"");
  EXPECT_EQ(show_bytes(std::string_view("a\"b\\c\r")), "\"a\\\"b\\\\c\\r\"");
  EXPECT_EQ(show_bytes(std::string_view("")), "\"\"");
}

TEST(Text, BinaryIsHex) {
  std::string data("#10\x00\xff", 5);
  EXPECT_FALSE(is_text(byte_view(data)));
  EXPECT_EQ(show_bytes(data), "hex 23 31 30 00 ff");
}

TEST(Text, LongDataIsCutWithItsLength) {
  EXPECT_EQ(show_bytes(std::string_view("0123456789"), 4), "\"0123\" ... (10 bytes)");
  EXPECT_EQ(show_bytes(std::string("\x01\x02\x03", 3), 2), "hex 01 02 ... (3 bytes)");
  EXPECT_EQ(show_bytes(std::string_view("0123"), 4), "\"0123\"");  // not longer than the limit: whole
}

TEST(Text, HexDumpLikeHexdumpC) {
  std::string data = "0123456789abcdefXY";
  data.push_back('\0');
  EXPECT_EQ(hex_dump(byte_view(data)),
            "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n"
            "00000010  58 59 00                                          |XY.|\n");
  EXPECT_EQ(hex_dump({}), "");
}

TEST(Text, JsonQuote) {
  EXPECT_EQ(json_quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(json_quote("\xc2\xb5s"), "\"\xc2\xb5s\"");    // valid UTF-8 kept
  EXPECT_EQ(json_quote("\xff\xc2"), "\"\\ufffd\\ufffd\""); // invalid bytes replaced: the output stays JSON
}

TEST(Text, ErrorCauseNamesTheStatus) {
  VisaIOError e(status::ERROR_TMO, "(resource X)");
  auto cause = error_cause(e);
  EXPECT_NE(cause.find("VI_ERROR_TMO"), std::string::npos);
  EXPECT_NE(cause.find("(resource X)"), std::string::npos);
  EXPECT_EQ(error_cause(std::runtime_error("plain")), "plain");
}

TEST(Text, ShownBytesReadBack) {
  for (std::string data : {std::string("*IDN?\n"), std::string("a\"b\\c\td\r"), std::string("#14\x00\n\xff\x7f", 8),
                           std::string()}) {
    EXPECT_EQ(parse_shown_bytes(show_bytes(data)), data) << show_bytes(data);
  }
  EXPECT_EQ(parse_shown_bytes("hex"), "");
  EXPECT_THROW(parse_shown_bytes(show_bytes(std::string(300, 'x'), 128)), Error);  // cut
  for (const char* bad : {"", "\"open", "\"bad \\q\"", "hex 0", "hex zz", "hex 00 0", "hexa", "plain"})
    EXPECT_THROW(parse_shown_bytes(bad), Error) << bad;
}
