// Tests of failed reads through the C++ API (issue: errors that say what happened, no byte lost,
// memory and time bounded by what the caller asked for), against the in-memory backend.
#include "support/fake_backend.hpp"

#include <cppvisa/log.hpp>
#include <cppvisa/resource_manager.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

using namespace cppvisa;
using cppvisa::testing::FakeBackend;
using cppvisa::testing::FakeBackendDevice;
using namespace std::chrono_literals;

namespace {

struct ReadErrors : ::testing::Test {
  std::shared_ptr<FakeBackend> backend = std::make_shared<FakeBackend>();
  std::shared_ptr<FakeBackendDevice> dev;
  std::unique_ptr<ResourceManager> rm;
  std::unique_ptr<MessageBasedResource> inst;
  void SetUp() override {
    dev = backend->add("TCPIP::10.0.0.1::INSTR");
    rm = std::make_unique<ResourceManager>(backend);
    inst = rm->open<MessageBasedResource>("TCPIP::10.0.0.1::INSTR");
  }
  static std::string str(const std::vector<std::byte>& v) { return {reinterpret_cast<const char*>(v.data()), v.size()}; }
};

// A device that sends `byte` every `period` until stopped (a trickling instrument).
struct Trickle {
  std::atomic<bool> stop{false};
  std::thread thread;
  Trickle(FakeBackendDevice& dev, std::string byte, std::chrono::milliseconds period)
      : thread([&dev, byte, period, this] {
          while (!stop) {
            dev.push(byte, false);
            std::this_thread::sleep_for(period);
          }
        }) {}
  ~Trickle() {
    stop = true;
    thread.join();
  }
};

}  // namespace

TEST_F(ReadErrors, TimeoutReturnsTheBytesReceivedWithAHintAboutTheTermination) {
  const std::string answer = "+1.23456789E+00,+2.00000000E-03\r\n";  // 34 bytes, no END
  inst->set_read_termination("\r");
  inst->set_timeout(100);
  dev->push(answer, false);
  // The reply ends in '\r' then '\n': a read with '\r' stops at the '\r'; the '\n' then waits alone.
  EXPECT_EQ(inst->read(), answer.substr(0, answer.size() - 2));
  std::error_code ec;
  EXPECT_EQ(inst->read(ec), "\n");  // the error form returns what arrived
  EXPECT_EQ(ec, make_error_code(status::ERROR_TMO));
  EXPECT_NE(last_error_detail().find("1 byte received ending in '\\n'; read_termination is '\\r'"), std::string::npos)
      << last_error_detail();

  // The case: 34 bytes ending in '\n' with read_termination '\r'.
  const std::string lf = "+1.23456789E+00,+2.00000000E-003\n\n";  // 34 bytes
  dev->push(lf, false);
  inst->set_read_termination("\r");
  try {
    inst->read();
    FAIL() << "no timeout";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
    EXPECT_EQ(str(e.received()), lf);
    EXPECT_NE(e.detail().find("34 bytes received ending in '\\n'; read_termination is '\\r'"), std::string::npos)
        << e.detail();
    EXPECT_NE(std::string(e.what()).find("VI_ERROR_TMO"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("34 bytes received"), std::string::npos) << e.what();
  }
}

TEST_F(ReadErrors, QueryErrorFormKeepsTheAnswer) {
  dev->respond = [](const std::string&) { return std::vector<std::string>{}; };
  inst->set_timeout(50);
  dev->push("partial answer", false);
  std::error_code ec;
  EXPECT_EQ(inst->query("X?", ec), "partial answer");
  EXPECT_EQ(ec, make_error_code(status::ERROR_TMO));
  EXPECT_EQ(last_error_detail_status(), status::ERROR_TMO);
}

TEST_F(ReadErrors, ReadRawAndReadBytesKeepBytesOnError) {
  inst->set_timeout(50);
  dev->push("abc", false);
  try {
    inst->read_raw();
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(str(e.received()), "abc");
  }
  dev->push("xyz", false);
  try {
    inst->read_bytes(10);
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(str(e.received()), "xyz");
    EXPECT_NE(e.detail().find("3 of the 10 bytes"), std::string::npos) << e.detail();
  }
  dev->push("12", false);
  std::byte buf[8];
  status_t st = 0;
  try {
    inst->read_into(buf, st);
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(str(e.received()), "12");
  }
}

TEST_F(ReadErrors, MessageLongerThanMaxMessageSizeFailsAndKeepsWhatArrived) {
  EXPECT_EQ(inst->max_message_size(), default_max_message_size);
  inst->set_max_message_size(100);
  inst->set_chunk_size(30);
  dev->push(std::string(250, 'x'), true);
  try {
    inst->read();
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_ALLOC);
    EXPECT_EQ(e.received().size(), 100u);
    EXPECT_NE(e.detail().find("max_message_size (100 bytes)"), std::string::npos) << e.detail();
  }
  // Nothing lost: the rest is read next.
  inst->set_max_message_size(1000);
  EXPECT_EQ(inst->read(), std::string(150, 'x'));
  EXPECT_THROW(inst->set_max_message_size(0), Error);
  inst->set_property("max_message_size", std::int64_t{4096});
  EXPECT_EQ(inst->max_message_size(), 4096u);
}

