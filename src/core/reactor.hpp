// core::Reactor: waits with epoll(7) for many file descriptors to become readable, each with its
// own deadline. The asynchronous I/O of socket-based sessions parks here while it waits for bytes
// from the instrument (core::WorkPool::await_readable), so that a pool thread is taken only to
// move and parse bytes that have arrived: 1000 sessions waiting cost a few hundred bytes each, not
// 1000 threads.
//
// Who waits: a reactor made with a thread of its own waits on that thread (run by itself); one
// made without is driven by its owner's threads through run_once() (core::WorkPool's threads take
// turns: the thread that sees a descriptor readable then runs the job waiting for it, with no
// hand-off to another thread).
//
// A watch fires once: when its descriptor is readable (also on error or hang-up: the I/O call then
// tells which), when its deadline passes, or never when cancelled first. Callbacks run on the
// waiting thread with no lock of the reactor held; they must be short (the pool's only queue work).
#pragma once

#include "core/deadline.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

namespace cppvisa::core {

class Reactor {
 public:
  /// Why a watch fired.
  enum class Fired { readable, deadline };
  using Callback = std::function<void(Fired)>;

  /// With `own_thread`, starts the thread that waits; without, run_once() does the waiting.
  explicit Reactor(bool own_thread = true);
  /// Stops the thread; watches not fired are dropped (their callbacks are not called).
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  /// Calls `callback` once, on the waiting thread, when `fd` is readable or `deadline` passed
  /// (a descriptor epoll refuses fires as readable at once: the I/O call reports its error).
  /// Several watches may share a descriptor. Returns the watch's token (never 0). Thread-safe.
  std::uint64_t watch(int fd, Deadline deadline, Callback callback);
  /// Forgets watch `token` if it has not fired yet (returns whether it had not). A callback
  /// already on its way may still run once. Thread-safe.
  bool cancel(std::uint64_t token);
  /// Waits until callbacks being called now have returned (after cancel(), before the object a
  /// callback would touch goes away). Not from a callback.
  void quiesce();
  /// Watches not fired yet (for tests and the benchmark).
  std::size_t watching() const;

  /// For a reactor without a thread of its own: waits until a watch fires, `max_wait_ms` passed
  /// (-1: no limit but the watches' deadlines; 0: does not wait) or interrupt(), and calls the
  /// callbacks of the watches that fired, on this thread; returns how many. One caller at a time.
  std::size_t run_once(int max_wait_ms);
  /// Makes the run_once() waiting now (or the next one) return soon. Thread-safe.
  void interrupt();

  /// The process-wide reactor with a thread of its own (started on first use, never destroyed).
  static Reactor& shared();

 private:
  struct Watch {
    int fd;
    Deadline deadline;
    Callback callback;
  };
  void run();
  void arm(int fd);  // (re)arms `fd` for one readiness report; mutex_ held
  void unlink(std::uint64_t token, const Watch& w);  // from by_fd_ and by_deadline_; mutex_ held

  int epoll_fd_ = -1;
  int event_fd_ = -1;  // wakes the waiter for an earlier deadline, a refused descriptor, interrupt or stop
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, Watch> watches_;
  // Descriptors stay registered with epoll once armed (one-shot: a report disarms them), so that
  // the next watch re-arms with one epoll_ctl; a closed descriptor leaves epoll by itself.
  std::unordered_map<int, std::vector<std::uint64_t>> by_fd_;
  std::multimap<Deadline::clock::time_point, std::uint64_t> by_deadline_;
  std::vector<std::uint64_t> fire_now_;  // descriptors epoll refused
  std::uint64_t next_token_ = 1;
  bool dispatching_ = false;  // callbacks are being called (round_ counts the rounds)
  std::uint64_t round_ = 0;
  std::condition_variable round_done_;
  std::atomic<bool> woken_{false};  // the eventfd was written and not yet drained
  bool stop_ = false;
  std::vector<std::pair<Callback, Fired>> due_;  // run_once()'s batch (one caller at a time)
  std::thread thread_;
};

}  // namespace cppvisa::core
