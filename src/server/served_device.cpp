#include "server/served_device.hpp"

#include <algorithm>
#include <atomic>

namespace cppvisa::server {

namespace {
std::atomic<ClientId> next_client{1};
// Bounds the discard of an orphaned response (a device clear).
constexpr std::uint32_t discard_timeout_ms = 5000;
}  // namespace

ClientId new_client_id() noexcept { return next_client.fetch_add(1, std::memory_order_relaxed); }

ServedDevice::ServedDevice() : ServedDevice(Options{}) {}
ServedDevice::ServedDevice(Options options) : options_(options) {}
ServedDevice::~ServedDevice() = default;

// ---- default hooks ----

Output ServedDevice::do_output() { return Output::unknown; }
status_t ServedDevice::do_read_stb(std::uint8_t&, core::Deadline) { return status::ERROR_NSUP_OPER; }
status_t ServedDevice::do_trigger(core::Deadline) { return status::ERROR_NSUP_OPER; }
status_t ServedDevice::do_clear(core::Deadline) { return status::ERROR_NSUP_OPER; }
status_t ServedDevice::do_remote(core::Deadline) { return status::ERROR_NSUP_OPER; }
status_t ServedDevice::do_local(core::Deadline) { return status::ERROR_NSUP_OPER; }
void ServedDevice::do_abort() {}
void ServedDevice::do_discard_output(core::Deadline deadline) { do_clear(deadline); }
void ServedDevice::do_interrupt(core::Deadline deadline) { do_discard_output(deadline); }
void ServedDevice::do_enable_service_requests(bool) {}

// ---- the turn ----

void ServedDevice::leave_wait_locked(ClientId client) {
  waiting_.erase(waiting_.find(client));
  // An abort ends every wait the client had when it came (HiSLIP has up to three at once).
  if (!waiting_.count(client)) aborted_.erase(client);
}

void ServedDevice::forget_output_locked() {
  owner_ = 0;
  owner_closed_ = false;
  expect_response_ = false;
  mid_message_ = false;
  scanner_.reset();
}

bool ServedDevice::pending_locked() {
  if (owner_ == 0) return false;
  switch (do_output()) {
    case Output::ready:
    case Output::pending: return true;
    case Output::none: return mid_message_;
    case Output::unknown: break;
  }
  return expect_response_ || mid_message_;
}

bool ServedDevice::may_access_locked(ClientId client) const {
  if (exclusive_ && exclusive_ != client) return false;
  if (exclusive_) return true;
  return sharers_.empty() || sharers_.count(client) > 0;
}

ServedDevice::Gate ServedDevice::gate_locked(ClientId client, Op op, bool pending) const {
  if (op != Op::unlocked && !may_access_locked(client)) return Gate::locked;
  if (op != Op::io || owner_ == client || !pending) return Gate::open;
  // Another client's response is unread: held off while its hold lasts, then it is discarded.
  if (owner_closed_ || core::Deadline::clock::now() >= hold_until_) return Gate::discard;
  return Gate::held;
}

status_t ServedDevice::begin(ClientId client, Op op, core::Deadline deadline, std::unique_lock<std::mutex>& lock) {
  waiting_.insert(client);
  const std::uint64_t ticket = next_ticket_++;
  Waiting& self = queue_.emplace(ticket, Waiting{client, op}).first->second;
  status_t st = status::SUCCESS;
  for (;;) {
    if (aborted_.count(client)) {
      st = status::ERROR_ABORT;
      break;
    }
    Gate gate = Gate::held;
    auto wake_at = deadline.when();
    if (busy_ == 0) {
      const bool pending = pending_locked();
      gate = gate_locked(client, op, pending);
      // Turns go in arrival order among the clients that may go now (a client reading in slices
      // does not starve the others).
      bool earlier = false;
      for (auto& [t, w] : queue_) {
        if (t >= ticket) break;
        if (w.client == client) continue;
        Gate g = gate_locked(w.client, w.op, pending);
        if (g == Gate::open || g == Gate::discard) {
          earlier = true;
          w.deferred_to = true;
          break;
        }
      }
      // Not going now, yet a later waiter may have stood back for this one when its gate was
      // open: what closed it since (a lock granted to another client, which notifies nobody)
      // must not leave that waiter asleep until its deadline with the device free.
      if (earlier || (self.deferred_to && gate != Gate::open && gate != Gate::discard)) {
        self.deferred_to = false;
        changed_.notify_all();  // the earlier one may be asleep since a hold ran out
      }
      if (!earlier && gate == Gate::open) break;
      if (!earlier && gate == Gate::discard) {
        busy_ = client;  // the discard is a device call of its own
        lock.unlock();
        do_discard_output(core::Deadline::after_ms(discard_timeout_ms));
        lock.lock();
        busy_ = 0;
        forget_output_locked();
        changed_.notify_all();
        continue;
      }
      if (!earlier && gate == Gate::held) wake_at = std::min(wake_at, hold_until_);
    }
    if (deadline.expired()) {
      st = gate == Gate::locked ? status::ERROR_RSRC_LOCKED : status::ERROR_TMO;
      break;
    }
    if (wake_at == core::Deadline::clock::time_point::max())
      changed_.wait(lock);
    else
      changed_.wait_until(lock, wake_at);
  }
  // Leaving without the device (abort, deadline): whoever stood back for this one looks again.
  if (st != status::SUCCESS && self.deferred_to) changed_.notify_all();
  queue_.erase(ticket);
  leave_wait_locked(client);
  if (st == status::SUCCESS) busy_ = client;
  return st;
}

void ServedDevice::end(std::unique_lock<std::mutex>&) {
  busy_ = 0;
  changed_.notify_all();
}

// ---- I/O ----

status_t ServedDevice::write(ClientId client, std::span<const std::byte> data, bool end_flag, std::size_t& count,
                             core::Deadline deadline) {
  count = 0;
  if (options_.read_only) return status::ERROR_NSUP_OPER;
  std::unique_lock lock(mutex_);
  if (status_t st = begin(client, Op::io, deadline, lock); st < 0) return st;
  if (owner_ != client || !mid_message_) {
    // A new program message from this client.
    owner_ = client;
    owner_closed_ = false;
    scanner_.reset();
  }
  scanner_.feed(data);
  mid_message_ = !end_flag;
  if (end_flag) expect_response_ = scanner_.saw_query();
  hold_until_ = core::Deadline::clock::now() + std::chrono::milliseconds(options_.response_hold_ms);
  lock.unlock();
  status_t st = do_write(data, end_flag, count, deadline);
  lock.lock();
  if (st < 0 && end_flag) expect_response_ = false;
  end(lock);
  return st;
}

status_t ServedDevice::read(ClientId client, std::span<std::byte> buffer, std::optional<std::byte> termchar,
                            ReadResult& result, core::Deadline deadline) {
  result = {};
  std::unique_lock lock(mutex_);
  if (status_t st = begin(client, Op::io, deadline, lock); st < 0) return st;
  lock.unlock();
  status_t st = do_read(buffer, termchar, result, deadline);
  lock.lock();
  if (owner_ == client) {
    if (st >= 0 && result.end) expect_response_ = false;  // the response ended (more may follow: do_output())
    // Only progress renews the hold: a client waiting in vain for an answer does not keep the
    // others out beyond the hold.
    if (result.count > 0)
      hold_until_ = core::Deadline::clock::now() + std::chrono::milliseconds(options_.response_hold_ms);
  }
  end(lock);
  return st;
}

bool ServedDevice::response_pending(ClientId client) {
  std::unique_lock lock(mutex_);
  if (owner_ != client || owner_closed_) return false;
  if (mid_message_) return false;  // the message is not complete: reading now would be -420
  // While a call runs (this client's own, or another's that was let in) the answer cannot change
  // under it; ask the device only when it is free.
  if (busy_ != 0) return expect_response_;
  return pending_locked();
}

bool ServedDevice::response_ready(ClientId client) {
  std::unique_lock lock(mutex_);
  if (owner_ != client || owner_closed_ || mid_message_ || busy_ != 0) return false;
  return do_output() == Output::ready;
}

status_t ServedDevice::run(ClientId client, Access access, core::Deadline deadline,
                           const std::function<status_t()>& call, bool clears_output) {
  std::unique_lock lock(mutex_);
  if (status_t st = begin(client, access == Access::bypass_locks ? Op::unlocked : Op::other, deadline, lock); st < 0)
    return st;
  lock.unlock();
  status_t st = call();
  lock.lock();
  // Still within the turn: a message of another client cannot come between the clear and this
  // (its answer would lose its owner and could be handed to someone else).
  if (clears_output && st >= 0) forget_output_locked();
  end(lock);
  return st;
}

status_t ServedDevice::read_stb(ClientId client, std::uint8_t& stb, core::Deadline deadline, Access access) {
  return run(client, access, deadline, [&] { return do_read_stb(stb, deadline); });
}
status_t ServedDevice::trigger(ClientId client, core::Deadline deadline) {
  if (options_.read_only) return status::ERROR_NSUP_OPER;
  return run(client, Access::checked, deadline, [&] { return do_trigger(deadline); });
}
status_t ServedDevice::remote(ClientId client, core::Deadline deadline) {
  return run(client, Access::checked, deadline, [&] { return do_remote(deadline); });
}
status_t ServedDevice::local(ClientId client, core::Deadline deadline) {
  return run(client, Access::checked, deadline, [&] { return do_local(deadline); });
}

status_t ServedDevice::clear(ClientId client, core::Deadline deadline, Access access) {
  // A cleared device has no output left for anyone (IEEE 488.2 §5.8); end() then wakes the waits
  // that output held off (I/O of other clients, lock requests).
  return run(client, access, deadline, [&] { return do_clear(deadline); }, true);
}

status_t ServedDevice::interrupt(ClientId client, core::Deadline deadline) {
  return run(client, Access::checked, deadline, [&] {
    do_interrupt(deadline);
    return status::SUCCESS;
  });
}

// ---- locks ----

bool ServedDevice::grantable(ClientId client, LockType type, std::string_view key) const {
  if (exclusive_ && exclusive_ != client) return false;
  if (type == LockType::exclusive)  // a holder of the only shared lock may add the exclusive one
    return sharers_.empty() || (sharers_.size() == 1 && sharers_.count(client));
  return sharers_.empty() || shared_key_ == key;
}

status_t ServedDevice::wait_until_locked(std::unique_lock<std::mutex>& lock, ClientId client, core::Deadline deadline,
                                         const std::function<bool()>& ready) {
  waiting_.insert(client);
  status_t st = status::SUCCESS;
  for (;;) {
    if (aborted_.count(client)) {
      st = status::ERROR_ABORT;
      break;
    }
    if (ready()) break;
    if (deadline.expired()) {
      st = status::ERROR_RSRC_LOCKED;  // what kept the client waiting is another client's lock
      break;
    }
    // A hold running out changes what may be granted (response_held_locked) without a notify.
    auto wake_at = deadline.when();
    if (auto now = core::Deadline::clock::now(); hold_until_ > now) wake_at = std::min(wake_at, hold_until_);
    if (wake_at == core::Deadline::clock::time_point::max())
      changed_.wait(lock);
    else
      changed_.wait_until(lock, wake_at);
  }
  leave_wait_locked(client);
  return st;
}

bool ServedDevice::response_held_locked(ClientId client, LockType type) {
  if (owner_ == 0 || owner_ == client || owner_closed_) return false;
  if (type == LockType::shared && sharers_.count(owner_)) return false;  // the owner keeps its access
  if (core::Deadline::clock::now() >= hold_until_) return false;
  // While a call runs the device is not asked (do_output() runs only when it is free).
  return busy_ != 0 ? expect_response_ || mid_message_ : pending_locked();
}

status_t ServedDevice::lock(ClientId client, LockType type, std::string_view key, core::Deadline deadline) {
  if (type == LockType::shared && key.empty()) return status::ERROR_INV_ACCESS_KEY;
  std::unique_lock lock(mutex_);
  if (type == LockType::exclusive && exclusive_ == client) return status::SUCCESS_NESTED_EXCLUSIVE;
  if (type == LockType::shared && sharers_.count(client)) return status::SUCCESS_NESTED_SHARED;
  // A lock is granted between another client's messages, never inside its query: a lock that
  // would keep out the client whose response is unread waits until it is read (or its hold runs
  // out), else that client could never read its answer and the holder's I/O would discard it.
  status_t st = wait_until_locked(lock, client, deadline,
                                  [&] { return grantable(client, type, key) && !response_held_locked(client, type); });
  if (st == status::SUCCESS) {
    if (type == LockType::exclusive) {
      exclusive_ = client;
    } else {
      shared_key_ = std::string(key);
      sharers_.insert(client);
    }
  }
  return st;
}

status_t ServedDevice::unlock(ClientId client) {
  std::lock_guard lock(mutex_);
  status_t st = status::ERROR_SESN_NLOCKED;
  if (exclusive_ == client) {
    exclusive_ = 0;
    st = status::SUCCESS;
  } else if (sharers_.erase(client)) {
    if (sharers_.empty()) shared_key_.clear();
    st = status::SUCCESS_NESTED_SHARED;
  }
  changed_.notify_all();
  return st;
}

bool ServedDevice::holds_lock(ClientId client, LockType type) const {
  std::lock_guard lock(mutex_);
  return type == LockType::exclusive ? exclusive_ == client : sharers_.count(client) > 0;
}

LockInfo ServedDevice::lock_info() const {
  std::lock_guard lock(mutex_);
  LockInfo info;
  info.exclusive = exclusive_ != 0;
  std::set<ClientId> all = sharers_;
  if (exclusive_) all.insert(exclusive_);
  info.holders = all.size();
  return info;
}

bool ServedDevice::may_access(ClientId client) const {
  std::lock_guard lock(mutex_);
  return may_access_locked(client);
}

status_t ServedDevice::wait_access(ClientId client, core::Deadline deadline) {
  std::unique_lock lock(mutex_);
  return wait_until_locked(lock, client, deadline, [&] { return may_access_locked(client); });
}

// ---- clients ----

void ServedDevice::abort(ClientId client) {
  bool call_in_progress = false;
  {
    std::lock_guard lock(mutex_);
    if (waiting_.count(client)) {
      aborted_.insert(client);
      changed_.notify_all();
    }
    call_in_progress = busy_ == client;
  }
  if (call_in_progress) do_abort();
}

void ServedDevice::abort_all() {
  bool call_in_progress = false;
  {
    std::lock_guard lock(mutex_);
    for (ClientId c : waiting_) aborted_.insert(c);
    changed_.notify_all();
    call_in_progress = busy_ != 0;
  }
  if (call_in_progress) do_abort();
}

void ServedDevice::close_client(ClientId client) {
  abort(client);
  std::lock_guard lock(mutex_);
  if (exclusive_ == client) exclusive_ = 0;
  if (sharers_.erase(client) && sharers_.empty()) shared_key_.clear();
  if (owner_ == client) owner_closed_ = true;  // discarded before the next client's I/O
  changed_.notify_all();
}

// ---- service requests ----

std::size_t ServedDevice::add_service_request_listener(std::function<void()> listener) {
  bool first = false;
  std::size_t id = 0;
  {
    std::lock_guard lock(listeners_mutex_);
    first = listeners_.empty();
    id = next_listener_++;
    listeners_[id] = std::move(listener);
  }
  if (first) do_enable_service_requests(true);
  return id;
}

void ServedDevice::remove_service_request_listener(std::size_t id) {
  bool last = false;
  {
    std::lock_guard lock(listeners_mutex_);
    last = listeners_.erase(id) && listeners_.empty();
  }
  if (last) do_enable_service_requests(false);
}

void ServedDevice::service_requested() {
  std::vector<std::function<void()>> listeners;
  {
    std::lock_guard lock(listeners_mutex_);
    for (auto& [id, fn] : listeners_) listeners.push_back(fn);
  }
  for (auto& fn : listeners) fn();
}

}  // namespace cppvisa::server
