// core::ResourceLock: VISA locking of one resource (VPP-4.3 §6.8): exclusive and
// shared locks, nested per session, shared keys, waiting up to a timeout.
#pragma once

#include "core/deadline.hpp"

#include <cppvisa/status.hpp>
#include <cppvisa/types.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace cppvisa::core {

class ResourceLock {
 public:
  /// viLock. Shared locks: an empty requested key generates one. The granted key is stored in
  /// `key`. Returns SUCCESS, SUCCESS_NESTED_EXCLUSIVE/SHARED, ERROR_RSRC_LOCKED (timeout 0),
  /// ERROR_TMO (waited), ERROR_INV_LOCK_TYPE; ERROR_INV_OBJECT when `closed` (the session's
  /// closed flag, set before release_all() of that session is called) becomes true while waiting.
  status_t lock(session_t session, AccessMode type, Deadline deadline, bool immediate, std::string_view requested_key,
                std::string& key, const std::atomic<bool>* closed = nullptr);
  /// viUnlock: releases one level (exclusive first). SUCCESS when the session holds no lock any
  /// more, SUCCESS_NESTED_* while some remain, ERROR_SESN_NLOCKED when it held none. `released`
  /// (when given) is set to the kind of lock the session no longer holds at all after this call
  /// (its count reached 0), else AccessMode::no_lock.
  status_t unlock(session_t session, AccessMode* released = nullptr);
  /// Undoes one level of a lock of `type` that lock() just granted (a device lock that failed).
  void undo(session_t session, AccessMode type);
  /// Drops every lock the session holds and wakes the waiters (viClose).
  void release_all(session_t session);
  /// Whether the session may perform operations (no lock of another session excludes it).
  bool may_access(session_t session) const;
  /// VI_ATTR_RSRC_LOCK_STATE.
  AccessMode state() const;

 private:
  bool can_lock_exclusive(session_t session) const;
  bool can_lock_shared(session_t session, std::string_view key) const;
  bool may_access_locked(session_t session) const;
  mutable std::mutex mutex_;
  std::condition_variable released_;
  session_t exclusive_owner_ = 0;
  unsigned exclusive_count_ = 0;
  std::string shared_key_;
  std::map<session_t, unsigned> sharers_;  // session -> nesting count
};

}  // namespace cppvisa::core
