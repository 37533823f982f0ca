// The C API of libvisa.so over the simulation backend (the bundled instruments), when this
// build has one: formatted queries, binary blocks, service requests, locks across RMs.
#include "cabi/library.hpp"

#include <visa.h>

#include <cppvisa/backend.hpp>
#include <cppvisa/error.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr const char* kScope = "TCPIP0::sim-scope::inst0::INSTR";

class CabiSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::shared_ptr<cppvisa::Backend> sim;
    try {
      sim = cppvisa::open_backend("@sim");
    } catch (const cppvisa::VisaIOError&) {
      GTEST_SKIP() << "no simulation backend in this build";
    }
    cppvisa::cabi::Library::instance().set_backends({sim});
    ASSERT_EQ(viOpenDefaultRM(&rm), VI_SUCCESS);
    ASSERT_EQ(viOpen(rm, kScope, VI_NULL, VI_NULL, &scope), VI_SUCCESS);
    ASSERT_EQ(viSetAttribute(scope, VI_ATTR_TMO_VALUE, 5000), VI_SUCCESS);
  }
  void TearDown() override {
    if (rm) viClose(rm);
    cppvisa::cabi::Library::instance().set_backends({});
  }
  ViSession rm = VI_NULL, scope = VI_NULL;
};

}  // namespace

TEST_F(CabiSimTest, FindAndQueryTheOscilloscope) {
  ViFindList list = VI_NULL;
  ViUInt32 count = 0;
  ViChar name[VI_FIND_BUFLEN];
  ASSERT_EQ(viFindRsrc(rm, "?*sim-scope?*INSTR", &list, &count, name), VI_SUCCESS);
  EXPECT_EQ(count, 1u);
  EXPECT_STREQ(name, kScope);
  viClose(list);
  ViChar idn[256] = "";
  ASSERT_EQ(viQueryf(scope, "*IDN?\n", "%255[^\n]", idn), VI_SUCCESS);
  EXPECT_STREQ(idn, "CPPVISA,SIMSCOPE-1000,SIM0001,1.0");
  int points = 0;
  ASSERT_EQ(viPrintf(scope, ":WAV:POIN %d\n", 2500), VI_SUCCESS);
  ASSERT_EQ(viQueryf(scope, ":WAV:POIN?\n", "%d", &points), VI_SUCCESS);
  EXPECT_EQ(points, 2500);
  double freq = 0;
  ASSERT_EQ(viQueryf(scope, ":MEAS:FREQ?\n", "%lf", &freq), VI_SUCCESS);
  EXPECT_NEAR(freq, 1000.0, 1.0);
}

TEST_F(CabiSimTest, BinaryWaveformsThroughScanf) {
  ASSERT_EQ(viPrintf(scope, ":WAV:POIN 1000\n"), VI_SUCCESS);
  std::vector<signed char> samples(2000);
  ViInt32 n = static_cast<ViInt32>(samples.size());
  ASSERT_EQ(viQueryf(scope, "CURV?\n", "%#b", &n, samples.data()), VI_SUCCESS);
  EXPECT_EQ(n, 1000);
  std::vector<ViInt16> words(1000);
  n = 1000;
  ASSERT_EQ(viQueryf(scope, ":WAV:DATA?\n", "%!ol#hb", &n, words.data()), VI_SUCCESS);
  EXPECT_EQ(n, 1000);
  // raw reads of the same block agree on its size: #<digits><1000 x 2 bytes>\n
  ASSERT_EQ(viPrintf(scope, ":WAV:DATA?\n"), VI_SUCCESS);
  std::vector<ViByte> raw(4096);
  ViUInt32 got = 0;
  ViStatus st = viRead(scope, raw.data(), static_cast<ViUInt32>(raw.size()), &got);
  EXPECT_EQ(st, VI_SUCCESS);
  EXPECT_EQ(got, 2u + 4u + 2000u + 1u);
}

TEST_F(CabiSimTest, ServiceRequestThroughTheQueue) {
  ASSERT_EQ(viEnableEvent(scope, VI_EVENT_SERVICE_REQ, VI_QUEUE, VI_NULL), VI_SUCCESS);
  ASSERT_EQ(viPrintf(scope, "*SRE 16\n"), VI_SUCCESS);
  ASSERT_EQ(viPrintf(scope, "*IDN?\n"), VI_SUCCESS);
  ViEventType type = 0;
  ViEvent ctx = VI_NULL;
  ASSERT_EQ(viWaitOnEvent(scope, VI_EVENT_SERVICE_REQ, 5000, &type, &ctx), VI_SUCCESS);
  EXPECT_EQ(type, VI_EVENT_SERVICE_REQ);
  EXPECT_EQ(viClose(ctx), VI_SUCCESS);
  ViUInt16 stb = 0;
  ASSERT_EQ(viReadSTB(scope, &stb), VI_SUCCESS);
  EXPECT_TRUE(stb & 0x10);  // MAV: the reply is still there
  ViChar idn[256] = "";
  ASSERT_EQ(viScanf(scope, "%t", idn), VI_SUCCESS);
  EXPECT_STREQ(idn, "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
  EXPECT_EQ(viDisableEvent(scope, VI_ALL_ENABLED_EVENTS, VI_ALL_MECH), VI_SUCCESS);
}

TEST_F(CabiSimTest, ExclusiveLockKeepsAnotherResourceManagerOut) {
  ViSession rm2 = VI_NULL, other = VI_NULL;
  ASSERT_EQ(viOpenDefaultRM(&rm2), VI_SUCCESS);
  ASSERT_EQ(viOpen(rm2, kScope, VI_NULL, VI_NULL, &other), VI_SUCCESS);
  ASSERT_EQ(viSetAttribute(other, VI_ATTR_TMO_VALUE, 200), VI_SUCCESS);
  ASSERT_EQ(viLock(scope, VI_EXCLUSIVE_LOCK, 1000, VI_NULL, VI_NULL), VI_SUCCESS);
  ViUInt32 n = 0;
  ViStatus st = viWrite(other, reinterpret_cast<ViConstBuf>("*IDN?\n"), 6, &n);
  EXPECT_TRUE(st == VI_ERROR_RSRC_LOCKED || st == VI_ERROR_TMO) << st;
  ASSERT_EQ(viUnlock(scope), VI_SUCCESS);
  EXPECT_EQ(viWrite(other, reinterpret_cast<ViConstBuf>("*IDN?\n"), 6, &n), VI_SUCCESS);
  EXPECT_EQ(viClose(rm2), VI_SUCCESS);
  EXPECT_EQ(viClose(other), VI_ERROR_INV_OBJECT);  // closed with its resource manager
}
