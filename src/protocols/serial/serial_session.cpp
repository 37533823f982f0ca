#include "protocols/serial/serial_session.hpp"

#include "core/error_detail.hpp"
#include "protocols/serial/port_names.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <vector>

namespace cppvisa::serial {
namespace {

constexpr std::int64_t kProt4882Strings = 4;  // VI_PROT_4882_STRS
constexpr std::int64_t kWire232Dte = 128;     // VI_ASRL_WIRE_232_DTE
constexpr std::int64_t kTrigSoftware = -1;    // VI_TRIG_SW

std::int64_t as_integer(const AttrValue& value) {
  if (auto* v = std::get_if<std::int64_t>(&value)) return *v;
  return 0;
}

std::int64_t line_state(const std::optional<int>& lines, int bit) {
  if (!lines) return static_cast<std::int64_t>(LineState::unknown);
  return static_cast<std::int64_t>((*lines & bit) ? LineState::asserted : LineState::unasserted);
}

}  // namespace

std::unique_ptr<core::Session> make_session(const ResourceName& name, status_t& st) {
  if (name.interface_type != InterfaceType::asrl || name.resource_class != "INSTR") {
    st = status::ERROR_NSUP_OPER;
    return nullptr;
  }
  auto path = device_path(name);
  if (!path) {
    st = core::fail(status::ERROR_RSRC_NFOUND,
                    fmt::format("'{}' names no serial device (ASRL<n> counts from 1 for /dev/ttyS<n-1>; or give "
                                "a device name or path: ASRL/dev/ttyUSB0::INSTR)",
                                name.board));
    return nullptr;
  }
  st = status::SUCCESS;
  return std::make_unique<SerialSession>(name, *path);
}

SerialSession::SerialSession(const ResourceName& name, std::string device_path)
    : Session(name, {event::asrl_char, event::asrl_termchar, event::asrl_break, event::asrl_cts, event::asrl_dsr,
                     event::asrl_dcd, event::asrl_ri}),
      path_(std::move(device_path)) {}

SerialSession::~SerialSession() { SerialSession::disconnect(); }  // the port's watcher must not call us any more

LineSettings SerialSession::settings_from_attributes() const {
  LineSettings s;
  s.baud = static_cast<std::uint32_t>(integer_attribute(attr::ASRL_BAUD, 9600));
  s.data_bits = static_cast<int>(integer_attribute(attr::ASRL_DATA_BITS, 8));
  s.parity = static_cast<Parity>(integer_attribute(attr::ASRL_PARITY, 0));
  s.stop_bits = static_cast<StopBits>(integer_attribute(attr::ASRL_STOP_BITS, 10));
  s.flow = static_cast<std::uint16_t>(integer_attribute(attr::ASRL_FLOW_CNTRL, 0));
  s.xon = static_cast<std::uint8_t>(integer_attribute(attr::ASRL_XON_CHAR, 0x11));
  s.xoff = static_cast<std::uint8_t>(integer_attribute(attr::ASRL_XOFF_CHAR, 0x13));
  return s;
}

InputQueue::Options SerialSession::input_options() const {
  InputQueue::Options o;
  o.discard_null = integer_attribute(attr::ASRL_DISCARD_NULL, 0) != 0;
  o.replace_char = static_cast<std::byte>(integer_attribute(attr::ASRL_REPLACE_CHAR, 0));
  return o;
}

EndRule SerialSession::end_rule() const {
  EndRule rule;
  rule.mode = static_cast<SerialTermination>(integer_attribute(attr::ASRL_END_IN, 2));
  rule.termchar = static_cast<std::byte>(integer_attribute(attr::TERMCHAR, 0x0A));
  int bits = static_cast<int>(integer_attribute(attr::ASRL_DATA_BITS, 8));
  rule.last_bit = static_cast<std::byte>(1u << (bits - 1));
  return rule;
}

status_t SerialSession::connect(core::Deadline) {
  status_t st = status::SUCCESS;
  bool first = false;
  auto port = Port::acquire(path_, st, first);
  if (!port) return st;
  if (first) {
    // A port new to this process gets the resource's settings (defaults: 9600 8N1, no flow
    // control). A port another session already has open keeps its settings.
    LineSettings wanted = settings_from_attributes();
    st = port->update_settings([&](LineSettings& s) { s = wanted; });
    if (st >= 0) st = port->set_transmit(integer_attribute(attr::ASRL_ALLOW_TRANSMIT, 1) != 0);
    if (st < 0) return st;
    port->set_input_options(input_options());
  }
  std::lock_guard guard(port_mutex_);
  port_ = std::move(port);
  return status::SUCCESS;
}

void SerialSession::disconnect() {
  std::lock_guard listening(listener_mutex_);
  std::shared_ptr<Port> p = port();
  if (p && listener_) p->remove_listener(listener_);  // waits for a notification in progress
  listener_ = 0;
  std::lock_guard guard(port_mutex_);
  port_.reset();
}

void SerialSession::event_enabled(event_type_t) {
  std::lock_guard listening(listener_mutex_);
  std::shared_ptr<Port> p = port();
  if (!p) return;
  if (listener_) {
    p->rewatch();
    return;
  }
  listener_ = p->add_listener({[this](const PortActivity& a) { port_activity(a); }, [this] { return watch_wanted(); }});
}

unsigned SerialSession::watch_wanted() {
  unsigned wants = 0;
  auto& ev = events();
  if (ev.enabled(event::asrl_char) || ev.enabled(event::asrl_termchar)) wants |= Port::kWatchData;
  if (ev.enabled(event::asrl_break) || ev.enabled(event::asrl_cts) || ev.enabled(event::asrl_dsr) ||
      ev.enabled(event::asrl_dcd) || ev.enabled(event::asrl_ri))
    wants |= Port::kWatchLines;
  return wants;
}

void SerialSession::port_activity(const PortActivity& a) {
  auto raise = [this](event_type_t type, int times) {
    if (times <= 0 || !events().enabled(type)) return;
    for (int i = 0; i < times; ++i) raise_event(std::make_shared<core::Event>(type));
  };
  if (!a.received.empty()) {
    // VI_EVENT_ASRL_CHAR: "at least one data byte has been received" (NI-VISA): one per batch
    // read from the driver. TERMCHAR: one per termination character (VI_ATTR_TERMCHAR) received.
    raise(event::asrl_char, 1);
    if (events().enabled(event::asrl_termchar)) {
      const auto termchar = static_cast<std::byte>(integer_attribute(attr::TERMCHAR, 0x0A));
      raise(event::asrl_termchar, static_cast<int>(std::count(a.received.begin(), a.received.end(), termchar)));
    }
  }
  raise(event::asrl_break, a.breaks);
  raise(event::asrl_cts, a.cts);
  raise(event::asrl_dsr, a.dsr);
  raise(event::asrl_dcd, a.dcd);
  raise(event::asrl_ri, a.ri);
}

std::shared_ptr<Port> SerialSession::port() const {
  std::lock_guard guard(port_mutex_);
  return port_;
}

status_t SerialSession::receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) {
  return port_->receive(buffer, rule_, deadline, count, end, waker_.fd());
}

