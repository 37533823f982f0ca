// core::WorkPool: a small fixed pool of threads running jobs, in order per key (a session): two
// jobs of one key never run at the same time nor out of order, jobs of different keys run side by
// side on up to `threads` threads. The asynchronous I/O of the C API (viReadAsync, viWriteAsync)
// and of the C++ API (query_async ...) runs here.
//
// A job that would wait for a file descriptor (a socket's answer) parks instead of blocking:
// await_readable() hands its continuation to the pool's core::Reactor, the job's thread goes back
// to the pool, and the continuation runs on a pool thread once the descriptor is readable, its
// deadline passed or the job was interrupted. The pool's threads take turns waiting in the
// reactor (leader/followers: one waits in epoll while the others run jobs or sleep), so the thread
// that sees a descriptor readable runs the job waiting for it itself, with no hand-off to another
// thread; another thread is woken only when there is more work than this one (a batch of
// descriptors readable at once), or to take over the waiting while parked jobs remain. A parked job still holds its key (the jobs behind it wait,
// in order), so any number of sessions can wait at once on `threads` threads plus the reactor's.
// A job over a blocking transport (serial, USB, GPIB) blocks its thread: at most `threads` of those
// run at once, later ones wait in their queue (no thread per session).
#pragma once

#include "core/deadline.hpp"
#include "core/reactor.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <unordered_map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace cppvisa::core {

class WorkPool {
 public:
  /// A job: called once, on a pool thread with `cancelled` false, or with `cancelled` true by
  /// whoever took it out of its queue (take(), take_all(), the pool's destructor).
  using Job = std::function<void(bool cancelled)>;

  explicit WorkPool(unsigned threads);
  /// Runs every queued job with cancelled = true, waits for the running ones, joins the threads.
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  /// Queues `job` behind the jobs of `key`; returns its id (never 0). Thread-safe.
  std::uint64_t post(std::uint64_t key, Job job);
  /// Takes the queued job `id` out of its queue and returns it (for the caller to run cancelled);
  /// empty when it already started, finished or never existed. Thread-safe.
  Job take(std::uint64_t id);
  /// Takes every queued job of `key` out of the queue, oldest first. Thread-safe.
  std::vector<Job> take_all(std::uint64_t key);
  /// Whether the job `id` is queued or running.
  bool pending(std::uint64_t id) const;
  /// Waits until `key` has no job queued or running. From a job of `key` itself it waits only for
  /// nothing (returns at once): a job must not wait for itself.
  void wait_idle(std::uint64_t key);
  /// Whether the calling thread is running a job of `key` of this pool.
  bool running_job_of(std::uint64_t key) const;

  /// Why a parked job resumed.
  enum class Wake {
    readable,     ///< the descriptor is readable (or in error: the I/O call tells)
    deadline,     ///< the deadline passed
    interrupted,  ///< interrupt() of the job: it must finish now, without parking again
  };
  /// From a running job of this pool (the job's own call, not a job run cancelled by take()):
  /// when the job returns, it parks, holding its key and its id (pending(), not takeable), until
  /// `fd` is readable, `deadline` passes or interrupt(); then `resume` runs on a pool thread as
  /// the same job and may park again. A wake is a hint (readable may find no complete message):
  /// the continuation checks its own state. Returns false when called outside a running job of
  /// this pool (nothing parks: the caller blocks instead).
  bool await_readable(int fd, Deadline deadline, std::function<void(Wake)> resume);
  /// Makes job `id` finish soon: a parked job resumes at once with Wake::interrupted, a running
  /// one does when it next parks (its blocking call is the caller's to abort, e.g. Session::abort).
  /// Returns whether `id` is running or parked (a queued job is take()n instead). Thread-safe.
  bool interrupt(std::uint64_t id);
  /// interrupt() of the running or parked job of `key`, if any. Thread-safe.
  void interrupt_key(std::uint64_t key);
  /// Jobs parked now (for tests and the benchmark).
  std::size_t parked() const;

  /// The process-wide pool (4 threads, started on first use). Never destroyed: a job may still
  /// be finishing its transfer while the process exits.
  static WorkPool& shared();

 private:
  struct KeyState {
    std::deque<std::pair<std::uint64_t, Job>> queue;
    bool running = false;        // a job of the key runs, is parked or is about to resume
    std::uint64_t current = 0;   // the id of that job
    bool parked = false;         // it waits in the reactor (watch `token`)
    std::uint64_t token = 0;       // its reactor watch
    std::uint64_t generation = 0;  // of its latest park (a watch of an earlier one is stale)
    std::function<void(Wake)> continuation;  // parked: what resumes it
    Job resume;                  // set when it resumes: the next thing a thread runs for the key
  };
  void run();
  void run_job(std::unique_lock<std::mutex>& guard);  // the first ready job; mutex_ held (released while it runs)
  void poll(std::unique_lock<std::mutex>& guard, bool wait);  // one turn in the reactor; mutex_ held
  void signal_one();  // makes one more thread look for work (a sleeper, else the waiting poller); mutex_ held
  void park(std::uint64_t key, std::uint64_t id, int fd, Deadline deadline, std::function<void(Wake)> resume);
  bool wake(std::uint64_t id, std::uint64_t generation, Wake why);  // mutex_ held; whether it queued the job

  const unsigned max_threads_;
  mutable std::mutex mutex_;
  std::condition_variable work_, idle_;
  Reactor reactor_{false};  // waited in by the pool's threads in turn (run_once)
  bool polling_ = false;    // a thread waits in reactor_ now
  unsigned sleeping_ = 0;   // threads waiting on work_
  unsigned signals_ = 0;    // wake-ups given to them and not yet taken (a counting semaphore)
  std::size_t poll_due_ = 0;  // jobs to run before the next look into the reactor (fairness)
  // Hash maps: with a thousand sessions at work, a tree's lookups were a good part of a job's
  // cost (cache misses). Their references stay valid as they grow.
  std::unordered_map<std::uint64_t, KeyState> keys_;
  std::unordered_map<std::uint64_t, std::uint64_t> key_of_;  // pending job id -> key
  std::deque<std::uint64_t> ready_;  // keys with a queued job and none running
  std::vector<std::thread> threads_;
  std::set<std::uint64_t> interrupted_;  // running or parked jobs asked to finish
  std::size_t parked_ = 0;
  std::uint64_t next_id_ = 1;
  bool stop_ = false;
};

}  // namespace cppvisa::core
