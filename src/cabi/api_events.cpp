// Locking, events and handlers, viTerminate. VI_EVENT_IO_COMPLETION is served by the C layer
// (io_events); every other event type belongs to the session's backend.
#include "cabi/async_io.hpp"
#include "cabi/guard.hpp"
#include "cabi/io_events.hpp"

#include <algorithm>
#include <chrono>

using namespace cppvisa;
using namespace cppvisa::cabi;

namespace {

// Combines the C layer's and the backend's answers for VI_ALL_ENABLED_EVENTS: an error wins,
// then "did something" (VI_SUCCESS), then the "nothing to do" code.
ViStatus combine(ViStatus backend, ViStatus local, ViStatus nothing) {
  if (backend < 0 && backend != VI_ERROR_INV_EVENT && backend != VI_ERROR_NSUP_OPER) return backend;
  if (backend == VI_SUCCESS || local == VI_SUCCESS) return VI_SUCCESS;
  return nothing;
}

}  // namespace

CPPVISA_C_API ViStatus viLock(ViSession vi, ViAccessMode lockType, ViUInt32 timeout, ViConstKeyId requestedKey,
                              ViChar accessKey[]) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (lockType != VI_EXCLUSIVE_LOCK && lockType != VI_SHARED_LOCK) return VI_ERROR_INV_LOCK_TYPE;
    std::string key;
    st = r.backend->lock(vi, static_cast<AccessMode>(lockType), timeout,
                         requestedKey ? std::string_view(requestedKey) : std::string_view(), key);
    if (st >= 0 && accessKey) copy_out(accessKey, lockType == VI_SHARED_LOCK ? key : std::string());
    return st;
  });
}

CPPVISA_C_API ViStatus viUnlock(ViSession vi) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    return r.backend->unlock(vi);
  });
}

CPPVISA_C_API ViStatus viEnableEvent(ViSession vi, ViEventType eventType, ViUInt16 mechanism, ViEventFilter context) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (context != VI_NULL) return VI_ERROR_INV_CONTEXT;
    if (eventType == VI_ALL_ENABLED_EVENTS) return VI_ERROR_INV_EVENT;
    if (!valid_enable_mechanism(mechanism)) return VI_ERROR_INV_MECH;
    if (eventType == VI_EVENT_IO_COMPLETION) return io_enable(*r.session, mechanism);
    return r.backend->enable_event(vi, eventType, mechanism);
  });
}

CPPVISA_C_API ViStatus viDisableEvent(ViSession vi, ViEventType eventType, ViUInt16 mechanism) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (!valid_disable_mechanism(mechanism)) return VI_ERROR_INV_MECH;
    if (eventType == VI_EVENT_IO_COMPLETION) return io_disable(*r.session, mechanism);
    ViStatus backend = r.backend->disable_event(vi, eventType, mechanism);
    if (eventType != VI_ALL_ENABLED_EVENTS) return backend;
    return combine(backend, io_disable(*r.session, mechanism), VI_SUCCESS_EVENT_DIS);
  });
}

CPPVISA_C_API ViStatus viDiscardEvents(ViSession vi, ViEventType eventType, ViUInt16 mechanism) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (!valid_disable_mechanism(mechanism)) return VI_ERROR_INV_MECH;
    if (eventType == VI_EVENT_IO_COMPLETION) return io_discard(*r.session, mechanism);
    ViStatus backend = r.backend->discard_events(vi, eventType, mechanism);
    if (eventType != VI_ALL_ENABLED_EVENTS) return backend;
    return combine(backend, io_discard(*r.session, mechanism), VI_SUCCESS_QUEUE_EMPTY);
  });
}

