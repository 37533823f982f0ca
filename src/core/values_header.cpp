// Values codec: parsing block headers (IEEE 488.2 definite/indefinite, HP, R&S) from a possibly
// incomplete first chunk, and locating the payload of a whole block.
#include "core/values_detail.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace cppvisa {
namespace {

using values_detail::bytes_repr;
using values_detail::fail;

enum class Parse { complete, need_more, malformed };

/// Outcome of the internal parser: for need_more the message says what is missing (the whole
/// buffer form reports it as malformed).
struct Problem {
  status_t status = status::ERROR_INV_FMT;
  std::string message;
};

unsigned char at(std::span<const std::byte> data, std::size_t i) { return static_cast<unsigned char>(data[i]); }

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/// A decimal length field as Python's int() reads it: optional surrounding whitespace around at
/// least one digit. `prefix_ok` is false when the characters seen so far cannot start a valid field.
struct LengthField {
  bool prefix_ok = true;
  bool has_digit = false;
  std::uint64_t value = 0;
};

LengthField read_length_field(std::span<const std::byte> field) {
  LengthField f;
  int state = 0;  // 0 leading spaces, 1 digits, 2 trailing spaces
  for (std::size_t i = 0; i < field.size(); ++i) {
    unsigned char c = at(field, i);
    bool digit = c >= '0' && c <= '9';
    if (digit && state <= 1) {
      state = 1;
      f.has_digit = true;
      // At most 18 digits reach here (IEEE 15, R&S 18): no uint64 overflow.
      f.value = f.value * 10 + (c - '0');
    } else if (is_space(c)) {
      if (state == 1) state = 2;
    } else {
      f.prefix_ok = false;
      return f;
    }
  }
  return f;
}

/// Finds the first `#` (or `#A` for hp) within the junk limit. nullopt: not (yet) found.
std::optional<std::size_t> find_start(std::span<const std::byte> data, bool hp, std::size_t max_junk) {
  std::size_t limit = max_junk < data.size() ? max_junk + 1 : data.size();
  for (std::size_t i = 0; i < limit; ++i) {
    if (at(data, i) != '#') continue;
    if (!hp) return i;
    if (i + 1 < data.size() && at(data, i + 1) == 'A') return i;
  }
  return std::nullopt;
}

Parse check_length(std::uint64_t length, const BlockOptions& options, Problem& problem) {
  if (length > options.max_length || length > std::numeric_limits<std::size_t>::max()) {
    problem = {status::ERROR_INV_LENGTH,
               fmt::format("The block header announces {} data bytes, more than the limit of {} bytes.", length,
                           options.max_length)};
    return Parse::malformed;
  }
  return Parse::complete;
}

// R&S `#(<len>)`: at most 18 digits (PyVISA's limit) before the closing parenthesis.
Parse parse_rs(std::span<const std::byte> data, std::size_t begin, const BlockOptions& options, BlockHeader& out,
               Problem& problem) {
  constexpr std::size_t max_digits = 18;
  std::size_t start = begin + 2;
  std::size_t available = data.size() - start;
  std::size_t scan = std::min(available, max_digits + 1);
  std::size_t close = scan;
  for (std::size_t i = 0; i < scan; ++i) {
    if (at(data, start + i) == ')') {
      close = i;
      break;
    }
  }
  if (close == scan) {
    LengthField partial = read_length_field(data.subspan(start, scan));
    if (scan > max_digits) {
      problem = {status::ERROR_INV_FMT,
                 fmt::format("Unexpectedly large block length indicated using parentheses syntax, or no closing "
                             "parenthesis: {}",
                             bytes_repr(data.subspan(begin, std::min<std::size_t>(data.size() - begin, 25))))};
      return Parse::malformed;
    }
    if (!partial.prefix_ok) {
      problem = {status::ERROR_INV_FMT,
                 fmt::format("Invalid block length in parentheses syntax: {}",
                             bytes_repr(data.subspan(begin, std::min<std::size_t>(data.size() - begin, 25))))};
      return Parse::malformed;
    }
    problem = {status::ERROR_INV_FMT,
               "Block length is indicated using parentheses syntax, but no closing parenthesis was found."};
    return Parse::need_more;
  }
  LengthField field = read_length_field(data.subspan(start, close));
  if (!field.prefix_ok || !field.has_digit) {
    problem = {status::ERROR_INV_FMT, fmt::format("Invalid block length in parentheses syntax: {}",
                                                  bytes_repr(data.subspan(begin, close + 3)))};
    return Parse::malformed;
  }
  if (check_length(field.value, options, problem) != Parse::complete) return Parse::malformed;
  out.offset = start + close + 1;
  out.length = static_cast<std::size_t>(field.value);
  out.format = BlockFormat::rs;
  return Parse::complete;
}

// IEEE 488.2 §7.7.6: `#<digit><digits>` definite, `#0` indefinite. PyVISA (and so this) reads
// the count as ONE HEX digit, so up to 15 length digits (>= 1 GB blocks use `#A`...).
Parse parse_ieee(std::span<const std::byte> data, std::size_t begin, bool accept_rs, const BlockOptions& options,
                 BlockHeader& out, Problem& problem) {
  if (begin + 1 >= data.size()) {
    problem = {status::ERROR_INV_FMT, "The block header is incomplete: nothing follows the hash sign (\"#\")."};
    return Parse::need_more;
  }
  unsigned char c = at(data, begin + 1);
  if (accept_rs && c == '(') return parse_rs(data, begin, options, out, problem);
  int n = hex_value(c);
  if (n < 0) {
    problem = {status::ERROR_INV_FMT,
               fmt::format("Invalid IEEE block header: the hash sign must be followed by a hex digit giving the "
                           "number of length digits, found {}",
                           bytes_repr(data.subspan(begin, std::min<std::size_t>(data.size() - begin, 25))))};
    return Parse::malformed;
  }
  out.format = BlockFormat::ieee;
  if (n == 0) {  // indefinite length: terminated by NL^END (§7.7.6.2)
    out.offset = begin + 2;
    out.length = std::nullopt;
    return Parse::complete;
  }
  std::size_t start = begin + 2;
  std::size_t available = std::min<std::size_t>(data.size() - start, static_cast<std::size_t>(n));
  LengthField field = read_length_field(data.subspan(start, available));
  if (!field.prefix_ok || (available == static_cast<std::size_t>(n) && !field.has_digit)) {
    std::string text = fmt::format("Invalid length digits in IEEE block header: {}",
                                    bytes_repr(data.subspan(begin, 2 + available)));
    if (n == 10)
      text += ". Header length in IEEE format was indicated as 0xA (10d) but the length is not decimal: it "
              "appears the block may be using the HP format instead of IEEE. Try header_fmt=\"hp\".";
    problem = {status::ERROR_INV_FMT, std::move(text)};
    return Parse::malformed;
  }
  if (available < static_cast<std::size_t>(n)) {
    problem = {status::ERROR_INV_FMT, fmt::format("The IEEE block header is incomplete: {} of {} length digits.",
                                                  available, n)};
    return Parse::need_more;
  }
  if (check_length(field.value, options, problem) != Parse::complete) return Parse::malformed;
  out.offset = start + static_cast<std::size_t>(n);
  out.length = static_cast<std::size_t>(field.value);
  return Parse::complete;
}

Parse parse_hp(std::span<const std::byte> data, std::size_t begin, bool big_endian, const BlockOptions& options,
               BlockHeader& out, Problem& problem) {
  if (data.size() - begin < 4) {
    problem = {status::ERROR_INV_FMT, "The HP block header (\"#A\" + 2 length bytes) is incomplete."};
    return Parse::need_more;
  }
  unsigned b0 = at(data, begin + 2), b1 = at(data, begin + 3);
  std::uint64_t length = big_endian ? (b0 << 8 | b1) : (b1 << 8 | b0);
  if (check_length(length, options, problem) != Parse::complete) return Parse::malformed;
  out.offset = begin + 4;
  out.length = static_cast<std::size_t>(length);
  out.format = BlockFormat::hp;
  return Parse::complete;
}

Parse parse_header(std::span<const std::byte> data, BlockFormat format, bool big_endian, const BlockOptions& options,
                   BlockHeader& out, Problem& problem) {
  out = BlockHeader{};
  if (format == BlockFormat::empty) {
    out.format = BlockFormat::empty;
    return Parse::complete;
  }
  bool hp = format == BlockFormat::hp;
  auto begin = find_start(data, hp, options.max_junk);
  if (!begin) {
    std::string text =
        hp ? fmt::format("Could not find the standard block header (\"#A\") indicating the start of the block. "
                         "The block begins with {}",
                         bytes_repr(data))
           : fmt::format("Could not find hash sign (\"#\") indicating the start of the block. The block begins with {}",
                         bytes_repr(data));
    // The `#` must sit at index <= max_junk: wait for more bytes only while it still can.
    bool can_come = data.size() <= options.max_junk ||
                    (hp && !data.empty() && data.size() - 1 <= options.max_junk && at(data, data.size() - 1) == '#');
    if (!can_come) {
      problem = {status::ERROR_INV_FMT, text + fmt::format(" (searched {} bytes).", options.max_junk + 1)};
      return Parse::malformed;
    }
    problem = {status::ERROR_INV_FMT, std::move(text)};
    return Parse::need_more;
  }
  out.junk = *begin;
  if (options.raise_on_late_block && *begin > options.length_before_block) {
    problem = {status::ERROR_INV_FMT,
               fmt::format("The beginning of the block has been found at {} which is an unexpectedly large value. "
                           "The actual block may have been missing a beginning marker but the block contained one: {}",
                           *begin, bytes_repr(data))};
    return Parse::malformed;
  }
  Parse result = hp ? parse_hp(data, *begin, big_endian, options, out, problem)
                    : parse_ieee(data, *begin, format == BlockFormat::rs, options, out, problem);
  return result;
}

}  // namespace

