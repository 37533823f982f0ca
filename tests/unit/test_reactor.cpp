// Tests of core/reactor.hpp: a watch fires once, when its descriptor is readable or at its
// deadline; cancelled watches never fire; many descriptors on the one thread.
#include "core/reactor.hpp"

#include "support/pipe.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <unistd.h>

using namespace cppvisa::core;
using namespace std::chrono_literals;

namespace {
using cppvisa::testing::Pipe;

template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 4000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}
}  // namespace

TEST(Reactor, AWatchFiresOnceWhenReadable) {
  Reactor reactor;
  Pipe p;
  std::atomic<int> fired{0};
  std::atomic<bool> readable{false};
  reactor.watch(p.fds[0], Deadline::never(), [&](Reactor::Fired f) {
    readable = f == Reactor::Fired::readable;
    ++fired;
  });
  EXPECT_EQ(reactor.watching(), 1u);
  ASSERT_EQ(::write(p.fds[1], "ab", 2), 2);
  ASSERT_TRUE(eventually([&] { return fired.load() == 1; }));
  EXPECT_TRUE(readable.load());
  std::this_thread::sleep_for(20ms);  // still readable: a fired watch does not fire again
  EXPECT_EQ(fired.load(), 1);
  EXPECT_EQ(reactor.watching(), 0u);
}

TEST(Reactor, AWatchFiresAtItsDeadline) {
  Reactor reactor;
  Pipe p;
  std::atomic<int> deadlines{0};
  reactor.watch(p.fds[0], Deadline::after_ms(30), [&](Reactor::Fired f) {
    if (f == Reactor::Fired::deadline) ++deadlines;
  });
  ASSERT_TRUE(eventually([&] { return deadlines.load() == 1; }));
  EXPECT_EQ(reactor.watching(), 0u);
}

TEST(Reactor, ACancelledWatchNeverFires) {
  Reactor reactor;
  Pipe p;
  std::atomic<int> fired{0};
  auto token = reactor.watch(p.fds[0], Deadline::after_ms(20), [&](Reactor::Fired) { ++fired; });
  EXPECT_TRUE(reactor.cancel(token));
  EXPECT_FALSE(reactor.cancel(token));
  ASSERT_EQ(::write(p.fds[1], "a", 1), 1);
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(fired.load(), 0);
}

TEST(Reactor, ManyDescriptorsAndSharedOnes) {
  Reactor reactor;
  constexpr int n = 100;
  std::vector<std::unique_ptr<Pipe>> pipes;
  std::atomic<int> fired{0};
  for (int i = 0; i < n; ++i) {
    pipes.push_back(std::make_unique<Pipe>());
    reactor.watch(pipes.back()->fds[0], Deadline::never(), [&](Reactor::Fired) { ++fired; });
  }
  // Two watches on one descriptor both fire.
  reactor.watch(pipes[0]->fds[0], Deadline::never(), [&](Reactor::Fired) { ++fired; });
  for (auto& p : pipes) ASSERT_EQ(::write(p->fds[1], "x", 1), 1);
  ASSERT_TRUE(eventually([&] { return fired.load() == n + 1; }));
}

TEST(Reactor, ARefusedDescriptorFiresAtOnce) {
  Reactor reactor;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  ::close(fds[1]);
  std::atomic<int> fired{0};
  reactor.watch(fds[0], Deadline::never(), [&](Reactor::Fired) { ++fired; });
  ASSERT_TRUE(eventually([&] { return fired.load() == 1; }));
}

TEST(Reactor, WithoutAThreadRunOnceWaitsAndCallsOnTheCallersThread) {
  Reactor reactor(false);  // driven by run_once(), as core::WorkPool's threads drive theirs
  Pipe p, q;
  std::atomic<int> fired{0};
  std::thread::id where;
  reactor.watch(p.fds[0], Deadline::never(), [&](Reactor::Fired f) {
    EXPECT_EQ(f, Reactor::Fired::readable);
    where = std::this_thread::get_id();
    ++fired;
  });
  EXPECT_EQ(reactor.run_once(0), 0u);  // nothing readable: does not wait
  ASSERT_EQ(::write(p.fds[1], "x", 1), 1);
  EXPECT_EQ(reactor.run_once(-1), 1u);
  EXPECT_EQ(fired.load(), 1);
  EXPECT_EQ(where, std::this_thread::get_id());
  // The descriptor stays registered, disarmed: a new watch re-arms it and fires again.
  reactor.watch(p.fds[0], Deadline::never(), [&](Reactor::Fired) { ++fired; });
  EXPECT_EQ(reactor.run_once(-1), 1u);
  EXPECT_EQ(fired.load(), 2);
  // A deadline ends the wait; interrupt() from another thread ends it with nothing fired.
  reactor.watch(q.fds[0], Deadline::after_ms(20), [&](Reactor::Fired f) {
    if (f == Reactor::Fired::deadline) ++fired;
  });
  while (reactor.run_once(-1) == 0) {
  }
  EXPECT_EQ(fired.load(), 3);
  std::thread t([&] {
    std::this_thread::sleep_for(20ms);
    reactor.interrupt();
  });
  EXPECT_EQ(reactor.run_once(-1), 0u);
  t.join();
}
