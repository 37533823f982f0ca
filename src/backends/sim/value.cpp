#include "backends/sim/value.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace cppvisa::sim {

std::string_view type_name(ValueType t) noexcept {
  switch (t) {
    case ValueType::str: return "str";
    case ValueType::integer: return "int";
    case ValueType::floating: return "float";
    case ValueType::untyped: break;
  }
  return "untyped";
}

std::string_view type_name(const Value& v) noexcept {
  if (std::holds_alternative<std::string>(v)) return "str";
  if (std::holds_alternative<std::int64_t>(v)) return "int";
  return "float";
}

namespace {

// The shortest round-trip digits of |d| and its decimal exponent: d = 0.DIGITS... no:
// d = D.DDD x 10^exp with `digits` = "DDDD".
void shortest_digits(double d, std::string& digits, int& exp) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(d), std::chars_format::scientific);
  std::string_view s(buf, static_cast<std::size_t>(res.ptr - buf));
  auto e = s.find('e');
  std::string_view mant = s.substr(0, e);
  exp = std::atoi(std::string(s.substr(e + 1)).c_str());
  digits.clear();
  for (char c : mant)
    if (c != '.') digits.push_back(c);
}

}  // namespace

std::string python_float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  std::string digits;
  int exp = 0;
  shortest_digits(d, digits, exp);
  std::string out = std::signbit(d) ? "-" : "";
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-exp - 1), '0');
      out += digits;
    } else {
      auto int_len = static_cast<std::size_t>(exp) + 1;
      if (digits.size() <= int_len) {
        out += digits;
        out.append(int_len - digits.size(), '0');
        out += ".0";
      } else {
        out += digits.substr(0, int_len);
        out += '.';
        out += digits.substr(int_len);
      }
    }
  } else {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += exp < 0 ? "e-" : "e+";
    int a = exp < 0 ? -exp : exp;
    if (a < 10) out += '0';
    out += std::to_string(a);
  }
  return out;
}

std::string python_str(const Value& v) {
  if (auto s = std::get_if<std::string>(&v)) return *s;
  if (auto i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return python_float_repr(std::get<double>(v));
}

namespace {
std::string_view strip_ws(std::string_view t) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!t.empty() && ws(t.front())) t.remove_prefix(1);
  while (!t.empty() && ws(t.back())) t.remove_suffix(1);
  return t;
}
// Removes single underscores between digits (Python numeric literal rules); nullopt if misplaced.
std::optional<std::string> without_underscores(std::string_view t) {
  std::string out;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '_') {
      bool ok = i > 0 && i + 1 < t.size() && std::isdigit(static_cast<unsigned char>(t[i - 1])) &&
                std::isdigit(static_cast<unsigned char>(t[i + 1]));
      if (!ok) return std::nullopt;
      continue;
    }
    out.push_back(t[i]);
  }
  return out;
}
}  // namespace

std::optional<std::int64_t> parse_python_int(std::string_view text) {
  auto cleaned = without_underscores(strip_ws(text));
  if (!cleaned || cleaned->empty()) return std::nullopt;
  std::string_view s = *cleaned;
  bool neg = false;
  if (s.front() == '+' || s.front() == '-') {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t mag = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), mag);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return std::nullopt;
  if (neg) {
    if (mag > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1) return std::nullopt;
    return static_cast<std::int64_t>(0 - mag);
  }
  if (mag > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return static_cast<std::int64_t>(mag);
}

std::optional<double> parse_python_float(std::string_view text) {
  auto cleaned = without_underscores(strip_ws(text));
  if (!cleaned || cleaned->empty()) return std::nullopt;
  std::string s = *cleaned;
  std::string lower;
  for (char c : s) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::string_view body = lower;
  bool neg = false;
  if (!body.empty() && (body.front() == '+' || body.front() == '-')) {
    neg = body.front() == '-';
    body.remove_prefix(1);
  }
  if (body == "inf" || body == "infinity") return neg ? -HUGE_VAL : HUGE_VAL;
  if (body == "nan") return std::numeric_limits<double>::quiet_NaN();
  // Only decimal forms: digits, one dot, optional exponent (no hex floats, no "0x").
  bool digit = false, dot = false;
  std::size_t i = 0;
  for (; i < body.size(); ++i) {
    char c = body[i];
    if (std::isdigit(static_cast<unsigned char>(c))) digit = true;
    else if (c == '.' && !dot) dot = true;
    else break;
  }
  if (!digit) return std::nullopt;
  if (i < body.size()) {
    if (body[i] != 'e') return std::nullopt;
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    std::size_t start = i;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i;
    if (i == start || i != body.size()) return std::nullopt;
  }
  double d = 0;
  auto res = std::from_chars(body.data(), body.data() + body.size(), d);
  if (res.ec == std::errc::result_out_of_range) {
    // Python gives inf for overflow and 0.0 for underflow.
    d = std::strtod(std::string(body).c_str(), nullptr);
  } else if (res.ec != std::errc() || res.ptr != body.data() + body.size()) {
    return std::nullopt;
  }
  return neg ? -d : d;
}

std::optional<Value> convert_value(const Value& v, ValueType to) {
  switch (to) {
    case ValueType::untyped: return v;
    case ValueType::str: return Value(python_str(v));
    case ValueType::integer:
      if (auto i = std::get_if<std::int64_t>(&v)) return Value(*i);
      if (auto d = std::get_if<double>(&v)) {
        if (!std::isfinite(*d) || std::fabs(*d) >= 9.2e18) return std::nullopt;
        return Value(static_cast<std::int64_t>(std::trunc(*d)));
      }
      if (auto i = parse_python_int(std::get<std::string>(v))) return Value(*i);
      return std::nullopt;
    case ValueType::floating:
      if (auto d = std::get_if<double>(&v)) return Value(*d);
      if (auto i = std::get_if<std::int64_t>(&v)) return Value(static_cast<double>(*i));
      if (auto d = parse_python_float(std::get<std::string>(v))) return Value(*d);
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<int> compare_values(const Value& a, const Value& b) {
  auto as_num = [](const Value& v) -> std::optional<double> {
    if (auto i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (auto d = std::get_if<double>(&v)) return *d;
    return std::nullopt;
  };
  if (auto ia = std::get_if<std::int64_t>(&a))
    if (auto ib = std::get_if<std::int64_t>(&b)) return *ia < *ib ? -1 : (*ia > *ib ? 1 : 0);
  auto na = as_num(a), nb = as_num(b);
  if (na && nb) {
    if (std::isnan(*na) || std::isnan(*nb)) return std::nullopt;
    return *na < *nb ? -1 : (*na > *nb ? 1 : 0);
  }
  auto sa = std::get_if<std::string>(&a);
  auto sb = std::get_if<std::string>(&b);
  if (sa && sb) {
    int c = sa->compare(*sb);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return std::nullopt;
}

}  // namespace cppvisa::sim
