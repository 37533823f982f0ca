// core::Deadline: the point in time a blocking call must give up (VISA timeouts in ms).
#pragma once

#include <cppvisa/types.hpp>

#include <chrono>
#include <climits>
#include <cstdint>

namespace cppvisa::core {

class Deadline {
 public:
  using clock = std::chrono::steady_clock;

  /// A deadline `ms` milliseconds from now; tmo_infinite never expires, tmo_immediate (0) is already due.
  static Deadline after_ms(std::uint32_t ms) {
    if (ms == tmo_infinite) return never();
    return Deadline(clock::now() + std::chrono::milliseconds(ms));
  }
  static Deadline never() { return Deadline(clock::time_point::max()); }
  static Deadline at(clock::time_point t) { return Deadline(t); }

  bool infinite() const noexcept { return when_ == clock::time_point::max(); }
  bool expired() const noexcept { return !infinite() && clock::now() >= when_; }
  clock::time_point when() const noexcept { return when_; }

  /// Remaining time (zero when expired; a very large value when infinite).
  std::chrono::milliseconds remaining() const noexcept {
    if (infinite()) return std::chrono::milliseconds(INT_MAX);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(when_ - clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
  }
  /// For poll(): -1 when infinite, else remaining ms rounded up, clamped to int.
  int poll_ms() const noexcept {
    if (infinite()) return -1;
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(when_ - clock::now()).count();
    if (left <= 0) return 0;
    long long ms = (left + 999) / 1000;
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
  }
  /// The earlier of two deadlines.
  static Deadline earliest(Deadline a, Deadline b) { return a.when_ < b.when_ ? a : b; }

 private:
  explicit Deadline(clock::time_point t) : when_(t) {}
  clock::time_point when_;
};

}  // namespace cppvisa::core