std::optional<BlockHeader> parse_block_header(std::span<const std::byte> data, BlockFormat format, bool big_endian,
                                              std::error_code& ec, const BlockOptions& options,
                                              std::string* message) {
  ec.clear();
  BlockHeader header;
  Problem problem;
  switch (parse_header(data, format, big_endian, options, header, problem)) {
    case Parse::complete: return header;
    case Parse::need_more:
      if (message) *message = std::move(problem.message);  // what is missing, for a caller already at END
      return std::nullopt;
    case Parse::malformed: break;
  }
  fail(ec, message, problem.status, std::move(problem.message));
  return std::nullopt;
}

BlockHeader parse_block_header(std::span<const std::byte> data, BlockFormat format, bool big_endian,
                               const BlockOptions& options) {
  BlockHeader header;
  Problem problem;
  if (parse_header(data, format, big_endian, options, header, problem) == Parse::complete) return header;
  throw InvalidBinaryFormat(problem.message, problem.status);
}

std::span<const std::byte> binary_block_payload(std::span<const std::byte> block, std::size_t offset,
                                                std::optional<std::size_t> data_length, std::size_t itemsize,
                                                std::error_code& ec, std::string* message) {
  ec.clear();
  if (!values_detail::valid_itemsize(itemsize)) {
    fail(ec, message, status::ERROR_INV_PARAMETER, fmt::format("Invalid item size {} (1, 2, 4 or 8).", itemsize));
    return {};
  }
  if (offset > block.size()) {
    fail(ec, message, status::ERROR_INV_LENGTH,
         fmt::format("The data offset {} is beyond the end of the {}-byte block.", offset, block.size()));
    return {};
  }
  std::size_t available = block.size() - offset;
  std::size_t length = data_length.value_or(available);
  if (length > available) {
    fail(ec, message, status::ERROR_INV_LENGTH,
         fmt::format("Binary data is incomplete. The header states {} data bytes, but {} were received.", length,
                     available));
    return {};
  }
  if (length % itemsize != 0) {
    fail(ec, message, status::ERROR_INV_LENGTH,
         fmt::format("Binary data is malformed: {} data bytes are not a whole number of {}-byte items.", length,
                     itemsize));
    return {};
  }
  return block.subspan(offset, length);
}

