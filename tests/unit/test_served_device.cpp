// server::ServedDevice: the rules every protocol server gets from the base class (turns, locks
// across clients, output owned by the client that asked, response_pending, abort, listeners).
#include "integration/fake_device.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

namespace {

using namespace cppvisa;
using namespace std::chrono_literals;
using server::ClientId;
using server::LockType;
using cppvisa::testing::bytes_of;
using cppvisa::testing::FakeDevice;

core::Deadline ms(std::uint32_t n) { return core::Deadline::after_ms(n); }

status_t write(server::ServedDevice& d, ClientId c, std::string_view text, core::Deadline deadline = ms(1000)) {
  std::size_t n = 0;
  return d.write(c, bytes_of(text), true, n, deadline);
}

std::string read(server::ServedDevice& d, ClientId c, status_t* status = nullptr, core::Deadline deadline = ms(1000)) {
  std::vector<std::byte> buf(4096);
  server::ReadResult r;
  status_t st = d.read(c, buf, std::nullopt, r, deadline);
  if (status) *status = st;
  return cppvisa::testing::text_of(std::span(buf).first(r.count));
}

TEST(ServedDevice, ClientIdsAreUniqueAndNeverZero) {
  ClientId a = server::new_client_id(), b = server::new_client_id();
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
}

TEST(ServedDevice, AnswerOfAClosedClientIsNeverHandedToTheNext) {
  FakeDevice d;
  ClientId a = server::new_client_id(), b = server::new_client_id();
  ASSERT_EQ(write(d, a, "ECHO? for-a\n"), status::SUCCESS);
  EXPECT_TRUE(d.response_pending(a));
  EXPECT_FALSE(d.response_pending(b));
  d.close_client(a);
  ASSERT_EQ(write(d, b, "ECHO? for-b\n"), status::SUCCESS);
  EXPECT_EQ(read(d, b), "for-b\n");
  EXPECT_EQ(d.clears.load(), 1);  // A's unread output was discarded with a device clear
}

TEST(ServedDevice, OtherClientsWaitUntilTheResponseIsRead) {
  FakeDevice d;
  ClientId a = server::new_client_id(), b = server::new_client_id();
  ASSERT_EQ(write(d, a, "ECHO? for-a\n"), status::SUCCESS);
  auto b_done = std::async(std::launch::async, [&] {
    EXPECT_EQ(write(d, b, "ECHO? for-b\n", ms(5000)), status::SUCCESS);
    return read(d, b);
  });
  EXPECT_EQ(b_done.wait_for(100ms), std::future_status::timeout);  // held off by A's unread answer
  EXPECT_EQ(read(d, a), "for-a\n");
  EXPECT_EQ(b_done.get(), "for-b\n");
  EXPECT_EQ(d.clears.load(), 0);  // nothing had to be discarded
}

TEST(ServedDevice, AHoldThatRunsOutDiscardsTheUnreadAnswer) {
  server::ServedDevice::Options o;
  o.response_hold_ms = 50;
  FakeDevice d(o);
  ClientId a = server::new_client_id(), b = server::new_client_id();
  ASSERT_EQ(write(d, a, "ECHO? for-a\n"), status::SUCCESS);
  ASSERT_EQ(write(d, b, "ECHO? for-b\n"), status::SUCCESS);  // after the hold
  EXPECT_EQ(read(d, b), "for-b\n");
  status_t st = 0;
  EXPECT_EQ(read(d, a, &st, ms(50)), "");
  EXPECT_EQ(st, status::ERROR_TMO);
  // An unread answer holds a lock off only while its hold lasts.
  ASSERT_EQ(write(d, a, "ECHO? never-read\n"), status::SUCCESS);
  EXPECT_EQ(d.lock(b, LockType::exclusive, {}, ms(5000)), status::SUCCESS);
}

TEST(ServedDevice, AWaitForTheHoldEndsAtTheDeadline) {
  FakeDevice d;  // the hold (2 s) is longer than B's deadline
  ClientId a = server::new_client_id(), b = server::new_client_id();
  ASSERT_EQ(write(d, a, "ECHO? for-a\n"), status::SUCCESS);
  EXPECT_EQ(write(d, b, "*RST\n", ms(50)), status::ERROR_TMO);
  EXPECT_EQ(read(d, a), "for-a\n");
}

TEST(ServedDevice, ResponsePendingWithoutDeviceKnowledgeFollowsQueries) {
  FakeDevice d;
  d.knows_output = false;  // as a real instrument behind a bus: no polling reads, the query decides
  ClientId a = server::new_client_id();
  ASSERT_EQ(write(d, a, "SET 1\n"), status::SUCCESS);
  EXPECT_FALSE(d.response_pending(a));
  ASSERT_EQ(write(d, a, "ECHO? x\n"), status::SUCCESS);
  EXPECT_TRUE(d.response_pending(a));
  EXPECT_EQ(read(d, a), "x\n");
  EXPECT_FALSE(d.response_pending(a));
  // A message in pieces: the query is known at its end.
  std::size_t n = 0;
  ASSERT_EQ(d.write(a, bytes_of("ECHO"), false, n, ms(100)), status::SUCCESS);
  ASSERT_EQ(d.write(a, bytes_of("? y\n"), true, n, ms(100)), status::SUCCESS);
  EXPECT_TRUE(d.response_pending(a));
  EXPECT_EQ(read(d, a), "y\n");
}

TEST(ServedDevice, ResponseReadyOnlyWhenTheDeviceSaysSo) {
  FakeDevice d;
  ClientId a = server::new_client_id(), b = server::new_client_id();
  EXPECT_FALSE(d.response_ready(a));
  std::size_t n = 0;
  ASSERT_EQ(d.write(a, bytes_of("ECHO? x"), false, n, ms(100)), status::SUCCESS);
  EXPECT_FALSE(d.response_ready(a));  // the message is incomplete
  ASSERT_EQ(d.write(a, bytes_of("\n"), true, n, ms(100)), status::SUCCESS);
  EXPECT_TRUE(d.response_ready(a));
  EXPECT_FALSE(d.response_ready(b));  // A's answer
  // Ready: a read with a deadline already due returns it.
  status_t st = 0;
  EXPECT_EQ(read(d, a, &st, core::Deadline::after_ms(tmo_immediate)), "x\n");
  EXPECT_EQ(st, status::SUCCESS);
  EXPECT_FALSE(d.response_ready(a));
  // A device that cannot tell is never "ready" (its answer may be on its way: pending, not ready).
  d.knows_output = false;
  ASSERT_EQ(write(d, a, "ECHO? y\n"), status::SUCCESS);
  EXPECT_TRUE(d.response_pending(a));
  EXPECT_FALSE(d.response_ready(a));
}

TEST(ServedDevice, PartOfAMessageHoldsOffOtherClients) {
  server::ServedDevice::Options o;
  o.response_hold_ms = 100;
  FakeDevice d(o);
  ClientId a = server::new_client_id(), b = server::new_client_id();
  std::size_t n = 0;
  ASSERT_EQ(d.write(a, bytes_of("ECHO? par"), false, n, ms(100)), status::SUCCESS);
  // B cannot slip its bytes into A's message while A is still writing it.
  EXPECT_EQ(write(d, b, "ECHO? b\n", ms(30)), status::ERROR_TMO);
  ASSERT_EQ(d.write(a, bytes_of("t\n"), true, n, ms(100)), status::SUCCESS);
  EXPECT_EQ(read(d, a), "part\n");
}

TEST(ServedDevice, ExclusiveLockKeepsOthersOut) {
  FakeDevice d;
  ClientId a = server::new_client_id(), b = server::new_client_id();
  ASSERT_EQ(d.lock(a, LockType::exclusive, {}, ms(0)), status::SUCCESS);
  EXPECT_EQ(d.lock(a, LockType::exclusive, {}, ms(0)), status::SUCCESS_NESTED_EXCLUSIVE);
  EXPECT_TRUE(d.holds_lock(a, LockType::exclusive));
  EXPECT_FALSE(d.may_access(b));
  EXPECT_EQ(write(d, b, "SET 1\n", ms(30)), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(d.lock(b, LockType::exclusive, {}, ms(30)), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(d.wait_access(b, ms(30)), status::ERROR_RSRC_LOCKED);
  auto waiting = std::async(std::launch::async, [&] { return write(d, b, "SET 2\n", ms(5000)); });
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(d.unlock(a), status::SUCCESS);
  EXPECT_EQ(waiting.get(), status::SUCCESS);  // B went on as soon as the lock was released
  EXPECT_EQ(d.unlock(a), status::ERROR_SESN_NLOCKED);
}

TEST(ServedDevice, SharedLockByKey) {
  FakeDevice d;
  ClientId a = server::new_client_id(), b = server::new_client_id(), c = server::new_client_id();
  EXPECT_EQ(d.lock(a, LockType::shared, {}, ms(0)), status::ERROR_INV_ACCESS_KEY);
  ASSERT_EQ(d.lock(a, LockType::shared, "k", ms(0)), status::SUCCESS);
  ASSERT_EQ(d.lock(b, LockType::shared, "k", ms(0)), status::SUCCESS);
  EXPECT_EQ(d.lock(c, LockType::shared, "other", ms(0)), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(d.lock(c, LockType::exclusive, {}, ms(0)), status::ERROR_RSRC_LOCKED);
  EXPECT_TRUE(d.may_access(b));
  EXPECT_FALSE(d.may_access(c));
  // A sharer may add the exclusive lock only when it is the only sharer.
  EXPECT_EQ(d.lock(a, LockType::exclusive, {}, ms(0)), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(d.unlock(b), status::SUCCESS_NESTED_SHARED);
  EXPECT_EQ(d.lock(a, LockType::exclusive, {}, ms(0)), status::SUCCESS);
  auto info = d.lock_info();
  EXPECT_TRUE(info.exclusive);
  EXPECT_EQ(info.holders, 1u);
  d.close_client(a);  // every lock of a closed client goes
  EXPECT_FALSE(d.lock_info().exclusive);
  EXPECT_EQ(d.lock_info().holders, 0u);
  EXPECT_EQ(d.lock(c, LockType::shared, "other", ms(0)), status::SUCCESS);
}

TEST(ServedDevice, ALockIsGrantedBetweenAnotherClientsQueryAndItsAnswer) {
  // B's lock would keep A out of its own answer: it waits until A has read it.
  FakeDevice d;
  ClientId a = server::new_client_id(), b = server::new_client_id(), c = server::new_client_id();
  ASSERT_EQ(write(d, a, "ECHO? for-a\n"), status::SUCCESS);
  EXPECT_EQ(d.lock(b, LockType::exclusive, {}, ms(0)), status::ERROR_RSRC_LOCKED);
  auto locked = std::async(std::launch::async, [&] { return d.lock(b, LockType::exclusive, {}, ms(5000)); });
  EXPECT_EQ(locked.wait_for(100ms), std::future_status::timeout);
  EXPECT_EQ(read(d, a), "for-a\n");
  EXPECT_EQ(locked.get(), status::SUCCESS);
  EXPECT_EQ(d.clears.load(), 0);  // nothing was discarded
  EXPECT_EQ(d.unlock(b), status::SUCCESS);
  // A shared lock that A already shares does not wait; one that keeps A out does.
  ASSERT_EQ(d.lock(a, LockType::shared, "k", ms(0)), status::SUCCESS);
  ASSERT_EQ(write(d, a, "ECHO? again\n"), status::SUCCESS);
  EXPECT_EQ(d.lock(b, LockType::shared, "k", ms(0)), status::SUCCESS);
  EXPECT_EQ(d.unlock(a), status::SUCCESS_NESTED_SHARED);
  EXPECT_EQ(d.lock(c, LockType::exclusive, {}, ms(0)), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(d.unlock(b), status::SUCCESS_NESTED_SHARED);
  EXPECT_EQ(d.lock(c, LockType::shared, "k2", ms(0)), status::ERROR_RSRC_LOCKED);  // A's answer is unread
  EXPECT_EQ(read(d, a), "again\n");
  EXPECT_EQ(d.lock(c, LockType::shared, "k2", ms(0)), status::SUCCESS);
}

TEST(ServedDevice, AWaiterThatStoodBackIsWokenWhenALockClosesTheOtherOnesGate) {
  // The 10 s stall of the thread-safety stress test (issue #16): B, queued behind A, stood back
  // for A (the device free, A's gate open: turns go in arrival order); a lock then granted to B
  // closed A's gate, and nothing woke B, which slept until its deadline with the device free and
  // every other client kept out by its lock. The race is between B's look at the queue, the grant
  // and A's look: repeated (without the fix it was lost within 60 rounds here; 0.6 s with it).
  int stalled = 0;
  for (int round = 0; round < 150 && stalled == 0; ++round) {
    FakeDevice d;
    ClientId x = server::new_client_id(), a = server::new_client_id(), b = server::new_client_id();
    d.hold_input();  // X's write keeps the device busy while A and B queue up
    auto busy = std::async(std::launch::async, [&] { return write(d, x, "SET 0\n", ms(10000)); });
    for (int i = 0; i < 5000 && d.writes_held.load() == 0; ++i) std::this_thread::sleep_for(1ms);
    ASSERT_EQ(d.writes_held.load(), 1);
    auto fa = std::async(std::launch::async, [&] { return write(d, a, "SET 1\n", ms(10000)); });
    std::this_thread::sleep_for(1ms);  // (mostly) A first in the queue
    auto fb = std::async(std::launch::async, [&] { return write(d, b, "SET 2\n", ms(20000)); });
    std::this_thread::sleep_for(1ms);
    d.release_input();  // X's write ends; A and B look at the queue as this lock is granted
    ASSERT_EQ(d.lock(b, LockType::shared, "k", ms(5000)), status::SUCCESS);
    // B holds the lock and the device is free: B's write goes at once. Stalled, it would go only
    // when its 20 s deadline woke it (and then succeed).
    if (fb.wait_for(5s) != std::future_status::ready) {
      ++stalled;
      ADD_FAILURE() << "round " << round << ": the lock holder's write slept with the device free";
    }
    EXPECT_EQ(fb.get(), status::SUCCESS);
    EXPECT_EQ(d.unlock(b), status::SUCCESS_NESTED_SHARED);
    EXPECT_EQ(fa.get(), status::SUCCESS);  // A goes once the lock is gone
    busy.get();
  }
}

TEST(ServedDevice, AbortEndsTheCallInProgressAndTheWaits) {
  FakeDevice d;
  ClientId a = server::new_client_id(), b = server::new_client_id();
  ASSERT_EQ(write(d, a, "SILENT?\n"), status::SUCCESS);
  auto blocked = std::async(std::launch::async, [&] {
    status_t st = 0;
    read(d, a, &st, ms(10000));
    return st;
  });
  ASSERT_TRUE(d.wait_for_blocked_read(2s));
  auto t0 = std::chrono::steady_clock::now();
  d.abort(a);
  EXPECT_EQ(blocked.get(), status::ERROR_ABORT);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  // Nothing in progress: an abort changes nothing for the next call.
  d.abort(a);
  ASSERT_EQ(write(d, a, "ECHO? after\n"), status::SUCCESS);
  EXPECT_EQ(read(d, a), "after\n");
  // A client waiting for a lock is ended too.
  ASSERT_EQ(d.lock(b, LockType::exclusive, {}, ms(0)), status::SUCCESS);
  auto waiting = std::async(std::launch::async, [&] { return d.wait_access(a, ms(10000)); });
  std::this_thread::sleep_for(30ms);
  d.abort(a);
  EXPECT_EQ(waiting.get(), status::ERROR_ABORT);
}

TEST(ServedDevice, AnAbortEndsEveryWaitOfTheClient) {
  FakeDevice d;
  ClientId a = server::new_client_id(), b = server::new_client_id();
  ASSERT_EQ(d.lock(b, LockType::exclusive, {}, ms(0)), status::SUCCESS);
  // Two waits of one client at once (as HiSLIP's channels have): one abort ends both.
  auto w1 = std::async(std::launch::async, [&] { return d.wait_access(a, ms(10000)); });
  auto w2 = std::async(std::launch::async, [&] { return d.lock(a, LockType::exclusive, {}, ms(10000)); });
  std::this_thread::sleep_for(50ms);
  d.abort(a);
  EXPECT_EQ(w1.get(), status::ERROR_ABORT);
  EXPECT_EQ(w2.get(), status::ERROR_ABORT);
  // ... and does not linger for a later wait.
  d.unlock(b);
  EXPECT_EQ(d.wait_access(a, ms(100)), status::SUCCESS);
}

TEST(ServedDevice, NothingIsPendingWhileAMessageIsIncomplete) {
  FakeDevice d;
  ClientId a = server::new_client_id();
  std::size_t n = 0;
  ASSERT_EQ(d.write(a, bytes_of("ECHO? x"), false, n, ms(100)), status::SUCCESS);
  EXPECT_FALSE(d.response_pending(a));  // reading now would make an instrument report -420
  ASSERT_EQ(d.write(a, bytes_of("\n"), true, n, ms(100)), status::SUCCESS);
  EXPECT_TRUE(d.response_pending(a));
}

TEST(ServedDevice, EmptyReadsDoNotRenewTheHold) {
  server::ServedDevice::Options o;
  o.response_hold_ms = 150;
  FakeDevice d(o);
  d.knows_output = false;
  ClientId a = server::new_client_id(), b = server::new_client_id();
  ASSERT_EQ(write(d, a, "SILENT?\n"), status::SUCCESS);  // a query that is never answered
  auto reader = std::async(std::launch::async, [&] {
    for (int i = 0; i < 25; ++i) read(d, a, nullptr, ms(40));  // 1 s waiting in vain, in slices
  });
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(write(d, b, "ECHO? b\n", ms(5000)), status::SUCCESS);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 800ms);  // the hold (150 ms) ran out: not renewed
  reader.get();
}

TEST(ServedDevice, ReadOnlyRefusesWritesAndTriggers) {
  server::ServedDevice::Options o;
  o.read_only = true;
  FakeDevice d(o);
  ClientId a = server::new_client_id();
  EXPECT_EQ(write(d, a, "*RST\n"), status::ERROR_NSUP_OPER);
  EXPECT_EQ(d.trigger(a, ms(100)), status::ERROR_NSUP_OPER);
  std::uint8_t stb = 0;
  EXPECT_EQ(d.read_stb(a, stb, ms(100)), status::SUCCESS);
  EXPECT_EQ(d.bytes_written.load(), 0u);
}

TEST(ServedDevice, EveryListenerHearsServiceRequests) {
  FakeDevice d;
  std::atomic<int> first{0}, second{0};
  auto id1 = d.add_service_request_listener([&] { ++first; });
  auto id2 = d.add_service_request_listener([&] { ++second; });
  d.request_service();
  d.remove_service_request_listener(id1);
  d.request_service();
  d.remove_service_request_listener(id2);
  d.request_service();
  EXPECT_EQ(first.load(), 1);
  EXPECT_EQ(second.load(), 2);
}

TEST(ServedDevice, StatusesOfTheDeviceReachTheCaller) {
  struct Minimal : server::ServedDevice {
    status_t do_write(std::span<const std::byte> d, bool, std::size_t& n, core::Deadline) override {
      n = d.size();
      return status::SUCCESS;
    }
    status_t do_read(std::span<std::byte>, std::optional<std::byte>, server::ReadResult&, core::Deadline) override {
      return status::ERROR_IO;
    }
  } d;
  ClientId a = server::new_client_id();
  EXPECT_EQ(d.trigger(a, ms(10)), status::ERROR_NSUP_OPER);
  EXPECT_EQ(d.remote(a, ms(10)), status::ERROR_NSUP_OPER);
  status_t st = 0;
  read(d, a, &st);
  EXPECT_EQ(st, status::ERROR_IO);
}

}  // namespace
