#include "core/work_pool.hpp"

#include <algorithm>

namespace cppvisa::core {
namespace {
// The pool and key of the job the current thread runs (for wait_idle() from inside a job).
thread_local const WorkPool* tl_pool = nullptr;
thread_local std::uint64_t tl_key = 0;
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
  for (auto& job : cancelled) job(true);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
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
  if (!ks.running && ks.queue.size() == 1) ready_.push_back(key);
  // Threads start as work arrives, up to the fixed number.
  if (threads_.size() < max_threads_ && threads_.size() < keys_.size()) threads_.emplace_back([this] { run(); });
  work_.notify_one();
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

void WorkPool::run() {
  std::unique_lock guard(mutex_);
  for (;;) {
    work_.wait(guard, [&] { return stop_ || !ready_.empty(); });
    if (ready_.empty()) return;  // stopping
    std::uint64_t key = ready_.front();
    ready_.pop_front();
    auto& ks = keys_.at(key);
    auto [id, job] = std::move(ks.queue.front());
    ks.queue.pop_front();
    ks.running = true;
    guard.unlock();
    tl_pool = this;
    tl_key = key;
    try {
      job(false);
    } catch (...) {
      // a job reports its own errors; none may take a pool thread down
    }
    job = nullptr;  // what the job held is released outside the lock
    tl_pool = nullptr;
    guard.lock();
    key_of_.erase(id);
    auto it = keys_.find(key);
    it->second.running = false;
    if (!it->second.queue.empty() && !stop_) {
      ready_.push_back(key);
      work_.notify_one();
    } else if (it->second.queue.empty()) {
      keys_.erase(it);
      idle_.notify_all();
    }
  }
}

}  // namespace cppvisa::core
