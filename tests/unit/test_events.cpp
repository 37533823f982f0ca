// Tests of core/events.hpp: enabling, queues, waiting, handlers, suspension.
#include "core/events.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace cppvisa;
using namespace cppvisa::core;

namespace {
constexpr std::uint16_t kQueue = 1, kHandler = 2, kSuspend = 4, kAll = 0xFFFF;

SessionEvents make() { return SessionEvents({event::service_request, event::clear}); }
std::shared_ptr<Event> srq() { return std::make_shared<Event>(event::service_request); }
status_t dummy(session_t, event_type_t, session_t, void*) { return 0; }
}  // namespace

TEST(SessionEvents, EnableDisableStatuses) {
  auto ev = make();
  EXPECT_EQ(ev.enable(event::service_request, kQueue, 50), status::SUCCESS);
  EXPECT_EQ(ev.enable(event::service_request, kQueue, 50), status::SUCCESS_EVENT_EN);
  EXPECT_EQ(ev.enable(event::trig, kQueue, 50), status::ERROR_INV_EVENT);
  EXPECT_EQ(ev.enable(event::service_request, 0, 50), status::ERROR_INV_MECH);
  EXPECT_EQ(ev.enable(event::service_request, kHandler | kSuspend, 50), status::ERROR_INV_MECH);
  EXPECT_EQ(ev.disable(event::service_request, kQueue), status::SUCCESS);
  EXPECT_EQ(ev.disable(event::service_request, kQueue), status::SUCCESS_EVENT_DIS);
  // Disabling everything on a session with nothing enabled succeeds (PyVISA does it at close).
  EXPECT_GE(ev.disable(event::all_enabled, kAll), 0);
  EXPECT_GE(ev.discard(event::all_enabled, kAll), 0);
}

TEST(SessionEvents, QueueAndWait) {
  auto ev = make();
  std::shared_ptr<Event> got;
  EXPECT_EQ(ev.wait(event::service_request, Deadline::after_ms(0), got), status::ERROR_NENABLED);
  ev.enable(event::service_request, kQueue, 50);
  EXPECT_EQ(ev.wait(event::service_request, Deadline::after_ms(10), got), status::ERROR_TMO);
  ev.deliver(srq());
  ev.deliver(srq());
  EXPECT_EQ(ev.wait(event::service_request, Deadline::after_ms(0), got), status::SUCCESS_QUEUE_NEMPTY);
  EXPECT_EQ(got->type, event::service_request);
  EXPECT_EQ(ev.wait(event::all_enabled, Deadline::after_ms(0), got), status::SUCCESS);
  EXPECT_EQ(ev.discard(event::service_request, kQueue), status::SUCCESS_QUEUE_EMPTY);
}

TEST(SessionEvents, WaitWakesOnDelivery) {
  auto ev = make();
  ev.enable(event::service_request, kQueue, 50);
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ev.deliver(srq());
  });
  std::shared_ptr<Event> got;
  EXPECT_EQ(ev.wait(event::service_request, Deadline::after_ms(10000), got), status::SUCCESS);
  t.join();
}

TEST(SessionEvents, QueueIsBounded) {
  auto ev = make();
  ev.enable(event::service_request, kQueue, 3);
  for (int i = 0; i < 10; ++i) ev.deliver(srq());
  std::shared_ptr<Event> got;
  int n = 0;
  while (ev.wait(event::service_request, Deadline::after_ms(0), got) >= 0) ++n;
  EXPECT_EQ(n, 3);
}

