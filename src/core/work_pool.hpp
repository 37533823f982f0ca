// core::WorkPool: a small fixed pool of threads running jobs, in order per key (a session): two
// jobs of one key never run at the same time nor out of order, jobs of different keys run side by
// side on up to `threads` threads. The asynchronous I/O of the C API (viReadAsync, viWriteAsync)
// and of the C++ API (query_async ...) runs here. A job is a blocking transfer: at most `threads`
// transfers are in progress at once, later ones wait in their queue (no thread per session).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
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

  /// The process-wide pool (4 threads, started on first use). Never destroyed: a job may still
  /// be finishing its transfer while the process exits.
  static WorkPool& shared();

 private:
  struct KeyState {
    std::deque<std::pair<std::uint64_t, Job>> queue;
    bool running = false;
  };
  void run();

  const unsigned max_threads_;
  mutable std::mutex mutex_;
  std::condition_variable work_, idle_;
  std::map<std::uint64_t, KeyState> keys_;
  std::map<std::uint64_t, std::uint64_t> key_of_;  // pending job id -> key
  std::deque<std::uint64_t> ready_;  // keys with a queued job and none running
  std::vector<std::thread> threads_;
  std::uint64_t next_id_ = 1;
  bool stop_ = false;
};

}  // namespace cppvisa::core
