#include "core/session_backend.hpp"

#include "core/error_detail.hpp"
#include "core/handles.hpp"
#include "core/log.hpp"
#include "core/values_detail.hpp"

#include <cppvisa/error.hpp>
#include <cppvisa/resource_query.hpp>
#include <cppvisa/version.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace cppvisa::core {
namespace {

/// How long connecting may take when viOpen's timeout (which is about locks) is shorter.
constexpr std::uint32_t kMinimumConnectMs = 5000;


}  // namespace

SessionBackend::SessionBackend() {
  try {
    aliases_ = AliasTable::load_default();
  } catch (const std::exception&) {
    // A broken alias file must not make the backend unusable; parse_resource reports names as given.
  }
}

SessionBackend::~SessionBackend() {
  std::vector<session_t> rms;
  {
    std::shared_lock guard(table_mutex_);
    for (auto& [h, obj] : objects_)
      if (std::holds_alternative<std::shared_ptr<RmObject>>(obj)) rms.push_back(h);
  }
  for (auto h : rms) close(h);
}

void SessionBackend::set_aliases(AliasTable aliases) { aliases_ = std::move(aliases); }

std::vector<std::string> SessionBackend::debug_info() const {
  return {"Version: " + std::string(version_string) + " (cppvisa " + name() + " backend)",
          "Library: " + library_path()};
}

std::optional<AttrValue> SessionBackend::resource_attribute(session_t, std::string_view canonical_name, attr_id_t id) {
  return attribute_from_name(canonical_name, id);
}

void SessionBackend::resource_manager_closed(session_t) {}

std::shared_ptr<ResourceState> SessionBackend::resource_state(const std::string& canonical_name) {
  std::lock_guard guard(resources_mutex_);
  auto& weak = resources_[canonical_name];
  if (auto state = weak.lock()) return state;
  auto state = std::make_shared<ResourceState>(canonical_name);
  weak = state;
  // Forget resources nobody holds any more (keeps the map bounded by the open resources).
  std::erase_if(resources_, [](auto& kv) { return kv.second.expired(); });
  resources_[canonical_name] = state;
  return state;
}

std::shared_ptr<Session> SessionBackend::session(session_t handle) const {
  std::shared_lock guard(table_mutex_);
  auto it = objects_.find(handle);
  if (it == objects_.end()) return nullptr;
  if (auto* s = std::get_if<std::shared_ptr<Session>>(&it->second)) return *s;
  return nullptr;
}

bool SessionBackend::owns(session_t object) const {
  std::shared_lock guard(table_mutex_);
  return objects_.count(object) != 0;
}

std::optional<std::string> SessionBackend::resolve_alias(std::string_view name, std::string* alias) const {
  if (auto target = aliases_.resolve(name)) {
    if (alias) *alias = std::string(name);
    return target;
  }
  return std::nullopt;
}

// ---- resource manager ----

status_t SessionBackend::open_default_rm(session_t& rm) {
  rm = allocate_handle();
  std::unique_lock guard(table_mutex_);
  objects_.emplace(rm, std::make_shared<RmObject>());
  return status::SUCCESS;
}

status_t SessionBackend::find_resources(session_t rm, std::string_view expression, std::vector<std::string>& names) {
  {
    std::shared_lock guard(table_mutex_);
    auto it = objects_.find(rm);
    if (it == objects_.end() || !std::holds_alternative<std::shared_ptr<RmObject>>(it->second))
      return status::ERROR_INV_OBJECT;
  }
  try {
    ResourceQuery query(expression.empty() ? std::string_view("?*") : expression);
    clear_detail();
    names.clear();
    for (auto& name : list_resources(rm, expression.empty() ? std::string_view("?*") : expression)) {
      AttributeLookup lookup = [&](std::string_view n, attr_id_t id) { return resource_attribute(rm, n, id); };
      if (query.matches(name, lookup)) names.push_back(name);
    }
  } catch (const VisaIOError& e) {
    if (e.error_code() == status::ERROR_INV_EXPR)
      return fail(e.error_code(), fmt::format("bad resource expression '{}': {}", expression, e.detail()));
    return fail(e.error_code(), e.detail());
  }
  if (names.empty()) return fail(status::ERROR_RSRC_NFOUND, fmt::format("no resource matches '{}'", expression));
  return status::SUCCESS;
}

