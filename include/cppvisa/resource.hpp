/// @file resource.hpp
/// @brief Resource, the base of every opened resource (PyVISA's `Resource`): attributes, locks,
/// events, clear. Message-based resources are in message_based.hpp, typed classes in resources.hpp.
#pragma once

#include <cppvisa/attributes.hpp>
#include <cppvisa/backend.hpp>
#include <cppvisa/error.hpp>
#include <cppvisa/export.hpp>
#include <cppvisa/resource_info.hpp>
#include <cppvisa/types.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

namespace cppvisa {

namespace detail {
struct SessionLink;
}

/// A value given to or read from a property by name (`set_property("timeout", 1000)`), as
/// PyVISA's keyword arguments of open_resource.
using PropertyValue = std::variant<bool, std::int64_t, double, std::string>;

/// A timeout in milliseconds as PyVISA's `timeout` property takes it: tmo_infinite for no limit.
/// `timeout_from_ms(double)` applies PyVISA's rules (inf -> infinite, < 1 -> immediate, otherwise
/// truncated to whole ms). @throws Error for NaN or a value above 4294967294 ms.
CPPVISA_API std::uint32_t timeout_from_ms(double ms);

/// The result of wait_on_event (PyVISA's WaitResponse).
struct WaitResponse {
  event_type_t event_type = 0;  ///< the event type received (the requested type when timed out)
  status_t status = 0;  ///< the status of viWaitOnEvent (VI_ERROR_TMO when timed out)
  bool timed_out = false;  ///< true when the wait timed out and capture_timeout was set
  /// The event's attributes (VI_ATTR_EVENT_TYPE, VI_ATTR_STATUS, ...), read before the context closed.
  std::map<attr_id_t, AttrValue> attributes;
};

/// A C++ event handler: called on a library thread with the resource's session, the event type and
/// the event's attributes.
using EventCallback = std::function<void(event_type_t type, const std::map<attr_id_t, AttrValue>& attributes)>;

class ResourceManager;

/// The base of all resources. Not copyable; closing is idempotent; the destructor closes.
///
/// Thread safety (what may run concurrently with what, on one Resource object):
/// - Every member except the destructor may be called from several threads at once. Each call is
///   atomic with respect to the other calls on this object that change or use the session's
///   state: operations (clear(), and in MessageBasedResource write/read/query and the value forms,
///   a query's write and read together) and setters (set_visa_attribute(), set_timeout(),
///   set_property(), the settings of derived classes) run one at a time, in the order they obtain
///   the object's call lock; a reply goes to the thread whose query asked for it.
/// - Getters of VISA attributes, lock(), wait_on_event(), the event enabling calls and
///   handler (un)installation do not wait for an operation in progress on another thread (the
///   backend keeps them atomic on their own), so a thread may watch a resource that another one
///   is reading from. unlock() waits for it (see unlock()). Locks are counted per session, not
///   per thread, and the lock calls of one session run one at a time.
/// - Asynchronous calls (MessageBasedResource::query_async() ...) run on a small fixed pool of
///   library threads shared by all resources, in order per resource; close() fails the ones not
///   yet started (VI_ERROR_ABORT in their future) and returns after the running one returned.
/// - close() may be called from any thread while other calls run, and does not wait for them to
///   finish their own work first: the backend aborts the operation in progress (where the session
///   can abort a transfer; otherwise close waits for it, within its timeout) and wakes every thread
///   waiting on the session: wait_on_event(), a lock() waiting for the resource, and calls waiting
///   for the operation in progress, which all fail with VI_ERROR_INV_OBJECT (InvalidSession or
///   VisaIOError). Calls made after close() throw InvalidSession.
/// - The destructor must not run while another thread still uses the object.
/// - last_status() is the status recorded by the call that finished last, from any thread: with
///   several threads, use each call's own result (the `std::error_code&` forms) instead.
/// - Event handlers run on a library thread, never while a lock of the library is held; a handler
///   may call any member of any Resource (including this one, which waits for the operation in
///   progress on another thread as any other call does).
///
/// Errors: each operation comes in a throwing form (InvalidSession when closed, VisaIOError for
/// a negative status) and, where listed, a `std::error_code&` form. Attribute accessors throw as
/// get_visa_attribute() / set_visa_attribute().
class CPPVISA_API Resource {
 public:
  virtual ~Resource();
  Resource(const Resource&) = delete;
  Resource& operator=(const Resource&) = delete;