TEST(SessionEvents, QueueOverflowIsReportedByTheNextWaitOnce) {
  auto ev = make();
  ev.enable(event::service_request, kQueue, 2);
  std::vector<std::shared_ptr<Event>> sent;
  for (int i = 0; i < 5; ++i) {
    sent.push_back(srq());
    ev.deliver(sent.back());
  }
  std::shared_ptr<Event> got;
  // The oldest occurrences are kept; the loss is reported once, by the first wait after it.
  EXPECT_EQ(ev.wait(event::service_request, Deadline::after_ms(0), got), status::WARN_QUEUE_OVERFLOW);
  EXPECT_EQ(got, sent[0]);
  EXPECT_EQ(ev.wait(event::service_request, Deadline::after_ms(0), got), status::SUCCESS);
  EXPECT_EQ(got, sent[1]);
  EXPECT_EQ(ev.wait(event::service_request, Deadline::after_ms(0), got), status::ERROR_TMO);
  ev.deliver(srq());
  EXPECT_EQ(ev.wait(event::all_enabled, Deadline::after_ms(0), got), status::SUCCESS);
  // Discarding the queue forgets an unreported loss.
  for (int i = 0; i < 3; ++i) ev.deliver(srq());
  EXPECT_EQ(ev.discard(event::service_request, kQueue), status::SUCCESS);
  ev.deliver(srq());
  EXPECT_EQ(ev.wait(event::service_request, Deadline::after_ms(0), got), status::SUCCESS);
}

TEST(SessionEvents, AnUninstalledHandlerIsNotCalledForEarlierOccurrences) {
  auto ev = make();
  int a = 1;
  ev.install(event::service_request, dummy, &a);
  ev.enable(event::service_request, kHandler, 50);
  auto hs = ev.deliver(srq());
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(ev.uninstall(event::service_request, dummy, &a), status::SUCCESS);
  EXPECT_FALSE(ev.begin_handler_call(hs[0]));  // the dispatcher skips it
}

TEST(SessionEvents, UninstallReturnsOnlyOnceARunningCallHasReturned) {
  auto ev = make();
  int a = 1;
  ev.install(event::service_request, dummy, &a);
  ev.enable(event::service_request, kHandler, 50);
  auto hs = ev.deliver(srq());
  ASSERT_EQ(hs.size(), 1u);
  std::atomic<bool> in_call{false}, returned{false};
  std::thread dispatcher([&] {
    ASSERT_TRUE(ev.begin_handler_call(hs[0]));
    in_call = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the handler's work
    returned = true;
    ev.end_handler_call();
  });
  while (!in_call) std::this_thread::yield();
  EXPECT_EQ(ev.uninstall(event::service_request, dummy, &a), status::SUCCESS);
  EXPECT_TRUE(returned);  // not before
  dispatcher.join();
}

TEST(SessionEvents, CloseReturnsOnlyOnceARunningCallHasReturned) {
  auto ev = make();
  int a = 1;
  ev.install(event::service_request, dummy, &a);
  ev.enable(event::service_request, kHandler, 50);
  auto hs = ev.deliver(srq());
  std::atomic<bool> in_call{false}, returned{false};
  std::thread dispatcher([&] {
    ASSERT_TRUE(ev.begin_handler_call(hs.at(0)));
    in_call = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    returned = true;
    ev.end_handler_call();
  });
  while (!in_call) std::this_thread::yield();
  ev.close();
  EXPECT_TRUE(returned);
  dispatcher.join();
  EXPECT_FALSE(ev.begin_handler_call(hs.at(0)));
}

TEST(SessionEvents, UninstallFromTheHandlerItselfDoesNotWait) {
  // On the dispatcher thread (wait_for_call false), and on any thread with a call of its own in
  // progress (an exception handler runs on the thread of the failed operation): returns at once,
  // no self-deadlock.
  for (bool wait_for_call : {false, true}) {
    auto ev = make();
    int a = 1;
    ev.install(event::service_request, dummy, &a);
    ev.enable(event::service_request, kHandler, 50);
    auto hs = ev.deliver(srq());
    ASSERT_TRUE(ev.begin_handler_call(hs.at(0)));
    EXPECT_EQ(ev.uninstall(event::service_request, dummy, &a, wait_for_call), status::SUCCESS);
    ev.end_handler_call();
  }
}

