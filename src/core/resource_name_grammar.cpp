// The resource-name grammar table (PyVISA's pyvisa.rname registrations plus the VISA classes it
// lacks: GPIB SERVANT, GPIB-VXI, PXI INSTR) and the checks of each field's text.
#include "core/resource_name_grammar.hpp"

#include "core/ascii.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>

namespace cppvisa::detail {
namespace {

using FC = FieldCheck;

// Numeric ranges where VPP-4.3 (§4.3.1.1, resource string grammar) or the bus defines them:
// GPIB addresses are 0-30 (secondary addresses as numbers 0-30, not the 96-126 command bytes),
// VXI logical addresses 0-255, TCP ports 1-65535, USB interface numbers 0-255 (bInterfaceNumber).
constexpr FieldSpec gpib_instr[] = {
    {"primary_address", "primary address", "", false, FC::number, 0, 30},
    {"secondary_address", "secondary address", "", true, FC::number, 0, 30},
};
constexpr FieldSpec tcpip_instr[] = {
    {"host_address", "host address", "", false, FC::host, 0, 0},
    {"lan_device_name", "LAN device name", "inst0", false, FC::lan_device, 0, 0},
};
constexpr FieldSpec tcpip_socket[] = {
    {"host_address", "host address", "", false, FC::host, 0, 0},
    {"port", "port", "", false, FC::number, 1, 65535},
};
constexpr FieldSpec usb_fields[] = {
    {"manufacturer_id", "manufacturer ID", "", false, FC::usb_id, 0, 0xFFFF},
    {"model_code", "model code", "", false, FC::usb_id, 0, 0xFFFF},
    {"serial_number", "serial number", "", false, FC::text, 0, 0},
    {"usb_interface_number", "USB interface number", "0", false, FC::number, 0, 255},
};
constexpr FieldSpec vxi_instr[] = {
    {"vxi_logical_address", "VXI logical address", "", false, FC::number, 0, 255},
};
// VPP-4.3: VXI[board][::VXI logical address]::BACKPLANE, the mainframe LA defaulting to 0.
constexpr FieldSpec vxi_backplane[] = {
    {"vxi_logical_address", "VXI logical address", "0", false, FC::number, 0, 255},
};
constexpr FieldSpec pxi_backplane[] = {
    {"chassis_number", "chassis number", "", false, FC::number, 0, 32767},
};
constexpr FieldSpec host_only[] = {
    {"host_address", "host address", "", false, FC::host, 0, 0},
};
constexpr FieldSpec prlgx_tcpip[] = {
    {"host_address", "host address", "", false, FC::host, 0, 0},
    {"port", "port", "1234", false, FC::number, 1, 65535},
};
constexpr FieldSpec prlgx_asrl[] = {
    {"serial_device", "serial device", "", false, FC::text, 0, 0},
};

constexpr std::span<const FieldSpec> none{};

constexpr Grammar table[] = {
    {InterfaceType::gpib, "GPIB", "INSTR", "GPIB[board]::primary address[::secondary address][::INSTR]", true,
     BoardKind::number, gpib_instr},
    {InterfaceType::gpib, "GPIB", "INTFC", "GPIB[board]::INTFC", false, BoardKind::number, none},
    {InterfaceType::gpib, "GPIB", "SERVANT", "GPIB[board]::SERVANT", false, BoardKind::number, none},
    {InterfaceType::asrl, "ASRL", "INSTR", "ASRL[board][::INSTR]", true, BoardKind::any_text, none},
    {InterfaceType::tcpip, "TCPIP", "INSTR", "TCPIP[board]::host address[::LAN device name][::INSTR]", true,
     BoardKind::number, tcpip_instr},
    {InterfaceType::tcpip, "TCPIP", "SOCKET", "TCPIP[board]::host address::port::SOCKET", false, BoardKind::number,
     tcpip_socket},
    {InterfaceType::usb, "USB", "INSTR",
     "USB[board]::manufacturer ID::model code::serial number[::USB interface number][::INSTR]", true,
     BoardKind::number, usb_fields},
    {InterfaceType::usb, "USB", "RAW",
     "USB[board]::manufacturer ID::model code::serial number[::USB interface number]::RAW", false,
     BoardKind::number, usb_fields},
    {InterfaceType::vxi, "VXI", "INSTR", "VXI[board]::VXI logical address[::INSTR]", true, BoardKind::number,
     vxi_instr},
    {InterfaceType::vxi, "VXI", "MEMACC", "VXI[board]::MEMACC", false, BoardKind::number, none},
    {InterfaceType::vxi, "VXI", "BACKPLANE", "VXI[board][::VXI logical address]::BACKPLANE", false,
     BoardKind::number, vxi_backplane},
    {InterfaceType::vxi, "VXI", "SERVANT", "VXI[board]::SERVANT", false, BoardKind::number, none},
    {InterfaceType::gpib_vxi, "GPIB-VXI", "INSTR", "GPIB-VXI[board]::VXI logical address[::INSTR]", true,
     BoardKind::number, vxi_instr},
    {InterfaceType::gpib_vxi, "GPIB-VXI", "MEMACC", "GPIB-VXI[board]::MEMACC", false, BoardKind::number, none},
    {InterfaceType::gpib_vxi, "GPIB-VXI", "BACKPLANE", "GPIB-VXI[board][::VXI logical address]::BACKPLANE", false,
     BoardKind::number, vxi_backplane},
    {InterfaceType::pxi, "PXI", "INSTR",
     "PXI[bus]::device[::function][::INSTR] or PXI[interface]::bus-device[.function][::INSTR] or "
     "PXI[interface]::CHASSISn::SLOTm[::FUNCk][::INSTR]",
     true, BoardKind::number, none, true},
    {InterfaceType::pxi, "PXI", "MEMACC", "PXI[interface]::MEMACC", false, BoardKind::number, none},
    {InterfaceType::pxi, "PXI", "BACKPLANE", "PXI[interface]::chassis number::BACKPLANE", false, BoardKind::number,
     pxi_backplane},
    {InterfaceType::vicp, "VICP", "INSTR", "VICP::host address[::INSTR]", true, BoardKind::unused, host_only},
    {InterfaceType::prlgx_tcpip, "PRLGX-TCPIP", "INTFC", "PRLGX-TCPIP[board]::host address[::port]::INTFC", false,
     BoardKind::number, prlgx_tcpip},
    {InterfaceType::prlgx_asrl, "PRLGX-ASRL", "INTFC", "PRLGX-ASRL[board]::serial device::INTFC", false,
     BoardKind::number, prlgx_asrl},
    {InterfaceType::ni_enet100_tcpip, "NI-ENET100-TCPIP", "INTFC", "NI-ENET100-TCPIP[board]::host address::INTFC",
     false, BoardKind::number, host_only},
};

// Longest first where one name is a prefix of another.
constexpr std::string_view names[] = {"GPIB-VXI", "GPIB", "ASRL", "TCPIP", "USB", "VXI", "PXI", "VICP",
                                      "PRLGX-TCPIP", "PRLGX-ASRL", "NI-ENET100-TCPIP"};

constexpr std::string_view class_words[] = {"INSTR", "INTFC", "SOCKET", "RAW", "MEMACC", "BACKPLANE", "SERVANT"};

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
bool is_alnum(char c) noexcept {
  return core::is_ascii_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string check_host(std::string_view host) {
  if (host.front() == '[') {
    // RFC 3986 IP-literal: "[" IPv6address "]" (with an optional %zone, RFC 6874).
    if (host.size() < 3 || host.back() != ']')
      return fmt::format("an IPv6 host address must be written [address], not '{}'", printable(host));
    std::string_view inner = host.substr(1, host.size() - 2);
    auto zone = inner.find('%');
    std::string_view address = inner.substr(0, zone);
    bool has_colon = address.find(':') != std::string_view::npos;
    bool ok = has_colon;
    for (char c : address) ok = ok && (std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.');
    if (zone != std::string_view::npos) {
      std::string_view zone_id = inner.substr(zone + 1);
      ok = ok && !zone_id.empty();
      for (char c : zone_id) ok = ok && (is_alnum(c) || c == '-' || c == '_' || c == '.');
    }
    if (!ok) return fmt::format("'{}' is not a bracketed IPv6 address", printable(host));
    return {};
  }
  // "host:port" (one colon, then a decimal port) is accepted as an opaque host, as PyVISA does:
  // PyVISA-sim's default instruments are named TCPIP::localhost:2222::INSTR.
  if (auto colon = host.find(':'); colon != std::string_view::npos && colon > 0 &&
      host.find(':', colon + 1) == std::string_view::npos) {
    std::string_view port = host.substr(colon + 1);
    bool digits = !port.empty() && port.size() <= 5;
    for (char c : port) digits = digits && core::is_ascii_digit(c);
    if (digits) host = host.substr(0, colon);
  }
  for (char c : host) {
    if (c == ':')
      return fmt::format("host address '{}' contains ':' (write IPv6 addresses in brackets, e.g. [fe80::1], "
                         "and a port as its own field)",
                         printable(host));
    if (!(is_alnum(c) || c == '-' || c == '.' || c == '_' || static_cast<unsigned char>(c) >= 0x80))
      return fmt::format("host address '{}' contains the character '{}'", printable(host),
                         printable(std::string_view(&c, 1)));
  }
  return {};
}

std::string check_lan_device(std::string_view name) {
  for (char c : name)
    if (c == ' ' || c == '[' || c == ']')
      return fmt::format("LAN device name '{}' contains the character '{}'", printable(name), c);
  if (!istarts_with(name, "hislip")) return {};
  // IVI-6.1 §2.2: the HiSLIP device name is hislipN, optionally followed by ",port".
  std::string_view rest = name.substr(6);
  auto comma = rest.find(',');
  std::string_view sub = rest.substr(0, comma);
  for (char c : sub)
    if (!core::is_ascii_digit(c)) return fmt::format("a HiSLIP device name is hislipN[,port], not '{}'", printable(name));
  if (comma != std::string_view::npos) {
    auto port = parse_decimal(rest.substr(comma + 1), 65535);
    if (!port || *port < 1)
      return fmt::format("the HiSLIP port in '{}' must be a number from 1 to 65535", printable(name));
  }
  return {};
}

}  // namespace

std::span<const Grammar> grammars() noexcept { return table; }
std::span<const std::string_view> interface_names() noexcept { return names; }

const Grammar* find_grammar(std::string_view interface_name, std::string_view resource_class) noexcept {
  for (const Grammar& g : table)
    if (iequals(g.interface_name, interface_name) && iequals(g.resource_class, resource_class)) return &g;
  return nullptr;
}

const Grammar* default_grammar(std::string_view interface_name) noexcept {
  for (const Grammar& g : table)
    if (g.default_class && iequals(g.interface_name, interface_name)) return &g;
  return nullptr;
}

bool is_class_word(std::string_view word) noexcept {
  for (auto w : class_words)
    if (iequals(w, word)) return true;
  return false;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

std::string to_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = upper(c);
  return out;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower(c);
  return out;
}

std::optional<std::int64_t> parse_decimal(std::string_view text, std::int64_t max) noexcept {
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (!core::is_ascii_digit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
    if (value > max) return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> parse_usb_id(std::string_view text) noexcept {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    std::int64_t value = 0;
    for (char c : text.substr(2)) {
      int digit;
      if (core::is_ascii_digit(c)) digit = c - '0';
      else if (lower(c) >= 'a' && lower(c) <= 'f') digit = lower(c) - 'a' + 10;
      else return std::nullopt;
      value = value * 16 + digit;
      if (value > 0xFFFF) return std::nullopt;
    }
    return value;
  }
  return parse_decimal(text, 0xFFFF);
}

std::string check_field(const FieldSpec& spec, std::string_view value) {
  switch (spec.check) {
    case FieldCheck::text:
      return {};
    case FieldCheck::number:
      if (!parse_decimal(value, spec.max) || *parse_decimal(value, spec.max) < spec.min)
        return fmt::format("{} must be a number from {} to {}, not '{}'", spec.label, spec.min, spec.max,
                           printable(value));
      return {};
    case FieldCheck::usb_id:
      if (!parse_usb_id(value))
        return fmt::format("{} must be a 16-bit number, hexadecimal (0x1234) or decimal, not '{}'", spec.label,
                           printable(value));
      return {};
    case FieldCheck::host:
      return check_host(value);
    case FieldCheck::lan_device:
      return check_lan_device(value);
  }
  return {};
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  return out;
}

}  // namespace cppvisa::detail
