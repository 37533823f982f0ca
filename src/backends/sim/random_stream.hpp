// sim::RandomStream: a random stream simulated instruments draw from (RANDOM directives, random
// blocks, probabilistic faults), shareable between instruments, and the seed setting that chooses
// the streams (CPPVISA_SIM_SEED, see docs/simulation.md):
// - "N": each instrument has its own stream seeded as Python's random.seed(N);
// - "pyvisa-sim:N" (or "pyvisa-sim", seeded randomly): PyVISA-sim's stream. PyVISA-sim draws from
//   Python's one global generator, which also gives every session handle
//   (random.randint(1000000, 9999999) until the handle is not live, at viOpenDefaultRM and at each
//   viOpen). One stream per resource manager, seeded when it opens, replays those draws
//   (draw_session_handle) so that RANDOM gives what PyVISA-sim gives after random.seed(N).
#pragma once

#include "backends/sim/python_random.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace cppvisa::sim {

class RandomStream {
 public:
  explicit RandomStream(std::uint64_t seed) : rng_(seed) {}
  /// The generator, held under the stream's lock (several instruments may share the stream).
  struct Locked {
    std::unique_lock<std::mutex> lock;
    PythonRandom& rng;
  };
  Locked lock() { return Locked{std::unique_lock(mutex_), rng_}; }

  /// PyVISA-sim's session handle (its SimVisaLibrary._register): randint(1000000, 9999999) until
  /// the value is not a live handle of this stream; the value becomes live.
  std::int64_t draw_session_handle();
  /// The handle is no longer live (the session or resource manager closed).
  void release_session_handle(std::int64_t handle);

 private:
  std::mutex mutex_;
  PythonRandom rng_;
  std::set<std::int64_t> live_;
};

/// A live PyVISA-sim session handle of a stream, released when this is destroyed or reset.
class SessionHandleLease {
 public:
  SessionHandleLease() = default;
  explicit SessionHandleLease(std::shared_ptr<RandomStream> stream)
      : stream_(std::move(stream)), handle_(stream_ ? stream_->draw_session_handle() : 0) {}
  SessionHandleLease(SessionHandleLease&& o) noexcept : stream_(std::move(o.stream_)), handle_(o.handle_) {}
  SessionHandleLease& operator=(SessionHandleLease&& o) noexcept {
    if (this != &o) {
      reset();
      stream_ = std::move(o.stream_);
      handle_ = o.handle_;
    }
    return *this;
  }
  ~SessionHandleLease() { reset(); }
  void reset() noexcept {
    if (stream_) stream_->release_session_handle(handle_);
    stream_.reset();
  }
  std::int64_t handle() const noexcept { return handle_; }

 private:
  std::shared_ptr<RandomStream> stream_;
  std::int64_t handle_ = 0;
};

/// What CPPVISA_SIM_SEED asks for.
struct SeedSetting {
  enum class Mode { unset, per_instrument, pyvisa_sim } mode = Mode::unset;
  std::optional<std::uint64_t> seed;  ///< none for "pyvisa-sim" alone (a random seed)
};

/// Parses "" (unset), "N", "pyvisa-sim:N" or "pyvisa-sim" (N a decimal integer, 0 <= N < 2^64).
/// @returns nullopt with `why` set for anything else.
std::optional<SeedSetting> parse_seed_setting(std::string_view text, std::string& why);

/// A seed from the system's entropy source (an unseeded stream).
std::uint64_t random_seed();

}  // namespace cppvisa::sim
