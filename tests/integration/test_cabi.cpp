// The C API of libvisa.so (every vi* function) over a fake backend registered in-test:
// results, statuses, exact attribute widths, wrong handles, null pointers, small buffers.
#include "fake_visa_backend.hpp"

#include "cabi/library.hpp"

#include <visa.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using cppvisa::testing::FakeVisaBackend;

namespace {

class CabiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake = std::make_shared<FakeVisaBackend>();
    cppvisa::cabi::Library::instance().set_backends({fake});
    ASSERT_EQ(viOpenDefaultRM(&rm), VI_SUCCESS);
  }
  void TearDown() override {
    viClose(rm);
    cppvisa::cabi::Library::instance().set_backends({});
  }
  ViSession open_tcpip() {
    ViSession s = VI_NULL;
    EXPECT_EQ(viOpen(rm, FakeVisaBackend::kTcpip, VI_NULL, VI_NULL, &s), VI_SUCCESS);
    return s;
  }
  std::string read_all(ViSession s) {
    char buf[512];
    ViUInt32 n = 0;
    ViStatus st = viRead(s, reinterpret_cast<ViPBuf>(buf), sizeof buf, &n);
    EXPECT_GE(st, VI_SUCCESS);
    return std::string(buf, n);
  }
  std::shared_ptr<FakeVisaBackend> fake;
  ViSession rm = VI_NULL;
};

ViStatus write_str(ViSession s, const std::string& text) {
  ViUInt32 n = 0;
  return viWrite(s, reinterpret_cast<ViConstBuf>(text.data()), static_cast<ViUInt32>(text.size()), &n);
}

}  // namespace

TEST_F(CabiTest, ResourceManagersAreDistinctNonZeroAndCloseOnce) {
  ViSession rm2 = VI_NULL;
  ASSERT_EQ(viOpenDefaultRM(&rm2), VI_SUCCESS);
  EXPECT_NE(rm2, VI_NULL);
  EXPECT_NE(rm2, rm);
  EXPECT_EQ(viClose(rm2), VI_SUCCESS);
  EXPECT_EQ(viClose(rm2), VI_ERROR_INV_OBJECT);
  EXPECT_EQ(viClose(VI_NULL), VI_WARN_NULL_OBJECT);
  EXPECT_EQ(viOpenDefaultRM(nullptr), VI_ERROR_INV_PARAMETER);
  EXPECT_EQ(viClose(0xDEADBEEF), VI_ERROR_INV_OBJECT);
}

TEST_F(CabiTest, ResourceManagerAttributes) {
  ViChar text[256];
  ASSERT_EQ(viGetAttribute(rm, VI_ATTR_RSRC_MANF_NAME, text), VI_SUCCESS);
  EXPECT_STREQ(text, "cppvisa");  // libvisa.so's own name, whatever the backends
  ViVersion spec = 0;
  ASSERT_EQ(viGetAttribute(rm, VI_ATTR_RSRC_SPEC_VERSION, &spec), VI_SUCCESS);
  EXPECT_EQ(spec, VI_SPEC_VERSION);
  ViSession self = 123;
  ASSERT_EQ(viGetAttribute(rm, VI_ATTR_RM_SESSION, &self), VI_SUCCESS);
  EXPECT_EQ(self, VI_NULL);
}

TEST_F(CabiTest, FindRsrcWalksTheMatchesAndReportsNoMatch) {
  ViFindList list = VI_NULL;
  ViUInt32 count = 0;
  ViChar desc[VI_FIND_BUFLEN];
  ASSERT_EQ(viFindRsrc(rm, "?*", &list, &count, desc), VI_SUCCESS);
  EXPECT_EQ(count, 2u);  // the count includes the first match
  EXPECT_STREQ(desc, FakeVisaBackend::kTcpip);
  ASSERT_EQ(viFindNext(list, desc), VI_SUCCESS);
  EXPECT_STREQ(desc, FakeVisaBackend::kSerial);
  EXPECT_EQ(viFindNext(list, desc), VI_ERROR_RSRC_NFOUND);
  EXPECT_EQ(viFindNext(list, nullptr), VI_ERROR_INV_PARAMETER);
  EXPECT_EQ(viClose(list), VI_SUCCESS);
  EXPECT_EQ(viFindNext(list, desc), VI_ERROR_INV_OBJECT);

  list = 77;
  EXPECT_EQ(viFindRsrc(rm, "GPIB?*", &list, &count, desc), VI_ERROR_RSRC_NFOUND);
  EXPECT_EQ(list, VI_NULL);  // no find list is allocated (PyVISA never closes it)
  EXPECT_EQ(count, 0u);
  EXPECT_EQ(viFindRsrc(rm, "ASRL[0-9]*::?*INSTR", &list, &count, desc), VI_SUCCESS);
  EXPECT_EQ(count, 1u);
  EXPECT_EQ(viFindRsrc(rm, "(?*", &list, &count, desc), VI_ERROR_INV_EXPR);
  EXPECT_EQ(viFindRsrc(rm, "?*", nullptr, nullptr, desc), VI_SUCCESS);  // optional outputs
  EXPECT_EQ(viFindRsrc(0xDEADBEEF, "?*", &list, &count, desc), VI_ERROR_INV_OBJECT);
  ViSession s = open_tcpip();
  EXPECT_EQ(viFindRsrc(s, "?*", &list, &count, desc), VI_ERROR_NSUP_OPER);
}

TEST_F(CabiTest, ClosingTheResourceManagerClosesItsFindListsAndSessions) {
  ViFindList list = VI_NULL;
  ViUInt32 count = 0;
  ViChar desc[VI_FIND_BUFLEN];
  ASSERT_EQ(viFindRsrc(rm, "?*", &list, &count, desc), VI_SUCCESS);
  ViSession s = open_tcpip();
  ASSERT_EQ(viClose(rm), VI_SUCCESS);
  EXPECT_EQ(viFindNext(list, desc), VI_ERROR_INV_OBJECT);
  EXPECT_EQ(write_str(s, "*IDN?\n"), VI_ERROR_INV_OBJECT);
  EXPECT_EQ(viClose(s), VI_ERROR_INV_OBJECT);
  ASSERT_EQ(viOpenDefaultRM(&rm), VI_SUCCESS);  // for TearDown
}

