// Tests of log.hpp: the debug log written to a file by enable_debug_log(), nothing after
// disable_debug_log(). (CPPVISA_LOG in the environment: tests/integration/test_tool_errors.cpp.)
#include "support/fake_backend.hpp"

#include <cppvisa/log.hpp>
#include <cppvisa/resource_manager.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace cppvisa;
using cppvisa::testing::FakeBackend;
using cppvisa::testing::FakeBackendDevice;

namespace {

struct DebugLog : ::testing::Test {
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

TEST_F(DebugLog, WritesEachLayerToAFileAndStops) {
  char path[] = "/tmp/cppvisa-log-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_TRUE(enable_debug_log(path));
  EXPECT_TRUE(debug_log_enabled());
  dev->push("hello\n");
  inst->read();
  inst->clear();
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
  EXPECT_NE(log.find("6 bytes b'hello\\n', VI_SUCCESS"), std::string::npos) << log;
  EXPECT_NE(log.find("[io] clear TCPIP0::10.0.0.1::inst0::INSTR: VI_SUCCESS"), std::string::npos) << log;
  EXPECT_NE(log.find("[session] opened TCPIP0::10.0.0.1::inst0::INSTR"), std::string::npos) << log;
  EXPECT_NE(log.find("[session] closing session"), std::string::npos) << log;
  EXPECT_EQ(log.find("quiet"), std::string::npos);
  EXPECT_EQ(log.find("7 bytes"), std::string::npos) << log;  // nothing after disable_debug_log()
  EXPECT_FALSE(enable_debug_log("/nonexistent-dir/x.log"));
  EXPECT_FALSE(debug_log_enabled());
}
