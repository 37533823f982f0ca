// Resource-name parsing (PyVISA's ResourceName.from_string algorithm over the grammar table in
// resource_name_grammar.cpp), canonical names and the typed accessors.
#include <cppvisa/resource_name.hpp>

#include "core/resource_name_grammar.hpp"

#include <fmt/format.h>

namespace cppvisa {

using detail::FieldSpec;
using detail::Grammar;

InvalidResourceName::InvalidResourceName(const std::string& message)
    : VisaIOError(status::ERROR_INV_RSRC_NAME, message), message_(message) {}

namespace {

// Longer names are refused before any work: VISA buffers hold 256 bytes (VI_FIND_BUFLEN), so a
// name of kilobytes is a mistake, and keeping it bounded keeps error messages bounded.
constexpr std::size_t max_name_length = 4096;

struct ParseError {
  std::string message;
};

[[noreturn]] void fail(std::string message) { throw ParseError{std::move(message)}; }

[[noreturn]] void fail_syntax(std::string_view name, const Grammar& g, std::string_view detail) {
  fail(fmt::format("Could not parse '{}': the syntax is '{}' ({})", detail::printable(name), g.syntax, detail));
}

/// Splits at "::". A part that starts with '[' runs to the next ']' first, so that a bracketed
/// IPv6 host ("[fe80::1]") stays one part (PyVISA splits it: we deliberately differ).
std::vector<std::string_view> split_parts(std::string_view name, std::string_view rest) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (true) {
    std::size_t scan = pos;
    if (scan < rest.size() && rest[scan] == '[') {
      auto close = rest.find(']', scan);
      if (close == std::string_view::npos)
        fail(fmt::format("Could not parse '{}': '[' without a closing ']'", detail::printable(name)));
      scan = close + 1;
    }
    auto sep = rest.find("::", scan);
    if (sep == std::string_view::npos) {
      parts.push_back(rest.substr(pos));
      return parts;
    }
    parts.push_back(rest.substr(pos, sep - pos));
    pos = sep + 2;
  }
}

/// The classes an interface has, for the "has no X resources" message.
std::string classes_of(std::string_view interface_name) {
  std::string out;
  for (const Grammar& g : detail::grammars()) {
    if (g.interface_name != interface_name) continue;
    if (!out.empty()) out += ", ";
    out += g.resource_class;
  }
  return out;
}

void check_board(std::string_view name, const Grammar& g, std::string_view board) {
  switch (g.board) {
    case detail::BoardKind::number:
      if (!board.empty() && !detail::parse_decimal(board, 65535))
        fail_syntax(name, g, fmt::format("the board must be a number from 0 to 65535, not '{}'",
                                         detail::printable(board)));
      break;
    case detail::BoardKind::unused:
      if (!board.empty() && !detail::parse_decimal(board, 65535))
        fail_syntax(name, g, fmt::format("the board must be empty or a number, not '{}'", detail::printable(board)));
      break;
    case detail::BoardKind::any_text:
      break;
  }
}

void set_field(std::string_view name, const Grammar& g, ResourceName& out, const FieldSpec& spec,
               std::string_view value) {
  if (value.empty()) fail_syntax(name, g, fmt::format("the {} is empty", spec.label));
  std::string why = detail::check_field(spec, value);
  if (!why.empty()) fail_syntax(name, g, why);
  out.fields.emplace_back(std::string(spec.key), std::string(value));
}

/// PyVISA's from_parts: parts beyond the board fill the fields from the left; while fewer parts
/// remain than fields, a mandatory field takes the next part and an optional one its default.
void parse_fields(std::string_view name, const Grammar& g, std::span<const std::string_view> parts,
                  ResourceName& out) {
  auto fields = g.fields;
  if (parts.size() > fields.size()) fail_syntax(name, g, "too many parts");
  std::size_t next_part = 0;
  for (std::size_t f = 0; f < fields.size(); ++f) {
    const FieldSpec& spec = fields[f];
    std::size_t parts_left = parts.size() - next_part;
    std::size_t fields_left = fields.size() - f;
    if (parts_left >= fields_left) {
      set_field(name, g, out, spec, parts[next_part++]);
    } else if (spec.omittable) {
      continue;
    } else if (!spec.default_value.empty()) {
      out.fields.emplace_back(std::string(spec.key), std::string(spec.default_value));
    } else {
      if (parts_left == 0) fail_syntax(name, g, fmt::format("{} part is mandatory", spec.label));
      set_field(name, g, out, spec, parts[next_part++]);
    }
  }
}

void pxi_number(std::string_view name, const Grammar& g, ResourceName& out, std::string_view key,
                std::string_view label, std::string_view text, std::int64_t max, std::string_view keyword = {}) {
  if (!detail::parse_decimal(text, max))
    fail_syntax(name, g, fmt::format("the {} must be a number from 0 to {}, not '{}'", label, max,
                                     detail::printable(text)));
  out.fields.emplace_back(std::string(key), std::string(keyword) + std::string(text));
}

/// PXI INSTR in its three forms (VPP-4.3 §4.3.1.1): PXI[bus]::device[::function],
/// PXI[interface]::bus-device[.function] and PXI[interface]::CHASSISn::SLOTm[::FUNCk].
/// PCI limits: bus 0-255, device 0-31, function 0-7.
void parse_pxi_instr(std::string_view name, const Grammar& g, std::span<const std::string_view> parts,
                     ResourceName& out) {
  if (parts.empty()) fail_syntax(name, g, "device part is mandatory");
  for (auto p : parts)
    if (p.empty()) fail_syntax(name, g, "a part is empty");
  if (detail::istarts_with(parts[0], "CHASSIS")) {
    if (parts.size() < 2) fail_syntax(name, g, "SLOT part is mandatory after CHASSIS");
    if (parts.size() > 3) fail_syntax(name, g, "too many parts");
    pxi_number(name, g, out, "chassis", "chassis number", parts[0].substr(7), 32767, "CHASSIS");
    if (!detail::istarts_with(parts[1], "SLOT")) fail_syntax(name, g, "SLOTm must follow CHASSISn");
    pxi_number(name, g, out, "slot", "slot number", parts[1].substr(4), 32767, "SLOT");
    if (parts.size() == 3) {
      if (!detail::istarts_with(parts[2], "FUNC")) fail_syntax(name, g, "FUNCk must follow SLOTm");
      pxi_number(name, g, out, "function", "function number", parts[2].substr(4), 7, "FUNC");
    }
    return;
  }
  auto dash = parts[0].find('-');
  if (dash != std::string_view::npos) {
    if (parts.size() > 1) fail_syntax(name, g, "too many parts");
    std::string_view bus = parts[0].substr(0, dash);
    std::string_view device = parts[0].substr(dash + 1);
    std::string_view function;
    auto dot = device.find('.');
    if (dot != std::string_view::npos) {
      function = device.substr(dot + 1);
      device = device.substr(0, dot);
    }
    ResourceName scratch;
    pxi_number(name, g, scratch, "bus", "bus number", bus, 255);
    pxi_number(name, g, scratch, "device", "device number", device, 31);
    if (dot != std::string_view::npos) pxi_number(name, g, scratch, "function", "function number", function, 7);
    out.fields.emplace_back("bus_device", std::string(parts[0]));
    return;
  }
  if (parts.size() > 2) fail_syntax(name, g, "too many parts");
  pxi_number(name, g, out, "device_number", "device number", parts[0], 31);
  if (parts.size() == 2) pxi_number(name, g, out, "function_number", "function number", parts[1], 7);
}

ResourceName parse_or_throw(std::string_view name) {
  if (name.size() > max_name_length)
    fail(fmt::format("Could not parse '{}...': a resource name is at most {} characters",
                     detail::printable(name.substr(0, 64)), max_name_length));
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
      fail(fmt::format("Could not parse '{}': a resource name cannot contain control characters",
                       detail::printable(name)));

  if (!name.empty() && (name.front() == ' ' || name.back() == ' '))
    fail(fmt::format("Could not parse '{}': the name begins or ends with a space", detail::printable(name)));

  std::string_view interface_name;
  for (auto candidate : detail::interface_names())
    if (detail::istarts_with(name, candidate)) {
      interface_name = candidate;
      break;
    }
  if (interface_name.empty()) {
    std::string known;
    for (auto n : detail::interface_names()) known += (known.empty() ? "" : ", ") + std::string(n);
    fail(fmt::format("Could not parse '{}': unknown interface type (expected one of {})", detail::printable(name),
                     known));
  }

  std::string_view rest = name.substr(interface_name.size());
  std::vector<std::string_view> parts = split_parts(name, rest);

  // The class is the last part when it names one of this interface's classes. Unlike PyVISA we
  // compare case-insensitively, as VPP-4.3 says resource names are (see docs/resource-names.md).
  const Grammar* g = nullptr;
  if (parts.size() >= 2) {
    g = detail::find_grammar(interface_name, parts.back());
    if (g) {
      parts.pop_back();
    } else if (detail::is_class_word(parts.back())) {
      fail(fmt::format("Could not parse '{}': {} has no {} resources (its classes are {})", detail::printable(name),
                       interface_name, detail::to_upper(parts.back()), classes_of(interface_name)));
    }
  }
  if (!g) {
    g = detail::default_grammar(interface_name);
    if (!g) {
      std::string syntaxes;
      for (const Grammar& row : detail::grammars())
        if (row.interface_name == interface_name) syntaxes += (syntaxes.empty() ? "'" : " or '") + std::string(row.syntax) + "'";
      fail(fmt::format("Could not parse '{}': the resource class for {} is not given and has no default (the syntax "
                       "is {})",
                       detail::printable(name), interface_name, syntaxes));
    }
  }

  for (auto part : parts)
    if (!part.empty() && (part.front() == ':' || part.back() == ':'))
      fail_syntax(name, *g, fmt::format("'{}' cannot begin or end with ':'", detail::printable(part)));

  ResourceName out;
  out.interface_type = g->type;
  out.interface_name = std::string(g->interface_name);
  out.resource_class = std::string(g->resource_class);
  out.user = std::string(name);
  std::string_view board = parts.empty() ? std::string_view{} : parts.front();
  check_board(name, *g, board);
  out.board = board.empty() && g->board != detail::BoardKind::unused ? "0" : std::string(board);

  std::span<const std::string_view> field_parts(parts);
  if (!field_parts.empty()) field_parts = field_parts.subspan(1);
  if (g->pxi_instr) parse_pxi_instr(name, *g, field_parts, out);
  else parse_fields(name, *g, field_parts, out);
  return out;
}

std::optional<std::int64_t> number_field(const ResourceName& r, std::string_view key, std::int64_t max) {
  auto value = r.field(key);
  if (!value) return std::nullopt;
  return detail::parse_decimal(*value, max);
}

}  // namespace