TEST_F(CabiTest, ParseRsrcGivesTheCanonicalNameClassAndAlias) {
  ViUInt16 type = 0, board = 99;
  ViChar cls[256], expanded[256], alias[256];
  ASSERT_EQ(viParseRsrcEx(rm, "tcpip::fake.example::INSTR", &type, &board, cls, expanded, alias), VI_SUCCESS);
  EXPECT_EQ(type, VI_INTF_TCPIP);
  EXPECT_EQ(board, 0);
  EXPECT_STREQ(cls, "INSTR");
  EXPECT_STREQ(expanded, FakeVisaBackend::kTcpip);
  EXPECT_STREQ(alias, "");
  ASSERT_EQ(viParseRsrcEx(rm, "myscope", &type, &board, cls, expanded, alias), VI_SUCCESS);
  EXPECT_STREQ(alias, "myscope");
  EXPECT_STREQ(expanded, FakeVisaBackend::kTcpip);
  ASSERT_EQ(viParseRsrc(rm, "ASRL3::INSTR", &type, &board), VI_SUCCESS);
  EXPECT_EQ(type, VI_INTF_ASRL);
  EXPECT_EQ(board, 3);
  EXPECT_EQ(viParseRsrcEx(rm, "GPIB0::12::INSTR", nullptr, nullptr, nullptr, nullptr, nullptr), VI_SUCCESS);
  EXPECT_EQ(viParseRsrc(rm, "NOT A NAME", &type, &board), VI_ERROR_INV_RSRC_NAME);
  EXPECT_EQ(viParseRsrc(rm, nullptr, &type, &board), VI_ERROR_INV_PARAMETER);
  EXPECT_EQ(viParseRsrc(0xDEADBEEF, "ASRL1::INSTR", &type, &board), VI_ERROR_INV_OBJECT);
}

TEST_F(CabiTest, OpenChecksItsArguments) {
  ViSession s = 5;
  EXPECT_EQ(viOpen(rm, "TCPIP0::nowhere::inst0::INSTR", VI_NULL, VI_NULL, &s), VI_ERROR_RSRC_NFOUND);
  EXPECT_EQ(s, VI_NULL);
  EXPECT_EQ(viOpen(rm, "garbage", VI_NULL, VI_NULL, &s), VI_ERROR_INV_RSRC_NAME);
  EXPECT_EQ(viOpen(rm, FakeVisaBackend::kTcpip, 8, VI_NULL, &s), VI_ERROR_INV_ACC_MODE);
  EXPECT_EQ(viOpen(rm, FakeVisaBackend::kTcpip, VI_NULL, VI_NULL, nullptr), VI_ERROR_INV_PARAMETER);
  EXPECT_EQ(viOpen(rm, nullptr, VI_NULL, VI_NULL, &s), VI_ERROR_INV_PARAMETER);
  EXPECT_EQ(viOpen(0xDEADBEEF, FakeVisaBackend::kTcpip, VI_NULL, VI_NULL, &s), VI_ERROR_INV_OBJECT);
  ViSession a = open_tcpip(), b = open_tcpip();
  EXPECT_NE(a, b);  // every viOpen gives a new session
  EXPECT_EQ(viOpen(a, FakeVisaBackend::kTcpip, VI_NULL, VI_NULL, &s), VI_ERROR_NSUP_OPER);
  ViSession owner = 0;
  ASSERT_EQ(viGetAttribute(a, VI_ATTR_RM_SESSION, &owner), VI_SUCCESS);
  EXPECT_EQ(owner, rm);  // our RM handle, not the backend's
  ASSERT_EQ(viOpen(rm, "myscope", VI_NULL, VI_NULL, &s), VI_SUCCESS);
  EXPECT_EQ(viClose(s), VI_SUCCESS);
  EXPECT_EQ(viClose(s), VI_ERROR_INV_OBJECT);
}

TEST_F(CabiTest, AttributesAreWrittenWithTheirExactWidth) {
  ViSession s = open_tcpip();
  unsigned char guard[16];
  auto fill = [&] { std::memset(guard, 0xAA, sizeof guard); };
  auto untouched_from = [&](std::size_t n) {
    for (std::size_t i = n; i < sizeof guard; ++i)
      if (guard[i] != 0xAA) return false;
    return true;
  };
  fill();
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_TERMCHAR, guard), VI_SUCCESS);
  EXPECT_EQ(guard[0], '\n');
  EXPECT_TRUE(untouched_from(1));  // ViUInt8
  fill();
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_SEND_END_EN, guard), VI_SUCCESS);
  EXPECT_EQ(guard[0], 1);
  EXPECT_EQ(guard[1], 0);
  EXPECT_TRUE(untouched_from(2));  // ViBoolean is 16 bits
  fill();
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_TMO_VALUE, guard), VI_SUCCESS);
  EXPECT_TRUE(untouched_from(4));  // ViUInt32
  ViUInt32 tmo = 0;
  std::memcpy(&tmo, guard, 4);
  EXPECT_EQ(tmo, 2000u);
  fill();
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_TRIG_ID, guard), VI_SUCCESS);
  EXPECT_TRUE(untouched_from(2));  // ViInt16
  ViInt16 trig = 0;
  std::memcpy(&trig, guard, 2);
  EXPECT_EQ(trig, VI_TRIG_SW);
  fill();
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_USER_DATA, guard), VI_SUCCESS);
  EXPECT_TRUE(untouched_from(8));  // ViUInt64 on LP64

  ViChar name[256];
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_RSRC_NAME, name), VI_SUCCESS);
  EXPECT_STREQ(name, FakeVisaBackend::kTcpip);
  ViUInt16 intf = 0;
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_INTF_TYPE, &intf), VI_SUCCESS);
  EXPECT_EQ(intf, VI_INTF_TCPIP);

  EXPECT_EQ(viGetAttribute(s, VI_ATTR_TMO_VALUE, nullptr), VI_ERROR_INV_PARAMETER);
  EXPECT_EQ(viGetAttribute(s, 0x3FFFFFF0, &tmo), VI_ERROR_NSUP_ATTR);
  EXPECT_EQ(viGetAttribute(s, VI_ATTR_ASRL_BAUD, &tmo), VI_ERROR_NSUP_ATTR);
  EXPECT_EQ(viGetAttribute(0xDEADBEEF, VI_ATTR_TMO_VALUE, &tmo), VI_ERROR_INV_OBJECT);
}

