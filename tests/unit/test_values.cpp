// Tests of values.hpp: binary blocks (IEEE 488.2 definite/indefinite, HP, R&S, empty) and ASCII
// values, against the PyVISA behaviours in the reference digest (§6.1, §6.2, §12).
#include <cppvisa/values.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "support/bytes.hpp"

using cppvisa::testing::byte_vector;

using namespace cppvisa;
using namespace std::string_literals;

namespace {

std::string text(const std::vector<std::byte>& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

std::vector<std::byte> concat(std::string_view head, const std::vector<std::byte>& tail, std::string_view end = "") {
  auto out = byte_vector(head);
  out.insert(out.end(), tail.begin(), tail.end());
  auto e = byte_vector(end);
  out.insert(out.end(), e.begin(), e.end());
  return out;
}

/// Host-independent little/big endian bytes of an int16 list.
std::string int16_bytes(const std::vector<int>& values, bool big_endian) {
  std::string out;
  for (int v : values) {
    auto u = static_cast<std::uint16_t>(v);
    char lo = static_cast<char>(u & 0xFF), hi = static_cast<char>(u >> 8);
    out += big_endian ? std::string{hi, lo} : std::string{lo, hi};
  }
  return out;
}

/// Expects `f` to throw InvalidBinaryFormat with `status` and a message containing `fragment`.
template <typename F>
void expect_binary_error(F&& f, status_t status, std::string_view fragment = "") {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const InvalidBinaryFormat& e) {
    EXPECT_EQ(e.error_code(), status) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("Unrecognized binary data format", 0), 0u);
  }
}

template <typename F>
void expect_ascii_error(F&& f, std::string_view fragment) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const InvalidAsciiFormat& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_INV_FMT);
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

/// Parses `data` in streaming mode: the header, "need more" (nullopt, no error) or an error.
std::optional<BlockHeader> stream_parse(std::string_view data, BlockFormat format, std::error_code& ec,
                                        const BlockOptions& options = {}, bool big_endian = false,
                                        std::string* message = nullptr) {
  return parse_block_header(as_byte_span(data), format, big_endian, ec, options, message);
}

}  // namespace

// ---- datatypes and formats --------------------------------------------------------------------

TEST(ValuesDatatype, SizesFollowStructStandardSizes) {
  EXPECT_EQ(datatype_size('b'), 1u);
  EXPECT_EQ(datatype_size('B'), 1u);
  EXPECT_EQ(datatype_size('s'), 1u);
  EXPECT_EQ(datatype_size('h'), 2u);
  EXPECT_EQ(datatype_size('H'), 2u);
  EXPECT_EQ(datatype_size('i'), 4u);
  EXPECT_EQ(datatype_size('l'), 4u);  // 4 bytes in struct's standard mode, not LP64's 8
  EXPECT_EQ(datatype_size('L'), 4u);
  EXPECT_EQ(datatype_size('f'), 4u);
  EXPECT_EQ(datatype_size('q'), 8u);
  EXPECT_EQ(datatype_size('Q'), 8u);
  EXPECT_EQ(datatype_size('d'), 8u);
  EXPECT_EQ(datatype_size('z'), 0u);
  EXPECT_EQ(datatype_code<std::int8_t>(), 'b');
  EXPECT_EQ(datatype_code<std::uint16_t>(), 'H');
  EXPECT_EQ(datatype_code<std::int32_t>(), 'i');
  EXPECT_EQ(datatype_code<std::uint64_t>(), 'Q');
  EXPECT_EQ(datatype_code<float>(), 'f');
  EXPECT_EQ(datatype_code<double>(), 'd');
}

TEST(ValuesDatatype, FormatNames) {
  for (auto f : {BlockFormat::ieee, BlockFormat::hp, BlockFormat::rs, BlockFormat::empty})
    EXPECT_EQ(parse_block_format(to_string(f)), f);
  EXPECT_EQ(parse_block_format("IEEE"), std::nullopt);
  EXPECT_EQ(parse_block_format(""), std::nullopt);
}

// ---- PyVISA's examples ------------------------------------------------------------------------

TEST(ValuesEncode, PyVisaExamplesInt16) {
  std::vector<std::int16_t> v{1, 2, 3, 4, 5, 6};
  std::string le = int16_bytes({1, 2, 3, 4, 5, 6}, false), be = int16_bytes({1, 2, 3, 4, 5, 6}, true);
  EXPECT_EQ(text(to_ieee_block(v)), "#212" + le);
  EXPECT_EQ(text(to_ieee_block(v, true)), "#212" + be);
  EXPECT_EQ(text(to_hp_block(v)), "#A\x0c\x00"s + le);
  EXPECT_EQ(text(to_hp_block(v, true)), "#A\x00\x0c"s + be);
  EXPECT_EQ(text(to_rs_block(v)), "#(12)" + le);
  EXPECT_EQ(text(to_binary_block(v)), le);
  EXPECT_EQ(text(encode_block(v, BlockFormat::empty, true)), be);
}

TEST(ValuesEncode, IeeeHeaderCountsDigitsInHex) {
  EXPECT_EQ(text(to_ieee_block(std::vector<float>{})), "#10");
  EXPECT_EQ(text(to_ieee_block(std::vector<std::uint8_t>{'h', 'e', 'l', 'l', 'o'})), "#15hello");
  std::vector<std::byte> out;
  append_block_header(out, 200, BlockFormat::ieee, false);
  EXPECT_EQ(text(out), "#3200");
  out.clear();
  append_block_header(out, 1'000'000'000, BlockFormat::ieee, false);  // 10 digits: count digit 'A'
  EXPECT_EQ(text(out), "#A1000000000");
  out.clear();
  append_block_header(out, 999'999'999'999'999, BlockFormat::ieee, false);
  EXPECT_EQ(text(out), "#F999999999999999");
  out.clear();
  std::error_code ec;
  std::string message;
  append_block_header(out, 1'000'000'000'000'000, BlockFormat::ieee, false, ec, &message);  // 16 digits
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_LENGTH));
  EXPECT_NE(message.find("1 PB"), std::string::npos);
  EXPECT_TRUE(out.empty());
}