ResourceName ResourceName::parse(std::string_view name) {
  try {
    return parse_or_throw(name);
  } catch (const ParseError& e) {
    throw InvalidResourceName(e.message);
  }
}

std::optional<ResourceName> ResourceName::parse(std::string_view name, std::error_code& ec, std::string* message) {
  try {
    ResourceName r = parse_or_throw(name);
    ec.clear();
    return r;
  } catch (const ParseError& e) {
    ec = make_error_code(status::ERROR_INV_RSRC_NAME);
    if (message) *message = e.message;
    return std::nullopt;
  }
}

std::string ResourceName::canonical() const {
  std::string out = interface_name + board;
  for (const auto& [key, value] : fields) out += "::" + value;
  out += "::" + resource_class;
  return out;
}

std::optional<std::string_view> ResourceName::field(std::string_view name) const {
  for (const auto& [key, value] : fields)
    if (key == name) return std::string_view(value);
  return std::nullopt;
}

std::optional<int> ResourceName::board_number() const {
  if (interface_type == InterfaceType::vicp) return std::nullopt;
  auto n = detail::parse_decimal(board, 65535);
  if (!n) return std::nullopt;
  return static_cast<int>(*n);
}

ResourceInfo ResourceName::info() const {
  ResourceInfo i;
  i.interface_type = interface_type;
  i.interface_board_number = board_number();
  i.resource_class = resource_class;
  i.resource_name = canonical();
  return i;
}

