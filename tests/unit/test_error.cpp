// Tests of error.hpp: every error carries its cause (VisaIOError::detail(), last_error_detail())
// and a failed read keeps its bytes (VisaIOError::received(), the error_code forms), through the
// C++ API against the in-memory backend.
#include "support/fake_backend.hpp"

#include <cppvisa/error.hpp>
#include <cppvisa/resource_manager.hpp>

#include <gtest/gtest.h>

using namespace cppvisa;
using cppvisa::testing::FakeBackend;
using cppvisa::testing::FakeBackendDevice;

namespace {

struct ErrorDetail : ::testing::Test {
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

}  // namespace

TEST_F(ErrorDetail, TimeoutReturnsTheBytesReceivedWithAHintAboutTheTermination) {
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

TEST_F(ErrorDetail, QueryErrorFormKeepsTheAnswer) {
  dev->respond = [](const std::string&) { return std::vector<std::string>{}; };
  inst->set_timeout(50);
  dev->push("partial answer", false);
  std::error_code ec;
  EXPECT_EQ(inst->query("X?", ec), "partial answer");
  EXPECT_EQ(ec, make_error_code(status::ERROR_TMO));
  EXPECT_EQ(last_error_detail_status(), status::ERROR_TMO);
}

TEST_F(ErrorDetail, ReadRawAndReadBytesKeepBytesOnError) {
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

TEST_F(ErrorDetail, ParseErrorsExplainTheNameAtOpen) {
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
