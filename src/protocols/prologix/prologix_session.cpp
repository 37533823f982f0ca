#include "protocols/prologix/prologix_session.hpp"

#include "protocols/prologix/prologix_wire.hpp"

namespace cppvisa::prologix {

namespace {
constexpr std::uint16_t input_masks =
    buffer::read_buf | buffer::read_buf_discard | buffer::io_in_buf | buffer::io_in_buf_discard;
}

bool routes(const ResourceName& name) {
  return name.interface_type == InterfaceType::gpib && name.resource_class == "INSTR" &&
         Adapter::find(name.board_number().value_or(0)) != nullptr;
}

std::unique_ptr<core::Session> make_session(const ResourceName& name, status_t& st) {
  st = status::SUCCESS;
  if (name.interface_type == InterfaceType::prlgx_tcpip || name.interface_type == InterfaceType::prlgx_asrl)
    return std::make_unique<IntfcSession>(name);
  if (name.interface_type == InterfaceType::gpib && name.resource_class == "INSTR")
    return std::make_unique<InstrSession>(name);
  st = status::ERROR_NSUP_OPER;
  return nullptr;
}

// ---------------------------------------------------------------- INTFC

IntfcSession::IntfcSession(const ResourceName& name) : Session(name, {}) {
  // The adapter answers commands in lines: reads end at LF unless the user says otherwise.
  define(attr::TERMCHAR_EN, std::int64_t{1});
  if (name.interface_type == InterfaceType::prlgx_tcpip) {
    define(attr::TCPIP_ADDR, name.host_address());
    define(attr::TCPIP_HOSTNAME, name.host_address());
    define(attr::TCPIP_PORT, static_cast<std::int64_t>(name.port().value_or(default_port)));
  }
}

IntfcSession::~IntfcSession() = default;

status_t IntfcSession::connect(core::Deadline deadline) {
  status_t st = status::SUCCESS;
  auto adapter = Adapter::open(name(), deadline, st);
  std::lock_guard guard(adapter_mutex_);
  adapter_ = std::move(adapter);
  return adapter_ ? status::SUCCESS : st;
}

void IntfcSession::disconnect() {
  std::lock_guard guard(adapter_mutex_);
  adapter_.reset();
}

std::shared_ptr<Adapter> IntfcSession::adapter() const {
  std::lock_guard guard(adapter_mutex_);
  return adapter_;
}

status_t IntfcSession::read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) {
  count = 0;
  core::AbortGate::Scope op(gate_);
  return adapter_->raw_read(reader_, buffer, count, read_termination(), deadline, &waker_);
}

status_t IntfcSession::write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) {
  core::AbortGate::Scope op(gate_);
  return adapter_->raw_write(data, count, deadline, &waker_);
}

status_t IntfcSession::clear(core::Deadline deadline) {
  reader_.discard();
  return adapter_->discard_input(deadline);
}

status_t IntfcSession::flush(std::uint16_t mask, core::Deadline deadline) {
  if (mask & input_masks) return clear(deadline);
  return status::SUCCESS;  // writes are not buffered
}

status_t IntfcSession::gpib_send_ifc(core::Deadline deadline) {
  core::AbortGate::Scope op(gate_);
  return adapter_->command(nullptr, "++ifc\n", deadline, &waker_);
}

status_t IntfcSession::abort() {
  gate_.abort();
  return status::SUCCESS;
}

status_t IntfcSession::computed_attribute(attr_id_t id, AttrValue& value) {
  if (id == attr::GPIB_SRQ_STATE) {
    auto adapter = this->adapter();
    if (!adapter) return status::ERROR_CONN_LOST;
    std::string reply;
    status_t st = adapter->query(nullptr, "++srq\n", reply, core::Deadline::after_ms(timeout_ms()), &waker_);
    if (st < 0) return st;
    auto line = parse_number(reply, 1);
    if (!line) return status::ERROR_IO;
    value = std::int64_t{*line ? 1 : 0};  // VI_STATE_ASSERTED (1) / VI_STATE_UNASSERTED (0)
    return status::SUCCESS;
  }
  return Session::computed_attribute(id, value);
}

// ---------------------------------------------------------------- INSTR

