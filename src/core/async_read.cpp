#include "core/async_read.hpp"

#include <cppvisa/status.hpp>

#include <memory>

namespace cppvisa::core {

namespace {

struct ReadState {
  WorkPool* pool;
  Backend* backend;
  session_t session;
  std::span<std::byte> buffer;
  std::size_t count = 0;
  Deadline deadline;
  ReadDone done;
  ReadStep step;
};

void finish(ReadState& r, status_t st) {
  auto done = std::move(r.done);
  done(st, r.count);
}

void step(const std::shared_ptr<ReadState>& r, WorkPool::Wake wake) {
  if (wake == WorkPool::Wake::interrupted) return finish(*r, status::ERROR_ABORT);
  // What has arrived (a request sent on the first step, where the protocol's read is one).
  std::size_t n = 0;
  status_t st = r->backend->read_step(r->session, r->buffer.subspan(r->count), n, r->step);
  r->count += n;
  r->step.resumed = true;
  if (r->step.wait_fd < 0) return finish(*r, st);
  const Deadline until = Deadline::at(r->step.wait_until);
  if (r->pool->await_readable(r->step.wait_fd, until, [r](WorkPool::Wake w) { step(r, w); })) return;
  // Not on a pool thread (a job run cancelled elsewhere): block for the rest.
  st = r->backend->read_until(r->session, r->buffer.subspan(r->count), n, r->deadline.when());
  r->count += n;
  finish(*r, st);
}

}  // namespace

void async_read(WorkPool& pool, Backend& backend, session_t session, std::span<std::byte> buffer, Deadline deadline,
                ReadDone done) {
  auto r = std::make_shared<ReadState>(ReadState{&pool, &backend, session, buffer, 0, deadline, std::move(done), {}});
  r->step.deadline = deadline.when();
  step(r, WorkPool::Wake::readable);
}

}  // namespace cppvisa::core
