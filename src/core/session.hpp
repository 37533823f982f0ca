// core::Session: one open VISA session, the unit every backend implements. The SessionBackend
// (session_backend.hpp) owns handles, locking, events and attribute plumbing; a backend only
// derives a session class per kind of resource and overrides the operations it supports.
#pragma once

#include "core/deadline.hpp"
#include "core/events.hpp"
#include "core/lock_table.hpp"
#include "core/message_reader.hpp"

#include <cppvisa/attributes.hpp>
#include <cppvisa/backend.hpp>
#include <cppvisa/resource_info.hpp>
#include <cppvisa/resource_name.hpp>
#include <cppvisa/status.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

namespace cppvisa::core {

class SessionBackend;

/// State shared by all sessions of one resource in one backend: its lock and its global attributes.
struct ResourceState {
  explicit ResourceState(std::string name) : canonical_name(std::move(name)) {}
  const std::string canonical_name;
  ResourceLock lock;
  std::mutex mutex;                                   // guards global_attributes
  std::map<attr_id_t, AttrValue> global_attributes;   // GLOBAL attributes (e.g. serial settings)
};

/// What a read on a session would find now, without reading (Session::output_state()).
enum class OutputState {
  ready,    ///< output is waiting: a read returns data without waiting for the device
  pending,  ///< a response is being prepared: a read would wait for it
  none,     ///< certainly nothing: a read would wait for output that no message has asked for
  unknown,  ///< the session cannot tell (most transports: the instrument decides)
};

/// Helps a session implement Session::abort(): knows whether an operation is in progress, so that
/// an abort between operations does nothing and never leaks into the next one. `wake` makes the
/// blocked operation return (e.g. signals a net::Waker); `reset` undoes it (clears the waker).
/// Both are called under the gate's mutex.
class AbortGate {
 public:
  AbortGate(std::function<void()> wake, std::function<void()> reset);
  AbortGate(const AbortGate&) = delete;
  AbortGate& operator=(const AbortGate&) = delete;

  /// Marks one operation in progress for its lifetime (operations of a session do not nest
  /// across threads: the backend's io mutex serialises them; nesting in one thread is allowed).
  class Scope {
   public:
    explicit Scope(AbortGate& gate);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    AbortGate& gate_;
  };

  /// From any thread: when an operation is in progress, calls `wake` and returns true; else
  /// returns false and changes nothing.
  bool abort();
  /// Whether the operation in progress was aborted.
  bool aborted() const;

 private:
  mutable std::mutex mutex_;
  int depth_ = 0;
  bool aborted_ = false;
  std::function<void()> wake_, reset_;
};

class Session {
 public:
  Session(const ResourceName& name, std::set<event_type_t> supported_events);
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // ---- lifecycle, called by SessionBackend ----
  /// Connects (open timeout = `deadline`). Called once before the session is published.
  virtual status_t connect(Deadline deadline);
  /// Disconnects; called once at close (after every operation on the session has returned).
  virtual void disconnect();

  // ---- operations: the defaults return VI_ERROR_NSUP_OPER ----
  virtual status_t read(std::span<std::byte> buffer, std::size_t& count, Deadline deadline);
  virtual status_t write(std::span<const std::byte> data, std::size_t& count, Deadline deadline);
  virtual status_t read_stb(std::uint16_t& stb, Deadline deadline);
  virtual status_t clear(Deadline deadline);
  virtual status_t assert_trigger(TriggerProtocol protocol, Deadline deadline);
  virtual status_t flush(std::uint16_t mask, Deadline deadline);
  virtual status_t gpib_control_ren(RenMode mode, Deadline deadline);
  virtual status_t gpib_control_atn(std::uint16_t mode, Deadline deadline);
  virtual status_t gpib_command(std::span<const std::byte> data, std::size_t& count, Deadline deadline);
  virtual status_t gpib_pass_control(std::uint16_t primary, std::uint16_t secondary, Deadline deadline);
  virtual status_t gpib_send_ifc(Deadline deadline);
  virtual status_t usb_control_out(std::int16_t request_type, std::int16_t request, std::uint16_t value,
                                   std::uint16_t index, std::span<const std::byte> data, Deadline deadline);
  virtual status_t usb_control_in(std::int16_t request_type, std::int16_t request, std::uint16_t value,
                                  std::uint16_t index, std::span<std::byte> buffer, std::size_t& count,
                                  Deadline deadline);
  /// Device-side locks, for protocols whose instrument keeps locks itself (VXI-11, HiSLIP), so
  /// that sessions of other processes and machines are excluded too. The backend calls
  /// device_lock() when the session's count of `type` goes from 0 to 1, after the library's own
  /// lock (core::ResourceLock) was granted, with the rest of the lock timeout in `deadline` and,
  /// for a shared lock, the granted access key in `key` (empty for exclusive); device_unlock()
  /// when that count goes back to 0 (exclusive before shared, as viUnlock releases them). Both
  /// run with the io mutex held, and the lock calls of one session one at a time. An error from
  /// device_lock() undoes the library's lock. A protocol that cannot carry a kind of lock
  /// returns VI_SUCCESS for it and says so in its header (the library's lock is then the only
  /// one). Default: VI_SUCCESS (locks are kept by the backend).
  virtual status_t device_lock(AccessMode type, std::string_view key, Deadline deadline);
  virtual status_t device_unlock(AccessMode type);
  /// Called after an event type was enabled (e.g. to set up a protocol's SRQ channel).
  virtual void event_enabled(event_type_t type);

