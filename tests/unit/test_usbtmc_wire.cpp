// USBTMC / USB488 framing (USBTMC/USB488): Bulk-OUT headers against the byte example of the
// digest, bTag rules, padding, REQUEST_DEV_DEP_MSG_IN with TermChar, every Bulk-IN header check,
// GET_CAPABILITIES bit positions, control responses and interrupt-IN notifications.
#include "protocols/usbtmc/usbtmc_wire.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "support/bytes.hpp"

using cppvisa::testing::byte_view;
using cppvisa::testing::from_hex;

namespace cppvisa::usbtmc {
namespace {

TEST(UsbtmcWire, DevDepMsgOutMatchesTheDigestExample) {
  // USBTMC/USB488: "*IDN?\n" with bTag 1.
  std::vector<std::byte> out;
  append_dev_dep_msg_out(out, 1, byte_view("*IDN?\n"), true);
  EXPECT_EQ(out, from_hex("01 01 fe 00  06 00 00 00  01 00 00 00  2a 49 44 4e 3f 0a 00 00"));
}

TEST(UsbtmcWire, RequestMatchesTheDigestExample) {
  auto r = request_dev_dep_msg_in(2, 1024, std::nullopt);
  EXPECT_EQ(std::vector<std::byte>(r.begin(), r.end()), from_hex("02 02 fd 00  00 04 00 00  00 00 00 00"));
}

TEST(UsbtmcWire, RequestWithTermChar) {
  auto r = request_dev_dep_msg_in(7, 0x12345678, std::byte{'\n'});
  EXPECT_EQ(std::vector<std::byte>(r.begin(), r.end()), from_hex("02 07 f8 00  78 56 34 12  02 0a 00 00"));
}

TEST(UsbtmcWire, NoEomAndPaddingForEveryLength) {
  for (std::size_t n = 0; n < 9; ++n) {
    std::string data(n, 'x');
    std::vector<std::byte> out;
    append_dev_dep_msg_out(out, 9, byte_view(data), false);
    EXPECT_EQ(out.size() % 4, 0u) << n;
    EXPECT_EQ(out.size(), header_size + n + padding(n));
    EXPECT_EQ(out[8], std::byte{0});
    EXPECT_EQ(load_le32(&out[4]), n);
    for (std::size_t i = header_size + n; i < out.size(); ++i) EXPECT_EQ(out[i], std::byte{0});
  }
  EXPECT_EQ(padding(0), 0u);
  EXPECT_EQ(padding(1), 3u);
  EXPECT_EQ(padding(4), 0u);
  EXPECT_EQ(padding(7), 1u);
}

TEST(UsbtmcWire, TriggerMessage) {
  auto t = trigger_message(0x10);
  EXPECT_EQ(std::vector<std::byte>(t.begin(), t.end()), from_hex("80 10 ef 00  00 00 00 00  00 00 00 00"));
}

TEST(UsbtmcWire, TagsRunFrom1To255AndSkip0) {
  TagCounter t;
  EXPECT_EQ(t.last(), 0);
  EXPECT_EQ(t.next(), 1);
  for (int i = 2; i <= 255; ++i) EXPECT_EQ(t.next(), i);
  EXPECT_EQ(t.next(), 1);  // 255 wraps to 1, never 0
}

TEST(UsbtmcWire, StatusByteTagsRunFrom2To127) {
  StbTagCounter t;
  EXPECT_EQ(t.next(), 2);
  for (int i = 3; i <= 127; ++i) EXPECT_EQ(t.next(), i);
  EXPECT_EQ(t.next(), 2);
}

std::vector<std::byte> in_header(std::uint8_t id, std::uint8_t tag, std::uint8_t inv, std::uint32_t size,
                                 std::uint8_t attrs) {
  std::vector<std::byte> h(12);
  h[0] = std::byte{id};
  h[1] = std::byte{tag};
  h[2] = std::byte{inv};
  store_le32(&h[4], size);
  h[8] = std::byte{attrs};
  return h;
}

TEST(UsbtmcWire, BulkInHeaderParsed) {
  auto h = in_header(2, 5, 0xFA, 100, 0x03);
  BulkInHeader out;
  ASSERT_EQ(parse_bulk_in_header(h, 5, 100, out), HeaderError::none);
  EXPECT_EQ(out.tag, 5);
  EXPECT_EQ(out.transfer_size, 100u);
  EXPECT_TRUE(out.eom);
  EXPECT_TRUE(out.termchar);
}

TEST(UsbtmcWire, BulkInHeaderChecks) {
  BulkInHeader out;
  out.transfer_size = 77;
  auto good = in_header(2, 5, 0xFA, 10, 1);
  // Truncated: every length below 12.
  for (std::size_t n = 0; n < 12; ++n)
    EXPECT_EQ(parse_bulk_in_header(std::span(good.data(), n), 5, 10, out), HeaderError::truncated) << n;
  EXPECT_EQ(parse_bulk_in_header(in_header(1, 5, 0xFA, 10, 1), 5, 10, out), HeaderError::wrong_msg_id);
  EXPECT_EQ(parse_bulk_in_header(in_header(2, 5, 0xFB, 10, 1), 5, 10, out), HeaderError::bad_tag_inverse);
  EXPECT_EQ(parse_bulk_in_header(in_header(2, 6, 0xF9, 10, 1), 5, 10, out), HeaderError::wrong_tag);
  EXPECT_EQ(parse_bulk_in_header(in_header(2, 5, 0xFA, 11, 1), 5, 10, out), HeaderError::oversize);
  EXPECT_EQ(parse_bulk_in_header(in_header(2, 5, 0xFA, 0xFFFFFFFF, 1), 5, 0xFFFFFFFE, out), HeaderError::oversize);
  EXPECT_EQ(out.transfer_size, 77u) << "a refused header leaves the output alone";
  // Relaxed checks for quirky devices.
  HeaderChecks relaxed;
  relaxed.check_tag = false;
  relaxed.check_msg_id = false;
  EXPECT_EQ(parse_bulk_in_header(in_header(1, 6, 0xF9, 10, 1), 5, 10, out, relaxed), HeaderError::none);
  // bTagInverse and TransferSize are checked whatever the quirks.
  EXPECT_EQ(parse_bulk_in_header(in_header(2, 6, 0x00, 10, 1), 5, 10, out, relaxed), HeaderError::bad_tag_inverse);
  EXPECT_EQ(parse_bulk_in_header(in_header(2, 5, 0xFA, 11, 1), 5, 10, out, relaxed), HeaderError::oversize);
  // Reserved byte only in strict mode; vendor-specific MsgID when asked for.
  auto reserved = in_header(2, 5, 0xFA, 1, 0);
  reserved[3] = std::byte{1};
  EXPECT_EQ(parse_bulk_in_header(reserved, 5, 10, out), HeaderError::none);
  HeaderChecks strict;
  strict.check_reserved = true;
  EXPECT_EQ(parse_bulk_in_header(reserved, 5, 10, out, strict), HeaderError::reserved_bits);
  HeaderChecks vendor;
  vendor.expected_msg_id = msg::vendor_specific_in;
  EXPECT_EQ(parse_bulk_in_header(in_header(127, 5, 0xFA, 1, 0), 5, 10, out, vendor), HeaderError::none);
  EXPECT_FALSE(to_string(HeaderError::wrong_tag).empty());
}

TEST(UsbtmcWire, CapabilitiesBitPositions) {
  // USB488 bits live in bytes 14/15 (Linux driver, pyvisa-py), not in byte 4 (python-usbtmc).
  auto c = from_hex("01 00 00 01  05 01 00 00  00 00 00 00  00 01 07 0f  00 00 00 00 00 00 00 00");
  Capabilities caps;
  ASSERT_EQ(parse_capabilities(c, caps), status::SUCCESS);
  EXPECT_EQ(caps.bcd_usbtmc, 0x0100);
  EXPECT_TRUE(caps.indicator_pulse);
  EXPECT_FALSE(caps.talk_only);
  EXPECT_TRUE(caps.listen_only);
  EXPECT_TRUE(caps.termchar);
  EXPECT_TRUE(caps.has_usb488);
  EXPECT_EQ(caps.bcd_usb488, 0x0100);
  EXPECT_TRUE(caps.usb4882 && caps.ren_control && caps.trigger);
  EXPECT_TRUE(caps.scpi && caps.sr1 && caps.rl1 && caps.dt1);

  auto only_trigger = from_hex("01 00 00 01  00 00 00 00  00 00 00 00  00 01 01 08");
  ASSERT_EQ(parse_capabilities(only_trigger, caps), status::SUCCESS);
  EXPECT_TRUE(caps.trigger);
  EXPECT_FALSE(caps.ren_control || caps.usb4882 || caps.sr1 || caps.rl1 || caps.dt1 || caps.termchar);
  EXPECT_TRUE(caps.scpi);
}

TEST(UsbtmcWire, CapabilitiesRefused) {
  Capabilities caps;
  caps.trigger = true;
  EXPECT_EQ(parse_capabilities(from_hex("80 00 00 01 07 01"), caps), status::ERROR_IO) << "status FAILED";
  EXPECT_EQ(parse_capabilities(from_hex("01 00 00 01 07"), caps), status::ERROR_IO) << "5 bytes";
  EXPECT_EQ(parse_capabilities({}, caps), status::ERROR_IO);
  EXPECT_TRUE(caps.trigger) << "left alone on error";
  // A plain USBTMC device answering only the first bytes has no USB488 part.
  ASSERT_EQ(parse_capabilities(from_hex("01 00 00 01 04 00 00 00"), caps), status::SUCCESS);
  EXPECT_FALSE(caps.has_usb488);
  EXPECT_FALSE(caps.trigger);
  EXPECT_TRUE(caps.indicator_pulse);
}

TEST(UsbtmcWire, ControlResponses) {
  InitiateResponse i;
  EXPECT_FALSE(parse_initiate(from_hex("01"), i));
  ASSERT_TRUE(parse_initiate(from_hex("01 07"), i));
  EXPECT_EQ(i.status, ctrl_status::success);
  EXPECT_EQ(i.tag, 7);

  CheckAbortResponse a;
  EXPECT_FALSE(parse_check_abort(from_hex("02 01 00 00 10 00 00"), a));
  ASSERT_TRUE(parse_check_abort(from_hex("02 01 00 00 10 00 00 00"), a));
  EXPECT_EQ(a.status, ctrl_status::pending);
  EXPECT_TRUE(a.more_data);
  EXPECT_EQ(a.nbytes, 16u);

  CheckClearResponse c;
  EXPECT_FALSE(parse_check_clear(from_hex("02"), c));
  ASSERT_TRUE(parse_check_clear(from_hex("02 01"), c));
  EXPECT_TRUE(c.more_data);

  StatusByteResponse s;
  EXPECT_FALSE(parse_status_byte(from_hex("01 02"), s));
  ASSERT_TRUE(parse_status_byte(from_hex("01 02 50"), s));
  EXPECT_EQ(s.tag, 2);
  EXPECT_EQ(s.stb, 0x50);
}

TEST(UsbtmcWire, InterruptNotifications) {
  Notification n;
  EXPECT_FALSE(parse_notification(from_hex("81"), n));
  ASSERT_TRUE(parse_notification(from_hex("81 50"), n));
  EXPECT_EQ(n.kind, Notification::srq);
  EXPECT_EQ(n.stb, 0x50);
  ASSERT_TRUE(parse_notification(from_hex("85 10"), n));
  EXPECT_EQ(n.kind, Notification::status_byte);
  EXPECT_EQ(n.tag, 5);
  EXPECT_EQ(n.stb, 0x10);
  ASSERT_TRUE(parse_notification(from_hex("80 00"), n));
  EXPECT_EQ(n.kind, Notification::other) << "bTag 0 is no READ_STATUS_BYTE tag";
  ASSERT_TRUE(parse_notification(from_hex("01 00"), n));
  EXPECT_EQ(n.kind, Notification::other) << "bit 7 clear: vendor specific";
}

TEST(UsbtmcWire, ClassRequestCodes) {
  // USBTMC 1.0 Table 15, USB488 Table 9.
  EXPECT_EQ(request::initiate_abort_bulk_out, 1);
  EXPECT_EQ(request::check_abort_bulk_in_status, 4);
  EXPECT_EQ(request::get_capabilities, 7);
  EXPECT_EQ(request::indicator_pulse, 64);
  EXPECT_EQ(request::read_status_byte, 128);
  EXPECT_EQ(request::ren_control, 160);
  EXPECT_EQ(request::local_lockout, 162);
  EXPECT_EQ(request_type_in_interface, 0xA1);
  EXPECT_EQ(request_type_in_endpoint, 0xA2);
}

}  // namespace
}  // namespace cppvisa::usbtmc