InstrSession::InstrSession(const ResourceName& name) : Session(name, {event::service_request}) {
  target_.primary = name.primary_address().value_or(0);
  target_.secondary = name.secondary_address();
  target_.id = new_target_id();
  define(attr::GPIB_PRIMARY_ADDR, std::int64_t{target_.primary});
  // VI_NO_SEC_ADDR (0xFFFF) when the name has none.
  define(attr::GPIB_SECONDARY_ADDR, std::int64_t{target_.secondary.value_or(0xFFFF)});
}

InstrSession::~InstrSession() { disconnect(); }

status_t InstrSession::connect(core::Deadline) {
  adapter_ = Adapter::find(name().board_number().value_or(0));
  return adapter_ ? status::SUCCESS : status::ERROR_RSRC_NFOUND;  // the adapter closed since the name was routed
}

void InstrSession::disconnect() {
  std::uint64_t listener = 0;
  {
    std::lock_guard guard(srq_mutex_);
    listener = std::exchange(srq_listener_, 0);
  }
  if (listener && adapter_) adapter_->remove_srq_listener(listener);
  adapter_.reset();
}

status_t InstrSession::write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) {
  core::AbortGate::Scope op(gate_);
  reader_.discard();  // a new message: the rest of an unread response is gone (IEEE 488.2 §6.3.2.3)
  return adapter_->write(target_, data, send_end(), count, deadline, &waker_);
}

status_t InstrSession::read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) {
  core::AbortGate::Scope op(gate_);
  return adapter_->read(target_, reader_, buffer, count, read_termination(), deadline, &waker_);
}

status_t InstrSession::read_stb(std::uint16_t& stb, core::Deadline deadline) {
  {
    std::lock_guard guard(srq_mutex_);
    if (polled_stb_) {
      stb = *std::exchange(polled_stb_, std::nullopt);
      return status::SUCCESS;
    }
  }
  core::AbortGate::Scope op(gate_);
  std::uint8_t value = 0;
  status_t st = adapter_->serial_poll(target_, value, deadline, &waker_);
  if (st >= 0) stb = value;
  return st;
}

status_t InstrSession::clear(core::Deadline deadline) {
  core::AbortGate::Scope op(gate_);
  reader_.discard();
  return adapter_->command(&target_, "++clr\n", deadline, &waker_);
}

status_t InstrSession::assert_trigger(TriggerProtocol protocol, core::Deadline deadline) {
  if (protocol != TriggerProtocol::default_) return status::ERROR_INV_PROT;
  core::AbortGate::Scope op(gate_);
  return adapter_->command(&target_, "++trg\n", deadline, &waker_);
}

status_t InstrSession::flush(std::uint16_t mask, core::Deadline) {
  if (mask & input_masks) reader_.discard();
  return status::SUCCESS;
}

status_t InstrSession::gpib_control_ren(RenMode mode, core::Deadline deadline) {
  core::AbortGate::Scope op(gate_);
  switch (mode) {
    case RenMode::assert_llo:
    case RenMode::assert_address_llo:
      return adapter_->command(&target_, "++llo\n", deadline, &waker_);
    case RenMode::deassert:
    case RenMode::deassert_gtl:
    case RenMode::address_gtl:
      // The adapter keeps REN asserted as controller; going to local is GTL to the device.
      return adapter_->command(&target_, "++loc\n", deadline, &waker_);
    case RenMode::assert_:
      return status::SUCCESS;  // REN is asserted while the adapter is controller (++mode 1)
    case RenMode::assert_address:
      // Addressing the device happens with ++addr, which the next transfer sends anyway.
      return adapter_->command(&target_, "", deadline, &waker_);
  }
  return status::ERROR_INV_MODE;
}

void InstrSession::event_enabled(event_type_t type) {
  if (type != event::service_request || !adapter_) return;
  std::lock_guard guard(srq_mutex_);
  if (srq_listener_) return;
  srq_listener_ = adapter_->add_srq_listener(target_, [this](std::uint8_t stb) {
    {
      std::lock_guard inner(srq_mutex_);
      polled_stb_ = stb;
    }
    raise_event(std::make_shared<core::Event>(event::service_request));
  });
}

status_t InstrSession::abort() {
  gate_.abort();
  return status::SUCCESS;
}

}  // namespace cppvisa::prologix
