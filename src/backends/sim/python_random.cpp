#include "backends/sim/python_random.hpp"

#include <vector>

namespace cppvisa::sim {

// MT19937 as in Python's Modules/_randommodule.c (Matsumoto & Nishimura's reference code).
void PythonRandom::init_genrand(std::uint32_t s) {
  mt_[0] = s;
  for (std::uint32_t i = 1; i < 624; ++i) mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + i;
  index_ = 624;
}

void PythonRandom::seed_with(std::uint64_t seed) {
  // Python splits abs(seed) into 32-bit words, least significant first ([0] for zero).
  std::vector<std::uint32_t> key;
  do {
    key.push_back(static_cast<std::uint32_t>(seed & 0xFFFFFFFFu));
    seed >>= 32;
  } while (seed);
  init_genrand(19650218u);
  std::uint32_t i = 1, j = 0;
  auto n = static_cast<std::uint32_t>(key.size());
  for (std::uint32_t k = 624 > n ? 624 : n; k; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] + j;
    ++i;
    ++j;
    if (i >= 624) {
      mt_[0] = mt_[623];
      i = 1;
    }
    if (j >= n) j = 0;
  }
  for (std::uint32_t k = 623; k; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) - i;
    ++i;
    if (i >= 624) {
      mt_[0] = mt_[623];
      i = 1;
    }
  }
  mt_[0] = 0x80000000u;
  index_ = 624;
}

std::uint32_t PythonRandom::next() {
  if (index_ >= 624) {
    for (int k = 0; k < 624; ++k) {
      std::uint32_t y = (mt_[k] & 0x80000000u) | (mt_[(k + 1) % 624] & 0x7FFFFFFFu);
      mt_[k] = mt_[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908B0DFu : 0u);
    }
    index_ = 0;
  }
  std::uint32_t y = mt_[index_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9D2C5680u;
  y ^= (y << 15) & 0xEFC60000u;
  y ^= y >> 18;
  return y;
}

double PythonRandom::random() {
  std::uint32_t a = next() >> 5, b = next() >> 6;
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

std::uint64_t PythonRandom::getrandbits(int k) {
  if (k <= 0) return 0;
  if (k > 64) k = 64;
  std::uint64_t out = 0;
  for (int shift = 0; k > 0; shift += 32, k -= 32) {
    std::uint64_t word = next();
    if (k < 32) word >>= 32 - k;
    out |= word << shift;
  }
  return out;
}

std::uint64_t PythonRandom::randbelow(std::uint64_t n) {
  if (n == 0) return 0;
  int k = 64 - __builtin_clzll(n);  // n.bit_length()
  std::uint64_t r = getrandbits(k);
  while (r >= n) r = getrandbits(k);
  return r;
}

std::int64_t PythonRandom::randint(std::int64_t a, std::int64_t b) {
  if (b < a) return a;
  auto width = static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(a) + 1;
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + randbelow(width));
}

}  // namespace cppvisa::sim
