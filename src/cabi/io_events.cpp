// VI_EVENT_IO_COMPLETION served by the C layer (see io_events.hpp).
#include "cabi/io_events.hpp"

#include <visa.h>

#include <chrono>

namespace cppvisa::cabi {
namespace {

void run_handlers(SessionState& s, const std::vector<IoHandler>& handlers, const std::shared_ptr<IoEvent>& ev) {
  // The context is valid during the call only (VPP-4.3 §4.3: closed by VISA afterwards).
  auto& lib = Library::instance();
  auto context = std::make_shared<IoEvent>(*ev);
  session_t handle = lib.add_io_event(context);
  for (const auto& [fn, user] : handlers) {
    ViStatus st = fn(s.handle, VI_EVENT_IO_COMPLETION, handle, user);
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
    enabled = s.io_mechanisms != 0;
    if ((s.io_mechanisms & VI_QUEUE) && s.io_queue.size() < s.max_queue_length) s.io_queue.push_back(ev);
    if (s.io_mechanisms & VI_SUSPEND_HNDLR) s.io_suspended.push_back(ev);
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
  }
  if (mechanism & (VI_SUSPEND_HNDLR | VI_HNDLR)) {
    any |= !s.io_suspended.empty();
    s.io_suspended.clear();
  }
  return any ? VI_SUCCESS : VI_SUCCESS_QUEUE_EMPTY;
}

bool io_queue_enabled(SessionState& s) {
  std::lock_guard lock(s.event_mutex);
  return (s.io_mechanisms & VI_QUEUE) != 0 || !s.io_queue.empty();
}

status_t io_wait(SessionState& s, std::uint32_t timeout, session_t& context, bool want_context) {
  std::shared_ptr<IoEvent> ev;
  bool more;
  {
    std::unique_lock lock(s.event_mutex);
    if (!(s.io_mechanisms & VI_QUEUE) && s.io_queue.empty()) return VI_ERROR_NENABLED;
    auto ready = [&] { return !s.io_queue.empty() || !(s.io_mechanisms & VI_QUEUE); };
    if (timeout == VI_TMO_INFINITE) s.event_posted.wait(lock, ready);
    else s.event_posted.wait_for(lock, std::chrono::milliseconds(timeout), ready);
    if (s.io_queue.empty()) return (s.io_mechanisms & VI_QUEUE) ? VI_ERROR_TMO : VI_ERROR_NENABLED;
    ev = s.io_queue.front();
    s.io_queue.pop_front();
    more = !s.io_queue.empty();
  }
  context = want_context ? Library::instance().add_io_event(ev) : 0;
  return more ? VI_SUCCESS_QUEUE_NEMPTY : VI_SUCCESS;
}

status_t io_install_handler(SessionState& s, EventHandlerFn handler, void* user) {
  if (handler == nullptr) return VI_ERROR_INV_HNDLR_REF;
  std::lock_guard lock(s.event_mutex);
  s.io_handlers.emplace_back(handler, user);
  return VI_SUCCESS;
}

status_t io_uninstall_handler(SessionState& s, EventHandlerFn handler, void* user) {
  std::lock_guard lock(s.event_mutex);
  if (handler == nullptr) {  // VI_ANY_HNDLR: every handler of the type
    s.io_handlers.clear();
    return VI_SUCCESS;
  }
  for (auto it = s.io_handlers.begin(); it != s.io_handlers.end(); ++it) {
    if (it->first == handler && it->second == user) {
      s.io_handlers.erase(it);
      return VI_SUCCESS;
    }
  }
  return VI_ERROR_INV_HNDLR_REF;
}

}  // namespace cppvisa::cabi
