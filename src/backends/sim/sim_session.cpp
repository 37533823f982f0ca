#include "backends/sim/sim_session.hpp"

#include "core/diagnostics.hpp"

#include <cppvisa/status.hpp>

#include <algorithm>

namespace cppvisa::sim {

SimSession::SimSession(const ResourceName& name, std::shared_ptr<Device> device, SessionHandleLease handle)
    : Session(name, {event::service_request}),
      device_(std::move(device)),
      epoch_(device_->connection_epoch()),
      pyvisa_sim_handle_(std::move(handle)) {
  // Attributes a real session of this kind reports, from the resource name.
  switch (name.interface_type) {
    case InterfaceType::tcpip:
      define(attr::TCPIP_ADDR, name.host_address());
      define(attr::TCPIP_HOSTNAME, name.host_address());
      if (name.resource_class == "SOCKET") define(attr::TCPIP_PORT, static_cast<std::int64_t>(name.port().value_or(0)));
      else define(attr::TCPIP_DEVICE_NAME, name.lan_device_name());
      break;
    case InterfaceType::gpib:
      define(attr::GPIB_PRIMARY_ADDR, static_cast<std::int64_t>(name.primary_address().value_or(0)));
      define(attr::GPIB_SECONDARY_ADDR, static_cast<std::int64_t>(name.secondary_address().value_or(0xFFFF)));
      break;
    case InterfaceType::usb: {
      auto number = [&](std::string_view field) -> std::int64_t {
        auto v = name.field(field);
        if (!v) return 0;
        try {
          return std::stoll(std::string(*v), nullptr, 0);
        } catch (const std::exception&) {
          return 0;
        }
      };
      define(attr::MANF_ID, number("manufacturer_id"));
      define(attr::MODEL_CODE, number("model_code"));
      if (auto sn = name.field("serial_number")) define(attr::USB_SERIAL_NUM, std::string(*sn));
      define(attr::USB_INTFC_NUM, number("usb_interface_number"));
      break;
    }
    default: break;
  }
}

SimSession::~SimSession() = default;

status_t SimSession::connect(core::Deadline) {
  {
    std::lock_guard g(link_->mutex);
    link_->session = this;
  }
  listener_ = device_->add_service_request_listener([link = link_] {
    std::lock_guard g(link->mutex);
    if (link->session) link->session->raise_event(std::make_shared<core::Event>(event::service_request));
  });
  return status::SUCCESS;
}

void SimSession::disconnect() {
  if (listener_) device_->remove_service_request_listener(listener_);
  listener_ = 0;
  pyvisa_sim_handle_.reset();  // closed: PyVISA-sim forgets the handle
  std::lock_guard g(link_->mutex);
  link_->session = nullptr;
}

status_t SimSession::receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) {
  if (!serial()) return device_->receive(buffer, deadline, count, end, nullptr, &cancel_, &epoch_);
  // Serial sessions see no message boundaries: END comes from VI_ATTR_ASRL_END_IN.
  Device::SerialEnd rule;
  auto mode = integer_attribute(attr::ASRL_END_IN, 2);
  auto data_bits = integer_attribute(attr::ASRL_DATA_BITS, 8);
  rule.kind = mode == 1 ? Device::SerialEnd::Kind::last_bit
              : mode == 2 ? Device::SerialEnd::Kind::termchar
                          : Device::SerialEnd::Kind::none;
  rule.termchar = static_cast<std::uint8_t>(integer_attribute(attr::TERMCHAR, '\n'));
  rule.last_bit_mask = static_cast<std::uint8_t>(1u << (data_bits >= 5 && data_bits <= 8 ? data_bits - 1 : 7));
  return device_->receive(buffer, deadline, count, end, &rule, &cancel_, &epoch_);
}

status_t SimSession::read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) {
  core::AbortGate::Scope op(gate_);
  if (connection_lost()) {
    count = 0;
    reader_.discard();  // what was buffered came over the lost connection
    return status::ERROR_CONN_LOST;
  }
  return reader_.read(*this, buffer, count, read_termination(), deadline);
}

bool SimSession::carries_end() const {
  // END travels with the last byte on GPIB (EOI), VXI-11 and HiSLIP (TCPIP INSTR), USBTMC (EOM),
  // VXI/PXI; a raw socket, raw USB pipes and a serial line have no END signal (VPP-4.3 viWrite).
  if (serial()) return false;
  return resource_class() != "SOCKET" && resource_class() != "RAW";
}

