// core::async_read: one viRead of a session from inside a core::WorkPool job, without a thread
// waiting for the instrument where the session can tell what to wait for (Backend::read_step:
// raw socket and HiSLIP read what has arrived; VXI-11 sends its device_read and takes the reply
// when it came): the job parks in the pool's reactor until the descriptor is readable (or the
// step's time passes), and reads on. The result is the one viRead would give: same termination
// rules (a read resumed into the rest of the buffer ends as the whole read would), VI_ERROR_TMO
// with the bytes received when `deadline` passes, every byte received before an error counted.
// Other sessions block one pool thread for the read, as viRead does.
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
