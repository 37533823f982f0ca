// viScanf's parsing engine (VPP-4.3.2 §5.5). Storage widths: integers int (no size), short (h),
// ViInt32 (l), ViInt64 (ll); floating point float (no size), double (l), long double (L); binary
// elements 1 byte (no size), 2 (h), 4 (l), 8 (ll), float (z), double (Z). Counts given with `#`
// are pointers to ViInt32: the capacity on input, the number stored on output.
#include "cabi/format_scan.hpp"
#include "cabi/format_spec.hpp"
#include "core/error_detail.hpp"

#include <cppvisa/status.hpp>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace cppvisa::cabi {
namespace {

class Input {
 public:
  Input(ReadBuffer& b, const RefillFn& refill) : b_(b), refill_(refill) {}

  /// The next byte, or -1 at the end of input. A new message is read from the device only where
  /// one may start (`may_start`: before a conversion or a literal), never inside a token.
  int peek(bool may_start = false) {
    if (!b_.empty()) return static_cast<unsigned char>(b_.data[b_.pos]);
    if (!refill_ || error_ < 0) return -1;
    if (b_.message_complete && !may_start) return -1;
    b_.data.clear();
    b_.pos = 0;
    status_t st = refill_(b_);
    if (st < 0) {
      error_ = st;
      return -1;
    }
    if (b_.empty()) return -1;
    return static_cast<unsigned char>(b_.data[b_.pos]);
  }
  void consume() { ++b_.pos; }
  status_t error() const { return error_; }
  void set_error(status_t st) { error_ = st; }
  const RefillFn& refill() const { return refill_; }
  ReadBuffer& buffer() { return b_; }
  /// True when the bytes of the current message are all consumed (END seen).
  bool at_message_end() { return b_.empty() && (b_.message_complete || !refill_ || peek() < 0); }

  /// Skips whitespace; `may_start`: a new message may be read to find the next token.
  void skip_whitespace(bool may_start = true) {
    for (int c = peek(may_start); c >= 0 && std::isspace(c); c = peek(may_start)) consume();
  }