TEST(ValuesEncode, HpRejects64KiB) {
  std::vector<std::uint8_t> big(65536);
  expect_binary_error([&] { to_hp_block(big); }, status::ERROR_INV_LENGTH, "64 KiB");
  big.pop_back();
  auto block = to_hp_block(big, true);
  EXPECT_EQ(text(block).substr(0, 4), "#A\xff\xff"s);
  EXPECT_EQ(block.size(), 4u + 65535u);
}

TEST(ValuesEncode, AppendsToCallersBufferAfterCommandText) {
  std::vector<std::byte> out = byte_vector("CURV ");
  append_block(out, std::vector<std::int16_t>{1, 2}, BlockFormat::ieee, false);
  out.push_back(std::byte{'\n'});
  EXPECT_EQ(text(out), "CURV #14" + int16_bytes({1, 2}, false) + "\n");
  // An error leaves the buffer as it was.
  std::error_code ec;
  std::vector<std::uint8_t> big(70000);
  append_block(out, std::as_bytes(std::span<const std::uint8_t>(big)), 1, BlockFormat::hp, false, ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_LENGTH));
  EXPECT_EQ(text(out), "CURV #14" + int16_bytes({1, 2}, false) + "\n");
  append_block(out, std::as_bytes(std::span<const std::uint8_t>(big)).first(3), 2, BlockFormat::ieee, false, ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_PARAMETER));
}

TEST(ValuesEncode, MessageSizeMatchesPyVisa) {
  EXPECT_EQ(message_size(10, 2, BlockFormat::empty), 21u);
  EXPECT_EQ(message_size(10, 2, BlockFormat::ieee), 25u);
  EXPECT_EQ(message_size(10, 4, BlockFormat::hp), 45u);
  EXPECT_EQ(message_size(10, 4, BlockFormat::empty), 41u);
  EXPECT_EQ(message_size(10, 4, BlockFormat::rs), 40u + 5u + 1u);
  // The prediction equals what the encoder writes (+1 terminator).
  for (std::size_t n : {0u, 1u, 3u, 250u, 2600u}) {
    std::vector<float> v(n);
    for (auto f : {BlockFormat::ieee, BlockFormat::hp, BlockFormat::rs, BlockFormat::empty})
      EXPECT_EQ(encode_block(v, f).size() + 1, message_size(n, 4, f)) << n;
  }
}

TEST(ValuesDecode, PyVisaExamples) {
  std::string le = int16_bytes({1, 2, 3, 4, 5, 6}, false), be = int16_bytes({1, 2, 3, 4, 5, 6}, true);
  std::vector<std::int16_t> expected{1, 2, 3, 4, 5, 6};
  EXPECT_EQ(from_ieee_block<std::int16_t>(as_byte_span("#212" + le + "\n")), expected);
  EXPECT_EQ(from_ieee_block<std::int16_t>(as_byte_span("#212" + be), true), expected);
  EXPECT_EQ(from_hp_block<std::int16_t>(as_byte_span("#A\x0c\x00"s + le + "\n")), expected);
  EXPECT_EQ(from_hp_block<std::int16_t>(as_byte_span("#A\x00\x0c"s + be), true), expected);
  EXPECT_EQ(from_rs_block<std::int16_t>(as_byte_span("#(12)" + le)), expected);
  EXPECT_EQ(from_rs_block<std::int16_t>(as_byte_span("#212" + le)), expected);  // rs mode accepts IEEE too
  EXPECT_EQ(from_binary_block<std::int16_t>(as_byte_span(le)), expected);
  EXPECT_EQ(from_binary_block<std::int16_t>(as_byte_span("xx" + be + "\n"), 2, 12, true), expected);
  EXPECT_EQ(from_ieee_block<std::uint8_t>(as_byte_span("#15hello\n")),
            (std::vector<std::uint8_t>{'h', 'e', 'l', 'l', 'o'}));
  EXPECT_TRUE(from_ieee_block<float>(as_byte_span("#10")).empty());
}

// ---- round trips: every datatype x byte order x header format ---------------------------------

template <typename T>
class ValuesRoundTrip : public ::testing::Test {
 protected:
  static std::vector<T> sample() {
    std::vector<T> v{std::numeric_limits<T>::lowest(), std::numeric_limits<T>::max(), T(0), T(1), T(42)};
    if constexpr (std::is_signed_v<T>) v.push_back(T(-7));
    if constexpr (std::floating_point<T>) {
      v.insert(v.end(), {T(-0.0), T(1.5e-7), std::numeric_limits<T>::infinity(), std::numeric_limits<T>::denorm_min(),
                         std::numeric_limits<T>::quiet_NaN()});
    }
    std::mt19937_64 rng(7);
    for (int i = 0; i < 200; ++i) {
      std::uint64_t bits = rng();
      T x;
      std::memcpy(&x, &bits, sizeof(T));
      v.push_back(x);
    }
    return v;
  }
  /// Bit-exact comparison (NaN payloads and -0.0 included).
  static bool same(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
  }
};

using BlockValueTypes = ::testing::Types<std::int8_t, std::uint8_t, std::int16_t, std::uint16_t, std::int32_t,
                                         std::uint32_t, std::int64_t, std::uint64_t, float, double>;
TYPED_TEST_SUITE(ValuesRoundTrip, BlockValueTypes);

