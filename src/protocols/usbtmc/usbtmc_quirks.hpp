// usbtmc quirks: device behaviours that depart from USBTMC 1.0, as data. Each row of the built-in
// table cites the public report it comes from; users add or override rows with the environment
// variable CPPVISA_USBTMC_QUIRKS (see parse_quirk_overrides). Applied by make_session to the
// session's SessionOptions.
#pragma once

#include "protocols/usbtmc/usbtmc_session.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::usbtmc {

/// Behaviour flags (bits).
namespace quirk {
inline constexpr std::uint32_t headerless_continuation = 1u << 0;  ///< data go on in transfers without header
inline constexpr std::uint32_t accept_wrong_tag = 1u << 1;         ///< Bulk-IN bTag not checked
inline constexpr std::uint32_t accept_wrong_msg_id = 1u << 2;      ///< Bulk-IN MsgID not checked
inline constexpr std::uint32_t no_termchar_request = 1u << 3;      ///< never TermChar in a request
inline constexpr std::uint32_t clear_on_open = 1u << 4;            ///< device clear at open
}  // namespace quirk

struct QuirkRow {
  std::uint16_t vendor_id = 0;
  std::optional<std::uint16_t> product_id;  ///< nullopt = every product of the vendor
  std::uint32_t flags = 0;
  std::string_view source;  ///< the public report behind the row
};

/// The built-in table.
const std::vector<QuirkRow>& builtin_quirks();

/// Parses "vid:pid=flag,flag;vid:*=flag;vid:pid=none" (ids hexadecimal with 0x or decimal; flag
/// names as in quirk:: without the namespace; "none" clears). Rows come out in order; false and
/// `error` set on the first malformed row (nothing is applied then).
bool parse_quirk_overrides(std::string_view text, std::vector<QuirkRow>& rows, std::string& error);

/// Flags for a device: the built-in rows, then the overrides (a row for vid:pid replaces what
/// the rows before it said for that device).
std::uint32_t quirks_for(std::uint16_t vendor_id, std::uint16_t product_id, const std::vector<QuirkRow>& overrides);

/// Applies flags to session options.
void apply_quirks(std::uint32_t flags, SessionOptions& options);

}  // namespace cppvisa::usbtmc
