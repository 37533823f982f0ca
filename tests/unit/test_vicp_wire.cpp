// VICP headers (tests/fuzz/fuzz_vicp.cpp fuzzes the decoder).
#include "protocols/vicp/vicp_wire.hpp"

#include <gtest/gtest.h>

namespace cppvisa::vicp {
namespace {

TEST(VicpWire, HeaderRoundTrip) {
  Header h;
  h.operation = op::data | op::eoi | op::remote;
  h.sequence = 7;
  h.length = 0x01020304;
  auto b = h.encode();
  EXPECT_EQ(b[0], std::byte{0xC1});
  EXPECT_EQ(b[1], std::byte{1});
  EXPECT_EQ(b[2], std::byte{7});
  EXPECT_EQ(b[3], std::byte{0});
  EXPECT_EQ(b[4], std::byte{1});  // big-endian length
  EXPECT_EQ(b[7], std::byte{4});
  auto d = decode_header(b, true);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->operation, h.operation);
  EXPECT_EQ(d->sequence, 7);
  EXPECT_EQ(d->length, 0x01020304u);
  EXPECT_TRUE(d->has(op::eoi));
  EXPECT_FALSE(d->has(op::srq));
}

TEST(VicpWire, RejectsWhatIsNotAHeader) {
  std::string why;
  std::array<std::byte, header_size> b{std::byte{0x81}, std::byte{2}};
  EXPECT_FALSE(decode_header(b, true, &why));
  EXPECT_NE(why.find("version"), std::string::npos);
  b = {std::byte{0x01}, std::byte{1}};
  EXPECT_FALSE(decode_header(b, true, &why));  // instruments always set DATA
  EXPECT_TRUE(decode_header(b, false));        // hosts send mode changes without it
  b = {std::byte{0x80}, std::byte{1}, std::byte{0}, std::byte{9}};
  EXPECT_FALSE(decode_header(b, false, &why));
}

TEST(VicpWire, SequenceNumbersSkipZero) {
  EXPECT_EQ(next_sequence(1), 2);
  EXPECT_EQ(next_sequence(254), 255);
  EXPECT_EQ(next_sequence(255), 1);
  EXPECT_EQ(next_sequence(0), 1);
}

}  // namespace
}  // namespace cppvisa::vicp
