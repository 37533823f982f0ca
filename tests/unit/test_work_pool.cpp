// Tests of core/work_pool.hpp: jobs in order per key, keys side by side on a bounded number of
// threads, queued jobs taken out (cancelled), waiting for a key to be idle.
#include "core/work_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using namespace cppvisa::core;
using namespace std::chrono_literals;

TEST(WorkPool, JobsOfOneKeyRunInOrderOneAtATime) {
  WorkPool pool(4);
  std::mutex m;
  std::vector<int> order;
  std::atomic<int> inside{0}, overlap{0};
  for (int i = 0; i < 50; ++i)
    pool.post(7, [&, i](bool cancelled) {
      EXPECT_FALSE(cancelled);
      if (inside++ > 0) overlap++;
      {
        std::lock_guard g(m);
        order.push_back(i);
      }
      inside--;
    });
  pool.wait_idle(7);
  EXPECT_EQ(overlap.load(), 0);
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
}

TEST(WorkPool, KeysRunSideBySideOnAtMostTheFixedThreads) {
  WorkPool pool(3);
  std::mutex m;
  std::set<std::thread::id> threads;
  std::atomic<int> running{0}, most{0};
  for (int key = 1; key <= 12; ++key)
    pool.post(key, [&](bool) {
      int now = ++running;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      {
        std::lock_guard g(m);
        threads.insert(std::this_thread::get_id());
      }
      std::this_thread::sleep_for(20ms);
      --running;
    });
  for (int key = 1; key <= 12; ++key) pool.wait_idle(key);
  EXPECT_LE(most.load(), 3);
  EXPECT_LE(threads.size(), 3u);
  EXPECT_GE(threads.size(), 1u);
}

TEST(WorkPool, AQueuedJobCanBeTakenOutARunningOneCannot) {
  WorkPool pool(2);
  std::atomic<bool> release{false}, started{false};
  auto first = pool.post(1, [&](bool) {
    started = true;
    while (!release) std::this_thread::sleep_for(1ms);
  });
  std::atomic<int> ran{0};
  auto second = pool.post(1, [&](bool cancelled) { ran += cancelled ? 100 : 1; });
  auto third = pool.post(1, [&](bool cancelled) { ran += cancelled ? 100 : 1; });
  while (!started) std::this_thread::yield();
  EXPECT_TRUE(pool.pending(first));
  EXPECT_FALSE(pool.take(first));  // running
  auto taken = pool.take(second);
  ASSERT_TRUE(taken);
  taken(true);
  EXPECT_FALSE(pool.take(second));  // already taken
  EXPECT_FALSE(pool.pending(second));
  release = true;
  pool.wait_idle(1);
  EXPECT_EQ(ran.load(), 101);  // the second cancelled by its taker, the third run
  EXPECT_FALSE(pool.pending(third));
}

TEST(WorkPool, TakeAllEmptiesAKeysQueue) {
  WorkPool pool(1);
  std::atomic<bool> release{false}, started{false};
  pool.post(5, [&](bool) {
    started = true;
    while (!release) std::this_thread::sleep_for(1ms);
  });
  std::atomic<int> ran{0};
  for (int i = 0; i < 3; ++i) pool.post(5, [&](bool) { ++ran; });
  while (!started) std::this_thread::yield();
  auto jobs = pool.take_all(5);
  EXPECT_EQ(jobs.size(), 3u);
  release = true;
  pool.wait_idle(5);
  EXPECT_EQ(ran.load(), 0);
}

TEST(WorkPool, WaitIdleFromAJobOfItsKeyDoesNotWaitForItself) {
  WorkPool pool(1);
  std::atomic<bool> done{false};
  pool.post(9, [&](bool) {
    EXPECT_TRUE(pool.running_job_of(9));
    EXPECT_FALSE(pool.running_job_of(8));
    pool.wait_idle(9);  // returns at once
    done = true;
  });
  pool.wait_idle(9);
  EXPECT_TRUE(done);
}

TEST(WorkPool, DestructionCancelsWhatIsQueued) {
  std::atomic<int> cancelled{0}, ran{0};
  std::atomic<bool> started{false};
  {
    WorkPool pool(1);
    pool.post(1, [&](bool c) {
      started = true;
      std::this_thread::sleep_for(50ms);
      (c ? cancelled : ran)++;
    });
    for (int i = 0; i < 4; ++i) pool.post(1, [&](bool c) { (c ? cancelled : ran)++; });
    while (!started) std::this_thread::yield();
  }
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(cancelled.load(), 4);
}
