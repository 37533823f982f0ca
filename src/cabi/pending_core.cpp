// TEMPORARY: weak stand-ins for two core functions that are declared but not yet on main
// (core::allocate_handle and open_backend). The strong definitions replace them as soon as they
// are linked; this file goes once they land.
#include "core/handles.hpp"

#include <cppvisa/backend.hpp>
#include <cppvisa/error.hpp>
#include <cppvisa/status.hpp>

#include <atomic>

namespace cppvisa {

namespace core {
__attribute__((weak)) session_t allocate_handle() noexcept {
  static std::atomic<session_t> next{0x10000};
  session_t h = next.fetch_add(1);
  return h == 0 ? next.fetch_add(1) : h;
}
}  // namespace core

__attribute__((weak)) std::shared_ptr<Backend> open_backend(std::string_view) {
  throw VisaIOError(status::ERROR_LIBRARY_NFOUND, "no backend registry in this build");
}

}  // namespace cppvisa
