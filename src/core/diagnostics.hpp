// core::diagnostic: what the user must learn that no VISA status can carry (which simulation file
// is missing, which line of it is wrong, why a write failed). It goes to stderr as
// "cppvisa: <text>" (unless CPPVISA_STDERR=0), and is appended to the debug log file named by
// CPPVISA_DEBUG_LOG, one timestamped line each. Both variables are read at each message.
#pragma once

#include <string_view>

namespace cppvisa::core {

/// Reports one line (no trailing newline needed). Thread-safe; never throws.
void diagnostic(std::string_view text) noexcept;

}  // namespace cppvisa::core
