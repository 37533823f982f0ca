#include "core/handles.hpp"

#include <atomic>

namespace cppvisa::core {

session_t allocate_handle() noexcept {
  // Start well above small integers so that a stray 1 or 2 is never a valid handle.
  static std::atomic<session_t> next{0x1000};
  session_t h = next.fetch_add(1, std::memory_order_relaxed);
  if (h == 0) h = next.fetch_add(1, std::memory_order_relaxed);  // after 2^32 handles: skip 0
  return h;
}

}  // namespace cppvisa::core
