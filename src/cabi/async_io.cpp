// viReadAsync / viWriteAsync jobs and viTerminate (see async_io.hpp).
#include "cabi/async_io.hpp"

#include "cabi/io_events.hpp"
#include "core/work_pool.hpp"

#include <visa.h>

#include <cppvisa/attributes.hpp>

#include <functional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace cppvisa::cabi {

namespace {

/// The pool queue of a session: one per resource (canonical name), not per session. A blocking
/// transfer occupies a pool thread; sessions of one instrument often wait for each other (a served
/// device holds a client's write while another client's answer is unread), so jobs of sessions of
/// one resource run in order on one thread, never all pool threads waiting for a job queued behind
/// them.
std::uint64_t pool_key(SessionState& s) {
  {
    std::lock_guard lock(s.event_mutex);
    if (s.pool_key != 0) return s.pool_key;
  }
  AttrValue name;  // asked with no lock of ours held
  std::string text;
  if (s.backend->get_attribute(s.handle, attr::RSRC_NAME, name) >= 0)
    if (auto* n = std::get_if<std::string>(&name)) text = *n;
  // Session handles are 32-bit: the top bit keeps a resource's key apart from them.
  std::uint64_t key = text.empty() ? s.handle : (std::hash<std::string>{}(text) | (std::uint64_t{1} << 63));
  std::lock_guard lock(s.event_mutex);
  if (s.pool_key == 0) s.pool_key = key;
  return s.pool_key;
}

}  // namespace

void start_async(const std::shared_ptr<SessionState>& s, std::uint32_t job, std::string operation, void* buffer,
                 Transfer transfer) {
  const std::uint64_t key = pool_key(*s);
  auto run = [s, job, operation = std::move(operation), buffer, transfer = std::move(transfer)](bool cancelled) {
    auto complete = [s, job, buffer, operation](status_t st, std::size_t count) {
      {
        std::lock_guard lock(s->event_mutex);
        s->jobs.erase(job);
      }
      s->jobs_done.notify_all();
      post_io_completion(*s, st, job, buffer, count, operation);
    };
    bool go = false;
    {
      std::lock_guard lock(s->event_mutex);
      auto it = s->jobs.find(job);
      if (!cancelled && it != s->jobs.end() && !it->second.terminated && !s->closed) {
        it->second.running = true;
        go = true;
      }
    }
    // viTerminate aborts it through the session (or wakes its parked read): VI_ERROR_ABORT.
    if (go) transfer(std::move(complete));
    else complete(VI_ERROR_ABORT, 0);
  };
  // Registered before it is posted, so that viTerminate finds it from the start.
  std::lock_guard lock(s->event_mutex);
  s->jobs[job].pool_id = core::WorkPool::shared().post(key, std::move(run));
}

status_t terminate_async(SessionState& s, std::uint32_t job, bool& found) {
  found = false;
  std::vector<std::uint64_t> queued, started;
  {
    std::lock_guard lock(s.event_mutex);
    for (auto& [id, j] : s.jobs) {
      if (job != VI_NULL && id != job) continue;
      found = true;
      j.terminated = true;  // a job that starts from now on completes with VI_ERROR_ABORT at once
      (j.running ? started : queued).push_back(j.pool_id);
    }
  }
  // Queued jobs complete now, on this thread (a job that started meanwhile saw `terminated`).
  for (auto pool_id : queued)
    if (auto f = core::WorkPool::shared().take(pool_id)) f(true);
  if (started.empty()) return VI_SUCCESS;
  // A read parked in the reactor ends now; one reading ends when it would park next.
  for (auto pool_id : started) core::WorkPool::shared().interrupt(pool_id);
  // The transfer in progress: a real abort where the session can abort its transfer.
  status_t st = s.backend->terminate(s.handle, 0, job);
  if (st == VI_ERROR_NSUP_OPER) {
    std::lock_guard lock(s.event_mutex);
    for (auto& [id, j] : s.jobs)
      if (job == VI_NULL || id == job) j.terminated = false;
  }
  return st < 0 ? st : VI_SUCCESS;
}

void cancel_async_jobs(SessionState& s) {
  std::vector<std::uint64_t> queued, started;
  {
    std::lock_guard lock(s.event_mutex);
    for (auto& [id, j] : s.jobs) {
      j.terminated = true;
      (j.running ? started : queued).push_back(j.pool_id);
    }
  }
  for (auto pool_id : queued)
    if (auto f = core::WorkPool::shared().take(pool_id)) f(true);
  // A read parked in the reactor ends now (the backend's close aborts one in progress).
  for (auto pool_id : started) core::WorkPool::shared().interrupt(pool_id);
}

void wait_async_jobs(SessionState& s) {
  // A job leaves `jobs` before its completion is posted: a handler of that completion closing the
  // session does not wait for itself (and no other job of its queue runs meanwhile).
  std::unique_lock lock(s.event_mutex);
  s.jobs_done.wait(lock, [&] { return s.jobs.empty(); });
}

}  // namespace cppvisa::cabi
