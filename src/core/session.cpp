#include "core/session.hpp"

#include "core/session_backend.hpp"

#include <cppvisa/version.hpp>

namespace cppvisa::core {
namespace {


bool is_integer_type(AttrType t) { return t != AttrType::STRING && t != AttrType::BYTES; }

// Values of enumerated attributes every session shares (VPP-4.3 attribute descriptions).
status_t validate_standard(attr_id_t id, std::int64_t v) {
  auto one_of = [&](std::initializer_list<std::int64_t> ok) {
    for (auto x : ok)
      if (x == v) return status::SUCCESS;
    return status::ERROR_NSUP_ATTR_STATE;
  };
  switch (id) {
    case attr::IO_PROT: return one_of({1, 2, 3, 4, 5});
    case attr::RD_BUF_OPER_MODE: return one_of({1, 3});
    case attr::WR_BUF_OPER_MODE: return one_of({1, 2});
    case attr::ASRL_PARITY: return one_of({0, 1, 2, 3, 4});
    case attr::ASRL_STOP_BITS: return one_of({10, 15, 20});
    case attr::ASRL_FLOW_CNTRL: return (v & ~std::int64_t{7}) == 0 ? status::SUCCESS : status::ERROR_NSUP_ATTR_STATE;
    case attr::ASRL_END_IN: return one_of({0, 1, 2});
    case attr::ASRL_END_OUT: return one_of({0, 1, 2, 3});
    case attr::ASRL_BREAK_STATE: case attr::ASRL_DTR_STATE: case attr::ASRL_RTS_STATE:
    case attr::ASRL_DCD_STATE: case attr::ASRL_RI_STATE: return one_of({-1, 0, 1});
    case attr::MAX_QUEUE_LENGTH: return v >= 1 ? status::SUCCESS : status::ERROR_NSUP_ATTR_STATE;
    default: return status::SUCCESS;
  }
}

}  // namespace

AbortGate::AbortGate(std::function<void()> wake, std::function<void()> reset)
    : wake_(std::move(wake)), reset_(std::move(reset)) {}

AbortGate::Scope::Scope(AbortGate& gate) : gate_(gate) {
  // Nothing to reset: `wake` runs only while an operation is in progress, and the operation it
  // woke resets it as it ends (a reset per operation would cost a system call each).
  std::lock_guard guard(gate_.mutex_);
  ++gate_.depth_;
}

AbortGate::Scope::~Scope() {
  std::lock_guard guard(gate_.mutex_);
  if (--gate_.depth_ == 0 && gate_.aborted_) {
    // The abort belonged to this operation only.
    gate_.aborted_ = false;
    if (gate_.reset_) gate_.reset_();
  }
}

bool AbortGate::abort() {
  std::lock_guard guard(mutex_);
  if (depth_ == 0) return false;
  aborted_ = true;
  if (wake_) wake_();
  return true;
}

bool AbortGate::aborted() const {
  std::lock_guard guard(mutex_);
  return aborted_;
}

Session::Session(const ResourceName& name, std::set<event_type_t> supported_events)
    : name_(name), canonical_(name.canonical()), events_(std::move(supported_events)) {}

Session::~Session() = default;

status_t Session::connect(Deadline) { return status::SUCCESS; }
status_t Session::abort() { return status::ERROR_NSUP_OPER; }
OutputState Session::output_state() { return OutputState::unknown; }
int Session::input_fd() { return -1; }

status_t Session::read_step(std::span<std::byte> buffer, std::size_t& count, ReadStep& step) {
  step.wait_fd = -1;
  const Deadline deadline = Deadline::at(step.deadline);
  const int fd = input_fd();
  if (fd < 0) return read(buffer, count, deadline);
  const auto now = Deadline::clock::now();
  status_t st = read(buffer, count, Deadline::at(now));
  if (st == status::ERROR_TMO && now < step.deadline) {
    step.wait_fd = fd;
    step.wait_until = step.deadline;
    return status::SUCCESS;
  }
  return st;
}
void Session::disconnect() {}

status_t Session::read(std::span<std::byte>, std::size_t& count, Deadline) {
  count = 0;
  return status::ERROR_NSUP_OPER;
}
status_t Session::write(std::span<const std::byte>, std::size_t& count, Deadline) {
  count = 0;
  return status::ERROR_NSUP_OPER;
}
status_t Session::read_stb(std::uint16_t&, Deadline) { return status::ERROR_NSUP_OPER; }
status_t Session::clear(Deadline) { return status::ERROR_NSUP_OPER; }
status_t Session::assert_trigger(TriggerProtocol, Deadline) { return status::ERROR_NSUP_OPER; }
status_t Session::flush(std::uint16_t, Deadline) { return status::ERROR_NSUP_OPER; }
status_t Session::gpib_control_ren(RenMode, Deadline) { return status::ERROR_NSUP_OPER; }
status_t Session::gpib_control_atn(std::uint16_t, Deadline) { return status::ERROR_NSUP_OPER; }
status_t Session::gpib_command(std::span<const std::byte>, std::size_t& count, Deadline) {
  count = 0;
  return status::ERROR_NSUP_OPER;
}
status_t Session::gpib_pass_control(std::uint16_t, std::uint16_t, Deadline) { return status::ERROR_NSUP_OPER; }
status_t Session::gpib_send_ifc(Deadline) { return status::ERROR_NSUP_OPER; }
status_t Session::usb_control_out(std::int16_t, std::int16_t, std::uint16_t, std::uint16_t, std::span<const std::byte>,
                                  Deadline) {
  return status::ERROR_NSUP_OPER;
}
status_t Session::usb_control_in(std::int16_t, std::int16_t, std::uint16_t, std::uint16_t, std::span<std::byte>,
                                 std::size_t& count, Deadline) {
  count = 0;
  return status::ERROR_NSUP_OPER;
}
bool Session::enter_lock_call(Deadline deadline) {
  std::unique_lock guard(lock_call_mutex_);
  auto free = [&] { return !lock_call_busy_; };
  if (deadline.infinite())
    lock_call_done_.wait(guard, free);
  else if (!lock_call_done_.wait_until(guard, deadline.when(), free))
    return false;
  lock_call_busy_ = true;
  return true;
}

void Session::leave_lock_call() {
  {
    std::lock_guard guard(lock_call_mutex_);
    lock_call_busy_ = false;
  }
  lock_call_done_.notify_one();
}

status_t Session::device_lock(AccessMode, std::string_view, Deadline) { return status::SUCCESS; }
status_t Session::device_unlock(AccessMode) { return status::SUCCESS; }
void Session::event_enabled(event_type_t) {}

status_t Session::validate_attribute(attr_id_t, const AttrValue&) { return status::SUCCESS; }
void Session::attribute_changed(attr_id_t, const AttrValue&) {}
status_t Session::computed_attribute(attr_id_t, AttrValue&) { return status::ERROR_NSUP_ATTR; }

void Session::define(attr_id_t id, AttrValue value) {
  std::lock_guard guard(attr_mutex_);
  defined_.insert(id);
  local_[id] = std::move(value);
}

bool Session::supports_attribute(const AttrInfo& info) const {
  if (defined_.count(info.id)) return true;
  if (info.classes.substr(0, 3) == "ev:" || info.id == attr::EVENT_TYPE || info.id == attr::RET_COUNT_32) return false;
  return attribute_applies_to(info, name_.interface_type, name_.resource_class);
}

status_t Session::get_attribute(attr_id_t id, AttrValue& value) {
  // Attributes every session has, whatever its backend (VPP-4.3 §3.2 "template" attributes).
  switch (id) {
    case attr::RSRC_NAME: value = canonical_; return status::SUCCESS;
    case attr::RSRC_CLASS: value = name_.resource_class; return status::SUCCESS;
    case attr::INTF_TYPE: value = static_cast<std::int64_t>(name_.interface_type); return status::SUCCESS;
    case attr::INTF_NUM: value = static_cast<std::int64_t>(name_.board_number().value_or(0)); return status::SUCCESS;
    case attr::RSRC_MANF_NAME: value = std::string(manufacturer_name); return status::SUCCESS;
    case attr::RSRC_MANF_ID: value = std::int64_t{manufacturer_id}; return status::SUCCESS;
    case attr::RSRC_IMPL_VERSION: value = static_cast<std::int64_t>(implementation_version); return status::SUCCESS;
    case attr::RSRC_SPEC_VERSION: value = static_cast<std::int64_t>(visa_spec_version); return status::SUCCESS;
    case attr::RM_SESSION: value = static_cast<std::int64_t>(rm_); return status::SUCCESS;
    case attr::RSRC_LOCK_STATE:
      value = static_cast<std::int64_t>(resource_ ? resource_->lock.state() : AccessMode::no_lock);
      return status::SUCCESS;
    case attr::INTF_INST_NAME: value = name_.interface_name + name_.board; return status::SUCCESS;
    default: break;
  }
  if (status_t st = computed_attribute(id, value); st != status::ERROR_NSUP_ATTR) return st;
  const AttrInfo* info = nullptr;
  {
    std::lock_guard guard(attr_mutex_);
    if (auto it = local_.find(id); it != local_.end()) {
      value = it->second;
      return status::SUCCESS;
    }
    // The table is searched only for a value not set: every read and write asks for the
    // timeout and termination attributes, mostly set ones.
    info = find_attribute(id);
    if (!info || !supports_attribute(*info)) return status::ERROR_NSUP_ATTR;
  }
  if (!info->local && resource_) {
    std::lock_guard guard(resource_->mutex);
    if (auto it = resource_->global_attributes.find(id); it != resource_->global_attributes.end()) {
      value = it->second;
      return status::SUCCESS;
    }
  }
  if (!info->has_default) return status::ERROR_NSUP_ATTR;
  value = info->default_value;
  return status::SUCCESS;
}

status_t Session::set_attribute(attr_id_t id, const AttrValue& value) {
  const AttrInfo* info = find_attribute(id);
  if (!info) return status::ERROR_NSUP_ATTR;
  {
    std::lock_guard guard(attr_mutex_);
    if (!supports_attribute(*info)) return status::ERROR_NSUP_ATTR;
  }
  if (info->read_only) return status::ERROR_ATTR_READONLY;
  if (is_integer_type(info->type)) {
    auto* v = std::get_if<std::int64_t>(&value);
    if (!v) return status::ERROR_NSUP_ATTR_STATE;
    if (info->type != AttrType::U64 && info->type != AttrType::PTR && (*v < info->min || *v > info->max))
      return status::ERROR_NSUP_ATTR_STATE;
    if (id == attr::MAX_QUEUE_LENGTH && events_.ever_enabled()) return status::ERROR_ATTR_READONLY;
    if (status_t st = validate_standard(id, *v); st < 0) return st;
  } else if (!std::holds_alternative<std::string>(value)) {
    return status::ERROR_NSUP_ATTR_STATE;
  }
  if (status_t st = validate_attribute(id, value); st < 0) return st;
  if (info->local || !resource_) {
    std::lock_guard guard(attr_mutex_);
    local_[id] = value;
  } else {
    std::lock_guard guard(resource_->mutex);
    resource_->global_attributes[id] = value;
  }
  attribute_changed(id, value);
  return status::SUCCESS;
}

std::int64_t Session::integer_attribute(attr_id_t id, std::int64_t fallback) const {
  AttrValue v;
  if (const_cast<Session*>(this)->get_attribute(id, v) < 0) return fallback;
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  return fallback;
}

std::string Session::string_attribute(attr_id_t id) const {
  AttrValue v;
  if (const_cast<Session*>(this)->get_attribute(id, v) < 0) return {};
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return {};
}

std::uint32_t Session::timeout_ms() const {
  return static_cast<std::uint32_t>(integer_attribute(attr::TMO_VALUE, 2000));
}

ReadTermination Session::read_termination() const {
  ReadTermination t;
  t.termchar_enabled = integer_attribute(attr::TERMCHAR_EN, 0) != 0;
  t.termchar = static_cast<std::byte>(integer_attribute(attr::TERMCHAR, 0x0A));
  t.suppress_end = integer_attribute(attr::SUPPRESS_END_EN, 0) != 0;
  return t;
}

bool Session::send_end() const { return integer_attribute(attr::SEND_END_EN, 1) != 0; }

void Session::raise_event(std::shared_ptr<Event> event) {
  if (backend_) backend_->deliver_event(*this, event);
}

}  // namespace cppvisa::core