TEST_F(ReadErrors, OneCallIsBoundedByItsTimeoutWhateverThePeerTrickles) {
  // Every 10 ms a byte: each read of 4 bytes completes (VI_SUCCESS_MAX_CNT) well within the
  // timeout, yet the message never ends. The call must end at its timeout, with the bytes.
  inst->set_timeout(300);
  inst->set_chunk_size(4);
  Trickle trickle(*dev, "z", 10ms);
  auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  auto got = inst->read(ec);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(ec, make_error_code(status::ERROR_TMO));
  EXPECT_FALSE(got.empty());
  EXPECT_EQ(got.find_first_not_of('z'), std::string::npos);
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 300ms * 11 / 10 + 100ms);  // status within timeout + 10% (+ scheduling slack)
}

TEST_F(ReadErrors, BlockIsBoundedByItsTimeoutWhateverThePeerTrickles) {
  inst->set_timeout(300);
  dev->push("#9999999999", false);
  Trickle trickle(*dev, "\x0a", 10ms);  // data bytes that are also the termination character
  inst->set_read_termination("\n");
  auto start = std::chrono::steady_clock::now();
  try {
    inst->read_binary_values<std::uint8_t>();
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
    EXPECT_NE(e.detail().find("of the 999999999 data bytes the block header announced received"), std::string::npos)
        << e.detail();
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, 300ms * 11 / 10 + 100ms);
}

TEST_F(ReadErrors, DebugLogWritesEachLayerToAFileAndStops) {
  char path[] = "/tmp/cppvisa-log-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_TRUE(enable_debug_log(path));
  EXPECT_TRUE(debug_log_enabled());
  dev->push("hello\n");
  inst->read();
  auto second = rm->open<MessageBasedResource>("TCPIP::10.0.0.1::INSTR");
  second.reset();
  disable_debug_log();
  EXPECT_FALSE(debug_log_enabled());
  dev->push("quiet\n");
  inst->read();
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path);
  std::string log = text.str();
  EXPECT_NE(log.find("[io] read"), std::string::npos) << "log: " << log;
  EXPECT_NE(log.find("6 bytes, VI_SUCCESS"), std::string::npos) << log;
  EXPECT_NE(log.find("[session] opened TCPIP0::10.0.0.1::inst0::INSTR"), std::string::npos) << log;
  EXPECT_NE(log.find("[session] closing session"), std::string::npos) << log;
  EXPECT_EQ(log.find("quiet"), std::string::npos);
  EXPECT_EQ(log.find("7 bytes"), std::string::npos) << log;  // nothing after disable_debug_log()
  EXPECT_FALSE(enable_debug_log("/nonexistent-dir/x.log"));
  EXPECT_FALSE(debug_log_enabled());
}

TEST_F(ReadErrors, ParseErrorsExplainTheNameAtOpen) {
  try {
    rm->open_resource("GPIB0::31::INSTR");
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_INV_RSRC_NAME);
    EXPECT_NE(e.detail().find("primary address"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("primary address"), std::string::npos) << e.what();
  }
  std::error_code ec;
  rm->open_resource("GPIB0::31::INSTR", {}, ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_RSRC_NAME));
  EXPECT_NE(last_error_detail().find("primary address"), std::string::npos) << last_error_detail();
  try {
    rm->list_resources("?*{VI_ATTR_NOPE == 1}");
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_INV_EXPR);
    EXPECT_NE(e.detail().find("bad resource expression"), std::string::npos) << e.what();
  }
}
