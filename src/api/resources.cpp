// The typed resource classes (resources.hpp).
#include <cppvisa/resources.hpp>

#include "api/session_link.hpp"

#include <cppvisa/status.hpp>

#include <fmt/format.h>

#include <chrono>
#include <map>

namespace cppvisa {

// ---- SerialInstrument ----

std::uint32_t SerialInstrument::baud_rate() const { return static_cast<std::uint32_t>(get_int_attribute(attr::ASRL_BAUD)); }
void SerialInstrument::set_baud_rate(std::uint32_t baud) { set_visa_attribute(attr::ASRL_BAUD, std::int64_t{baud}); }
std::uint16_t SerialInstrument::data_bits() const { return static_cast<std::uint16_t>(get_int_attribute(attr::ASRL_DATA_BITS)); }
void SerialInstrument::set_data_bits(std::uint16_t bits) { set_visa_attribute(attr::ASRL_DATA_BITS, std::int64_t{bits}); }
Parity SerialInstrument::parity() const { return static_cast<Parity>(get_int_attribute(attr::ASRL_PARITY)); }
void SerialInstrument::set_parity(Parity p) { set_visa_attribute(attr::ASRL_PARITY, static_cast<std::int64_t>(p)); }
StopBits SerialInstrument::stop_bits() const { return static_cast<StopBits>(get_int_attribute(attr::ASRL_STOP_BITS)); }
void SerialInstrument::set_stop_bits(StopBits s) { set_visa_attribute(attr::ASRL_STOP_BITS, static_cast<std::int64_t>(s)); }
FlowControl SerialInstrument::flow_control() const { return static_cast<FlowControl>(get_int_attribute(attr::ASRL_FLOW_CNTRL)); }
void SerialInstrument::set_flow_control(FlowControl f) {
  set_visa_attribute(attr::ASRL_FLOW_CNTRL, static_cast<std::int64_t>(f));
}
SerialTermination SerialInstrument::end_input() const {
  return static_cast<SerialTermination>(get_int_attribute(attr::ASRL_END_IN));
}
void SerialInstrument::set_end_input(SerialTermination t) {
  set_visa_attribute(attr::ASRL_END_IN, static_cast<std::int64_t>(t));
}
SerialTermination SerialInstrument::end_output() const {
  return static_cast<SerialTermination>(get_int_attribute(attr::ASRL_END_OUT));
}
void SerialInstrument::set_end_output(SerialTermination t) {
  set_visa_attribute(attr::ASRL_END_OUT, static_cast<std::int64_t>(t));
}
std::uint32_t SerialInstrument::bytes_in_buffer() const {
  return static_cast<std::uint32_t>(get_int_attribute(attr::ASRL_AVAIL_NUM));
}
bool SerialInstrument::discard_null() const { return get_int_attribute(attr::ASRL_DISCARD_NULL) != 0; }
void SerialInstrument::set_discard_null(bool on) { set_visa_attribute(attr::ASRL_DISCARD_NULL, std::int64_t{on}); }
std::int16_t SerialInstrument::break_length() const {
  return static_cast<std::int16_t>(get_int_attribute(attr::ASRL_BREAK_LEN));
}
void SerialInstrument::set_break_length(std::int16_t ms) { set_visa_attribute(attr::ASRL_BREAK_LEN, std::int64_t{ms}); }

namespace {

/// A property that maps straight to an integer VISA attribute.
Resource::Property int_attribute_property(attr_id_t id, bool writable);

}  // namespace

const Resource::Property* SerialInstrument::find_property(std::string_view name) const {
  struct Row {
    const char* name;
    attr_id_t id;
    bool writable;
  };
  static const Row rows[] = {
      {"baud_rate", attr::ASRL_BAUD, true},           {"data_bits", attr::ASRL_DATA_BITS, true},
      {"parity", attr::ASRL_PARITY, true},            {"stop_bits", attr::ASRL_STOP_BITS, true},
      {"flow_control", attr::ASRL_FLOW_CNTRL, true},  {"bytes_in_buffer", attr::ASRL_AVAIL_NUM, false},
      {"discard_null", attr::ASRL_DISCARD_NULL, true}, {"allow_transmit", attr::ASRL_ALLOW_TRANSMIT, true},
      {"end_input", attr::ASRL_END_IN, true},         {"end_output", attr::ASRL_END_OUT, true},
      {"break_length", attr::ASRL_BREAK_LEN, true},   {"break_state", attr::ASRL_BREAK_STATE, true},
      {"replace_char", attr::ASRL_REPLACE_CHAR, true}, {"xon_char", attr::ASRL_XON_CHAR, true},
      {"xoff_char", attr::ASRL_XOFF_CHAR, true},
  };
  static const std::map<std::string, Property, std::less<>> table = [] {
    std::map<std::string, Property, std::less<>> t;
    for (const auto& r : rows) t.emplace(r.name, int_attribute_property(r.id, r.writable));
    return t;
  }();
  auto it = table.find(name);
  return it != table.end() ? &it->second : MessageBasedResource::find_property(name);
}

void SerialInstrument::collect_property_names(std::vector<std::string>& out) const {
  MessageBasedResource::collect_property_names(out);
  for (const char* n : {"baud_rate", "data_bits", "parity", "stop_bits", "flow_control", "bytes_in_buffer",
                        "discard_null", "allow_transmit", "end_input", "end_output", "break_length", "break_state",
                        "replace_char", "xon_char", "xoff_char"})
    out.emplace_back(n);
}

namespace {

Resource::Property int_attribute_property(attr_id_t id, bool writable) {
  Resource::Property p;
  p.get = [id](const Resource& r) -> PropertyValue { return r.get_int_attribute(id); };
  if (writable) {
    p.set = [id](Resource& r, const PropertyValue& v) {
      const AttrInfo* info = find_attribute(id);
      r.set_visa_attribute(id, property::to_int(v, info ? info->name : "attribute"));
    };
  }
  return p;
}

}  // namespace

// ---- REN ----

void ControlRenResource::control_ren(RenMode mode) { check(backend_->gpib_control_ren(session(), mode)); }
void ControlRenResource::control_ren(RenMode mode, std::error_code& ec) {
  if (!is_open()) return (void)(ec = make_error_code(status::ERROR_INV_OBJECT));
  check(backend_->gpib_control_ren(link_->session, mode), ec);
}

// ---- TCPIP INSTR: HiSLIP secure connections and authentication ----

bool TCPIPInstrument::encrypted() const { return get_int_attribute(attr::TCPIP_HISLIP_ENCRYPTION_EN) != 0; }
void TCPIPInstrument::set_encryption(bool on) { set_visa_attribute(attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{on}); }
std::string TCPIPInstrument::tls_ca_file() const { return get_string_attribute(attr::CPPVISA_TLS_CA_FILE); }
void TCPIPInstrument::set_tls_ca_file(const std::string& pem_file) { set_visa_attribute(attr::CPPVISA_TLS_CA_FILE, pem_file); }
std::string TCPIPInstrument::tls_fingerprint() const { return get_string_attribute(attr::CPPVISA_TLS_FINGERPRINT); }
void TCPIPInstrument::set_tls_fingerprint(const std::string& sha256) {
  set_visa_attribute(attr::CPPVISA_TLS_FINGERPRINT, sha256);
}
bool TCPIPInstrument::tls_verify() const { return get_int_attribute(attr::CPPVISA_TLS_VERIFY_EN) != 0; }
void TCPIPInstrument::set_tls_verify(bool on) { set_visa_attribute(attr::CPPVISA_TLS_VERIFY_EN, std::int64_t{on}); }
void TCPIPInstrument::set_sasl_credentials(const std::string& user, const std::string& password,
                                           const std::string& mechanism) {
  auto serial = serialise();  // the three together
  set_visa_attribute(attr::CPPVISA_SASL_MECHANISM, mechanism);
  set_visa_attribute(attr::CPPVISA_SASL_USER, user);
  set_visa_attribute(attr::CPPVISA_SASL_PASSWORD, password);
}
bool TCPIPInstrument::authenticated() const { return get_int_attribute(attr::CPPVISA_SASL_AUTHENTICATED) != 0; }
void TCPIPInstrument::authenticate() { set_visa_attribute(attr::CPPVISA_SASL_AUTHENTICATED, std::int64_t{1}); }

// ---- USB ----

std::string USBInstrument::serial_number() const { return get_string_attribute(attr::USB_SERIAL_NUM); }
std::uint16_t USBInstrument::manufacturer_id() const { return static_cast<std::uint16_t>(get_int_attribute(attr::MANF_ID)); }
std::uint16_t USBInstrument::model_code() const { return static_cast<std::uint16_t>(get_int_attribute(attr::MODEL_CODE)); }
std::string USBInstrument::manufacturer_name() const { return get_string_attribute(attr::MANF_NAME); }
std::string USBInstrument::model_name() const { return get_string_attribute(attr::MODEL_NAME); }

std::vector<std::byte> USBInstrument::control_in(std::int16_t request_type, std::int16_t request, std::uint16_t value,
                                                 std::uint16_t index, std::uint16_t length) {
  std::vector<std::byte> buffer(length);
  std::size_t count = 0;
  check(backend_->usb_control_in(session(), request_type, request, value, index, buffer, count));
  buffer.resize(count);
  return buffer;
}

void USBInstrument::control_out(std::int16_t request_type, std::int16_t request, std::uint16_t value,
                                std::uint16_t index, std::span<const std::byte> data) {
  check(backend_->usb_control_out(session(), request_type, request, value, index, data));
}

// ---- GPIB ----

std::uint16_t GPIBInstrument::primary_address() const {
  return static_cast<std::uint16_t>(get_int_attribute(attr::GPIB_PRIMARY_ADDR));
}
std::uint16_t GPIBInstrument::secondary_address() const {
  return static_cast<std::uint16_t>(get_int_attribute(attr::GPIB_SECONDARY_ADDR));
}

void GPIBInstrument::wait_for_srq(std::uint32_t timeout_ms) {
  enable_event(event::service_request, EventMechanism::queue);
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    std::uint32_t remaining = tmo_infinite;
    if (timeout_ms != tmo_infinite) {
      auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
      remaining = elapsed >= timeout_ms ? 0 : static_cast<std::uint32_t>(timeout_ms - elapsed);
    }
    wait_on_event(event::service_request, remaining);
    if (read_stb() & 0x40) break;
  }
  discard_events(event::service_request, EventMechanism::queue);
}

std::size_t GPIBInterface::send_command(std::span<const std::byte> data) {
  std::size_t count = 0;
  check(backend_->gpib_command(session(), data, count));
  return count;
}
void GPIBInterface::send_ifc() { check(backend_->gpib_send_ifc(session())); }
void GPIBInterface::control_atn(std::uint16_t mode) { check(backend_->gpib_control_atn(session(), mode)); }
void GPIBInterface::pass_control(std::uint16_t primary, std::uint16_t secondary) {
  check(backend_->gpib_pass_control(session(), primary, secondary));
}

}  // namespace cppvisa
