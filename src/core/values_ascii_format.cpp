// Values codec: PyVISA's to_ascii_block converters, i.e. Python's `"%" + converter` formatting of
// one number (printf semantics with Python's differences: `#o` gives 0o, negative hex is -ff,
// `%s` of a float is its shortest repr, `%x` of a float is an error).
#include "core/values_detail.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace cppvisa {
namespace {

constexpr int max_width = 1000;  // bound on width/precision: no giant strings from a converter
constexpr std::string_view conversions = "diouxXeEfFgGcrsa";

bool is_integer_conversion(char c) { return c == 'd' || c == 'i' || c == 'u' || c == 'o' || c == 'x' || c == 'X'; }
bool is_float_conversion(char c) { return std::string_view("eEfFgG").find(c) != std::string_view::npos; }
bool is_text_conversion(char c) { return c == 's' || c == 'r' || c == 'a'; }

/// Python's repr() of a float: shortest round-trip digits; exponent form when the decimal point
/// position is <= -4 or > 16 (Python's float_repr_style "short"), else fixed with at least ".0".
std::string python_float_repr(double value, bool single) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  char buf[64];
  auto result = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(value), std::chars_format::scientific)
                       : std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string_view text(buf, static_cast<std::size_t>(result.ptr - buf));
  std::string out;
  if (!text.empty() && text.front() == '-') {
    out += '-';
    text.remove_prefix(1);
  }
  auto e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e))
    if (c != '.') digits += c;
  int exponent = 0;
  std::string_view exp_text = text.substr(e + 1);
  if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  int decpt = exponent + 1;  // value = 0.DIGITS * 10^decpt
  int ndigits = static_cast<int>(digits.size());
  if (decpt <= -4 || decpt > 16) {
    out += digits[0];
    if (ndigits > 1) out += "." + digits.substr(1);
    out += fmt::format("e{}{:02d}", exponent < 0 ? '-' : '+', std::abs(exponent));
  } else if (decpt <= 0) {
    out += "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
  } else if (decpt >= ndigits) {
    out += digits + std::string(static_cast<std::size_t>(decpt - ndigits), '0') + ".0";
  } else {
    out += digits.substr(0, static_cast<std::size_t>(decpt)) + "." + digits.substr(static_cast<std::size_t>(decpt));
  }
  return out;
}

std::string to_base(std::uint64_t v, int base, bool upper) {
  const char* symbols = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), symbols[v % static_cast<unsigned>(base)]);
    v /= static_cast<unsigned>(base);
  } while (v != 0);
  return out;
}

}  // namespace

bool AsciiFormat::parse_spec(std::string_view converter, std::string& message) {
  // Python parses "%" + converter: indexes in messages count the '%'.
  std::string spec = "%" + std::string(converter);
  std::size_t i = 1;
  auto read_number = [&](int& target, const char* what) {
    long long v = 0;
    while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') {
      v = v * 10 + (spec[i] - '0');
      if (v > max_width) {
        message = fmt::format("{} too big (at most {})", what, max_width);
        return false;
      }
      ++i;
    }
    target = static_cast<int>(v);
    return true;
  };
  for (; i < spec.size(); ++i) {
    char c = spec[i];
    if (c == '-') left_ = true;
    else if (c == '+') plus_ = true;
    else if (c == ' ') space_ = true;
    else if (c == '#') alternate_ = true;
    else if (c == '0') zero_ = true;
    else break;
  }
  if (i < spec.size() && spec[i] == '*') {
    message = "'*' width or precision is not supported in a converter";
    return false;
  }
  if (i < spec.size() && spec[i] >= '1' && spec[i] <= '9' && !read_number(width_, "width")) return false;
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    if (i < spec.size() && spec[i] == '*') {
      message = "'*' width or precision is not supported in a converter";
      return false;
    }
    if (!read_number(precision_, "precision")) return false;
  }
  while (i < spec.size() && (spec[i] == 'h' || spec[i] == 'l' || spec[i] == 'L')) ++i;  // ignored, as in Python
  if (i >= spec.size()) {
    message = "incomplete format";
    return false;
  }
  char conv = spec[i];
  if (conv == '%') {
    message = "not all arguments converted during string formatting";
    return false;
  }
  if (conversions.find(conv) == std::string_view::npos) {
    auto code = static_cast<unsigned char>(conv);
    message = code >= 0x20 && code < 0x7F
                  ? fmt::format("unsupported format character '{}' (0x{:x}) at index {}", conv, code, i)
                  : fmt::format("unsupported format character (0x{:x}) at index {}", code, i);
    return false;
  }
  conversion_ = conv;
  for (++i; i < spec.size(); ++i) {
    if (spec[i] != '%') {
      suffix_ += spec[i];
    } else if (i + 1 < spec.size() && spec[i + 1] == '%') {
      suffix_ += '%';
      ++i;
    } else {
      message = i + 1 < spec.size() ? "not enough arguments for format string" : "incomplete format";
      return false;
    }
  }
  if (is_float_conversion(conv)) {
    c_format_ = "%";
    if (left_) c_format_ += '-';
    if (plus_) c_format_ += '+';
    if (space_) c_format_ += ' ';
    if (alternate_) c_format_ += '#';
    if (zero_) c_format_ += '0';
    if (width_ >= 0) c_format_ += std::to_string(width_);
    if (precision_ >= 0) c_format_ += "." + std::to_string(precision_);
    c_format_ += conv;
  }
  return true;
}

