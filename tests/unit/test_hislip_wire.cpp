// HiSLIP wire format: header vectors (IVI-6.1, from tridentsx/hislip), permissive
// decoding, the message stream (chunked input, timeouts mid-header, oversized payloads skipped
// without allocation), typed parsers.
#include "protocols/hislip/hislip_wire.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <string>

#include "support/bytes.hpp"

using cppvisa::testing::byte_vector;
using cppvisa::testing::from_hex;

namespace cppvisa::hislip {
namespace {

std::vector<std::byte> encoded(const Header& h) {
  auto a = encode_header(h);
  return {a.begin(), a.end()};
}

TEST(HislipWire, HeaderVectors) {
  EXPECT_EQ(encoded(make_header(MessageType::initialize, 0, initialize_parameter(0x0100, "GT"), 7)),
            from_hex("48530000 01004754 00000000 00000007"));
  EXPECT_EQ(encoded(make_header(MessageType::initialize_response, 0, 0x01001234)), from_hex("48530100 01001234 00000000 00000000"));
  EXPECT_EQ(encoded(make_header(MessageType::async_initialize, 0, 0x1234)), from_hex("48531100 00001234 00000000 00000000"));
  EXPECT_EQ(encoded(make_header(MessageType::data_end, rmt_delivered, 0xffffff00, 4)),
            from_hex("48530701 ffffff00 00000000 00000004"));
  EXPECT_EQ(encoded(make_header(MessageType::async_status_query, rmt_delivered, no_message_id)),
            from_hex("48531501 fffffefe 00000000 00000000"));
  EXPECT_EQ(encoded(make_header(MessageType::async_status_response, 0x50)), from_hex("48531650 00000000 00000000 00000000"));
  EXPECT_EQ(encoded(make_header(MessageType::async_lock, lock::request, 5000, 10)),
            from_hex("48530401 00001388 00000000 0000000a"));
}

TEST(HislipWire, DecodeRoundTripAndBigLength) {
  Header h = make_header(MessageType::data, 1, 0xDEADBEEF, 0x0123456789ABCDEFull);
  auto raw = encode_header(h);
  Header back;
  ASSERT_TRUE(decode_header(raw, back));
  EXPECT_EQ(back.type, h.type);
  EXPECT_EQ(back.control, 1);
  EXPECT_EQ(back.parameter, 0xDEADBEEFu);
  EXPECT_EQ(back.length, 0x0123456789ABCDEFull);
}

TEST(HislipWire, DecodeIsPermissiveButChecksThePrologue) {
  auto raw = from_hex("4853ff7f 00000000 00000000 00000000");  // vendor type 255, odd control code
  Header h;
  ASSERT_TRUE(decode_header(std::span<const std::byte, 16>(raw.data(), 16), h));
  EXPECT_EQ(h.type, 255);
  EXPECT_EQ(message_type_name(h.type), "VendorSpecific(255)");
  EXPECT_EQ(message_type_name(50), "Reserved(50)");
  EXPECT_EQ(message_type_name(7), "DataEnd");
  raw[1] = std::byte{'X'};
  EXPECT_FALSE(decode_header(std::span<const std::byte, 16>(raw.data(), 16), h));
}

TEST(HislipWire, ChannelOfEachType) {
  EXPECT_TRUE(is_async_type(static_cast<std::uint8_t>(MessageType::async_status_query)));
  EXPECT_TRUE(is_async_type(static_cast<std::uint8_t>(MessageType::async_device_clear_acknowledge)));
  EXPECT_FALSE(is_async_type(static_cast<std::uint8_t>(MessageType::data_end)));
  // On the synchronous channel in practice (IVI-6.1 note).
  EXPECT_FALSE(is_async_type(static_cast<std::uint8_t>(MessageType::device_clear_acknowledge)));
  EXPECT_FALSE(is_async_type(200));
}

// Memory input delivering scripted chunks; an empty chunk is a timeout; the end is CONN_LOST.
class ScriptedInput : public ByteInput {
 public:
  std::deque<std::vector<std::byte>> chunks;
  std::size_t max_chunk = 1 << 20;
  status_t recv_some(std::span<std::byte> buffer, core::Deadline, std::size_t& count) override {
    count = 0;
    if (chunks.empty()) return status::ERROR_CONN_LOST;
    auto& c = chunks.front();
    if (c.empty()) {
      chunks.pop_front();
      return status::ERROR_TMO;
    }
    count = std::min({buffer.size(), c.size(), max_chunk});
    std::copy_n(c.begin(), count, buffer.begin());
    c.erase(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(count));
    if (c.empty()) chunks.pop_front();
    return status::SUCCESS;
  }
};

std::vector<std::byte> message(const Header& h, std::string_view payload) {
  Header copy = h;
  copy.length = payload.size();
  auto out = encoded(copy);
  auto p = byte_vector(payload);
  out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(HislipWire, StreamFramesMessagesFedByteByByte) {
  ScriptedInput in;
  auto a = message(make_header(MessageType::data, 0, 1), "hello ");
  auto b = message(make_header(MessageType::data_end, 0, 1), "world");
  std::vector<std::byte> all = a;
  all.insert(all.end(), b.begin(), b.end());
  in.chunks.push_back(all);
  in.max_chunk = 1;
  MessageStream stream(in);
  Message m;
  ASSERT_EQ(stream.next_message(m, 100, core::Deadline::never()), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::data));
  EXPECT_EQ(m.text(), "hello ");
  ASSERT_EQ(stream.next_message(m, 100, core::Deadline::never()), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::data_end));
  EXPECT_EQ(m.text(), "world");
  EXPECT_EQ(stream.next_message(m, 100, core::Deadline::never()), status::ERROR_CONN_LOST);
}

TEST(HislipWire, TimeoutInTheMiddleOfAHeaderKeepsSync) {
  ScriptedInput in;
  auto a = message(make_header(MessageType::data_end, 0, 7), "abc");
  in.chunks.push_back({a.begin(), a.begin() + 5});
  in.chunks.push_back({});  // timeout
  in.chunks.push_back({a.begin() + 5, a.begin() + 17});
  in.chunks.push_back({});  // timeout in the payload
  in.chunks.push_back({a.begin() + 17, a.end()});
  MessageStream stream(in);
  Header h;
  EXPECT_EQ(stream.next_header(h, core::Deadline::never()), status::ERROR_TMO);
  ASSERT_EQ(stream.next_header(h, core::Deadline::never()), status::SUCCESS);
  EXPECT_EQ(h.parameter, 7u);
  EXPECT_EQ(stream.payload_left(), 3u);
  std::byte buf[8];
  std::size_t n = 0;
  ASSERT_EQ(stream.read_payload(buf, core::Deadline::never(), n), status::SUCCESS);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(stream.read_payload(buf, core::Deadline::never(), n), status::ERROR_TMO);
  ASSERT_EQ(stream.read_payload(buf, core::Deadline::never(), n), status::SUCCESS);
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(stream.payload_left(), 0u);
}

TEST(HislipWire, OversizedPayloadIsSkippedNotAllocated) {
  ScriptedInput in;
  auto big = message(make_header(MessageType::data, 0, 1), std::string(5000, 'x'));
  auto small = message(make_header(MessageType::data_end, 0, 3), "ok");
  in.chunks.push_back(big);
  in.chunks.push_back(small);
  MessageStream stream(in, 64);
  Message m;
  ASSERT_EQ(stream.next_message(m, 1000, core::Deadline::never()), status::SUCCESS);
  EXPECT_TRUE(m.oversized);
  EXPECT_TRUE(m.payload.empty());
  EXPECT_EQ(m.header.length, 5000u);
  ASSERT_EQ(stream.next_message(m, 1000, core::Deadline::never()), status::SUCCESS);
  EXPECT_FALSE(m.oversized);
  EXPECT_EQ(m.text(), "ok");
}

TEST(HislipWire, HugeDeclaredLengthNeverAllocates) {
  ScriptedInput in;
  in.chunks.push_back(from_hex("48530600 00000001 ffffffff ffffffff 41424344"));
  MessageStream stream(in);
  Message m;
  // The stream ends while skipping: CONN_LOST, and nothing was sized from the length.
  EXPECT_EQ(stream.next_message(m, 1 << 20, core::Deadline::never()), status::ERROR_CONN_LOST);
  EXPECT_TRUE(m.oversized);
}

TEST(HislipWire, BadPrologueIsAFormatError) {
  ScriptedInput in;
  in.chunks.push_back(byte_vector("GET / HTTP/1.1\r\n\r\n"));
  MessageStream stream(in);
  Header h;
  EXPECT_EQ(stream.next_header(h, core::Deadline::never()), status::ERROR_INV_FMT);
}

// ---- MessageAssembler (the client's asynchronous channel, read without waiting) ----

// Feeds `bytes` in chunks of `chunk` bytes and collects every message as it becomes whole.
std::vector<Message> assemble(const std::vector<std::byte>& bytes, std::size_t chunk, std::uint64_t max_payload,
                              bool* bad = nullptr) {
  MessageAssembler a(max_payload);
  std::vector<Message> out;
  for (std::size_t i = 0; i < bytes.size(); i += chunk) {
    a.feed(std::span(bytes).subspan(i, std::min(chunk, bytes.size() - i)));
    Message m;
    for (;;) {
      auto next = a.next(m);
      if (next == MessageAssembler::Next::more) break;
      if (next == MessageAssembler::Next::bad_header) {
        if (bad) *bad = true;
        return out;
      }
      out.push_back(m);
    }
  }
  return out;
}

TEST(HislipWire, AssemblerGivesTheSameMessagesWhateverTheChunks) {
  std::vector<std::byte> all;
  for (auto& part : {message(make_header(MessageType::async_lock_response, 1), ""),
                     message(make_header(MessageType::error, 4), "message too large"),
                     message(make_header(MessageType::async_service_request, 0x50), ""),
                     message(make_header(MessageType::async_status_response, 0x10), std::string(300, 's'))})
    all.insert(all.end(), part.begin(), part.end());
  for (std::size_t chunk : {1u, 2u, 15u, 16u, 17u, 33u, 4096u}) {
    SCOPED_TRACE(chunk);
    auto got = assemble(all, chunk, 4096);
    ASSERT_EQ(got.size(), 4u);
    EXPECT_TRUE(got[0].header.is(MessageType::async_lock_response));
    EXPECT_EQ(got[1].text(), "message too large");
    EXPECT_EQ(got[2].header.control, 0x50);
    EXPECT_EQ(got[3].payload.size(), 300u);
    EXPECT_FALSE(got[3].oversized);
  }
}

TEST(HislipWire, AssemblerSkipsAnOversizedPayloadAsItArrives) {
  auto big = message(make_header(MessageType::async_status_response, 0, 1), std::string(5000, 'x'));
  auto small = message(make_header(MessageType::async_lock_response, 1, 3), "");
  big.insert(big.end(), small.begin(), small.end());
  for (std::size_t chunk : {1u, 7u, 1000u, 8192u}) {
    SCOPED_TRACE(chunk);
    auto got = assemble(big, chunk, 4096);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_TRUE(got[0].oversized);  // said at its header, its payload never stored
    EXPECT_TRUE(got[0].payload.empty());
    EXPECT_EQ(got[0].header.length, 5000u);
    EXPECT_TRUE(got[1].header.is(MessageType::async_lock_response));
    EXPECT_EQ(got[1].header.parameter, 3u);
  }
}

TEST(HislipWire, AssemblerHoldsAPartialMessageUntilTheRestComes) {
  auto a = message(make_header(MessageType::async_remote_local_response, 0, 9), "ab");
  MessageAssembler as(4096);
  Message m;
  as.feed(std::span(a).first(17));
  EXPECT_EQ(as.next(m), MessageAssembler::Next::more);
  as.feed(std::span(a).subspan(17));
  ASSERT_EQ(as.next(m), MessageAssembler::Next::message);
  EXPECT_EQ(m.text(), "ab");
  EXPECT_EQ(as.next(m), MessageAssembler::Next::more);
  EXPECT_TRUE(as.take_buffered().empty());
}

TEST(HislipWire, AssemblerHandsOverTheBytesPastAMessage) {
  auto a = message(make_header(MessageType::async_start_tls_response, 1), "");
  auto hello = byte_vector("\x16\x03\x01 handshake");
  a.insert(a.end(), hello.begin(), hello.end());
  MessageAssembler as(4096);
  as.feed(a);
  Message m;
  ASSERT_EQ(as.next(m), MessageAssembler::Next::message);
  EXPECT_EQ(as.take_buffered(), hello);
}

TEST(HislipWire, AssemblerRefusesABadPrologueForGood) {
  bool bad = false;
  auto got = assemble(byte_vector("GET / HTTP/1.1\r\n\r\n"), 4, 4096, &bad);
  EXPECT_TRUE(bad);
  EXPECT_TRUE(got.empty());
  MessageAssembler as(4096);
  as.feed(byte_vector("XXXXXXXXXXXXXXXXXXXX"));
  Message m;
  EXPECT_EQ(as.next(m), MessageAssembler::Next::bad_header);
  as.feed(message(make_header(MessageType::async_lock_response, 1), ""));
  EXPECT_EQ(as.next(m), MessageAssembler::Next::bad_header);
}

TEST(HislipWire, InitializeParsing) {
  Message m;
  m.header = make_header(MessageType::initialize, 0, initialize_parameter(0x0100, "CV"));
  m.payload = byte_vector("hislip3");
  InitializeRequest r;
  ASSERT_TRUE(parse_initialize(m, r));
  EXPECT_EQ(r.version, 0x0100);
  EXPECT_EQ(r.vendor, "CV");
  EXPECT_EQ(r.sub_address, "hislip3");
  m.payload = byte_vector(std::string(257, 'a'));
  EXPECT_FALSE(parse_initialize(m, r));
  m.payload = byte_vector(std::string("hi\0slip", 7));
  EXPECT_FALSE(parse_initialize(m, r));
  m.payload.clear();
  ASSERT_TRUE(parse_initialize(m, r));
  EXPECT_EQ(r.sub_address, "");
  m.header.type = 3;
  EXPECT_FALSE(parse_initialize(m, r));

  InitializeResult ir;
  ASSERT_TRUE(parse_initialize_response(make_header(MessageType::initialize_response, 1, 0x01000042), ir));
  EXPECT_TRUE(ir.prefer_overlap);
  EXPECT_EQ(ir.version, 0x0100);
  EXPECT_EQ(ir.session_id, 0x42);
  EXPECT_FALSE(parse_initialize_response(make_header(MessageType::fatal_error), ir));
}

TEST(HislipWire, MaximumMessageSizePayload) {
  Message m;
  m.header = make_header(MessageType::async_maximum_message_size);
  auto e = encode_u64(0x0000000100000400ull);
  m.payload.assign(e.begin(), e.end());
  EXPECT_EQ(m.payload, from_hex("00000001 00000400"));
  EXPECT_EQ(parse_maximum_message_size(m), 0x0000000100000400ull);
  m.payload.pop_back();
  EXPECT_EQ(parse_maximum_message_size(m), std::nullopt);
}

}  // namespace
}  // namespace cppvisa::hislip
