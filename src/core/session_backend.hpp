// core::SessionBackend: a Backend built from Session objects. It owns the handle table (resource
// managers, sessions, find lists, event contexts), applies locks before operations, turns
// timeouts into deadlines, runs event handlers, and implements viFindRsrc with the VISA regex.
// A concrete backend (sim, native) implements three things: the resources it can list, how to
// create a session for a parsed name, and its name/description.
#pragma once

#include "core/events.hpp"
#include "core/session.hpp"

#include <cppvisa/aliases.hpp>
#include <cppvisa/backend.hpp>
#include <cppvisa/resource_name.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cppvisa::core {

class SessionBackend : public Backend {
 public:
  SessionBackend();
  ~SessionBackend() override;

  // ---- what a concrete backend provides ----
  /// Canonical names of the resources this backend can see now (for viFindRsrc). `rm` lets a
  /// backend keep per-resource-manager state.
  virtual std::vector<std::string> list_resources(session_t rm) = 0;
  /// The candidates for viFindRsrc(`expression`): list_resources(rm) unless a backend can spare
  /// work the expression does not need (e.g. listing USB RAW interfaces only when asked for).
  virtual std::vector<std::string> list_resources(session_t rm, std::string_view expression) {
    (void)expression;
    return list_resources(rm);
  }
  /// A new, unconnected session for `name`, or nullptr with `st` set (VI_ERROR_RSRC_NFOUND when
  /// the resource does not exist, VI_ERROR_NSUP_OPER / VI_ERROR_INV_RSRC_NAME ...).
  virtual std::unique_ptr<Session> create_session(session_t rm, const ResourceName& name, status_t& st) = 0;
  /// Attribute values for the attribute filter of viFindRsrc (default: from the name alone).
  virtual std::optional<AttrValue> resource_attribute(session_t rm, std::string_view canonical_name, attr_id_t id);
  /// Called when a resource manager closes (after its sessions).
  virtual void resource_manager_closed(session_t rm);

  // ---- Backend ----
  std::vector<std::string> debug_info() const override;
  status_t open_default_rm(session_t& rm) override;
  status_t find_resources(session_t rm, std::string_view expression, std::vector<std::string>& names) override;
  status_t parse_resource(session_t rm, std::string_view name, ResourceInfo& info) override;
  status_t open(session_t rm, std::string_view name, AccessMode mode, std::uint32_t open_timeout,
                session_t& session) override;
  status_t close(session_t object) override;
  status_t get_attribute(session_t object, attr_id_t id, AttrValue& value) override;
  status_t set_attribute(session_t object, attr_id_t id, const AttrValue& value) override;
  /// viRead; an error records what had been received (core/error_detail.hpp) as its cause.
  status_t read(session_t session, std::span<std::byte> buffer, std::size_t& count) override;
  status_t read_until(session_t session, std::span<std::byte> buffer, std::size_t& count,
                      std::chrono::steady_clock::time_point call_deadline) override;
  status_t write(session_t session, std::span<const std::byte> data, std::size_t& count) override;
  status_t read_stb(session_t session, std::uint16_t& stb) override;
  status_t clear(session_t session) override;
  status_t assert_trigger(session_t session, TriggerProtocol protocol) override;
  status_t flush(session_t session, std::uint16_t mask) override;
  status_t lock(session_t session, AccessMode type, std::uint32_t timeout, std::string_view requested_key,
                std::string& access_key) override;
  status_t unlock(session_t session) override;
  status_t enable_event(session_t session, event_type_t type, std::uint16_t mechanism) override;
  status_t disable_event(session_t session, event_type_t type, std::uint16_t mechanism) override;
  status_t discard_events(session_t session, event_type_t type, std::uint16_t mechanism) override;
  status_t wait_on_event(session_t session, event_type_t type, std::uint32_t timeout, event_type_t& out_type,
                         session_t& context, bool want_context) override;
  status_t install_handler(session_t session, event_type_t type, EventHandlerFn handler, void* user_handle) override;
  status_t uninstall_handler(session_t session, event_type_t type, EventHandlerFn handler, void* user_handle) override;
  status_t gpib_control_ren(session_t session, RenMode mode) override;
  status_t gpib_control_atn(session_t session, std::uint16_t mode) override;
  status_t gpib_command(session_t session, std::span<const std::byte> data, std::size_t& count) override;
  status_t gpib_pass_control(session_t session, std::uint16_t primary, std::uint16_t secondary) override;
  status_t gpib_send_ifc(session_t session) override;
  status_t usb_control_out(session_t session, std::int16_t request_type, std::int16_t request, std::uint16_t value,
                           std::uint16_t index, std::span<const std::byte> data) override;
  status_t usb_control_in(session_t session, std::int16_t request_type, std::int16_t request, std::uint16_t value,
                          std::uint16_t index, std::span<std::byte> buffer, std::size_t& count) override;
  bool owns(session_t object) const override;
  /// viTerminate: Session::abort() of `session` (looked up, its io mutex NOT taken, so that the
  /// operation it aborts may hold it). `degree` and `job_id` are not used: the session's
  /// operation in progress is aborted (cppvisa has no asynchronous jobs).
  status_t terminate(session_t session, std::uint16_t degree, std::uint32_t job_id) override;
  /// Session::output_state() of `session` under its io mutex (taken briefly: waits for an
  /// operation in progress). VI_ERROR_INV_OBJECT for a handle that is not a session.
  status_t output_state(session_t session, core::OutputState& state);
  /// Session::input_fd() of `session` under its io mutex; -1 for a handle that is not a session.
  int input_fd(session_t session) override;
  /// Session::read_step() of `session` under its io mutex; an error ends the read as read_until()'s does.
  status_t read_step(session_t session, std::span<std::byte> buffer, std::size_t& count, ReadStep& step) override;