  /// The canonical resource name ("TCPIP0::1.2.3.4::inst0::INSTR"), or the name as given when it is an alias.
  const std::string& resource_name() const noexcept { return name_; }
  /// The session handle. @throws InvalidSession when closed.
  session_t session() const;
  bool is_open() const noexcept;  ///< whether the session is open (false after close() or after the manager closed)
  /// The backend this resource belongs to.
  const std::shared_ptr<Backend>& backend() const noexcept { return backend_; }
  /// The status of the last operation (including warnings such as VI_SUCCESS_MAX_CNT).
  status_t last_status() const noexcept { return last_status_.load(std::memory_order_relaxed); }
  /// Parsed information about the resource (through the backend, with alias).
  /// @throws VisaIOError (VI_ERROR_INV_RSRC_NAME).
  ResourceInfo resource_info() const;
  /// "<ClassName> at <name>" as PyVISA prints resources.
  std::string to_string() const;
  /// The class name ("MessageBasedResource", "TCPIPInstrument", ...).
  virtual std::string_view class_name() const noexcept { return "Resource"; }

  /// Closes the session (viClose: the backend disables events and releases its locks) and
  /// unregisters the C++ handlers. Safe to call twice; errors are ignored.
  void close() noexcept;

  // ---- raw attributes ----
  /// Reads VISA attribute `id` (VI_ATTR_*). @throws InvalidSession when closed; VisaIOError (e.g.
  /// VI_ERROR_NSUP_ATTR for an attribute this resource does not have).
  AttrValue get_visa_attribute(attr_id_t id) const;
  /// Non-throwing get_visa_attribute(): the error goes to `ec` (VI_ERROR_INV_OBJECT when closed).
  AttrValue get_visa_attribute(attr_id_t id, std::error_code& ec) const;
  /// Writes VISA attribute `id`. @throws InvalidSession when closed; VisaIOError (VI_ERROR_NSUP_ATTR,
  /// VI_ERROR_ATTR_READONLY, VI_ERROR_NSUP_ATTR_STATE for a value out of range, ...).
  void set_visa_attribute(attr_id_t id, const AttrValue& value);
  /// Non-throwing set_visa_attribute(): the error goes to `ec` (VI_ERROR_INV_OBJECT when closed).
  void set_visa_attribute(attr_id_t id, const AttrValue& value, std::error_code& ec);
  /// An integer attribute. @throws as get_visa_attribute(); Error when the attribute is not an integer.
  std::int64_t get_int_attribute(attr_id_t id) const;
  /// A string attribute. @throws as get_visa_attribute(); Error when the attribute is not a string.
  std::string get_string_attribute(attr_id_t id) const;

  // ---- properties by name (PyVISA's attribute names; used by open_resource options and shells) ----
  /// Sets a property by its PyVISA name. @throws Error for an unknown name or a bad value, VisaIOError.
  void set_property(std::string_view name, const PropertyValue& value);
  /// Reads a property by its PyVISA name. @throws Error for an unknown name; VisaIOError.
  PropertyValue get_property(std::string_view name) const;
  bool has_property(std::string_view name) const;  ///< whether this resource's class has a property `name`
  /// Names of every property of this resource's class.
  std::vector<std::string> property_names() const;

  /// A property table entry (derived classes add theirs).
  struct Property {
    std::function<PropertyValue(const Resource&)> get;  ///< reads the property
    std::function<void(Resource&, const PropertyValue&)> set;  ///< empty: read-only
  };

  // ---- common properties: each reads or writes its attribute and throws as get/set_visa_attribute() ----
  /// VI_ATTR_INTF_TYPE: the interface (gpib, tcpip, asrl, usb, ...).
  InterfaceType interface_type() const;
  std::uint16_t interface_number() const;  ///< VI_ATTR_INTF_NUM: the board number (the 0 of "GPIB0")
  std::string resource_class() const;  ///< VI_ATTR_RSRC_CLASS: "INSTR", "SOCKET", "INTFC", ...
  std::uint32_t implementation_version() const;  ///< VI_ATTR_RSRC_IMPL_VERSION
  AccessMode lock_state() const;  ///< VI_ATTR_RSRC_LOCK_STATE: no_lock, exclusive_lock or shared_lock
  std::uint32_t spec_version() const;  ///< VI_ATTR_RSRC_SPEC_VERSION (major in bits 31-20, minor 19-8, sub-minor 7-0)
  std::string resource_manufacturer_name() const;  ///< VI_ATTR_RSRC_MANF_NAME
  /// VI_ATTR_TMO_VALUE in ms (bounds each I/O operation); tmo_infinite when there is no limit.
  std::uint32_t timeout() const;
  /// Sets VI_ATTR_TMO_VALUE to `ms` milliseconds (tmo_immediate, tmo_infinite allowed).
  /// @throws as set_visa_attribute().
  void set_timeout(std::uint32_t ms);
  /// Sets the timeout from `ms` milliseconds with timeout_from_ms()'s rules (infinity -> no limit,
  /// below 1 -> immediate, otherwise truncated). @throws Error as timeout_from_ms(); as set_timeout().
  void set_timeout_ms(double ms);