status_t SessionBackend::parse_resource(session_t rm, std::string_view name, ResourceInfo& info) {
  if (!owns(rm)) return status::ERROR_INV_OBJECT;
  std::string alias;
  std::string target = resolve_alias(name, &alias).value_or(std::string(name));
  std::error_code ec;
  std::string why;
  clear_detail();
  auto parsed = ResourceName::parse(target, ec, &why);
  if (!parsed) return fail(status::ERROR_INV_RSRC_NAME, why);
  info = parsed->info();
  if (alias.empty()) alias = aliases_.alias_of(info.resource_name).value_or("");
  info.alias = alias;
  return status::SUCCESS;
}

status_t SessionBackend::open(session_t rm, std::string_view name, AccessMode mode, std::uint32_t open_timeout,
                              session_t& out) {
  out = 0;
  std::shared_ptr<RmObject> rm_object;
  {
    std::shared_lock guard(table_mutex_);
    auto it = objects_.find(rm);
    if (it == objects_.end() || !std::holds_alternative<std::shared_ptr<RmObject>>(it->second))
      return status::ERROR_INV_OBJECT;
    rm_object = std::get<std::shared_ptr<RmObject>>(it->second);
  }
  auto m = static_cast<std::uint32_t>(mode);
  if ((m & ~7u) || (m & 3u) == 3u) return status::ERROR_INV_ACC_MODE;

  clear_detail();
  std::string target = resolve_alias(name, nullptr).value_or(std::string(name));
  std::error_code ec;
  std::string why;
  auto parsed = ResourceName::parse(target, ec, &why);
  if (!parsed) return fail(status::ERROR_INV_RSRC_NAME, why);

  status_t st = status::SUCCESS;
  std::unique_ptr<Session> created;
  try {
    created = create_session(rm, *parsed, st);
  } catch (const VisaIOError& e) {
    return fail(e.error_code(), e.detail());
  } catch (const std::bad_alloc&) {
    return status::ERROR_ALLOC;
  }
  if (!created) {
    st = st < 0 ? st : status::ERROR_RSRC_NFOUND;
    if (detail_for(st).empty()) fail(st, fmt::format("no way to open {} in backend '{}'", parsed->canonical(), this->name()));
    return st;
  }
  std::shared_ptr<Session> s(std::move(created));
  s->handle_ = allocate_handle();
  s->rm_ = rm;
  s->backend_ = this;
  s->resource_ = resource_state(s->canonical_name());

  CPPVISA_LOG("session", "opening {} ({})", s->canonical_name(), this->name());
  st = s->connect(Deadline::after_ms(std::max(open_timeout, kMinimumConnectMs)));
  if (st < 0) {
    CPPVISA_LOG("session", "open {} failed: {}: {}", s->canonical_name(), status_name(st), detail_for(st));
    s->disconnect();
    return st;
  }
  CPPVISA_LOG("session", "opened {} as session {}", s->canonical_name(), s->handle_);
  // Publish before locking so that the lock's owner is a live handle.
  {
    std::unique_lock guard(table_mutex_);
    objects_.emplace(s->handle_, s);
    rm_object->children.push_back(s->handle_);
  }
  if (m & 3u) {
    std::string key;
    auto type = (m & 1u) ? AccessMode::exclusive_lock : AccessMode::shared_lock;
    status_t lst = s->resource().lock.lock(s->handle_, type, Deadline::after_ms(open_timeout), open_timeout == 0, {}, key);
    if (lst < 0) {
      close_session(s->handle_, true);
      return lst;
    }
  }
  out = s->handle_;
  return st;
}