TEST_F(CabiTest, SetAttributeTruncatesTheAttrStateToTheAttributeWidth) {
  ViSession s = open_tcpip();
  ViUInt32 tmo = 0;
  // PyVISA 1.11.3 passes -1 zero-extended, master sign-extended: both mean VI_TMO_INFINITE.
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TMO_VALUE, 0xFFFFFFFFull), VI_SUCCESS);
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_TMO_VALUE, &tmo), VI_SUCCESS);
  EXPECT_EQ(tmo, VI_TMO_INFINITE);
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TMO_VALUE, 1234), VI_SUCCESS);
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TMO_VALUE, 0xFFFFFFFFFFFFFFFFull), VI_SUCCESS);
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_TMO_VALUE, &tmo), VI_SUCCESS);
  EXPECT_EQ(tmo, VI_TMO_INFINITE);
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TERMCHAR, 0x10D), VI_SUCCESS);  // a ViUInt8: 0x0D
  ViUInt8 term = 0;
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_TERMCHAR, &term), VI_SUCCESS);
  EXPECT_EQ(term, 0x0D);
  ViInt16 trig = 0;
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TRIG_ID, 0xFFFFull), VI_SUCCESS);  // -1 zero-extended from 16 bits
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_TRIG_ID, &trig), VI_SUCCESS);
  EXPECT_EQ(trig, -1);
  EXPECT_EQ(viSetAttribute(s, VI_ATTR_TERMCHAR_EN, 7), VI_ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(viSetAttribute(s, VI_ATTR_RSRC_NAME, 0), VI_ERROR_ATTR_READONLY);
  EXPECT_EQ(viSetAttribute(s, VI_ATTR_INTF_TYPE, 1), VI_ERROR_ATTR_READONLY);
  EXPECT_EQ(viSetAttribute(s, VI_ATTR_RD_BUF_SIZE, 10), VI_ERROR_ATTR_READONLY);
  EXPECT_EQ(viSetAttribute(s, 0x3FFFFFF0, 1), VI_ERROR_NSUP_ATTR);
  EXPECT_EQ(viSetAttribute(0xDEADBEEF, VI_ATTR_TMO_VALUE, 1), VI_ERROR_INV_OBJECT);
  ViUInt16 mode = 0;
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_WR_BUF_OPER_MODE, &mode), VI_SUCCESS);
  EXPECT_EQ(mode, VI_FLUSH_WHEN_FULL);
  EXPECT_EQ(viSetAttribute(s, VI_ATTR_WR_BUF_OPER_MODE, VI_FLUSH_DISABLE), VI_ERROR_NSUP_ATTR_STATE);
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_RD_BUF_OPER_MODE, VI_FLUSH_ON_ACCESS), VI_SUCCESS);
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_RD_BUF_OPER_MODE, &mode), VI_SUCCESS);
  EXPECT_EQ(mode, VI_FLUSH_ON_ACCESS);
}

TEST_F(CabiTest, StatusDescriptionsForAnyObject) {
  ViChar desc[256];
  std::memset(desc, 'z', sizeof desc);
  ASSERT_EQ(viStatusDesc(VI_NULL, VI_ERROR_TMO, desc), VI_SUCCESS);
  EXPECT_GT(std::strlen(desc), 3u);
  EXPECT_LT(std::strlen(desc), 256u);
  for (const char* p = desc; *p; ++p) EXPECT_LT(static_cast<unsigned char>(*p), 0x80);
  EXPECT_EQ(viStatusDesc(0xDEADBEEF, VI_SUCCESS_MAX_CNT, desc), VI_SUCCESS);
  EXPECT_EQ(viStatusDesc(rm, static_cast<ViStatus>(0xBFFF7777), desc), VI_WARN_UNKNOWN_STATUS);
  EXPECT_NE(std::string(desc).find("BFFF7777"), std::string::npos);
  EXPECT_EQ(viStatusDesc(rm, VI_ERROR_TMO, nullptr), VI_ERROR_INV_PARAMETER);
}

TEST_F(CabiTest, ReadWriteWithEndTermcharAndMaxCount) {
  ViSession s = open_tcpip();
  ASSERT_EQ(write_str(s, "*IDN?\n"), VI_SUCCESS);
  EXPECT_EQ(read_all(s), "FAKE,Model 1,SN42,1.0\n");
  // a read of 4 bytes at a time walks through the message
  ASSERT_EQ(write_str(s, "ECHO abcdefgh"), VI_SUCCESS);
  ViByte buf[4];
  ViUInt32 n = 0;
  EXPECT_EQ(viRead(s, buf, 4, &n), VI_SUCCESS_MAX_CNT);
  EXPECT_EQ(n, 4u);
  EXPECT_EQ(viRead(s, buf, 4, &n), VI_SUCCESS_MAX_CNT);
  EXPECT_EQ(viRead(s, buf, 4, &n), VI_SUCCESS);
  EXPECT_EQ(n, 1u);
  // termination character
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TERMCHAR, ','), VI_SUCCESS);
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TERMCHAR_EN, VI_TRUE), VI_SUCCESS);
  ASSERT_EQ(write_str(s, "ECHO a,b"), VI_SUCCESS);
  ViByte big[64];
  EXPECT_EQ(viRead(s, big, sizeof big, &n), VI_SUCCESS_TERM_CHAR);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(big), n), "a,");
  EXPECT_EQ(viRead(s, big, sizeof big, nullptr), VI_SUCCESS);  // retCnt may be VI_NULL
  EXPECT_EQ(viRead(s, big, sizeof big, &n), VI_ERROR_TMO);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(viRead(s, nullptr, 10, &n), VI_ERROR_INV_PARAMETER);
  EXPECT_EQ(viWrite(s, nullptr, 10, &n), VI_ERROR_INV_PARAMETER);
  EXPECT_EQ(viRead(rm, big, 4, &n), VI_ERROR_NSUP_OPER);
  EXPECT_EQ(viRead(0xDEADBEEF, big, 4, &n), VI_ERROR_INV_OBJECT);
  EXPECT_EQ(viWrite(0xDEADBEEF, big, 4, &n), VI_ERROR_INV_OBJECT);
}

