// VI_EVENT_IO_COMPLETION, which the C layer serves itself because it performs the asynchronous
// operations (viReadAsync/viWriteAsync complete synchronously, VPP-4.3 allows VI_SUCCESS_SYNC):
// enabling per mechanism, the session's queue, suspended occurrences and handlers.
#pragma once

#include "cabi/library.hpp"

#include <string>

namespace cppvisa::cabi {

/// Posts a completion event: queued when VI_QUEUE is enabled (dropped past the queue length, then
/// reported by the next io_wait() as VI_WARN_QUEUE_OVERFLOW),
/// kept while VI_SUSPEND_HNDLR is enabled, and given to the handlers when VI_HNDLR is enabled.
/// Returns whether the event type was enabled at all. Handlers run in the calling thread after
/// every lock is released (handlers call back into VISA).
bool post_io_completion(SessionState& s, status_t status, std::uint32_t job, void* buffer, std::uint64_t count,
                        std::string operation);

status_t io_enable(SessionState& s, std::uint16_t mechanism);
/// VI_SUCCESS when something was disabled, VI_SUCCESS_EVENT_DIS when it was already disabled.
status_t io_disable(SessionState& s, std::uint16_t mechanism);
/// VI_SUCCESS when something was discarded, VI_SUCCESS_QUEUE_EMPTY otherwise.
status_t io_discard(SessionState& s, std::uint16_t mechanism);
bool io_queue_enabled(SessionState& s);
/// Whether VI_EVENT_IO_COMPLETION is enabled for any mechanism (viReadAsync is then asynchronous).
bool io_enabled(SessionState& s);
/// Waits up to `timeout` ms for a queued completion; the event handle goes to `context` (when
/// `want_context`) or is dropped. VI_ERROR_NENABLED, VI_ERROR_TMO, VI_SUCCESS, VI_SUCCESS_QUEUE_NEMPTY,
/// VI_WARN_QUEUE_OVERFLOW (completions were dropped since the last wait), VI_ERROR_INV_OBJECT (closed).
status_t io_wait(SessionState& s, std::uint32_t timeout, session_t& context, bool want_context);
status_t io_install_handler(SessionState& s, EventHandlerFn handler, void* user);
/// Removes the handler (VI_ANY_HNDLR: all); returns once a call of it in progress on another
/// thread has returned.
status_t io_uninstall_handler(SessionState& s, EventHandlerFn handler, void* user);
/// viClose: no more completions are delivered, waiters wake with VI_ERROR_INV_OBJECT, and a
/// handler call in progress on another thread has returned when this does.
void io_close(SessionState& s);

/// Whether a mechanism argument is valid for viEnableEvent (one of QUEUE, HNDLR, SUSPEND_HNDLR,
/// or QUEUE with one handler mode).
bool valid_enable_mechanism(std::uint16_t mechanism);
/// Whether a mechanism argument is valid for viDisableEvent / viDiscardEvents.
bool valid_disable_mechanism(std::uint16_t mechanism);

}  // namespace cppvisa::cabi