CPPVISA_C_API ViStatus viWaitOnEvent(ViSession vi, ViEventType inEventType, ViUInt32 timeout,
                                     ViPEventType outEventType, ViPEvent outContext) {
  return guarded([&]() -> ViStatus {
    if (outContext) *outContext = VI_NULL;
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    SessionState& s = *r.session;
    session_t context = 0;
    bool want = outContext != nullptr;
    if (inEventType == VI_EVENT_IO_COMPLETION) {
      st = io_wait(s, timeout, context, want);
      if (st >= 0) {
        if (outEventType) *outEventType = VI_EVENT_IO_COMPLETION;
        if (outContext) *outContext = context;
      }
      return st;
    }
    if (inEventType == VI_ALL_ENABLED_EVENTS && io_queue_enabled(s)) {
      // Completions (queued here) and the backend's events are waited for together: the
      // backend is asked in short slices, the completion queue checked between them.
      using clock = std::chrono::steady_clock;
      const bool infinite = timeout == VI_TMO_INFINITE;
      const auto deadline = clock::now() + std::chrono::milliseconds(infinite ? 0 : timeout);
      for (;;) {
        st = io_wait(s, 0, context, want);
        if (st != VI_ERROR_TMO) {
          if (st >= 0) {
            if (outEventType) *outEventType = VI_EVENT_IO_COMPLETION;
            if (outContext) *outContext = context;
          }
          return st;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        std::uint32_t slice = infinite ? 20u : static_cast<std::uint32_t>(std::clamp<long long>(left, 0, 20));
        event_type_t type = 0;
        st = r.backend->wait_on_event(vi, inEventType, slice, type, context, want);
        if (st == VI_ERROR_NENABLED) {  // only completions are enabled
          st = io_wait(s, infinite ? VI_TMO_INFINITE : static_cast<std::uint32_t>(std::max<long long>(left, 0)),
                       context, want);
          if (st >= 0) {
            if (outEventType) *outEventType = VI_EVENT_IO_COMPLETION;
            if (outContext) *outContext = context;
          }
          return st;
        }
        if (st != VI_ERROR_TMO) {
          if (st >= 0 && outEventType) *outEventType = type;
          if (st >= 0 && outContext) *outContext = context;
          return st;
        }
        if (!infinite && clock::now() >= deadline) return VI_ERROR_TMO;
      }
    }
    event_type_t type = 0;
    st = r.backend->wait_on_event(vi, inEventType, timeout, type, context, want);
    if (st >= 0) {
      if (outEventType) *outEventType = type;
      if (outContext) *outContext = context;
    }
    return st;
  });
}

CPPVISA_C_API ViStatus viInstallHandler(ViSession vi, ViEventType eventType, ViHndlr handler, ViAddr userHandle) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (handler == nullptr) return VI_ERROR_INV_HNDLR_REF;
    if (eventType == VI_EVENT_IO_COMPLETION) return io_install_handler(*r.session, handler, userHandle);
    return r.backend->install_handler(vi, eventType, handler, userHandle);
  });
}

CPPVISA_C_API ViStatus viUninstallHandler(ViSession vi, ViEventType eventType, ViHndlr handler, ViAddr userHandle) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (eventType == VI_EVENT_IO_COMPLETION) return io_uninstall_handler(*r.session, handler, userHandle);
    return r.backend->uninstall_handler(vi, eventType, handler, userHandle);
  });
}

CPPVISA_C_API ViStatus viTerminate(ViObject vi, ViUInt16 degree, ViJobId jobId) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (degree != VI_NULL) return VI_ERROR_INV_DEGREE;
    bool found = false;
    st = terminate_async(*r.session, jobId, found);
    if (found) return st;
    if (jobId != VI_NULL) return VI_ERROR_INV_JOB_ID;  // finished, or never one of this session
    // No asynchronous job: the synchronous operation in progress on another thread is aborted.
    st = r.backend->terminate(vi, degree, jobId);
    if (st == VI_ERROR_NSUP_OPER) return jobId == VI_NULL ? VI_SUCCESS : VI_ERROR_INV_JOB_ID;
    return st;
  });
}
