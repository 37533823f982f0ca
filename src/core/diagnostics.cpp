#include "core/diagnostics.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>

namespace cppvisa::core {

void diagnostic(std::string_view text) noexcept {
  static std::mutex mutex;
  std::lock_guard lk(mutex);
  const char* to_stderr = std::getenv("CPPVISA_STDERR");
  if (!(to_stderr && std::string_view(to_stderr) == "0"))
    std::fprintf(stderr, "cppvisa: %.*s\n", static_cast<int>(text.size()), text.data());
  if (const char* path = std::getenv("CPPVISA_DEBUG_LOG"); path && *path) {
    if (std::FILE* log = std::fopen(path, "a")) {
      // UTC, ISO 8601 with milliseconds.
      auto now = std::chrono::system_clock::now();
      std::time_t secs = std::chrono::system_clock::to_time_t(now);
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
      std::tm tm{};
      gmtime_r(&secs, &tm);
      char stamp[32];
      std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
      std::fprintf(log, "%s.%03dZ cppvisa: %.*s\n", stamp, static_cast<int>(ms), static_cast<int>(text.size()),
                   text.data());
      std::fclose(log);
    }
  }
}

}  // namespace cppvisa::core
