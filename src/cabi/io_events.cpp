// VI_EVENT_IO_COMPLETION served by the C layer (see io_events.hpp).
#include "cabi/io_events.hpp"

#include <visa.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace cppvisa::cabi {
namespace {

// A handler call is registered in io_calls while it runs (no lock held during the call itself),
// so that uninstalling the handler or closing the session waits for it to return.
bool begin_call(SessionState& s, const IoHandler& h) {
  std::lock_guard lock(s.event_mutex);
  if (s.closed || std::find(s.io_handlers.begin(), s.io_handlers.end(), h) == s.io_handlers.end()) return false;
  s.io_calls.emplace_back(h, std::this_thread::get_id());
  return true;
}

void end_call(SessionState& s, const IoHandler& h) {
  {
    std::lock_guard lock(s.event_mutex);
    auto me = std::make_pair(h, std::this_thread::get_id());
    if (auto it = std::find(s.io_calls.begin(), s.io_calls.end(), me); it != s.io_calls.end()) s.io_calls.erase(it);
  }
  s.io_call_done.notify_all();
}

/// Waits (event_mutex held by `lock`) until no call of a handler `matches` runs on another thread.
template <class Match>
void wait_for_calls(SessionState& s, std::unique_lock<std::mutex>& lock, Match matches) {
  const auto me = std::this_thread::get_id();
  s.io_call_done.wait(lock, [&] {
    return std::none_of(s.io_calls.begin(), s.io_calls.end(),
                        [&](const auto& c) { return c.second != me && matches(c.first); });
  });
}

void run_handlers(SessionState& s, const std::vector<IoHandler>& handlers, const std::shared_ptr<IoEvent>& ev) {
  // The context is valid during the call only (VPP-4.3 §4.3: closed by VISA afterwards).
  auto& lib = Library::instance();
  auto context = std::make_shared<IoEvent>(*ev);
  session_t handle = lib.add_io_event(context);
  for (const auto& h : handlers) {
    if (!begin_call(s, h)) continue;  // uninstalled (or the session closed) meanwhile
    ViStatus st = VI_SUCCESS;
    try {
      st = h.first(s.handle, VI_EVENT_IO_COMPLETION, handle, h.second);
    } catch (...) {
      // a C handler does not throw; a C++ one must not take the caller down
    }
    end_call(s, h);
    if (st == VI_SUCCESS_NCHAIN) break;
  }
  lib.remove_io_event(handle);
}

}  // namespace

bool valid_enable_mechanism(std::uint16_t m) {
  return m == VI_QUEUE || m == VI_HNDLR || m == VI_SUSPEND_HNDLR || m == (VI_QUEUE | VI_HNDLR) ||
         m == (VI_QUEUE | VI_SUSPEND_HNDLR);
}

bool valid_disable_mechanism(std::uint16_t m) {
  return m == VI_ALL_MECH || (m != 0 && (m & ~(VI_QUEUE | VI_HNDLR | VI_SUSPEND_HNDLR)) == 0);
}

bool post_io_completion(SessionState& s, status_t status, std::uint32_t job, void* buffer, std::uint64_t count,
                        std::string operation) {
  auto ev = std::make_shared<IoEvent>();
  ev->session = s.handle;
  ev->status = status;
  ev->job_id = job;
  ev->buffer = buffer;
  ev->count = count;
  ev->operation = std::move(operation);
  std::vector<IoHandler> handlers;
  bool enabled;
  {
    std::lock_guard lock(s.event_mutex);
    if (s.closed) return false;
    enabled = s.io_mechanisms != 0;
    if (s.io_mechanisms & VI_QUEUE) {
      // Past VI_ATTR_MAX_QUEUE_LENGTH the occurrence is dropped; the next viWaitOnEvent says so
      // with VI_WARN_QUEUE_OVERFLOW (as core::SessionEvents does for the backends' events).
      if (s.io_queue.size() < s.max_queue_length) s.io_queue.push_back(ev);
      else s.io_overflowed = true;
    }
    if ((s.io_mechanisms & VI_SUSPEND_HNDLR) && s.io_suspended.size() < s.max_queue_length) s.io_suspended.push_back(ev);
    if (s.io_mechanisms & VI_HNDLR) handlers = s.io_handlers;
  }
  s.event_posted.notify_all();
  if (!handlers.empty()) run_handlers(s, handlers, ev);
  return enabled;
}

