// XDR encoder/decoder (RFC 4506): wire form, padding, strict bounds.
#include "protocols/oncrpc/xdr.hpp"

#include <gtest/gtest.h>

namespace cppvisa::oncrpc {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

TEST(Xdr, IntegersAreBigEndianWords) {
  XdrWriter w;
  w.put_u32(0x01020304);
  w.put_i32(-2);
  w.put_bool(true);
  EXPECT_EQ(w.bytes(), bytes({1, 2, 3, 4, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, 1}));
  XdrReader r(w.bytes());
  EXPECT_EQ(r.get_u32(), 0x01020304u);
  EXPECT_EQ(r.get_i32(), -2);
  EXPECT_TRUE(r.get_bool());
  EXPECT_TRUE(r.done());
}

TEST(Xdr, OpaqueIsLengthBytesAndPadding) {
  XdrWriter w;
  w.put_string("inst0");
  EXPECT_EQ(w.bytes(), bytes({0, 0, 0, 5, 'i', 'n', 's', 't', '0', 0, 0, 0}));
  XdrReader r(w.bytes());
  EXPECT_EQ(r.get_string(100), "inst0");
  EXPECT_TRUE(r.done());
  XdrWriter aligned;
  aligned.put_opaque(as_bytes("abcd"));
  EXPECT_EQ(aligned.size(), 8u);  // no padding when already aligned
  XdrWriter empty;
  empty.put_opaque({});
  EXPECT_EQ(empty.bytes(), bytes({0, 0, 0, 0}));
  XdrWriter fixed;
  fixed.put_fixed(as_bytes("ab"));
  EXPECT_EQ(fixed.bytes(), bytes({'a', 'b', 0, 0}));
}

TEST(Xdr, ShortInputFailsAndStaysFailed) {
  auto in = bytes({0, 0, 1});
  XdrReader r(in);
  EXPECT_EQ(r.get_u32(), 0u);
  EXPECT_FALSE(r.ok());
  auto more = bytes({0, 0, 0, 7});
  XdrReader r2(more);
  r2.fail();
  EXPECT_EQ(r2.get_u32(), 0u);  // a failed reader returns zeros
  EXPECT_EQ(r2.remaining(), 0u);
}

TEST(Xdr, OpaqueBoundsAreChecked) {
  // Claimed length beyond the input, beyond the maximum, huge, and missing padding.
  for (auto in : {bytes({0, 0, 0, 8, 'a', 'b'}), bytes({0xFF, 0xFF, 0xFF, 0xFF, 'a', 'b', 'c', 'd'}),
                  bytes({0, 0, 0, 3, 'a', 'b', 'c'})}) {
    XdrReader r(in);
    r.get_opaque(1 << 20);
    EXPECT_FALSE(r.ok());
  }
  auto in = bytes({0, 0, 0, 4, 'a', 'b', 'c', 'd'});
  XdrReader r(in);
  r.get_opaque(3);
  EXPECT_FALSE(r.ok());
  XdrReader ok(in);
  auto view = ok.get_opaque(4);
  EXPECT_TRUE(ok.done());
  EXPECT_EQ(view.size(), 4u);
  EXPECT_EQ(view.data(), in.data() + 4);  // a view into the input, no copy
}

TEST(Xdr, BoolIsStrict) {
  auto in = bytes({0, 0, 0, 2});
  XdrReader r(in);
  r.get_bool();
  EXPECT_FALSE(r.ok());
}

TEST(Xdr, WriterAppendsToACallerVector) {
  std::vector<std::byte> out = bytes({9});
  XdrWriter w(out);
  w.put_u32(1);
  EXPECT_EQ(out, bytes({9, 0, 0, 0, 1}));
}

}  // namespace
}  // namespace cppvisa::oncrpc