status_t SessionBackend::close_session(session_t handle, bool detach_from_rm) {
  std::shared_ptr<Session> s;
  std::vector<session_t> contexts;
  {
    std::unique_lock guard(table_mutex_);
    auto it = objects_.find(handle);
    if (it == objects_.end()) return status::ERROR_INV_OBJECT;
    s = std::get<std::shared_ptr<Session>>(it->second);
    objects_.erase(it);
    for (auto& [h, obj] : objects_)
      if (auto* ev = std::get_if<std::shared_ptr<EventObject>>(&obj); ev && (*ev)->session == handle)
        contexts.push_back(h);
    for (auto h : contexts) objects_.erase(h);
    if (detach_from_rm) {
      if (auto rit = objects_.find(s->rm_); rit != objects_.end())
        if (auto* rmo = std::get_if<std::shared_ptr<RmObject>>(&rit->second))
          std::erase((*rmo)->children, handle);
    }
  }
  CPPVISA_LOG("session", "closing session {} ({})", handle, s->canonical_name());
  // Wake every thread waiting on the session (issue #16 point 4): the flag first (lock waiters
  // watch it; calls that get the io mutex next find the handle gone), then the operation in
  // progress is aborted where the session can abort its transfer (otherwise it ends within its
  // timeout), event waiters and lock waiters are woken. Each of them returns VI_ERROR_INV_OBJECT.
  s->closed_.store(true, std::memory_order_release);
  try {
    (void)s->abort();
  } catch (const std::exception&) {
    // closing goes on: the operation then ends by its own timeout
  }
  // A handler of this session running on the dispatcher has returned when events().close()
  // does (unless this is that thread: a handler closing its own session).
  s->events().close(!dispatcher_.on_dispatcher_thread());
  s->resource().lock.release_all(handle);
  std::lock_guard io(s->io_mutex());  // wait for an operation in progress to return
  s->disconnect();
  s->backend_ = nullptr;
  return status::SUCCESS;
}

status_t SessionBackend::close(session_t object) {
  if (object == 0) return status::WARN_NULL_OBJECT;
  Object obj;
  {
    std::shared_lock guard(table_mutex_);
    auto it = objects_.find(object);
    if (it == objects_.end()) return status::ERROR_INV_OBJECT;
    obj = it->second;
  }
  if (std::holds_alternative<std::shared_ptr<Session>>(obj)) return close_session(object, true);
  if (auto* rm = std::get_if<std::shared_ptr<RmObject>>(&obj)) {
    std::vector<session_t> children;
    {
      std::unique_lock guard(table_mutex_);
      children.swap((*rm)->children);
      objects_.erase(object);
    }
    for (auto child : children) close_session(child, false);
    resource_manager_closed(object);
    return status::SUCCESS;
  }
  std::unique_lock guard(table_mutex_);
  objects_.erase(object);
  return status::SUCCESS;
}

// ---- attributes ----

status_t SessionBackend::get_attribute(session_t object, attr_id_t id, AttrValue& value) {
  Object obj;
  {
    std::shared_lock guard(table_mutex_);
    auto it = objects_.find(object);
    if (it == objects_.end()) return status::ERROR_INV_OBJECT;
    obj = it->second;
  }
  if (auto* s = std::get_if<std::shared_ptr<Session>>(&obj)) return (*s)->get_attribute(id, value);
  if (auto* ev = std::get_if<std::shared_ptr<EventObject>>(&obj)) {
    auto it = (*ev)->event->attributes.find(id);
    if (it == (*ev)->event->attributes.end()) return status::ERROR_NSUP_ATTR;
    value = it->second;
    return status::SUCCESS;
  }
  auto& rm = std::get<std::shared_ptr<RmObject>>(obj);
  switch (id) {
    case attr::RSRC_NAME: value = std::string(); return status::SUCCESS;
    case attr::RSRC_MANF_NAME: value = std::string(manufacturer_name); return status::SUCCESS;
    case attr::RSRC_MANF_ID: value = std::int64_t{manufacturer_id}; return status::SUCCESS;
    case attr::RSRC_IMPL_VERSION: value = static_cast<std::int64_t>(implementation_version); return status::SUCCESS;
    case attr::RSRC_SPEC_VERSION: value = static_cast<std::int64_t>(visa_spec_version); return status::SUCCESS;
    case attr::RSRC_LOCK_STATE: value = std::int64_t{0}; return status::SUCCESS;
    case attr::RM_SESSION: value = std::int64_t{0}; return status::SUCCESS;
    case attr::TMO_VALUE: case attr::MAX_QUEUE_LENGTH: case attr::USER_DATA_64: case attr::USER_DATA_32: {
      std::shared_lock guard(table_mutex_);
      if (auto it = rm->attributes.find(id); it != rm->attributes.end()) {
        value = it->second;
        return status::SUCCESS;
      }
      value = find_attribute(id)->has_default ? find_attribute(id)->default_value : 0;
      return status::SUCCESS;
    }
    default: return status::ERROR_NSUP_ATTR;
  }
}