TYPED_TEST(ValuesRoundTrip, EveryFormatAndByteOrder) {
  using T = TypeParam;
  auto values = this->sample();
  // The HP length must stay below 64 KiB: fine for 210 values of at most 8 bytes.
  for (bool big_endian : {false, true}) {
    for (auto format : {BlockFormat::ieee, BlockFormat::hp, BlockFormat::rs, BlockFormat::empty}) {
      SCOPED_TRACE(std::string(to_string(format)) + (big_endian ? " BE" : " LE"));
      auto block = encode_block(values, format, big_endian);
      EXPECT_EQ(block.size(), block_header_size(values.size() * sizeof(T), format) + values.size() * sizeof(T));
      EXPECT_TRUE(this->same(from_block<T>(block, format, big_endian), values));
      // With a terminator after it (ignored after a definite length; dropped after empty only if it is not data).
      auto with_nl = block;
      with_nl.push_back(std::byte{'\n'});
      if (format != BlockFormat::empty) {
        EXPECT_TRUE(this->same(from_block<T>(with_nl, format, big_endian), values));
      }
      // Streaming: the header from every prefix, then the payload decoded into a vector's storage.
      auto header_end = block_header_size(values.size() * sizeof(T), format);
      for (std::size_t k = 0; k < header_end; ++k) {
        std::error_code ec;
        EXPECT_FALSE(parse_block_header(std::span(block).first(k), format, big_endian, ec).has_value()) << k;
        EXPECT_FALSE(ec) << k;
      }
      std::error_code ec;
      auto header = parse_block_header(std::span(block).first(header_end), format, big_endian, ec);
      ASSERT_TRUE(header.has_value()) << ec.message();
      EXPECT_EQ(header->offset, header_end);
      EXPECT_EQ(header->junk, 0u);
      if (format == BlockFormat::empty) {
        EXPECT_FALSE(header->length.has_value());
      } else {
        EXPECT_EQ(header->length, values.size() * sizeof(T));
      }
      std::vector<T> direct(values.size());
      auto storage = std::as_writable_bytes(std::span(direct));
      std::memcpy(storage.data(), block.data() + header->offset, storage.size());  // "the read"
      fix_byte_order(std::span(direct), big_endian);
      EXPECT_TRUE(this->same(direct, values));
      std::vector<T> decoded(values.size());
      decode_into(std::span(block).subspan(header->offset), big_endian, std::span(decoded));
      EXPECT_TRUE(this->same(decoded, values));
    }
    // IEEE indefinite `#0`: the rest of the block, without the NL^END terminator.
    SCOPED_TRACE(big_endian ? "#0 BE" : "#0 LE");
    auto data = encode_block(values, BlockFormat::empty, big_endian);
    EXPECT_TRUE(this->same(from_ieee_block<T>(concat("#0", data), big_endian), values));
    if (sizeof(T) > 1) {
      EXPECT_TRUE(this->same(from_ieee_block<T>(concat("#0", data, "\n"), big_endian), values));
    }
    std::error_code ec;
    auto header = parse_block_header(as_byte_span("#0"), BlockFormat::ieee, big_endian, ec);
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(header->offset, 2u);
    EXPECT_FALSE(header->length.has_value());
    EXPECT_TRUE(this->same(from_binary_block<T>(concat("#0", data), 2, data.size(), big_endian), values));
  }
}

TYPED_TEST(ValuesRoundTrip, WireBytesHaveTheRequestedOrder) {
  using T = TypeParam;
  T one;
  if constexpr (std::floating_point<T>) one = T(1);
  else one = T(1);
  auto le = to_binary_block(std::vector<T>{one}, false), be = to_binary_block(std::vector<T>{one}, true);
  ASSERT_EQ(le.size(), sizeof(T));
  for (std::size_t i = 0; i < sizeof(T); ++i) EXPECT_EQ(le[i], be[sizeof(T) - 1 - i]);
  if constexpr (std::integral<T>) {
    EXPECT_EQ(le[0], std::byte{1});
  }
}

// ---- header parsing ---------------------------------------------------------------------------

TEST(ValuesHeader, HexDigitCountsAThroughF) {
  // An IEEE header whose digit count is a hex digit: `#A` is NOT an HP header in ieee mode.
  std::error_code ec;
  BlockOptions unlimited;
  unlimited.max_length = std::numeric_limits<std::size_t>::max();
  for (int n = 10; n <= 15; ++n) {
    std::string digits = "1" + std::string(static_cast<std::size_t>(n - 1), '0');
    for (char count : {"0123456789ABCDEF"[n], "0123456789abcdef"[n]}) {
      std::string head = "#"s + count + digits;
      auto header = stream_parse(head, BlockFormat::ieee, ec, unlimited);
      ASSERT_TRUE(header.has_value()) << head << " " << ec.message();
      EXPECT_EQ(header->offset, 2u + static_cast<std::size_t>(n));
      EXPECT_EQ(header->length, static_cast<std::size_t>(std::pow(10.0, n - 1)));
      EXPECT_EQ(header->format, BlockFormat::ieee);
      // One digit short: need more bytes, not an error.
      EXPECT_FALSE(stream_parse(head.substr(0, head.size() - 1), BlockFormat::ieee, ec, unlimited));
      EXPECT_FALSE(ec);
    }
  }
  auto header = stream_parse("#F999999999999999", BlockFormat::ieee, ec, unlimited);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->length, 999'999'999'999'999u);
  // A 1 GB block header is within the default 2 GiB bound.
  header = stream_parse("#A1000000000", BlockFormat::ieee, ec);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->length, 1'000'000'000u);
  EXPECT_EQ(header->offset, 12u);
}

TEST(ValuesHeader, HpBlockGivenToIeeeParserIsMalformed) {
  std::string le = int16_bytes({1, 2, 3, 4, 5, 6}, false);
  std::error_code ec;
  std::string message;
  EXPECT_FALSE(stream_parse("#A\x0c\x00"s + le, BlockFormat::ieee, ec, {}, false, &message));
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_FMT));
  EXPECT_NE(message.find("HP format"), std::string::npos) << message;
  expect_binary_error([&] { from_ieee_block<std::int16_t>(as_byte_span("#A\x0c\x00"s + le)); },
                      status::ERROR_INV_FMT, "HP format");
  // Even when the 2 length bytes are digits, a small block is flagged as probably HP.
  expect_binary_error([&] { from_ieee_block<std::uint8_t>(as_byte_span("#A12" + std::string(8, '7') + "xyz")); },
                      status::ERROR_INV_LENGTH, "HP format");
}

