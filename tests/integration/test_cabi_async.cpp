// Asynchronous I/O of the C API (issue #16 point 3) against a simulated oscilloscope served by our
// own gateway on loopback (raw socket, VXI-11, HiSLIP), through the native backend:
// viReadAsync/viWriteAsync return at once with a job id and complete with VI_EVENT_IO_COMPLETION
// (job id, status, count, buffer, operation); viTerminate aborts a running transfer or a queued job;
// viClose ends the pending jobs; many sessions share the library's small fixed pool of threads.
#include "cabi/library.hpp"

#include <cppvisa/backend.hpp>
#include <cppvisa/gateway.hpp>

#include <visa.h>

#include "support/served_gateway.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <dirent.h>
#include <map>
#include <string>
#include <thread>
#include <vector>

using namespace cppvisa;
using namespace std::chrono_literals;

namespace {

constexpr const char* scope_idn = "CPPVISA,SIMSCOPE-1000,SIM0001,1.0";
const char* protocols[] = {"socket", "vxi11", "hislip"};

/// The threads of this process now.
int thread_count() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
  }
  return n;
}

struct Completion {
  ViStatus wait = 0;  ///< viWaitOnEvent's status
  ViStatus status = 1;
  ViJobId job = 0;
  ViUInt32 count = 0;
  std::string operation;
  ViAddr buffer = nullptr;
};

class CabiAsync : public ::testing::Test {
 protected:
  void SetUp() override {
    served_.start(cppvisa::testing::every_protocol("TCPIP::sim-scope::INSTR"));
    cabi::Library::instance().set_backends({open_backend("@native")});
    ASSERT_EQ(viOpenDefaultRM(&rm_), VI_SUCCESS);
  }
  void TearDown() override {
    viClose(rm_);
    cabi::Library::instance().set_backends({});
  }

  ViSession open(const std::string& protocol, ViUInt32 timeout_ms = 5000) {
    ViSession s = VI_NULL;
    EXPECT_EQ(viOpen(rm_, served_.name(protocol).c_str(), VI_NULL, VI_NULL, &s), VI_SUCCESS);
    EXPECT_EQ(viSetAttribute(s, VI_ATTR_TMO_VALUE, timeout_ms), VI_SUCCESS);
    EXPECT_EQ(viSetAttribute(s, VI_ATTR_TERMCHAR_EN, VI_TRUE), VI_SUCCESS);
    return s;
  }
  static ViStatus write(ViSession s, const std::string& text) {
    ViUInt32 n = 0;
    return viWrite(s, reinterpret_cast<ViConstBuf>(text.data()), static_cast<ViUInt32>(text.size()), &n);
  }
  static Completion wait(ViSession s, ViUInt32 timeout_ms) {
    Completion c;
    ViEventType type = 0;
    ViEvent ctx = VI_NULL;
    c.wait = viWaitOnEvent(s, VI_EVENT_IO_COMPLETION, timeout_ms, &type, &ctx);
    if (c.wait < VI_SUCCESS) return c;
    EXPECT_EQ(type, VI_EVENT_IO_COMPLETION);
    viGetAttribute(ctx, VI_ATTR_STATUS, &c.status);
    viGetAttribute(ctx, VI_ATTR_JOB_ID, &c.job);
    viGetAttribute(ctx, VI_ATTR_RET_COUNT_32, &c.count);
    viGetAttribute(ctx, VI_ATTR_BUFFER, &c.buffer);
    ViChar name[256] = "";
    viGetAttribute(ctx, VI_ATTR_OPER_NAME, name);
    c.operation = name;
    viClose(ctx);
    return c;
  }

  cppvisa::testing::ServedGateway served_;
  ViSession rm_ = VI_NULL;
};

