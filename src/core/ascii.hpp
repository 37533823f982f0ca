// core::is_ascii_digit: the one digit test of the grammars (resource names, queries, sim setters),
// independent of the C locale (std::isdigit is not, and takes an int).
#pragma once

namespace cppvisa::core {

constexpr bool is_ascii_digit(char c) noexcept { return c >= '0' && c <= '9'; }

}  // namespace cppvisa::core