 private:
  ReadBuffer& b_;
  const RefillFn& refill_;
  status_t error_ = status::SUCCESS;
};


std::size_t limit_of(std::size_t width) { return width ? width : std::numeric_limits<std::size_t>::max(); }

bool is_digit_in(int c, int base) {
  if (base == 8) return c >= '0' && c <= '7';
  if (base == 16) return std::isxdigit(c) != 0;
  return c >= '0' && c <= '9';
}

// Reads an integer token (after whitespace); false when none is there.
bool scan_integer(Input& in, char conv, std::size_t width, long long& value, bool may_start) {
  std::size_t max = limit_of(width);
  std::string tok;
  int c = in.peek(may_start);
  if ((c == '+' || c == '-') && tok.size() < max) {
    tok += static_cast<char>(c);
    in.consume();
    c = in.peek();
  }
  int base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X') ? 16 : conv == 'i' ? 0 : 10;
  if ((base == 16 || base == 0) && c == '0' && tok.size() < max) {
    tok += '0';
    in.consume();
    c = in.peek();
    if ((c == 'x' || c == 'X') && tok.size() < max) {
      tok += static_cast<char>(c);
      in.consume();
      c = in.peek();
      base = 16;
    } else if (base == 0) {
      base = 8;
    }
  }
  if (base == 0) base = 10;
  while (c >= 0 && is_digit_in(c, base) && tok.size() < max) {
    tok += static_cast<char>(c);
    in.consume();
    c = in.peek();
  }
  bool any_digit = false;
  for (char t : tok) any_digit |= std::isxdigit(static_cast<unsigned char>(t)) != 0;
  if (!any_digit) return false;
  // "0x" with no hex digit: the 0 is the number
  const char* begin = tok.c_str();
  if (conv == 'u' || conv == 'o' || conv == 'x' || conv == 'X')
    value = static_cast<long long>(std::strtoull(begin, nullptr, base));
  else
    value = std::strtoll(begin, nullptr, base);
  return true;
}

// Reads a floating-point token (IEEE 488.2 NR1/NR2/NR3 and C forms, INF/NAN words included).
bool scan_float(Input& in, std::size_t width, long double& value, bool may_start) {
  std::size_t max = limit_of(width);
  std::string tok;
  auto take = [&](int c) {
    tok += static_cast<char>(c);
    in.consume();
  };
  int c = in.peek(may_start);
  if ((c == '+' || c == '-') && tok.size() < max) {
    take(c);
    c = in.peek();
  }
  if (c >= 0 && (std::toupper(c) == 'I' || std::toupper(c) == 'N')) {
    while (c >= 0 && std::isalpha(c) && tok.size() < max) {
      take(c);
      c = in.peek();
    }
  } else {
    bool digits = false;
    while (c >= 0 && std::isdigit(c) && tok.size() < max) {
      take(c);
      digits = true;
      c = in.peek();
    }
    if (c == '.' && tok.size() < max) {
      take(c);
      c = in.peek();
      while (c >= 0 && std::isdigit(c) && tok.size() < max) {
        take(c);
        digits = true;
        c = in.peek();
      }
    }
    if (!digits) return false;
    if ((c == 'e' || c == 'E') && tok.size() < max) {
      take(c);
      c = in.peek();
      if ((c == '+' || c == '-') && tok.size() < max) {
        take(c);
        c = in.peek();
      }
      while (c >= 0 && std::isdigit(c) && tok.size() < max) {
        take(c);
        c = in.peek();
      }
    }
  }
  char* end = nullptr;
  value = std::strtold(tok.c_str(), &end);
  return end != tok.c_str();
}

void store_int(const FormatSpec& s, void* dst, std::size_t k, long long v) {
  auto* p = static_cast<char*>(dst);
  switch (s.size) {
    case SizeModifier::h: {
      auto x = static_cast<std::int16_t>(v);
      std::memcpy(p + k * 2, &x, 2);
      break;
    }
    case SizeModifier::ll: case SizeModifier::L: {
      auto x = static_cast<std::int64_t>(v);
      std::memcpy(p + k * 8, &x, 8);
      break;
    }
    default: {
      auto x = static_cast<std::int32_t>(v);
      std::memcpy(p + k * 4, &x, 4);
    }
  }
}

void store_float(const FormatSpec& s, void* dst, std::size_t k, long double v) {
  auto* p = static_cast<char*>(dst);
  switch (s.size) {
    case SizeModifier::l: case SizeModifier::Z: {
      auto x = static_cast<double>(v);
      std::memcpy(p + k * sizeof x, &x, sizeof x);
      break;
    }
    case SizeModifier::L: std::memcpy(p + k * sizeof v, &v, sizeof v); break;
    default: {
      auto x = static_cast<float>(v);
      std::memcpy(p + k * sizeof x, &x, sizeof x);
    }
  }
}

bool in_scanset(const std::string& set, int c) {
  bool negate = !set.empty() && set[0] == '^';
  std::size_t i = negate ? 1 : 0;
  bool found = false;
  for (; i < set.size(); ++i) {
    if (i + 2 < set.size() && set[i + 1] == '-') {
      if (c >= static_cast<unsigned char>(set[i]) && c <= static_cast<unsigned char>(set[i + 2])) found = true;
      i += 2;
    } else if (static_cast<unsigned char>(set[i]) == c) {
      found = true;
    }
  }
  return found != negate;
}

// The capacity of a string/array/binary conversion: a literal width, a `#` pointer (read now), or none.
struct Capacity {
  std::size_t max = std::numeric_limits<std::size_t>::max();
  bool bounded = false;
  std::int32_t* count_out = nullptr;
};

status_t resolve_capacity(CountFrom from, std::size_t literal, ArgSource& args, bool suppress, Capacity& cap) {
  if (from == CountFrom::literal) {
    cap.max = literal;
    cap.bounded = true;
  } else if (from == CountFrom::hash) {
    if (suppress) return status::SUCCESS;
    cap.count_out = static_cast<std::int32_t*>(args.next_ptr());
    if (cap.count_out == nullptr) return status::ERROR_USER_BUF;
    cap.max = *cap.count_out < 0 ? 0 : static_cast<std::size_t>(*cap.count_out);
    cap.bounded = true;
  } else if (from == CountFrom::star) {
    return status::ERROR_INV_FMT;
  }
  return status::SUCCESS;
}

void swap_elements(unsigned char* data, std::size_t count, std::size_t size) {
  for (std::size_t k = 0; k < count; ++k)
    for (std::size_t b = 0; b < size / 2; ++b) std::swap(data[k * size + b], data[k * size + size - 1 - b]);
}

// A block (IEEE definite or indefinite, HP, R&S) whose '#' is the next input byte: its first
// `keep` data bytes go to `store`, the rest is read and dropped (memory follows the caller's
// array, not the block). The header's length decides, never the termination character.
template <class Store>
status_t scan_block(Input& in, std::size_t itemsize, bool big_endian, std::size_t keep, const BlockDevice* device,
                    Store& store) {
  ReadBuffer& b = in.buffer();
  std::vector<std::byte> pending(reinterpret_cast<const std::byte*>(b.data.data()) + b.pos,
                                 reinterpret_cast<const std::byte*>(b.data.data()) + b.data.size());
  // A buffer that needs no refill (viSScanf, or a complete message) ends where its bytes end.
  bool message_ended = !device || b.end_seen;
  status_t last = status::SUCCESS;
  bool read_any = false;
  core::BlockReadFn no_device = [](std::span<std::byte>, std::size_t& count) {
    count = 0;
    return status::SUCCESS;  // END: nothing more
  };
  core::BlockReadFn read = [&](std::span<std::byte> buffer, std::size_t& count) {
    last = device ? device->read(buffer, count) : no_device(buffer, count);
    read_any = true;
    return last;
  };
  core::BlockSpec spec;
  spec.format = std::nullopt;  // '#A' HP, '#(' R&S, '#<digit>' IEEE
  spec.big_endian = big_endian;
  spec.itemsize = itemsize;
  spec.chunk = 4096;
  spec.max_stored = keep;
  if (device) {
    spec.before_data = device->before_data;
    spec.termchar_ends_indefinite = device->termchar_ends_indefinite;
    spec.pending_ends_at_termchar = b.message_complete && !b.end_seen;
  }
  std::vector<std::byte> data;
  auto storage = [&](std::size_t n) {
    data.resize(n);
    return std::span(data);
  };
  core::BlockResult result;
  status_t st = core::read_block(read, spec, pending, message_ended, storage, result);
  if (device && device->after_block) device->after_block();
  // What follows the block stays for the rest of the format.
  b.data.assign(reinterpret_cast<const char*>(pending.data()), pending.size());
  b.pos = 0;
  if (read_any) {
    b.end_seen = message_ended;
    b.message_complete = message_ended || last == status::SUCCESS_TERM_CHAR;
  }
  if (st < 0) {
    b.clear();  // the failed block's bytes are consumed: never parsed again as a new message
    core::fail(st, result.why);
    in.set_error(st);
    return st;
  }
  for (std::size_t k = 0; k < result.length; ++k) store(static_cast<int>(data[k]));
  return status::SUCCESS;
}

// %b / %B / %y: binary data into an element array.
status_t scan_binary(const FormatSpec& s, ArgSource& args, Input& in, const BlockDevice* device, bool& matched) {
  matched = false;
  if (s.size == SizeModifier::L) return status::ERROR_INV_FMT;
  Capacity cap;
  if (auto st = resolve_capacity(s.width_from, s.width, args, s.suppress, cap); st != status::SUCCESS) return st;
  // Without a count the size of the caller's array is unknown: refuse rather than overrun it.
  if (!cap.bounded && !s.suppress) return status::ERROR_INV_FMT;
  unsigned char* dst = s.suppress ? nullptr : static_cast<unsigned char*>(args.next_ptr());
  if (!s.suppress && dst == nullptr) return status::ERROR_USER_BUF;
  std::size_t size = binary_element_size(s.size);
  std::size_t capacity_bytes = cap.max > std::numeric_limits<std::size_t>::max() / size ? cap.max : cap.max * size;

  std::size_t stored = 0;   // bytes stored
  std::size_t length = 0;   // bytes of data in the input
  auto store = [&](int c) {
    if (dst && stored < capacity_bytes) dst[stored] = static_cast<unsigned char>(c);
    if (stored < capacity_bytes) ++stored;
  };
  if (s.conversion == 'y') {
    length = s.suppress && !cap.bounded ? 0 : capacity_bytes;
    for (std::size_t k = 0; k < length; ++k) {
      int c = in.peek(k == 0);
      if (c < 0) break;
      in.consume();
      store(c);
    }
  } else {
    in.skip_whitespace();
    if (in.peek() != '#') return in.error();
    if (auto st = scan_block(in, size, !s.little_endian, s.suppress ? 0 : capacity_bytes, device, store); st < 0)
      return st;
  }
  if (in.error() < 0) return in.error();
  std::size_t elements = stored / size;
  if (dst && !s.little_endian && size > 1) swap_elements(dst, elements, size);
  if (cap.count_out) *cap.count_out = static_cast<std::int32_t>(elements);
  matched = true;
  return status::SUCCESS;
}

// %s %[ %c %t %T: characters into a char array (NUL-terminated except %c).
status_t scan_chars(const FormatSpec& s, ArgSource& args, Input& in, bool& matched) {
  matched = false;
  Capacity cap;
  if (auto st = resolve_capacity(s.width_from, s.width, args, s.suppress, cap); st != status::SUCCESS) return st;
  char* dst = s.suppress ? nullptr : static_cast<char*>(args.next_ptr());
  if (!s.suppress && dst == nullptr) return status::ERROR_USER_BUF;
  char conv = s.conversion;
  // for `#` the capacity includes the terminating NUL; a literal width counts characters
  std::size_t max_chars = cap.max;
  if (cap.count_out && conv != 'c') max_chars = cap.max > 0 ? cap.max - 1 : 0;
  if (conv == 'c' && !cap.bounded) max_chars = 1;
  if (conv == 's') in.skip_whitespace();
  std::size_t n = 0;
  bool first = true;
  for (;;) {
    int c = in.peek(first);
    first = false;
    if (c < 0) break;
    if (conv == 's' && std::isspace(c)) break;
    if (conv == '[' && !in_scanset(s.scanset, c)) break;
    if ((conv == 's' || conv == '[' || conv == 'c') && n >= max_chars) break;
    in.consume();
    if (n < max_chars) {
      if (dst) dst[n] = static_cast<char>(c);
      ++n;
    }
    if (conv == 'T' && c == '\n') break;
  }
  if (in.error() < 0) return in.error();
  if (n == 0 && conv != 't' && conv != 'T') return status::SUCCESS;
  if (dst && conv != 'c') dst[n] = '\0';
  if (cap.count_out) *cap.count_out = static_cast<std::int32_t>(n);
  matched = true;
  return status::SUCCESS;
}

// Numeric conversions, scalar or `,` arrays.
status_t scan_numeric(const FormatSpec& s, ArgSource& args, Input& in, bool& matched) {
  matched = false;
  bool is_array = s.array_from != CountFrom::none;
  Capacity cap;
  if (is_array) {
    if (auto st = resolve_capacity(s.array_from, s.array_size, args, s.suppress, cap); st != status::SUCCESS) return st;
  } else {
    cap.max = 1;
  }
  if (s.width_from == CountFrom::hash || s.width_from == CountFrom::star) return status::ERROR_INV_FMT;
  void* dst = s.suppress ? nullptr : args.next_ptr();
  if (!s.suppress && dst == nullptr) return status::ERROR_USER_BUF;
  std::size_t n = 0;
  while (n < cap.max) {
    // Separators and later elements belong to the same message: never read a new one for them.
    if (n > 0) {
      in.skip_whitespace(false);
      if (in.peek() != ',') break;
      in.consume();
    }
    in.skip_whitespace(n == 0);
    if (is_int_conv(s.conversion)) {
      long long v = 0;
      if (!scan_integer(in, s.conversion, s.width, v, n == 0)) break;
      if (dst) store_int(s, dst, n, v);
    } else {
      long double v = 0;
      if (!scan_float(in, s.width, v, n == 0)) break;
      if (dst) store_float(s, dst, n, v);
    }
    ++n;
  }
  if (in.error() < 0) return in.error();
  if (cap.count_out) *cap.count_out = static_cast<std::int32_t>(n);
  matched = n > 0;
  return status::SUCCESS;
}

}  // namespace

