// core events: per-session enabling, queues and handlers (VPP-4.3 ch. 5).
#pragma once

#include "core/deadline.hpp"

#include <cppvisa/attributes.hpp>
#include <cppvisa/backend.hpp>
#include <cppvisa/status.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace cppvisa::core {

/// One event occurrence and its attributes (VI_ATTR_EVENT_TYPE is always present).
struct Event {
  explicit Event(event_type_t t) : type(t) { attributes[attr::EVENT_TYPE] = static_cast<std::int64_t>(t); }
  event_type_t type;
  std::map<attr_id_t, AttrValue> attributes;
};

/// Runs handler calls on one library thread, in order, never on the thread that raised the event
/// (so a handler may call back into the library without deadlock).
class EventDispatcher {
 public:
  EventDispatcher() = default;
  /// Joins the thread; when the last owner lets go on the dispatcher thread itself (a handler
  /// that held the last reference), the thread is detached and finishes on its own state.
  ~EventDispatcher();
  EventDispatcher(const EventDispatcher&) = delete;
  EventDispatcher& operator=(const EventDispatcher&) = delete;
  void post(std::function<void()> job);
  /// Waits until every job posted so far has run (not from the dispatcher thread itself).
  void drain();
  /// Whether the calling thread is the dispatcher's (a handler calling back into the library).
  bool on_dispatcher_thread() const;

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable wake, idle;
    std::deque<std::function<void()>> jobs;
    bool stop = false, busy = false;
    std::thread::id id;  // the dispatcher thread's, once it runs
  };
  static void run(std::shared_ptr<State> state);
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::thread thread_;
};

/// A handler installation.
struct HandlerEntry {
  event_type_t type;
  EventHandlerFn fn;
  void* user;
};

/// The event state of one session.
class SessionEvents {
 public:
  /// `supported`: the event types this session can generate. VI_EVENT_EXCEPTION is added: every
  /// session raises it (VPP-4.3: an operation that fails), with the handler mechanism only.
  explicit SessionEvents(std::set<event_type_t> supported);

  status_t enable(event_type_t type, std::uint16_t mechanism, std::size_t max_queue);
  status_t disable(event_type_t type, std::uint16_t mechanism);
  status_t discard(event_type_t type, std::uint16_t mechanism);
  /// Waits for a queued event of `type` (or any enabled type for all_enabled). VI_SUCCESS,
  /// VI_SUCCESS_QUEUE_NEMPTY (more of the type are queued), VI_WARN_QUEUE_OVERFLOW (the first
  /// wait on a type after occurrences of it were dropped because its queue was full; the event
  /// returned is the oldest kept), VI_ERROR_TMO, VI_ERROR_NENABLED, VI_ERROR_INV_OBJECT (closed,
  /// also when the session closes during the wait).
  status_t wait(event_type_t type, Deadline deadline, std::shared_ptr<Event>& event);
  status_t install(event_type_t type, EventHandlerFn fn, void* user);
  /// Removes the handler(s). With `wait_for_call`, returns only once a call of a removed handler
  /// in progress on another thread (the dispatcher, or an operation calling its exception handler)
  /// has returned; a call in progress on the calling thread (the handler itself) is not waited for.
  status_t uninstall(event_type_t type, EventHandlerFn fn, void* user, bool wait_for_call = true);

  /// Records an occurrence: queued if the queue mechanism is enabled for its type (dropped when
  /// full, reported by the next wait() as VI_WARN_QUEUE_OVERFLOW), and returns the handlers to
  /// call if the handler mechanism is enabled. While suspended (VI_SUSPEND_HNDLR) occurrences are
  /// kept (as many as the queue length) and delivered on re-enabling.
  std::vector<HandlerEntry> deliver(const std::shared_ptr<Event>& event);
  /// Each handler call is bracketed with these (on the dispatcher thread, or on the thread of a
  /// failed operation for VI_EVENT_EXCEPTION): begin_handler_call() returns false (do not call)
  /// when `h` was uninstalled or the session closed since deliver(); no lock is held during the
  /// call itself.
  bool begin_handler_call(const HandlerEntry& h);
  void end_handler_call();
  /// Whether a handler of `type` is installed and the handler mechanism enabled (cheap test
  /// before building an occurrence, e.g. VI_EVENT_EXCEPTION on every failure).
  bool handler_enabled(event_type_t type) const;
  /// Occurrences held while handlers were suspended, taken when handlers are enabled again.
  std::vector<std::shared_ptr<Event>> take_suspended(event_type_t type);
  bool enabled(event_type_t type) const;
  bool supports(event_type_t type) const { return supported_.count(type) != 0; }
  /// Whether any event of this type was ever enabled (VI_ATTR_MAX_QUEUE_LENGTH becomes read-only).
  bool ever_enabled() const;
  /// viClose: disables everything, discards queues, removes handlers, wakes waiters (whose wait()
  /// returns VI_ERROR_INV_OBJECT). With `wait_for_call`, returns once the handler calls in progress
  /// on other threads have returned.
  void close(bool wait_for_call = true);

 private:
  struct PerType {
    std::uint16_t mechanisms = 0;   // VI_QUEUE | VI_HNDLR | VI_SUSPEND_HNDLR currently enabled
    std::deque<std::shared_ptr<Event>> queue;
    std::deque<std::shared_ptr<Event>> suspended;
    bool overflowed = false;  // occurrences were dropped since the last wait() on this type
  };
  bool valid_type(event_type_t type) const;
  std::set<event_type_t> supported_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::map<event_type_t, PerType> types_;
  std::vector<HandlerEntry> handlers_;
  std::size_t max_queue_ = 50;
  bool ever_enabled_ = false;
  bool closed_ = false;
  struct Call {
    HandlerEntry entry;
    std::thread::id thread;
  };
  std::vector<Call> calls_;  // handler calls in progress (between begin/end_handler_call)
  bool calling_elsewhere(const std::function<bool(const HandlerEntry&)>& which) const;  // mutex_ held
  std::condition_variable call_done_;
};

}  // namespace cppvisa::core
