// Tests of progress.hpp: the progress line, and that a TerminalProgress off a terminal is silent.
#include <cppvisa/progress.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

using namespace cppvisa;

TEST(Progress, Line) {
  EXPECT_EQ(progress_line(58'500'000, 100'000'000, 0.5), "58.5 MB of 100.0 MB (58%), 117.0 MB/s, 0.4 s left");
  EXPECT_EQ(progress_line(3'000'000, 0, 2.0), "3.0 MB, 1.5 MB/s");  // total unknown
  EXPECT_EQ(progress_line(0, 0, 0), "0.0 MB, 0.0 MB/s");
  EXPECT_EQ(progress_line(10, 10, 1), "0.0 MB of 0.0 MB (100%), 0.0 MB/s");
}

TEST(Progress, NoCallbackOffATerminal) {
  if (::isatty(STDERR_FILENO)) GTEST_SKIP() << "stderr is a terminal here";
  TerminalProgress progress;
  EXPECT_FALSE(progress.callback());
}
