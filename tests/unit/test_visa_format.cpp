// The formatted-I/O engine of libvisa.so (viPrintf / viScanf conversions), through real C
// variable argument lists, without any backend.
#include "cabi/format_print.hpp"
#include "cabi/format_scan.hpp"

#include <cppvisa/status.hpp>

#include <gtest/gtest.h>

#include <cstdarg>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using namespace cppvisa;
using namespace cppvisa::cabi;

namespace {

struct Printed {
  status_t status;
  std::string text;
  bool flush;
};

Printed vprint(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Printed p{};
  {
    VaListArgs args(ap);
    p.status = format_print(fmt, args, p.text, p.flush);
  }
  va_end(ap);
  return p;
}

status_t vscan(const std::string& input, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ReadBuffer buffer;
  buffer.data = input;
  status_t st;
  {
    VaListArgs args(ap);
    st = format_scan(fmt, args, buffer, RefillFn{});
  }
  va_end(ap);
  return st;
}

}  // namespace

TEST(VisaFormatPrint, CConversions) {
  EXPECT_EQ(vprint("%d|%i|%5d|%-4d|%+d|%05d", 42, -7, 3, 9, 5, 12).text, "42|-7|    3|9   |+5|00012");
  EXPECT_EQ(vprint("%u %o %x %X %#x", 4000000000u, 8, 255, 255, 255).text, "4000000000 10 ff FF 0xff");
  EXPECT_EQ(vprint("%hd %hu", 70000, 70000).text, "4464 4464");
  EXPECT_EQ(vprint("%ld %lld", static_cast<std::int32_t>(-5), static_cast<long long>(1) << 40).text, "-5 1099511627776");
  EXPECT_EQ(vprint("%f %.2f %e %E %g %G", 1.5, 2.345, 12345.0, 0.5, 0.0001, 1e20).text,
            "1.500000 2.35 1.234500e+04 5.000000E-01 0.0001 1E+20");
  EXPECT_EQ(vprint("%Lf", static_cast<long double>(2.5)).text, "2.500000");
  EXPECT_EQ(vprint("%c%c %3c|%-3c|", 'o', 'k', 'x', 'y').text, "ok   x|y  |");
  EXPECT_EQ(vprint("%s|%6s|%-6s|%.2s", "abc", "abc", "abc", "abc").text, "abc|   abc|abc   |ab");
  EXPECT_EQ(vprint("100%%").text, "100%");
  EXPECT_EQ(vprint("%*d|%-*d|%.*f", 4, 1, 3, 2, 1, 3.14159).text, "   1|2  |3.1");
}

TEST(VisaFormatPrint, LineFeedAtTheEndFlushesWithEnd) {
  EXPECT_TRUE(vprint("*IDN?\n").flush);
  EXPECT_TRUE(vprint("*IDN?\\n").flush);  // the escape written out, as languages without escapes pass it
  EXPECT_EQ(vprint("*IDN?\\n").text, "*IDN?\n");
  EXPECT_FALSE(vprint("VOLT %d", 1).flush);
  EXPECT_FALSE(vprint("%s", "x\n").flush);  // only the format string counts
  EXPECT_EQ(vprint("a\\tb\\\\c\\101").text, "a\tb\\cA");
}

TEST(VisaFormatPrint, NumericRepresentationsOf4882) {
  EXPECT_EQ(vprint("%@1d", 12).text, "12");
  EXPECT_EQ(vprint("%@1f", 2.6).text, "3");
  EXPECT_EQ(vprint("%@2d", 12).text, "12.000000");
  EXPECT_EQ(vprint("%.1@2f", 1.25).text, "1.2");
  EXPECT_EQ(vprint("%@3f", 1250.0).text, "1.250000E+03");
  EXPECT_EQ(vprint("%.2@3d", 5).text, "5.00E+00");
}

TEST(VisaFormatPrint, CommaArrays) {
  int ints[] = {1, -2, 3};
  EXPECT_EQ(vprint("%,3d", ints).text, "1,-2,3");
  EXPECT_EQ(vprint("%,*d", 2, ints).text, "1,-2");
  EXPECT_EQ(vprint("%,#d", 3, ints).text, "1,-2,3");
  short shorts[] = {7, -8};
  EXPECT_EQ(vprint("%,2hd", shorts).text, "7,-8");
  std::int64_t longs[] = {std::int64_t{1} << 33, -1};
  EXPECT_EQ(vprint("%,2lld", longs).text, "8589934592,-1");
  float floats[] = {0.5f, 1.25f};
  EXPECT_EQ(vprint("%,2f", floats).text, "0.500000,1.250000");
  double doubles[] = {0.5, 2.0};
  EXPECT_EQ(vprint("%,2.1lf", doubles).text, "0.5,2.0");
  EXPECT_EQ(vprint("%,2@3lf", doubles).text, "5.000000E-01,2.000000E+00");
  EXPECT_EQ(vprint("%,2d", nullptr).status, status::ERROR_USER_BUF);
}