TEST_F(CabiAsync, ReadAsyncReturnsAtOnceAndCompletesWithTheEvent) {
  for (const char* p : protocols) {
    SCOPED_TRACE(p);
    ViSession s = open(p);
    ASSERT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, VI_QUEUE, VI_NULL), VI_SUCCESS);
    ASSERT_EQ(write(s, ":ACQ:SLOW?\n"), VI_SUCCESS);  // answered after 500 ms
    ViByte buf[256];
    ViJobId job = 0;
    ASSERT_EQ(viReadAsync(s, buf, sizeof buf, &job), VI_SUCCESS);  // queued, not done
    EXPECT_NE(job, VI_NULL);
    // The answer is 500 ms away: nothing has completed when the call has returned.
    EXPECT_EQ(wait(s, 0).wait, VI_ERROR_TMO);
    Completion c = wait(s, 5000);
    ASSERT_EQ(c.wait, VI_SUCCESS);
    EXPECT_EQ(c.job, job);
    EXPECT_GE(c.status, VI_SUCCESS);
    EXPECT_EQ(c.count, 2u);
    EXPECT_EQ(c.operation, "viReadAsync");
    EXPECT_EQ(c.buffer, static_cast<ViAddr>(buf));
    EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 2), "1\n");

    // A write, then a read, both asynchronous: in order on the session.
    const std::string idn = "*IDN?\n";
    ViJobId wjob = 0, rjob = 0;
    ASSERT_EQ(viWriteAsync(s, reinterpret_cast<ViConstBuf>(idn.data()), static_cast<ViUInt32>(idn.size()), &wjob),
              VI_SUCCESS);
    ASSERT_EQ(viReadAsync(s, buf, sizeof buf, &rjob), VI_SUCCESS);
    EXPECT_NE(wjob, rjob);
    Completion w = wait(s, 5000), r = wait(s, 5000);
    ASSERT_GE(w.wait, VI_SUCCESS);  // VI_SUCCESS_QUEUE_NEMPTY when the read is done too
    ASSERT_GE(r.wait, VI_SUCCESS);
    EXPECT_EQ(w.job, wjob);
    EXPECT_EQ(w.operation, "viWriteAsync");
    EXPECT_EQ(w.count, idn.size());
    EXPECT_EQ(r.job, rjob);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), r.count), std::string(scope_idn) + "\n");
    EXPECT_EQ(viClose(s), VI_SUCCESS);
  }
}

TEST_F(CabiAsync, TerminateAbortsTheRunningTransfer) {
  for (const char* p : protocols) {
    SCOPED_TRACE(p);
    ViSession s = open(p, 20000);
    ASSERT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, VI_QUEUE, VI_NULL), VI_SUCCESS);
    ViByte buf[64];
    ViJobId job = 0;
    ASSERT_EQ(viReadAsync(s, buf, sizeof buf, &job), VI_SUCCESS);  // nothing to read: 20 s
    std::this_thread::sleep_for(200ms);  // the transfer has begun
    auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(viTerminate(s, VI_NULL, job), VI_SUCCESS);
    Completion c = wait(s, 10000);
    ASSERT_EQ(c.wait, VI_SUCCESS);
    EXPECT_EQ(c.job, job);
    EXPECT_EQ(c.status, VI_ERROR_ABORT);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);  // not the read's 20 s
    EXPECT_EQ(viTerminate(s, VI_NULL, job), VI_ERROR_INV_JOB_ID);  // no longer pending
    // The session goes on normally.
    viSetAttribute(s, VI_ATTR_TMO_VALUE, 5000);
    ASSERT_EQ(write(s, "*IDN?\n"), VI_SUCCESS);
    ViUInt32 n = 0;
    ASSERT_GE(viRead(s, buf, sizeof buf, &n), VI_SUCCESS);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), n), std::string(scope_idn) + "\n");
    EXPECT_EQ(viClose(s), VI_SUCCESS);
  }
}

TEST_F(CabiAsync, TerminateEndsAQueuedJobAtOnce) {
  ViSession s = open("socket", 20000);
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, VI_QUEUE, VI_NULL), VI_SUCCESS);
  ViByte first[64], second[64];
  ViJobId job1 = 0, job2 = 0;
  ASSERT_EQ(viReadAsync(s, first, sizeof first, &job1), VI_SUCCESS);   // runs, waits for data
  ASSERT_EQ(viReadAsync(s, second, sizeof second, &job2), VI_SUCCESS); // queued behind it
  ASSERT_EQ(viTerminate(s, VI_NULL, job2), VI_SUCCESS);
  Completion c = wait(s, 5000);  // the queued job's completion, while the first still runs
  ASSERT_EQ(c.wait, VI_SUCCESS);
  EXPECT_EQ(c.job, job2);
  EXPECT_EQ(c.status, VI_ERROR_ABORT);
  EXPECT_EQ(c.count, 0u);
  EXPECT_EQ(wait(s, 0).wait, VI_ERROR_TMO);  // the first is still running
  ASSERT_EQ(viTerminate(s, VI_NULL, VI_NULL), VI_SUCCESS);  // every job of the session
  c = wait(s, 10000);
  ASSERT_EQ(c.wait, VI_SUCCESS);
  EXPECT_EQ(c.job, job1);
  EXPECT_EQ(c.status, VI_ERROR_ABORT);
  EXPECT_EQ(viTerminate(s, 1, VI_NULL), VI_ERROR_INV_DEGREE);
}

