// Locks across sessions and processes (issue #16 point 2), through libvisa's C API (viLock with
// VI_EXCLUSIVE_LOCK / VI_SHARED_LOCK and a requested key) over the native backend, against a
// simulated oscilloscope that our gateway serves on loopback over HiSLIP, VXI-11 and raw socket.
// The second process is support/lock_peer (LockPeer), driven over pipes.
// - two sessions of one process: the library's lock (any protocol);
// - two processes: the instrument's lock. HiSLIP carries exclusive and shared locks (the key is
//   the lock string); VXI-11 carries exclusive locks only (a shared lock is the process's own, as
//   NI-VISA documents); a raw socket carries none, but the served device keeps a SOCKET client out
//   while another protocol's client holds its lock;
// - nested counts and the statuses that report them, shared -> exclusive -> shared;
// - lock timeouts exact (VI_ERROR_TMO no earlier than the timeout, within timeout + 10% + 200 ms);
// - closing a session whose lock request waits at the instrument ends the wait at once.
#include "cabi/library.hpp"
#include "support/lock_peer.hpp"
#include "support/served_gateway.hpp"

#include <cppvisa/backend.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace cppvisa {
namespace {

using namespace std::chrono_literals;
using testing::LockCommands;
using testing::LockPeer;
using testing::LockReply;

constexpr const char* scope = "TCPIP::sim-scope::INSTR";
constexpr const char* scope_idn = "CPPVISA,SIMSCOPE-1000,SIM0001,1.0";

/// `elapsed_ms` is a wait of `timeout_ms` that ended by its timeout: not earlier, not much later.
void expect_exact(long elapsed_ms, long timeout_ms) {
  EXPECT_GE(elapsed_ms, timeout_ms - 5);  // the clocks' granularity
  EXPECT_LE(elapsed_ms, timeout_ms + timeout_ms / 10 + 200);
}

class Locks : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
#ifndef CPPVISA_LOCK_PEER
    GTEST_SKIP() << "lock_peer is not built (no libvisa C API in this tree)";
#else
    served_.start(cppvisa::testing::every_protocol(scope));
    cabi::Library::instance().set_backends({open_backend("@native")});
    ASSERT_EQ(viOpenDefaultRM(&rm_), VI_SUCCESS);
#endif
  }
  void TearDown() override {
    if (rm_ != VI_NULL) viClose(rm_);
    cabi::Library::instance().set_backends({});
  }

  /// A session of this process on the endpoint of `protocol` (the test's protocol by default).
  std::unique_ptr<LockCommands> session(std::string protocol = {}, int timeout_ms = 2000) {
    auto s = std::make_unique<LockCommands>(rm_);
    auto r = run(*s, "open " + name(protocol) + " " + std::to_string(timeout_ms));
    EXPECT_EQ(r.status, VI_SUCCESS) << r.text;
    return s;
  }
  /// A session in another process.
  std::unique_ptr<LockPeer> peer(std::string protocol = {}, int timeout_ms = 2000) {
#ifdef CPPVISA_LOCK_PEER
    auto p = std::make_unique<LockPeer>(CPPVISA_LOCK_PEER);
    auto r = p->run("open " + name(protocol) + " " + std::to_string(timeout_ms));
    EXPECT_EQ(r.status, VI_SUCCESS) << r.text;
    return p;
#else
    (void)protocol;
    (void)timeout_ms;
    return nullptr;
#endif
  }
  static LockReply run(LockCommands& s, const std::string& command) { return LockReply::parse(s.run(command)); }
  std::string name(const std::string& protocol) const { return served_.name(protocol.empty() ? GetParam() : protocol); }
  bool device_locks() const { return GetParam() != "socket"; }  // the protocol carries exclusive locks
  bool shared_device_locks() const { return GetParam() == "hislip"; }  // ... and shared ones

  cppvisa::testing::ServedGateway served_;
  ViSession rm_ = VI_NULL;
};

/// The protocols whose instrument keeps a lock (the raw socket has none).
class DeviceLocks : public Locks {};

TEST_P(Locks, TwoSessionsExclusiveSharedAndWrongKey) {
  auto a = session(), b = session();
  EXPECT_EQ(run(*a, "lock excl 0").status, VI_SUCCESS);
  EXPECT_EQ(run(*b, "lock excl 0").status, VI_ERROR_RSRC_LOCKED);
  EXPECT_EQ(run(*b, "lock shared 0 k1").status, VI_ERROR_RSRC_LOCKED);
  EXPECT_EQ(run(*b, "query *IDN?").status, VI_ERROR_RSRC_LOCKED);  // I/O kept out by the library
  EXPECT_EQ(run(*a, "query *IDN?").text, scope_idn);
  EXPECT_EQ(run(*a, "unlock").status, VI_SUCCESS);

  auto granted = run(*a, "lock shared 0 k1");
  EXPECT_EQ(granted.status, VI_SUCCESS);
  EXPECT_EQ(granted.text, "k1");
  EXPECT_EQ(run(*b, "lock shared 0 k1").status, VI_SUCCESS);
  EXPECT_EQ(run(*b, "query *IDN?").text, scope_idn);
  auto c = session();
  EXPECT_EQ(run(*c, "lock shared 0 other").status, VI_ERROR_RSRC_LOCKED);
  auto waited = run(*c, "lock shared 300 other");
  EXPECT_EQ(waited.status, VI_ERROR_TMO);
  expect_exact(waited.elapsed_ms, 300);
  EXPECT_EQ(run(*c, "query *IDN?").status, VI_ERROR_RSRC_LOCKED);
  EXPECT_EQ(run(*a, "unlock").status, VI_SUCCESS);
  EXPECT_EQ(run(*b, "unlock").status, VI_SUCCESS);
  EXPECT_EQ(run(*c, "lock shared 0 other").status, VI_SUCCESS);
  EXPECT_EQ(run(*c, "unlock").status, VI_SUCCESS);
}