status_t SessionBackend::set_attribute(session_t object, attr_id_t id, const AttrValue& value) {
  Object obj;
  {
    std::shared_lock guard(table_mutex_);
    auto it = objects_.find(object);
    if (it == objects_.end()) return status::ERROR_INV_OBJECT;
    obj = it->second;
  }
  if (auto* s = std::get_if<std::shared_ptr<Session>>(&obj)) {
    const AttrInfo* info = find_attribute(id);
    // Setting a global attribute is an operation on the resource: a lock of another session excludes it.
    status_t st = info && !info->local && !(*s)->resource().lock.may_access(object) ? status::ERROR_RSRC_LOCKED
                                                                                 : (*s)->set_attribute(id, value);
    if (st < 0) raise_exception(**s, st, "viSetAttribute");
    return st;
  }
  if (std::holds_alternative<std::shared_ptr<EventObject>>(obj)) {
    return find_attribute(id) ? status::ERROR_ATTR_READONLY : status::ERROR_NSUP_ATTR;
  }
  auto& rm = std::get<std::shared_ptr<RmObject>>(obj);
  switch (id) {
    case attr::TMO_VALUE: case attr::MAX_QUEUE_LENGTH: case attr::USER_DATA_64: case attr::USER_DATA_32: {
      auto* v = std::get_if<std::int64_t>(&value);
      if (!v || (id == attr::MAX_QUEUE_LENGTH && *v < 1)) return status::ERROR_NSUP_ATTR_STATE;
      std::unique_lock guard(table_mutex_);
      rm->attributes[id] = value;
      return status::SUCCESS;
    }
    case attr::RSRC_NAME: case attr::RSRC_MANF_NAME: case attr::RSRC_MANF_ID: case attr::RSRC_IMPL_VERSION:
    case attr::RSRC_SPEC_VERSION: case attr::RSRC_LOCK_STATE: case attr::RM_SESSION:
      return status::ERROR_ATTR_READONLY;
    default: return status::ERROR_NSUP_ATTR;
  }
}

// ---- operations ----

/// The debug log shows this many bytes of each read and write (a summary, not a capture).
constexpr std::size_t kLoggedBytes = 40;

template <class Op>
status_t SessionBackend::with_session(session_t handle, const char* operation, Op&& op) {
  std::shared_ptr<Session> s;
  status_t st = run_locked(handle, s, std::forward<Op>(op));
  // The session's io mutex is released: an exception handler may call any function, on this
  // session too (VPP-4.3: it runs in the context of the failed operation, i.e. on this thread).
  if (st < 0 && s && st != status::ERROR_INV_OBJECT) raise_exception(*s, st, operation);
  return st;
}

template <class Op>
status_t SessionBackend::run_locked(session_t handle, std::shared_ptr<Session>& s, Op&& op) {
  clear_detail();
  s = session(handle);
  if (!s) return status::ERROR_INV_OBJECT;
  if (!s->resource().lock.may_access(handle)) return status::ERROR_RSRC_LOCKED;
  std::lock_guard io(s->io_mutex());
  if (!owns(handle)) return status::ERROR_INV_OBJECT;  // closed while we waited
  try {
    status_t st = op(*s, Deadline::after_ms(s->timeout_ms()));
    // Closed by another thread during the operation (which close aborted): the session is gone.
    if (st < 0 && s->closed())
      return fail(status::ERROR_INV_OBJECT,
                  fmt::format("the session was closed by another thread during the operation ({})", status_name(st)));
    return st;
  } catch (const VisaIOError& e) {
    return fail(e.error_code(), e.detail());
  } catch (const std::bad_alloc&) {
    return fail(status::ERROR_ALLOC, "out of memory");
  } catch (const std::exception& e) {
    return fail(status::ERROR_SYSTEM_ERROR, e.what());
  }
}

