#include "core/work_pool.hpp"

#include "core/reactor.hpp"

#include <algorithm>
#include <tuple>

namespace cppvisa::core {
namespace {
// The pool and key of the job the current thread runs (for wait_idle() from inside a job).
thread_local const WorkPool* tl_pool = nullptr;
thread_local std::uint64_t tl_key = 0;
// What the running job asked with await_readable(), taken when it returns.
struct ParkRequest {
  bool wanted = false;
  int fd = -1;
  Deadline deadline = Deadline::never();
  std::function<void(WorkPool::Wake)> resume;
};
thread_local ParkRequest tl_park;
}  // namespace

WorkPool::WorkPool(unsigned threads) : max_threads_(std::max(1u, threads)) {}

WorkPool::~WorkPool() {
  std::vector<Job> cancelled;
  {
    std::lock_guard guard(mutex_);
    stop_ = true;
    for (auto& [key, ks] : keys_)
      for (auto& [id, job] : ks.queue) cancelled.push_back(std::move(job));
    for (auto& [key, ks] : keys_) ks.queue.clear();
    ready_.clear();
  }
  work_.notify_all();
  reactor_.interrupt();  // the thread waiting in the reactor comes back and sees stop_
  for (auto& job : cancelled) job(true);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  // Parked jobs (and ones woken after the threads left) finish here, interrupted. No thread
  // waits in the reactor any more: no callback of it runs meanwhile.
  std::vector<Job> left;
  {
    std::lock_guard guard(mutex_);
    for (auto& [key, ks] : keys_) {
      if (ks.parked) {
        reactor_.cancel(ks.token);
        ks.parked = false;
        left.push_back([c = std::move(ks.continuation)](bool) { c(Wake::interrupted); });
      } else if (ks.resume) {
        left.push_back(std::move(ks.resume));
      }
    }
  }
  for (auto& job : left) job(true);
}

WorkPool& WorkPool::shared() {
  static WorkPool* pool = new WorkPool(4);  // never destroyed (see the header)
  return *pool;
}

std::uint64_t WorkPool::post(std::uint64_t key, Job job) {
  std::lock_guard guard(mutex_);
  std::uint64_t id = next_id_++;
  auto& ks = keys_[key];
  ks.queue.emplace_back(id, std::move(job));
  key_of_[id] = key;
  // Threads start as work arrives, up to the fixed number (a new one looks for work itself).
  const bool start = threads_.size() < max_threads_ && threads_.size() < keys_.size();
  if (start) threads_.emplace_back([this] { run(); });
  // A key whose job runs (or is parked) gets its next job from the thread that ends that one:
  // nobody needs waking (a completion posting the session's next query costs no hand-off).
  if (!ks.running && ks.queue.size() == 1) {
    ready_.push_back(key);
    if (!start) signal_one();
  }
  return id;
}

WorkPool::Job WorkPool::take(std::uint64_t id) {
  std::lock_guard guard(mutex_);
  auto k = key_of_.find(id);
  if (k == key_of_.end()) return {};
  auto it = keys_.find(k->second);
  if (it == keys_.end()) return {};
  auto& q = it->second.queue;
  auto j = std::find_if(q.begin(), q.end(), [&](auto& e) { return e.first == id; });
  if (j == q.end()) return {};  // running
  Job job = std::move(j->second);
  q.erase(j);
  key_of_.erase(k);
  if (q.empty() && !it->second.running) {
    std::erase(ready_, it->first);
    keys_.erase(it);
    idle_.notify_all();
  }
  return job;
}

std::vector<WorkPool::Job> WorkPool::take_all(std::uint64_t key) {
  std::vector<Job> out;
  std::lock_guard guard(mutex_);
  auto it = keys_.find(key);
  if (it == keys_.end()) return out;
  for (auto& [id, job] : it->second.queue) {
    key_of_.erase(id);
    out.push_back(std::move(job));
  }
  it->second.queue.clear();
  if (!it->second.running) {
    std::erase(ready_, key);
    keys_.erase(it);
    idle_.notify_all();
  }
  return out;
}

bool WorkPool::pending(std::uint64_t id) const {
  std::lock_guard guard(mutex_);
  return key_of_.count(id) != 0;
}

bool WorkPool::running_job_of(std::uint64_t key) const { return tl_pool == this && tl_key == key; }

void WorkPool::wait_idle(std::uint64_t key) {
  if (running_job_of(key)) return;
  std::unique_lock guard(mutex_);
  idle_.wait(guard, [&] { return keys_.count(key) == 0; });
}

bool WorkPool::await_readable(int fd, Deadline deadline, std::function<void(Wake)> resume) {
  if (tl_pool != this) return false;
  tl_park.wanted = true;
  tl_park.fd = fd;
  tl_park.deadline = deadline;
  tl_park.resume = std::move(resume);
  return true;
}

void WorkPool::park(std::uint64_t key, std::uint64_t id, int fd, Deadline deadline,
                    std::function<void(Wake)> resume) {
  // mutex_ held. Lock order: the pool's mutex, then the reactor's (whose callbacks run without
  // its own lock, so that a wake taking ours cannot deadlock).
  auto& ks = keys_.at(key);
  ks.continuation = std::move(resume);
  ks.parked = true;
  ++parked_;
  if (stop_ || interrupted_.count(id)) {
    wake(id, ks.token, Wake::interrupted);  // this thread runs it next (run() looks at ready_)
    return;
  }
  // The callback runs on the pool thread waiting in the reactor, which then runs the woken jobs
  // itself and wakes others only for the rest of the batch (poll()).
  ks.token = reactor_.watch(fd, deadline, [this, id, generation = ++ks.generation](Reactor::Fired f) {
    std::lock_guard guard(mutex_);
    wake(id, generation, f == Reactor::Fired::readable ? Wake::readable : Wake::deadline);
  });
}

bool WorkPool::wake(std::uint64_t id, std::uint64_t generation, Wake why) {
  // mutex_ held.
  auto k = key_of_.find(id);
  if (k == key_of_.end()) return false;
  auto& ks = keys_.at(k->second);
  if (ks.current != id || !ks.parked) return false;
  if (why != Wake::interrupted && generation != ks.generation) return false;  // a watch of an earlier park
  if (why == Wake::interrupted) reactor_.cancel(ks.token);
  ks.parked = false;
  --parked_;
  ks.resume = [c = std::move(ks.continuation), why](bool cancelled) { c(cancelled ? Wake::interrupted : why); };
  ks.continuation = nullptr;
  ready_.push_back(k->second);
  return true;
}

void WorkPool::signal_one() {
  // mutex_ held. A sleeping thread not yet signalled, else the thread waiting in the reactor.
  if (sleeping_ > signals_) {
    ++signals_;
    work_.notify_one();
  } else if (polling_) {
    reactor_.interrupt();
  }
}

bool WorkPool::interrupt(std::uint64_t id) {
  std::lock_guard guard(mutex_);
  auto k = key_of_.find(id);
  if (k == key_of_.end()) return false;
  auto& ks = keys_.at(k->second);
  if (!ks.running || ks.current != id) return false;  // queued
  interrupted_.insert(id);
  if (ks.parked && wake(id, 0, Wake::interrupted)) signal_one();
  return true;
}

void WorkPool::interrupt_key(std::uint64_t key) {
  std::uint64_t id = 0;
  {
    std::lock_guard guard(mutex_);
    auto it = keys_.find(key);
    if (it == keys_.end() || !it->second.running) return;
    id = it->second.current;
  }
  interrupt(id);
}

std::size_t WorkPool::parked() const {
  std::lock_guard guard(mutex_);
  return parked_;
}

void WorkPool::run() {
  std::unique_lock guard(mutex_);
  for (;;) {
    // Parked jobs need a thread in the reactor: this one when nobody is there and there is no
    // other work, or (without waiting) when the jobs ready at the last look have run.
    if (!polling_ && !stop_ && parked_ > 0 && (ready_.empty() || poll_due_ == 0)) {
      poll(guard, ready_.empty());
      continue;
    }
    if (!ready_.empty()) {
      run_job(guard);
      continue;
    }
    if (stop_) return;
    ++sleeping_;
    work_.wait(guard, [&] { return signals_ > 0 || stop_; });
    --sleeping_;
    if (signals_ > 0) --signals_;
  }
}

void WorkPool::poll(std::unique_lock<std::mutex>& guard, bool wait) {
  polling_ = true;
  guard.unlock();
  reactor_.run_once(wait ? -1 : 0);  // its callbacks queue the woken jobs (wake())
  guard.lock();
  polling_ = false;
  poll_due_ = ready_.size();
  // This thread runs the first ready job; a sleeper is woken for each further one, and one to
  // wait in the reactor while jobs stay parked (one wake-up per batch, none for a single job).
  std::size_t wanted = ready_.empty() ? 0 : ready_.size() - 1 + (parked_ > 0 ? 1 : 0);
  while (wanted-- > 0 && sleeping_ > signals_) {
    ++signals_;
    work_.notify_one();
  }
}

void WorkPool::run_job(std::unique_lock<std::mutex>& guard) {
  std::uint64_t key = ready_.front();
  ready_.pop_front();
  if (poll_due_ > 0) --poll_due_;
  auto& ks = keys_.at(key);
  Job job;
  std::uint64_t id = 0;
  if (ks.resume) {  // a parked job woke up
    job = std::move(ks.resume);
    ks.resume = nullptr;
    id = ks.current;
  } else {
    std::tie(id, job) = std::move(ks.queue.front());
    ks.queue.pop_front();
    ks.running = true;
    ks.current = id;
  }
  guard.unlock();
  tl_pool = this;
  tl_key = key;
  tl_park = {};
  try {
    job(false);
  } catch (...) {
    // a job reports its own errors; none may take a pool thread down
  }
  job = nullptr;  // what the job held is released outside the lock
  tl_pool = nullptr;
  ParkRequest request = std::move(tl_park);
  tl_park = {};
  guard.lock();
  if (request.wanted) {
    park(key, id, request.fd, request.deadline, std::move(request.resume));
    return;
  }
  key_of_.erase(id);
  interrupted_.erase(id);
  auto it = keys_.find(key);
  it->second.running = false;
  it->second.current = 0;
  if (!it->second.queue.empty() && !stop_) {
    ready_.push_back(key);  // this thread looks at ready_ next: nobody needs waking
  } else if (it->second.queue.empty()) {
    keys_.erase(it);
    idle_.notify_all();
  }
}

}  // namespace cppvisa::core
