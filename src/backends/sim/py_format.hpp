// Python's str.format (PEP 3101) for the values of simulated properties: the format-spec mini
// language ([[fill]align][sign][z][#][0][width][grouping][.precision][type]) for str, int and
// float, and templates such as "{:+.8E}" or "V={0:.3f} V" with one positional argument.
// Errors are Python's (e.g. "Unknown format code 'd' for object of type 'float'").
#pragma once

#include "backends/sim/value.hpp"

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::sim {

/// A format string or format spec that cannot be used, or a value it cannot format.
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A parsed format spec.
struct FormatSpec {
  std::string fill = " ";  ///< one character (UTF-8)
  char align = 0;          ///< '<', '>', '^', '=' or 0 (type default)
  char sign = 0;           ///< '+', '-', ' ' or 0
  bool coerce_zero = false;  ///< 'z'
  bool alternate = false;    ///< '#'
  int width = -1;
  char grouping = 0;       ///< ',' or '_' or 0
  int precision = -1;
  char type = 0;           ///< presentation type or 0

  /// Parses a spec (the text after ':'). @throws FormatError.
  static FormatSpec parse(std::string_view spec);
};

/// Formats one value with a spec, as Python's format(value, spec). @throws FormatError.
std::string format_value(const Value& value, const FormatSpec& spec);
std::string format_value(const Value& value, std::string_view spec);

/// A str.format template with a single positional argument (fields "{}", "{0}", "{:spec}",
/// "{0!r:spec}"; "{{" and "}}" are literal braces).
class FormatTemplate {
 public:
  FormatTemplate() = default;
  /// @throws FormatError for a malformed template, a field other than argument 0, a nested field.
  static FormatTemplate parse(std::string_view text);
  /// The template applied to `value`; output longer than `max_size` bytes is refused as soon as a
  /// field makes it so (each field is at most 1 MiB wide, a template may have thousands).
  /// @throws FormatError when the value does not suit a field's spec or the output is too long.
  std::string format(const Value& value, std::size_t max_size = std::string::npos) const;
  /// Whether the template has at least one replacement field.
  bool has_fields() const noexcept;
  /// The specs of its fields in order (for diagnostics).
  std::vector<std::string> field_specs() const;

 private:
  struct Piece {
    std::string literal;      // text before the field (braces unescaped)
    bool has_field = false;
    char conversion = 0;      // 's', 'r', 'a' or 0
    std::string spec_text;
    FormatSpec spec;
  };
  std::vector<Piece> pieces_;
};

}  // namespace cppvisa::sim