/// What read_bounded() and read_step() add to a read's end: the cause of an error (with the bytes
/// received and how they ended) and the debug log.
static status_t read_ended(Session& s, status_t st, std::span<std::byte> buffer, std::size_t count,
                           Deadline call_deadline) {
  if (st < 0) {
    // The bytes stay the caller's (count); the cause says how many and how they ended, after
    // what a lower layer said ("the peer closed the connection").
    auto term = s.read_termination();
    std::string termchar = term.termchar_enabled ? std::string(1, static_cast<char>(term.termchar)) : std::string();
    std::string text = received_summary(buffer.first(std::min(count, buffer.size())), termchar,
                                        "the termination character (VI_ATTR_TERMCHAR_EN)");
    if (st == status::ERROR_TMO && !call_deadline.infinite()) text = "at the end of the call's time, " + text;
    else if (st == status::ERROR_TMO) text = fmt::format("after {} ms, {}", s.timeout_ms(), text);
    std::string cause = detail_for(st);
    fail(st, cause.empty() ? std::move(text) : cause + "; " + text);
  }
  CPPVISA_LOG("io", "read {}: {} bytes {}, {}{}", s.canonical_name(), count,
              values_detail::bytes_repr(buffer.first(std::min(count, buffer.size())), kLoggedBytes),
              status_name(st), st < 0 ? ": " + detail_for(st) : std::string());
  return st;
}

status_t SessionBackend::read_bounded(session_t h, std::span<std::byte> buffer, std::size_t& count,
                                      Deadline call_deadline) {
  count = 0;
  return with_session(h, "viRead", [&](Session& s, Deadline d) {
    status_t st = s.read(buffer, count, Deadline::earliest(d, call_deadline));
    return read_ended(s, st, buffer, count, call_deadline);
  });
}

status_t SessionBackend::read_step(session_t h, std::span<std::byte> buffer, std::size_t& count, ReadStep& step) {
  count = 0;
  step.wait_fd = -1;
  return with_session(h, "viRead", [&](Session& s, Deadline) {
    // The whole read's deadline was set when it started (from VI_ATTR_TMO_VALUE or the call's).
    status_t st = s.read_step(buffer, count, step);
    if (step.wait_fd >= 0) return status::SUCCESS;  // more to come: not an end, not an error
    return read_ended(s, st, buffer, count, Deadline::at(step.deadline));
  });
}

status_t SessionBackend::read(session_t h, std::span<std::byte> buffer, std::size_t& count) {
  return read_bounded(h, buffer, count, Deadline::never());
}

status_t SessionBackend::read_until(session_t h, std::span<std::byte> buffer, std::size_t& count,
                                    std::chrono::steady_clock::time_point call_deadline) {
  return read_bounded(h, buffer, count, Deadline::at(call_deadline));
}

status_t SessionBackend::write(session_t h, std::span<const std::byte> data, std::size_t& count) {
  count = 0;
  return with_session(h, "viWrite", [&](Session& s, Deadline d) {
    status_t st = s.write(data, count, d);
    if (st < 0) {
      std::string sent = fmt::format("{} of the {} bytes sent", count, data.size());
      if (st == status::ERROR_TMO) sent = fmt::format("after {} ms, {}", s.timeout_ms(), sent);
      std::string cause = detail_for(st);
      fail(st, cause.empty() ? std::move(sent) : cause + "; " + sent);
    }
    CPPVISA_LOG("io", "write {}: {} of {} bytes {}, {}{}", s.canonical_name(), count, data.size(),
                values_detail::bytes_repr(data, kLoggedBytes), status_name(st),
                st < 0 ? ": " + detail_for(st) : std::string());
    return st;
  });
}

status_t SessionBackend::read_stb(session_t h, std::uint16_t& stb) {
  return with_session(h, "viReadSTB", [&](Session& s, Deadline d) {
    status_t st = s.read_stb(stb, d);
    CPPVISA_LOG("io", "read_stb {}: {}, {}{}", s.canonical_name(), st < 0 ? std::string("-") : fmt::format("0x{:02x}", stb),
                status_name(st), st < 0 ? ": " + detail_for(st) : std::string());
    return st;
  });
}

