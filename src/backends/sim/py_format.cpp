#include "backends/sim/py_format.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace cppvisa::sim {

namespace {

constexpr int max_width = 1 << 20;      // bounds the output of a user-supplied spec
constexpr int max_precision = 1000;

std::size_t utf8_char_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

std::size_t display_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool is_align(char c) { return c == '<' || c == '>' || c == '^' || c == '='; }

int parse_number(std::string_view spec, std::size_t& i, int limit, const char* what) {
  long long n = 0;
  while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') {
    n = n * 10 + (spec[i] - '0');
    if (n > limit) throw FormatError(std::string("Too large ") + what + " in format specifier");
    ++i;
  }
  return static_cast<int>(n);
}

std::string repeat(const std::string& fill, std::size_t n) {
  std::string out;
  out.reserve(fill.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += fill;
  return out;
}

// Pads `body` (with `prefix` = sign and base prefix) to the width per the alignment.
std::string pad(const std::string& prefix, const std::string& body, const FormatSpec& spec, char default_align) {
  std::string whole = prefix + body;
  std::size_t len = display_length(whole);
  if (spec.width < 0 || len >= static_cast<std::size_t>(spec.width)) return whole;
  std::size_t n = static_cast<std::size_t>(spec.width) - len;
  char align = spec.align ? spec.align : default_align;
  switch (align) {
    case '<': return whole + repeat(spec.fill, n);
    case '^': return repeat(spec.fill, n / 2) + whole + repeat(spec.fill, n - n / 2);
    case '=': return prefix + repeat(spec.fill, n) + body;
    default: return repeat(spec.fill, n) + whole;
  }
}

// Inserts `sep` every `group` digits into the leading run of digits of `s` (from its right end).
std::string group_digits(const std::string& s, char sep, std::size_t group) {
  std::size_t end = 0;
  while (end < s.size() && std::isalnum(static_cast<unsigned char>(s[end])) && s[end] != 'e' && s[end] != 'E')
    ++end;
  std::string digits = s.substr(0, end), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % group == 0) out.push_back(sep);
    out.push_back(digits[i]);
  }
  return out + s.substr(end);
}

std::string sign_of(bool negative, char sign) {
  if (negative) return "-";
  if (sign == '+') return "+";
  if (sign == ' ') return " ";
  return "";
}

std::string type_error(char type, std::string_view object) {
  return "Unknown format code '" + std::string(1, type) + "' for object of type '" + std::string(object) + "'";
}

std::string format_string(const std::string& s, const FormatSpec& spec) {
  if (spec.type && spec.type != 's') throw FormatError(type_error(spec.type, "str"));
  if (spec.sign) throw FormatError("Sign not allowed in string format specifier");
  if (spec.alternate) throw FormatError("Alternate form (#) not allowed in string format specifier");
  if (spec.align == '=') throw FormatError("'=' alignment not allowed in string format specifier");
  if (spec.grouping) throw FormatError(std::string("Cannot specify '") + spec.grouping + "' with 's'.");
  std::string body = s;
  if (spec.precision >= 0) {
    // Truncate to `precision` characters (not bytes).
    std::size_t i = 0, chars = 0;
    while (i < body.size() && chars < static_cast<std::size_t>(spec.precision)) {
      i += utf8_char_length(static_cast<unsigned char>(body[i]));
      ++chars;
    }
    body.resize(std::min(i, body.size()));
  }
  return pad("", body, spec, '<');
}

std::string utf8_encode(std::uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return out;
}

std::string format_integer(std::int64_t v, const FormatSpec& spec) {
  char type = spec.type ? spec.type : 'd';
  if (spec.precision >= 0) throw FormatError("Precision not allowed in integer format specifier");
  if (spec.grouping == ',' && type != 'd' && type != 'n')
    throw FormatError(std::string("Cannot specify ',' with '") + type + "'.");
  bool neg = v < 0;
  std::uint64_t mag = neg ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  if (type == 'c') {
    if (spec.sign) throw FormatError("Sign not allowed with integer format specifier 'c'");
    if (neg || mag > 0x10FFFF) throw FormatError("%c arg not in range(0x110000)");
    return pad("", utf8_encode(static_cast<std::uint32_t>(mag)), spec, '<');
  }
  unsigned base = 10;
  std::string prefix;
  switch (type) {
    case 'b': base = 2; prefix = "0b"; break;
    case 'o': base = 8; prefix = "0o"; break;
    case 'x': base = 16; prefix = "0x"; break;
    case 'X': base = 16; prefix = "0X"; break;
    case 'd': case 'n': break;
    default: throw FormatError(type_error(type, "int"));
  }
  const char* digits_set = type == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string digits;
  do {
    digits.insert(digits.begin(), digits_set[mag % base]);
    mag /= base;
  } while (mag);
  if (spec.grouping) digits = group_digits(digits, spec.grouping, base == 10 ? 3 : 4);
  std::string head = sign_of(neg, spec.sign) + (spec.alternate ? prefix : "");
  return pad(head, digits, spec, '>');
}

