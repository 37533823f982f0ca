/// @file resource_query.hpp
/// @brief The VISA resource regular expression (viFindRsrc / list_resources) and its attribute filter.
///
/// Syntax (VPP-4.3 §4.4.2): `?` any one character, `*` zero or more and `+` one or more of the
/// preceding character or group, `[list]` / `[^list]` with ranges, `a|b` alternatives of whole
/// expressions, `(exp)` grouping, `\c` a literal c; every other character (including `.`) is a
/// literal. Matching is case-insensitive. An optional attribute filter follows in braces:
/// `USB?*{VI_ATTR_MANF_ID == 0x0957 && VI_ATTR_MODEL_CODE != 0x0101}` with ==, !=, <, >, <=, >=,
/// !, &&, ||, parentheses, integer (decimal/hex) and quoted string literals.
///
/// MatchMode::visa (the default) matches the whole name, as the specification says.
/// MatchMode::pyvisa reproduces PyVISA's `rname.filter`, which matches only a prefix of the name
/// (`ASRL1` selects `ASRL11::INSTR` too) and translates nothing but `?`.
#pragma once

#include <cppvisa/attributes.hpp>
#include <cppvisa/export.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa {

/// How a ResourceQuery matches names (see the file comment): `visa` whole-name VPP-4.3 matching,
/// `pyvisa` PyVISA's prefix matching.
enum class MatchMode { visa, pyvisa };

/// Gives an attribute's value for a resource name while filtering; nullopt when the resource has
/// no such attribute (then the resource does not match).
using AttributeLookup = std::function<std::optional<AttrValue>(std::string_view resource_name, attr_id_t id)>;

/// A compiled resource expression.
class CPPVISA_API ResourceQuery {
 public:
  /// @throws VisaIOError(VI_ERROR_INV_EXPR) for a malformed expression or an unknown attribute name.
  explicit ResourceQuery(std::string_view expression, MatchMode mode = MatchMode::visa);
  ~ResourceQuery();
  ResourceQuery(ResourceQuery&&) noexcept;  ///< moves the compiled expression
  ResourceQuery& operator=(ResourceQuery&&) noexcept;  ///< moves the compiled expression

  /// Whether the name matches the regular-expression part.
  bool matches_name(std::string_view resource_name) const;
  /// Whether the name matches the expression and the attribute filter (lookup may be empty when
  /// there is no filter; with a filter and no lookup, attributes come from the parsed name).
  bool matches(std::string_view resource_name, const AttributeLookup& lookup = {}) const;
  bool has_attribute_filter() const noexcept;  ///< whether the expression has a `{...}` attribute filter

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Keeps the names that match, in input order. @throws VisaIOError(VI_ERROR_INV_EXPR).
CPPVISA_API std::vector<std::string> filter_resources(const std::vector<std::string>& names,
                                                      std::string_view expression,
                                                      MatchMode mode = MatchMode::visa,
                                                      const AttributeLookup& lookup = {});

/// Attribute values known from a resource name alone (PyVISA's filter2 table: INTF_NUM,
/// MANF_ID, MODEL_CODE, USB_SERIAL_NUM, USB_INTFC_NUM, TCPIP_ADDR, TCPIP_DEVICE_NAME, TCPIP_PORT,
/// GPIB_PRIMARY_ADDR, GPIB_SECONDARY_ADDR, PXI_CHASSIS, MAINFRAME_LA, plus INTF_TYPE and RSRC_CLASS).
CPPVISA_API std::optional<AttrValue> attribute_from_name(std::string_view resource_name, attr_id_t id);

}  // namespace cppvisa
