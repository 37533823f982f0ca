// VXI-11 structures against the example bytes of the VXI-11 specification, and the error mappings.
#include "protocols/oncrpc/rpc_message.hpp"
#include "protocols/vxi11/vxi11_wire.hpp"

#include <gtest/gtest.h>

namespace cppvisa::vxi11 {
namespace {

using oncrpc::XdrReader;
using oncrpc::XdrWriter;

std::vector<std::byte> words(std::initializer_list<std::uint32_t> values) {
  std::vector<std::byte> out;
  XdrWriter w(out);
  for (auto v : values) w.put_u32(v);
  return out;
}

std::vector<std::byte> call_bytes(std::uint32_t xid, std::uint32_t procedure, auto&& args) {
  std::vector<std::byte> out;
  XdrWriter w(out);
  oncrpc::encode_call(w, oncrpc::CallHeader{xid, core_program, program_version, procedure});
  encode(w, args);
  return oncrpc::frame_record(out);
}

TEST(Vxi11Wire, CreateLinkCallMatchesTheExample) {
  CreateLinkParms p{0x12345678, false, 10000, "inst0"};
  auto expected = words({0x80000040, 1, 0, 2, 0x0607af, 1, 10, 0, 0, 0, 0, 0x12345678, 0, 0x2710, 5, 0x696e7374,
                         0x30000000});
  EXPECT_EQ(call_bytes(1, proc::create_link, p), expected);
}

TEST(Vxi11Wire, CreateLinkReplyDecodes) {
  auto reply = words({1, 1, 0, 0, 0, 0, 0, 0, 0x3ff, 0x100000});
  XdrReader r(reply);
  oncrpc::ReplyHeader h;
  ASSERT_TRUE(oncrpc::decode_reply(r, h));
  CreateLinkResp resp;
  ASSERT_TRUE(decode(r, resp));
  EXPECT_EQ(resp.error, 0);
  EXPECT_EQ(resp.lid, 0);
  EXPECT_EQ(resp.abort_port, 1023u);
  EXPECT_EQ(resp.max_recv_size, 0x100000u);
}

TEST(Vxi11Wire, DeviceWriteAndReadCallsMatchTheExample) {
  std::string idn = "*IDN?\n";
  DeviceWriteParms w{0, 2000, 10000, flag::end, oncrpc::as_bytes(idn)};
  EXPECT_EQ(call_bytes(2, proc::device_write, w),
            words({0x80000044, 2, 0, 2, 0x0607af, 1, 11, 0, 0, 0, 0, 0, 2000, 10000, 8, 6, 0x2a49444e, 0x3f0a0000}));
  DeviceReadParms r{0, 1024, 2000, 10000, flag::termchrset, '\n'};
  EXPECT_EQ(call_bytes(3, proc::device_read, r),
            words({0x80000040, 3, 0, 2, 0x0607af, 1, 12, 0, 0, 0, 0, 0, 1024, 2000, 10000, 0x80, 10}));
}

TEST(Vxi11Wire, ArgumentDecodersAreStrict) {
  auto generic = words({5, 0, 1000, 2000});
  XdrReader ok(generic);
  DeviceGenericParms g;
  ASSERT_TRUE(decode(ok, g));
  EXPECT_EQ(g.lid, 5);
  EXPECT_EQ(g.lock_timeout, 1000u);  // lock before io in Device_GenericParms
  EXPECT_EQ(g.io_timeout, 2000u);
  auto trailing = words({5, 0, 1000, 2000, 0});
  XdrReader bad(trailing);
  EXPECT_FALSE(decode(bad, g));
  auto long_handle = words({1, 1, 41});
  long_handle.resize(long_handle.size() + 44);
  XdrReader srq(long_handle);
  DeviceEnableSrqParms e;
  EXPECT_FALSE(decode(srq, e));  // handle<40>
  auto write_big = words({1, 0, 0, 8, 100});
  write_big.resize(write_big.size() + 100);
  XdrReader wr(write_big);
  DeviceWriteParms w;
  EXPECT_FALSE(decode(wr, w, 99));
}

TEST(Vxi11Wire, ResultDecodersTolerateTrailingBytes) {
  auto reply = words({0, 4, 3, 0x61626300, 0xdeadbeef});
  XdrReader r(reply);
  DeviceReadResp resp;
  ASSERT_TRUE(decode(r, resp, 100));
  EXPECT_EQ(resp.reason, reason::end);
  EXPECT_EQ(resp.data.size(), 3u);
  auto too_much = words({0, 4, 8, 0, 0});
  XdrReader r2(too_much);
  EXPECT_FALSE(decode(r2, resp, 4));  // more data than requested
}

TEST(Vxi11Wire, ErrorMapping) {
  EXPECT_EQ(error_to_status(0), status::SUCCESS);
  EXPECT_EQ(error_to_status(4), status::ERROR_CONN_LOST);
  EXPECT_EQ(error_to_status(5), status::ERROR_INV_PARAMETER);
  EXPECT_EQ(error_to_status(8), status::ERROR_NSUP_OPER);
  EXPECT_EQ(error_to_status(9), status::ERROR_ALLOC);
  EXPECT_EQ(error_to_status(11), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(error_to_status(12), status::ERROR_SESN_NLOCKED);
  EXPECT_EQ(error_to_status(15), status::ERROR_TMO);
  EXPECT_EQ(error_to_status(17), status::ERROR_IO);
  EXPECT_EQ(error_to_status(23), status::ERROR_ABORT);
  EXPECT_EQ(error_to_status(29), status::ERROR_INV_SETUP);
  EXPECT_EQ(error_to_status(12345), status::ERROR_IO);  // unknown codes never escape unmapped
  EXPECT_EQ(create_link_error_to_status(3), status::ERROR_RSRC_NFOUND);
  EXPECT_EQ(create_link_error_to_status(21), status::ERROR_RSRC_NFOUND);
  EXPECT_EQ(create_link_error_to_status(9), status::ERROR_RSRC_BUSY);
  EXPECT_EQ(create_link_error_to_status(11), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(status_to_error(status::SUCCESS_TERM_CHAR), 0);
  EXPECT_EQ(status_to_error(status::ERROR_TMO), err::io_timeout);
  EXPECT_EQ(status_to_error(status::ERROR_ABORT), err::abort);
  EXPECT_EQ(status_to_error(status::ERROR_NSUP_OPER), err::not_supported);
  EXPECT_EQ(status_to_error(status::ERROR_SYSTEM_ERROR), err::io_error);
}

TEST(Vxi11Wire, DeviceStatusesSurviveTheWire) {
  // A served device's status -> VXI-11 error (server) -> VISA status (client): unchanged wherever
  // VXI-11 has a code for it.
  for (status_t st : {status::ERROR_TMO, status::ERROR_ABORT, status::ERROR_NSUP_OPER, status::ERROR_RSRC_LOCKED,
                      status::ERROR_SESN_NLOCKED, status::ERROR_INV_PARAMETER, status::ERROR_ALLOC, status::ERROR_IO,
                      status::ERROR_CONN_LOST})
    EXPECT_EQ(error_to_status(status_to_error(st)), st) << status_name(st);
  EXPECT_EQ(status_to_error(status::ERROR_NSUP_OPER), 8);
  EXPECT_EQ(status_to_error(status::ERROR_SESN_NLOCKED), 12);
  EXPECT_EQ(status_to_error(status::ERROR_RSRC_NFOUND), err::not_accessible);
  EXPECT_EQ(status_to_error(status::SUCCESS_MAX_CNT), 0);
  // And every code a server sends means the same after a round trip through our server.
  for (std::int32_t e : {0, 3, 5, 8, 9, 11, 12, 15, 17, 23})
    EXPECT_EQ(status_to_error(error_to_status(e)), e) << e;
}

}  // namespace
}  // namespace cppvisa::vxi11