status_t SessionBackend::clear(session_t h) {
  return with_session(h, "viClear", [&](Session& s, Deadline d) {
    status_t st = s.clear(d);
    CPPVISA_LOG("io", "clear {}: {}{}", s.canonical_name(), status_name(st),
                st < 0 ? ": " + detail_for(st) : std::string());
    return st;
  });
}

status_t SessionBackend::assert_trigger(session_t h, TriggerProtocol p) {
  return with_session(h, "viAssertTrigger", [&](Session& s, Deadline d) {
    status_t st = s.assert_trigger(p, d);
    CPPVISA_LOG("io", "trigger {}: {}{}", s.canonical_name(), status_name(st),
                st < 0 ? ": " + detail_for(st) : std::string());
    return st;
  });
}

status_t SessionBackend::flush(session_t h, std::uint16_t mask) {
  if (mask == 0 || (mask & ~0xFFu)) return owns(h) ? status::ERROR_INV_MASK : status::ERROR_INV_OBJECT;
  return with_session(h, "viFlush", [&](Session& s, Deadline d) { return s.flush(mask, d); });
}

status_t SessionBackend::gpib_control_ren(session_t h, RenMode mode) {
  return with_session(h, "viGpibControlREN", [&](Session& s, Deadline d) { return s.gpib_control_ren(mode, d); });
}
status_t SessionBackend::gpib_control_atn(session_t h, std::uint16_t mode) {
  return with_session(h, "viGpibControlATN", [&](Session& s, Deadline d) { return s.gpib_control_atn(mode, d); });
}
status_t SessionBackend::gpib_command(session_t h, std::span<const std::byte> data, std::size_t& count) {
  count = 0;
  return with_session(h, "viGpibCommand", [&](Session& s, Deadline d) { return s.gpib_command(data, count, d); });
}
status_t SessionBackend::gpib_pass_control(session_t h, std::uint16_t primary, std::uint16_t secondary) {
  return with_session(h, "viGpibPassControl", [&](Session& s, Deadline d) { return s.gpib_pass_control(primary, secondary, d); });
}
status_t SessionBackend::gpib_send_ifc(session_t h) {
  return with_session(h, "viGpibSendIFC", [&](Session& s, Deadline d) { return s.gpib_send_ifc(d); });
}
status_t SessionBackend::usb_control_out(session_t h, std::int16_t rt, std::int16_t rq, std::uint16_t value,
                                         std::uint16_t index, std::span<const std::byte> data) {
  return with_session(h, "viUsbControlOut", [&](Session& s, Deadline d) { return s.usb_control_out(rt, rq, value, index, data, d); });
}
status_t SessionBackend::usb_control_in(session_t h, std::int16_t rt, std::int16_t rq, std::uint16_t value,
                                        std::uint16_t index, std::span<std::byte> buffer, std::size_t& count) {
  count = 0;
  return with_session(h, "viUsbControlIn", [&](Session& s, Deadline d) {
    return s.usb_control_in(rt, rq, value, index, buffer, count, d);
  });
}

status_t SessionBackend::terminate(session_t h, std::uint16_t, std::uint32_t) {
  auto s = session(h);
  if (!s) return status::ERROR_INV_OBJECT;
  try {
    return s->abort();
  } catch (const std::exception&) {
    return status::ERROR_SYSTEM_ERROR;
  }
}

int SessionBackend::input_fd(session_t h) {
  auto s = session(h);
  if (!s) return -1;
  std::lock_guard io(s->io_mutex());
  if (!owns(h) || s->closed()) return -1;
  return s->input_fd();
}

status_t SessionBackend::output_state(session_t h, core::OutputState& state) {
  state = OutputState::unknown;
  auto s = session(h);
  if (!s) return status::ERROR_INV_OBJECT;
  std::lock_guard io(s->io_mutex());
  if (!owns(h)) return status::ERROR_INV_OBJECT;  // closed while we waited
  try {
    state = s->output_state();
  } catch (const std::exception&) {
    return status::ERROR_SYSTEM_ERROR;
  }
  return status::SUCCESS;
}