AsciiFormat::AsciiFormat(std::string_view converter) {
  std::string message;
  if (!parse_spec(converter, message)) throw InvalidAsciiFormat(message);
}

std::optional<AsciiFormat> AsciiFormat::parse(std::string_view converter, std::error_code& ec, std::string* message) {
  ec.clear();
  AsciiFormat format(0);
  std::string why;
  if (format.parse_spec(converter, why)) return format;
  values_detail::fail(ec, message, status::ERROR_INV_FMT, std::move(why));
  return std::nullopt;
}

void AsciiFormat::append_integer(std::string& out, bool negative, std::string_view magnitude_digits) const {
  std::string prefix;
  if (negative) prefix = "-";
  else if (plus_) prefix = "+";
  else if (space_) prefix = " ";
  if (alternate_ && conversion_ == 'o') prefix += "0o";
  if (alternate_ && conversion_ == 'x') prefix += "0x";
  if (alternate_ && conversion_ == 'X') prefix += "0X";
  std::string digits(magnitude_digits);
  if (precision_ > static_cast<int>(digits.size()))
    digits.insert(0, static_cast<std::size_t>(precision_) - digits.size(), '0');
  std::size_t total = prefix.size() + digits.size();
  std::size_t fill = width_ > static_cast<int>(total) ? static_cast<std::size_t>(width_) - total : 0;
  if (left_) out += prefix + digits + std::string(fill, ' ');
  else if (zero_) out += prefix + std::string(fill, '0') + digits;
  else out += std::string(fill, ' ') + prefix + digits;
  out += suffix_;
}

void AsciiFormat::append_integer(std::string& out, bool negative, std::uint64_t magnitude) const {
  int base = conversion_ == 'o' ? 8 : (conversion_ == 'x' || conversion_ == 'X') ? 16 : 10;
  append_integer(out, negative && magnitude != 0, to_base(magnitude, base, conversion_ == 'X'));
}

void AsciiFormat::append_text(std::string& out, std::string_view text) const {
  if (precision_ >= 0 && is_text_conversion(conversion_) && text.size() > static_cast<std::size_t>(precision_))
    text = text.substr(0, static_cast<std::size_t>(precision_));
  std::size_t fill = width_ > static_cast<int>(text.size()) ? static_cast<std::size_t>(width_) - text.size() : 0;
  if (left_) {
    out += text;
    out.append(fill, ' ');
  } else {
    out.append(fill, ' ');
    out += text;
  }
  out += suffix_;
}

