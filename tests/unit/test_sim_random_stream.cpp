// sim::RandomStream and the CPPVISA_SIM_SEED setting. The expected numbers were printed by
// /usr/bin/python3 (3.x, Debian), e.g.:
//   r = random.Random(42); [r.randint(1000000, 9999999) for _ in range(6)]
//   -> [2867825, 1419610, 5614226, 5108603, 4744854, 3341057]
//   r = random.Random(42); [r.getrandbits(24) for _ in range(3)] -> [10727801, 1867825, 419610]
//   (randint's _randbelow(9000000) rejects 10727801: the first randint takes two 32-bit outputs)
//   random.seed(42); randint(...); random.seed(42); randint(...) (== the first: drawn again);
//   '%.2f' % random.uniform(0, 10.5) -> the re-draw 1419610, then 7.79
#include "backends/sim/random_stream.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

namespace cppvisa::sim {
namespace {

TEST(PythonRandomRandint, SessionHandleRangeMatchesPython) {
  PythonRandom r(42);
  std::vector<std::int64_t> got;
  for (int i = 0; i < 6; ++i) got.push_back(r.randint(1000000, 9999999));
  EXPECT_EQ(got, (std::vector<std::int64_t>{2867825, 1419610, 5614226, 5108603, 4744854, 3341057}));
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", r.uniform(0, 10.5));
  EXPECT_STREQ(buf, "7.73");  // Python: the same stream, then '%.2f' % r.uniform(0, 10.5)
  PythonRandom big((std::uint64_t(1) << 40) + 3);  // a two-word seed (init_by_array over [3, 256])
  EXPECT_EQ(big.randint(1000000, 9999999), 4687415);
  EXPECT_EQ(big.randint(1000000, 9999999), 2020598);
  EXPECT_EQ(big.randint(1000000, 9999999), 2587324);
}

TEST(PythonRandomRandint, RejectionConsumesWholeOutputs) {
  PythonRandom bits(42);
  EXPECT_EQ(bits.getrandbits(24), 10727801u);  // >= 9000000: rejected by randint below
  EXPECT_EQ(bits.getrandbits(24), 1867825u);
  EXPECT_EQ(bits.getrandbits(24), 419610u);
  PythonRandom r(42);
  EXPECT_EQ(r.randint(1000000, 9999999), 1000000 + 1867825);
  EXPECT_EQ(r.randint(1000000, 9999999), 1000000 + 419610);
}

TEST(RandomStream, SessionHandlesAreRedrawnWhileLive) {
  // PyVISA-sim's test_all.py: random.seed(42) at import, ResourceManager("@sim") draws 2867825;
  // each test does random.seed(42) and opens: 2867825 is live, drawn again: 1419610; then RANDOM.
  RandomStream s(42);
  SessionHandleLease rm(std::shared_ptr<RandomStream>(&s, [](RandomStream*) {}));
  EXPECT_EQ(rm.handle(), 2867825);
  s.lock().rng.seed_with(42);
  {
    SessionHandleLease session(std::shared_ptr<RandomStream>(&s, [](RandomStream*) {}));
    EXPECT_EQ(session.handle(), 1419610);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.2f", s.lock().rng.uniform(0, 10.5));
    EXPECT_STREQ(buf, "7.79");
  }
  // Released handles are free again.
  rm.reset();
  s.lock().rng.seed_with(42);
  EXPECT_EQ(s.draw_session_handle(), 2867825);
}

TEST(SeedSetting, Parses) {
  std::string why;
  auto unset = parse_seed_setting("", why);
  ASSERT_TRUE(unset);
  EXPECT_EQ(unset->mode, SeedSetting::Mode::unset);
  auto n = parse_seed_setting("42", why);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->mode, SeedSetting::Mode::per_instrument);
  EXPECT_EQ(n->seed, 42u);
  auto p = parse_seed_setting("pyvisa-sim:18446744073709551615", why);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->mode, SeedSetting::Mode::pyvisa_sim);
  EXPECT_EQ(p->seed, UINT64_MAX);
  auto r = parse_seed_setting("pyvisa-sim", why);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mode, SeedSetting::Mode::pyvisa_sim);
  EXPECT_FALSE(r->seed);
  for (const char* bad : {"x", "-1", "42 ", "pyvisa-sim:", "pyvisa-sim42", "pyvisa-sim:4x", "18446744073709551616"}) {
    why.clear();
    EXPECT_FALSE(parse_seed_setting(bad, why)) << bad;
    EXPECT_NE(why.find("is not a seed"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace cppvisa::sim