status_t io_enable(SessionState& s, std::uint16_t mechanism) {
  std::vector<IoHandler> handlers;
  std::deque<std::shared_ptr<IoEvent>> release;
  status_t result;
  {
    std::lock_guard lock(s.event_mutex);
    if ((mechanism & VI_HNDLR) && s.io_handlers.empty()) return VI_ERROR_HNDLR_NINSTALLED;
    std::uint16_t handler_bits = mechanism & (VI_HNDLR | VI_SUSPEND_HNDLR);
    result = (s.io_mechanisms & mechanism) == mechanism ? VI_SUCCESS_EVENT_EN : VI_SUCCESS;
    if (handler_bits) s.io_mechanisms = static_cast<std::uint16_t>((s.io_mechanisms & VI_QUEUE) | handler_bits);
    s.io_mechanisms |= mechanism & VI_QUEUE;
    // Switching from VI_SUSPEND_HNDLR to VI_HNDLR delivers what was suspended.
    if (mechanism & VI_HNDLR) {
      release.swap(s.io_suspended);
      handlers = s.io_handlers;
    }
  }
  for (auto& ev : release) run_handlers(s, handlers, ev);
  return result;
}

status_t io_disable(SessionState& s, std::uint16_t mechanism) {
  std::lock_guard lock(s.event_mutex);
  if ((s.io_mechanisms & mechanism) == 0) return VI_SUCCESS_EVENT_DIS;
  s.io_mechanisms = static_cast<std::uint16_t>(s.io_mechanisms & ~mechanism);
  return VI_SUCCESS;
}

status_t io_discard(SessionState& s, std::uint16_t mechanism) {
  std::lock_guard lock(s.event_mutex);
  bool any = false;
  if (mechanism & VI_QUEUE) {
    any |= !s.io_queue.empty();
    s.io_queue.clear();
    s.io_overflowed = false;
  }
  if (mechanism & (VI_SUSPEND_HNDLR | VI_HNDLR)) {
    any |= !s.io_suspended.empty();
    s.io_suspended.clear();
  }
  return any ? VI_SUCCESS : VI_SUCCESS_QUEUE_EMPTY;
}

bool io_enabled(SessionState& s) {
  std::lock_guard lock(s.event_mutex);
  return s.io_mechanisms != 0;
}

bool io_queue_enabled(SessionState& s) {
  std::lock_guard lock(s.event_mutex);
  return (s.io_mechanisms & VI_QUEUE) != 0 || !s.io_queue.empty();
}

status_t io_wait(SessionState& s, std::uint32_t timeout, session_t& context, bool want_context) {
  std::shared_ptr<IoEvent> ev;
  bool more, overflowed;
  {
    std::unique_lock lock(s.event_mutex);
    if (s.closed) return VI_ERROR_INV_OBJECT;
    if (!(s.io_mechanisms & VI_QUEUE) && s.io_queue.empty()) return VI_ERROR_NENABLED;
    auto ready = [&] { return s.closed || !s.io_queue.empty() || !(s.io_mechanisms & VI_QUEUE); };
    if (timeout == VI_TMO_INFINITE) s.event_posted.wait(lock, ready);
    else s.event_posted.wait_for(lock, std::chrono::milliseconds(timeout), ready);
    if (s.closed) return VI_ERROR_INV_OBJECT;
    if (s.io_queue.empty()) return (s.io_mechanisms & VI_QUEUE) ? VI_ERROR_TMO : VI_ERROR_NENABLED;
    ev = s.io_queue.front();
    s.io_queue.pop_front();
    more = !s.io_queue.empty();
    overflowed = std::exchange(s.io_overflowed, false);
  }
  context = want_context ? Library::instance().add_io_event(ev) : 0;
  if (overflowed) return VI_WARN_QUEUE_OVERFLOW;
  return more ? VI_SUCCESS_QUEUE_NEMPTY : VI_SUCCESS;
}

status_t io_install_handler(SessionState& s, EventHandlerFn handler, void* user) {
  if (handler == nullptr) return VI_ERROR_INV_HNDLR_REF;
  std::lock_guard lock(s.event_mutex);
  s.io_handlers.emplace_back(handler, user);
  return VI_SUCCESS;
}

status_t io_uninstall_handler(SessionState& s, EventHandlerFn handler, void* user) {
  std::unique_lock lock(s.event_mutex);
  auto removed = [&](const IoHandler& h) { return handler == nullptr || (h.first == handler && h.second == user); };
  if (handler == nullptr) {  // VI_ANY_HNDLR: every handler of the type
    s.io_handlers.clear();
  } else {
    auto it = std::find(s.io_handlers.begin(), s.io_handlers.end(), IoHandler(handler, user));
    if (it == s.io_handlers.end()) return VI_ERROR_INV_HNDLR_REF;
    s.io_handlers.erase(it);
  }
  // When this returns the handler is not running (except in this thread: a handler uninstalling
  // itself) and is not called again.
  wait_for_calls(s, lock, removed);
  return VI_SUCCESS;
}

void io_close(SessionState& s) {
  {
    std::unique_lock lock(s.event_mutex);
    s.closed = true;
    s.io_mechanisms = 0;
    s.io_queue.clear();
    s.io_suspended.clear();
    s.io_handlers.clear();
    wait_for_calls(s, lock, [](const IoHandler&) { return true; });
  }
  s.event_posted.notify_all();
}

}  // namespace cppvisa::cabi