TEST(ValuesHeader, NeedMoreIsDistinctFromMalformed) {
  std::error_code ec;
  for (std::string_view partial : {"", "#", "#3", "#31", "#3 1", "xx#", "#(", "#(12", "#( 1 "}) {
    EXPECT_FALSE(stream_parse(partial, BlockFormat::rs, ec)) << partial;
    EXPECT_FALSE(ec) << partial;
  }
  for (std::string_view partial : {"", "#", "#A", "#A\x01", "junk#", "#B#"}) {
    EXPECT_FALSE(stream_parse(partial, BlockFormat::hp, ec)) << partial;
    EXPECT_FALSE(ec) << partial;
  }
  for (std::string_view bad : {"#X12", "#3a12", "#31a", "#3+12", "# 12", "#\x01", "#(12a)", "#(1 2)", "#()", "#(a"}) {
    std::string message;
    EXPECT_FALSE(stream_parse(bad, BlockFormat::rs, ec, {}, false, &message)) << bad;
    EXPECT_EQ(ec, make_error_code(status::ERROR_INV_FMT)) << bad;
    EXPECT_FALSE(message.empty());
  }
  // "Need more" still explains what is missing, for a reader that has already seen END.
  std::string missing;
  EXPECT_FALSE(stream_parse("#31", BlockFormat::ieee, ec, {}, false, &missing));
  EXPECT_FALSE(ec);
  EXPECT_NE(missing.find("incomplete"), std::string::npos) << missing;
  EXPECT_FALSE(stream_parse("OK", BlockFormat::ieee, ec, {}, false, &missing));
  EXPECT_FALSE(ec);
  EXPECT_NE(missing.find("Could not find hash sign"), std::string::npos) << missing;
  // `#(` is only R&S syntax in rs mode: in ieee mode it is malformed.
  EXPECT_FALSE(stream_parse("#(12)", BlockFormat::ieee, ec));
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_FMT));
  // Spaces around the digits are accepted, as Python's int() does.
  auto header = stream_parse("#4 12 abc", BlockFormat::ieee, ec);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->length, 12u);
  EXPECT_EQ(header->offset, 6u);
  // The throwing whole-buffer form reports an incomplete header as malformed.
  expect_binary_error([] { parse_block_header(as_byte_span("#31"), BlockFormat::ieee, false); }, status::ERROR_INV_FMT,
                      "incomplete");
  expect_binary_error([] { parse_block_header(as_byte_span("no block"), BlockFormat::ieee, false); },
                      status::ERROR_INV_FMT, "Could not find hash sign");
  expect_binary_error([] { parse_block_header(as_byte_span("no block"), BlockFormat::hp, false); },
                      status::ERROR_INV_FMT, "#A");
}

TEST(ValuesHeader, RsLengthDigits) {
  std::error_code ec;
  auto header = stream_parse("#(123456789012345678)", BlockFormat::rs, ec,
                             {.max_length = std::numeric_limits<std::size_t>::max()});
  ASSERT_TRUE(header) << ec.message();
  EXPECT_EQ(header->length, 123456789012345678u);
  EXPECT_EQ(header->offset, 21u);
  EXPECT_EQ(header->format, BlockFormat::rs);
  std::string message;
  EXPECT_FALSE(stream_parse("#(1234567890123456789)", BlockFormat::rs, ec, {}, false, &message));
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_FMT));
  EXPECT_NE(message.find("large"), std::string::npos);
  // 19 digits with no parenthesis yet: malformed without waiting for more.
  EXPECT_FALSE(stream_parse("#(1234567890123456789", BlockFormat::rs, ec));
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_FMT));
}

TEST(ValuesHeader, LengthBeyondBoundIsRejectedBeforeAllocation) {
  std::error_code ec;
  std::string message;
  BlockOptions small;
  small.max_length = 1000;
  EXPECT_FALSE(stream_parse("#41001", BlockFormat::ieee, ec, small, false, &message));
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_LENGTH));
  EXPECT_NE(message.find("1001"), std::string::npos);
  EXPECT_TRUE(stream_parse("#41000", BlockFormat::ieee, ec, small));
  EXPECT_FALSE(stream_parse("#(1001)", BlockFormat::rs, ec, small));
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_LENGTH));
  EXPECT_FALSE(stream_parse("#A\x03\xe9", BlockFormat::hp, ec, small, true));  // 1001 big endian
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_LENGTH));
  EXPECT_TRUE(stream_parse("#A\xe8\x03", BlockFormat::hp, ec, small, false));  // 1000 little endian
  // Default bound: 2 GiB. A 15-digit length (almost 1 PB) never reaches an allocation.
  EXPECT_FALSE(stream_parse("#F999999999999999", BlockFormat::ieee, ec));
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_LENGTH));
  EXPECT_FALSE(stream_parse("#A2147483649", BlockFormat::ieee, ec));
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_LENGTH));
  EXPECT_TRUE(stream_parse("#A2147483648", BlockFormat::ieee, ec));
  expect_binary_error([] { from_ieee_block<float>(as_byte_span("#F999999999999999abcd")); },
                      status::ERROR_INV_LENGTH, "limit");
}