  // ---- operations ----
  /// viClear: device clear. @throws InvalidSession when closed; VisaIOError (VI_ERROR_TMO, VI_ERROR_NSUP_OPER, ...).
  void clear();
  /// Non-throwing clear(): the error goes to `ec` (VI_ERROR_INV_OBJECT when closed).
  void clear(std::error_code& ec);

  /// viLock with a shared lock; returns the access key (`requested_key`, or a generated one when
  /// empty). `timeout` (ms) bounds the wait for the lock; it defaults to timeout().
  /// @throws InvalidSession when closed; VisaIOError (VI_ERROR_TMO when the lock was not granted
  /// in time, VI_ERROR_RSRC_LOCKED at once with tmo_immediate).
  std::string lock(std::optional<std::uint32_t> timeout = {}, std::string_view requested_key = {});
  /// Non-throwing lock(): the error goes to `ec` (VI_ERROR_INV_OBJECT when closed); returns "" on error.
  std::string lock(std::optional<std::uint32_t> timeout, std::string_view requested_key, std::error_code& ec);
  /// viLock with an exclusive lock; `timeout` (ms) as for lock(). @throws as lock().
  void lock_excl(std::optional<std::uint32_t> timeout = {});
  /// Non-throwing lock_excl(): the error goes to `ec` (VI_ERROR_INV_OBJECT when closed).
  void lock_excl(std::optional<std::uint32_t> timeout, std::error_code& ec);
  /// viUnlock: releases one level of this session's lock (exclusive first), at the instrument too
  /// when that kind's count reaches 0. Waits for a call in progress on this object (a query of
  /// another thread), so that no answer is left behind another client's lock.
  /// @throws InvalidSession when closed; VisaIOError (VI_ERROR_SESN_NLOCKED when the session
  /// holds no lock).
  void unlock();
  /// Non-throwing unlock(): the error goes to `ec` (VI_ERROR_INV_OBJECT when closed).
  void unlock(std::error_code& ec);

  /// RAII lock (PyVISA's lock_context): exclusive by default, or shared with a key.
  class CPPVISA_API ScopedLock {
   public:
    /// Takes over `other`'s lock; `other` no longer unlocks.
    ScopedLock(ScopedLock&& other) noexcept : resource_(other.resource_), key_(std::move(other.key_)) {
      other.resource_ = nullptr;
    }
    ScopedLock& operator=(ScopedLock&&) = delete;
    ~ScopedLock();
    /// The shared lock's access key; empty for an exclusive lock
    const std::string& key() const noexcept { return key_; }

   private:
    friend class Resource;
    ScopedLock(Resource& r, std::string key) : resource_(&r), key_(std::move(key)) {}
    Resource* resource_;
    std::string key_;
  };
  /// Locks and returns the RAII guard, whose destructor unlocks (ignoring errors). Exclusive when
  /// `shared_key` is empty and `shared` false; shared otherwise. @throws as lock().
  ScopedLock lock_context(std::optional<std::uint32_t> timeout = {}, bool shared = false,
                          std::string_view shared_key = {});