std::string ResourceName::host_address() const {
  auto host = field("host_address");
  if (!host) return {};
  std::string_view h = *host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  return std::string(h);
}

std::optional<std::uint16_t> ResourceName::port() const {
  if (auto p = number_field(*this, "port", 65535)) return static_cast<std::uint16_t>(*p);
  if (is_hislip()) {
    std::string_view device = *field("lan_device_name");
    auto comma = device.find(',');
    if (comma == std::string_view::npos) return std::nullopt;
    if (auto p = detail::parse_decimal(device.substr(comma + 1), 65535)) return static_cast<std::uint16_t>(*p);
  }
  return std::nullopt;
}

std::string ResourceName::lan_device_name() const {
  auto device = field("lan_device_name");
  return device ? std::string(*device) : std::string();
}

bool ResourceName::is_hislip() const {
  auto device = field("lan_device_name");
  return interface_type == InterfaceType::tcpip && device && detail::istarts_with(*device, "hislip");
}

std::optional<int> ResourceName::primary_address() const {
  if (interface_type != InterfaceType::gpib) return std::nullopt;
  auto n = number_field(*this, "primary_address", 30);
  return n ? std::optional<int>(static_cast<int>(*n)) : std::nullopt;
}

std::optional<int> ResourceName::secondary_address() const {
  if (interface_type != InterfaceType::gpib) return std::nullopt;
  auto n = number_field(*this, "secondary_address", 30);
  return n ? std::optional<int>(static_cast<int>(*n)) : std::nullopt;
}

std::string resource_syntax(std::string_view interface_name, std::string_view resource_class) {
  const Grammar* g = detail::find_grammar(interface_name, resource_class);
  return g ? std::string(g->syntax) : std::string();
}

std::string to_canonical_name(std::string_view name) { return ResourceName::parse(name).canonical(); }

}  // namespace cppvisa