  // ---- from another thread (viTerminate, the server layer) ----
  /// Aborts the operation in progress (read, write ...) from another thread, WITHOUT the io mutex:
  /// the blocked operation returns VI_ERROR_ABORT soon. With nothing in progress: VI_SUCCESS and
  /// no effect on the next operation. Default: VI_ERROR_NSUP_OPER (the session cannot abort).
  virtual status_t abort();
  /// Whether a read would find output now, non-destructively (never reads or disturbs the
  /// device). Called with the io mutex held. Default: OutputState::unknown.
  virtual OutputState output_state();
  /// The descriptor that becomes readable when input for read() arrives (Backend::input_fd), or
  /// -1 (the default: reads only block). Called with the io mutex held.
  virtual int input_fd();
  /// One step of an asynchronous read (Backend::read_step, called with the io mutex held): what
  /// has arrived, without waiting; `step.wait_fd` >= 0 with VI_SUCCESS when the read needs more
  /// input, else the read's status. Default: with input_fd() >= 0, read() with a deadline of now
  /// (VI_ERROR_TMO before `step.deadline` means: wait on input_fd()); without, read() until
  /// `step.deadline`. A protocol whose read is a request and its answer (VXI-11's device_read)
  /// overrides it to send the request on the first step and take the answer when it came.
  virtual status_t read_step(std::span<std::byte> buffer, std::size_t& count, ReadStep& step);

  // ---- attributes ----
  /// Values for attributes this session supports. The default handles every attribute of the
  /// table that applies to the session's interface and class, plus those set with define().
  virtual status_t get_attribute(attr_id_t id, AttrValue& value);
  /// Validates (read-only, range; then validate_attribute()) and stores; calls attribute_changed().
  virtual status_t set_attribute(attr_id_t id, const AttrValue& value);

  // ---- helpers for subclasses and the backend ----
  const ResourceName& name() const noexcept { return name_; }
  const std::string& canonical_name() const noexcept { return canonical_; }
  InterfaceType interface_type() const noexcept { return name_.interface_type; }
  const std::string& resource_class() const noexcept { return name_.resource_class; }
  session_t handle() const noexcept { return handle_; }
  session_t rm() const noexcept { return rm_; }
  SessionEvents& events() noexcept { return events_; }
  ResourceState& resource() noexcept { return *resource_; }

  std::uint32_t timeout_ms() const;          ///< VI_ATTR_TMO_VALUE
  ReadTermination read_termination() const;  ///< TERMCHAR, TERMCHAR_EN, SUPPRESS_END_EN
  bool send_end() const;                     ///< VI_ATTR_SEND_END_EN
  std::int64_t integer_attribute(attr_id_t id, std::int64_t fallback = 0) const;
  /// A string attribute's value ("" when it is unset or not a string).
  std::string string_attribute(attr_id_t id) const;

  /// Raises an event from this session (e.g. a service request); delivered per the enabled mechanisms.
  void raise_event(std::shared_ptr<Event> event);

  /// Serialises operations on this session (SessionBackend takes it around each operation).
  std::mutex& io_mutex() noexcept { return io_mutex_; }
  /// viLock/viUnlock of this session run one at a time (a lock count change and its device lock
  /// are one step): enter_lock_call() waits for the one in progress until `deadline` (false when
  /// it was still running then); leave_lock_call() lets the next one in. (A flag and a condition
  /// variable rather than std::timed_mutex, whose timed lock ThreadSanitizer does not follow.)
  bool enter_lock_call(Deadline deadline);
  void leave_lock_call();
  /// Whether viClose has begun on this session (set before it wakes the session's waiters).
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
  /// Set when viClose begins; what a waiter of this session (a lock wait) watches.
  const std::atomic<bool>& closed_flag() const noexcept { return closed_; }

 protected:
  /// Declares (or overrides) an attribute value, bypassing validation: for fixed values such as
  /// VI_ATTR_TCPIP_PORT or VI_ATTR_MANF_NAME, and for read-only values a session updates itself.
  void define(attr_id_t id, AttrValue value);
  /// Session-specific validation of a value that passed the table's checks (enumerations,
  /// protocol limits); return VI_ERROR_NSUP_ATTR_STATE to refuse.
  virtual status_t validate_attribute(attr_id_t id, const AttrValue& value);
  /// Called after a value was stored (e.g. to apply TCP_NODELAY).
  virtual void attribute_changed(attr_id_t id, const AttrValue& value);
  /// Computed attributes (values that are not stored); return ERROR_NSUP_ATTR to fall through.
  virtual status_t computed_attribute(attr_id_t id, AttrValue& value);

 private:
  friend class SessionBackend;
  bool supports_attribute(const AttrInfo& info) const;
  ResourceName name_;
  std::string canonical_;
  session_t handle_ = 0;
  session_t rm_ = 0;
  std::shared_ptr<ResourceState> resource_;
  SessionBackend* backend_ = nullptr;
  SessionEvents events_;
  mutable std::mutex attr_mutex_;
  std::map<attr_id_t, AttrValue> local_;     // LOCAL attributes and define()d ones
  std::set<attr_id_t> defined_;              // ids that define() declared
  std::mutex io_mutex_;
  std::mutex lock_call_mutex_;
  std::condition_variable lock_call_done_;
  bool lock_call_busy_ = false;
  std::atomic<bool> closed_{false};
};

}  // namespace cppvisa::core
