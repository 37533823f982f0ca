// DNS message codec (mDNS): round trips, name compression, and hostile input (compression loops,
// forward pointers, lengths past the end, a header claiming 10 000 records).
#include "protocols/mdns/dns_message.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace cppvisa::mdns {
namespace {

std::vector<std::byte> bytes(std::initializer_list<unsigned> values) {
  std::vector<std::byte> out;
  for (unsigned v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

void append(std::vector<std::byte>& out, std::string_view s) {
  for (char c : s) out.push_back(static_cast<std::byte>(c));
}

TEST(DnsMessage, RoundTripOfEveryRecordType) {
  Message m;
  m.id = 0x1234;
  m.flags = flag_response | flag_authoritative;
  m.questions.push_back({"_hislip._tcp.local", rr_type::ptr, class_in | class_top_bit});
  auto record = [](std::string name, std::uint16_t type, std::string target = {}) {
    Record r;
    r.name = std::move(name);
    r.type = type;
    r.ttl = 120;
    r.target = std::move(target);
    return r;
  };
  Record ptr = record("_hislip._tcp.local", rr_type::ptr, "Scope\\. One._hislip._tcp.local");
  Record srv = record("Scope\\. One._hislip._tcp.local", rr_type::srv, "scope.local");
  srv.port = 4880;
  srv.priority = 1;
  Record txt = record("Scope\\. One._hislip._tcp.local", rr_type::txt);
  txt.txt = {"txtvers=1", "Manufacturer=ACME", "Model=X 1"};
  Record a = record("scope.local", rr_type::a);
  a.address = {10, 250, 1, 2};
  Record aaaa = record("scope.local", rr_type::aaaa);
  aaaa.address = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  m.answers = {ptr, srv, txt, a, aaaa};
  Message back;
  ASSERT_TRUE(decode(encode(m), back));
  EXPECT_EQ(back.id, 0x1234);
  EXPECT_EQ(back.flags, m.flags);
  ASSERT_EQ(back.questions.size(), 1u);
  EXPECT_EQ(back.questions[0].klass, class_in | class_top_bit);
  ASSERT_EQ(back.answers.size(), 5u);
  EXPECT_EQ(back.answers[0].target, "Scope\\. One._hislip._tcp.local");
  EXPECT_EQ(first_label(back.answers[0].target), "Scope. One");
  EXPECT_EQ(back.answers[1].port, 4880);
  EXPECT_EQ(back.answers[1].priority, 1);
  EXPECT_EQ(back.answers[1].target, "scope.local");
  EXPECT_EQ(txt_value(back.answers[2].txt, "manufacturer"), "ACME");
  EXPECT_EQ(txt_value(back.answers[2].txt, "Model"), "X 1");
  EXPECT_EQ(back.answers[3].address[3], 2);
  EXPECT_EQ(back.answers[4].address, aaaa.address);
  EXPECT_TRUE(same_name("SCOPE.local", "scope.LOCAL"));
}

TEST(DnsMessage, BackwardCompressionPointers) {
  // Header: 0 questions, 2 answers. Answer 1 at offset 12: "a.local" A. Answer 2: "b" + pointer
  // to "local" (offset 14) PTR -> pointer to offset 12.
  auto m = bytes({0, 0, 0x84, 0, 0, 0, 0, 2, 0, 0, 0, 0});
  auto first = bytes({1, 'a', 5, 'l', 'o', 'c', 'a', 'l', 0, 0, 1, 0, 1, 0, 0, 0, 10, 0, 4, 10, 0, 0, 1});
  m.insert(m.end(), first.begin(), first.end());
  auto second = bytes({1, 'b', 0xC0, 14, 0, 12, 0, 1, 0, 0, 0, 10, 0, 2, 0xC0, 12});
  m.insert(m.end(), second.begin(), second.end());
  Message out;
  ASSERT_TRUE(decode(m, out));
  ASSERT_EQ(out.answers.size(), 2u);
  EXPECT_EQ(out.answers[0].name, "a.local");
  EXPECT_EQ(out.answers[1].name, "b.local");
  EXPECT_EQ(out.answers[1].target, "a.local");
}

TEST(DnsMessage, CompressionLoopsAndForwardPointersAreMalformed) {
  Message out;
  // A pointer to itself (offset 12), a forward pointer, and two pointers pointing at each other.
  auto self = bytes({0, 0, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 12, 0, 1});
  EXPECT_FALSE(decode(self, out));
  auto forward = bytes({0, 0, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 14, 1, 'x', 0, 0, 12, 0, 1});
  EXPECT_FALSE(decode(forward, out));
  auto pair = bytes({0, 0, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xC0, 16, 1, 'b', 0xC0, 12, 0, 12, 0, 1});
  EXPECT_FALSE(decode(pair, out));
}

TEST(DnsMessage, LengthsPastTheEndAreMalformed) {
  Message out;
  EXPECT_FALSE(decode(bytes({0, 0, 0x84}), out));                                  // short header
  EXPECT_FALSE(decode(bytes({0, 0, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 'a'}), out));  // label past the end
  // A record whose rdlength runs past the end.
  auto rd = bytes({0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 16, 0, 1, 0, 0, 0, 1, 0xFF, 0xFF, 3, 'a'});
  EXPECT_FALSE(decode(rd, out));
  // A TXT string running past its record's rdlength.
  auto txt = bytes({0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 16, 0, 1, 0, 0, 0, 1, 0, 2, 5, 'a'});
  EXPECT_FALSE(decode(txt, out));
  // An A record of the wrong length.
  auto a = bytes({0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 3, 1, 2, 3});
  EXPECT_FALSE(decode(a, out));
  // A name longer than 255 bytes (five 63-byte labels).
  auto longname = bytes({0, 0, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0});
  for (int i = 0; i < 5; ++i) {
    longname.push_back(std::byte{63});
    append(longname, std::string(63, 'x'));
  }
  longname.push_back(std::byte{0});
  EXPECT_FALSE(decode(longname, out));
}

TEST(DnsMessage, TenThousandClaimedRecordsAreBounded) {
  // The header claims 10 000 answers; the datagram holds what fits in 9000 bytes. Decoding keeps
  // at most max_records and takes bounded time.
  auto m = bytes({0, 0, 0x84, 0, 0, 0, 0x27, 0x10, 0, 0, 0, 0});
  while (m.size() + 11 <= max_message_size) {
    auto rec = bytes({0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0});  // root name, A?, rdlength 0: wrong length
    rec[2] = std::byte{99};  // an unknown type: kept as opaque
    m.insert(m.end(), rec.begin(), rec.end());
  }
  Message out;
  const auto start = std::chrono::steady_clock::now();
  decode(m, out);
  EXPECT_LE(out.answers.size(), max_records);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  // Exactly 10 000 well-formed records in a (non-mDNS-sized) buffer: still max_records kept.
  auto big = bytes({0, 0, 0x84, 0, 0, 0, 0x27, 0x10, 0, 0, 0, 0});
  for (int i = 0; i < 10000; ++i) {
    auto rec = bytes({0, 0, 99, 0, 1, 0, 0, 0, 1, 0, 0});
    big.insert(big.end(), rec.begin(), rec.end());
  }
  EXPECT_TRUE(decode(big, out));
  EXPECT_EQ(out.answers.size(), max_records);
}

TEST(DnsMessage, OtherClassesAreSkipped) {
  auto m = bytes({0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 3, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4});
  Message out;
  ASSERT_TRUE(decode(m, out));
  EXPECT_TRUE(out.answers.empty());
}

TEST(DnsMessage, ALargeAnswerIsEncodedInPartsThatEachFit) {
  Message m;
  m.id = 7;
  m.flags = flag_response;
  m.questions.push_back({"_scpi-raw._tcp.local", rr_type::ptr, class_in});
  for (int i = 0; i < 100; ++i) {
    Record r;
    r.name = "_scpi-raw._tcp.local";
    r.type = rr_type::ptr;
    r.target = "Resource " + std::to_string(i) + "._scpi-raw._tcp.local";
    m.answers.push_back(r);
  }
  Record huge;
  huge.name = "big._scpi-raw._tcp.local";
  huge.type = rr_type::txt;
  huge.txt.assign(10, std::string(200, 'x'));  // about 2 KB: fits no part
  m.answers.push_back(huge);
  const auto parts = encode_in_parts(m, 1452);
  ASSERT_GT(parts.size(), 1u);
  std::vector<std::string> targets;
  for (const auto& p : parts) {
    EXPECT_LE(p.size(), 1452u);
    Message d;
    ASSERT_TRUE(decode(p, d));
    EXPECT_EQ(d.id, 7);
    EXPECT_EQ(d.flags, flag_response);
    ASSERT_EQ(d.questions.size(), 1u);
    for (const auto& r : d.answers) {
      EXPECT_EQ(r.type, rr_type::ptr) << "the record too large for a part is left out";
      targets.push_back(r.target);
    }
  }
  ASSERT_EQ(targets.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(targets[i], "Resource " + std::to_string(i) + "._scpi-raw._tcp.local");
  EXPECT_TRUE(encode_in_parts(Message{}, 1452).empty()) << "no record, no message";
}

}  // namespace
}  // namespace cppvisa::mdns
