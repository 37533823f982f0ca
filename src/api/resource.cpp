#include <cppvisa/resource.hpp>

#include "api/session_link.hpp"
#include "core/work_pool.hpp"

#include <cppvisa/status.hpp>

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <map>
#include <mutex>

namespace cppvisa {

// ---- C++ event handlers: the C-style handler gets a key, looked up in a process-wide table, so
// that a call racing with uninstall finds nothing instead of a freed object. ----
struct Resource::HandlerSlot {
  event_type_t type;
  std::uintptr_t key;
};

namespace {

struct HandlerEntry {
  Backend* backend;  // not owning: a handler must not keep (and so destroy) the backend on its thread
  EventCallback callback;
};

std::mutex g_handlers_mutex;
std::map<std::uintptr_t, std::shared_ptr<HandlerEntry>> g_handlers;
std::uintptr_t g_next_handler_key = 1;

std::map<attr_id_t, AttrValue> read_event_attributes(Backend& backend, session_t context) {
  std::map<attr_id_t, AttrValue> out;
  std::size_t n = 0;
  const AttrInfo* rows = attribute_table(n);
  for (std::size_t i = 0; i < n; ++i) {
    const AttrInfo& a = rows[i];
    if (a.classes.substr(0, 3) != "ev:" && a.id != attr::EVENT_TYPE) continue;
    AttrValue v;
    if (backend.get_attribute(context, a.id, v) >= 0) out.emplace(a.id, std::move(v));
  }
  return out;
}

status_t handler_trampoline(session_t, event_type_t type, session_t context, void* user) {
  std::shared_ptr<HandlerEntry> entry;
  {
    std::lock_guard guard(g_handlers_mutex);
    auto it = g_handlers.find(reinterpret_cast<std::uintptr_t>(user));
    if (it == g_handlers.end()) return status::SUCCESS;
    entry = it->second;
  }
  // The context is valid only during this call: read its attributes now.
  entry->callback(type, read_event_attributes(*entry->backend, context));
  return status::SUCCESS;
}

}  // namespace

std::uint32_t timeout_from_ms(double ms) {
  if (std::isnan(ms)) throw Error("timeout value is invalid");
  if (std::isinf(ms)) return tmo_infinite;
  if (ms < 1) return tmo_immediate;
  if (ms > 4294967294.0) throw Error("timeout value is invalid");
  return static_cast<std::uint32_t>(ms);
}

Resource::Resource(ResourceManager&, std::shared_ptr<detail::SessionLink> link, std::string name)
    : backend_(link->backend), link_(std::move(link)), name_(std::move(name)) {}

Resource::~Resource() { close(); }

session_t Resource::session() const {
  if (!link_ || !link_->open) throw InvalidSession();
  return link_->session;
}

bool Resource::is_open() const noexcept { return link_ && link_->open; }

void Resource::close() noexcept {
  if (!link_) return;
  {
    std::lock_guard handlers(handlers_mutex_);
    std::lock_guard guard(g_handlers_mutex);
    for (auto& [id, slot] : handlers_) g_handlers.erase(slot->key);
    handlers_.clear();
  }
  // Asynchronous calls not yet started fail (VI_ERROR_ABORT); a running one is woken below.
  for (auto& job : core::WorkPool::shared().take_all(link_->session)) job(true);
  // Not under the call lock: closing wakes the calls in progress on other threads (the backend
  // aborts their operation and they return VI_ERROR_INV_OBJECT), which then release it.
  if (link_->open.exchange(false)) {
    try {
      backend_->close(link_->session);
    } catch (...) {
    }
  }
  // A call waiting for its answer in the reactor ends now (VI_ERROR_INV_OBJECT), then has returned.
  core::WorkPool::shared().interrupt_key(link_->session);
  core::WorkPool::shared().wait_idle(link_->session);
  if (auto reg = link_->registry.lock()) {
    std::lock_guard guard(reg->mutex);
    reg->resources.erase(this);
  }
}

std::unique_lock<std::recursive_mutex> Resource::serialise() const {
  std::unique_lock lock(call_mutex_);
  // Reserved only by an asynchronous call that released the lock (never by a holder of it), so
  // this thread holds the lock once here and the wait releases it entirely.
  call_free_.wait(lock, [this] { return !call_reserved_; });
  return lock;
}

void Resource::reserve_call() const { call_reserved_ = true; }  // the caller holds call_mutex_

void Resource::end_reserve() const {
  {
    std::lock_guard lock(call_mutex_);
    call_reserved_ = false;
  }
  call_free_.notify_all();
}

void Resource::post_async(std::function<void(bool cancelled)> job) {
  core::WorkPool::shared().post(session(), std::move(job));
}

status_t Resource::check(status_t st) const {
  last_status_ = st;
  if (st < 0) throw VisaIOError(st, fmt::format("(resource {})", name_));
  return st;
}

status_t Resource::check(status_t st, std::error_code& ec) const {
  last_status_ = st;
  ec = make_error_code(st);
  return st;
}

ResourceInfo Resource::resource_info() const {
  ResourceInfo info;
  // The RM session is not needed by SessionBackend-based backends for parsing; use ours.
  check(backend_->parse_resource(link_->session, name_, info));
  return info;
}

std::string Resource::to_string() const { return fmt::format("{} at {}", class_name(), name_); }

// ---- attributes ----

AttrValue Resource::get_visa_attribute(attr_id_t id) const {
  AttrValue v;
  check(backend_->get_attribute(session(), id, v));
  return v;
}

AttrValue Resource::get_visa_attribute(attr_id_t id, std::error_code& ec) const {
  AttrValue v;
  if (!is_open()) {
    ec = make_error_code(status::ERROR_INV_OBJECT);
    return v;
  }
  check(backend_->get_attribute(link_->session, id, v), ec);
  return v;
}

void Resource::set_visa_attribute(attr_id_t id, const AttrValue& value) {
  auto serial = serialise();
  check(backend_->set_attribute(session(), id, value));
}

void Resource::set_visa_attribute(attr_id_t id, const AttrValue& value, std::error_code& ec) {
  if (!is_open()) {
    ec = make_error_code(status::ERROR_INV_OBJECT);
    return;
  }
  auto serial = serialise();
  check(backend_->set_attribute(link_->session, id, value), ec);
}

std::int64_t Resource::get_int_attribute(attr_id_t id) const {
  AttrValue v = get_visa_attribute(id);
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  throw Error(fmt::format("attribute 0x{:08X} is not an integer", id));
}

std::string Resource::get_string_attribute(attr_id_t id) const {
  AttrValue v = get_visa_attribute(id);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  throw Error(fmt::format("attribute 0x{:08X} is not a string", id));
}

InterfaceType Resource::interface_type() const { return static_cast<InterfaceType>(get_int_attribute(attr::INTF_TYPE)); }
std::uint16_t Resource::interface_number() const { return static_cast<std::uint16_t>(get_int_attribute(attr::INTF_NUM)); }
std::string Resource::resource_class() const { return get_string_attribute(attr::RSRC_CLASS); }
std::uint32_t Resource::implementation_version() const {
  return static_cast<std::uint32_t>(get_int_attribute(attr::RSRC_IMPL_VERSION));
}
AccessMode Resource::lock_state() const { return static_cast<AccessMode>(get_int_attribute(attr::RSRC_LOCK_STATE)); }
std::uint32_t Resource::spec_version() const { return static_cast<std::uint32_t>(get_int_attribute(attr::RSRC_SPEC_VERSION)); }
std::string Resource::resource_manufacturer_name() const { return get_string_attribute(attr::RSRC_MANF_NAME); }
std::uint32_t Resource::timeout() const { return static_cast<std::uint32_t>(get_int_attribute(attr::TMO_VALUE)); }
void Resource::set_timeout(std::uint32_t ms) { set_visa_attribute(attr::TMO_VALUE, static_cast<std::int64_t>(ms)); }
void Resource::set_timeout_ms(double ms) { set_timeout(timeout_from_ms(ms)); }

// ---- properties ----

namespace property {

std::int64_t to_int(const PropertyValue& v, std::string_view name) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  if (auto* d = std::get_if<double>(&v); d && std::isfinite(*d) && std::floor(*d) == *d) return static_cast<std::int64_t>(*d);
  throw Error(fmt::format("{} takes an integer", name));
}

double to_double(const PropertyValue& v, std::string_view name) {
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  throw Error(fmt::format("{} takes a number", name));
}

bool to_bool(const PropertyValue& v, std::string_view name) {
  if (auto* b = std::get_if<bool>(&v)) return *b;
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i != 0;
  throw Error(fmt::format("{} takes a boolean", name));
}

std::string to_string(const PropertyValue& v, std::string_view name) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  throw Error(fmt::format("{} takes a string", name));
}

}  // namespace property

