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
inline constexpr std::uint32_t termchar_in_request = 1u << 5;      ///< TermChar in REQUEST_DEV_DEP_MSG_IN
}  // namespace quirk

struct QuirkRow {
  std::uint16_t vendor_id = 0;
  std::optional<std::uint16_t> product_id;  ///< nullopt = every product of the vendor
  /// When not empty, the row applies only to a device whose `*IDN?` answer contains this text
  /// (the session then asks `*IDN?` once at open; it never asks otherwise).
  std::string idn;
  std::uint32_t flags = 0;
  std::string_view source;  ///< the public report behind the row
};

/// The built-in table.
const std::vector<QuirkRow>& builtin_quirks();

/// Parses "vid:pid=flag,flag;vid:*=flag;vid:pid=none;vid:*~IDN TEXT=flag" (ids hexadecimal with
/// 0x or decimal; flag names as in quirk:: without the namespace; "none" clears; "~TEXT": only
/// devices whose *IDN? answer contains TEXT, which may not hold '=' or ';'). Rows come out in order; false and
/// `error` set on the first malformed row (nothing is applied then).
bool parse_quirk_overrides(std::string_view text, std::vector<QuirkRow>& rows, std::string& error);

/// Flags for a device: the built-in rows, then the overrides (a row for vid:pid replaces what
/// the rows before it said for that device). Rows with an `idn` text are left out (see below).
std::uint32_t quirks_for(std::uint16_t vendor_id, std::uint16_t product_id, const std::vector<QuirkRow>& overrides);

/// The rows with an `idn` text that apply to vid:pid (built-in first, then overrides), in order.
std::vector<QuirkRow> identity_quirks_for(std::uint16_t vendor_id, std::uint16_t product_id,
                                          const std::vector<QuirkRow>& overrides);

/// Flags for a device that answered `*IDN?` with `idn`: `flags` (from quirks_for), replaced by
/// the last of `rows` whose text `idn` contains.
std::uint32_t quirks_for_identity(std::uint32_t flags, std::string_view idn, const std::vector<QuirkRow>& rows);

/// Applies flags to session options.
void apply_quirks(std::uint32_t flags, SessionOptions& options);

/// When `rows` (identity_quirks_for) is not empty: sets options.identify so that the session,
/// once it knows the *IDN? answer, applies quirks_for_identity(flags, answer, rows).
void apply_identity_quirks(std::uint32_t flags, std::vector<QuirkRow> rows, SessionOptions& options);

}  // namespace cppvisa::usbtmc