TEST_F(CabiAsync, CloseEndsThePendingJobs) {
  ViSession s = open("hislip", 20000);
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, VI_QUEUE, VI_NULL), VI_SUCCESS);
  std::vector<ViByte> buf(64);
  ViJobId job1 = 0, job2 = 0;
  ASSERT_EQ(viReadAsync(s, buf.data(), 32, &job1), VI_SUCCESS);
  ASSERT_EQ(viReadAsync(s, buf.data() + 32, 32, &job2), VI_SUCCESS);
  std::this_thread::sleep_for(100ms);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(viClose(s), VI_SUCCESS);  // the transfer is aborted and has returned
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  buf.clear();  // the caller may free its buffers now: no job touches them any more
  EXPECT_EQ(viTerminate(s, VI_NULL, job1), VI_ERROR_INV_OBJECT);
}

TEST_F(CabiAsync, ManySessionsShareABoundedPoolOfThreads) {
  // 24 sessions, 5 queries each as asynchronous write + read pairs: all answered, in order per
  // session, with a fixed number of library threads (not one per session or per job).
  const int before = thread_count();
  struct Session {
    ViSession vi = VI_NULL;
    std::vector<std::vector<ViByte>> buffers;
    std::vector<ViJobId> reads;
  };
  std::vector<Session> sessions(24);
  // However the test ends, no job may outlive the buffers: the sessions close first.
  struct Closer {
    std::vector<Session>& sessions;
    ~Closer() {
      for (auto& s : sessions)
        if (s.vi != VI_NULL) viClose(s.vi);
    }
  } closer{sessions};
  const std::string idn = "*IDN?\n", opc = "*OPC?\n";
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    auto& s = sessions[i];
    s.vi = open(protocols[i % 3]);
    ASSERT_EQ(viEnableEvent(s.vi, VI_EVENT_IO_COMPLETION, VI_QUEUE, VI_NULL), VI_SUCCESS);
  }
  const int opened = thread_count();
  for (int round = 0; round < 5; ++round) {
    for (auto& s : sessions) {
      const std::string& q = round % 2 ? opc : idn;
      ViJobId w = 0, r = 0;
      ASSERT_EQ(viWriteAsync(s.vi, reinterpret_cast<ViConstBuf>(q.data()), static_cast<ViUInt32>(q.size()), &w),
                VI_SUCCESS);
      s.buffers.emplace_back(128);
      ASSERT_EQ(viReadAsync(s.vi, s.buffers.back().data(), 128, &r), VI_SUCCESS);
      s.reads.push_back(r);
    }
  }
  const int busy = thread_count();
  for (auto& s : sessions) {
    std::map<ViJobId, Completion> done;
    for (int k = 0; k < 10; ++k) {
      Completion c = wait(s.vi, 10000);
      ASSERT_GE(c.wait, VI_SUCCESS);
      ASSERT_GE(c.status, VI_SUCCESS) << c.operation;
      done[c.job] = c;
    }
    for (std::size_t round = 0; round < s.reads.size(); ++round) {
      const Completion& c = done.at(s.reads[round]);
      std::string expected = round % 2 ? "1\n" : std::string(scope_idn) + "\n";
      EXPECT_EQ(std::string(reinterpret_cast<char*>(s.buffers[round].data()), c.count), expected);
    }
    EXPECT_EQ(viClose(s.vi), VI_SUCCESS);
    s.vi = VI_NULL;
  }
  // The pool adds at most its 4 threads, whatever the number of sessions and jobs.
  EXPECT_LE(busy - opened, 4) << "threads: before " << before << ", sessions open " << opened;
}

}  // namespace