namespace {
struct HandlerLog {
  std::atomic<int> calls{0};  // handlers of completions run on the library's pool threads
  ViSession session = 0;
  ViEventType type = 0;
  ViStatus status = 1;
  ViUInt32 job = 0;
  ViUInt64 count = 0;
  std::string oper;
};
ViStatus io_handler(ViSession vi, ViEventType type, ViEvent event, ViAddr user) {
  auto* log = static_cast<HandlerLog*>(user);
  log->session = vi;
  log->type = type;
  viGetAttribute(event, VI_ATTR_STATUS, &log->status);
  viGetAttribute(event, VI_ATTR_JOB_ID, &log->job);
  viGetAttribute(event, VI_ATTR_RET_COUNT, &log->count);
  ViChar name[256] = "";
  viGetAttribute(event, VI_ATTR_OPER_NAME, name);
  log->oper = name;
  ++log->calls;  // last: a reader that sees the count sees the fields
  return VI_SUCCESS;
}

/// Waits (up to 5 s) until `done`: for what a library thread does.
template <class F>
bool eventually(F done) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}
}  // namespace

TEST_F(CabiTest, AsyncReadPostsAnIoCompletionEventToTheQueue) {
  ViSession s = open_tcpip();
  ViEventType type = 0;
  ViEvent ctx = 0;
  EXPECT_EQ(viWaitOnEvent(s, VI_EVENT_IO_COMPLETION, 0, &type, &ctx), VI_ERROR_NENABLED);
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, VI_QUEUE, VI_NULL), VI_SUCCESS);
  EXPECT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, VI_QUEUE, VI_NULL), VI_SUCCESS_EVENT_EN);
  EXPECT_EQ(viWaitOnEvent(s, VI_EVENT_IO_COMPLETION, 0, &type, &ctx), VI_ERROR_TMO);
  ASSERT_EQ(write_str(s, "ECHO test"), VI_SUCCESS);
  ViByte buf[10];
  ViJobId job = 0;
  ASSERT_EQ(viReadAsync(s, buf, sizeof buf, &job), VI_SUCCESS);  // queued: completes on the pool
  EXPECT_NE(job, 0u);
  ASSERT_EQ(viWaitOnEvent(s, VI_EVENT_IO_COMPLETION, 2000, &type, &ctx), VI_SUCCESS);
  EXPECT_EQ(type, VI_EVENT_IO_COMPLETION);
  ViStatus st = 1;
  ViUInt32 job_id = 0, count32 = 0;
  ViUInt64 count = 0;
  ViEventType ev_type = 0;
  ViChar oper[256];
  ViAddr buffer = nullptr;
  ASSERT_EQ(viGetAttribute(ctx, VI_ATTR_STATUS, &st), VI_SUCCESS);
  EXPECT_EQ(st, VI_SUCCESS);
  ASSERT_EQ(viGetAttribute(ctx, VI_ATTR_JOB_ID, &job_id), VI_SUCCESS);
  EXPECT_EQ(job_id, job);
  ASSERT_EQ(viGetAttribute(ctx, VI_ATTR_RET_COUNT, &count), VI_SUCCESS);
  EXPECT_EQ(count, 5u);
  ASSERT_EQ(viGetAttribute(ctx, VI_ATTR_RET_COUNT_32, &count32), VI_SUCCESS);
  EXPECT_EQ(count32, 5u);
  ASSERT_EQ(viGetAttribute(ctx, VI_ATTR_OPER_NAME, oper), VI_SUCCESS);
  EXPECT_STREQ(oper, "viReadAsync");
  ASSERT_EQ(viGetAttribute(ctx, VI_ATTR_EVENT_TYPE, &ev_type), VI_SUCCESS);
  EXPECT_EQ(ev_type, VI_EVENT_IO_COMPLETION);
  ASSERT_EQ(viGetAttribute(ctx, VI_ATTR_BUFFER, &buffer), VI_SUCCESS);
  EXPECT_EQ(buffer, static_cast<void*>(buf));
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 5), "test\n");
  EXPECT_EQ(viSetAttribute(ctx, VI_ATTR_STATUS, 0), VI_ERROR_ATTR_READONLY);
  EXPECT_EQ(viClose(ctx), VI_SUCCESS);
  EXPECT_EQ(viClose(ctx), VI_ERROR_INV_OBJECT);

  // a failed read (nothing to read) is reported in the event
  ASSERT_EQ(viReadAsync(s, buf, sizeof buf, &job), VI_SUCCESS);
  ASSERT_EQ(viWaitOnEvent(s, VI_ALL_ENABLED_EVENTS, 10000, &type, &ctx), VI_SUCCESS);
  EXPECT_EQ(type, VI_EVENT_IO_COMPLETION);
  ASSERT_EQ(viGetAttribute(ctx, VI_ATTR_STATUS, &st), VI_SUCCESS);
  EXPECT_EQ(st, VI_ERROR_TMO);
  EXPECT_EQ(viClose(ctx), VI_SUCCESS);
  EXPECT_EQ(viDiscardEvents(s, VI_EVENT_IO_COMPLETION, VI_QUEUE), VI_SUCCESS_QUEUE_EMPTY);
  EXPECT_EQ(viDisableEvent(s, VI_EVENT_IO_COMPLETION, VI_QUEUE), VI_SUCCESS);
  EXPECT_EQ(viDisableEvent(s, VI_EVENT_IO_COMPLETION, VI_QUEUE), VI_SUCCESS_EVENT_DIS);
  // not enabled: a failed asynchronous read reports its error directly
  EXPECT_EQ(viReadAsync(s, buf, sizeof buf, &job), VI_ERROR_TMO);
  EXPECT_EQ(viTerminate(s, VI_NULL, job), VI_ERROR_INV_JOB_ID);  // it is not pending
  EXPECT_EQ(viTerminate(s, VI_NULL, VI_NULL), VI_SUCCESS);
  EXPECT_EQ(viTerminate(s, 3, VI_NULL), VI_ERROR_INV_DEGREE);
}

