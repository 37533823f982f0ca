// Tests of core/lock_table.hpp: VISA lock semantics (VPP-4.3).
#include "core/lock_table.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace cppvisa;
using namespace cppvisa::core;
using namespace std::chrono_literals;

namespace {
Deadline now() { return Deadline::after_ms(0); }
}  // namespace

TEST(ResourceLock, ExclusiveNestsAndExcludesOthers) {
  ResourceLock lock;
  std::string key;
  EXPECT_EQ(lock.lock(1, AccessMode::exclusive_lock, now(), true, {}, key), status::SUCCESS);
  EXPECT_TRUE(key.empty());
  EXPECT_EQ(lock.lock(1, AccessMode::exclusive_lock, now(), true, {}, key), status::SUCCESS_NESTED_EXCLUSIVE);
  EXPECT_EQ(lock.state(), AccessMode::exclusive_lock);
  EXPECT_TRUE(lock.may_access(1));
  EXPECT_FALSE(lock.may_access(2));
  EXPECT_EQ(lock.lock(2, AccessMode::exclusive_lock, now(), true, {}, key), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(lock.lock(2, AccessMode::shared_lock, now(), true, {}, key), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(lock.unlock(1), status::SUCCESS_NESTED_EXCLUSIVE);
  EXPECT_EQ(lock.unlock(1), status::SUCCESS);
  EXPECT_EQ(lock.unlock(1), status::ERROR_SESN_NLOCKED);
  EXPECT_TRUE(lock.may_access(2));
  EXPECT_EQ(lock.state(), AccessMode::no_lock);
}

TEST(ResourceLock, SharedKeyIsSharedAndOthersExcluded) {
  ResourceLock lock;
  std::string a_key, b_key, c_key;
  EXPECT_EQ(lock.lock(1, AccessMode::shared_lock, now(), true, {}, a_key), status::SUCCESS);
  EXPECT_FALSE(a_key.empty());
  EXPECT_EQ(lock.lock(2, AccessMode::shared_lock, now(), true, a_key, b_key), status::SUCCESS);
  EXPECT_EQ(b_key, a_key);
  EXPECT_TRUE(lock.may_access(1));
  EXPECT_TRUE(lock.may_access(2));
  EXPECT_FALSE(lock.may_access(3));
  EXPECT_EQ(lock.lock(3, AccessMode::shared_lock, now(), true, "wrong", c_key), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(lock.lock(1, AccessMode::shared_lock, now(), true, {}, a_key), status::SUCCESS_NESTED_SHARED);
  EXPECT_EQ(lock.unlock(2), status::SUCCESS);
  EXPECT_FALSE(lock.may_access(2));
  EXPECT_EQ(lock.unlock(1), status::SUCCESS_NESTED_SHARED);
  EXPECT_EQ(lock.unlock(1), status::SUCCESS);
  EXPECT_TRUE(lock.may_access(3));
}

TEST(ResourceLock, RequestedSharedKeyIsUsed) {
  ResourceLock lock;
  std::string key;
  EXPECT_EQ(lock.lock(1, AccessMode::shared_lock, now(), true, "mykey", key), status::SUCCESS);
  EXPECT_EQ(key, "mykey");
}

TEST(ResourceLock, ExclusiveOverOwnSharedLock) {
  ResourceLock lock;
  std::string key, other;
  ASSERT_EQ(lock.lock(1, AccessMode::shared_lock, now(), true, {}, key), status::SUCCESS);
  ASSERT_EQ(lock.lock(2, AccessMode::shared_lock, now(), true, key, other), status::SUCCESS);
  EXPECT_EQ(lock.lock(1, AccessMode::exclusive_lock, now(), true, {}, other), status::SUCCESS);
  EXPECT_FALSE(lock.may_access(2));
  EXPECT_EQ(lock.unlock(1), status::SUCCESS_NESTED_SHARED);  // exclusive released first
  EXPECT_TRUE(lock.may_access(2));
}

TEST(ResourceLock, WaitsForReleaseUpToTimeout) {
  ResourceLock lock;
  std::string key;
  ASSERT_EQ(lock.lock(1, AccessMode::exclusive_lock, now(), true, {}, key), status::SUCCESS);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(lock.lock(2, AccessMode::exclusive_lock, Deadline::after_ms(100), false, {}, key), status::ERROR_TMO);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 90ms);
  std::thread releaser([&] {
    std::this_thread::sleep_for(20ms);
    lock.unlock(1);
  });
  EXPECT_EQ(lock.lock(2, AccessMode::exclusive_lock, Deadline::after_ms(10000), false, {}, key), status::SUCCESS);
  releaser.join();
}

TEST(ResourceLock, ReleaseAllAndBadType) {
  ResourceLock lock;
  std::string key;
  lock.lock(1, AccessMode::exclusive_lock, now(), true, {}, key);
  lock.lock(1, AccessMode::exclusive_lock, now(), true, {}, key);
  lock.release_all(1);
  EXPECT_EQ(lock.state(), AccessMode::no_lock);
  EXPECT_EQ(lock.lock(1, AccessMode::no_lock, now(), true, {}, key), status::ERROR_INV_LOCK_TYPE);
}

TEST(ResourceLock, AWaiterWhoseSessionClosesReturnsInvObjectAndTakesNoLock) {
  ResourceLock lock;
  std::string key;
  ASSERT_EQ(lock.lock(1, AccessMode::exclusive_lock, now(), true, {}, key), status::SUCCESS);
  std::atomic<bool> closed{false};
  status_t waited = 0;
  std::thread waiter([&] {
    waited = lock.lock(2, AccessMode::exclusive_lock, Deadline::never(), false, {}, key, &closed);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  closed = true;           // viClose of session 2: the flag, then release_all wakes the waiters
  lock.release_all(2);
  waiter.join();
  EXPECT_EQ(waited, status::ERROR_INV_OBJECT);
  EXPECT_EQ(lock.unlock(1), status::SUCCESS);
  EXPECT_EQ(lock.state(), AccessMode::no_lock);  // session 2 got nothing on the way out
  // A closed session never gets a lock, even a free one.
  EXPECT_EQ(lock.lock(2, AccessMode::shared_lock, now(), true, {}, key, &closed), status::ERROR_INV_OBJECT);
}

TEST(ResourceLock, UnlockSaysWhichKindIsNoLongerHeldAndUndoTakesBackOneLevel) {
  ResourceLock lock;
  std::string key;
  AccessMode released = AccessMode::exclusive_lock;
  ASSERT_EQ(lock.lock(1, AccessMode::shared_lock, now(), true, "k", key), status::SUCCESS);
  ASSERT_EQ(lock.lock(1, AccessMode::shared_lock, now(), true, "k", key), status::SUCCESS_NESTED_SHARED);
  ASSERT_EQ(lock.lock(1, AccessMode::exclusive_lock, now(), true, {}, key), status::SUCCESS);
  EXPECT_EQ(lock.unlock(1, &released), status::SUCCESS_NESTED_SHARED);
  EXPECT_EQ(released, AccessMode::exclusive_lock);  // the exclusive level was the only one
  EXPECT_EQ(lock.unlock(1, &released), status::SUCCESS_NESTED_SHARED);
  EXPECT_EQ(released, AccessMode::no_lock);  // one shared level left
  EXPECT_EQ(lock.unlock(1, &released), status::SUCCESS);
  EXPECT_EQ(released, AccessMode::shared_lock);
  EXPECT_EQ(lock.unlock(1, &released), status::ERROR_SESN_NLOCKED);
  EXPECT_EQ(released, AccessMode::no_lock);

  // undo() takes back the level of the kind just granted, not the other kind.
  ASSERT_EQ(lock.lock(1, AccessMode::exclusive_lock, now(), true, {}, key), status::SUCCESS);
  ASSERT_EQ(lock.lock(1, AccessMode::shared_lock, now(), true, "k", key), status::SUCCESS);
  lock.undo(1, AccessMode::shared_lock);
  EXPECT_EQ(lock.state(), AccessMode::exclusive_lock);
  EXPECT_EQ(lock.lock(2, AccessMode::shared_lock, now(), true, "other", key), status::ERROR_RSRC_LOCKED);
  lock.undo(1, AccessMode::exclusive_lock);
  EXPECT_EQ(lock.state(), AccessMode::no_lock);
  EXPECT_EQ(lock.lock(2, AccessMode::shared_lock, now(), true, "other", key), status::SUCCESS);
}