void AsciiFormat::append_floating(std::string& out, double value, bool single) const {
  if (is_integer_conversion(conversion_)) {
    if (conversion_ == 'o' || conversion_ == 'x' || conversion_ == 'X')
      throw InvalidAsciiFormat(fmt::format("%{} format: an integer is required, not float", conversion_));
    if (std::isnan(value)) throw InvalidAsciiFormat("cannot convert float NaN to integer");
    if (std::isinf(value)) throw InvalidAsciiFormat("cannot convert float infinity to integer");
    double t = std::trunc(value);  // Python's %d of a float is int(value): truncation
    double magnitude = std::fabs(t);
    if (magnitude < 18446744073709551616.0) {
      append_integer(out, t < 0, static_cast<std::uint64_t>(magnitude));
    } else {
      char buf[400];  // glibc prints integral doubles exactly (at most 309 digits)
      std::snprintf(buf, sizeof buf, "%.0f", magnitude);
      append_integer(out, t < 0, std::string_view(buf));
    }
    return;
  }
  if (conversion_ == 'c') throw InvalidAsciiFormat("%c requires int or char");
  if (is_text_conversion(conversion_)) {
    append_text(out, python_float_repr(value, single));
    return;
  }
  if (std::isnan(value)) value = std::fabs(value);  // Python never prints "-nan"
  if (!std::isfinite(value) && zero_ && !left_ && width_ > 0) {
    // Python zero-pads inf/nan after the sign ("%05f" % -inf is "-0inf"); C pads with spaces.
    AsciiFormat plain = *this;
    plain.width_ = -1;
    plain.suffix_.clear();
    plain.c_format_.erase(std::remove_if(plain.c_format_.begin() + 1, plain.c_format_.end(),
                                         [](char c) { return c >= '0' && c <= '9'; }),
                          plain.c_format_.end());
    std::string text;
    plain.append_floating(text, value, single);
    std::size_t sign = !text.empty() && (text[0] == '+' || text[0] == '-' || text[0] == ' ') ? 1 : 0;
    if (static_cast<int>(text.size()) < width_) text.insert(sign, static_cast<std::size_t>(width_) - text.size(), '0');
    out += text + suffix_;
    return;
  }
  char buf[128];  // enough for every value unless the width or precision is large
  int n = std::snprintf(buf, sizeof buf, c_format_.c_str(), value);
  if (n < 0) throw InvalidAsciiFormat("could not format a float");
  if (static_cast<std::size_t>(n) < sizeof buf) {
    out.append(buf, static_cast<std::size_t>(n));
  } else {
    std::size_t start = out.size();
    out.resize(start + static_cast<std::size_t>(n) + 1);
    std::snprintf(out.data() + start, static_cast<std::size_t>(n) + 1, c_format_.c_str(), value);
    out.resize(start + static_cast<std::size_t>(n));
  }
  out += suffix_;
}

void AsciiFormat::append(std::string& out, double value) const { append_floating(out, value, false); }

void AsciiFormat::append(std::string& out, float value) const { append_floating(out, value, true); }

void AsciiFormat::append(std::string& out, std::int64_t value) const {
  bool negative = value < 0;
  std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  if (is_integer_conversion(conversion_)) {
    append_integer(out, negative, magnitude);
  } else if (is_float_conversion(conversion_)) {
    append_floating(out, static_cast<double>(value), false);
  } else if (conversion_ == 'c') {
    if (negative || magnitude >= 0x80) throw InvalidAsciiFormat("%c arg not in range(0x80) (ASCII)");
    append_text(out, std::string(1, static_cast<char>(magnitude)));
  } else {
    append_text(out, std::to_string(value));
  }
}

void AsciiFormat::append(std::string& out, std::uint64_t value) const {
  if (is_integer_conversion(conversion_)) {
    append_integer(out, false, value);
  } else if (is_float_conversion(conversion_)) {
    append_floating(out, static_cast<double>(value), false);
  } else if (conversion_ == 'c') {
    if (value >= 0x80) throw InvalidAsciiFormat("%c arg not in range(0x80) (ASCII)");
    append_text(out, std::string(1, static_cast<char>(value)));
  } else {
    append_text(out, std::to_string(value));
  }
}

}  // namespace cppvisa
