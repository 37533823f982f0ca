// Values codec: PyVISA's from_ascii_block, i.e. str.split plus Python's int(text, base),
// float(text) and ord(text) on each element.
#include "core/values_detail.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace cppvisa::detail {
namespace {

constexpr std::string_view codes = "sbcdoxXhHeEfFgG";

// The whitespace int() and float() strip (Py_ISSPACE): space, \t \n \v \f \r.
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

std::string_view strip(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// Python's repr() of a str, for messages ('1.5', with non-printables escaped).
std::string str_repr(std::string_view s) {
  return values_detail::bytes_repr({reinterpret_cast<const std::byte*>(s.data()), s.size()}, 60).substr(1);
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

/// Python's int(text, base): whitespace, sign, optional 0b/0o/0x prefix matching the base,
/// digits with single underscores between them.
bool parse_int(std::string_view original, int base, AsciiNumber& out, std::string& message) {
  auto invalid = [&] {
    message = fmt::format("invalid literal for int() with base {}: {}", base, str_repr(original));
    return false;
  };
  std::string_view s = strip(original);
  out = AsciiNumber{};
  out.is_integer = true;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    out.negative = s.front() == '-';
    s.remove_prefix(1);
  }
  bool prefixed = false;
  if (base != 10 && s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if ((base == 16 && p == 'x') || (base == 8 && p == 'o') || (base == 2 && p == 'b')) {
      s.remove_prefix(2);
      prefixed = true;
    }
  }
  bool digit_seen = false, underscore_last = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_') {
      // Underscores only between digits (or right after a base prefix).
      if (underscore_last || (!digit_seen && !(prefixed && i == 0))) return invalid();
      underscore_last = true;
      continue;
    }
    int d = digit_value(c);
    if (d >= base) return invalid();
    std::uint64_t m = out.magnitude;
    if (m > (UINT64_MAX - static_cast<unsigned>(d)) / static_cast<unsigned>(base)) {
      message = fmt::format("integer {} is out of the 64-bit range", str_repr(original));
      return false;
    }
    out.magnitude = m * static_cast<unsigned>(base) + static_cast<unsigned>(d);
    digit_seen = true;
    underscore_last = false;
  }
  if (!digit_seen || underscore_last) return invalid();
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != b[i]) return false;
  return true;
}

/// Python's float(text): whitespace, sign, inf/infinity/nan, decimal digits with single
/// underscores between digits, optional fraction and exponent. Out of range -> inf or 0 like Python.
bool parse_float(std::string_view original, AsciiNumber& out, std::string& message) {
  auto invalid = [&] {
    message = fmt::format("could not convert string to float: {}", str_repr(original));
    return false;
  };
  std::string_view s = strip(original);
  out = AsciiNumber{};
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (iequals(s, "inf") || iequals(s, "infinity")) {
    out.value = negative ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (iequals(s, "nan")) {
    out.value = negative ? -std::nan("") : std::nan("");
    return true;
  }
  std::string clean;
  clean.reserve(s.size());
  std::size_t i = 0;
  // digits with single underscores between digits; returns the number of digits
  auto digits = [&](std::string* sink) -> std::size_t {
    std::size_t n = 0;
    while (i < s.size()) {
      if (s[i] >= '0' && s[i] <= '9') {
        clean += s[i];
        if (sink) *sink += s[i];
        ++n;
        ++i;
      } else if (s[i] == '_' && n > 0 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '9') {
        ++i;
      } else {
        break;
      }
    }
    return n;
  };
  std::string mantissa;  // digits only, for the out-of-range decision
  std::size_t int_digits = digits(&mantissa);
  std::size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    clean += '.';
    ++i;
    frac_digits = digits(&mantissa);
  }
  if (int_digits + frac_digits == 0) return invalid();
  long long exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    clean += 'e';
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      exp_negative = s[i] == '-';
      clean += s[i];
      ++i;
    }
    std::string exp_digits;
    if (digits(&exp_digits) == 0) return invalid();
    for (char c : exp_digits) exponent = std::min<long long>(exponent * 10 + (c - '0'), 1'000'000'000);
    if (exp_negative) exponent = -exponent;
  }
  if (i != s.size()) return invalid();
  double value = 0;
  auto result = std::from_chars(clean.data(), clean.data() + clean.size(), value, std::chars_format::general);
  if (result.ec == std::errc::result_out_of_range) {
    // Overflow gives inf and underflow 0, as Python does: decide from the decimal magnitude.
    auto first = mantissa.find_first_not_of('0');
    long long magnitude = first == std::string::npos
                              ? -1'000'000'000
                              : static_cast<long long>(int_digits) - static_cast<long long>(first) + exponent;
    value = magnitude > 0 ? HUGE_VAL : 0.0;
  } else if (result.ec != std::errc() || result.ptr != clean.data() + clean.size()) {
    return invalid();
  }
  out.value = negative ? -value : value;
  return true;
}

}  // namespace

bool check_ascii_code(std::string_view converter, char& code, std::string& message) {
  if (converter.size() == 1 && codes.find(converter[0]) != std::string_view::npos) {
    code = converter[0];
    return true;
  }
  message = fmt::format(
      "Invalid code for converter: {} not in ('s', 'b', 'c', 'd', 'o', 'x', 'X', 'h', 'H', 'e', 'E', 'f', 'F', 'g', "
      "'G')",
      converter);
  return false;
}

bool split_ascii_block(std::string_view text, std::string_view separator, std::vector<std::string_view>& items,
                       std::string& message) {
  items.clear();
  if (separator.empty()) {
    message = "empty separator";
    return false;
  }
  std::size_t start = 0;
  while (true) {
    std::size_t pos = text.find(separator, start);
    if (pos == std::string_view::npos) {
      items.push_back(text.substr(start));
      break;
    }
    items.push_back(text.substr(start, pos - start));
    start = pos + separator.size();
  }
  // PyVISA drops one trailing empty element ("1,2,"); whitespace-only too here ("1,2,\n").
  if (strip(items.back()).empty()) items.pop_back();
  return true;
}

bool parse_ascii_number(std::string_view text, char code, AsciiNumber& out, std::string& message) {
  switch (code) {
    case 'c':
      if (text.size() != 1) {
        message = fmt::format("ord() expected a character, but string of length {} found", text.size());
        return false;
      }
      out = AsciiNumber{};
      out.is_integer = true;
      out.magnitude = static_cast<unsigned char>(text[0]);
      return true;
    case 'b': return parse_int(text, 2, out, message);
    case 'd': return parse_int(text, 10, out, message);
    case 'o': return parse_int(text, 8, out, message);
    case 'x': case 'X': case 'h': case 'H': return parse_int(text, 16, out, message);
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': return parse_float(text, out, message);
    default:
      message = fmt::format("Invalid code for converter: {}", code);
      return false;
  }
}

std::string describe_out_of_range(const AsciiNumber& number, std::string_view type_name) {
  if (number.is_integer)
    return fmt::format("value {}{} does not fit {}", number.negative ? "-" : "", number.magnitude, type_name);
  return fmt::format("value {} is not an integral value that fits {}", number.value, type_name);
}

}  // namespace cppvisa::detail
