// Asynchronous I/O of the C API (viReadAsync, viWriteAsync, viTerminate): jobs run on the fixed
// pool of core::WorkPool::shared(), in order per resource (the sessions of one resource share a
// queue: see async_io.cpp); a read of a socket-based session waits for the instrument in the
// reactor, not on a pool thread (core/async_read.hpp). Jobs complete with VI_EVENT_IO_COMPLETION
// (io_events.hpp) carrying the job id, status, count, buffer and operation name.
#pragma once

#include "cabi/library.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace cppvisa::cabi {

/// Reports the end of a transfer (status, bytes transferred); called once.
using TransferDone = std::function<void(status_t status, std::size_t count)>;
/// A transfer: starts on a pool thread and calls `done` once, there or later on another pool
/// thread (a read parked in the reactor).
using Transfer = std::function<void(TransferDone done)>;

/// Queues job `job` of session `s`: `transfer` starts on a pool thread after the session's earlier
/// jobs; when it is done the completion is posted. A job terminated before it starts completes
/// with VI_ERROR_ABORT without transferring anything.
void start_async(const std::shared_ptr<SessionState>& s, std::uint32_t job, std::string operation, void* buffer,
                 Transfer transfer);

/// viTerminate of job `job` (0: every job) of `s`. Sets `found` when such a job was pending. A
/// queued job completes at once with VI_ERROR_ABORT; a running one is aborted by the session
/// (Backend::terminate: its transfer returns VI_ERROR_ABORT, which its completion carries; a read
/// parked in the reactor ends at once with VI_ERROR_ABORT), or,
/// when the session cannot abort a transfer, VI_ERROR_NSUP_OPER is returned and the job goes on.
status_t terminate_async(SessionState& s, std::uint32_t job, bool& found);

/// viClose, before the backend's close: the queued jobs and a read parked in the reactor complete
/// with VI_ERROR_ABORT.
void cancel_async_jobs(SessionState& s);
/// viClose, after the backend's close (which aborted a running transfer): waits for the running
/// job to finish (not from that job's own thread).
void wait_async_jobs(SessionState& s);

}  // namespace cppvisa::cabi