TEST_F(CabiTest, AsyncWriteRunsTheIoCompletionHandlers) {
  ViSession s = open_tcpip();
  HandlerLog log;
  EXPECT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, VI_HNDLR, VI_NULL), VI_ERROR_HNDLR_NINSTALLED);
  EXPECT_EQ(viInstallHandler(s, VI_EVENT_IO_COMPLETION, nullptr, &log), VI_ERROR_INV_HNDLR_REF);
  ASSERT_EQ(viInstallHandler(s, VI_EVENT_IO_COMPLETION, io_handler, &log), VI_SUCCESS);
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, VI_HNDLR, VI_NULL), VI_SUCCESS);
  const char cmd[] = "*IDN?\n";
  ViJobId job = 0;
  ASSERT_EQ(viWriteAsync(s, reinterpret_cast<ViConstBuf>(cmd), 6, &job), VI_SUCCESS);
  ASSERT_TRUE(eventually([&] { return log.calls == 1; }));  // on a pool thread
  EXPECT_EQ(log.session, s);
  EXPECT_EQ(log.type, VI_EVENT_IO_COMPLETION);
  EXPECT_EQ(log.status, VI_SUCCESS);
  EXPECT_EQ(log.job, job);
  EXPECT_EQ(log.count, 6u);
  EXPECT_EQ(log.oper, "viWriteAsync");
  // suspended: kept until handlers are enabled again (the queue, enabled too, shows that the
  // completions have come)
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, VI_SUSPEND_HNDLR, VI_NULL), VI_SUCCESS);
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, VI_QUEUE, VI_NULL), VI_SUCCESS);
  ASSERT_EQ(viWriteAsync(s, reinterpret_cast<ViConstBuf>(cmd), 6, &job), VI_SUCCESS);
  ASSERT_EQ(viWriteAsync(s, reinterpret_cast<ViConstBuf>(cmd), 6, &job), VI_SUCCESS);
  ViEventType type = 0;
  ASSERT_GE(viWaitOnEvent(s, VI_EVENT_IO_COMPLETION, 5000, &type, VI_NULL), VI_SUCCESS);
  ASSERT_GE(viWaitOnEvent(s, VI_EVENT_IO_COMPLETION, 5000, &type, VI_NULL), VI_SUCCESS);
  EXPECT_EQ(log.calls, 1);
  ASSERT_EQ(viDisableEvent(s, VI_EVENT_IO_COMPLETION, VI_QUEUE), VI_SUCCESS);
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, VI_HNDLR, VI_NULL), VI_SUCCESS);
  EXPECT_EQ(log.calls, 3);  // both suspended completions, delivered by viEnableEvent in this thread
  EXPECT_EQ(viUninstallHandler(s, VI_EVENT_IO_COMPLETION, io_handler, nullptr), VI_ERROR_INV_HNDLR_REF);
  EXPECT_EQ(viUninstallHandler(s, VI_EVENT_IO_COMPLETION, io_handler, &log), VI_SUCCESS);
  EXPECT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, 8, VI_NULL), VI_ERROR_INV_MECH);
  EXPECT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, VI_QUEUE, 1), VI_ERROR_INV_CONTEXT);
  EXPECT_EQ(viEnableEvent(s, VI_ALL_ENABLED_EVENTS, VI_QUEUE, VI_NULL), VI_ERROR_INV_EVENT);
}

TEST_F(CabiTest, BackendEventsServiceRequestQueueAndHandlers) {
  ViSession s = open_tcpip();
  // what PyVISA does on every close, with nothing enabled
  EXPECT_EQ(viDisableEvent(s, VI_ALL_ENABLED_EVENTS, VI_ALL_MECH), VI_SUCCESS_EVENT_DIS);
  EXPECT_EQ(viDiscardEvents(s, VI_ALL_ENABLED_EVENTS, VI_ALL_MECH), VI_SUCCESS_QUEUE_EMPTY);
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_SERVICE_REQ, VI_QUEUE, VI_NULL), VI_SUCCESS);
  ASSERT_EQ(write_str(s, "SRQ"), VI_SUCCESS);
  ViEventType type = 0;
  ViEvent ctx = 0;
  ASSERT_EQ(viWaitOnEvent(s, VI_EVENT_SERVICE_REQ, 1000, &type, &ctx), VI_SUCCESS);
  EXPECT_EQ(type, VI_EVENT_SERVICE_REQ);
  ViEventType ctx_type = 0;
  ASSERT_EQ(viGetAttribute(ctx, VI_ATTR_EVENT_TYPE, &ctx_type), VI_SUCCESS);  // routed to the backend
  EXPECT_EQ(ctx_type, VI_EVENT_SERVICE_REQ);
  EXPECT_EQ(viClose(ctx), VI_SUCCESS);
  ViUInt16 stb = 0;
  ASSERT_EQ(viReadSTB(s, &stb), VI_SUCCESS);
  EXPECT_EQ(stb, 0x40);
  EXPECT_EQ(viReadSTB(s, nullptr), VI_ERROR_INV_PARAMETER);
  EXPECT_EQ(viWaitOnEvent(s, VI_EVENT_SERVICE_REQ, 0, &type, &ctx), VI_ERROR_TMO);
  EXPECT_EQ(viDisableEvent(s, VI_ALL_ENABLED_EVENTS, VI_ALL_MECH), VI_SUCCESS);
  EXPECT_EQ(viDisableEvent(s, VI_ALL_ENABLED_EVENTS, 0x40), VI_ERROR_INV_MECH);

  HandlerLog log;
  ASSERT_EQ(viInstallHandler(s, VI_EVENT_SERVICE_REQ, io_handler, &log), VI_SUCCESS);
  ASSERT_EQ(write_str(s, "SRQ"), VI_SUCCESS);
  EXPECT_EQ(log.calls, 1);
  EXPECT_EQ(log.type, VI_EVENT_SERVICE_REQ);
  EXPECT_EQ(viUninstallHandler(s, VI_EVENT_SERVICE_REQ, io_handler, &log), VI_SUCCESS);
}

