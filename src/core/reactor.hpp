// core::Reactor: one thread waiting with epoll(7) for many file descriptors to become readable,
// each with its own deadline. The asynchronous I/O of socket-based sessions parks here while it
// waits for bytes from the instrument (core::WorkPool::await_readable), so that a pool thread is
// taken only to move and parse bytes that have arrived: 1000 sessions waiting cost one thread and
// a few hundred bytes each, not 1000 threads.
//
// A watch fires once: when its descriptor is readable (also on error or hang-up: the I/O call then
// tells which), when its deadline passes, or never when cancelled first. Callbacks run on the
// reactor thread with no lock of the reactor held; they must be short (the pool's only post work).
#pragma once

#include "core/deadline.hpp"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace cppvisa::core {

class Reactor {
 public:
  /// Why a watch fired.
  enum class Fired { readable, deadline };
  using Callback = std::function<void(Fired)>;

  Reactor();
  /// Stops the thread; watches not fired are dropped (their callbacks are not called).
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  /// Calls `callback` once, on the reactor thread, when `fd` is readable or `deadline` passed
  /// (a descriptor epoll refuses fires as readable at once: the I/O call reports its error).
  /// Several watches may share a descriptor. Returns the watch's token (never 0). Thread-safe.
  std::uint64_t watch(int fd, Deadline deadline, Callback callback);
  /// Forgets watch `token` if it has not fired yet (returns whether it had not). A callback
  /// already on its way may still run once. Thread-safe.
  bool cancel(std::uint64_t token);
  /// Waits until callbacks the thread is calling now have returned (after cancel(), before the
  /// object a callback would touch goes away). Not from a callback.
  void quiesce();
  /// Watches not fired yet (for tests and the benchmark).
  std::size_t watching() const;

  /// The process-wide reactor (started on first use, never destroyed, as WorkPool::shared()).
  static Reactor& shared();

 private:
  struct Watch {
    int fd;
    Deadline deadline;
    Callback callback;
  };
  void run();
  void arm(int fd);         // (re)arms `fd` for one readiness report; mutex_ held
  void forget_fd(int fd);   // drops `fd` from epoll when no watch uses it; mutex_ held
  void wake_thread();

  int epoll_fd_ = -1;
  int event_fd_ = -1;  // wakes the thread for an earlier deadline, a refused descriptor or stop
  mutable std::mutex mutex_;
  std::map<std::uint64_t, Watch> watches_;
  std::map<int, std::set<std::uint64_t>> by_fd_;
  std::multimap<Deadline::clock::time_point, std::uint64_t> by_deadline_;
  std::vector<std::uint64_t> fire_now_;  // descriptors epoll refused
  std::uint64_t next_token_ = 1;
  bool dispatching_ = false;  // the thread is calling callbacks (round_ counts the rounds)
  std::uint64_t round_ = 0;
  std::condition_variable round_done_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cppvisa::core
