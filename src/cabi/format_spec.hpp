// One conversion specification of VISA's formatted I/O (VPP-4.3.2 §5.4 viPrintf / §5.5 viScanf):
//   %[flags][width][.precision][,array][@n][!ob|!ol][size]conversion
// with VISA's additions to C: `,` array size (number, `*` or `#`: taken from the arguments),
// `@1`/`@2`/`@3` IEEE 488.2 NR1/NR2/NR3 numeric forms, `!ob`/`!ol` byte order of binary data,
// `#` as a width (count from the arguments), sizes h, l, ll, L, z (float) and Z (double), and
// the conversions b, B, y (binary blocks and arrays), t, T (read to END / to LF) and [...] sets.
#pragma once

#include <cppvisa/types.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace cppvisa::cabi {

/// Where a count (width, array size) comes from.
enum class CountFrom : std::uint8_t { none, literal, star, hash };

enum class SizeModifier : std::uint8_t { none, h, l, ll, L, z, Z };

struct FormatSpec {
  // flags
  bool left = false, plus = false, space = false, alt = false, zero = false;
  bool suppress = false;  ///< scanf `*` (assignment suppression)
  CountFrom width_from = CountFrom::none;
  std::size_t width = 0;
  bool has_precision = false;
  CountFrom precision_from = CountFrom::none;
  std::size_t precision = 0;
  CountFrom array_from = CountFrom::none;  ///< `,` modifier
  std::size_t array_size = 0;
  int nr_form = 0;                         ///< 0, or 1/2/3 for @1/@2/@3
  bool little_endian = false;              ///< `!ol` (default big endian, `!ob`)
  SizeModifier size = SizeModifier::none;
  char conversion = 0;
  std::string scanset;                     ///< for `[`: the characters between the brackets (with ^)
};

/// Parses the specification that starts just after a `%` at fmt[pos]; on success `pos` is the
/// index after the conversion character. Returns VI_SUCCESS, VI_ERROR_INV_FMT (malformed) or
/// VI_ERROR_NSUP_FMT (well formed but unsupported, e.g. %n).
status_t parse_format_spec(std::string_view fmt, std::size_t& pos, FormatSpec& spec, bool for_scan);

/// Integer conversions (d i o u x X) and floating-point conversions (e E f g G).
inline bool is_int_conv(char c) { return c == 'd' || c == 'i' || c == 'o' || c == 'u' || c == 'x' || c == 'X'; }
inline bool is_float_conv(char c) { return c == 'e' || c == 'E' || c == 'f' || c == 'g' || c == 'G'; }

/// The size in bytes of one element of a binary conversion (%b %B %y) for a size modifier:
/// none 1, h 2, l 4, ll 8, z 4 (float), Z 8 (double).
std::size_t binary_element_size(SizeModifier size);

/// Decodes the C-style escapes that VISA interprets in format strings (\n \r \t \\ \" \' and
/// octal \ooo), so that languages without escape processing can still send LF.
std::string decode_format_escapes(std::string_view fmt);

}  // namespace cppvisa::cabi
