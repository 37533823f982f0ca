/// @file log.hpp
/// @brief The debug log: what each layer of cppvisa does (the backend chosen and why,
/// connections, sessions opened, I/O in summary, errors with their cause).
///
/// Off by default. The environment turns it on for any program using cppvisa or libvisa.so:
/// `CPPVISA_LOG=debug` writes to stderr, `CPPVISA_LOG=debug:/path/file` appends to a file. A
/// program can also turn it on and off with enable_debug_log() / disable_debug_log(). When off,
/// a log point costs one relaxed atomic load and nothing is formatted. See docs/errors.md.
#pragma once

#include <cppvisa/export.hpp>

#include <string_view>

namespace cppvisa {

/// Turns the debug log on: to stderr when `path` is empty, else appended to the file `path`.
/// Returns false (and leaves the log as it was) when the file cannot be opened.
CPPVISA_API bool enable_debug_log(std::string_view path = {});
/// Turns the debug log off (and closes its file).
CPPVISA_API void disable_debug_log() noexcept;
/// Whether the debug log is on.
CPPVISA_API bool debug_log_enabled() noexcept;

}  // namespace cppvisa
