// testing::Pty: a pseudo-terminal for serial tests; the session opens the slave as
// `ASRL/dev/pts/N::INSTR`, the test plays the instrument on the master side.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

namespace cppvisa::testing {

/// A pseudo-terminal; the master side is the test's instrument.
class Pty {
 public:
  Pty() {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return;
    slave_ = ::ptsname(master_);
  }
  ~Pty() { close_master(); }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;

  bool ok() const { return master_ >= 0 && !slave_.empty(); }
  int master() const { return master_; }
  const std::string& slave() const { return slave_; }
  std::string resource() const { return "ASRL" + slave_ + "::INSTR"; }
  void close_master() {
    if (master_ >= 0) ::close(master_);
    master_ = -1;
  }
  /// The instrument sends bytes.
  void send(std::string_view data) {
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(master_, data.data() + done, data.size() - done);
      ASSERT_GT(n, 0);
      done += static_cast<std::size_t>(n);
    }
  }
  /// The instrument receives exactly `n` bytes (fewer if `limit` passes first).
  std::string receive(std::size_t n, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    std::string out;
    auto until = std::chrono::steady_clock::now() + limit;
    while (out.size() < n) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
      if (left <= 0) break;
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
      char buf[4096];
      ssize_t got = ::read(master_, buf, std::min(sizeof buf, n - out.size()));
      if (got <= 0) break;
      out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
  }
  /// Whether anything arrives within `wait` (for "nothing was sent" checks).
  bool idle_for(std::chrono::milliseconds wait) {
    pollfd p{master_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(wait.count())) == 0;
  }

 private:
  int master_ = -1;
  std::string slave_;
};

}  // namespace cppvisa::testing