TEST(ValuesHeader, JunkBeforeTheBlock) {
  std::string le = int16_bytes({1, 2, 3, 4, 5, 6}, false);
  std::error_code ec;
  auto header = stream_parse("\r\nOK;#212" + le, BlockFormat::ieee, ec);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->junk, 5u);
  EXPECT_EQ(header->offset, 9u);
  EXPECT_FALSE(header->late());
  EXPECT_EQ(from_ieee_block<std::int16_t>(as_byte_span("\r\nOK;#212" + le)),
            (std::vector<std::int16_t>{1, 2, 3, 4, 5, 6}));
  // HP looks for `#A`, skipping other hash signs.
  header = stream_parse("x#1#A\x0c\x00"s + le, BlockFormat::hp, ec);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->junk, 3u);
  EXPECT_EQ(header->offset, 7u);
  // Past length_before_block (25): late, an error only with raise_on_late_block.
  std::string junk(30, 'j');
  header = stream_parse(junk + "#212" + le, BlockFormat::ieee, ec);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->junk, 30u);
  EXPECT_TRUE(header->late());
  EXPECT_FALSE(header->late(30));
  BlockOptions strict;
  strict.raise_on_late_block = true;
  std::string message;
  EXPECT_FALSE(stream_parse(junk + "#212" + le, BlockFormat::ieee, ec, strict, false, &message));
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_FMT));
  EXPECT_NE(message.find("unexpectedly large"), std::string::npos);
  EXPECT_TRUE(stream_parse(std::string(25, 'j') + "#212" + le, BlockFormat::ieee, ec, strict));
  // Junk is bounded: no `#` within max_junk + 1 bytes is malformed, not "need more" forever.
  BlockOptions tight;
  tight.max_junk = 8;
  EXPECT_FALSE(stream_parse(std::string(8, 'j'), BlockFormat::ieee, ec, tight));
  EXPECT_FALSE(ec);
  EXPECT_FALSE(stream_parse(std::string(9, 'j'), BlockFormat::ieee, ec, tight));
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_FMT));
  EXPECT_TRUE(stream_parse(std::string(8, 'j') + "#10", BlockFormat::ieee, ec, tight));
  EXPECT_FALSE(stream_parse(std::string(9, 'j') + "#10", BlockFormat::ieee, ec, tight));
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_FMT));
  EXPECT_FALSE(stream_parse(std::string(8, 'j') + "#", BlockFormat::hp, ec, tight));
  EXPECT_FALSE(ec);
  EXPECT_FALSE(stream_parse(std::string(9, 'j') + "#", BlockFormat::hp, ec, tight));
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_FMT));
}

TEST(ValuesHeader, EmptyFormatHasNoHeader) {
  std::error_code ec;
  auto header = stream_parse("", BlockFormat::empty, ec);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->offset, 0u);
  EXPECT_FALSE(header->length);
  EXPECT_EQ(header->format, BlockFormat::empty);
}

// ---- data length checks -----------------------------------------------------------------------

TEST(ValuesDecode, TruncatedDataIsAnError) {
  expect_binary_error([] { from_ieee_block<std::uint8_t>(as_byte_span("#15hell")); }, status::ERROR_INV_LENGTH,
                      "The header states 5 data bytes, but 4 were received");
  expect_binary_error([] { from_hp_block<std::uint8_t>(as_byte_span("#A\x05\x00hell"s)); }, status::ERROR_INV_LENGTH,
                      "incomplete");
  expect_binary_error([] { from_rs_block<std::uint8_t>(as_byte_span("#(5)hell")); }, status::ERROR_INV_LENGTH,
                      "incomplete");
  expect_binary_error([] { from_binary_block<std::int32_t>(as_byte_span("abcdefg"), 0, 8); },
                      status::ERROR_INV_LENGTH, "incomplete");
  expect_binary_error([] { from_binary_block<std::int32_t>(as_byte_span("abc"), 4); }, status::ERROR_INV_LENGTH,
                      "offset");
  std::error_code ec;
  std::string message;
  auto v = from_block<float>(as_byte_span("#18abcd"), BlockFormat::ieee, false, ec, {}, &message);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_LENGTH));
  EXPECT_NE(message.find("incomplete"), std::string::npos);
}

TEST(ValuesDecode, PartialItemsAreAnError) {
  // PyVISA silently drops a partial trailing item; here it is an error.
  expect_binary_error([] { from_ieee_block<std::int16_t>(as_byte_span("#13abc")); }, status::ERROR_INV_LENGTH,
                      "whole number");
  expect_binary_error([] { from_binary_block<float>(as_byte_span("abcdef")); }, status::ERROR_INV_LENGTH,
                      "whole number");
  expect_binary_error([] { from_ieee_block<float>(as_byte_span("#0abcdef")); }, status::ERROR_INV_LENGTH,
                      "whole number");
  // ... but bytes after a definite block (the terminator) are ignored, and the NL^END of an
  // indefinite block is not data.
  EXPECT_EQ(from_ieee_block<std::int16_t>(as_byte_span("#12ab\r\n")).size(), 1u);
  EXPECT_EQ(from_ieee_block<std::int16_t>(as_byte_span("#0ab\n")).size(), 1u);
  EXPECT_EQ(from_ieee_block<std::uint8_t>(as_byte_span("#0ab\n")).size(), 3u);  // one byte items: all data
}

TEST(ValuesDecode, DecodeIntoChecksSizes) {
  std::vector<std::int32_t> out(2);
  std::error_code ec;
  decode_into(as_byte_span("abcdefg"), false, std::span(out), ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_PARAMETER));
  decode_into(as_byte_span("abcd"), false, std::span(out), ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_LENGTH));
  expect_binary_error([&] { decode_into(as_byte_span("abcd"), false, std::span(out)); }, status::ERROR_INV_LENGTH);
  decode_into(as_byte_span("\x01\x00\x00\x00\x00\x00\x00\x02"s), true, std::span(out), ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(out, (std::vector<std::int32_t>{0x01000000, 2}));
}

TEST(ValuesDecode, FixByteOrderInPlace) {
  std::array<std::byte, 8> raw{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4},
                               std::byte{5}, std::byte{6}, std::byte{7}, std::byte{8}};
  auto copy = raw;
  fix_byte_order(std::span(copy), 4, std::endian::native == std::endian::big);
  EXPECT_EQ(copy, raw);  // already host order: untouched
  fix_byte_order(std::span(copy), 4, std::endian::native != std::endian::big);
  EXPECT_EQ(copy[0], std::byte{4});
  EXPECT_EQ(copy[3], std::byte{1});
  EXPECT_EQ(copy[4], std::byte{8});
  fix_byte_order(std::span(copy), 1, true);
  EXPECT_EQ(copy[0], std::byte{4});
  std::vector<std::uint16_t> words{0x0102, 0x0304};
  fix_byte_order(std::span(words), std::endian::native != std::endian::big);
  EXPECT_EQ(words, (std::vector<std::uint16_t>{0x0201, 0x0403}));
  expect_binary_error([&] { fix_byte_order(std::span(copy), 3, true); }, status::ERROR_INV_PARAMETER);
  expect_binary_error([&] { fix_byte_order(std::span(copy).first(6), 4, true); }, status::ERROR_INV_PARAMETER);
}

