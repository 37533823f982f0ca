#include "core/events.hpp"

#include <algorithm>
#include <utility>

namespace cppvisa::core {
namespace {
constexpr std::uint16_t kQueue = 1, kHandler = 2, kSuspend = 4, kAllMech = 0xFFFF;
}

// ---- EventDispatcher ----

EventDispatcher::~EventDispatcher() {
  {
    std::lock_guard guard(state_->mutex);
    state_->stop = true;
  }
  state_->wake.notify_all();
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) thread_.detach();
  else thread_.join();
}

void EventDispatcher::post(std::function<void()> job) {
  std::lock_guard guard(state_->mutex);
  if (state_->stop) return;
  state_->jobs.push_back(std::move(job));
  if (!thread_.joinable()) thread_ = std::thread(&EventDispatcher::run, state_);
  state_->wake.notify_one();
}

void EventDispatcher::drain() {
  if (thread_.joinable() && thread_.get_id() == std::this_thread::get_id()) return;
  std::unique_lock guard(state_->mutex);
  state_->idle.wait(guard, [&] { return state_->jobs.empty() && !state_->busy; });
}

bool EventDispatcher::on_dispatcher_thread() const {
  std::lock_guard guard(state_->mutex);
  return state_->id == std::this_thread::get_id();
}

void EventDispatcher::run(std::shared_ptr<State> st) {
  std::unique_lock guard(st->mutex);
  st->id = std::this_thread::get_id();
  for (;;) {
    st->wake.wait(guard, [&] { return st->stop || !st->jobs.empty(); });
    if (st->jobs.empty()) return;  // stopping
    auto job = std::move(st->jobs.front());
    st->jobs.pop_front();
    st->busy = true;
    guard.unlock();
    try {
      job();
    } catch (...) {
      // A handler must not take the dispatcher down.
    }
    job = nullptr;  // release what the job held before taking the lock again
    guard.lock();
    st->busy = false;
    if (st->jobs.empty()) st->idle.notify_all();
  }
}

// ---- SessionEvents ----

SessionEvents::SessionEvents(std::set<event_type_t> supported) : supported_(std::move(supported)) {
  supported_.insert(event::exception);
}

bool SessionEvents::calling_elsewhere(const std::function<bool(const HandlerEntry&)>& which) const {
  const auto me = std::this_thread::get_id();
  return std::any_of(calls_.begin(), calls_.end(), [&](const Call& c) { return c.thread != me && which(c.entry); });
}

bool SessionEvents::valid_type(event_type_t type) const { return type == event::all_enabled || supports(type); }

status_t SessionEvents::enable(event_type_t type, std::uint16_t mechanism, std::size_t max_queue) {
  if (!valid_type(type)) return status::ERROR_INV_EVENT;
  // VI_HNDLR and VI_SUSPEND_HNDLR exclude each other; VI_QUEUE combines with either.
  if (mechanism == 0 || (mechanism & ~(kQueue | kHandler | kSuspend)) || ((mechanism & kHandler) && (mechanism & kSuspend)))
    return status::ERROR_INV_MECH;
  // VPP-4.3: VI_EVENT_EXCEPTION is delivered to handlers only, in the context of the failing
  // operation (there is nothing to queue or hold back).
  if (type == event::exception && mechanism != kHandler) return status::ERROR_INV_MECH;
  std::lock_guard guard(mutex_);
  max_queue_ = std::max<std::size_t>(1, max_queue);
  bool already = true;
  auto apply = [&](event_type_t t) {
    std::uint16_t wanted = mechanism;
    if (t == event::exception) wanted &= kHandler;
    if (!wanted) return;
    auto& pt = types_[t];
    if (wanted & kHandler) pt.mechanisms &= ~kSuspend;
    if (wanted & kSuspend) pt.mechanisms &= ~kHandler;
    if ((pt.mechanisms & wanted) != wanted) already = false;
    pt.mechanisms |= wanted;
  };
  if (type == event::all_enabled) {
    for (auto t : supported_) apply(t);
  } else {
    apply(type);
  }
  ever_enabled_ = true;
  return already ? status::SUCCESS_EVENT_EN : status::SUCCESS;
}