void SimSession::device_write(std::span<const std::byte> data, bool end) {
  if (device_->write(data, end, reader_.buffered() > 0)) reader_.discard();
}

status_t SimSession::write(std::span<const std::byte> data, std::size_t& count, core::Deadline) {
  count = 0;
  if (connection_lost()) return status::ERROR_CONN_LOST;
  count = data.size();
  try {
    status_t st = write_to_device(data);
    // The message made the instrument drop the connection (a `disconnect` fault).
    return connection_lost() ? status::ERROR_CONN_LOST : st;
  } catch (const MalformedResponse& e) {
    // PyVISA-sim raises out of write() here. The VISA status cannot carry the text: it goes to
    // stderr and the debug log (the file was also named by a warning at load).
    core::diagnostic(e.what());
    return status::ERROR_INV_SETUP;
  }
}

status_t SimSession::write_to_device(std::span<const std::byte> data) {
  if (!serial()) {
    device_write(data, carries_end() && send_end());
    return status::SUCCESS;
  }
  // VI_ATTR_ASRL_END_OUT: how a serial write marks its end (VPP-4.3.2 §6.5 viWrite, ASRL).
  auto end_out = integer_attribute(attr::ASRL_END_OUT, 0);
  if (end_out == 1 /* VI_ASRL_END_LAST_BIT */) {
    auto bits = integer_attribute(attr::ASRL_DATA_BITS, 8);
    auto top = static_cast<std::uint8_t>(1u << (bits >= 5 && bits <= 8 ? bits - 1 : 7));
    std::vector<std::byte> out(data.begin(), data.end());
    for (auto& b : out) b = static_cast<std::byte>(static_cast<std::uint8_t>(b) & static_cast<std::uint8_t>(top - 1));
    if (!out.empty() && send_end()) out.back() |= static_cast<std::byte>(top);
    device_write(out, false);
  } else if (end_out == 2 /* VI_ASRL_END_TERMCHAR */ && send_end()) {
    std::vector<std::byte> out(data.begin(), data.end());
    out.push_back(static_cast<std::byte>(integer_attribute(attr::TERMCHAR, '\n')));
    device_write(out, false);
  } else {
    device_write(data, false);
  }
  return status::SUCCESS;
}

status_t SimSession::read_stb(std::uint16_t& stb, core::Deadline) {
  if (connection_lost()) return status::ERROR_CONN_LOST;
  stb = device_->serial_poll();
  return status::SUCCESS;
}

status_t SimSession::clear(core::Deadline) {
  if (connection_lost()) return status::ERROR_CONN_LOST;
  reader_.discard();
  device_->clear();
  return status::SUCCESS;
}

status_t SimSession::assert_trigger(TriggerProtocol protocol, core::Deadline) {
  if (protocol != TriggerProtocol::default_) return status::ERROR_INV_PROT;
  if (connection_lost()) return status::ERROR_CONN_LOST;
  try {
    device_->trigger();
  } catch (const MalformedResponse& e) {
    core::diagnostic(e.what());
    return status::ERROR_INV_SETUP;
  }
  return status::SUCCESS;
}

status_t SimSession::flush(std::uint16_t mask, core::Deadline) {
  if (mask & (buffer::read_buf | buffer::read_buf_discard | buffer::io_in_buf | buffer::io_in_buf_discard))
    reader_.discard();
  return status::SUCCESS;
}

status_t SimSession::abort() {
  gate_.abort();
  return status::SUCCESS;
}

core::OutputState SimSession::output_state() {
  if (reader_.buffered() > 0) return core::OutputState::ready;
  return device_->output_state();
}

status_t SimSession::validate_attribute(attr_id_t id, const AttrValue& value) {
  const auto* v = std::get_if<std::int64_t>(&value);
  if (id == attr::ASRL_BAUD && v && *v < 1) return status::ERROR_NSUP_ATTR_STATE;
  return status::SUCCESS;
}

status_t SimSession::computed_attribute(attr_id_t id, AttrValue& value) {
  if (id == attr::ASRL_AVAIL_NUM && serial()) {
    value = static_cast<std::int64_t>(std::min<std::uint64_t>(reader_.buffered() + device_->available_bytes(), 0xFFFFFFFFu));
    return status::SUCCESS;
  }
  return status::ERROR_NSUP_ATTR;
}

}  // namespace cppvisa::sim