TEST(ValuesDecode, ExceptionCarriesStatus) {
  InvalidBinaryFormat e("bad", status::ERROR_INV_LENGTH);
  EXPECT_STREQ(e.what(), "Unrecognized binary data format: bad");
  EXPECT_EQ(e.description(), "bad");
  EXPECT_EQ(e.code(), make_error_code(status::ERROR_INV_LENGTH));
  const Error& base = e;
  EXPECT_NE(std::string(base.what()).find("bad"), std::string::npos);
}

// ---- ASCII ------------------------------------------------------------------------------------

TEST(ValuesAscii, DefaultConverterIsPercentF) {
  EXPECT_EQ(to_ascii_block(std::vector<double>{1.0, 2.5, -3.25}), "1.000000,2.500000,-3.250000");
  EXPECT_EQ(to_ascii_block(std::vector<int>{1, 2, 3, 4, 5}, "d"), "1,2,3,4,5");
  EXPECT_EQ(to_ascii_block(std::vector<double>{}), "");
  EXPECT_EQ(to_ascii_block(std::vector<float>{1.5f}), "1.500000");
}

TEST(ValuesAscii, PrintfConverters) {
  std::vector<double> v{1.0};
  EXPECT_EQ(to_ascii_block(v, "e"), "1.000000e+00");
  EXPECT_EQ(to_ascii_block(std::vector<double>{2.5}, "g"), "2.5");
  EXPECT_EQ(to_ascii_block(std::vector<double>{1e-5}, "g"), "1e-05");
  EXPECT_EQ(to_ascii_block(std::vector<double>{1.23456}, ".3f"), "1.235");
  EXPECT_EQ(to_ascii_block(std::vector<double>{12345.678}, "+.2e"), "+1.23e+04");
  EXPECT_EQ(to_ascii_block(std::vector<double>{1.5}, "E"), "1.500000E+00");
  EXPECT_EQ(to_ascii_block(std::vector<double>{2.0}, "8.2f"), "    2.00");
  EXPECT_EQ(to_ascii_block(std::vector<double>{2.0}, "-8.2f|"), "2.00    |");
  EXPECT_EQ(to_ascii_block(std::vector<double>{2.0}, "08.2f"), "00002.00");
  EXPECT_EQ(to_ascii_block(std::vector<double>{2.0}, ".1f V"), "2.0 V");
  EXPECT_EQ(to_ascii_block(std::vector<double>{50}, ".0f%%"), "50%");
  EXPECT_EQ(to_ascii_block(std::vector<double>{-std::nan("")}, "f"), "nan");
  EXPECT_EQ(to_ascii_block(std::vector<double>{HUGE_VAL}, "F"), "INF");
  // Python zero-pads inf and nan after the sign (C would pad with spaces).
  EXPECT_EQ(to_ascii_block(std::vector<double>{-HUGE_VAL, HUGE_VAL}, "05f"), "-0inf,00inf");
  EXPECT_EQ(to_ascii_block(std::vector<double>{HUGE_VAL}, "+05.2f"), "+0inf");
  EXPECT_EQ(to_ascii_block(std::vector<double>{std::nan("")}, " 06f"), " 00nan");
  EXPECT_EQ(to_ascii_block(std::vector<double>{HUGE_VAL}, "-05f|"), "inf  |");
  EXPECT_EQ(to_ascii_block(std::vector<double>{2.0}, "lf"), "2.000000");
  EXPECT_EQ(to_ascii_block(std::vector<double>{2.0}, "300.2f"), std::string(296, ' ') + "2.00");  // long output
  EXPECT_EQ(to_ascii_block(std::vector<double>{0.5}, ".200f").size(), 202u);  // length modifiers ignored
  // d truncates floats.
  EXPECT_EQ(to_ascii_block(std::vector<double>{1.9, -1.9, -0.5, 3.0}, "d"), "1,-1,0,3");
  EXPECT_EQ(to_ascii_block(std::vector<double>{1e20}, "d"), "100000000000000000000");
  EXPECT_EQ(to_ascii_block(std::vector<double>{1e30}, "d"), "1000000000000000019884624838656");
  // Integers: hex, HEX, octal with Python's alternate forms and signs.
  std::vector<std::int64_t> ints{255, -255, 0};
  EXPECT_EQ(to_ascii_block(ints, "x"), "ff,-ff,0");
  EXPECT_EQ(to_ascii_block(ints, "X"), "FF,-FF,0");
  EXPECT_EQ(to_ascii_block(ints, "#x"), "0xff,-0xff,0x0");
  EXPECT_EQ(to_ascii_block(ints, "#o"), "0o377,-0o377,0o0");
  EXPECT_EQ(to_ascii_block(ints, "o"), "377,-377,0");
  EXPECT_EQ(to_ascii_block(ints, "+d"), "+255,-255,+0");
  EXPECT_EQ(to_ascii_block(ints, " d"), " 255,-255, 0");
  EXPECT_EQ(to_ascii_block(ints, "05d"), "00255,-0255,00000");
  EXPECT_EQ(to_ascii_block(ints, "-5d"), "255  ,-255 ,0    ");
  EXPECT_EQ(to_ascii_block(ints, ".4d"), "0255,-0255,0000");
  EXPECT_EQ(to_ascii_block(ints, "f"), "255.000000,-255.000000,0.000000");
  EXPECT_EQ(to_ascii_block(std::vector<std::uint64_t>{18446744073709551615u}, "d"), "18446744073709551615");
  EXPECT_EQ(to_ascii_block(std::vector<std::int64_t>{INT64_MIN}, "d"), "-9223372036854775808");
  EXPECT_EQ(to_ascii_block(std::vector<std::uint8_t>{65, 66}, "c"), "A,B");
  // s is Python's str(): shortest repr for floats.
  EXPECT_EQ(to_ascii_block(std::vector<double>{2.5, 3.0, 1e-05, 1e16, 1e15, 0.0001, -0.0, 0.1}, "s"),
            "2.5,3.0,1e-05,1e+16,1000000000000000.0,0.0001,-0.0,0.1");
  EXPECT_EQ(to_ascii_block(std::vector<double>{1.5e300, HUGE_VAL, std::nan("")}, "s"), "1.5e+300,inf,nan");
  EXPECT_EQ(to_ascii_block(std::vector<float>{0.1f}, "s"), "0.1");
  EXPECT_EQ(to_ascii_block(std::vector<int>{42}, "s"), "42");
  EXPECT_EQ(to_ascii_block(std::vector<double>{3.14159}, ".3s"), "3.1");
  EXPECT_EQ(to_ascii_block(std::vector<int>{7}, "4s"), "   7");
}