TEST(VisaFormatPrint, DefiniteLengthBlocks) {
  const unsigned char bytes[] = {'a', 0, 'b'};
  auto p = vprint("%b", 3, bytes);
  EXPECT_EQ(p.text, std::string("#13a\0b", 6));
  EXPECT_FALSE(p.flush);
  EXPECT_EQ(vprint("%3b", bytes).text, std::string("#13a\0b", 6));  // count as a field width
  EXPECT_EQ(vprint("%#b", 3, bytes).text, std::string("#13a\0b", 6));
  EXPECT_EQ(vprint("%b", 0, bytes).text, "#10");
  std::vector<unsigned char> big(12345, 'x');
  EXPECT_EQ(vprint("%b", 12345, big.data()).text.substr(0, 7), "#512345");
  std::uint16_t words[] = {0x0102, 0x0304};
  EXPECT_EQ(vprint("%hb", 2, words).text, std::string("#14\x01\x02\x03\x04", 7));        // big endian by default
  EXPECT_EQ(vprint("%!olhb", 2, words).text, std::string("#14\x02\x01\x04\x03", 7));     // !ol: little endian
  EXPECT_EQ(vprint("%!obhb", 2, words).text, std::string("#14\x01\x02\x03\x04", 7));
  std::uint32_t dwords[] = {0x01020304};
  EXPECT_EQ(vprint("%lb", 1, dwords).text, std::string("#14\x01\x02\x03\x04", 7));
  std::uint64_t qwords[] = {0x0102030405060708ull};
  EXPECT_EQ(vprint("%llb", 1, qwords).text, std::string("#18\x01\x02\x03\x04\x05\x06\x07\x08", 11));
  float f[] = {1.0f};  // 0x3F800000
  EXPECT_EQ(vprint("%zb", 1, f).text, std::string("#14\x3F\x80\x00\x00", 7));
  double d[] = {1.0};  // 0x3FF0000000000000
  EXPECT_EQ(vprint("%Zb", 1, d).text, std::string("#18\x3F\xF0\0\0\0\0\0\0", 11));
  EXPECT_EQ(vprint("%b", 2, nullptr).status, status::ERROR_USER_BUF);
}

TEST(VisaFormatPrint, IndefiniteBlocksAndRawArrays) {
  const unsigned char bytes[] = {1, 2, 3};
  auto p = vprint("DATA %B", 3, bytes);
  EXPECT_EQ(p.text, std::string("DATA #0\x01\x02\x03\n", 11));
  EXPECT_TRUE(p.flush);  // an indefinite block ends with NL^END
  EXPECT_EQ(vprint("%y", 3, bytes).text, std::string("\x01\x02\x03", 3));
  std::uint16_t words[] = {0x0A0B};
  EXPECT_EQ(vprint("%hy", 1, words).text, "\x0A\x0B");
  EXPECT_EQ(vprint("%!olhy", 1, words).text, "\x0B\x0A");
}

TEST(VisaFormatPrint, MalformedFormatsAreErrorsNotCrashes) {
  EXPECT_EQ(vprint("%").status, status::ERROR_INV_FMT);
  EXPECT_EQ(vprint("%q").status, status::ERROR_INV_FMT);
  EXPECT_EQ(vprint("%@4d", 1).status, status::ERROR_INV_FMT);
  EXPECT_EQ(vprint("%!xb", 1, "a").status, status::ERROR_INV_FMT);
  EXPECT_EQ(vprint("%n").status, status::ERROR_NSUP_FMT);
  EXPECT_EQ(vprint("%t").status, status::ERROR_INV_FMT);  // scan-only conversion
  EXPECT_EQ(vprint("%s", nullptr).status, status::ERROR_USER_BUF);
  EXPECT_EQ(vprint("%99999999999d", 1).status, status::ERROR_INV_FMT);
}