status_t SessionEvents::disable(event_type_t type, std::uint16_t mechanism) {
  if (!valid_type(type)) return status::ERROR_INV_EVENT;
  if (mechanism == 0 || (mechanism != kAllMech && (mechanism & ~(kQueue | kHandler | kSuspend))))
    return status::ERROR_INV_MECH;
  std::lock_guard guard(mutex_);
  bool changed = false;
  auto apply = [&](event_type_t t) {
    auto it = types_.find(t);
    if (it == types_.end()) return;
    const std::uint16_t m = mechanism == kAllMech ? (kQueue | kHandler | kSuspend) : mechanism;
    if (it->second.mechanisms & m) changed = true;
    it->second.mechanisms &= ~m;
  };
  if (type == event::all_enabled) {
    for (auto t : supported_) apply(t);
  } else {
    apply(type);
  }
  arrived_.notify_all();
  return changed ? status::SUCCESS : status::SUCCESS_EVENT_DIS;
}

status_t SessionEvents::discard(event_type_t type, std::uint16_t mechanism) {
  if (!valid_type(type)) return status::ERROR_INV_EVENT;
  if (mechanism == 0) return status::ERROR_INV_MECH;
  std::lock_guard guard(mutex_);
  bool had = false;
  auto apply = [&](event_type_t t) {
    auto it = types_.find(t);
    if (it == types_.end()) return;
    if (mechanism & kQueue) {
      had |= !it->second.queue.empty();
      it->second.queue.clear();
      it->second.overflowed = false;
    }
    if (mechanism & (kSuspend | kHandler)) {
      had |= !it->second.suspended.empty();
      it->second.suspended.clear();
    }
  };
  if (type == event::all_enabled) {
    for (auto t : supported_) apply(t);
  } else {
    apply(type);
  }
  return had ? status::SUCCESS : status::SUCCESS_QUEUE_EMPTY;
}

status_t SessionEvents::wait(event_type_t type, Deadline deadline, std::shared_ptr<Event>& event) {
  if (!valid_type(type)) return status::ERROR_INV_EVENT;
  std::unique_lock guard(mutex_);
  auto queue_enabled = [&](event_type_t t) {
    auto it = types_.find(t);
    return it != types_.end() && (it->second.mechanisms & kQueue);
  };
  if (type != event::all_enabled && !queue_enabled(type)) return status::ERROR_NENABLED;
  bool overflowed = false;
  auto find = [&]() -> bool {
    if (closed_) return true;
    for (auto& [t, pt] : types_) {
      if ((type == event::all_enabled || t == type) && !pt.queue.empty()) {
        event = pt.queue.front();
        pt.queue.pop_front();
        overflowed = std::exchange(pt.overflowed, false);
        return true;
      }
    }
    return false;
  };
  bool got = deadline.infinite() ? (arrived_.wait(guard, find), true) : arrived_.wait_until(guard, deadline.when(), find);
  if (closed_) return status::ERROR_INV_OBJECT;
  if (!got || !event) return status::ERROR_TMO;
  // VPP-4.3 §6.9 (as summarised in the VISA C API reference): occurrences past
  // VI_ATTR_MAX_QUEUE_LENGTH are dropped and reported as VI_WARN_QUEUE_OVERFLOW, here by the first
  // wait that takes an event of the type after the loss (the warning outranks QUEUE_NEMPTY).
  if (overflowed) return status::WARN_QUEUE_OVERFLOW;
  // VI_SUCCESS_QUEUE_NEMPTY: more events of the requested type are still queued.
  for (auto& [t, pt] : types_)
    if ((type == event::all_enabled || t == type) && !pt.queue.empty()) return status::SUCCESS_QUEUE_NEMPTY;
  return status::SUCCESS;
}

status_t SessionEvents::install(event_type_t type, EventHandlerFn fn, void* user) {
  if (!valid_type(type)) return status::ERROR_INV_EVENT;
  if (!fn) return status::ERROR_INV_HNDLR_REF;
  std::lock_guard guard(mutex_);
  handlers_.push_back({type, fn, user});
  return status::SUCCESS;
}