status_t SerialSession::read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (!port_) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(gate_);
  rule_ = end_rule();
  return reader_.read(*this, buffer, count, read_termination(), deadline);
}

status_t SerialSession::write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (!port_) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(gate_);
  const auto mode = static_cast<SerialTermination>(integer_attribute(attr::ASRL_END_OUT, 0));
  const bool end = send_end();
  std::vector<std::byte> framed;
  std::span<const std::byte> out = data;
  if (mode == SerialTermination::last_bit) {
    // END is the top data bit: cleared on every character but the message's last (VPP-4.3).
    int bits = static_cast<int>(integer_attribute(attr::ASRL_DATA_BITS, 8));
    const auto top = static_cast<std::byte>(1u << (bits - 1));
    const auto data_mask = static_cast<std::byte>((1u << bits) - 1);
    framed.assign(data.begin(), data.end());
    for (auto& b : framed) b &= data_mask & ~top;
    if (end && !framed.empty()) framed.back() |= top;
    out = framed;
  } else if (mode == SerialTermination::termination_char && end) {
    framed.reserve(data.size() + 1);
    framed.assign(data.begin(), data.end());
    framed.push_back(static_cast<std::byte>(integer_attribute(attr::TERMCHAR, 0x0A)));
    out = framed;
  }
  std::size_t written = 0;
  status_t st = port_->write(out, deadline, written, waker_.fd());
  count = std::min(written, data.size());
  if (st < 0) return st;
  if (mode == SerialTermination::termination_break && end) {
    auto length = std::chrono::milliseconds(integer_attribute(attr::ASRL_BREAK_LEN, 250));
    st = port_->send_break(length, deadline, waker_.fd());
    if (st < 0) return st;
  }
  return status::SUCCESS;
}