TEST(VisaFormatScan, Integers) {
  int a = 0, b = 0, c = 0;
  ASSERT_EQ(vscan("12, -7 0x1F", "%d, %d %x", &a, &b, &c), status::SUCCESS);
  EXPECT_EQ(a, 12);
  EXPECT_EQ(b, -7);
  EXPECT_EQ(c, 31);
  int i1 = 0, i2 = 0, i3 = 0;
  ASSERT_EQ(vscan("0x10 010 10", "%i %i %i", &i1, &i2, &i3), status::SUCCESS);
  EXPECT_EQ(i1, 16);
  EXPECT_EQ(i2, 8);
  EXPECT_EQ(i3, 10);
  short h = 0;
  std::int32_t l = 0;
  std::int64_t ll = 0;
  unsigned u = 0;
  int o = 0;
  ASSERT_EQ(vscan("-3 100000 1099511627776 4000000000 777", "%hd %ld %lld %u %o", &h, &l, &ll, &u, &o), status::SUCCESS);
  EXPECT_EQ(h, -3);
  EXPECT_EQ(l, 100000);
  EXPECT_EQ(ll, std::int64_t{1} << 40);
  EXPECT_EQ(u, 4000000000u);
  EXPECT_EQ(o, 0777);
  int w = 0, rest = 0;
  ASSERT_EQ(vscan("12345", "%3d%d", &w, &rest), status::SUCCESS);
  EXPECT_EQ(w, 123);
  EXPECT_EQ(rest, 45);
  int kept = 99, skipped = 0;
  ASSERT_EQ(vscan("5 6", "%*d %d", &skipped), status::SUCCESS);  // assignment suppression
  EXPECT_EQ(skipped, 6);
  ASSERT_EQ(vscan("abc", "%d", &kept), status::SUCCESS);  // no match: stops, leaves the argument
  EXPECT_EQ(kept, 99);
}

TEST(VisaFormatScan, FloatingPoint) {
  float f = 0;
  double d = 0;
  long double ld = 0;
  ASSERT_EQ(vscan("+1.5E+01 -2.25 3e-3", "%f %lf %Lf", &f, &d, &ld), status::SUCCESS);
  EXPECT_FLOAT_EQ(f, 15.0f);
  EXPECT_DOUBLE_EQ(d, -2.25);
  EXPECT_NEAR(static_cast<double>(ld), 0.003, 1e-12);
  double nr1 = 0, g = 0;
  ASSERT_EQ(vscan("42;9.91E37", "%lf;%lg", &nr1, &g), status::SUCCESS);
  EXPECT_DOUBLE_EQ(nr1, 42.0);
  EXPECT_DOUBLE_EQ(g, 9.91e37);
}

TEST(VisaFormatScan, CommaArrays) {
  int ints[4] = {};
  ASSERT_EQ(vscan("1,2,3,4,5", "%,4d", ints), status::SUCCESS);
  EXPECT_EQ(ints[3], 4);
  double d[5] = {};
  std::int32_t count = 5;
  ASSERT_EQ(vscan("1.5,2.5,3.5\n", "%,#lf", &count, d), status::SUCCESS);
  EXPECT_EQ(count, 3);  // `#`: capacity in, elements read out
  EXPECT_DOUBLE_EQ(d[2], 3.5);
  float f[2] = {};
  ASSERT_EQ(vscan("0.25, 0.5", "%,2f", f), status::SUCCESS);
  EXPECT_FLOAT_EQ(f[1], 0.5f);
  short h[3] = {};
  count = 2;  // never more than the capacity
  ASSERT_EQ(vscan("1,2,3", "%,#hd", &count, h), status::SUCCESS);
  EXPECT_EQ(count, 2);
  EXPECT_EQ(h[2], 0);
}

TEST(VisaFormatScan, Strings) {
  char a[16] = {}, b[16] = {};
  ASSERT_EQ(vscan("  hello world", "%s %s", a, b), status::SUCCESS);
  EXPECT_STREQ(a, "hello");
  EXPECT_STREQ(b, "world");
  char small[4] = {};
  ASSERT_EQ(vscan("abcdef", "%3s", small), status::SUCCESS);
  EXPECT_STREQ(small, "abc");
  char sized[4] = {};
  std::int32_t size = sizeof sized;
  ASSERT_EQ(vscan("abcdef", "%#s", &size, sized), status::SUCCESS);
  EXPECT_STREQ(sized, "abc");  // the capacity includes the NUL
  EXPECT_EQ(size, 3);
  char c[3] = {'-', '-', '-'};
  ASSERT_EQ(vscan("xyz", "%2c", c), status::SUCCESS);
  EXPECT_EQ(std::string(c, 3), "xy-");  // %c stores no NUL
  char set[16] = {}, other[16] = {};
  ASSERT_EQ(vscan("Keysight,34461A\r\n", "%[^,],%[^\r\n]", set, other), status::SUCCESS);
  EXPECT_STREQ(set, "Keysight");
  EXPECT_STREQ(other, "34461A");
  char digits[8] = {};
  ASSERT_EQ(vscan("123abc", "%[0-9]", digits), status::SUCCESS);
  EXPECT_STREQ(digits, "123");
}