const Resource::Property* Resource::find_property(std::string_view name) const {
  static const std::map<std::string, Property, std::less<>> table = {
      {"timeout",
       {[](const Resource& r) -> PropertyValue {
          auto t = r.timeout();
          return t == tmo_infinite ? PropertyValue(std::numeric_limits<double>::infinity())
                                   : PropertyValue(static_cast<std::int64_t>(t));
        },
        [](Resource& r, const PropertyValue& v) { r.set_timeout_ms(property::to_double(v, "timeout")); }}},
      {"interface_type",
       {[](const Resource& r) -> PropertyValue { return static_cast<std::int64_t>(r.interface_type()); }, {}}},
      {"interface_number",
       {[](const Resource& r) -> PropertyValue { return static_cast<std::int64_t>(r.interface_number()); }, {}}},
      {"resource_class", {[](const Resource& r) -> PropertyValue { return r.resource_class(); }, {}}},
      {"resource_name", {[](const Resource& r) -> PropertyValue { return r.get_string_attribute(attr::RSRC_NAME); }, {}}},
      {"implementation_version",
       {[](const Resource& r) -> PropertyValue { return static_cast<std::int64_t>(r.implementation_version()); }, {}}},
      {"lock_state", {[](const Resource& r) -> PropertyValue { return static_cast<std::int64_t>(r.lock_state()); }, {}}},
      {"spec_version",
       {[](const Resource& r) -> PropertyValue { return static_cast<std::int64_t>(r.spec_version()); }, {}}},
      {"resource_manufacturer_name",
       {[](const Resource& r) -> PropertyValue { return r.resource_manufacturer_name(); }, {}}},
  };
  auto it = table.find(name);
  return it == table.end() ? nullptr : &it->second;
}