status_t SessionEvents::uninstall(event_type_t type, EventHandlerFn fn, void* user, bool wait_for_call) {
  if (!valid_type(type)) return status::ERROR_INV_EVENT;
  std::unique_lock guard(mutex_);
  auto before = handlers_.size();
  // A null handler (VI_ANY_HNDLR) removes every handler of the type.
  auto removed = [&](const HandlerEntry& h) {
    return (type == event::all_enabled || h.type == type) && (!fn || (h.fn == fn && h.user == user));
  };
  std::erase_if(handlers_, removed);
  if (handlers_.size() == before) return status::ERROR_INV_HNDLR_REF;
  // The handler may be running on the dispatcher thread now: when uninstall returns it is not.
  if (wait_for_call) call_done_.wait(guard, [&] { return !calling_elsewhere(removed); });
  return status::SUCCESS;
}

bool SessionEvents::begin_handler_call(const HandlerEntry& h) {
  std::lock_guard guard(mutex_);
  if (closed_) return false;
  bool installed = std::any_of(handlers_.begin(), handlers_.end(), [&](const HandlerEntry& e) {
    return e.type == h.type && e.fn == h.fn && e.user == h.user;
  });
  if (!installed) return false;
  calls_.push_back({h, std::this_thread::get_id()});
  return true;
}

void SessionEvents::end_handler_call() {
  {
    std::lock_guard guard(mutex_);
    const auto me = std::this_thread::get_id();
    // Calls on one thread nest (a handler whose own call fails raises an exception event): the
    // innermost ends first.
    for (auto it = calls_.rbegin(); it != calls_.rend(); ++it) {
      if (it->thread == me) {
        calls_.erase(std::next(it).base());
        break;
      }
    }
  }
  call_done_.notify_all();
}

bool SessionEvents::handler_enabled(event_type_t type) const {
  std::lock_guard guard(mutex_);
  auto it = types_.find(type);
  if (it == types_.end() || !(it->second.mechanisms & kHandler)) return false;
  return std::any_of(handlers_.begin(), handlers_.end(), [&](const HandlerEntry& h) { return h.type == type; });
}

std::vector<HandlerEntry> SessionEvents::deliver(const std::shared_ptr<Event>& event) {
  std::vector<HandlerEntry> out;
  std::lock_guard guard(mutex_);
  if (closed_) return out;
  auto it = types_.find(event->type);
  if (it == types_.end()) return out;
  auto& pt = it->second;
  if (pt.mechanisms & kQueue) {
    // Past VI_ATTR_MAX_QUEUE_LENGTH occurrences are dropped, reported by the next wait() as
    // VI_WARN_QUEUE_OVERFLOW.
    if (pt.queue.size() < max_queue_) pt.queue.push_back(event);
    else pt.overflowed = true;
    arrived_.notify_all();
  }
  if (pt.mechanisms & kSuspend) {
    if (pt.suspended.size() < max_queue_) pt.suspended.push_back(event);
  } else if (pt.mechanisms & kHandler) {
    // Most recently installed handler first (VPP-4.3 rule 5.7.x).
    for (auto h = handlers_.rbegin(); h != handlers_.rend(); ++h)
      if (h->type == event->type) out.push_back(*h);
  }
  return out;
}

std::vector<std::shared_ptr<Event>> SessionEvents::take_suspended(event_type_t type) {
  std::lock_guard guard(mutex_);
  std::vector<std::shared_ptr<Event>> out;
  for (auto& [t, pt] : types_) {
    if (type != event::all_enabled && t != type) continue;
    if (!(pt.mechanisms & kHandler)) continue;
    out.insert(out.end(), pt.suspended.begin(), pt.suspended.end());
    pt.suspended.clear();
  }
  return out;
}

bool SessionEvents::enabled(event_type_t type) const {
  std::lock_guard guard(mutex_);
  auto it = types_.find(type);
  return it != types_.end() && it->second.mechanisms != 0;
}

bool SessionEvents::ever_enabled() const {
  std::lock_guard guard(mutex_);
  return ever_enabled_;
}

void SessionEvents::close(bool wait_for_call) {
  std::unique_lock guard(mutex_);
  closed_ = true;
  types_.clear();
  handlers_.clear();
  arrived_.notify_all();
  if (wait_for_call) call_done_.wait(guard, [&] { return !calling_elsewhere([](const HandlerEntry&) { return true; }); });
}

}  // namespace cppvisa::core