status_t SerialSession::send_string(std::string_view text, core::Deadline deadline) {
  std::size_t written = 0;
  return port_->write(std::as_bytes(std::span(text.data(), text.size())), deadline, written, waker_.fd());
}

status_t SerialSession::read_stb(std::uint16_t& stb, core::Deadline deadline) {
  if (integer_attribute(attr::IO_PROT, 1) != kProt4882Strings) return status::ERROR_NSUP_OPER;
  if (!port_) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(gate_);
  if (status_t st = send_string("*STB?\n", deadline); st < 0) return st;
  std::byte reply[64];
  std::size_t n = 0;
  core::ReadTermination term = read_termination();
  term.termchar_enabled = true;
  term.termchar = std::byte{'\n'};
  rule_ = end_rule();
  status_t st = reader_.read(*this, reply, n, term, deadline);
  if (st < 0) return st;
  std::string_view text(reinterpret_cast<const char*>(reply), n);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > 0xFFFF)
    return status::ERROR_IO;  // not a status byte
  stb = static_cast<std::uint16_t>(value);
  return status::SUCCESS;
}

status_t SerialSession::clear(core::Deadline deadline) {
  if (!port_) return status::ERROR_CONN_LOST;
  reader_.discard();
  if (status_t st = port_->discard_input(deadline); st < 0) return st;
  if (status_t st = port_->discard_output(); st < 0) return st;
  if (integer_attribute(attr::IO_PROT, 1) == kProt4882Strings) return send_string("*CLS\n", deadline);
  return status::SUCCESS;
}

status_t SerialSession::assert_trigger(TriggerProtocol protocol, core::Deadline deadline) {
  if (protocol != TriggerProtocol::default_) return status::ERROR_INV_PROT;
  // VPP-4.3 viAssertTrigger: a serial INSTR session triggers by sending "*TRG\n", only when
  // it speaks IEEE 488.2 strings (VI_ATTR_IO_PROT = VI_PROT_4882_STRS).
  if (integer_attribute(attr::IO_PROT, 1) != kProt4882Strings) return status::ERROR_NSUP_OPER;
  if (!port_) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(gate_);
  return send_string("*TRG\n", deadline);
}

status_t SerialSession::flush(std::uint16_t mask, core::Deadline deadline) {
  if (mask == 0 || (mask & ~0xFFu)) return status::ERROR_INV_MASK;
  if (!port_) return status::ERROR_CONN_LOST;
  // Received bytes can only be "flushed" away: every input bit discards them.
  constexpr std::uint16_t input = buffer::read_buf | buffer::read_buf_discard | buffer::io_in_buf |
                                  buffer::io_in_buf_discard;
  if (mask & input) {
    reader_.discard();
    if (status_t st = port_->discard_input(deadline); st < 0) return st;
  }
  if (mask & (buffer::write_buf_discard | buffer::io_out_buf_discard))
    if (status_t st = port_->discard_output(); st < 0) return st;
  core::AbortGate::Scope op(gate_);
  if (mask & (buffer::write_buf | buffer::io_out_buf))
    if (status_t st = port_->drain(deadline, waker_.fd()); st < 0) return st;
  return status::SUCCESS;
}

