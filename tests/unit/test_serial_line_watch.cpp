// Tests of protocols/serial/line_watch.hpp: which serial events two readings of a port's lines mean.
#include "protocols/serial/line_watch.hpp"

#include <gtest/gtest.h>

#include <sys/ioctl.h>

using namespace cppvisa::serial;

namespace {

LineStatus counted(int cts, int dsr, int dcd, int ri, int breaks) {
  LineStatus s;
  s.counters = true;
  s.cts = cts;
  s.dsr = dsr;
  s.dcd = dcd;
  s.ri = ri;
  s.breaks = breaks;
  return s;
}

LineStatus levels(int bits) {
  LineStatus s;
  s.levels_known = true;
  s.levels = bits;
  return s;
}

}  // namespace

TEST(SerialLineChanges, CountersCountEveryChange) {
  auto a = line_changes(counted(1, 2, 3, 4, 5), counted(3, 2, 4, 4, 6));
  EXPECT_EQ(a.cts, 2);  // a pulse between two readings: two changes
  EXPECT_EQ(a.dsr, 0);
  EXPECT_EQ(a.dcd, 1);
  EXPECT_EQ(a.ri, 0);
  EXPECT_EQ(a.breaks, 1);
  EXPECT_TRUE(a.any_line_change());
  EXPECT_FALSE(line_changes(counted(1, 2, 3, 4, 5), counted(1, 2, 3, 4, 5)).any_line_change());
}

TEST(SerialLineChanges, CapsAndCountersGoingBackwards) {
  auto a = line_changes(counted(0, 0, 0, 0, 0), counted(1000, 0, 0, 0, 0), 64);
  EXPECT_EQ(a.cts, 64);
  // A counter that went backwards (the driver reset it, or it wrapped): one change.
  EXPECT_EQ(line_changes(counted(10, 0, 0, 0, 0), counted(3, 0, 0, 0, 0)).cts, 1);
}

TEST(SerialLineChanges, LevelsWithoutCounters) {
  auto a = line_changes(levels(TIOCM_CTS | TIOCM_DSR), levels(TIOCM_DSR | TIOCM_CAR | TIOCM_RNG));
  EXPECT_EQ(a.cts, 1);
  EXPECT_EQ(a.dsr, 0);
  EXPECT_EQ(a.dcd, 1);
  EXPECT_EQ(a.ri, 1);
  EXPECT_EQ(a.breaks, 0);  // invisible without counters
  // Other bits (DTR, RTS: our own outputs) are not events.
  EXPECT_FALSE(line_changes(levels(0), levels(TIOCM_DTR | TIOCM_RTS)).any_line_change());
  // One reading with counters, one without: the levels decide.
  LineStatus mixed = levels(TIOCM_CTS);
  mixed.counters = true;
  EXPECT_EQ(line_changes(levels(0), mixed).cts, 1);
  // Nothing known: nothing changes.
  EXPECT_FALSE(line_changes(LineStatus{}, LineStatus{}).any_line_change());
}
