// Internal helpers shared by the values codec sources (values_*.cpp).
#pragma once

#include <cppvisa/values.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <system_error>

namespace cppvisa::values_detail {

/// Sets `ec` to `status` and `*message` (if given) to `text`.
inline void fail(std::error_code& ec, std::string* message, status_t status, std::string text) {
  ec = make_error_code(status);
  if (message) *message = std::move(text);
}

/// Throws InvalidBinaryFormat for an error set by a non-throwing form.
[[noreturn]] inline void throw_binary(const std::error_code& ec, const std::string& message) {
  throw InvalidBinaryFormat(message, to_status(ec));
}

/// Python's repr() of up to `limit` bytes, e.g. b'#A\x0c\x00' (for error messages).
std::string bytes_repr(std::span<const std::byte> data, std::size_t limit = 50);

/// True for 1, 2, 4, 8.
constexpr bool valid_itemsize(std::size_t itemsize) noexcept {
  return itemsize == 1 || itemsize == 2 || itemsize == 4 || itemsize == 8;
}

}  // namespace cppvisa::values_detail
