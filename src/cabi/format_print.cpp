// viPrintf's formatting engine. C conversions go through snprintf with a rebuilt specification;
// VISA's own (arrays, NR forms, binary blocks) are done here.
//
// Argument types (VPP-4.3.2 §5.4 with the 64-bit Linux widths of visatype.h): integers are `int`
// without a size, `h` short, `l` ViInt32 ("long" in VISA's terms is ViInt32), `ll` ViInt64;
// floating point is double (float arrays without a size, `l` double arrays, `L` long double).
#include "cabi/format_print.hpp"
#include "cabi/format_spec.hpp"

#include <cppvisa/status.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace cppvisa::cabi {
namespace {

// Integers are carried as int64 / uint64 (by conversion signedness); floats as long double.
struct Number {
  bool is_float = false;
  long long i = 0;
  long double f = 0;
};

bool is_signed_conv(char c) { return c == 'd' || c == 'i'; }

// Reads one scalar argument of a numeric conversion.
status_t next_scalar(const FormatSpec& s, ArgSource& args, Number& n) {
  if (is_int_conv(s.conversion)) {
    switch (s.size) {
      case SizeModifier::none: case SizeModifier::l: {
        int v = args.next_int();
        n.i = is_signed_conv(s.conversion) ? v : static_cast<long long>(static_cast<unsigned int>(v));
        return status::SUCCESS;
      }
      case SizeModifier::h: {
        int v = args.next_int();
        n.i = is_signed_conv(s.conversion) ? static_cast<short>(v) : static_cast<unsigned short>(v);
        return status::SUCCESS;
      }
      case SizeModifier::ll: case SizeModifier::L:
        n.i = args.next_llong();
        return status::SUCCESS;
      default: return status::ERROR_INV_FMT;
    }
  }
  n.is_float = true;
  switch (s.size) {
    case SizeModifier::none: case SizeModifier::l: case SizeModifier::z: case SizeModifier::Z:
      n.f = args.next_double();
      return status::SUCCESS;
    case SizeModifier::L: n.f = args.next_ldouble(); return status::SUCCESS;
    default: return status::ERROR_INV_FMT;
  }
}

// Reads element `k` of a numeric array argument.
status_t array_element(const FormatSpec& s, const void* base, std::size_t k, Number& n) {
  if (is_int_conv(s.conversion)) {
    bool sign = is_signed_conv(s.conversion);
    switch (s.size) {
      case SizeModifier::none: case SizeModifier::l: {
        std::int32_t v;
        std::memcpy(&v, static_cast<const char*>(base) + k * 4, 4);
        n.i = sign ? v : static_cast<long long>(static_cast<std::uint32_t>(v));
        return status::SUCCESS;
      }
      case SizeModifier::h: {
        std::int16_t v;
        std::memcpy(&v, static_cast<const char*>(base) + k * 2, 2);
        n.i = sign ? v : static_cast<long long>(static_cast<std::uint16_t>(v));
        return status::SUCCESS;
      }
      case SizeModifier::ll: case SizeModifier::L: {
        std::int64_t v;
        std::memcpy(&v, static_cast<const char*>(base) + k * 8, 8);
        n.i = v;
        return status::SUCCESS;
      }
      default: return status::ERROR_INV_FMT;
    }
  }
  n.is_float = true;
  switch (s.size) {
    case SizeModifier::none: case SizeModifier::z: {
      float v;
      std::memcpy(&v, static_cast<const char*>(base) + k * sizeof v, sizeof v);
      n.f = v;
      return status::SUCCESS;
    }
    case SizeModifier::l: case SizeModifier::Z: {
      double v;
      std::memcpy(&v, static_cast<const char*>(base) + k * sizeof v, sizeof v);
      n.f = v;
      return status::SUCCESS;
    }
    case SizeModifier::L: {
      long double v;
      std::memcpy(&v, static_cast<const char*>(base) + k * sizeof v, sizeof v);
      n.f = v;
      return status::SUCCESS;
    }
    default: return status::ERROR_INV_FMT;
  }
}

// The C flags of a specification.
std::string c_flags(const FormatSpec& s, bool left) {
  std::string f;
  if (left) f += '-';
  if (s.plus) f += '+';
  if (s.space) f += ' ';
  if (s.alt) f += '#';
  if (s.zero) f += '0';
  return f;
}

template <class T>
void append_c(std::string& out, const std::string& cfmt, T value) {
  char small[128];
  int n = std::snprintf(small, sizeof small, cfmt.c_str(), value);
  if (n < 0) return;
  if (static_cast<std::size_t>(n) < sizeof small) {
    out.append(small, static_cast<std::size_t>(n));
    return;
  }
  std::vector<char> big(static_cast<std::size_t>(n) + 1);
  std::snprintf(big.data(), big.size(), cfmt.c_str(), value);
  out.append(big.data(), static_cast<std::size_t>(n));
}

// Formats one number with the resolved width/precision.
void append_number(std::string& out, const FormatSpec& s, const Number& n, bool left, int width, int precision) {
  std::string spec = "%" + c_flags(s, left);
  if (width > 0) spec += std::to_string(width);
  if (precision >= 0) spec += "." + std::to_string(precision);
  char conv = s.conversion;
  // @1/@2/@3: IEEE 488.2 NR1 (integer), NR2 (fixed point), NR3 (exponent) (VPP-4.3.2 viPrintf).
  if (s.nr_form == 1) {
    long long v = n.is_float ? static_cast<long long>(std::llround(static_cast<double>(n.f))) : n.i;
    append_c(out, spec + "lld", v);
    return;
  }
  if (s.nr_form == 2 || s.nr_form == 3) {
    long double v = n.is_float ? n.f : static_cast<long double>(n.i);
    append_c(out, spec + (s.nr_form == 2 ? "Lf" : "LE"), v);
    return;
  }
  if (n.is_float) {
    append_c(out, spec + "L" + conv, n.f);
  } else if (is_signed_conv(conv)) {
    append_c(out, spec + "lld", n.i);
  } else {
    // unsigned conversions print the value in the argument's own width
    unsigned long long u = static_cast<unsigned long long>(n.i);
    if (s.size == SizeModifier::h) u &= 0xFFFFu;
    else if (s.size != SizeModifier::ll && s.size != SizeModifier::L) u &= 0xFFFFFFFFu;
    append_c(out, spec + "ll" + conv, u);
  }
}

// A count given by a literal, or taken from the arguments (`*`, `#`, or absent when `from_args_if_none`).
bool resolve_count(CountFrom from, std::size_t literal, ArgSource& args, bool from_args_if_none, long long& count) {
  switch (from) {
    case CountFrom::literal: count = static_cast<long long>(literal); return true;
    case CountFrom::star: case CountFrom::hash: count = args.next_int(); return true;
    case CountFrom::none:
      if (!from_args_if_none) return false;
      count = args.next_int();
      return true;
  }
  return false;
}

// Appends `count` elements of `size` bytes each, in the requested byte order.
void append_binary(std::string& out, const unsigned char* data, std::size_t count, std::size_t size, bool little) {
  if (size == 1 || little) {  // the host is little endian (x86-64, aarch64 Linux)
    out.append(reinterpret_cast<const char*>(data), count * size);
    return;
  }
  std::size_t at = out.size();
  out.resize(at + count * size);
  for (std::size_t k = 0; k < count; ++k)
    for (std::size_t b = 0; b < size; ++b) out[at + k * size + b] = static_cast<char>(data[k * size + size - 1 - b]);
}

status_t format_binary(const FormatSpec& s, ArgSource& args, std::string& out, bool& flush_with_end) {
  if (s.size == SizeModifier::L) return status::ERROR_INV_FMT;
  long long count = 0;
  resolve_count(s.width_from, s.width, args, true, count);
  if (count < 0) return status::ERROR_INV_PARAMETER;
  auto* data = static_cast<const unsigned char*>(args.next_ptr());
  if (data == nullptr && count > 0) return status::ERROR_USER_BUF;
  std::size_t size = binary_element_size(s.size);
  std::size_t bytes = static_cast<std::size_t>(count) * size;
  if (s.conversion == 'b') {
    // IEEE 488.2 definite length arbitrary block: #<digits of length><length><data>
    std::string len = std::to_string(bytes);
    out += '#';
    out += static_cast<char>('0' + len.size());
    out += len;
  } else if (s.conversion == 'B') {
    // indefinite length block: #0<data> terminated by NL^END (IEEE 488.2 §8.7.10)
    out += "#0";
  }
  append_binary(out, data, static_cast<std::size_t>(count), size, s.little_endian);
  if (s.conversion == 'B') {
    out += '\n';
    flush_with_end = true;
  }
  return status::SUCCESS;
}

status_t format_one(const FormatSpec& s, ArgSource& args, std::string& out, bool& flush_with_end) {
  if (s.conversion == '%') {
    out += '%';
    return status::SUCCESS;
  }
  if (s.conversion == 'b' || s.conversion == 'B' || s.conversion == 'y')
    return format_binary(s, args, out, flush_with_end);
  if (s.width_from == CountFrom::hash) return status::ERROR_INV_FMT;
  bool left = s.left;
  int width = 0;
  if (s.width_from == CountFrom::literal) width = static_cast<int>(s.width);
  if (s.width_from == CountFrom::star) {
    width = args.next_int();
    if (width < 0) {
      left = true;
      width = width == INT32_MIN ? 0 : -width;
    }
  }
  int precision = -1;
  if (s.has_precision) {
    precision = 0;
    if (s.precision_from == CountFrom::literal) precision = static_cast<int>(s.precision);
    if (s.precision_from == CountFrom::star) precision = args.next_int();
  }
  if (s.conversion == 'c') {
    if (s.array_from != CountFrom::none || s.nr_form) return status::ERROR_INV_FMT;
    char c = static_cast<char>(args.next_int());
    std::string pad(width > 1 ? static_cast<std::size_t>(width - 1) : 0, ' ');
    out += left ? std::string(1, c) + pad : pad + std::string(1, c);
    return status::SUCCESS;
  }
  if (s.conversion == 's') {
    if (s.array_from != CountFrom::none || s.nr_form) return status::ERROR_INV_FMT;
    auto* str = static_cast<const char*>(args.next_ptr());
    if (str == nullptr) return status::ERROR_USER_BUF;
    std::size_t len = precision >= 0 ? strnlen(str, static_cast<std::size_t>(precision)) : std::strlen(str);
    std::size_t pad = width > 0 && static_cast<std::size_t>(width) > len ? static_cast<std::size_t>(width) - len : 0;
    if (!left) out.append(pad, ' ');
    out.append(str, len);
    if (left) out.append(pad, ' ');
    return status::SUCCESS;
  }
  if (!is_int_conv(s.conversion) && !is_float_conv(s.conversion)) return status::ERROR_INV_FMT;
  if (s.array_from == CountFrom::none) {
    Number n;
    if (auto st = next_scalar(s, args, n); st != status::SUCCESS) return st;
    append_number(out, s, n, left, width, precision);
    return status::SUCCESS;
  }
  // `,` modifier: a comma-separated array (VPP-4.3.2: "%,10d" prints ten ints from an array)
  long long count = 0;
  resolve_count(s.array_from, s.array_size, args, false, count);
  if (count < 0) return status::ERROR_INV_PARAMETER;
  const void* base = args.next_ptr();
  if (base == nullptr && count > 0) return status::ERROR_USER_BUF;
  for (long long k = 0; k < count; ++k) {
    if (k) out += ',';
    Number n;
    if (auto st = array_element(s, base, static_cast<std::size_t>(k), n); st != status::SUCCESS) return st;
    append_number(out, s, n, left, width, precision);
  }
  return status::SUCCESS;
}

}  // namespace

status_t format_print(std::string_view raw_fmt, ArgSource& args, std::string& out, bool& flush_with_end) {
  flush_with_end = false;
  std::string fmt = decode_format_escapes(raw_fmt);
  std::size_t pos = 0;
  while (pos < fmt.size()) {
    std::size_t pct = fmt.find('%', pos);
    if (pct == std::string::npos) {
      out.append(fmt, pos, std::string::npos);
      break;
    }
    out.append(fmt, pos, pct - pos);
    pos = pct + 1;
    FormatSpec spec;
    if (auto st = parse_format_spec(fmt, pos, spec, false); st != status::SUCCESS) return st;
    if (auto st = format_one(spec, args, out, flush_with_end); st != status::SUCCESS) return st;
  }
  // A line feed at the end of the format string sends the buffer with END (VPP-4.3.2 viPrintf).
  if (!fmt.empty() && fmt.back() == '\n') flush_with_end = true;
  return status::SUCCESS;
}

}  // namespace cppvisa::cabi