TEST_P(Locks, NestedCountsAndTheDeviceLockFollowThem) {
  auto a = session();
  auto other = peer();
  EXPECT_EQ(run(*a, "lock excl 0").status, VI_SUCCESS);
  EXPECT_EQ(run(*a, "lock excl 0").status, VI_SUCCESS_NESTED_EXCLUSIVE);
  EXPECT_EQ(run(*a, "unlock").status, VI_SUCCESS_NESTED_EXCLUSIVE);
  // Still held (one level left): also at the instrument.
  EXPECT_EQ(other->run("lock excl 0").status, device_locks() ? VI_ERROR_RSRC_LOCKED : VI_SUCCESS);
  if (!device_locks()) {
    EXPECT_EQ(other->run("unlock").status, VI_SUCCESS);
  }
  EXPECT_EQ(run(*a, "unlock").status, VI_SUCCESS);
  EXPECT_EQ(run(*a, "unlock").status, VI_ERROR_SESN_NLOCKED);
  EXPECT_EQ(other->run("lock excl 0").status, VI_SUCCESS);  // released at the instrument
  EXPECT_EQ(other->run("unlock").status, VI_SUCCESS);

  // shared, shared (nested), exclusive on top, then back down.
  EXPECT_EQ(run(*a, "lock shared 0 nest").status, VI_SUCCESS);
  EXPECT_EQ(run(*a, "lock shared 0 nest").status, VI_SUCCESS_NESTED_SHARED);
  EXPECT_EQ(run(*a, "lock excl 0").status, VI_SUCCESS);
  // HiSLIP: the exclusive lock keeps out even the key's sharers; VXI-11 and raw socket carry no
  // shared lock, so another process's shared lock is its own.
  EXPECT_EQ(other->run("lock shared 0 nest").status, shared_device_locks() ? VI_ERROR_RSRC_LOCKED : VI_SUCCESS);
  if (!shared_device_locks()) {
    EXPECT_EQ(other->run("unlock").status, VI_SUCCESS);
  }
  EXPECT_EQ(run(*a, "unlock").status, VI_SUCCESS_NESTED_SHARED);  // the exclusive level went
  if (shared_device_locks()) {
    // The instrument's exclusive lock went with it: the key shares again.
    EXPECT_EQ(other->run("lock shared 0 nest").status, VI_SUCCESS);
    EXPECT_EQ(other->run("query *IDN?").text, scope_idn);
    EXPECT_EQ(other->run("unlock").status, VI_SUCCESS);
  }
  EXPECT_EQ(run(*a, "unlock").status, VI_SUCCESS_NESTED_SHARED);
  EXPECT_EQ(run(*a, "unlock").status, VI_SUCCESS);
  EXPECT_EQ(other->run("lock excl 0").status, VI_SUCCESS);
  EXPECT_EQ(other->run("unlock").status, VI_SUCCESS);
}

TEST_P(DeviceLocks, ExclusiveAcrossProcesses) {
  auto a = session();
  auto other = peer();
  EXPECT_EQ(run(*a, "lock excl 0").status, VI_SUCCESS);
  EXPECT_EQ(other->run("lock excl 0").status, VI_ERROR_RSRC_LOCKED);
  auto waited = other->run("lock excl 500");
  EXPECT_EQ(waited.status, VI_ERROR_TMO);
  expect_exact(waited.elapsed_ms, 500);
  if (GetParam() == "hislip") {
    EXPECT_EQ(other->run("lock shared 0 k").status, VI_ERROR_RSRC_LOCKED);
  } else {
    // VXI-11: shared locks are the process's own; the instrument still keeps the I/O out.
    EXPECT_EQ(other->run("lock shared 0 k").status, VI_SUCCESS);
    EXPECT_EQ(other->run("unlock").status, VI_SUCCESS);
  }
  auto kept_out = other->run("query *IDN?");
  EXPECT_LT(kept_out.status, 0);
  EXPECT_EQ(run(*a, "query *IDN?").text, scope_idn);
  // A waiting request is granted when the holder lets go.
  std::thread release([&] {
    std::this_thread::sleep_for(300ms);
    run(*a, "unlock");
  });
  auto granted = other->run("lock excl 10000");
  release.join();
  EXPECT_EQ(granted.status, VI_SUCCESS);
  EXPECT_LT(granted.elapsed_ms, 5000);
  EXPECT_EQ(other->run("query *IDN?").text, scope_idn);
  EXPECT_EQ(run(*a, "lock excl 0").status, VI_ERROR_RSRC_LOCKED);
  EXPECT_EQ(other->run("close").status, VI_SUCCESS);  // closing releases
  EXPECT_EQ(run(*a, "lock excl 2000").status, VI_SUCCESS);
}