  // ---- events ----
  /// viEnableEvent of `type` (an event:: value) for `mechanism` (queue, handler, suspend_handler).
  /// @throws InvalidSession when closed; VisaIOError (VI_ERROR_INV_EVENT for an unknown type, VI_ERROR_INV_MECH, ...).
  void enable_event(event_type_t type, EventMechanism mechanism);
  /// viDisableEvent. @throws InvalidSession when closed; VisaIOError.
  void disable_event(event_type_t type, EventMechanism mechanism);
  /// viDiscardEvents: drops queued (and suspended) occurrences. @throws InvalidSession when closed; VisaIOError.
  void discard_events(event_type_t type, EventMechanism mechanism);
  /// viWaitOnEvent: waits up to `timeout_ms` ms (tmo_infinite: no limit) for a queued event of
  /// `type` (event::all_enabled for any); the queue mechanism must be enabled. With capture_timeout a
  /// timeout gives timed_out = true instead of throwing.
  /// @throws InvalidSession when closed; VisaIOError (VI_ERROR_TMO, VI_ERROR_NENABLED, ...).
  WaitResponse wait_on_event(event_type_t type, std::uint32_t timeout_ms, bool capture_timeout = false);
  /// Installs a handler; returns an id for uninstall_handler. Enable the handler mechanism to receive
  /// events; `callback` runs on a library thread (for event::exception: on the thread whose call
  /// failed, before that call throws). @throws InvalidSession when closed; VisaIOError.
  int install_handler(event_type_t type, EventCallback callback);
  /// Removes the handler `id` from install_handler(). When it returns, the handler is not running
  /// and will not be called again (a call running on another thread has returned first; from the
  /// handler itself, it returns at once and the handler is not called again).
  /// @throws Error for an unknown id.
  void uninstall_handler(int id);

 protected:
  /// Made by ResourceManager::open_resource from an open session `link` and the name as given.
  Resource(ResourceManager& rm, std::shared_ptr<detail::SessionLink> link, std::string name);
  /// Records and checks a status: throws VisaIOError for errors (with the resource name).
  status_t check(status_t st) const;
  /// Records a status and stores an error in ec (never throws for VISA errors).
  status_t check(status_t st, std::error_code& ec) const;

  /// The property named `name` of this class (derived classes look up theirs, then call the base), or null.
  virtual const Property* find_property(std::string_view name) const;
  /// Appends this class's property names to `out` (derived classes append theirs and call the base).
  virtual void collect_property_names(std::vector<std::string>& out) const;

  std::shared_ptr<Backend> backend_;  ///< the backend owning the session
  std::shared_ptr<detail::SessionLink> link_;  ///< the session, shared with the manager (which may close it)
  std::string name_;  ///< the resource name as given to open_resource
  mutable std::atomic<status_t> last_status_{0};  ///< the status recorded by check()

  /// Runs `job` on the library's fixed pool of threads, after this resource's earlier jobs (in
  /// order, one at a time); `job(true)` instead when the resource closes before it started.
  /// close() waits for a running job to return. @throws InvalidSession when closed.
  void post_async(std::function<void(bool cancelled)> job);

  /// Holds the object's call lock (recursive: a call may make others) for the rest of a call that
  /// operates on the session or changes its settings; see the thread-safety notes above. Also
  /// waits while an asynchronous call holds the object between two of its steps (reserve_call()).
  std::unique_lock<std::recursive_mutex> serialise() const;
  /// From the asynchronous call holding the call lock: keeps the object reserved for it after it
  /// releases the lock (while it waits for the instrument without a thread), until end_reserve().
  void reserve_call() const;
  /// Ends reserve_call() (from any thread) and lets waiting calls in.
  void end_reserve() const;

 private:
  friend class ResourceManager;
  struct HandlerSlot;
  mutable std::recursive_mutex call_mutex_;  // see serialise()
  mutable std::condition_variable_any call_free_;  // signalled by end_reserve()
  mutable bool call_reserved_ = false;  // guarded by call_mutex_
  std::mutex handlers_mutex_;                // guards handlers_ and next_handler_id_
  std::map<int, std::unique_ptr<HandlerSlot>> handlers_;
  int next_handler_id_ = 1;
};

/// Helpers for reading PropertyValue arguments (conversions with clear errors).
namespace property {
/// An integer from an int, a bool (0/1) or a whole finite double. @throws Error naming `name` otherwise.
CPPVISA_API std::int64_t to_int(const PropertyValue& v, std::string_view name);
/// A double from a double or an int. @throws Error naming `name` otherwise.
CPPVISA_API double to_double(const PropertyValue& v, std::string_view name);
/// A bool from a bool or an int (non-zero = true). @throws Error naming `name` otherwise.
CPPVISA_API bool to_bool(const PropertyValue& v, std::string_view name);
/// The string held by `v`. @throws Error naming `name` otherwise.
CPPVISA_API std::string to_string(const PropertyValue& v, std::string_view name);
}  // namespace property

}  // namespace cppvisa