TEST(ValuesAscii, InvalidConverters) {
  std::vector<double> v{1.0};
  expect_ascii_error([&] { to_ascii_block(v, "m"); }, "unsupported format character 'm' (0x6d) at index 1");
  expect_ascii_error([&] { to_ascii_block(v, ".3m"); }, "unsupported format character 'm' (0x6d) at index 3");
  expect_ascii_error([&] { to_ascii_block(v, ""); }, "incomplete format");
  expect_ascii_error([&] { to_ascii_block(v, ".3"); }, "incomplete format");
  expect_ascii_error([&] { to_ascii_block(v, "f%"); }, "incomplete format");
  expect_ascii_error([&] { to_ascii_block(v, "f%d"); }, "not enough arguments");
  expect_ascii_error([&] { to_ascii_block(v, "%"); }, "not all arguments converted");
  expect_ascii_error([&] { to_ascii_block(v, "*d"); }, "'*'");
  expect_ascii_error([&] { to_ascii_block(v, "99999f"); }, "width too big");
  // Values that do not fit the conversion.
  expect_ascii_error([&] { to_ascii_block(v, "x"); }, "an integer is required, not float");
  expect_ascii_error([] { to_ascii_block(std::vector<double>{std::nan("")}, "d"); }, "NaN");
  expect_ascii_error([] { to_ascii_block(std::vector<double>{-HUGE_VAL}, "d"); }, "infinity");
  expect_ascii_error([] { to_ascii_block(std::vector<int>{300}, "c"); }, "range");
  std::error_code ec;
  std::string message;
  EXPECT_FALSE(AsciiFormat::parse("q", ec, &message));
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_FMT));
  EXPECT_EQ(message, "unsupported format character 'q' (0x71) at index 1");
  EXPECT_TRUE(AsciiFormat::parse("+08.3e", ec));
  EXPECT_FALSE(ec);
}

TEST(ValuesAscii, CallableConverterAndSeparator) {
  std::vector<int> v{1, 2, 3};
  EXPECT_EQ(to_ascii_block(v, [](int x) { return std::to_string(x * 10); }), "10,20,30");
  EXPECT_EQ(to_ascii_block(v, [](int x) { return std::to_string(x); }, "; "), "1; 2; 3");
  AsciiJoiner bracket = [](const std::vector<std::string>& items) {
    std::string out = "[";
    for (const auto& s : items) out += s + "]";
    return out;
  };
  EXPECT_EQ(to_ascii_block(v, "d", bracket), "[1]2]3]");
  EXPECT_EQ(to_ascii_block(v, "d", "\t"), "1\t2\t3");
}