TEST_P(DeviceLocks, SharedKeysAcrossProcesses) {
  auto a = session();
  auto other = peer();
  EXPECT_EQ(run(*a, "lock shared 0 key-1").status, VI_SUCCESS);
  if (GetParam() == "hislip") {
    EXPECT_EQ(other->run("lock shared 0 key-2").status, VI_ERROR_RSRC_LOCKED);
    auto waited = other->run("lock shared 400 key-2");
    EXPECT_EQ(waited.status, VI_ERROR_TMO);
    expect_exact(waited.elapsed_ms, 400);
    EXPECT_EQ(other->run("lock excl 0").status, VI_ERROR_RSRC_LOCKED);
    EXPECT_LT(other->run("query *IDN?").status, 0);  // a client outside the lock is kept out
    auto joined = other->run("lock shared 0 key-1");
    EXPECT_EQ(joined.status, VI_SUCCESS);
    EXPECT_EQ(joined.text, "key-1");
    EXPECT_EQ(other->run("query *IDN?").text, scope_idn);
    EXPECT_EQ(run(*a, "query *IDN?").text, scope_idn);
    // A generated key works across processes too.
    EXPECT_EQ(other->run("unlock").status, VI_SUCCESS);
    EXPECT_EQ(run(*a, "unlock").status, VI_SUCCESS);
    auto generated = run(*a, "lock shared 0 -");
    ASSERT_EQ(generated.status, VI_SUCCESS);
    ASSERT_FALSE(generated.text.empty());
    EXPECT_EQ(other->run("lock shared 0 nope").status, VI_ERROR_RSRC_LOCKED);
    EXPECT_EQ(other->run("lock shared 0 " + generated.text).status, VI_SUCCESS);
  } else {
    // VXI-11 carries no shared lock: another process's shared and exclusive locks are granted
    // (NI-VISA does the same), and an exclusive one keeps this process's I/O out.
    EXPECT_EQ(other->run("lock shared 0 key-2").status, VI_SUCCESS);
    EXPECT_EQ(other->run("unlock").status, VI_SUCCESS);
    EXPECT_EQ(other->run("lock excl 0").status, VI_SUCCESS);
    EXPECT_LT(run(*a, "query *IDN?").status, 0);
    EXPECT_EQ(other->run("unlock").status, VI_SUCCESS);
    EXPECT_EQ(run(*a, "query *IDN?").text, scope_idn);
  }
}

TEST_P(DeviceLocks, SocketIsKeptOutByAServedLock) {
  // The raw socket carries no lock, but the served device has one for every protocol: a SOCKET
  // client in another process waits while this protocol's session holds the lock.
  auto a = session();
  auto other = peer("socket", 600);
  EXPECT_EQ(other->run("query *IDN?").text, scope_idn);
  EXPECT_EQ(run(*a, "lock excl 0").status, VI_SUCCESS);
  auto kept_out = other->run("query *IDN?");
  EXPECT_EQ(kept_out.status, VI_ERROR_TMO);
  EXPECT_EQ(run(*a, "query *IDN?").text, scope_idn);
  EXPECT_EQ(run(*a, "unlock").status, VI_SUCCESS);
  // The query the lock held back reaches the instrument now; its answer is then read.
  auto later = other->run("query *IDN?");
  if (later.text != scope_idn) later = other->run("query *IDN?");
  EXPECT_EQ(later.text, scope_idn);
}

TEST_P(DeviceLocks, ClosingEndsALockWaitAtTheInstrument) {
  auto holder = peer();
  EXPECT_EQ(holder->run("lock excl 0").status, VI_SUCCESS);
  auto waiter = session();
  std::atomic<bool> started{false};
  LockReply waited;
  std::thread t([&] {
    started = true;
    waited = run(*waiter, "lock excl 20000");
  });
  while (!started) std::this_thread::yield();
  std::this_thread::sleep_for(300ms);  // the request waits at the instrument
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(viClose(waiter->session()), VI_SUCCESS);
  t.join();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(waited.status, VI_ERROR_INV_OBJECT);
  EXPECT_LT(took, 3s);  // not the 20 s lock timeout
  // The closed session holds nothing at the instrument.
  EXPECT_EQ(holder->run("unlock").status, VI_SUCCESS);
  auto third = session();
  EXPECT_EQ(run(*third, "lock excl 2000").status, VI_SUCCESS);
  EXPECT_EQ(run(*third, "query *IDN?").text, scope_idn);
}

INSTANTIATE_TEST_SUITE_P(Served, Locks, ::testing::Values("hislip", "vxi11", "socket"),
                         [](const auto& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Served, DeviceLocks, ::testing::Values("hislip", "vxi11"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace cppvisa