std::string printf_double(const char* conv, bool alt, int precision, double v) {
  std::string fmt = std::string("%") + (alt ? "#" : "") + ".*" + conv;
  int n = std::snprintf(nullptr, 0, fmt.c_str(), precision, v);
  if (n < 0) throw FormatError("cannot format the value");
  std::string out(static_cast<std::size_t>(n) + 1, '\0');
  std::snprintf(out.data(), out.size(), fmt.c_str(), precision, v);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string strip_trailing_zeros(const std::string& s) {
  auto e = s.find_first_of("eE");
  std::string mant = s.substr(0, e), exp = e == std::string::npos ? "" : s.substr(e);
  if (mant.find('.') != std::string::npos) {
    while (!mant.empty() && mant.back() == '0') mant.pop_back();
    if (!mant.empty() && mant.back() == '.') mant.pop_back();
  }
  return mant + exp;
}

std::string format_float(double v, const FormatSpec& spec) {
  char type = spec.type;
  bool neg = std::signbit(v) && !std::isnan(v);
  double a = std::fabs(v);
  std::string body;
  bool upper = type == 'E' || type == 'F' || type == 'G';
  if (std::isinf(a) || std::isnan(a)) {
    body = std::isnan(a) ? "nan" : "inf";
    if (upper) body = std::isnan(a) ? "NAN" : "INF";
    if (type == '%') body += '%';
  } else {
    int p = spec.precision;
    switch (type) {
      case 'f': case 'F': body = printf_double("f", spec.alternate, p < 0 ? 6 : p, a); break;
      case 'e': case 'E': body = printf_double(type == 'e' ? "e" : "E", spec.alternate, p < 0 ? 6 : p, a); break;
      case 'g': case 'G': case 'n':
        body = printf_double(type == 'G' ? "G" : "g", spec.alternate, p < 0 ? 6 : (p == 0 ? 1 : p), a);
        break;
      case '%': body = printf_double("f", spec.alternate, p < 0 ? 6 : p, a * 100.0) + "%"; break;
      case 0:
        if (p < 0) {
          body = python_float_repr(a);
        } else {
          // Like 'g', but fixed notation keeps a digit after the point and switches to exponent
          // notation one digit earlier (Python's float_repr_style for the '' presentation type).
          int digits = p == 0 ? 1 : p;
          std::string sci = printf_double("e", false, digits - 1, a);
          int exp = std::atoi(sci.c_str() + sci.find('e') + 1);
          if (exp >= -4 && exp < digits - 1) {
            body = printf_double("g", spec.alternate, digits, a);
            if (body.find('.') == std::string::npos) body += ".0";
          } else {
            body = spec.alternate ? sci : strip_trailing_zeros(sci);
          }
        }
        break;
      default: throw FormatError(type_error(type, "float"));
    }
    if (spec.grouping) {
      if (type == 'n') throw FormatError("Cannot specify ',' with 'n'.");
      body = group_digits(body, spec.grouping, 3);
    }
    if (spec.coerce_zero && neg && body.substr(0, body.find_first_of("eE%")).find_first_of("123456789") == std::string::npos)
      neg = false;
  }
  if (std::isnan(v)) neg = false;
  return pad(sign_of(neg, spec.sign), body, spec, '>');
}

}  // namespace

FormatSpec FormatSpec::parse(std::string_view spec) {
  FormatSpec out;
  std::size_t i = 0;
  if (!spec.empty()) {
    std::size_t first = utf8_char_length(static_cast<unsigned char>(spec[0]));
    if (first < spec.size() && is_align(spec[first])) {
      out.fill = std::string(spec.substr(0, first));
      out.align = spec[first];
      i = first + 1;
    } else if (is_align(spec[0])) {
      out.align = spec[0];
      i = 1;
    }
  }
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) out.sign = spec[i++];
  if (i < spec.size() && spec[i] == 'z') {
    out.coerce_zero = true;
    ++i;
  }
  if (i < spec.size() && spec[i] == '#') {
    out.alternate = true;
    ++i;
  }
  if (i < spec.size() && spec[i] == '0') {
    if (!out.align) {
      out.fill = "0";
      out.align = '=';
    }
    ++i;
  }
  if (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') out.width = parse_number(spec, i, max_width, "width");
  if (i < spec.size() && (spec[i] == ',' || spec[i] == '_')) out.grouping = spec[i++];
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    if (i >= spec.size() || spec[i] < '0' || spec[i] > '9') throw FormatError("Format specifier missing precision");
    out.precision = parse_number(spec, i, max_precision, "precision");
  }
  if (i < spec.size()) {
    static constexpr std::string_view types = "bcdeEfFgGnosxX%";
    if (i + 1 != spec.size() || types.find(spec[i]) == std::string_view::npos)
      throw FormatError("Invalid format specifier '" + std::string(spec) + "'");
    out.type = spec[i];
  }
  return out;
}

