#include "core/diagnostics.hpp"

#include "core/log.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace cppvisa::core {

void diagnostic(std::string_view text) noexcept {
  {
    static std::mutex mutex;
    std::lock_guard lk(mutex);
    const char* to_stderr = std::getenv("CPPVISA_STDERR");
    if (!(to_stderr && std::string_view(to_stderr) == "0"))
      std::fprintf(stderr, "cppvisa: %.*s\n", static_cast<int>(text.size()), text.data());
  }
  // The debug log (CPPVISA_LOG, cppvisa/log.hpp) gets it too, with its time and thread.
  if (log_on.load(std::memory_order_relaxed)) log_line("diagnostic", text);
}

}  // namespace cppvisa::core