TEST_F(CabiTest, ClearTriggerFlushAndLocks) {
  ViSession s = open_tcpip();
  ASSERT_EQ(write_str(s, "*IDN?\n"), VI_SUCCESS);
  ASSERT_EQ(viClear(s), VI_SUCCESS);
  ViByte buf[8];
  ViUInt32 n = 0;
  EXPECT_EQ(viRead(s, buf, sizeof buf, &n), VI_ERROR_TMO);  // the reply was discarded
  ASSERT_EQ(viAssertTrigger(s, VI_TRIG_PROT_DEFAULT), VI_SUCCESS);
  EXPECT_EQ(fake->device(FakeVisaBackend::kTcpip).triggers, 1);
  EXPECT_EQ(viAssertTrigger(s, 99), VI_ERROR_INV_PROT);
  EXPECT_EQ(viFlush(s, VI_READ_BUF | VI_READ_BUF_DISCARD), VI_ERROR_INV_MASK);
  EXPECT_EQ(viFlush(s, VI_IO_OUT_BUF | VI_IO_OUT_BUF_DISCARD), VI_ERROR_INV_MASK);
  EXPECT_EQ(viFlush(s, VI_WRITE_BUF | VI_READ_BUF_DISCARD | VI_IO_IN_BUF), VI_SUCCESS);

  ViChar key[256];
  ASSERT_EQ(viLock(s, VI_SHARED_LOCK, 0, nullptr, key), VI_SUCCESS);
  EXPECT_STREQ(key, "fake-key-1");
  ViSession other = open_tcpip();
  ViChar key2[256];
  ASSERT_EQ(viLock(other, VI_SHARED_LOCK, 0, key, key2), VI_SUCCESS);
  EXPECT_STREQ(key2, key);  // the shared key is echoed back
  EXPECT_EQ(viLock(other, VI_SHARED_LOCK, 0, "wrong", key2), VI_ERROR_INV_ACCESS_KEY);
  EXPECT_EQ(viUnlock(other), VI_SUCCESS);
  EXPECT_EQ(viUnlock(s), VI_SUCCESS);
  EXPECT_EQ(viUnlock(s), VI_ERROR_SESN_NLOCKED);
  ASSERT_EQ(viLock(s, VI_EXCLUSIVE_LOCK, 0, nullptr, nullptr), VI_SUCCESS);
  EXPECT_EQ(viLock(s, VI_EXCLUSIVE_LOCK, 0, nullptr, nullptr), VI_SUCCESS_NESTED_EXCLUSIVE);
  EXPECT_EQ(write_str(other, "*IDN?\n"), VI_ERROR_RSRC_LOCKED);
  EXPECT_EQ(viUnlock(s), VI_SUCCESS_NESTED_EXCLUSIVE);
  EXPECT_EQ(viUnlock(s), VI_SUCCESS);
  EXPECT_EQ(viLock(s, VI_NO_LOCK, 0, nullptr, nullptr), VI_ERROR_INV_LOCK_TYPE);
  EXPECT_EQ(viLock(rm, VI_EXCLUSIVE_LOCK, 0, nullptr, nullptr), VI_ERROR_NSUP_OPER);
}

TEST_F(CabiTest, FormattedIoThroughTheBuffers) {
  ViSession s = open_tcpip();
  ASSERT_EQ(viPrintf(s, "*IDN?\n"), VI_SUCCESS);
  ViChar maker[64] = "", rest[64] = "";
  ASSERT_EQ(viScanf(s, "%[^,],%t", maker, rest), VI_SUCCESS);
  EXPECT_STREQ(maker, "FAKE");
  EXPECT_STREQ(rest, "Model 1,SN42,1.0\n");

  // no line feed at the end: nothing is sent until a flush
  ASSERT_EQ(viPrintf(s, "ECHO %d,%s", 42, "text"), VI_SUCCESS);
  EXPECT_TRUE(fake->device(FakeVisaBackend::kTcpip).received.size() == 1);
  ASSERT_EQ(viFlush(s, VI_WRITE_BUF), VI_SUCCESS);
  int number = 0;
  ViChar word[16] = "";
  ASSERT_EQ(viScanf(s, "%d,%s", &number, word), VI_SUCCESS);
  EXPECT_EQ(number, 42);
  EXPECT_STREQ(word, "text");

  double values[3] = {};
  ASSERT_EQ(viQueryf(s, "ECHO %s\n", "%,3lf", "1.5,2.5,-3", values), VI_SUCCESS);
  EXPECT_DOUBLE_EQ(values[2], -3.0);
  // (viQueryf's arguments: first those of the write format, then those of the read format)
  ViInt32 count = 3;
  ASSERT_EQ(viQueryf(s, "ECHO %s\n", "%,#lf", "0.5,1.5", &count, values), VI_SUCCESS);
  EXPECT_EQ(count, 2);
  EXPECT_DOUBLE_EQ(values[1], 1.5);

  unsigned char block[8] = {};
  ViInt32 size = sizeof block;
  ASSERT_EQ(viQueryf(s, "BLOCK?\n", "%#b", &size, block), VI_SUCCESS);
  EXPECT_EQ(size, 5);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(block), 5), "hello");

  EXPECT_EQ(viPrintf(s, "%q"), VI_ERROR_INV_FMT);
  EXPECT_EQ(viPrintf(s, nullptr), VI_ERROR_INV_PARAMETER);
  EXPECT_EQ(viPrintf(rm, "x\n"), VI_ERROR_NSUP_OPER);
  EXPECT_EQ(viScanf(0xDEADBEEF, "%d", &number), VI_ERROR_INV_OBJECT);
  EXPECT_EQ(viScanf(s, "%d", &number), VI_ERROR_TMO);  // nothing to read: the read's error
}

