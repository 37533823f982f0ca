// core log: the debug log's write side (the public switch is cppvisa/log.hpp). A log point is
//   CPPVISA_LOG("socket", "connected to {}:{}", host, port);
// which formats nothing unless the log is on (one relaxed atomic load when off).
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <string_view>

namespace cppvisa::core {

/// Whether the debug log is on (set by CPPVISA_LOG at load time or enable_debug_log()).
extern std::atomic<bool> log_on;
/// Writes one line: time, thread, layer, text.
void log_line(std::string_view layer, std::string_view text) noexcept;

}  // namespace cppvisa::core

/// Logs a line for `layer` with fmt-style arguments, only when the debug log is on.
#define CPPVISA_LOG(layer, ...)                                                    \
  do {                                                                             \
    if (::cppvisa::core::log_on.load(std::memory_order_relaxed)) [[unlikely]]     \
      ::cppvisa::core::log_line(layer, ::fmt::format(__VA_ARGS__));                \
  } while (0)