status_t SerialSession::validate_attribute(attr_id_t id, const AttrValue& value) {
  const std::int64_t v = as_integer(value);
  const std::shared_ptr<Port> open_port = port();
  auto update = [&](auto&& change) -> status_t {
    if (!open_port) {
      LineSettings s = settings_from_attributes();
      change(s);
      return check_line_settings(s);
    }
    return open_port->update_settings(change);
  };
  switch (id) {
    // The line settings are applied here, before they are stored, so that a value the driver
    // refuses is reported (VI_ERROR_NSUP_ATTR_STATE) and not stored.
    case attr::ASRL_BAUD:
      return update([&](LineSettings& s) { s.baud = static_cast<std::uint32_t>(v); });
    case attr::ASRL_DATA_BITS:
      return update([&](LineSettings& s) { s.data_bits = static_cast<int>(v); });
    case attr::ASRL_PARITY:
      return update([&](LineSettings& s) { s.parity = static_cast<Parity>(v); });
    case attr::ASRL_STOP_BITS:
      return update([&](LineSettings& s) { s.stop_bits = static_cast<StopBits>(v); });
    case attr::ASRL_FLOW_CNTRL:
      return update([&](LineSettings& s) { s.flow = static_cast<std::uint16_t>(v); });
    case attr::ASRL_XON_CHAR:
      return update([&](LineSettings& s) { s.xon = static_cast<std::uint8_t>(v); });
    case attr::ASRL_XOFF_CHAR:
      return update([&](LineSettings& s) { s.xoff = static_cast<std::uint8_t>(v); });
    case attr::ASRL_DTR_STATE:
    case attr::ASRL_RTS_STATE:
      if (v == static_cast<std::int64_t>(LineState::unknown)) return status::ERROR_NSUP_ATTR_STATE;
      if (!open_port) return status::SUCCESS;
      return open_port->set_modem_lines(id == attr::ASRL_DTR_STATE ? TIOCM_DTR : TIOCM_RTS, v == 1);
    case attr::ASRL_DCD_STATE:
    case attr::ASRL_RI_STATE:
      return status::ERROR_NSUP_ATTR_STATE;  // inputs of a DTE port: only a DCE could drive them
    case attr::ASRL_BREAK_STATE:
      if (v == static_cast<std::int64_t>(LineState::unknown)) return status::ERROR_NSUP_ATTR_STATE;
      return open_port ? open_port->set_break(v == 1) : status::SUCCESS;
    case attr::ASRL_ALLOW_TRANSMIT:
      return open_port ? open_port->set_transmit(v != 0) : status::SUCCESS;
    case attr::ASRL_WIRE_MODE:
      return v == kWire232Dte ? status::SUCCESS : status::ERROR_NSUP_ATTR_STATE;
    case attr::IO_PROT:
      return (v == 1 || v == kProt4882Strings) ? status::SUCCESS : status::ERROR_NSUP_ATTR_STATE;
    case attr::TRIG_ID:
      return v == kTrigSoftware ? status::SUCCESS : status::ERROR_NSUP_ATTR_STATE;
    default:
      return status::SUCCESS;
  }
}

void SerialSession::attribute_changed(attr_id_t id, const AttrValue&) {
  const std::shared_ptr<Port> open_port = port();
  if ((id == attr::ASRL_DISCARD_NULL || id == attr::ASRL_REPLACE_CHAR) && open_port)
    open_port->set_input_options(input_options());
}

status_t SerialSession::abort() {
  gate_.abort();
  return status::SUCCESS;
}

core::OutputState SerialSession::output_state() {
  if (reader_.buffered() > 0) return core::OutputState::ready;
  const std::shared_ptr<Port> open_port = port();
  if (open_port) {
    auto n = open_port->available();
    if (n && *n > 0) return core::OutputState::ready;
  }
  return core::OutputState::unknown;
}

status_t SerialSession::computed_attribute(attr_id_t id, AttrValue& value) {
  const std::shared_ptr<Port> open_port = port();
  switch (id) {
    case attr::ASRL_AVAIL_NUM: {
      if (!open_port) return status::ERROR_CONN_LOST;
      auto n = open_port->available();
      if (!n) return status::ERROR_CONN_LOST;
      value = static_cast<std::int64_t>(std::min<std::size_t>(*n + reader_.buffered(), 0xFFFFFFFFu));
      return status::SUCCESS;
    }
    case attr::ASRL_CTS_STATE:
    case attr::ASRL_DSR_STATE:
    case attr::ASRL_DCD_STATE:
    case attr::ASRL_RI_STATE:
    case attr::ASRL_DTR_STATE:
    case attr::ASRL_RTS_STATE: {
      std::optional<int> lines = open_port ? open_port->modem_lines() : std::nullopt;
      int bit = id == attr::ASRL_CTS_STATE   ? TIOCM_CTS
                : id == attr::ASRL_DSR_STATE ? TIOCM_DSR
                : id == attr::ASRL_DCD_STATE ? TIOCM_CD
                : id == attr::ASRL_RI_STATE  ? TIOCM_RI
                : id == attr::ASRL_DTR_STATE ? TIOCM_DTR
                                             : TIOCM_RTS;
      value = line_state(lines, bit);
      return status::SUCCESS;
    }
    case attr::ASRL_WIRE_MODE:
      value = kWire232Dte;
      return status::SUCCESS;
    default:
      return status::ERROR_NSUP_ATTR;
  }
}

}  // namespace cppvisa::serial
