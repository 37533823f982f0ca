// core handles: one process-wide namespace for sessions, find lists and event contexts, so that
// handles of different backends never collide (the C ABI routes a handle to its backend).
#pragma once

#include <cppvisa/types.hpp>

namespace cppvisa::core {

/// A new handle: unique in the process, never 0, never reused (so stale handles stay invalid).
session_t allocate_handle() noexcept;

}  // namespace cppvisa::core