std::span<const std::byte> block_payload(std::span<const std::byte> block, BlockFormat format, bool big_endian,
                                         std::size_t itemsize, std::error_code& ec, const BlockOptions& options,
                                         std::string* message) {
  ec.clear();
  BlockHeader header;
  Problem problem;
  if (parse_header(block, format, big_endian, options, header, problem) != Parse::complete) {
    fail(ec, message, problem.status, std::move(problem.message));
    return {};
  }
  std::optional<std::size_t> length = header.length;
  if (!length) {
    std::size_t rest = block.size() - header.offset;
    // The NL^END after an indefinite block (IEEE 488.2 §7.7.6.2) is not data.
    if (itemsize > 1 && rest % itemsize != 0 && rest > 0 && at(block, block.size() - 1) == '\n' &&
        (rest - 1) % itemsize == 0)
      --rest;
    length = rest;
  }
  auto payload = binary_block_payload(block, header.offset, length, itemsize, ec, message);
  if (ec && message && header.format == BlockFormat::ieee && header.offset - header.junk == 12 &&
      at(block, header.junk + 1) == 'A' && block.size() - header.junk < 65540) {
    *message += " Header length in IEEE format was indicated as 0xA (10d) but the block length was less than "
                "64 KiB. It appears the block may be using the HP format instead of IEEE. Try header_fmt=\"hp\".";
  }
  return payload;
}

}  // namespace cppvisa
