/// @file attributes.hpp
/// @brief The VISA attribute table (attributes.def): ids, value types, access, defaults and ranges.
#pragma once

#include <cppvisa/export.hpp>
#include <cppvisa/types.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace cppvisa {

/// Attribute ids: `cppvisa::attr::TMO_VALUE` is VI_ATTR_TMO_VALUE.
namespace attr {
/// X-macro over attributes.def: one `attr::NAME` constant per row (the VI_ATTR_ prefix dropped).
#define CPPVISA_ATTR(name, visa_name, id, type, access, scope, has_def, def, lo, hi, classes) \
  inline constexpr attr_id_t name = id##u;
#include <cppvisa/attributes.def>
#undef CPPVISA_ATTR
/// VI_ATTR_USER_DATA (VI_ATTR_USER_DATA_64 on LP64, as visa.h defines it).
inline constexpr attr_id_t USER_DATA = USER_DATA_64;
inline constexpr attr_id_t RET_COUNT = RET_COUNT_64;  ///< VI_ATTR_RET_COUNT (VI_ATTR_RET_COUNT_64 on LP64)
}  // namespace attr

/// The C type of an attribute value (its width in viGetAttribute).
enum class AttrType : std::uint8_t { U8, U16, I16, U32, I32, U64, BOOL, STRING, PTR, BYTES };

/// An attribute value: integers (any width, sign-interpreted by AttrType) or a string.
using AttrValue = std::variant<std::int64_t, std::string>;

/// One row of the attribute table.
struct AttrInfo {
  std::string_view name;     ///< "VI_ATTR_TMO_VALUE"
  attr_id_t id;  ///< VI_ATTR_* value
  AttrType type;  ///< the C type (and width) of the value
  bool read_only;  ///< viSetAttribute gives VI_ERROR_ATTR_READONLY
  bool local;                ///< local to a session (else global to the resource)
  bool has_default;  ///< whether default_value is meaningful
  std::int64_t default_value;  ///< the value a new session starts with (integers only)
  std::int64_t min;          ///< numeric range (for U64 stored as int64: the full range)
  std::int64_t max;  ///< upper bound of the numeric range
  std::string_view classes;  ///< "ALL", "MSG", "ASRL/INSTR,GPIB/INSTR", "ev:io_completion", ""
};

/// Looks an attribute up by id; nullptr when unknown.
CPPVISA_API const AttrInfo* find_attribute(attr_id_t id) noexcept;
/// Looks an attribute up by its VISA name ("VI_ATTR_TMO_VALUE", case-sensitive); nullptr when unknown.
CPPVISA_API const AttrInfo* find_attribute(std::string_view visa_name) noexcept;
/// All rows of the table.
CPPVISA_API const AttrInfo* attribute_table(std::size_t& count) noexcept;

/// Size in bytes of a value of this type as viGetAttribute writes it (strings: 256).
CPPVISA_API std::size_t attr_type_size(AttrType t) noexcept;

/// Truncates a raw 64-bit ViAttrState to the attribute's width and sign-interprets it
/// (PyVISA 1.11.3 zero-extends -1 to 0xFFFFFFFF, master sign-extends).
CPPVISA_API std::int64_t normalize_attr_integer(AttrType t, std::uint64_t raw) noexcept;

/// Whether an attribute applies to sessions of this interface type and resource class
/// (the table's class list; "ALL" and "" apply to every I/O session).
CPPVISA_API bool attribute_applies_to(const AttrInfo& info, InterfaceType intf, std::string_view resource_class) noexcept;

}  // namespace cppvisa