// ---- locking ----

namespace {
/// Leaves the session's lock call (entered with Session::enter_lock_call) at the end of a scope.
struct LockCall {
  explicit LockCall(Session& s) : session(s) {}
  ~LockCall() { session.leave_lock_call(); }
  LockCall(const LockCall&) = delete;
  LockCall& operator=(const LockCall&) = delete;
  Session& session;
};
}  // namespace

status_t SessionBackend::lock(session_t h, AccessMode type, std::uint32_t timeout, std::string_view requested_key,
                              std::string& access_key) {
  auto s = session(h);
  if (!s) return status::ERROR_INV_OBJECT;
  Deadline deadline = Deadline::after_ms(timeout);
  const bool immediate = timeout == tmo_immediate;
  // One lock call of this session at a time (a count change and its device lock are one step);
  // another thread's lock call on the same session counts against this one's timeout.
  if (!s->enter_lock_call(deadline)) return immediate ? status::ERROR_RSRC_LOCKED : status::ERROR_TMO;
  LockCall call(*s);
  if (s->closed()) return status::ERROR_INV_OBJECT;
  status_t st = s->resource().lock.lock(h, type, deadline, immediate, requested_key, access_key, &s->closed_flag());
  if (st < 0) return st;
  if (s->closed()) {
    // Granted as the session closed: close's release_all may have run before the grant.
    s->resource().lock.release_all(h);
    return status::ERROR_INV_OBJECT;
  }
  if (st == status::SUCCESS) {
    // The session's first lock of this kind: protocols with device-side locks (VXI-11, HiSLIP)
    // take it at the instrument too, within what is left of the timeout.
    status_t dst;
    {
      std::lock_guard io(s->io_mutex());
      dst = s->closed() ? status::ERROR_INV_OBJECT
                        : s->device_lock(type, type == AccessMode::shared_lock ? std::string_view(access_key)
                                                                               : std::string_view(),
                                         deadline);
    }
    if (dst < 0) {
      s->resource().lock.undo(h, type);
      access_key.clear();
      // A device wait that close interrupted (the connection shut) reads as the session closing.
      return s->closed() ? status::ERROR_INV_OBJECT : dst;
    }
  }
  return st;
}

status_t SessionBackend::unlock(session_t h) {
  auto s = session(h);
  if (!s) return status::ERROR_INV_OBJECT;
  s->enter_lock_call(Deadline::never());
  LockCall call(*s);
  if (s->closed()) return status::ERROR_INV_OBJECT;
  AccessMode released = AccessMode::no_lock;
  status_t st = s->resource().lock.unlock(h, &released);
  if (st >= 0 && released != AccessMode::no_lock) {
    // The session no longer holds that kind of lock: the instrument's goes too. (A release that
    // fails leaves nothing to undo: the library's lock is gone, and a lost connection took the
    // device's lock with it.)
    std::lock_guard io(s->io_mutex());
    if (!s->closed()) (void)s->device_unlock(released);
  }
  return st;
}

// ---- events ----

session_t SessionBackend::register_event(session_t session, std::shared_ptr<Event> event) {
  session_t ctx = allocate_handle();
  auto obj = std::make_shared<EventObject>();
  obj->session = session;
  obj->event = std::move(event);
  std::unique_lock guard(table_mutex_);
  objects_.emplace(ctx, std::move(obj));
  return ctx;
}

void SessionBackend::deliver_event(Session& s, const std::shared_ptr<Event>& event) {
  auto handlers = s.events().deliver(event);
  if (handlers.empty()) return;
  session_t handle = s.handle();
  std::weak_ptr<Session> weak = session(handle);
  dispatcher_.post([this, handle, weak, event, handlers = std::move(handlers)] {
    auto s = weak.lock();
    if (!s) return;  // closed meanwhile
    session_t ctx = register_event(handle, event);
    for (const auto& h : handlers) {
      // Skipped when uninstalled since the occurrence; no lock of ours is held during the call
      // (uninstall and close wait for it to return, from any thread but this one).
      if (!s->events().begin_handler_call(h)) continue;
      status_t st = status::SUCCESS;
      try {
        st = h.fn(handle, event->type, ctx, h.user);
      } catch (...) {
        // a handler must not take the dispatcher down
      }
      s->events().end_handler_call();
      if (st == status::SUCCESS_NCHAIN) break;
    }
    s.reset();
    std::unique_lock guard(table_mutex_);
    objects_.erase(ctx);  // the context is valid only during the call
  });
}

