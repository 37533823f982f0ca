// sim::PythonRandom: the generator behind the RANDOM(...) response directive. It is Python's
// `random` module (MT19937 seeded with init_by_array, 53-bit random(), uniform(a, b), and the
// integer draws getrandbits/randbelow/randint), so a device seeded with N produces the same
// numbers as Python (and so PyVISA-sim) after random.seed(N).
#pragma once

#include <array>
#include <cstdint>

namespace cppvisa::sim {

class PythonRandom {
 public:
  /// Seeded as Python's random.seed(seed) for a non-negative integer.
  explicit PythonRandom(std::uint64_t seed = 0) { seed_with(seed); }
  void seed_with(std::uint64_t seed);
  /// random.random(): a double in [0, 1) with 53 random bits.
  double random();
  /// random.uniform(a, b) = a + (b - a) * random().
  double uniform(double a, double b) { return a + (b - a) * random(); }
  /// random.getrandbits(k) for 0 <= k <= 64: 32-bit outputs, least significant word first, the
  /// last one shifted right to keep its top bits.
  std::uint64_t getrandbits(int k);
  /// random._randbelow(n) for n > 0: getrandbits(n.bit_length()) until below n.
  std::uint64_t randbelow(std::uint64_t n);
  /// random.randint(a, b), a <= b (b - a < 2^63): a + randbelow(b - a + 1).
  std::int64_t randint(std::int64_t a, std::int64_t b);

 private:
  std::uint32_t next();
  void init_genrand(std::uint32_t s);
  std::array<std::uint32_t, 624> mt_{};
  int index_ = 625;
};

}  // namespace cppvisa::sim
