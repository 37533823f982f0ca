/// @file status.hpp
/// @brief Every VISA completion and error code, with its name and description (from status_codes.def).
#pragma once

#include <cppvisa/export.hpp>
#include <cppvisa/types.hpp>

#include <string>
#include <string_view>

namespace cppvisa {

/// The VISA status codes as constants: `cppvisa::status::ERROR_TMO` is VI_ERROR_TMO.
/// (The VI_ prefix is dropped so that these names never collide with visa.h's macros.)
namespace status {
/// X-macro over status_codes.def: one `status::NAME` constant per row (the VI_ prefix dropped).
#define CPPVISA_STATUS(name, value, desc) inline constexpr status_t name = static_cast<status_t>(value##u);
#include <cppvisa/status_codes.def>
#undef CPPVISA_STATUS
/// VI_ERROR_INV_SESSION is a synonym of VI_ERROR_INV_OBJECT in visa.h.
inline constexpr status_t ERROR_INV_SESSION = ERROR_INV_OBJECT;
}  // namespace status

/// One row of the status table.
struct StatusInfo {
  std::string_view name;         ///< e.g. "VI_ERROR_TMO"
  status_t value;                ///< e.g. -1073807339
  std::string_view description;  ///< one sentence, ASCII
};

/// Looks a code up in the table; nullptr when the code is not a VISA status.
CPPVISA_API const StatusInfo* find_status(status_t code) noexcept;
/// The VISA name of a code ("VI_ERROR_TMO"), or "0x%08X" hex text for unknown codes.
CPPVISA_API std::string status_name(status_t code);
/// The description of a code, or "Unknown status value 0x%08X." for unknown codes.
CPPVISA_API std::string status_description(status_t code);
/// All rows of the table, in the table's order.
CPPVISA_API const StatusInfo* status_table(std::size_t& count) noexcept;

/// True for error codes (negative values).
constexpr bool is_error(status_t s) noexcept { return s < 0; }
/// True for success codes, including success with warning.
constexpr bool is_success(status_t s) noexcept { return s >= 0; }

}  // namespace cppvisa