TEST(SessionEvents, CallsOnTwoThreadsAreEachWaitedFor) {
  auto ev = make();
  int a = 1;
  ev.install(event::service_request, dummy, &a);
  ev.enable(event::service_request, kHandler, 50);
  auto hs = ev.deliver(srq());
  std::atomic<int> in_call{0}, returned{0};
  auto call = [&](int ms) {
    ASSERT_TRUE(ev.begin_handler_call(hs.at(0)));
    ++in_call;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    ++returned;
    ev.end_handler_call();
  };
  std::thread first(call, 50), second(call, 250);
  while (in_call < 2) std::this_thread::yield();
  EXPECT_EQ(ev.uninstall(event::service_request, dummy, &a), status::SUCCESS);
  EXPECT_EQ(returned.load(), 2);  // the longer call too, not only the first to end
  first.join();
  second.join();
}

TEST(SessionEvents, ExceptionIsEverySessionsAndHandlerOnly) {
  auto ev = make();  // not among the types given: every session supports it
  EXPECT_TRUE(ev.supports(event::exception));
  EXPECT_EQ(ev.enable(event::exception, kQueue, 50), status::ERROR_INV_MECH);
  EXPECT_EQ(ev.enable(event::exception, kSuspend, 50), status::ERROR_INV_MECH);
  EXPECT_EQ(ev.enable(event::exception, kQueue | kHandler, 50), status::ERROR_INV_MECH);
  EXPECT_FALSE(ev.handler_enabled(event::exception));
  EXPECT_EQ(ev.enable(event::exception, kHandler, 50), status::SUCCESS);
  EXPECT_FALSE(ev.handler_enabled(event::exception)) << "no handler installed";
  int a = 1;
  ev.install(event::exception, dummy, &a);
  EXPECT_TRUE(ev.handler_enabled(event::exception));
  // Enabling the queue of every type leaves the exception's mechanisms alone.
  ev.disable(event::exception, kHandler);
  EXPECT_GE(ev.enable(event::all_enabled, kQueue, 50), 0);
  EXPECT_FALSE(ev.handler_enabled(event::exception));
  std::shared_ptr<Event> got;
  EXPECT_EQ(ev.wait(event::exception, Deadline::after_ms(0), got), status::ERROR_NENABLED);
}

TEST(SessionEvents, HandlersNewestFirstAndSuspension) {
  auto ev = make();
  int a = 1, b = 2;
  EXPECT_EQ(ev.install(event::service_request, dummy, &a), status::SUCCESS);
  EXPECT_EQ(ev.install(event::service_request, dummy, &b), status::SUCCESS);
  EXPECT_TRUE(ev.deliver(srq()).empty());  // not enabled
  ev.enable(event::service_request, kHandler, 50);
  auto hs = ev.deliver(srq());
  ASSERT_EQ(hs.size(), 2u);
  EXPECT_EQ(hs[0].user, &b);
  ev.enable(event::service_request, kSuspend, 50);
  EXPECT_TRUE(ev.deliver(srq()).empty());
  ev.enable(event::service_request, kHandler, 50);
  EXPECT_EQ(ev.take_suspended(event::service_request).size(), 1u);
  EXPECT_EQ(ev.uninstall(event::service_request, dummy, &a), status::SUCCESS);
  EXPECT_EQ(ev.uninstall(event::service_request, dummy, &a), status::ERROR_INV_HNDLR_REF);
  EXPECT_EQ(ev.uninstall(event::service_request, nullptr, nullptr), status::SUCCESS);  // VI_ANY_HNDLR
}

TEST(SessionEvents, CloseWakesWaiters) {
  auto ev = make();
  ev.enable(event::service_request, kQueue, 50);
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ev.close();
  });
  std::shared_ptr<Event> got;
  EXPECT_EQ(ev.wait(event::service_request, Deadline::never(), got), status::ERROR_INV_OBJECT);
  t.join();
}

TEST(EventDispatcher, RunsJobsOffThread) {
  EventDispatcher d;
  std::thread::id ran_on;
  d.post([&] { ran_on = std::this_thread::get_id(); });
  d.drain();
  EXPECT_NE(ran_on, std::this_thread::get_id());
}
