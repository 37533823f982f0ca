// Tests of reply.hpp: terminations by name, escapes, and read_reply() against the in-memory backend.
#include "support/fake_backend.hpp"

#include <cppvisa/reply.hpp>
#include <cppvisa/resource_manager.hpp>

#include <gtest/gtest.h>

using namespace cppvisa;
using cppvisa::testing::FakeBackend;

TEST(Reply, TerminationNames) {
  EXPECT_EQ(parse_termination("CR"), "\r");
  EXPECT_EQ(parse_termination("LF"), "\n");
  EXPECT_EQ(parse_termination("CRLF"), "\r\n");
  EXPECT_EQ(parse_termination("NUL"), std::string(1, '\0'));
  EXPECT_EQ(parse_termination("None"), "");
  EXPECT_EQ(parse_termination("none"), "");
  EXPECT_EQ(parse_termination("\\r\\n"), "\r\n");
  EXPECT_THROW(parse_termination(""), Error);
  EXPECT_EQ(termination_name("\r\n"), "CRLF");
  EXPECT_EQ(termination_name(""), "None");
  EXPECT_EQ(termination_name(";"), "\";\"");
}

TEST(Reply, Unescape) {
  EXPECT_EQ(unescape("a\\nb\\x41\\\\"), "a\nbA\\");
  EXPECT_EQ(unescape("\\q\\x4"), "\\q\\x4");  // unknown or incomplete escapes stay as typed
  EXPECT_EQ(unescape("end\\"), "end\\");
  EXPECT_EQ(unescape("\\0"), std::string(1, '\0'));
}

namespace {
struct ReplyFixture : ::testing::Test {
  std::shared_ptr<FakeBackend> backend = std::make_shared<FakeBackend>();
  std::shared_ptr<cppvisa::testing::FakeBackendDevice> dev = backend->add("TCPIP::10.0.0.1::INSTR");
  ResourceManager rm{backend};
  std::unique_ptr<MessageBasedResource> inst = rm.open<MessageBasedResource>("TCPIP::10.0.0.1::INSTR");
  static std::string str(const std::vector<std::byte>& v) { return {reinterpret_cast<const char*>(v.data()), v.size()}; }
};
}  // namespace

TEST_F(ReplyFixture, TextReplyEndsAtTermination) {
  inst->set_read_termination("\n");
  dev->push("1.5\n2.5\n");
  EXPECT_EQ(str(read_reply(*inst)), "1.5\n");
  EXPECT_EQ(str(read_reply(*inst)), "2.5\n");
}

TEST_F(ReplyFixture, BlockWithTerminationBytesInsideIsReadWhole) {
  inst->set_read_termination("\n");
  std::string block = std::string("#15a\nb\nc") + "\n";
  dev->push(block);
  EXPECT_EQ(str(read_reply(*inst)), block);
}

TEST_F(ReplyFixture, BlockWithoutTerminationSet) {
  std::string block = std::string("#15a\nb\nc");
  dev->push(block);
  EXPECT_EQ(str(read_reply(*inst)), block);  // END ends it: nothing more to read
}

TEST_F(ReplyFixture, MalformedHeaderIsReturnedAsRead) {
  inst->set_read_termination("\n");
  dev->push("#x5\nrest\n");
  EXPECT_EQ(str(read_reply(*inst)), "#x5\n");
}

TEST_F(ReplyFixture, ProgressHearsOfEveryPieceOfABlock) {
  inst->set_read_termination("\n");
  inst->set_chunk_size(1000);
  std::string data(300000, '\n');  // termination bytes all through the data
  std::string block = "#6300000" + data + "\n";
  dev->push(block);
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  auto got = read_reply(*inst, [&](std::size_t done, std::size_t total) { calls.emplace_back(done, total); });
  EXPECT_EQ(str(got), block);
  ASSERT_GE(calls.size(), 300000u / 65536u);
  EXPECT_EQ(calls.back(), std::make_pair(block.size(), block.size()));
  for (std::size_t i = 1; i < calls.size(); ++i) {
    EXPECT_GE(calls[i].first, calls[i - 1].first);
    EXPECT_EQ(calls[i].second, block.size());
  }
  EXPECT_EQ(inst->get_int_attribute(attr::TERMCHAR_EN), 1);  // restored
}

TEST_F(ReplyFixture, ProgressOfATextReply) {
  inst->set_read_termination("\n");
  inst->set_chunk_size(4);
  dev->push("1.25,2.5\n");
  std::vector<std::size_t> done;
  auto got = read_reply(*inst, [&](std::size_t d, std::size_t total) {
    done.push_back(d);
    EXPECT_EQ(total, 0u);  // not a block: the total is unknown
  });
  EXPECT_EQ(str(got), "1.25,2.5\n");
  EXPECT_EQ(done, (std::vector<std::size_t>{4, 8, 9}));
}