status_t format_scan(std::string_view raw_fmt, ArgSource& args, ReadBuffer& buffer, const RefillFn& refill,
                     int* assigned, const BlockDevice* device) {
  std::string fmt = decode_format_escapes(raw_fmt);
  Input in(buffer, refill);
  int stored = 0;
  if (assigned) *assigned = 0;
  std::size_t pos = 0;
  while (pos < fmt.size()) {
    unsigned char f = static_cast<unsigned char>(fmt[pos]);
    if (std::isspace(f)) {
      // whitespace in the format matches any amount of whitespace (none included), without
      // starting a new message
      while (pos < fmt.size() && std::isspace(static_cast<unsigned char>(fmt[pos]))) ++pos;
      for (int c = in.peek(); c >= 0 && std::isspace(c); c = in.peek()) in.consume();
      continue;
    }
    if (f != '%' || (pos + 1 < fmt.size() && fmt[pos + 1] == '%')) {
      int c = in.peek(true);
      if (c != f) break;
      in.consume();
      pos += f == '%' ? 2 : 1;
      continue;
    }
    ++pos;
    FormatSpec spec;
    if (auto st = parse_format_spec(fmt, pos, spec, true); st != status::SUCCESS) return st;
    bool matched = false;
    status_t st;
    switch (spec.conversion) {
      case 'b': case 'B': case 'y': st = scan_binary(spec, args, in, device, matched); break;
      case 's': case '[': case 'c': case 't': case 'T': st = scan_chars(spec, args, in, matched); break;
      default:
        if (!is_int_conv(spec.conversion) && !is_float_conv(spec.conversion)) return status::ERROR_INV_FMT;
        st = scan_numeric(spec, args, in, matched);
    }
    if (st != status::SUCCESS) return st;
    if (!matched) break;
    if (!spec.suppress) ++stored;
    if (assigned) *assigned = stored;
  }
  return in.error() < 0 ? in.error() : status::SUCCESS;
}

}  // namespace cppvisa::cabi