TEST(ValuesAscii, ParseFloatsByDefault) {
  EXPECT_EQ(from_ascii_block("1,2.5,-3e2"), (std::vector<double>{1, 2.5, -300}));
  EXPECT_EQ(from_ascii_block(" 1 , 2\t,3\r\n"), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(from_ascii_block("1,2,"), (std::vector<double>{1, 2}));  // one trailing separator
  EXPECT_EQ(from_ascii_block("1,2,\n"), (std::vector<double>{1, 2}));
  EXPECT_TRUE(from_ascii_block("").empty());
  EXPECT_EQ(from_ascii_block("1_000.5,+.5,5.,1E3"), (std::vector<double>{1000.5, 0.5, 5, 1000}));
  auto special = from_ascii_block("inf,-Infinity,nan,1e400,1e-400,-1e400");
  ASSERT_EQ(special.size(), 6u);
  EXPECT_EQ(special[0], HUGE_VAL);
  EXPECT_EQ(special[1], -HUGE_VAL);
  EXPECT_TRUE(std::isnan(special[2]));
  EXPECT_EQ(special[3], HUGE_VAL);
  EXPECT_EQ(special[4], 0.0);
  EXPECT_EQ(special[5], -HUGE_VAL);
  EXPECT_EQ(from_ascii_block<float>("0.1;0.2", "f", ";"), (std::vector<float>{0.1f, 0.2f}));
  EXPECT_EQ(from_ascii_block("1 2 3", "f", " "), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(from_ascii_block("1, 2, 3", "e", ", "), (std::vector<double>{1, 2, 3}));
}

TEST(ValuesAscii, ParseErrors) {
  expect_ascii_error([] { from_ascii_block("1,2,,"); }, "could not convert string to float: ''");
  expect_ascii_error([] { from_ascii_block("1,,2"); }, "could not convert string to float");
  expect_ascii_error([] { from_ascii_block("1;2"); }, "could not convert string to float: '1;2'");
  for (std::string_view bad : {" 1\x1c", "1__0", "_1", "1_", "1e", "e5", ".", "0x10", "1.5.2", "nan(1)", "++1", "1 2"})
    expect_ascii_error([&] { from_ascii_block(bad); }, "could not convert string to float");
  expect_ascii_error([] { from_ascii_block("1", "m"); },
                     "Invalid code for converter: m not in ('s', 'b', 'c', 'd', 'o', 'x', 'X', 'h', 'H', 'e', 'E', "
                     "'f', 'F', 'g', 'G')");
  expect_ascii_error([] { from_ascii_block("1", ".3f"); }, "Invalid code for converter");
  expect_ascii_error([] { from_ascii_block("1", "f", ""); }, "empty separator");
  std::error_code ec;
  std::string message;
  auto v = from_ascii_block<double>("1,x", "f", ",", ec, &message);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_FMT));
  EXPECT_EQ(message, "could not convert string to float: 'x'");
  v = from_ascii_block<double>("1,2", "f", ",", ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(v.size(), 2u);
}

TEST(ValuesAscii, ParseIntegers) {
  EXPECT_EQ(from_ascii_block<int>("1,-2,+3, 4 ", "d"), (std::vector<int>{1, -2, 3, 4}));
  EXPECT_EQ(from_ascii_block<int>("010,1_000", "d"), (std::vector<int>{10, 1000}));
  EXPECT_EQ(from_ascii_block<int>("ff,0xFF,-0x_1f,10", "x"), (std::vector<int>{255, 255, -31, 16}));
  EXPECT_EQ(from_ascii_block<int>("ff,A", "H"), (std::vector<int>{255, 10}));
  EXPECT_EQ(from_ascii_block<int>("17,0o17", "o"), (std::vector<int>{15, 15}));
  EXPECT_EQ(from_ascii_block<int>("101,0b11", "b"), (std::vector<int>{5, 3}));
  EXPECT_EQ(from_ascii_block<int>("A,b", "c"), (std::vector<int>{65, 98}));
  EXPECT_EQ(from_ascii_block<double>("1,2", "d"), (std::vector<double>{1, 2}));
  EXPECT_EQ(from_ascii_block<std::uint64_t>("18446744073709551615", "d"),
            (std::vector<std::uint64_t>{18446744073709551615u}));
  EXPECT_EQ(from_ascii_block<std::int64_t>("-9223372036854775808", "d"),
            (std::vector<std::int64_t>{INT64_MIN}));
  EXPECT_EQ(from_ascii_block<std::int8_t>("-128,127", "d"), (std::vector<std::int8_t>{-128, 127}));
  // Integer types take integral float text, never a silent truncation.
  EXPECT_EQ(from_ascii_block<int>("3.0,-2e1"), (std::vector<int>{3, -20}));
  expect_ascii_error([] { from_ascii_block<int>("3.5"); }, "integral");
  expect_ascii_error([] { from_ascii_block<int>("inf"); }, "integral");
  expect_ascii_error([] { from_ascii_block<int>("1.5", "d"); }, "invalid literal for int() with base 10: '1.5'");
  expect_ascii_error([] { from_ascii_block<int>("0x10", "d"); }, "invalid literal for int() with base 10");
  EXPECT_EQ(from_ascii_block<int>("0b10", "x"), (std::vector<int>{0xb10}));  // b is a hex digit, as in Python
  expect_ascii_error([] { from_ascii_block<int>("0o10", "x"); }, "invalid literal for int() with base 16");
  expect_ascii_error([] { from_ascii_block<int>("12", "b"); }, "invalid literal for int() with base 2");
  expect_ascii_error([] { from_ascii_block<std::uint8_t>("256", "d"); }, "does not fit");
  expect_ascii_error([] { from_ascii_block<std::uint8_t>("-1", "d"); }, "does not fit");
  expect_ascii_error([] { from_ascii_block<std::int8_t>("-129", "d"); }, "does not fit");
  expect_ascii_error([] { from_ascii_block<std::uint64_t>("18446744073709551616", "d"); }, "out of the 64-bit range");
  expect_ascii_error([] { from_ascii_block<int>("AB", "c"); }, "ord() expected a character");
  EXPECT_EQ(from_ascii_block<int>("-0", "d"), (std::vector<int>{0}));
}

TEST(ValuesAscii, StringsAndCallables) {
  EXPECT_EQ(from_ascii_block<std::string>("a, b,c", "s"), (std::vector<std::string>{"a", " b", "c"}));
  expect_ascii_error([] { from_ascii_block<std::string>("a", "f"); }, "gives numbers");
  expect_ascii_error([] { from_ascii_block<double>("a", "s"); }, "gives strings");
  auto lengths = from_ascii_block("ab,c,def", [](std::string_view s) { return s.size(); });
  EXPECT_EQ(lengths, (std::vector<std::size_t>{2, 1, 3}));
  AsciiSplitter words = [](std::string_view s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
      auto end = s.find_first_of(" ;", start);
      if (end == std::string_view::npos) end = s.size();
      if (end > start) out.emplace_back(s.substr(start, end - start));
      start = end + 1;
    }
    return out;
  };
  EXPECT_EQ(from_ascii_block<double>("1 2;3", "f", words), (std::vector<double>{1, 2, 3}));
  expect_ascii_error([&] { from_ascii_block<double>("1 x", "f", words); }, "'x'");
}

TEST(ValuesAscii, RoundTripsThroughText) {
  std::vector<double> v{0.1, -2.5e-300, 1e300, 12345.678, -0.0};
  // "s" (repr) and ".17g" round-trip doubles exactly.
  EXPECT_EQ(from_ascii_block(to_ascii_block(v, "s")), v);
  EXPECT_EQ(from_ascii_block(to_ascii_block(v, ".17g")), v);
  std::vector<std::int32_t> ints{INT32_MIN, -1, 0, 1, INT32_MAX};
  EXPECT_EQ(from_ascii_block<std::int32_t>(to_ascii_block(ints, "d"), "d"), ints);
  EXPECT_EQ(from_ascii_block<std::int32_t>(to_ascii_block(ints, "#x"), "x"), ints);
  EXPECT_EQ(from_ascii_block<std::int32_t>(to_ascii_block(ints, "#o"), "o"), ints);
}
