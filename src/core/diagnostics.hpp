// core::diagnostic: what the user must learn that no VISA status can carry (which simulation file
// is missing, which line of it is wrong, why a write failed). It goes to stderr as
// "cppvisa: <text>" (unless CPPVISA_STDERR=0, read at each message), and to the debug log
// (CPPVISA_LOG, cppvisa/log.hpp) when it is on, as a "[diagnostic]" line.
#pragma once

#include <string_view>

namespace cppvisa::core {

/// Reports one line (no trailing newline needed). Thread-safe; never throws.
void diagnostic(std::string_view text) noexcept;

}  // namespace cppvisa::core
