#include <cppvisa/discovery.hpp>

#include <charconv>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string_view>

namespace cppvisa {
namespace {

std::mutex g_mutex;
std::optional<DiscoveryOptions> g_options;

std::optional<long> env_ms(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return std::nullopt;
  std::string_view s(v);
  long value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || value < 0 || value > 600000) return std::nullopt;
  return value;
}

}  // namespace

DiscoveryOptions discovery_options_from_environment() {
  DiscoveryOptions o;
  if (const char* v = std::getenv("CPPVISA_DISCOVERY")) {
    std::string_view s(v);
    if (s == "off" || s == "0" || s == "no" || s == "false") o.lan = false;
  }
  if (auto ms = env_ms("CPPVISA_DISCOVERY_TIMEOUT_MS")) o.deadline = std::chrono::milliseconds(*ms);
  if (auto ms = env_ms("CPPVISA_LIST_CACHE_MS")) o.cache_lifetime = std::chrono::milliseconds(*ms);
  return o;
}

DiscoveryOptions discovery_options() {
  std::lock_guard guard(g_mutex);
  return g_options ? *g_options : discovery_options_from_environment();
}

void set_discovery_options(const DiscoveryOptions& options) {
  std::lock_guard guard(g_mutex);
  g_options = options;
}

}  // namespace cppvisa
