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
};

void finish(ReadState& r, status_t st) {
  auto done = std::move(r.done);
  done(st, r.count);
}

void step(const std::shared_ptr<ReadState>& r, WorkPool::Wake wake) {
  if (wake == WorkPool::Wake::interrupted) return finish(*r, status::ERROR_ABORT);
  std::size_t n = 0;
  const int fd = r->backend->input_fd(r->session);
  if (fd < 0) {
    // A transport that only blocks (or the session closed): the rest of the read on this thread.
    status_t st = r->backend->read_until(r->session, r->buffer.subspan(r->count), n, r->deadline.when());
    r->count += n;
    return finish(*r, st);
  }
  // What has arrived, without waiting: the session's deadline is now.
  status_t st = r->backend->read_until(r->session, r->buffer.subspan(r->count), n, Deadline::clock::now());
  r->count += n;
  if (st != status::ERROR_TMO || r->deadline.expired()) return finish(*r, st);
  if (r->pool->await_readable(fd, r->deadline, [r](WorkPool::Wake w) { step(r, w); })) return;
  // Not on a pool thread (a job run cancelled elsewhere): block for the rest.
  st = r->backend->read_until(r->session, r->buffer.subspan(r->count), n, r->deadline.when());
  r->count += n;
  finish(*r, st);
}

}  // namespace

void async_read(WorkPool& pool, Backend& backend, session_t session, std::span<std::byte> buffer, Deadline deadline,
                ReadDone done) {
  auto r = std::make_shared<ReadState>(ReadState{&pool, &backend, session, buffer, 0, deadline, std::move(done)});
  step(r, WorkPool::Wake::readable);
}

}  // namespace cppvisa::core