void Resource::collect_property_names(std::vector<std::string>& out) const {
  for (const char* n : {"timeout", "interface_type", "interface_number", "resource_class", "resource_name",
                        "implementation_version", "lock_state", "spec_version", "resource_manufacturer_name"})
    out.emplace_back(n);
}

bool Resource::has_property(std::string_view name) const { return find_property(name) != nullptr; }

std::vector<std::string> Resource::property_names() const {
  std::vector<std::string> out;
  collect_property_names(out);
  return out;
}

void Resource::set_property(std::string_view name, const PropertyValue& value) {
  const Property* p = find_property(name);
  if (!p) throw Error(fmt::format("'{}' is not a valid attribute for type {}", name, class_name()));
  if (!p->set) throw Error(fmt::format("'{}' is read-only", name));
  p->set(*this, value);
}

PropertyValue Resource::get_property(std::string_view name) const {
  const Property* p = find_property(name);
  if (!p) throw Error(fmt::format("'{}' is not a valid attribute for type {}", name, class_name()));
  return p->get(*this);
}

// ---- operations ----

void Resource::clear() {
  auto serial = serialise();
  check(backend_->clear(session()));
}
void Resource::clear(std::error_code& ec) {
  if (!is_open()) return (void)(ec = make_error_code(status::ERROR_INV_OBJECT));
  auto serial = serialise();
  check(backend_->clear(link_->session), ec);
}

std::string Resource::lock(std::optional<std::uint32_t> timeout, std::string_view requested_key,
                           std::error_code& ec) {
  std::string key;
  if (!is_open()) {
    ec = make_error_code(status::ERROR_INV_OBJECT);
    return key;
  }
  std::uint32_t t = timeout ? *timeout : this->timeout();
  check(backend_->lock(link_->session, AccessMode::shared_lock, t, requested_key, key), ec);
  return key;
}

std::string Resource::lock(std::optional<std::uint32_t> timeout, std::string_view requested_key) {
  std::string key;
  std::uint32_t t = timeout ? *timeout : this->timeout();
  check(backend_->lock(session(), AccessMode::shared_lock, t, requested_key, key));
  return key;
}

void Resource::lock_excl(std::optional<std::uint32_t> timeout) {
  std::string key;
  std::uint32_t t = timeout ? *timeout : this->timeout();
  check(backend_->lock(session(), AccessMode::exclusive_lock, t, {}, key));
}