void SessionBackend::raise_exception(Session& s, status_t st, const char* operation) {
  if (!s.events().handler_enabled(event::exception)) return;
  auto event = std::make_shared<Event>(event::exception);
  event->attributes[attr::STATUS] = static_cast<std::int64_t>(st);
  event->attributes[attr::OPER_NAME] = std::string(operation);
  auto handlers = s.events().deliver(event);
  if (handlers.empty()) return;
  // The handlers may call the library and so overwrite this thread's error detail: the caller
  // still gets the cause of its own failure.
  std::string cause = detail_for(st);
  session_t handle = s.handle();
  session_t ctx = register_event(handle, event);
  for (const auto& h : handlers) {
    if (!s.events().begin_handler_call(h)) continue;
    status_t hst = status::SUCCESS;
    try {
      hst = h.fn(handle, event->type, ctx, h.user);
    } catch (...) {
      // VPP-4.3 lets a C++ handler throw out of the failed operation; here the operation
      // returns its status instead (an exception must not cross the C API).
    }
    s.events().end_handler_call();
    if (hst == status::SUCCESS_NCHAIN) break;
  }
  {
    std::unique_lock guard(table_mutex_);
    objects_.erase(ctx);  // the context is valid only during the call
  }
  if (!cause.empty()) fail(st, std::move(cause));
}

status_t SessionBackend::enable_event(session_t h, event_type_t type, std::uint16_t mechanism) {
  auto s = session(h);
  if (!s) return status::ERROR_INV_OBJECT;
  auto max_queue = static_cast<std::size_t>(s->integer_attribute(attr::MAX_QUEUE_LENGTH, 50));
  status_t st = s->events().enable(type, mechanism, max_queue);
  if (st < 0) return st;
  if (type != event::exception) s->event_enabled(type);  // raised here, not by the session
  // Occurrences held while handlers were suspended are delivered now (VI_SUSPEND_HNDLR -> VI_HNDLR).
  for (auto& ev : s->events().take_suspended(type)) deliver_event(*s, ev);
  return st;
}

status_t SessionBackend::disable_event(session_t h, event_type_t type, std::uint16_t mechanism) {
  auto s = session(h);
  if (!s) return status::ERROR_INV_OBJECT;
  return s->events().disable(type, mechanism);
}

status_t SessionBackend::discard_events(session_t h, event_type_t type, std::uint16_t mechanism) {
  auto s = session(h);
  if (!s) return status::ERROR_INV_OBJECT;
  return s->events().discard(type, mechanism);
}

status_t SessionBackend::wait_on_event(session_t h, event_type_t type, std::uint32_t timeout, event_type_t& out_type,
                                       session_t& context, bool want_context) {
  context = 0;
  auto s = session(h);
  if (!s) return status::ERROR_INV_OBJECT;
  std::shared_ptr<Event> event;
  status_t st = s->events().wait(type, Deadline::after_ms(timeout), event);
  if (st < 0) return st;
  out_type = event->type;
  if (want_context) context = register_event(h, event);
  return st;
}

status_t SessionBackend::install_handler(session_t h, event_type_t type, EventHandlerFn handler, void* user) {
  auto s = session(h);
  if (!s) return status::ERROR_INV_OBJECT;
  return s->events().install(type, handler, user);
}

status_t SessionBackend::uninstall_handler(session_t h, event_type_t type, EventHandlerFn handler, void* user) {
  auto s = session(h);
  if (!s) return status::ERROR_INV_OBJECT;
  return s->events().uninstall(type, handler, user, !dispatcher_.on_dispatcher_thread());
}

}  // namespace cppvisa::core
