// testing::byte_view, byte_vector, from_hex: the bytes the unit tests feed parsers and compare
// encoders with, written as text or as hex digits.
#pragma once

#include <cppvisa/values.hpp>

#include <cctype>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::testing {

/// The characters of `s` as bytes, without a copy (valid while `s` is).
inline std::span<const std::byte> byte_view(std::string_view s) { return as_byte_span(s); }

/// The characters of `s` as bytes, copied.
inline std::vector<std::byte> byte_vector(std::string_view s) {
  auto view = as_byte_span(s);
  return {view.begin(), view.end()};
}

/// Bytes from hex digits in pairs; anything else (spaces, separators) is skipped: "01 fe 0a".
inline std::vector<std::byte> from_hex(std::string_view text) {
  std::string digits;
  for (char c : text)
    if (std::isxdigit(static_cast<unsigned char>(c))) digits += c;
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(static_cast<std::byte>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  return out;
}

}  // namespace cppvisa::testing
