// Tests of core/work_pool.hpp: jobs in order per key, keys side by side on a bounded number of
// threads, queued jobs taken out (cancelled), waiting for a key to be idle, jobs parked on a
// descriptor (no thread held), resumed when readable, at their deadline or interrupted.
#include "core/work_pool.hpp"

#include "support/pipe.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <unistd.h>

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

// ---- parking (await_readable): a job waiting for a descriptor holds no thread ----

namespace {
using cppvisa::testing::Pipe;
}  // namespace

TEST(WorkPool, ParkedJobsHoldNoThreadAndResumeWhenReadable) {
  WorkPool pool(1);  // one thread: every job below must park for the others to run
  constexpr int n = 16;
  std::vector<std::unique_ptr<Pipe>> pipes;
  for (int i = 0; i < n; ++i) pipes.push_back(std::make_unique<Pipe>());
  std::atomic<int> parked{0}, resumed{0};
  std::vector<WorkPool::Wake> why(n, WorkPool::Wake::deadline);
  for (int i = 0; i < n; ++i)
    pool.post(100 + i, [&, i](bool cancelled) {
      ASSERT_FALSE(cancelled);
      ASSERT_TRUE(pool.await_readable(pipes[i]->fds[0], Deadline::never(), [&, i](WorkPool::Wake w) {
        why[i] = w;
        ++resumed;
      }));
      ++parked;
    });
  for (int i = 0; i < 2000 && pool.parked() < n; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(pool.parked(), static_cast<std::size_t>(n));
  EXPECT_EQ(parked.load(), n);
  EXPECT_EQ(resumed.load(), 0);
  for (int i = n - 1; i >= 0; --i) pipes[i]->put();
  for (int i = 0; i < n; ++i) pool.wait_idle(100 + i);
  EXPECT_EQ(resumed.load(), n);
  for (int i = 0; i < n; ++i) EXPECT_EQ(why[i], WorkPool::Wake::readable);
  EXPECT_EQ(pool.parked(), 0u);
}

TEST(WorkPool, AParkedJobHoldsItsKeyUntilItEnds) {
  WorkPool pool(2);
  Pipe p;
  std::vector<int> order;
  std::mutex m;
  auto note = [&](int v) {
    std::lock_guard g(m);
    order.push_back(v);
  };
  std::uint64_t first = pool.post(5, [&](bool) {
    note(1);
    pool.await_readable(p.fds[0], Deadline::never(), [&](WorkPool::Wake) { note(2); });
  });
  pool.post(5, [&](bool) { note(3); });
  for (int i = 0; i < 2000 && pool.parked() < 1; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(pool.pending(first));
  EXPECT_FALSE(pool.take(first));  // parked counts as running
  p.put();
  pool.wait_idle(5);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(WorkPool, AParkedJobEndsAtItsDeadlineOrWhenInterrupted) {
  WorkPool pool(1);
  Pipe silent;
  std::atomic<int> deadline_wakes{0}, interrupted_wakes{0};
  pool.post(1, [&](bool) {
    pool.await_readable(silent.fds[0], Deadline::after_ms(50), [&](WorkPool::Wake w) {
      if (w == WorkPool::Wake::deadline) ++deadline_wakes;
    });
  });
  std::uint64_t id = pool.post(2, [&](bool) {
    pool.await_readable(silent.fds[0], Deadline::never(), [&](WorkPool::Wake w) {
      if (w == WorkPool::Wake::interrupted) ++interrupted_wakes;
    });
  });
  pool.wait_idle(1);
  EXPECT_EQ(deadline_wakes.load(), 1);
  for (int i = 0; i < 2000 && pool.parked() < 1; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(pool.interrupt(id));
  pool.wait_idle(2);
  EXPECT_EQ(interrupted_wakes.load(), 1);
  EXPECT_FALSE(pool.interrupt(id));  // finished
}

TEST(WorkPool, AnInterruptBeforeTheParkEndsItAtOnce) {
  WorkPool pool(1);
  Pipe silent;
  std::atomic<bool> go{false};
  std::atomic<int> interrupted_wakes{0};
  std::uint64_t id = pool.post(1, [&](bool) {
    while (!go) std::this_thread::sleep_for(1ms);  // interrupt() arrives while the job runs
    pool.await_readable(silent.fds[0], Deadline::never(), [&](WorkPool::Wake w) {
      if (w == WorkPool::Wake::interrupted) ++interrupted_wakes;
    });
  });
  for (int i = 0; i < 2000 && !pool.interrupt(id); ++i) std::this_thread::sleep_for(1ms);
  go = true;
  pool.wait_idle(1);
  EXPECT_EQ(interrupted_wakes.load(), 1);
}

TEST(WorkPool, AwaitReadableOutsideAJobDoesNotPark) {
  WorkPool pool(1);
  Pipe p;
  EXPECT_FALSE(pool.await_readable(p.fds[0], Deadline::never(), [](WorkPool::Wake) {}));
}

TEST(WorkPool, DestructionEndsParkedJobsInterrupted) {
  Pipe silent;
  std::atomic<int> interrupted_wakes{0};
  {
    WorkPool pool(1);
    pool.post(1, [&](bool) {
      pool.await_readable(silent.fds[0], Deadline::never(), [&](WorkPool::Wake w) {
        if (w == WorkPool::Wake::interrupted) ++interrupted_wakes;
      });
    });
    for (int i = 0; i < 2000 && pool.parked() < 1; ++i) std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(interrupted_wakes.load(), 1);
}

TEST(WorkPool, AJobBlockingItsThreadDoesNotHoldUpParkedJobs) {
  // The threads take turns waiting in the reactor: while one blocks in a long job (a serial
  // read), another waits for the parked job's descriptor and resumes it.
  WorkPool pool(2);
  Pipe p;
  std::promise<void> resumed;
  auto resumed_future = resumed.get_future();
  pool.post(1, [&](bool) {
    pool.await_readable(p.fds[0], Deadline::never(), [&](WorkPool::Wake) { resumed.set_value(); });
  });
  for (int i = 0; i < 2000 && pool.parked() < 1; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(pool.parked(), 1u);
  std::promise<void> release;
  auto release_future = release.get_future();
  std::atomic<bool> blocking{false};
  pool.post(2, [&](bool) {
    blocking = true;
    release_future.wait_for(60s);  // until the parked job has resumed (or the test gives up)
  });
  for (int i = 0; i < 2000 && !blocking; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(blocking.load());
  p.put();
  EXPECT_EQ(resumed_future.wait_for(30s), std::future_status::ready);
  release.set_value();
  pool.wait_idle(1);
  pool.wait_idle(2);
}

TEST(WorkPool, AJobPostedByItsKeysRunningJobRunsNextOnTheSameThread) {
  // A completion posting its session's next call (the callback form polling an instrument):
  // that call runs on the thread that ends the current job, without waking another.
  WorkPool pool(4);
  std::thread::id first, second;
  pool.post(9, [&](bool) {
    first = std::this_thread::get_id();
    pool.post(9, [&](bool) { second = std::this_thread::get_id(); });
  });
  pool.wait_idle(9);
  EXPECT_EQ(first, second);
}
