// Values codec: byte order, decoding into caller buffers, and encoding blocks with their headers.
#include "core/values_detail.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace cppvisa {
namespace {

using values_detail::fail;
using values_detail::valid_itemsize;

constexpr bool host_big_endian = std::endian::native == std::endian::big;

inline std::uint16_t bswap(std::uint16_t v) { return __builtin_bswap16(v); }
inline std::uint32_t bswap(std::uint32_t v) { return __builtin_bswap32(v); }
inline std::uint64_t bswap(std::uint64_t v) { return __builtin_bswap64(v); }

/// Copies n elements of U from src to dst swapping each (src == dst allowed). Hot loop: plain
/// memcpy loads/stores that compilers turn into vector shuffles.
template <typename U>
void copy_swapped(const std::byte* src, std::byte* dst, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    U v;
    std::memcpy(&v, src + i * sizeof(U), sizeof(U));
    v = bswap(v);
    std::memcpy(dst + i * sizeof(U), &v, sizeof(U));
  }
}

void copy_swapped(const std::byte* src, std::byte* dst, std::size_t bytes, std::size_t itemsize) {
  switch (itemsize) {
    case 2: copy_swapped<std::uint16_t>(src, dst, bytes / 2); break;
    case 4: copy_swapped<std::uint32_t>(src, dst, bytes / 4); break;
    case 8: copy_swapped<std::uint64_t>(src, dst, bytes / 8); break;
    default: break;
  }
}

bool check_layout(std::size_t bytes, std::size_t itemsize, std::error_code& ec, std::string* message) {
  if (!valid_itemsize(itemsize)) {
    fail(ec, message, status::ERROR_INV_PARAMETER, fmt::format("Invalid item size {} (1, 2, 4 or 8).", itemsize));
    return false;
  }
  if (bytes % itemsize != 0) {
    fail(ec, message, status::ERROR_INV_PARAMETER,
         fmt::format("{} bytes are not a whole number of {}-byte items.", bytes, itemsize));
    return false;
  }
  return true;
}

std::size_t decimal_digits(std::size_t v) {
  std::size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

}  // namespace

void fix_byte_order(std::span<std::byte> data, std::size_t itemsize, bool big_endian) {
  std::error_code ec;
  std::string message;
  if (!check_layout(data.size(), itemsize, ec, &message)) values_detail::throw_binary(ec, message);
  if (itemsize > 1 && big_endian != host_big_endian) copy_swapped(data.data(), data.data(), data.size(), itemsize);
}

void decode_into(std::span<const std::byte> data, std::size_t itemsize, bool big_endian, std::span<std::byte> out,
                 std::error_code& ec) noexcept {
  ec.clear();
  if (!valid_itemsize(itemsize) || data.size() % itemsize != 0) {
    ec = make_error_code(status::ERROR_INV_PARAMETER);
    return;
  }
  if (data.size() != out.size()) {
    ec = make_error_code(status::ERROR_INV_LENGTH);
    return;
  }
  if (data.empty()) return;
  if (itemsize == 1 || big_endian == host_big_endian) std::memmove(out.data(), data.data(), data.size());
  else copy_swapped(data.data(), out.data(), data.size(), itemsize);
}

void decode_into(std::span<const std::byte> data, std::size_t itemsize, bool big_endian, std::span<std::byte> out) {
  std::error_code ec;
  decode_into(data, itemsize, big_endian, out, ec);
  if (ec == make_error_code(status::ERROR_INV_LENGTH))
    throw InvalidBinaryFormat(fmt::format("{} data bytes do not fill the {}-byte buffer.", data.size(), out.size()),
                              status::ERROR_INV_LENGTH);
  if (ec)
    throw InvalidBinaryFormat(fmt::format("Invalid item size {} for {} bytes.", itemsize, data.size()),
                              status::ERROR_INV_PARAMETER);
}

std::size_t block_header_size(std::size_t data_length, BlockFormat format) noexcept {
  switch (format) {
    case BlockFormat::ieee: return 2 + decimal_digits(data_length);
    case BlockFormat::rs: return 3 + decimal_digits(data_length);
    case BlockFormat::hp: return 4;
    case BlockFormat::empty: return 0;
  }
  return 0;
}

std::size_t message_size(std::size_t num_points, std::size_t itemsize, BlockFormat format) noexcept {
  std::size_t data = num_points * itemsize;
  return data + block_header_size(data, format) + 1;
}

void append_block_header(std::vector<std::byte>& out, std::size_t data_length, BlockFormat format, bool big_endian,
                         std::error_code& ec, std::string* message) {
  ec.clear();
  auto put = [&out](std::string_view text) {
    const auto* p = reinterpret_cast<const std::byte*>(text.data());
    out.insert(out.end(), p, p + text.size());
  };
  switch (format) {
    case BlockFormat::ieee: {
      std::string digits = std::to_string(data_length);
      // One hex count digit: 15 length digits at most (PyVISA: "cannot be >= 1 PB").
      if (digits.size() > 15) {
        fail(ec, message, status::ERROR_INV_LENGTH,
             "Block length in bytes cannot be greater than or equal to 1 PB (1e15) in IEEE format.");
        return;
      }
      put(fmt::format("#{:X}{}", digits.size(), digits));
      return;
    }
    case BlockFormat::hp: {
      if (data_length >= 65536) {
        fail(ec, message, status::ERROR_INV_LENGTH,
             fmt::format("Block length in bytes cannot be greater than or equal to 64 KiB in HP format ({} bytes).",
                         data_length));
        return;
      }
      auto lo = static_cast<std::byte>(data_length & 0xFF), hi = static_cast<std::byte>(data_length >> 8);
      put("#A");
      out.push_back(big_endian ? hi : lo);
      out.push_back(big_endian ? lo : hi);
      return;
    }
    case BlockFormat::rs: put(fmt::format("#({})", data_length)); return;
    case BlockFormat::empty: return;
  }
}

void append_block_header(std::vector<std::byte>& out, std::size_t data_length, BlockFormat format,
                         bool big_endian) {
  std::error_code ec;
  std::string message;
  append_block_header(out, data_length, format, big_endian, ec, &message);
  if (ec) values_detail::throw_binary(ec, message);
}

void append_block(std::vector<std::byte>& out, std::span<const std::byte> native, std::size_t itemsize,
                  BlockFormat format, bool big_endian, std::error_code& ec, std::string* message) {
  ec.clear();
  if (!check_layout(native.size(), itemsize, ec, message)) return;
  std::size_t before = out.size();
  append_block_header(out, native.size(), format, big_endian, ec, message);
  if (ec) return;
  std::size_t start = out.size();
  try {
    out.resize(start + native.size());
  } catch (...) {
    out.resize(before);
    throw;
  }
  if (native.empty()) return;
  if (itemsize == 1 || big_endian == host_big_endian) std::memcpy(out.data() + start, native.data(), native.size());
  else copy_swapped(native.data(), out.data() + start, native.size(), itemsize);
}

void append_block(std::vector<std::byte>& out, std::span<const std::byte> native, std::size_t itemsize,
                  BlockFormat format, bool big_endian) {
  std::error_code ec;
  std::string message;
  append_block(out, native, itemsize, format, big_endian, ec, &message);
  if (ec) values_detail::throw_binary(ec, message);
}

}  // namespace cppvisa
