// Parsing of one VISA format specification (see format_spec.hpp).
#include "cabi/format_spec.hpp"

#include <cppvisa/status.hpp>

#include <cctype>

namespace cppvisa::cabi {
namespace {

// Reads a count: digits, `*` or `#`. Returns false on a number too large to be sensible.
bool read_count(std::string_view fmt, std::size_t& pos, CountFrom& from, std::size_t& value) {
  if (pos < fmt.size() && fmt[pos] == '*') {
    from = CountFrom::star;
    ++pos;
    return true;
  }
  if (pos < fmt.size() && fmt[pos] == '#') {
    from = CountFrom::hash;
    ++pos;
    return true;
  }
  if (pos < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[pos]))) {
    std::size_t v = 0;
    while (pos < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[pos]))) {
      v = v * 10 + static_cast<std::size_t>(fmt[pos] - '0');
      if (v > 0x7FFFFFFF) return false;
      ++pos;
    }
    from = CountFrom::literal;
    value = v;
  }
  return true;
}

}  // namespace

status_t parse_format_spec(std::string_view fmt, std::size_t& pos, FormatSpec& spec, bool for_scan) {
  spec = FormatSpec{};
  // flags (scanf: `*` suppresses assignment; printf: `*` is a width from the arguments)
  for (; pos < fmt.size(); ++pos) {
    char c = fmt[pos];
    if (c == '-') spec.left = true;
    else if (c == '+') spec.plus = true;
    else if (c == ' ') spec.space = true;
    else if (c == '0') spec.zero = true;
    else if (c == '*' && for_scan) spec.suppress = true;
    else break;
  }
  // C's alternate-form flag followed by a width ("%#10x"): `#` is a flag, not a count.
  if (pos + 1 < fmt.size() && fmt[pos] == '#' && std::isdigit(static_cast<unsigned char>(fmt[pos + 1]))) {
    spec.alt = true;
    ++pos;
  }
  // Width, precision and VISA's modifiers (`,count`, `@n`, `!ob` / `!ol`), accepted in any order
  // (VISA documents both "%,10.3f" and "%10.3,5f"-like placements, and "!ol#b").
  for (;;) {
    if (pos >= fmt.size()) break;
    char c = fmt[pos];
    if (spec.width_from == CountFrom::none && (c == '*' || c == '#' || std::isdigit(static_cast<unsigned char>(c)))) {
      if (!read_count(fmt, pos, spec.width_from, spec.width)) return status::ERROR_INV_FMT;
      continue;
    }
    if (c == '.' && !spec.has_precision) {
      ++pos;
      spec.has_precision = true;
      if (!read_count(fmt, pos, spec.precision_from, spec.precision)) return status::ERROR_INV_FMT;
      if (spec.precision_from == CountFrom::hash) return status::ERROR_INV_FMT;
      continue;
    }
    if (c == ',' && spec.array_from == CountFrom::none) {
      ++pos;
      if (!read_count(fmt, pos, spec.array_from, spec.array_size)) return status::ERROR_INV_FMT;
      if (spec.array_from == CountFrom::none) return status::ERROR_INV_FMT;
      continue;
    }
    if (c == '@') {
      if (pos + 1 >= fmt.size() || fmt[pos + 1] < '1' || fmt[pos + 1] > '3') return status::ERROR_INV_FMT;
      spec.nr_form = fmt[pos + 1] - '0';
      pos += 2;
      continue;
    }
    if (c == '!') {
      if (fmt.substr(pos, 3) == "!ob") spec.little_endian = false;
      else if (fmt.substr(pos, 3) == "!ol") spec.little_endian = true;
      else return status::ERROR_INV_FMT;
      pos += 3;
      continue;
    }
    break;
  }
  // the `#` flag after the width position in C's order (e.g. "%#x") is handled by read_count as
  // a count; for the numeric conversions it means C's alternate form.
  if (pos < fmt.size()) {
    char c = fmt[pos];
    if (c == 'h') {
      spec.size = SizeModifier::h;
      ++pos;
    } else if (c == 'l') {
      ++pos;
      if (pos < fmt.size() && fmt[pos] == 'l') {
        spec.size = SizeModifier::ll;
        ++pos;
      } else {
        spec.size = SizeModifier::l;
      }
    } else if (c == 'L') {
      spec.size = SizeModifier::L;
      ++pos;
    } else if (c == 'z') {
      spec.size = SizeModifier::z;
      ++pos;
    } else if (c == 'Z') {
      spec.size = SizeModifier::Z;
      ++pos;
    }
  }
  if (pos >= fmt.size()) return status::ERROR_INV_FMT;
  spec.conversion = fmt[pos++];
  switch (spec.conversion) {
    case 'd': case 'i': case 'o': case 'u': case 'x': case 'X':
    case 'e': case 'E': case 'f': case 'g': case 'G':
    case 'c': case 's': case 'b': case 'B': case 'y': case '%':
      break;
    case 't': case 'T':
      if (!for_scan) return status::ERROR_INV_FMT;
      break;
    case '[': {
      if (!for_scan) return status::ERROR_INV_FMT;
      std::size_t start = pos;
      if (pos < fmt.size() && fmt[pos] == '^') ++pos;
      if (pos < fmt.size() && fmt[pos] == ']') ++pos;  // a leading ']' is a member
      while (pos < fmt.size() && fmt[pos] != ']') ++pos;
      if (pos >= fmt.size()) return status::ERROR_INV_FMT;
      spec.scanset.assign(fmt.substr(start, pos - start));
      ++pos;
      break;
    }
    case 'n': case 'p': case 'a': case 'A':
      return status::ERROR_NSUP_FMT;
    default:
      return status::ERROR_INV_FMT;
  }
  // A `#` where C puts its alternate-form flag: "%#x", "%#o", "%#g" keep C's meaning.
  if (spec.width_from == CountFrom::hash) {
    switch (spec.conversion) {
      case 'o': case 'x': case 'X': case 'e': case 'E': case 'f': case 'g': case 'G':
        if (!for_scan) {
          spec.alt = true;
          spec.width_from = CountFrom::none;
        }
        break;
      default: break;
    }
  }
  return status::SUCCESS;
}

std::size_t binary_element_size(SizeModifier size) {
  switch (size) {
    case SizeModifier::h: return 2;
    case SizeModifier::l: return 4;
    case SizeModifier::ll: return 8;
    case SizeModifier::z: return 4;
    case SizeModifier::Z: return 8;
    default: return 1;
  }
}

std::string decode_format_escapes(std::string_view fmt) {
  std::string out;
  out.reserve(fmt.size());
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c != '\\' || i + 1 >= fmt.size()) {
      out += c;
      continue;
    }
    char n = fmt[++i];
    switch (n) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case '\'': out += '\''; break;
      default:
        if (n >= '0' && n <= '7') {
          int v = 0, digits = 0;
          while (i < fmt.size() && digits < 3 && fmt[i] >= '0' && fmt[i] <= '7') {
            v = v * 8 + (fmt[i] - '0');
            ++i;
            ++digits;
          }
          --i;
          out += static_cast<char>(v);
        } else {
          out += '\\';
          out += n;
        }
    }
  }
  return out;
}

}  // namespace cppvisa::cabi
