#include "core/lock_table.hpp"

#include <atomic>
#include <cstdio>
#include <random>

namespace cppvisa::core {
namespace {

std::string generate_key() {
  static std::atomic<unsigned> counter{0};
  static const unsigned salt = std::random_device{}();
  char buf[40];
  std::snprintf(buf, sizeof buf, "cppvisa-%08x-%u", salt, counter.fetch_add(1) + 1);
  return buf;
}

}  // namespace

bool ResourceLock::can_lock_exclusive(session_t s) const {
  if (exclusive_owner_ != 0 && exclusive_owner_ != s) return false;
  // A session that holds the shared lock may also take the exclusive lock (NI: "Acquiring an
  // Exclusive Lock While Owning a Shared Lock"); others must wait for the sharers to leave.
  return sharers_.empty() || sharers_.count(s) != 0;
}

bool ResourceLock::can_lock_shared(session_t s, std::string_view key) const {
  if (exclusive_owner_ != 0 && exclusive_owner_ != s) return false;
  if (sharers_.empty()) return true;
  if (sharers_.count(s)) return key.empty() || key == shared_key_;
  return !key.empty() && key == shared_key_;
}

status_t ResourceLock::lock(session_t s, AccessMode type, Deadline deadline, bool immediate,
                            std::string_view requested_key, std::string& key, const std::atomic<bool>* closed) {
  if (type != AccessMode::exclusive_lock && type != AccessMode::shared_lock) return status::ERROR_INV_LOCK_TYPE;
  std::unique_lock guard(mutex_);
  auto is_closed = [&] { return closed && closed->load(std::memory_order_acquire); };
  auto ready = [&] {
    return type == AccessMode::exclusive_lock ? can_lock_exclusive(s) : can_lock_shared(s, requested_key);
  };
  // The closed flag is set before release_all() takes mutex_ and notifies: a waiter sees it.
  auto done = [&] { return is_closed() || ready(); };
  if (is_closed()) return status::ERROR_INV_OBJECT;
  if (!ready()) {
    if (immediate) return status::ERROR_RSRC_LOCKED;
    bool ok = deadline.infinite() ? (released_.wait(guard, done), true) : released_.wait_until(guard, deadline.when(), done);
    if (is_closed()) return status::ERROR_INV_OBJECT;
    if (!ok) return status::ERROR_TMO;
  }
  if (type == AccessMode::exclusive_lock) {
    exclusive_owner_ = s;
    key.clear();
    return ++exclusive_count_ > 1 ? status::SUCCESS_NESTED_EXCLUSIVE : status::SUCCESS;
  }
  if (sharers_.empty()) shared_key_ = requested_key.empty() ? generate_key() : std::string(requested_key);
  key = shared_key_;
  return ++sharers_[s] > 1 ? status::SUCCESS_NESTED_SHARED : status::SUCCESS;
}

status_t ResourceLock::unlock(session_t s, AccessMode* released) {
  std::lock_guard guard(mutex_);
  if (released) *released = AccessMode::no_lock;
  if (exclusive_owner_ == s && exclusive_count_ > 0) {
    if (--exclusive_count_ == 0) {
      exclusive_owner_ = 0;
      if (released) *released = AccessMode::exclusive_lock;
    }
  } else if (auto it = sharers_.find(s); it != sharers_.end()) {
    if (--it->second == 0) {
      sharers_.erase(it);
      if (released) *released = AccessMode::shared_lock;
    }
    if (sharers_.empty()) shared_key_.clear();
  } else {
    return status::ERROR_SESN_NLOCKED;
  }
  released_.notify_all();
  if (exclusive_owner_ == s) return status::SUCCESS_NESTED_EXCLUSIVE;
  if (sharers_.count(s)) return status::SUCCESS_NESTED_SHARED;
  return status::SUCCESS;
}

void ResourceLock::undo(session_t s, AccessMode type) {
  std::lock_guard guard(mutex_);
  if (type == AccessMode::exclusive_lock && exclusive_owner_ == s && exclusive_count_ > 0) {
    if (--exclusive_count_ == 0) exclusive_owner_ = 0;
  } else if (auto it = sharers_.find(s); type == AccessMode::shared_lock && it != sharers_.end()) {
    if (--it->second == 0) sharers_.erase(it);
    if (sharers_.empty()) shared_key_.clear();
  } else {
    return;
  }
  released_.notify_all();
}

void ResourceLock::release_all(session_t s) {
  std::lock_guard guard(mutex_);
  if (exclusive_owner_ == s) {
    exclusive_owner_ = 0;
    exclusive_count_ = 0;
  }
  sharers_.erase(s);
  if (sharers_.empty()) shared_key_.clear();
  released_.notify_all();
}

bool ResourceLock::may_access_locked(session_t s) const {
  if (exclusive_owner_ != 0) return exclusive_owner_ == s;
  return sharers_.empty() || sharers_.count(s) != 0;
}

bool ResourceLock::may_access(session_t s) const {
  std::lock_guard guard(mutex_);
  return may_access_locked(s);
}

AccessMode ResourceLock::state() const {
  std::lock_guard guard(mutex_);
  if (exclusive_owner_ != 0) return AccessMode::exclusive_lock;
  if (!sharers_.empty()) return AccessMode::shared_lock;
  return AccessMode::no_lock;
}

}  // namespace cppvisa::core
