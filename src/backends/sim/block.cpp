#include "backends/sim/block.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace cppvisa::sim {

std::optional<std::string> definite_block_header(std::uint64_t length) {
  std::string digits = std::to_string(length);
  if (digits.size() > 9) return std::nullopt;
  return "#" + std::to_string(digits.size()) + digits;
}

std::optional<BlockDef::DataType> block_data_type(std::string_view name) {
  using T = BlockDef::DataType;
  if (name == "int8") return T::int8;
  if (name == "uint8") return T::uint8;
  if (name == "int16") return T::int16;
  if (name == "uint16") return T::uint16;
  if (name == "int32") return T::int32;
  if (name == "uint32") return T::uint32;
  if (name == "float32") return T::float32;
  if (name == "float64") return T::float64;
  return std::nullopt;
}

namespace {

void append_bits(std::string& out, std::uint64_t bits, int bytes, bool big_endian) {
  for (int i = 0; i < bytes; ++i) {
    int shift = 8 * (big_endian ? bytes - 1 - i : i);
    out.push_back(static_cast<char>((bits >> shift) & 0xFF));
  }
}

template <typename I>
bool append_integer(std::string& out, double value, bool big_endian) {
  double t = std::trunc(value);
  if (!(t >= static_cast<double>(std::numeric_limits<I>::min()) && t <= static_cast<double>(std::numeric_limits<I>::max())))
    return false;
  auto v = static_cast<I>(t);
  append_bits(out, static_cast<std::uint64_t>(static_cast<std::make_unsigned_t<I>>(v)), sizeof(I), big_endian);
  return true;
}

}  // namespace

bool append_block_value(std::string& out, double value, BlockDef::DataType type, bool big_endian) {
  using T = BlockDef::DataType;
  switch (type) {
    case T::int8: return append_integer<std::int8_t>(out, value, big_endian);
    case T::uint8: return append_integer<std::uint8_t>(out, value, big_endian);
    case T::int16: return append_integer<std::int16_t>(out, value, big_endian);
    case T::uint16: return append_integer<std::uint16_t>(out, value, big_endian);
    case T::int32: return append_integer<std::int32_t>(out, value, big_endian);
    case T::uint32: return append_integer<std::uint32_t>(out, value, big_endian);
    case T::float32: {
      if (!std::isfinite(value) || std::fabs(value) > std::numeric_limits<float>::max()) return false;
      append_bits(out, std::bit_cast<std::uint32_t>(static_cast<float>(value)), 4, big_endian);
      return true;
    }
    case T::float64: {
      if (!std::isfinite(value)) return false;
      append_bits(out, std::bit_cast<std::uint64_t>(value), 8, big_endian);
      return true;
    }
  }
  return false;
}

std::string render_block(const BlockDef& block, PythonRandom& rng) {
  std::string data = block.data;
  if (block.random_range) {
    for (std::size_t i = 0; i < block.random_count; ++i) {
      double v = rng.uniform((*block.random_range)[0], (*block.random_range)[1]);
      append_block_value(data, v, block.type, block.big_endian);  // the range was checked at load
    }
  }
  return definite_block_header(data.size()).value_or("#0") + data;
}

}  // namespace cppvisa::sim
