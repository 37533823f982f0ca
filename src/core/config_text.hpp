// Line-oriented configuration text (the resource options file, HiSLIP's users and credentials
// files): trimming and the walk over the lines that are neither blank nor comments.
#pragma once

#include <cppvisa/status.hpp>

#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <string>
#include <string_view>

namespace cppvisa::core {

/// `s` without leading and trailing white space (and '\r').
inline std::string_view trim_blanks(std::string_view s) noexcept {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// Calls `line(number, trimmed text)` (status_t) for each line that is not blank and does not
/// start with one of `comment_chars`; stops at the first error and returns it.
template <typename F>
status_t for_each_config_line(std::string_view text, std::string_view comment_chars, F&& line) {
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    std::size_t nl = text.find('\n');
    std::string_view l = trim_blanks(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (l.empty() || comment_chars.find(l.front()) != std::string_view::npos) continue;
    if (status_t st = line(number, l); st != status::SUCCESS) return st;
  }
  return status::SUCCESS;
}

/// cppvisa's file `name` in the user's configuration directory: $XDG_CONFIG_HOME/cppvisa/name,
/// else ~/.config/cppvisa/name; "" without either variable.
inline std::string user_config_file(std::string_view name) {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/cppvisa/" + std::string(name);
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.config/cppvisa/" + std::string(name);
  return {};
}

}  // namespace cppvisa::core