void Resource::lock_excl(std::optional<std::uint32_t> timeout, std::error_code& ec) {
  std::string key;
  if (!is_open()) return (void)(ec = make_error_code(status::ERROR_INV_OBJECT));
  std::uint32_t t = timeout ? *timeout : this->timeout();
  check(backend_->lock(link_->session, AccessMode::exclusive_lock, t, {}, key), ec);
}

// unlock waits for a call in progress on this object (a query of another thread): letting go of
// a lock between a query's write and its read could leave the reply to a device that the other
// sharers now keep this session out of.
void Resource::unlock() {
  auto serial = serialise();
  check(backend_->unlock(session()));
}
void Resource::unlock(std::error_code& ec) {
  if (!is_open()) return (void)(ec = make_error_code(status::ERROR_INV_OBJECT));
  auto serial = serialise();
  check(backend_->unlock(link_->session), ec);
}

Resource::ScopedLock::~ScopedLock() {
  if (!resource_) return;
  std::error_code ec;
  resource_->unlock(ec);
}

Resource::ScopedLock Resource::lock_context(std::optional<std::uint32_t> timeout, bool shared,
                                            std::string_view shared_key) {
  if (!shared && shared_key.empty()) {
    lock_excl(timeout);
    return ScopedLock(*this, {});
  }
  return ScopedLock(*this, lock(timeout, shared_key));
}

// ---- events ----

void Resource::enable_event(event_type_t type, EventMechanism mechanism) {
  check(backend_->enable_event(session(), type, static_cast<std::uint16_t>(mechanism)));
}

void Resource::disable_event(event_type_t type, EventMechanism mechanism) {
  check(backend_->disable_event(session(), type, static_cast<std::uint16_t>(mechanism)));
}

void Resource::discard_events(event_type_t type, EventMechanism mechanism) {
  check(backend_->discard_events(session(), type, static_cast<std::uint16_t>(mechanism)));
}

WaitResponse Resource::wait_on_event(event_type_t type, std::uint32_t timeout_ms, bool capture_timeout) {
  WaitResponse out;
  session_t context = 0;
  status_t st = backend_->wait_on_event(session(), type, timeout_ms, out.event_type, context, true);
  out.status = st;
  last_status_.store(st, std::memory_order_relaxed);
  if (st == status::ERROR_TMO && capture_timeout) {
    out.event_type = type;
    out.timed_out = true;
    return out;
  }
  check(st);
  if (context) {
    out.attributes = read_event_attributes(*backend_, context);
    backend_->close(context);
  }
  return out;
}

int Resource::install_handler(event_type_t type, EventCallback callback) {
  auto entry = std::make_shared<HandlerEntry>(HandlerEntry{backend_.get(), std::move(callback)});
  auto slot = std::make_unique<HandlerSlot>();
  slot->type = type;
  {
    std::lock_guard guard(g_handlers_mutex);
    slot->key = g_next_handler_key++;
    g_handlers.emplace(slot->key, std::move(entry));
  }
  status_t st = backend_->install_handler(session(), type, &handler_trampoline, reinterpret_cast<void*>(slot->key));
  if (st < 0) {
    std::lock_guard guard(g_handlers_mutex);
    g_handlers.erase(slot->key);
  }
  check(st);
  std::lock_guard handlers(handlers_mutex_);
  int id = next_handler_id_++;
  handlers_.emplace(id, std::move(slot));
  return id;
}

void Resource::uninstall_handler(int id) {
  std::unique_ptr<HandlerSlot> slot;
  {
    std::lock_guard handlers(handlers_mutex_);
    auto it = handlers_.find(id);
    if (it == handlers_.end()) throw Error("UnknownHandler: no handler with that id is installed");
    slot = std::move(it->second);
    handlers_.erase(it);
  }
  {
    std::lock_guard guard(g_handlers_mutex);
    g_handlers.erase(slot->key);
  }
  // The backend's uninstall returns once a call of the handler in progress has returned (not
  // under handlers_mutex_: the handler may call install_handler() itself).
  std::error_code ec;
  if (is_open())
    check(backend_->uninstall_handler(link_->session, slot->type, &handler_trampoline,
                                      reinterpret_cast<void*>(slot->key)),
          ec);
}

}  // namespace cppvisa