std::string format_value(const Value& value, const FormatSpec& spec) {
  if (auto s = std::get_if<std::string>(&value)) return format_string(*s, spec);
  if (auto i = std::get_if<std::int64_t>(&value)) {
    static constexpr std::string_view float_types = "eEfFgG%";
    if (spec.type && float_types.find(spec.type) != std::string_view::npos)
      return format_float(static_cast<double>(*i), spec);
    if (spec.type == 's') throw FormatError(type_error('s', "int"));
    return format_integer(*i, spec);
  }
  return format_float(std::get<double>(value), spec);
}

std::string format_value(const Value& value, std::string_view spec) {
  return format_value(value, FormatSpec::parse(spec));
}

FormatTemplate FormatTemplate::parse(std::string_view text) {
  FormatTemplate t;
  Piece cur;
  int auto_index = 0;
  bool manual = false, automatic = false;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        cur.literal.push_back('}');
        i += 2;
        continue;
      }
      throw FormatError("Single '}' encountered in format string");
    }
    if (c != '{') {
      cur.literal.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      cur.literal.push_back('{');
      i += 2;
      continue;
    }
    // A replacement field: find its end (a nested '{' is an error here).
    std::size_t end = i + 1;
    while (end < text.size() && text[end] != '}') {
      if (text[end] == '{') throw FormatError("nested replacement fields are not supported in format string");
      ++end;
    }
    if (end >= text.size()) {
      if (i + 1 >= text.size()) throw FormatError("Single '{' encountered in format string");
      throw FormatError("expected '}' before end of string");
    }
    std::string_view field = text.substr(i + 1, end - i - 1);
    std::string_view name = field, spec;
    char conversion = 0;
    if (auto colon = field.find(':'); colon != std::string_view::npos) {
      name = field.substr(0, colon);
      spec = field.substr(colon + 1);
    }
    if (auto bang = name.find('!'); bang != std::string_view::npos) {
      std::string_view conv = name.substr(bang + 1);
      name = name.substr(0, bang);
      if (conv.size() != 1 || (conv[0] != 's' && conv[0] != 'r' && conv[0] != 'a'))
        throw FormatError("Unknown conversion specifier " + std::string(conv));
      conversion = conv[0];
    }
    int index = 0;
    if (name.empty()) {
      if (manual) throw FormatError("cannot switch from manual field specification to automatic field numbering");
      automatic = true;
      index = auto_index++;
    } else if (name.find_first_not_of("0123456789") == std::string_view::npos) {
      if (automatic) throw FormatError("cannot switch from automatic field numbering to manual field specification");
      manual = true;
      index = name.size() > 6 ? 1000000 : std::stoi(std::string(name));
    } else {
      throw FormatError("unknown field name '" + std::string(name) + "' (only the value, {} or {0}, is available)");
    }
    if (index != 0)
      throw FormatError("Replacement index " + std::to_string(index) + " out of range for positional args tuple");
    cur.has_field = true;
    cur.conversion = conversion;
    cur.spec_text = std::string(spec);
    cur.spec = FormatSpec::parse(spec);
    t.pieces_.push_back(std::move(cur));
    cur = Piece{};
    i = end + 1;
  }
  if (!cur.literal.empty()) t.pieces_.push_back(std::move(cur));
  return t;
}

std::string FormatTemplate::format(const Value& value, std::size_t max_size) const {
  std::string out;
  for (const auto& p : pieces_) {
    if (out.size() > max_size) break;
    out += p.literal;
    if (!p.has_field) continue;
    if (p.conversion == 's') {
      out += format_value(Value(python_str(value)), p.spec);
    } else if (p.conversion) {
      std::string r = python_str(value);
      if (std::holds_alternative<std::string>(value)) r = "'" + r + "'";
      out += format_value(Value(r), p.spec);
    } else {
      out += format_value(value, p.spec);
    }
  }
  if (out.size() > max_size)
    throw FormatError("the formatted text would be longer than " + std::to_string(max_size) + " bytes");
  return out;
}

bool FormatTemplate::has_fields() const noexcept {
  for (const auto& p : pieces_)
    if (p.has_field) return true;
  return false;
}

std::vector<std::string> FormatTemplate::field_specs() const {
  std::vector<std::string> out;
  for (const auto& p : pieces_)
    if (p.has_field) out.push_back(p.spec_text);
  return out;
}

}  // namespace cppvisa::sim
