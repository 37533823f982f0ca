#include "backends/sim/random_stream.hpp"

#include <charconv>
#include <random>

namespace cppvisa::sim {

std::int64_t RandomStream::draw_session_handle() {
  std::lock_guard g(mutex_);
  std::int64_t handle = rng_.randint(1000000, 9999999);
  while (live_.count(handle)) handle = rng_.randint(1000000, 9999999);
  live_.insert(handle);
  return handle;
}

void RandomStream::release_session_handle(std::int64_t handle) {
  std::lock_guard g(mutex_);
  live_.erase(handle);
}

std::optional<SeedSetting> parse_seed_setting(std::string_view text, std::string& why) {
  SeedSetting s;
  if (text.empty()) return s;
  constexpr std::string_view prefix = "pyvisa-sim";
  std::string_view number = text;
  s.mode = SeedSetting::Mode::per_instrument;
  if (text.substr(0, prefix.size()) == prefix) {
    s.mode = SeedSetting::Mode::pyvisa_sim;
    if (text.size() == prefix.size()) return s;
    if (text[prefix.size()] != ':') number = {};
    else number = text.substr(prefix.size() + 1);
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size()) {
    why = "'" + std::string(text) +
          "' is not a seed: expected N (each instrument its own stream), pyvisa-sim:N or pyvisa-sim "
          "(PyVISA-sim's stream), N a decimal integer below 2^64";
    return std::nullopt;
  }
  s.seed = v;
  return s;
}

std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) | rd();
}

}  // namespace cppvisa::sim
