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

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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
/// `timeout_from_ms(double)` applies PyVISA's rules (inf -> infinite, < 1 -> immediate).
CPPVISA_API std::uint32_t timeout_from_ms(double ms);

/// The result of wait_on_event (PyVISA's WaitResponse).
struct WaitResponse {
  event_type_t event_type = 0;
  status_t status = 0;
  bool timed_out = false;
  /// The event's attributes (VI_ATTR_EVENT_TYPE, VI_ATTR_STATUS, ...), read before the context closed.
  std::map<attr_id_t, AttrValue> attributes;
};

/// A C++ event handler: called on a library thread with the resource's session, the event type and
/// the event's attributes.
using EventCallback = std::function<void(event_type_t type, const std::map<attr_id_t, AttrValue>& attributes)>;

class ResourceManager;

/// The base of all resources. Not copyable; closing is idempotent; the destructor closes.
/// Thread safety: operations on one resource may be called from several threads; the backend
/// serialises I/O per session.
class CPPVISA_API Resource {
 public:
  virtual ~Resource();
  Resource(const Resource&) = delete;
  Resource& operator=(const Resource&) = delete;

  /// The canonical resource name ("TCPIP0::1.2.3.4::inst0::INSTR"), or the name as given when it is an alias.
  const std::string& resource_name() const noexcept { return name_; }
  /// The session handle. @throws InvalidSession when closed.
  session_t session() const;
  bool is_open() const noexcept;
  /// The backend this resource belongs to.
  const std::shared_ptr<Backend>& backend() const noexcept { return backend_; }
  /// The status of the last operation (including warnings such as VI_SUCCESS_MAX_CNT).
  status_t last_status() const noexcept { return last_status_; }
  /// Parsed information about the resource (through the backend, with alias).
  ResourceInfo resource_info() const;
  /// "<ClassName> at <name>" as PyVISA prints resources.
  std::string to_string() const;
  /// The class name ("MessageBasedResource", "TCPIPInstrument", ...).
  virtual std::string_view class_name() const noexcept { return "Resource"; }

  /// Closes the session (disables events, releases locks). Safe to call twice.
  void close() noexcept;

  // ---- raw attributes ----
  AttrValue get_visa_attribute(attr_id_t id) const;
  AttrValue get_visa_attribute(attr_id_t id, std::error_code& ec) const;
  void set_visa_attribute(attr_id_t id, const AttrValue& value);
  void set_visa_attribute(attr_id_t id, const AttrValue& value, std::error_code& ec);
  std::int64_t get_int_attribute(attr_id_t id) const;
  std::string get_string_attribute(attr_id_t id) const;

  // ---- properties by name (PyVISA's attribute names; used by open_resource options and shells) ----
  /// Sets a property by its PyVISA name. @throws Error for an unknown name or a bad value, VisaIOError.
  void set_property(std::string_view name, const PropertyValue& value);
  PropertyValue get_property(std::string_view name) const;
  bool has_property(std::string_view name) const;
  /// Names of every property of this resource's class.
  std::vector<std::string> property_names() const;

  /// A property table entry (derived classes add theirs).
  struct Property {
    std::function<PropertyValue(const Resource&)> get;
    std::function<void(Resource&, const PropertyValue&)> set;  ///< empty: read-only
  };

  // ---- common properties ----
  InterfaceType interface_type() const;
  std::uint16_t interface_number() const;
  std::string resource_class() const;
  std::uint32_t implementation_version() const;
  AccessMode lock_state() const;
  std::uint32_t spec_version() const;
  std::string resource_manufacturer_name() const;
  /// VI_ATTR_TMO_VALUE in ms; tmo_infinite when there is no limit.
  std::uint32_t timeout() const;
  void set_timeout(std::uint32_t ms);
  /// PyVISA's rules: infinity -> no limit, below 1 -> immediate, otherwise truncated.
  void set_timeout_ms(double ms);

  // ---- operations ----
  void clear();
  void clear(std::error_code& ec);

  /// Shared lock; returns the access key. `timeout` defaults to the resource's timeout.
  std::string lock(std::optional<std::uint32_t> timeout = {}, std::string_view requested_key = {});
  std::string lock(std::optional<std::uint32_t> timeout, std::string_view requested_key, std::error_code& ec);
  /// Exclusive lock.
  void lock_excl(std::optional<std::uint32_t> timeout = {});
  void lock_excl(std::optional<std::uint32_t> timeout, std::error_code& ec);
  void unlock();
  void unlock(std::error_code& ec);

  /// RAII lock (PyVISA's lock_context): exclusive by default, or shared with a key.
  class CPPVISA_API ScopedLock {
   public:
    ScopedLock(ScopedLock&& other) noexcept : resource_(other.resource_), key_(std::move(other.key_)) {
      other.resource_ = nullptr;
    }
    ScopedLock& operator=(ScopedLock&&) = delete;
    ~ScopedLock();
    const std::string& key() const noexcept { return key_; }

   private:
    friend class Resource;
    ScopedLock(Resource& r, std::string key) : resource_(&r), key_(std::move(key)) {}
    Resource* resource_;
    std::string key_;
  };
  /// Exclusive when `shared_key` is empty and `shared` false; shared otherwise.
  ScopedLock lock_context(std::optional<std::uint32_t> timeout = {}, bool shared = false,
                          std::string_view shared_key = {});

  // ---- events ----
  void enable_event(event_type_t type, EventMechanism mechanism);
  void disable_event(event_type_t type, EventMechanism mechanism);
  void discard_events(event_type_t type, EventMechanism mechanism);
  /// Waits for a queued event. With capture_timeout a timeout gives timed_out = true instead of throwing.
  WaitResponse wait_on_event(event_type_t type, std::uint32_t timeout_ms, bool capture_timeout = false);
  /// Installs a handler; returns an id for uninstall_handler. Enable the handler mechanism to receive events.
  int install_handler(event_type_t type, EventCallback callback);
  void uninstall_handler(int id);

 protected:
  Resource(ResourceManager& rm, std::shared_ptr<detail::SessionLink> link, std::string name);
  /// Records and checks a status: throws VisaIOError for errors (with the resource name).
  status_t check(status_t st) const;
  /// Records a status and stores an error in ec (never throws for VISA errors).
  status_t check(status_t st, std::error_code& ec) const;

  virtual const Property* find_property(std::string_view name) const;
  virtual void collect_property_names(std::vector<std::string>& out) const;

  std::shared_ptr<Backend> backend_;
  std::shared_ptr<detail::SessionLink> link_;
  std::string name_;
  mutable status_t last_status_ = 0;

 private:
  friend class ResourceManager;
  struct HandlerSlot;
  std::map<int, std::unique_ptr<HandlerSlot>> handlers_;
  int next_handler_id_ = 1;
};

/// Helpers for reading PropertyValue arguments (conversions with clear errors).
namespace property {
CPPVISA_API std::int64_t to_int(const PropertyValue& v, std::string_view name);
CPPVISA_API double to_double(const PropertyValue& v, std::string_view name);
CPPVISA_API bool to_bool(const PropertyValue& v, std::string_view name);
CPPVISA_API std::string to_string(const PropertyValue& v, std::string_view name);
}  // namespace property

}  // namespace cppvisa