TEST_F(CabiTest, FullWriteBuffersGoWithoutEndAndTheLastWithEnd) {
  ViSession s = open_tcpip();
  ASSERT_EQ(viSetBuf(s, VI_WRITE_BUF, 4), VI_SUCCESS);
  ViUInt32 size = 0;
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_WR_BUF_SIZE, &size), VI_SUCCESS);
  EXPECT_EQ(size, 4u);
  ASSERT_EQ(viPrintf(s, "ECHO %s\n", "abcdef"), VI_SUCCESS);
  auto received = fake->device(FakeVisaBackend::kTcpip).received;
  ASSERT_GE(received.size(), 2u);
  std::string joined;
  for (std::size_t i = 0; i < received.size(); ++i) {
    joined += received[i].first;
    EXPECT_EQ(received[i].second, i + 1 == received.size()) << "END only with the last byte";
  }
  EXPECT_EQ(joined, "ECHO abcdef\n");
  ViBoolean end = 0;
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_SEND_END_EN, &end), VI_SUCCESS);
  EXPECT_EQ(end, VI_TRUE);  // restored
  EXPECT_EQ(read_all(s), "abcdef\n");
  EXPECT_EQ(viSetBuf(s, 0x40, 100), VI_ERROR_INV_MASK);
  EXPECT_EQ(viSetBuf(s, VI_IO_IN_BUF, 100), VI_WARN_NSUP_BUF);
}

TEST_F(CabiTest, BufReadAndBufWrite) {
  ViSession s = open_tcpip();
  const char cmd[] = "ECHO 0123456789";
  ViUInt32 n = 0;
  ASSERT_EQ(viBufWrite(s, reinterpret_cast<ViConstBuf>(cmd), sizeof cmd - 1, &n), VI_SUCCESS);
  EXPECT_EQ(n, sizeof cmd - 1);
  EXPECT_TRUE(fake->device(FakeVisaBackend::kTcpip).received.empty());
  ASSERT_EQ(viFlush(s, VI_WRITE_BUF), VI_SUCCESS);
  ViByte buf[4];
  EXPECT_EQ(viBufRead(s, buf, 4, &n), VI_SUCCESS_MAX_CNT);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), n), "0123");
  ViByte rest[32];
  EXPECT_EQ(viBufRead(s, rest, sizeof rest, &n), VI_SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(rest), n), "456789\n");
  EXPECT_EQ(viBufRead(s, nullptr, 4, &n), VI_ERROR_INV_PARAMETER);
  EXPECT_EQ(viBufWrite(s, nullptr, 4, &n), VI_ERROR_INV_PARAMETER);
  // viFlush(VI_READ_BUF) drops the unread rest of an unfinished message from the device too
  ASSERT_EQ(write_str(s, "BIG?"), VI_SUCCESS);
  ASSERT_EQ(viSetBuf(s, VI_READ_BUF, 100), VI_SUCCESS);
  ASSERT_EQ(viBufRead(s, buf, 4, &n), VI_SUCCESS_MAX_CNT);
  ASSERT_EQ(viFlush(s, VI_READ_BUF), VI_SUCCESS);
  EXPECT_EQ(viRead(s, rest, sizeof rest, &n), VI_ERROR_TMO);
}

TEST_F(CabiTest, StringFormattingWithoutIo) {
  ViSession s = open_tcpip();
  ViByte out[64];
  ASSERT_EQ(viSPrintf(s, out, "VOLT %.2f;%d", 1.5, 3), VI_SUCCESS);
  EXPECT_STREQ(reinterpret_cast<char*>(out), "VOLT 1.50;3");
  int a = 0;
  double b = 0;
  ASSERT_EQ(viSScanf(s, reinterpret_cast<ViConstBuf>("7;2.5"), "%d;%lf", &a, &b), VI_SUCCESS);
  EXPECT_EQ(a, 7);
  EXPECT_DOUBLE_EQ(b, 2.5);
  EXPECT_EQ(viSPrintf(s, nullptr, "x"), VI_ERROR_INV_PARAMETER);
  EXPECT_EQ(viSScanf(s, nullptr, "%d", &a), VI_ERROR_INV_PARAMETER);
  EXPECT_TRUE(fake->device(FakeVisaBackend::kTcpip).received.empty());
}

