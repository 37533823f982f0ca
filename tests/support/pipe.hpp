// testing::Pipe: a pipe(2) closed at the end of its scope, the descriptor the reactor and pool
// tests wait on (readable once put() wrote a byte).
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

namespace cppvisa::testing {

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { EXPECT_EQ(::pipe(fds), 0); }
  ~Pipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  /// Makes the read end readable.
  void put() { ASSERT_EQ(::write(fds[1], "x", 1), 1); }
};

}  // namespace cppvisa::testing
