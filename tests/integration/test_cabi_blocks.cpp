// The C API's formatted I/O reads binary blocks by their header whatever the termination
// character (viScanf %b over the same core::read_block as the C++ API), and viRead keeps the
// bytes of a failed read. A SessionBackend (real viRead termination rules) serves libvisa's
// C functions in-process.
#include "cabi/library.hpp"
#include "support/fake_backend.hpp"

#include <visa.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

using cppvisa::testing::FakeBackend;
using cppvisa::testing::FakeBackendDevice;

namespace {

constexpr const char* kName = "TCPIP0::10.1.2.3::inst0::INSTR";

class CabiBlocks : public ::testing::Test {
 protected:
  void SetUp() override {
    backend = std::make_shared<FakeBackend>();
    dev = backend->add(kName);
    cppvisa::cabi::Library::instance().set_backends({backend});
    ASSERT_EQ(viOpenDefaultRM(&rm), VI_SUCCESS);
    ASSERT_EQ(viOpen(rm, kName, VI_NULL, VI_NULL, &s), VI_SUCCESS);
    ASSERT_EQ(viSetAttribute(s, VI_ATTR_TERMCHAR, '\n'), VI_SUCCESS);
    ASSERT_EQ(viSetAttribute(s, VI_ATTR_TERMCHAR_EN, VI_TRUE), VI_SUCCESS);
    ASSERT_EQ(viSetAttribute(s, VI_ATTR_TMO_VALUE, 200), VI_SUCCESS);
  }
  void TearDown() override {
    viClose(rm);
    cppvisa::cabi::Library::instance().set_backends({});
  }
  std::shared_ptr<FakeBackend> backend;
  std::shared_ptr<FakeBackendDevice> dev;
  ViSession rm = VI_NULL, s = VI_NULL;
};

std::string curve(std::size_t n) {
  std::string d;
  for (std::size_t i = 0; i < n; ++i) d += "\n\r\x0a\x0d" "ab"[i % 6];
  return d;
}

}  // namespace

TEST_F(CabiBlocks, EveryBlockFormatFollowsItsHeaderWithTermcharEnabled) {
  const std::string data = curve(250);
  const std::string hp_len("\x00\xfa", 2);  // 250, big-endian (%b's default byte order)
  const std::pair<const char*, std::string> blocks[] = {
      {"IEEE definite", "#3250" + data + "\n"},
      {"IEEE indefinite", "#0" + data + "\n"},
      {"HP", "#A" + hp_len + data + "\n"},
      {"R&S", "#(250)" + data + "\n"},
  };
  for (const auto& [format, message] : blocks) {
    // The device sends the block as one message (END at its end), then a number.
    dev->push(message, true);
    dev->push("42\n", true);
    unsigned char buf[400] = {};
    ViInt32 count = sizeof buf;
    ASSERT_EQ(viScanf(s, "%#b", &count, buf), VI_SUCCESS) << format;
    EXPECT_EQ(count, 250) << format;
    EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), static_cast<std::size_t>(std::max(count, 0))), data) << format;
    int next = 0;
    ASSERT_EQ(viScanf(s, "%d", &next), VI_SUCCESS) << format;
    EXPECT_EQ(next, 42) << format << ": the rest of the block was taken for the next value";
  }
}

TEST_F(CabiBlocks, QueryfReadsTheWholeCurve) {
  const std::string data = curve(250);
  dev->respond = [&](const std::string&) { return std::vector<std::string>{"#3250" + data + "\n"}; };
  unsigned char buf[250] = {};
  ViInt32 count = sizeof buf;
  ASSERT_EQ(viQueryf(s, "CURV?\n", "%#b", &count, buf), VI_SUCCESS);
  EXPECT_EQ(count, 250);
  EXPECT_EQ(std::memcmp(buf, data.data(), 250), 0);
}

TEST_F(CabiBlocks, ABlockCutShortIsAnErrorNeverSuccess) {
  dev->push("#3250" + curve(100), true);  // END after 100 of 250 bytes
  unsigned char buf[400];
  ViInt32 count = sizeof buf;
  EXPECT_EQ(viScanf(s, "%#b", &count, buf), VI_ERROR_INV_LENGTH);
  ViChar desc[256];
  ASSERT_EQ(viStatusDesc(s, VI_ERROR_INV_LENGTH, desc), VI_SUCCESS);
  EXPECT_NE(std::string(desc).find("100 of the 250 data bytes"), std::string::npos) << desc;
  // The device stops sending mid-block (no END): the read's timeout, not success.
  dev->push("#3250" + curve(10), false);
  count = sizeof buf;
  EXPECT_EQ(viScanf(s, "%#b", &count, buf), VI_ERROR_TMO);
}