TEST_F(CabiTest, ReadToFileAndWriteFromFile) {
  ViSession s = open_tcpip();
  auto dir = std::filesystem::temp_directory_path();
  auto in = dir / ("cabi_in_" + std::to_string(::getpid()));
  auto out = dir / ("cabi_out_" + std::to_string(::getpid()));
  { std::ofstream(in) << "ECHO from a file"; }
  ViUInt32 n = 0;
  ASSERT_EQ(viWriteFromFile(s, in.c_str(), 1000, &n), VI_SUCCESS);
  EXPECT_EQ(n, 16u);
  ASSERT_EQ(viReadToFile(s, out.c_str(), 1000, &n), VI_SUCCESS);
  EXPECT_EQ(n, 12u);
  std::ifstream f(out);
  std::string content((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "from a file\n");
  EXPECT_EQ(viWriteFromFile(s, (dir / "no/such/file").c_str(), 10, &n), VI_ERROR_FILE_ACCESS);
  EXPECT_EQ(viReadToFile(s, (dir / "no/such/dir/file").c_str(), 10, &n), VI_ERROR_FILE_ACCESS);
  EXPECT_EQ(viReadToFile(s, nullptr, 10, &n), VI_ERROR_INV_PARAMETER);
  std::filesystem::remove(in);
  std::filesystem::remove(out);
}

TEST_F(CabiTest, UnservedOperationsGiveStandardStatusesAndNeverCrash) {
  ViSession s = open_tcpip();
  ViUInt8 v8 = 9;
  ViUInt16 v16 = 9;
  EXPECT_EQ(viIn8(s, VI_A16_SPACE, 0, &v8), VI_ERROR_NSUP_OPER);
  EXPECT_EQ(viIn8(0xDEADBEEF, VI_A16_SPACE, 0, &v8), VI_ERROR_INV_OBJECT);
  EXPECT_EQ(viOut32Ex(s, VI_A32_SPACE, 0, 1), VI_ERROR_NSUP_OPER);
  EXPECT_EQ(viMoveIn16(s, VI_A16_SPACE, 0, 4, &v16), VI_ERROR_NSUP_OPER);
  EXPECT_EQ(viMove(s, 1, 0, 1, 1, 0, 1, 1), VI_ERROR_NSUP_OPER);
  ViAddr addr = &v8;
  EXPECT_EQ(viMapAddress(s, VI_A16_SPACE, 0, 16, VI_FALSE, nullptr, &addr), VI_ERROR_NSUP_OPER);
  EXPECT_EQ(addr, nullptr);
  EXPECT_EQ(viUnmapAddress(s), VI_ERROR_WINDOW_NMAPPED);
  viPeek8(s, nullptr, &v8);
  EXPECT_EQ(v8, 0);
  viPoke16(s, nullptr, 1);
  ViBusAddress offset = 1;
  EXPECT_EQ(viMemAlloc(s, 16, &offset), VI_ERROR_NSUP_OPER);
  EXPECT_EQ(viVxiCommandQuery(s, VI_VXI_CMD16, 0, nullptr), VI_ERROR_NSUP_OPER);
  EXPECT_EQ(viMapTrigger(s, VI_TRIG_TTL0, VI_TRIG_TTL1, VI_NULL), VI_ERROR_NSUP_OPER);
  EXPECT_EQ(viPxiReserveTriggers(s, 0, nullptr, nullptr, nullptr), VI_ERROR_NSUP_OPER);
  // GPIB and USB calls reach the backend, which does not serve them for this session
  EXPECT_EQ(viGpibControlREN(s, VI_GPIB_REN_ASSERT), VI_ERROR_NSUP_OPER);
  EXPECT_EQ(viGpibControlREN(s, 77), VI_ERROR_INV_MODE);
  EXPECT_EQ(viGpibSendIFC(s), VI_ERROR_NSUP_OPER);
  ViUInt32 n = 5;
  EXPECT_EQ(viGpibCommand(s, reinterpret_cast<ViConstBuf>("?"), 1, &n), VI_ERROR_NSUP_OPER);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(viGpibCommand(s, nullptr, 1, &n), VI_ERROR_INV_PARAMETER);
  ViByte buf[8];
  ViUInt16 got = 0;
  EXPECT_EQ(viUsbControlIn(s, 0xA1, 1, 0, 0, sizeof buf, buf, &got), VI_ERROR_NSUP_OPER);
  EXPECT_EQ(viUsbControlOut(s, 0x21, 1, 0, 0, 0, nullptr), VI_ERROR_NSUP_OPER);
  EXPECT_EQ(viUsbControlIn(0xDEADBEEF, 0xA1, 1, 0, 0, sizeof buf, buf, &got), VI_ERROR_INV_OBJECT);
}

TEST_F(CabiTest, SessionsAreUsableFromSeveralThreads) {
  ViSession a = open_tcpip();
  ViSession b = VI_NULL;
  ASSERT_EQ(viOpen(rm, FakeVisaBackend::kSerial, VI_NULL, VI_NULL, &b), VI_SUCCESS);
  auto worker = [](ViSession s, int id, int* failures) {
    for (int i = 0; i < 200; ++i) {
      std::string text = "ECHO " + std::to_string(id) + "-" + std::to_string(i);
      ViChar reply[64] = "";
      if (viQueryf(s, "%s\n", "%63[^\n]", text.c_str(), reply) != VI_SUCCESS ||
          std::string(reply) != text.substr(5))
        ++*failures;
    }
  };
  int fa = 0, fb = 0;
  std::thread ta(worker, a, 1, &fa), tb(worker, b, 2, &fb);
  ta.join();
  tb.join();
  EXPECT_EQ(fa, 0);
  EXPECT_EQ(fb, 0);
}

TEST(CabiNoBackend, OpenDefaultRmReportsTheMissingLibrary) {
  cppvisa::cabi::Library::instance().set_backends({});
  ViSession rm = 7;
  EXPECT_EQ(viOpenDefaultRM(&rm), VI_ERROR_LIBRARY_NFOUND);
  EXPECT_EQ(rm, VI_NULL);
}

TEST_F(CabiTest, WaitingForAllEnabledEventsSeesBackendEventsAndCompletions) {
  ViSession s = open_tcpip();
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_SERVICE_REQ, VI_QUEUE, VI_NULL), VI_SUCCESS);
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, VI_QUEUE, VI_NULL), VI_SUCCESS);
  ViEventType type = 0;
  ViEvent ctx = 0;
  EXPECT_EQ(viWaitOnEvent(s, VI_ALL_ENABLED_EVENTS, 0, &type, &ctx), VI_ERROR_TMO);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(viWaitOnEvent(s, VI_ALL_ENABLED_EVENTS, 200, &type, &ctx), VI_ERROR_TMO);
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(150));  // timed out, and not before ~200 ms
  EXPECT_LT(waited, std::chrono::seconds(10));

  ASSERT_EQ(write_str(s, "SRQ"), VI_SUCCESS);
  ASSERT_EQ(viWaitOnEvent(s, VI_ALL_ENABLED_EVENTS, 1000, &type, &ctx), VI_SUCCESS);
  EXPECT_EQ(type, VI_EVENT_SERVICE_REQ);
  viClose(ctx);

  // a completion posted by another thread while this one waits
  std::thread poster([s] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ViJobId job = 0;
    viWriteAsync(s, reinterpret_cast<ViConstBuf>("ECHO x"), 6, &job);
  });
  ViStatus st = viWaitOnEvent(s, VI_ALL_ENABLED_EVENTS, 10000, &type, &ctx);
  poster.join();
  ASSERT_EQ(st, VI_SUCCESS);
  EXPECT_EQ(type, VI_EVENT_IO_COMPLETION);
  viClose(ctx);
}
