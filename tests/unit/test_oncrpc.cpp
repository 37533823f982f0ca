// ONC RPC: record marking, call/reply messages, the server's rejects, the client's xid matching,
// and the portmapper (TCP and the UDP GETPORT that discovery sends).
#include "protocols/net/socket.hpp"
#include "protocols/oncrpc/portmapper.hpp"
#include "protocols/oncrpc/record_stream.hpp"
#include "protocols/oncrpc/rpc_client.hpp"
#include "protocols/oncrpc/rpc_message.hpp"
#include "protocols/oncrpc/rpc_server.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

namespace cppvisa::oncrpc {
namespace {

std::vector<std::byte> bytes(std::initializer_list<unsigned> values) {
  std::vector<std::byte> out;
  for (unsigned v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

std::vector<std::byte> words(std::initializer_list<std::uint32_t> values) {
  std::vector<std::byte> out;
  XdrWriter w(out);
  for (auto v : values) w.put_u32(v);
  return out;
}

TEST(RecordReader, SingleAndMultipleFragments) {
  RecordReader r(100);
  auto one = bytes({0x80, 0, 0, 3, 'a', 'b', 'c'});
  EXPECT_EQ(r.feed(one), one.size());
  ASSERT_TRUE(r.has_record());
  EXPECT_EQ(r.take_record(), bytes({'a', 'b', 'c'}));
  auto two = bytes({0, 0, 0, 2, 'a', 'b', 0x80, 0, 0, 1, 'c', 0x80, 0, 0, 1, 'z'});
  std::size_t used = r.feed(two);
  EXPECT_EQ(used, 11u);  // stops at the end of the first record
  ASSERT_TRUE(r.has_record());
  EXPECT_EQ(r.take_record(), bytes({'a', 'b', 'c'}));
  EXPECT_EQ(r.feed(std::span(two).subspan(used)), 5u);
  EXPECT_EQ(r.take_record(), bytes({'z'}));
}

TEST(RecordReader, ByteByByte) {
  RecordReader r(100);
  auto data = frame_record(bytes({1, 2, 3, 4, 5}));
  for (std::size_t i = 0; i < data.size(); ++i) {
    EXPECT_FALSE(r.has_record());
    EXPECT_EQ(r.feed(std::span(data).subspan(i, 1)), 1u);
  }
  ASSERT_TRUE(r.has_record());
  EXPECT_EQ(r.take_record(), bytes({1, 2, 3, 4, 5}));
}

TEST(RecordReader, OversizeFragmentOrRecordFails) {
  RecordReader r(8);
  r.feed(bytes({0x80, 0, 0, 9}));
  EXPECT_TRUE(r.failed());
  RecordReader r2(8);
  r2.feed(bytes({0, 0, 0, 5, 1, 2, 3, 4, 5, 0x80, 0, 0, 4}));  // 5 + 4 > 8
  EXPECT_TRUE(r2.failed());
  RecordReader r3(1 << 20);
  r3.feed(bytes({0xFF, 0xFF, 0xFF, 0xFF}));  // 2 GiB claimed: refused before any allocation
  EXPECT_TRUE(r3.failed());
}

TEST(RecordReader, DirectSpaceTakesFragmentBodiesInPlace) {
  RecordReader r(1 << 20);
  EXPECT_EQ(r.body_pending(), 0u);
  EXPECT_TRUE(r.direct_space(100).empty());  // no fragment yet: nothing to receive into
  r.feed(bytes({0, 0, 0, 6}));               // a first fragment of 6 bytes
  EXPECT_EQ(r.body_pending(), 6u);
  auto space = r.direct_space(4);
  ASSERT_EQ(space.size(), 4u);
  space[0] = std::byte{'a'};
  space[1] = std::byte{'b'};
  r.commit_direct(2);  // two of the four arrived; the other two are given back
  EXPECT_EQ(r.body_pending(), 4u);
  space = r.direct_space(100);  // never past the fragment
  ASSERT_EQ(space.size(), 4u);
  for (char c : {'c', 'd', 'e', 'f'}) space[static_cast<std::size_t>(c - 'c')] = std::byte(c);
  r.commit_direct(4);
  EXPECT_EQ(r.body_pending(), 0u);
  EXPECT_FALSE(r.has_record());
  EXPECT_EQ(r.feed(bytes({0x80, 0, 0, 1})), 4u);  // the last fragment: 1 byte
  space = r.direct_space(100);
  ASSERT_EQ(space.size(), 1u);
  space[0] = std::byte{'g'};
  r.commit_direct(1);
  ASSERT_TRUE(r.has_record());
  EXPECT_EQ(r.take_record(), bytes({'a', 'b', 'c', 'd', 'e', 'f', 'g'}));
  EXPECT_FALSE(r.in_progress());
}

TEST(RecordStream, RecordsOfAnySizeArriveWholeWhateverTheSocketHandsOver) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  RecordStream stream(net::Socket(fds[0]), 8 << 20);
  net::Socket peer(fds[1]);
  // Three fragments (big, small, big) then a small record, written in odd-sized pieces so that
  // headers and bodies straddle receives; the bodies go straight into the record.
  std::vector<std::byte> big(3'000'001), tail{std::byte{1}, std::byte{2}};
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::byte>(i * 7 + i / 251);
  std::vector<std::byte> wire;
  auto fragment = [&](std::span<const std::byte> body, bool last) {
    std::uint32_t word = static_cast<std::uint32_t>(body.size()) | (last ? last_fragment_bit : 0u);
    for (int shift : {24, 16, 8, 0}) wire.push_back(std::byte(word >> shift));
    wire.insert(wire.end(), body.begin(), body.end());
  };
  std::span<const std::byte> all(big);
  fragment(all.first(1'000'000), false);
  fragment(all.subspan(1'000'000, 1), false);
  fragment(all.subspan(1'000'001), true);
  fragment(tail, true);
  std::thread writer([&] {
    std::size_t at = 0, piece = 1;
    while (at < wire.size()) {
      std::size_t n = std::min(piece, wire.size() - at);
      ASSERT_EQ(peer.send_all(std::span(wire).subspan(at, n), core::Deadline::after_ms(10000)), status::SUCCESS);
      at += n;
      piece = piece * 3 + 1;  // 1, 4, 13, ... then large
      if (piece > 700'000) piece = 3;
    }
  });
  std::vector<std::byte> record;
  ASSERT_EQ(stream.receive(record, core::Deadline::after_ms(10000)), status::SUCCESS);
  EXPECT_TRUE(record == big);
  ASSERT_EQ(stream.receive(record, core::Deadline::after_ms(10000)), status::SUCCESS);
  EXPECT_EQ(record, tail);
  writer.join();
}

TEST(RecordReader, StopAndDivertTakeARecordInSteps) {
  RecordReader r(64);
  // One record in two fragments: "head" | "DATA" + "DA" | "TA" + "tail".
  std::vector<std::byte> wire = bytes({0, 0, 0, 10, 'h', 'e', 'a', 'd', 'D', 'A', 'T', 'A', 'D', 'A',
                                       0x80, 0, 0, 6, 'T', 'A', 't', 'a', 'i', 'l'});
  r.stop_at(4);
  std::size_t used = r.feed(wire);
  EXPECT_EQ(used, 8u);  // the header and the four bytes of the head
  EXPECT_TRUE(r.at_stop());
  EXPECT_EQ(std::vector<std::byte>(r.partial().begin(), r.partial().end()), bytes({'h', 'e', 'a', 'd'}));
  std::vector<std::byte> dest(8);
  r.divert(dest);
  r.stop_at(0);
  used += r.feed(std::span(wire).subspan(used, 8));  // the data, then half the next fragment header
  EXPECT_EQ(r.diverted(), 6u);
  used += r.feed(std::span(wire).subspan(used));
  EXPECT_EQ(used, wire.size());
  EXPECT_EQ(r.diverted(), 8u);
  r.end_divert();
  ASSERT_TRUE(r.has_record());
  EXPECT_EQ(dest, bytes({'D', 'A', 'T', 'A', 'D', 'A', 'T', 'A'}));
  EXPECT_EQ(r.take_record(), bytes({'h', 'e', 'a', 'd', 't', 'a', 'i', 'l'}));
  // Diverted bytes count against the maximum all the same.
  RecordReader small(8);
  small.divert(dest);
  small.feed(bytes({0, 0, 0, 6, 1, 2, 3, 4, 5, 6}));
  small.feed(bytes({0x80, 0, 0, 4}));
  EXPECT_TRUE(small.failed());
}

// A scripted peer for RpcClient: answers each call it reads with the bytes a test gives (framed
// by the test: fragments as it likes), in pieces of odd sizes.
class ScriptedPeer {
 public:
  ScriptedPeer() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    client.adopt(net::Socket(fds[0]));
    peer = std::make_unique<RecordStream>(net::Socket(fds[1]), 1 << 20);
  }
  /// Reads the next call and returns its xid.
  std::uint32_t next_call() {
    std::vector<std::byte> call;
    EXPECT_EQ(peer->receive(call, core::Deadline::after_ms(5000)), status::SUCCESS);
    XdrReader r(call);
    return r.get_u32();
  }
  void send(std::span<const std::byte> wire) {
    std::size_t at = 0, piece = 1;
    while (at < wire.size()) {
      std::size_t n = std::min(piece, wire.size() - at);
      ASSERT_EQ(peer->send_framed(wire.subspan(at, n), core::Deadline::after_ms(5000)), status::SUCCESS);
      at += n;
      piece = piece * 5 + 2;
      if (piece > 300'000) piece = 7;
    }
  }
  RpcClient client{1 << 20};
  std::unique_ptr<RecordStream> peer;
};

// An accepted SUCCESS reply with a verifier of `verifier` bytes, results `error`, `reason` and an
// opaque claiming `claimed` bytes of which `data` are present, then `trailing` bytes; framed as
// fragments cut at `cuts` (offsets into the message).
std::vector<std::byte> read_reply(std::uint32_t xid, std::size_t verifier, std::uint32_t claimed,
                                  std::span<const std::byte> data, std::size_t trailing,
                                  std::vector<std::size_t> cuts = {}) {
  std::vector<std::byte> m;
  XdrWriter w(m);
  w.put_u32(xid);
  w.put_u32(msg_reply);
  w.put_u32(0);  // MSG_ACCEPTED
  w.put_u32(0);  // verifier: AUTH_NONE flavor, with a body all the same
  w.put_opaque(std::vector<std::byte>(verifier, std::byte{0x55}));
  w.put_u32(0);  // SUCCESS
  w.put_u32(0);  // error
  w.put_u32(4);  // reason: END
  w.put_u32(claimed);
  m.insert(m.end(), data.begin(), data.end());
  m.insert(m.end(), (4 - (data.size() & 3)) & 3, std::byte{0});
  m.insert(m.end(), trailing, std::byte{0x77});
  std::vector<std::byte> wire;
  std::size_t from = 0;
  cuts.push_back(m.size());
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    std::uint32_t word = static_cast<std::uint32_t>(cuts[i] - from) | (i + 1 == cuts.size() ? last_fragment_bit : 0u);
    for (int shift : {24, 16, 8, 0}) wire.push_back(std::byte(word >> shift));
    wire.insert(wire.end(), m.begin() + static_cast<std::ptrdiff_t>(from), m.begin() + static_cast<std::ptrdiff_t>(cuts[i]));
    from = cuts[i];
  }
  return wire;
}

TEST(RpcClient, ReplyDataGoStraightIntoTheCallersBuffer) {
  ScriptedPeer p;
  std::vector<std::byte> data(700'001);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i * 13 + i / 509);
  std::vector<std::byte> dest(1'000'000, std::byte{0xEE});
  XdrReader results;
  std::optional<std::size_t> in_dest;

  // A stale reply first (skipped, its data never reach dest), then the reply in three fragments
  // cut inside the head and inside the data, with a verifier body and trailing bytes.
  std::thread peer([&] {
    std::uint32_t xid = p.next_call();
    p.send(read_reply(xid - 1, 0, 3, bytes({9, 9, 9}), 0));
    p.send(read_reply(xid, 8, static_cast<std::uint32_t>(data.size()), data, 8, {10, 50'000, 400'003}));
  });
  p.client.begin_call(0x0607AF, 1, 12);
  ASSERT_EQ(p.client.finish_call_into(core::Deadline::after_ms(5000), 2, dest, results, in_dest), status::SUCCESS);
  peer.join();
  ASSERT_TRUE(in_dest);
  EXPECT_EQ(*in_dest, data.size());
  EXPECT_TRUE(std::equal(data.begin(), data.end(), dest.begin()));
  EXPECT_EQ(dest[data.size()], std::byte{0xEE});  // nothing past the data
  EXPECT_EQ(results.get_u32(), 0u);
  EXPECT_EQ(results.get_u32(), 4u);
  EXPECT_TRUE(results.done());

  // A reply whose opaque claims more than its record holds: ERROR_IO, and the stream stays in step.
  peer = std::thread([&] {
    std::uint32_t xid = p.next_call();
    p.send(read_reply(xid, 0, 5000, std::vector<std::byte>(100, std::byte{1}), 0));
    xid = p.next_call();
    p.send(read_reply(xid, 0, 2, bytes({'o', 'k'}), 0));
  });
  p.client.begin_call(0x0607AF, 1, 12);
  EXPECT_EQ(p.client.finish_call_into(core::Deadline::after_ms(5000), 2, dest, results, in_dest), status::ERROR_IO);
  p.client.begin_call(0x0607AF, 1, 12);
  ASSERT_EQ(p.client.finish_call_into(core::Deadline::after_ms(5000), 2, dest, results, in_dest), status::SUCCESS);
  peer.join();
  ASSERT_TRUE(in_dest);
  EXPECT_EQ(*in_dest, 2u);
  EXPECT_EQ(dest[0], std::byte{'o'});

  // An opaque longer than dest: the reply is taken whole, results read all of it (the caller decides).
  peer = std::thread([&] {
    std::uint32_t xid = p.next_call();
    p.send(read_reply(xid, 0, 5, bytes({1, 2, 3, 4, 5}), 0));
  });
  p.client.begin_call(0x0607AF, 1, 12);
  ASSERT_EQ(p.client.finish_call_into(core::Deadline::after_ms(5000), 2, std::span(dest).first(4), results, in_dest),
            status::SUCCESS);
  peer.join();
  EXPECT_FALSE(in_dest);
  EXPECT_EQ(results.get_u32(), 0u);
  EXPECT_EQ(results.get_u32(), 4u);
  EXPECT_EQ(results.get_opaque(5).size(), 5u);
}

TEST(RpcClient, ATimeoutInsideTheDataLeavesTheCallersBufferAlone) {
  ScriptedPeer p;
  std::vector<std::byte> data(200'000, std::byte{0x42});
  std::vector<std::byte> first(data.size(), std::byte{0}), second(16, std::byte{0});
  XdrReader results;
  std::optional<std::size_t> in_dest;
  std::uint32_t xid = 0;
  std::thread peer([&] { xid = p.next_call(); });
  p.client.begin_call(0x0607AF, 1, 12);
  ASSERT_EQ(p.client.send_oneway(core::Deadline::after_ms(5000)), status::SUCCESS);
  peer.join();
  auto wire = read_reply(xid, 0, static_cast<std::uint32_t>(data.size()), data, 0);
  // Half the reply, then nothing: the call times out within the record's data.
  p.send(std::span(wire).first(wire.size() / 2));
  EXPECT_EQ(p.client.await_reply_into(core::Deadline::after_ms(200), 2, first, results, in_dest), status::ERROR_TMO);
  std::fill(first.begin(), first.end(), std::byte{0});
  // The next call: the rest of the stale reply arrives first and goes nowhere near `first`.
  peer = std::thread([&] {
    std::uint32_t next = p.next_call();
    p.send(std::span(wire).subspan(wire.size() / 2));
    p.send(read_reply(next, 0, 3, bytes({'n', 'e', 'w'}), 0));
  });
  p.client.begin_call(0x0607AF, 1, 12);
  ASSERT_EQ(p.client.finish_call_into(core::Deadline::after_ms(5000), 2, second, results, in_dest), status::SUCCESS);
  peer.join();
  ASSERT_TRUE(in_dest);
  EXPECT_EQ(*in_dest, 3u);
  EXPECT_EQ(second[2], std::byte{'w'});
  EXPECT_TRUE(std::all_of(first.begin(), first.end(), [](std::byte b) { return b == std::byte{0}; }));
}

TEST(RpcMessage, CallRoundTrip) {
  std::vector<std::byte> out;
  XdrWriter w(out);
  encode_call(w, CallHeader{7, 100000, 2, 3});
  EXPECT_EQ(out, words({7, 0, 2, 100000, 2, 3, 0, 0, 0, 0}));
  XdrReader r(out);
  CallHeader h;
  EXPECT_EQ(decode_call(r, h), CallDecode::ok);
  EXPECT_EQ(h.xid, 7u);
  EXPECT_EQ(h.proc, 3u);
  EXPECT_TRUE(r.done());
}

TEST(RpcMessage, CallDecodeErrors) {
  auto reply = words({7, 1, 0});
  XdrReader r1(reply);
  CallHeader h;
  EXPECT_EQ(decode_call(r1, h), CallDecode::not_a_call);
  auto v3 = words({7, 0, 3, 1, 1, 1, 0, 0, 0, 0});
  XdrReader r2(v3);
  EXPECT_EQ(decode_call(r2, h), CallDecode::rpc_mismatch);
  auto bad_auth = words({7, 0, 2, 1, 1, 1, 0, 500});  // body longer than 400
  XdrReader r3(bad_auth);
  EXPECT_EQ(decode_call(r3, h), CallDecode::malformed);
  auto unix_auth = words({7, 0, 2, 1, 1, 1, 1, 8, 0, 0, 0, 0});  // AUTH_UNIX-like body is skipped
  XdrReader r4(unix_auth);
  EXPECT_EQ(decode_call(r4, h), CallDecode::ok);
}

TEST(RpcMessage, Replies) {
  std::vector<std::byte> out;
  XdrWriter w(out);
  encode_accepted_reply(w, 9, AcceptStat::prog_mismatch, 1, 1);
  EXPECT_EQ(out, words({9, 1, 0, 0, 0, 2, 1, 1}));
  XdrReader r(out);
  ReplyHeader h;
  ASSERT_TRUE(decode_reply(r, h));
  EXPECT_TRUE(h.accepted);
  EXPECT_EQ(h.accept, AcceptStat::prog_mismatch);
  EXPECT_EQ(reply_error_status(h), status::ERROR_NSUP_OPER);
  out.clear();
  encode_rpc_mismatch_reply(w, 9);
  EXPECT_EQ(out, words({9, 1, 1, 0, 2, 2}));
  XdrReader r2(out);
  ASSERT_TRUE(decode_reply(r2, h));
  EXPECT_FALSE(h.accepted);
  EXPECT_EQ(reply_error_status(h), status::ERROR_IO);
  auto garbage = words({9, 1, 0, 0, 0, 99});
  XdrReader r3(garbage);
  EXPECT_FALSE(decode_reply(r3, h));
}

class RpcServerRejects : public ::testing::Test {
 protected:
  void SetUp() override {
    server.add_program(0x20000001, 2, 3, [](const CallContext& c, XdrReader& args, XdrWriter& results) {
      if (c.header.proc == 1) {  // add two ints
        std::uint32_t a = args.get_u32(), b = args.get_u32();
        if (!args.done()) return ProcResult::garbage_args;
        results.put_u32(a + b);
        return ProcResult::reply;
      }
      if (c.header.proc == 2) return ProcResult::no_reply;
      return ProcResult::proc_unavail;
    });
  }
  std::vector<std::uint32_t> handle(std::vector<std::byte> call, bool* sent = nullptr) {
    std::vector<std::byte> reply;
    bool malformed = false;
    bool s = server.handle_call(call, CallContext{}, reply, malformed);
    if (sent) *sent = s;
    std::vector<std::uint32_t> out;
    XdrReader r(reply);
    while (r.remaining() >= 4) out.push_back(r.get_u32());
    return out;
  }
  RpcServer server;
};

TEST_F(RpcServerRejects, EveryReject) {
  using V = std::vector<std::uint32_t>;
  EXPECT_EQ(handle(words({1, 0, 2, 0x20000001, 2, 1, 0, 0, 0, 0, 40, 2})), (V{1, 1, 0, 0, 0, 0, 42}));
  EXPECT_EQ(handle(words({2, 0, 2, 0x20000002, 2, 1, 0, 0, 0, 0})), (V{2, 1, 0, 0, 0, 1}));         // PROG_UNAVAIL
  EXPECT_EQ(handle(words({3, 0, 2, 0x20000001, 9, 1, 0, 0, 0, 0})), (V{3, 1, 0, 0, 0, 2, 2, 3}));   // PROG_MISMATCH
  EXPECT_EQ(handle(words({4, 0, 2, 0x20000001, 2, 77, 0, 0, 0, 0})), (V{4, 1, 0, 0, 0, 3}));        // PROC_UNAVAIL
  EXPECT_EQ(handle(words({5, 0, 2, 0x20000001, 2, 1, 0, 0, 0, 0, 40})), (V{5, 1, 0, 0, 0, 4}));     // GARBAGE_ARGS
  EXPECT_EQ(handle(words({6, 0, 2, 0x20000001, 2, 1, 0, 0, 0, 0, 1, 2, 3})), (V{6, 1, 0, 0, 0, 4}));  // trailing
  EXPECT_EQ(handle(words({7, 0, 3, 0x20000001, 2, 1, 0, 0, 0, 0})), (V{7, 1, 1, 0, 2, 2}));         // RPC_MISMATCH
  EXPECT_EQ(handle(words({8, 0, 2, 0x20000001, 3, 0, 0, 0, 0, 0})), (V{8, 1, 0, 0, 0, 0}));         // NULL proc
  bool sent = true;
  EXPECT_TRUE(handle(words({9, 0, 2, 0x20000001, 2, 2, 0, 0, 0, 0}), &sent).empty());  // one-way
  EXPECT_FALSE(sent);
  EXPECT_TRUE(handle(words({10, 1, 0, 0, 0, 0}), &sent).empty());  // a reply is dropped
  EXPECT_FALSE(sent);
  std::vector<std::byte> reply;
  bool malformed = false;
  EXPECT_FALSE(server.handle_call(bytes({1, 2, 3}), CallContext{}, reply, malformed));
  EXPECT_TRUE(malformed);
}

TEST_F(RpcServerRejects, OverTcpWithClientXidMatching) {
  ASSERT_EQ(server.listen_tcp("127.0.0.1", 0), status::SUCCESS);
  server.start();
  RpcClient client;
  ASSERT_EQ(client.connect("127.0.0.1", server.tcp_port(), core::Deadline::after_ms(2000)), status::SUCCESS);
  for (std::uint32_t i = 0; i < 3; ++i) {
    auto& w = client.begin_call(0x20000001, 2, 1);
    w.put_u32(i);
    w.put_u32(100);
    XdrReader r;
    ASSERT_EQ(client.finish_call(core::Deadline::after_ms(2000), r), status::SUCCESS);
    EXPECT_EQ(r.get_u32(), 100 + i);
  }
  client.begin_call(0x20000001, 2, 77);
  XdrReader r;
  EXPECT_EQ(client.finish_call(core::Deadline::after_ms(2000), r), status::ERROR_NSUP_OPER);
  // A one-way call gets no reply: waiting for one times out, and the next call still matches.
  client.begin_call(0x20000001, 2, 2);
  EXPECT_EQ(client.finish_call(core::Deadline::after_ms(100), r), status::ERROR_TMO);
  auto& w = client.begin_call(0x20000001, 2, 1);
  w.put_u32(1);
  w.put_u32(1);
  ASSERT_EQ(client.finish_call(core::Deadline::after_ms(2000), r), status::SUCCESS);
  EXPECT_EQ(r.get_u32(), 2u);
}

TEST_F(RpcServerRejects, OversizeFragmentClosesTheConnection) {
  RpcServer small(RpcServer::Options::bounded(64, 4));
  small.add_program(1, 1, 1, [](const CallContext&, XdrReader&, XdrWriter&) { return ProcResult::reply; });
  ASSERT_EQ(small.listen_tcp("127.0.0.1", 0), status::SUCCESS);
  small.start();
  net::Socket s;
  ASSERT_EQ(net::connect_tcp("127.0.0.1", small.tcp_port(), core::Deadline::after_ms(2000), s), status::SUCCESS);
  auto header = bytes({0x80, 0, 1, 0});  // 256 > 64
  ASSERT_EQ(s.send_all(header, core::Deadline::after_ms(2000)), status::SUCCESS);
  std::byte b[1];
  std::size_t n = 0;
  EXPECT_EQ(s.recv_some(b, core::Deadline::after_ms(5000), n), status::ERROR_CONN_LOST);
}

TEST_F(RpcServerRejects, HalfSentRecordTimesOutButIdleConnectionsStay) {
  auto options = RpcServer::Options::bounded(4096, 4);
  options.partial_record_timeout_ms = 200;
  RpcServer s(options);
  s.add_program(1, 1, 1, [](const CallContext&, XdrReader&, XdrWriter&) { return ProcResult::reply; });
  ASSERT_EQ(s.listen_tcp("127.0.0.1", 0), status::SUCCESS);
  s.start();
  RpcClient idle;
  ASSERT_EQ(idle.connect("127.0.0.1", s.tcp_port(), core::Deadline::after_ms(2000)), status::SUCCESS);
  net::Socket half;
  ASSERT_EQ(net::connect_tcp("127.0.0.1", s.tcp_port(), core::Deadline::after_ms(2000), half), status::SUCCESS);
  auto partial = bytes({0x80, 0, 0, 40, 0, 0});
  ASSERT_EQ(half.send_all(partial, core::Deadline::after_ms(2000)), status::SUCCESS);
  std::byte b[1];
  std::size_t n = 0;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(half.recv_some(b, core::Deadline::after_ms(10000), n), status::ERROR_CONN_LOST);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
  idle.begin_call(1, 1, 0);  // the idle connection (no partial record) is still served
  XdrReader r;
  EXPECT_EQ(idle.finish_call(core::Deadline::after_ms(2000), r), status::SUCCESS);
}

TEST_F(RpcServerRejects, ConnectionLimit) {
  RpcServer limited(RpcServer::Options::bounded(4096, 2));
  limited.add_program(1, 1, 1, [](const CallContext&, XdrReader&, XdrWriter&) { return ProcResult::reply; });
  ASSERT_EQ(limited.listen_tcp("127.0.0.1", 0), status::SUCCESS);
  limited.start();
  RpcClient a, b, c;
  XdrReader r;
  ASSERT_EQ(a.connect("127.0.0.1", limited.tcp_port(), core::Deadline::after_ms(2000)), status::SUCCESS);
  a.begin_call(1, 1, 0);
  ASSERT_EQ(a.finish_call(core::Deadline::after_ms(2000), r), status::SUCCESS);
  ASSERT_EQ(b.connect("127.0.0.1", limited.tcp_port(), core::Deadline::after_ms(2000)), status::SUCCESS);
  b.begin_call(1, 1, 0);
  ASSERT_EQ(b.finish_call(core::Deadline::after_ms(2000), r), status::SUCCESS);
  ASSERT_EQ(c.connect("127.0.0.1", limited.tcp_port(), core::Deadline::after_ms(2000)), status::SUCCESS);
  c.begin_call(1, 1, 0);
  EXPECT_EQ(c.finish_call(core::Deadline::after_ms(2000), r), status::ERROR_CONN_LOST);  // closed at once
}

class Portmapper : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(pm.start("127.0.0.1", 0), status::SUCCESS); }
  PortmapperServer pm;
};

TEST_F(Portmapper, SetGetportUnsetDump) {
  EXPECT_TRUE(pm.set(Mapping{0x0607AF, 1, pmap::ipproto_tcp, 1024}));
  EXPECT_FALSE(pm.set(Mapping{0x0607AF, 1, pmap::ipproto_tcp, 2048}));  // already registered
  std::uint16_t port = 0;
  EXPECT_EQ(portmap_getport("127.0.0.1", pm.port(), 0x0607AF, 1, pmap::ipproto_tcp, core::Deadline::after_ms(2000), port),
            status::SUCCESS);
  EXPECT_EQ(port, 1024);
  EXPECT_EQ(portmap_getport("127.0.0.1", pm.port(), 0x0607AF, 1, pmap::ipproto_udp, core::Deadline::after_ms(2000), port),
            status::ERROR_RSRC_NFOUND);
  // DUMP over TCP.
  RpcClient client;
  ASSERT_EQ(client.connect("127.0.0.1", pm.port(), core::Deadline::after_ms(2000)), status::SUCCESS);
  client.begin_call(pmap::program, pmap::version, pmap::proc_dump);
  XdrReader r;
  ASSERT_EQ(client.finish_call(core::Deadline::after_ms(2000), r), status::SUCCESS);
  EXPECT_TRUE(r.get_bool());
  Mapping m;
  ASSERT_TRUE(decode_mapping(r, m));
  EXPECT_EQ(m, (Mapping{0x0607AF, 1, 6, 1024}));
  EXPECT_FALSE(r.get_bool());
  EXPECT_TRUE(r.done());
  // Remote SET from loopback, then UNSET.
  encode_mapping(client.begin_call(pmap::program, pmap::version, pmap::proc_set), Mapping{0x0607B0, 1, 6, 999});
  ASSERT_EQ(client.finish_call(core::Deadline::after_ms(2000), r), status::SUCCESS);
  EXPECT_TRUE(r.get_bool());
  EXPECT_EQ(pm.getport(0x0607B0, 1, 6), 999u);
  EXPECT_TRUE(pm.unset(0x0607AF, 1));
  EXPECT_EQ(pm.getport(0x0607AF, 1, 6), 0u);
  // CALLIT is not offered.
  client.begin_call(pmap::program, pmap::version, pmap::proc_callit);
  EXPECT_EQ(client.finish_call(core::Deadline::after_ms(2000), r), status::ERROR_NSUP_OPER);
}

TEST_F(Portmapper, UdpGetportAsDiscoverySendsIt) {
  pm.set(Mapping{0x0607AF, 1, pmap::ipproto_tcp, 1024});
  // The 56-byte call liblxi broadcasts (RFC 1833).
  auto call = words({1000, 0, 2, 100000, 2, 3, 0, 0, 0, 0, 0x0607AF, 1, 6, 0});
  ASSERT_EQ(call.size(), 56u);
  net::UdpSocket udp;
  ASSERT_EQ(udp.open("127.0.0.1", 0), status::SUCCESS);
  ASSERT_EQ(udp.send_to(call, net::Endpoint{"127.0.0.1", pm.port()}), status::SUCCESS);
  std::vector<std::byte> reply(1024);
  std::size_t n = 0;
  net::Endpoint from;
  ASSERT_EQ(udp.recv_from(reply, n, from, core::Deadline::after_ms(5000)), status::SUCCESS);
  reply.resize(n);
  EXPECT_EQ(reply, words({1000, 1, 0, 0, 0, 0, 1024}));
  EXPECT_EQ(from.port, pm.port());
}

TEST(PortmapperClient, EnvironmentOverridesThePort) {
  ::unsetenv("CPPVISA_PORTMAPPER_PORT");
  EXPECT_EQ(portmapper_port(), 111);
  ::setenv("CPPVISA_PORTMAPPER_PORT", "4111", 1);
  EXPECT_EQ(portmapper_port(), 4111);
  ::setenv("CPPVISA_PORTMAPPER_PORT", "junk", 1);
  EXPECT_EQ(portmapper_port(), 111);
  ::unsetenv("CPPVISA_PORTMAPPER_PORT");
}

TEST(PortmapperClient, RefusedPortIsNotFound) {
  net::TcpListener l;
  ASSERT_EQ(l.open("127.0.0.1", 0), status::SUCCESS);
  std::uint16_t closed = l.port();
  l.close();
  std::uint16_t port = 0;
  EXPECT_EQ(portmap_getport("127.0.0.1", closed, 1, 1, 6, core::Deadline::after_ms(2000), port),
            status::ERROR_RSRC_NFOUND);
}

}  // namespace
}  // namespace cppvisa::oncrpc
