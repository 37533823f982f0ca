// Tests of message_based.hpp: write/read/query semantics against the in-memory backend.
#include "support/fake_backend.hpp"

#include <cppvisa/resource_manager.hpp>

#include <gtest/gtest.h>

#include <chrono>

using namespace cppvisa;
using cppvisa::testing::FakeBackend;
using cppvisa::testing::FakeDevice;

namespace {

struct MbFixture : ::testing::Test {
  std::shared_ptr<FakeBackend> backend = std::make_shared<FakeBackend>();
  std::shared_ptr<FakeDevice> dev;
  std::unique_ptr<ResourceManager> rm;
  std::unique_ptr<MessageBasedResource> inst;
  void SetUp() override {
    dev = backend->add("TCPIP::10.0.0.1::INSTR");
    rm = std::make_unique<ResourceManager>(backend);
    inst = rm->open<MessageBasedResource>("TCPIP::10.0.0.1::INSTR");
  }
  std::string str(const std::vector<std::byte>& v) { return {reinterpret_cast<const char*>(v.data()), v.size()}; }
};

}  // namespace

TEST_F(MbFixture, WriteAppendsTermination) {
  EXPECT_EQ(inst->write("*IDN?"), 7u);
  EXPECT_EQ(dev->messages.back(), "*IDN?\r\n");
  inst->set_write_termination("\n");
  inst->write("A");
  EXPECT_EQ(dev->messages.back(), "A\n");
  inst->write("B", "");
  EXPECT_EQ(dev->messages.back(), "B");
  inst->write("C\n");  // already ends with it: still appended, as PyVISA does
  EXPECT_EQ(dev->messages.back(), "C\n\n");
  EXPECT_EQ(inst->write_raw(std::string_view("raw")), 3u);
  EXPECT_EQ(dev->messages.back(), "raw");
}

TEST_F(MbFixture, SendEndOffKeepsTheMessageOpen) {
  inst->set_send_end(false);
  inst->write_raw(std::string_view("part1,"));
  EXPECT_TRUE(dev->messages.empty());
  inst->set_send_end(true);
  inst->write_raw(std::string_view("part2"));
  ASSERT_EQ(dev->messages.size(), 1u);
  EXPECT_EQ(dev->messages[0], "part1,part2");
}

TEST_F(MbFixture, ReadStripsOnlyTheFullTermination) {
  dev->push("value\r\n");
  inst->set_read_termination("\r\n");
  EXPECT_EQ(inst->read(), "value");
  dev->push("other\n");
  EXPECT_EQ(inst->read(), "other\n");  // does not end with "\r\n": returned as is
  EXPECT_THROW(inst->set_read_termination("\n\n"), Error);
}

TEST_F(MbFixture, TermcharSplitsAndKeepsLeftovers) {
  dev->push("1\n2\n3\n");
  inst->set_read_termination("\n");
  EXPECT_EQ(inst->read(), "1");
  EXPECT_EQ(inst->last_status(), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(inst->read(), "2");
  EXPECT_EQ(inst->read(), "3");
  EXPECT_EQ(inst->last_status(), status::SUCCESS);
}

TEST_F(MbFixture, ReadWithTerminationOverride) {
  dev->push("a;b;");
  EXPECT_EQ(inst->read(";"), "a");
  EXPECT_EQ(inst->read_termination(), "");
  EXPECT_EQ(inst->get_int_attribute(attr::TERMCHAR_EN), 0);
  EXPECT_EQ(inst->read(), "b;");
}

TEST_F(MbFixture, ReadRawLoopsOverMaxCnt) {
  std::string big(100000, 'x');
  dev->push(big);
  inst->set_chunk_size(1000);
  auto data = inst->read_raw();
  EXPECT_EQ(data.size(), big.size());
  EXPECT_EQ(inst->last_status(), status::SUCCESS);
}

TEST_F(MbFixture, ReadBytesAcrossMessagesAndBreakOnTermchar) {
  dev->push("abc");
  dev->push("defg");
  EXPECT_EQ(str(inst->read_bytes(5)), "abcde");
  EXPECT_EQ(str(inst->read_bytes(10, 0, true)), "fg");
  EXPECT_TRUE(inst->read_bytes(0).empty());
}

TEST_F(MbFixture, QueryAndDelay) {
  dev->respond = [](const std::string& m) { return std::vector<std::string>{"got " + m}; };
  inst->set_write_termination("\n");
  inst->set_read_termination("\n");
  EXPECT_EQ(inst->query("X"), "got X");
  inst->set_query_delay(std::chrono::milliseconds(5));
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(inst->query("Y"), "got Y");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(5));
}

TEST_F(MbFixture, TimeoutRaisesTmoNearTheTimeout) {
  inst->set_timeout(100);
  auto start = std::chrono::steady_clock::now();
  try {
    inst->read();
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(95));
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  std::error_code ec;
  inst->set_timeout(0);
  inst->read(ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_TMO));
}

TEST_F(MbFixture, StbTriggerClearFlush) {
  dev->stb = 0x42;
  EXPECT_EQ(inst->read_stb(), 0x42);
  inst->assert_trigger();
  EXPECT_EQ(dev->triggers, 1);
  dev->push("stale");
  inst->clear();
  EXPECT_EQ(dev->clears, 1);
  inst->set_timeout(10);
  std::error_code ec;
  inst->read(ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_TMO));
  dev->push("a\nb\n");
  inst->set_read_termination("\n");
  EXPECT_EQ(inst->read(), "a");
  inst->flush(buffer::read_buf_discard);
  inst->read(ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_TMO));
}

TEST_F(MbFixture, Encodings) {
  dev->push("caf\xc3\xa9");
  std::error_code ec;
  EXPECT_THROW(inst->read(), Error);  // ascii by default
  dev->push("caf\xe9");
  inst->set_encoding("latin-1");
  EXPECT_EQ(inst->read(), "caf\xc3\xa9");
  inst->write("\xc3\xa9", "");
  EXPECT_EQ(dev->messages.back(), "\xe9");
  inst->set_encoding("utf-8");
  EXPECT_THROW(inst->write("\xff"), Error);
  EXPECT_THROW(inst->set_encoding("klingon"), Error);
}

TEST_F(MbFixture, ClosedResourceIsInvalid) {
  inst->close();
  EXPECT_THROW(inst->write("x"), InvalidSession);
  std::error_code ec;
  inst->write("x", ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_OBJECT));
  inst->close();
}
