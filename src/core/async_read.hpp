// core::async_read: one viRead of a session from inside a core::WorkPool job, without a thread
// waiting for the instrument where the backend gives the session's input descriptor
// (Backend::input_fd: raw socket, HiSLIP): the job reads what has arrived (read_until with a
// deadline of now), parks in the reactor until the descriptor is readable, and reads on. The
// result is the one viRead would give: same termination rules (a read resumed into the rest of
// the buffer ends as the whole read would), VI_ERROR_TMO with the bytes received when `deadline`
// passes, every byte received before an error counted. Other sessions block one pool thread for
// the read, as viRead does.
#pragma once

#include "core/deadline.hpp"
#include "core/work_pool.hpp"

#include <cppvisa/backend.hpp>

#include <cstddef>
#include <functional>
#include <span>

namespace cppvisa::core {

/// Called once with the read's status and the bytes stored in the buffer.
using ReadDone = std::function<void(status_t status, std::size_t count)>;

/// viRead of `session` into `buffer` (which must stay valid until `done` is called), bounded by
/// `deadline`; from a job of `pool`. `done` runs once, on a pool thread (this one when the read
/// ends without waiting). WorkPool::interrupt() of the job ends it with VI_ERROR_ABORT (the bytes
/// received so far counted) without touching the session again.
void async_read(WorkPool& pool, Backend& backend, session_t session, std::span<std::byte> buffer, Deadline deadline,
                ReadDone done);

}  // namespace cppvisa::core