TEST_F(CabiBlocks, AWrongItemSizeSaysTheNumbers) {
  dev->push("#17abcdefg\n", true);
  ViInt32 words[4];
  ViInt32 count = 4;
  EXPECT_EQ(viScanf(s, "%#lb", &count, words), VI_ERROR_INV_LENGTH);
  ViChar desc[256];
  ASSERT_EQ(viStatusDesc(s, VI_ERROR_INV_LENGTH, desc), VI_SUCCESS);
  EXPECT_NE(std::string(desc).find("7 data bytes are not a multiple of the item size (4 bytes)"), std::string::npos)
      << desc;
}

TEST_F(CabiBlocks, ViReadKeepsTheBytesOfATimeoutAndSaysHowTheyEnded) {
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TERMCHAR, '\r'), VI_SUCCESS);
  const std::string answer = "+1.23456789E+00,+2.00000000E-003\n\n";  // 34 bytes
  dev->push(answer, false);
  char buf[100];
  ViUInt32 n = 0;
  ViStatus st = viRead(s, reinterpret_cast<ViPBuf>(buf), sizeof buf, &n);
  EXPECT_EQ(st, VI_ERROR_TMO);
  EXPECT_EQ(std::string(buf, n), answer);
  ViChar desc[256];
  ASSERT_EQ(viStatusDesc(s, st, desc), VI_SUCCESS);
  EXPECT_NE(std::string(desc).find("34 bytes received ending in '\\n'"), std::string::npos) << desc;
  EXPECT_NE(std::string(desc).find("VI_ATTR_TERMCHAR_EN) is '\\r'"), std::string::npos) << desc;
}

TEST_F(CabiBlocks, ViReadKeepsTheBytesOfAHangUp) {
  dev->push("partial answer", false);
  dev->hang_up();
  char buf[100];
  ViUInt32 n = 0;
  ViStatus st = viRead(s, reinterpret_cast<ViPBuf>(buf), sizeof buf, &n);
  EXPECT_EQ(st, VI_ERROR_CONN_LOST);
  EXPECT_EQ(std::string(buf, n), "partial answer");
  ViChar desc[256];
  ASSERT_EQ(viStatusDesc(s, st, desc), VI_SUCCESS);
  EXPECT_NE(std::string(desc).find("14 bytes received ending in 'r'"), std::string::npos) << desc;
}

TEST_F(CabiBlocks, OneViScanfIsBoundedByItsTimeoutWhateverTheDeviceTrickles) {
  // Reads of 4 bytes each complete (VI_SUCCESS_MAX_CNT) in 20 ms; the message never ends.
  ASSERT_EQ(viSetBuf(s, VI_READ_BUF, 4), VI_SUCCESS);
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TMO_VALUE, 300), VI_SUCCESS);
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    while (!stop) {
      dev->push("z", false);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  char text[100000];
  auto start = std::chrono::steady_clock::now();
  ViStatus st = viScanf(s, "%t", text);
  auto elapsed = std::chrono::steady_clock::now() - start;
  stop = true;
  trickle.join();
  EXPECT_EQ(st, VI_ERROR_TMO);
  EXPECT_LT(elapsed, std::chrono::milliseconds(300 * 11 / 10 + 250));
}

TEST_F(CabiBlocks, IndefiniteBlockEndsAtTheTerminationCharacterWhenEndIsSuppressed) {
  // A SOCKET's reads never report END (VI_ATTR_SUPPRESS_END_EN): the termination character
  // after an indefinite block's data ends it, whether the first refill holds the whole block or
  // the block arrives in pieces.
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_SUPPRESS_END_EN, VI_TRUE), VI_SUCCESS);
  dev->push("#0abc\n", false);
  dev->push("42\n", false);
  unsigned char buf[16] = {};
  ViInt32 count = sizeof buf;
  ASSERT_EQ(viScanf(s, "%#b", &count, buf), VI_SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), static_cast<std::size_t>(std::max(count, 0))), "abc");
  int next = 0;
  ASSERT_EQ(viScanf(s, "%d", &next), VI_SUCCESS);
  EXPECT_EQ(next, 42);
  ASSERT_EQ(viSetBuf(s, VI_READ_BUF, 4), VI_SUCCESS);  // the header and data over several refills
  dev->push("#0abcdefgh\n", false);
  count = sizeof buf;
  ASSERT_EQ(viScanf(s, "%#b", &count, buf), VI_SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), static_cast<std::size_t>(std::max(count, 0))), "abcdefgh");
}

TEST_F(CabiBlocks, ABlockLargerThanTheArrayIsReadToItsEndKeepingWhatFits) {
  // The array's count bounds what is stored (and the memory used): the rest of the block is
  // read and dropped, never taken for the next value.
  const std::string data = curve(100000);
  dev->push("#6100000" + data + "\n", true);
  dev->push("42\n", true);
  unsigned char buf[16] = {};
  ViInt32 count = sizeof buf;
  ASSERT_EQ(viScanf(s, "%#b", &count, buf), VI_SUCCESS);
  EXPECT_EQ(count, 16);
  EXPECT_EQ(std::memcmp(buf, data.data(), sizeof buf), 0);
  int next = 0;
  ASSERT_EQ(viScanf(s, "%d", &next), VI_SUCCESS);
  EXPECT_EQ(next, 42);
}
