// sim::PythonRandom against the real thing: /usr/bin/python3's `random` module prints, for several
// seeds, random(), uniform(a, b), getrandbits(k), randint(a, b) (randbelow) and random.seed of
// large integers; the generator must give the same numbers (doubles compared bit for bit through
// repr(), which round-trips). Skipped when /usr/bin/python3 is absent.
#include "backends/sim/python_random.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace cppvisa::sim {
namespace {

constexpr const char* python = "/usr/bin/python3";

// The seeds checked: small, 32-bit boundary, multi-word keys for init_by_array.
const std::vector<std::uint64_t> seeds{0, 1, 42, 12345, 0xFFFFFFFFull, 0x100000000ull, 0xDEADBEEFCAFEF00Dull};

// One line per seed, the draws in a fixed order (the same order as expected_line below).
const char* script = R"PY(
import random, sys
for seed in map(int, sys.argv[1:]):
    r = random.Random(seed)
    out = [repr(r.random()), repr(r.uniform(0, 10.5)), repr(r.uniform(-5, 5))]
    out += [str(r.getrandbits(k)) for k in (1, 7, 31, 32, 33, 53, 64)]
    out += [str(r.randint(0, 9)), str(r.randint(-3, 3)), str(r.randint(1, 6)), str(r.randint(0, 2**40)),
            str(r.randint(5, 5)), str(r.randint(0, 2**63 - 1))]
    out += ['%.2f' % r.uniform(0, 10.5) for _ in range(5)]
    print(' '.join(out))
)PY";

std::string repr(double d) {
  // Python's repr: the shortest text that round-trips; %.17g round-trips too, so compare values.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

std::string ours(std::uint64_t seed) {
  PythonRandom r(seed);
  std::ostringstream out;
  out << repr(r.random()) << ' ' << repr(r.uniform(0, 10.5)) << ' ' << repr(r.uniform(-5, 5));
  for (int k : {1, 7, 31, 32, 33, 53, 64}) out << ' ' << r.getrandbits(k);
  out << ' ' << r.randint(0, 9) << ' ' << r.randint(-3, 3) << ' ' << r.randint(1, 6) << ' '
      << r.randint(0, std::int64_t(1) << 40) << ' ' << r.randint(5, 5) << ' ' << r.randint(0, INT64_MAX);
  for (int i = 0; i < 5; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", r.uniform(0, 10.5));
    out << ' ' << buf;
  }
  return out.str();
}

// Python's line with its floats re-printed as %.17g (the same double as repr).
std::string normalised(const std::string& line) {
  std::istringstream in(line);
  std::ostringstream out;
  std::string word;
  for (int i = 0; in >> word; ++i) {
    if (i) out << ' ';
    if (i < 3) out << repr(std::stod(word));
    else out << word;
  }
  return out.str();
}

TEST(PythonRandom, MatchesPythonsRandomModule) {
  if (!std::filesystem::exists(python)) GTEST_SKIP() << python << " is not installed";
  std::string cmd = std::string(python) + " -c \"$CPPVISA_PY_SCRIPT\"";
  for (auto s : seeds) cmd += " " + std::to_string(s);
  ::setenv("CPPVISA_PY_SCRIPT", script, 1);
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string text;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) text.append(buf, n);
  ASSERT_EQ(::pclose(p), 0) << text;
  ::unsetenv("CPPVISA_PY_SCRIPT");
  std::istringstream lines(text);
  std::string line;
  for (auto s : seeds) {
    ASSERT_TRUE(std::getline(lines, line)) << "python printed too few lines: " << text;
    EXPECT_EQ(ours(s), normalised(line)) << "seed " << s;
  }
}

}  // namespace
}  // namespace cppvisa::sim