TEST(VisaFormatScan, ToEndAndToLineFeed) {
  char all[32] = {}, line[32] = {};
  ASSERT_EQ(vscan("first line\nsecond", "%T%t", line, all), status::SUCCESS);
  EXPECT_STREQ(line, "first line\n");
  EXPECT_STREQ(all, "second");
  char limited[4] = {};
  std::int32_t size = sizeof limited;
  ASSERT_EQ(vscan("a long message", "%#t", &size, limited), status::SUCCESS);
  EXPECT_STREQ(limited, "a l");
}

TEST(VisaFormatScan, BinaryBlocks) {
  unsigned char data[8] = {};
  std::int32_t count = sizeof data;
  ASSERT_EQ(vscan(std::string("#15hello\n"), "%#b", &count, data), status::SUCCESS);
  EXPECT_EQ(count, 5);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(data), 5), "hello");
  count = 3;  // a larger block than the array: the rest is consumed, not stored
  unsigned char three[4] = {0, 0, 0, 0x55};
  ASSERT_EQ(vscan(std::string("#15hello"), "%#b", &count, three), status::SUCCESS);
  EXPECT_EQ(count, 3);
  EXPECT_EQ(three[3], 0x55);
  std::uint16_t words[2] = {};
  count = 2;
  ASSERT_EQ(vscan(std::string("#14\x01\x02\x03\x04", 7), "%#hb", &count, words), status::SUCCESS);
  EXPECT_EQ(words[0], 0x0102);  // big endian by default
  EXPECT_EQ(words[1], 0x0304);
  count = 2;
  ASSERT_EQ(vscan(std::string("#14\x01\x02\x03\x04", 7), "%!ol#hb", &count, words), status::SUCCESS);
  EXPECT_EQ(words[0], 0x0201);
  double d[1] = {};
  count = 1;
  ASSERT_EQ(vscan(std::string("#18\x3F\xF0\0\0\0\0\0\0", 11), "%#Zb", &count, d), status::SUCCESS);
  EXPECT_DOUBLE_EQ(d[0], 1.0);
  unsigned char ind[8] = {};
  count = 8;
  ASSERT_EQ(vscan(std::string("#0abc\n"), "%#b", &count, ind), status::SUCCESS);  // indefinite, to END
  EXPECT_EQ(count, 3);
  unsigned char lit[4] = {};
  ASSERT_EQ(vscan(std::string("#13xyz"), "%4b", lit), status::SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(lit), 3), "xyz");
  // without a count the array size is unknown: refused rather than overrun
  EXPECT_EQ(vscan(std::string("#13xyz"), "%b", lit), status::ERROR_INV_FMT);
  unsigned char raw[3] = {};
  ASSERT_EQ(vscan(std::string("\x09\x08\x07", 3), "%3y", raw), status::SUCCESS);
  EXPECT_EQ(raw[2], 7);
  std::uint16_t raw16[1] = {};
  ASSERT_EQ(vscan(std::string("\x01\x02", 2), "%1hy", raw16), status::SUCCESS);
  EXPECT_EQ(raw16[0], 0x0102);
}

TEST(VisaFormatScan, MalformedFormatsAndNullPointers) {
  int x = 0;
  EXPECT_EQ(vscan("1", "%", &x), status::ERROR_INV_FMT);
  EXPECT_EQ(vscan("1", "%[abc", &x), status::ERROR_INV_FMT);
  EXPECT_EQ(vscan("1", "%d", nullptr), status::ERROR_USER_BUF);
  EXPECT_EQ(vscan("1", "%n", &x), status::ERROR_NSUP_FMT);
}

TEST(VisaFormatScan, RefillsFromTheDeviceMessageByMessage) {
  // Messages arrive in pieces: "12,3" (more to come), "4\n" (END); then "7\n".
  std::vector<std::pair<std::string, bool>> pieces = {{"12,3", false}, {"4\n", true}, {"7\n", true}};
  std::size_t next = 0;
  RefillFn refill = [&](ReadBuffer& b) -> status_t {
    if (next >= pieces.size()) return status::ERROR_TMO;
    b.data += pieces[next].first;
    b.message_complete = pieces[next].second;
    ++next;
    return status::SUCCESS;
  };
  ReadBuffer buffer;
  auto scan = [&](const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    status_t st;
    {
      VaListArgs args(ap);
      st = format_scan(fmt, args, buffer, refill);
    }
    va_end(ap);
    return st;
  };
  int a = 0, b = 0, c = 0;
  ASSERT_EQ(scan("%d,%d", &a, &b), status::SUCCESS);
  EXPECT_EQ(a, 12);
  EXPECT_EQ(b, 34);  // the token continued across the refill of an unfinished message
  ASSERT_EQ(scan("%d", &c), status::SUCCESS);  // the next message
  EXPECT_EQ(c, 7);
  int d = 0;
  EXPECT_EQ(scan("%d", &d), status::ERROR_TMO);  // no more data: the read's error
}
