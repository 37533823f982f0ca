// The debug log (cppvisa/log.hpp, core/log.hpp): CPPVISA_LOG=debug[:file] at load time, or
// enable_debug_log(); lines go to stderr or a file, one write per line under a mutex.
#include <cppvisa/log.hpp>

#include "core/log.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <sys/syscall.h>
#include <unistd.h>

namespace cppvisa {
namespace core {

std::atomic<bool> log_on{false};

namespace {

std::mutex log_mutex;
std::FILE* log_file = nullptr;  // nullptr: stderr

// CPPVISA_LOG=debug or debug:<file>, read once when the library is loaded.
struct FromEnvironment {
  FromEnvironment() {
    const char* v = std::getenv("CPPVISA_LOG");
    if (!v || std::strncmp(v, "debug", 5) != 0 || (v[5] != '\0' && v[5] != ':')) return;
    if (!enable_debug_log(v[5] == ':' ? std::string_view(v + 6) : std::string_view()))
      std::fprintf(stderr, "cppvisa: CPPVISA_LOG: cannot open '%s': %s\n", v + 6, std::strerror(errno));
  }
} from_environment;

}  // namespace

void log_line(std::string_view layer, std::string_view text) noexcept {
  try {
    using namespace std::chrono;
    auto now = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    std::string line = fmt::format("cppvisa {}.{:06} {} [{}] {}\n", now / 1000000, now % 1000000,
                                   static_cast<long>(::syscall(SYS_gettid)), layer, text);
    std::lock_guard guard(log_mutex);
    std::FILE* out = log_file ? log_file : stderr;
    std::fwrite(line.data(), 1, line.size(), out);
    std::fflush(out);
  } catch (...) {
    // A log line never makes an operation fail.
  }
}

}  // namespace core

bool enable_debug_log(std::string_view path) {
  std::FILE* file = nullptr;
  if (!path.empty()) {
    file = std::fopen(std::string(path).c_str(), "ae");
    if (!file) return false;
  }
  std::lock_guard guard(core::log_mutex);
  if (core::log_file) std::fclose(core::log_file);
  core::log_file = file;
  core::log_on.store(true, std::memory_order_relaxed);
  return true;
}

void disable_debug_log() noexcept {
  std::lock_guard guard(core::log_mutex);
  core::log_on.store(false, std::memory_order_relaxed);
  if (core::log_file) std::fclose(core::log_file);
  core::log_file = nullptr;
}

bool debug_log_enabled() noexcept { return core::log_on.load(std::memory_order_relaxed); }

}  // namespace cppvisa
