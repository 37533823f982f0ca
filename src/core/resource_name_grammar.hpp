// The table of resource-name grammars: one row per (interface type, resource class), with the
// fields that follow the board, their defaults and how each is validated. Internal to
// resource_name.cpp and the query code (attribute_from_name).
#pragma once

#include <cppvisa/types.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cppvisa::detail {

/// How a field's text is checked.
enum class FieldCheck : std::uint8_t {
  text,        ///< any non-empty text (USB serial number, serial device)
  number,      ///< decimal integer within [min, max]
  usb_id,      ///< 0x-prefixed hex or decimal, 0..0xFFFF
  host,        ///< host name, IPv4 address or bracketed IPv6 address
  lan_device,  ///< VXI-11 device name (inst0, gpib0,5) or HiSLIP hislipN[,port]
};

/// One field after the board.
struct FieldSpec {
  std::string_view key;     ///< "host_address"
  std::string_view label;   ///< "host address" (as in the syntax and in messages)
  /// Default used when the field is left out; empty = mandatory (unless `omittable`).
  std::string_view default_value;
  bool omittable = false;   ///< optional without a default: absent fields are not listed (GPIB secondary)
  FieldCheck check = FieldCheck::text;
  std::int64_t min = 0;
  std::int64_t max = 0;
};

/// What the board text may be.
enum class BoardKind : std::uint8_t {
  number,        ///< decimal 0..65535, default "0"
  any_text,      ///< ASRL: a number or a device path ("/dev/ttyUSB0", "COM1"), default "0"
  unused,        ///< VICP: no board (digits accepted and kept, default none)
};

/// One grammar row.
struct Grammar {
  InterfaceType type;
  std::string_view interface_name;  ///< canonical prefix, e.g. "PRLGX-TCPIP"
  std::string_view resource_class;  ///< "INSTR"
  std::string_view syntax;          ///< shown in error messages
  bool default_class;               ///< the class used when the name gives none
  BoardKind board;
  std::span<const FieldSpec> fields;
  bool pxi_instr = false;           ///< PXI INSTR: three syntaxes, parsed by hand
};

/// All grammar rows.
std::span<const Grammar> grammars() noexcept;
/// The interface names, longest first where one is a prefix of another ("GPIB-VXI" before "GPIB").
std::span<const std::string_view> interface_names() noexcept;
/// The grammar of an (interface, class) pair, both case-insensitive; nullptr when none.
const Grammar* find_grammar(std::string_view interface_name, std::string_view resource_class) noexcept;
/// The default-class grammar of an interface; nullptr when the interface has no default class.
const Grammar* default_grammar(std::string_view interface_name) noexcept;
/// Whether `word` is one of the resource class words (INSTR, SOCKET, ...), case-insensitive.
bool is_class_word(std::string_view word) noexcept;

/// ASCII helpers shared by the name and query code.
bool iequals(std::string_view a, std::string_view b) noexcept;
bool istarts_with(std::string_view text, std::string_view prefix) noexcept;
std::string to_upper(std::string_view text);
std::string to_lower(std::string_view text);

/// Parses a decimal integer (digits only); nullopt when not digits or above `max`.
std::optional<std::int64_t> parse_decimal(std::string_view text, std::int64_t max) noexcept;
/// Parses a USB id: "0x"-prefixed hex or decimal; nullopt when malformed or above 0xFFFF.
std::optional<std::int64_t> parse_usb_id(std::string_view text) noexcept;

/// Checks a field's text; returns an empty string when valid, else the reason
/// ("primary address must be a number from 0 to 30, not '31'").
std::string check_field(const FieldSpec& spec, std::string_view value);

/// The name with control and non-ASCII bytes escaped (\xNN), for error messages.
std::string printable(std::string_view text);

}  // namespace cppvisa::detail