  /// Delivers an event raised by a session (queue and/or handlers on the dispatcher thread).
  void deliver_event(Session& session, const std::shared_ptr<Event>& event);
  /// Aliases used to resolve names (loaded from the default alias file at construction).
  void set_aliases(AliasTable aliases);

 protected:
  /// The shared state of a resource (created on first use).
  std::shared_ptr<ResourceState> resource_state(const std::string& canonical_name);

 private:
  struct RmObject {
    std::vector<session_t> children;
    std::map<attr_id_t, AttrValue> attributes;  // TMO_VALUE, USER_DATA, MAX_QUEUE_LENGTH ...
  };
  struct EventObject {
    session_t session;
    std::shared_ptr<Event> event;
  };
  using Object = std::variant<std::shared_ptr<RmObject>, std::shared_ptr<Session>, std::shared_ptr<EventObject>>;

  std::shared_ptr<Session> session(session_t handle) const;
  /// Runs an I/O operation: session lookup, lock check, io mutex, deadline from TMO_VALUE; when it
  /// fails, raises VI_EVENT_EXCEPTION for `operation` (its VISA name) after the io mutex is released.
  template <class Op>
  status_t with_session(session_t handle, const char* operation, Op&& op);
  /// with_session() without the exception event; `s` is the session found (null if none).
  template <class Op>
  status_t run_locked(session_t handle, std::shared_ptr<Session>& s, Op&& op);
  /// Calls the session's VI_EVENT_EXCEPTION handlers (if enabled) on this thread, with
  /// VI_ATTR_STATUS = `st` and VI_ATTR_OPER_NAME = `operation` in the context; no lock held.
  void raise_exception(Session& s, status_t st, const char* operation);
  /// The read of read() and read_until(), bounded by the session's timeout and `call_deadline`.
  status_t read_bounded(session_t handle, std::span<std::byte> buffer, std::size_t& count, Deadline call_deadline);
  session_t register_event(session_t session, std::shared_ptr<Event> event);
  status_t close_session(session_t handle, bool detach_from_rm);
  std::optional<std::string> resolve_alias(std::string_view name, std::string* alias) const;

  mutable std::shared_mutex table_mutex_;
  std::map<session_t, Object> objects_;
  std::mutex resources_mutex_;
  std::map<std::string, std::weak_ptr<ResourceState>> resources_;
  AliasTable aliases_;
  EventDispatcher dispatcher_;
};

}  // namespace cppvisa::core
