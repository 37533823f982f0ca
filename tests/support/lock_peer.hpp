// testing::LockPeer: the lock_peer program (support/lock_peer) run as a child process, driven
// line by line over pipes: a session in another process for the lock tests. Started with
// posix_spawn (fork + exec in one step: safe while this process runs threads, also under ASan).
#pragma once

#include "support/lock_commands.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

extern char** environ;

namespace cppvisa::testing {

class LockPeer {
 public:
  /// Starts `program`; throws std::runtime_error when it cannot.
  explicit LockPeer(const std::string& program) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    char* argv[] = {const_cast<char*>(program.c_str()), nullptr};
    int rc = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = out[0];
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error("cannot start " + program);
    }
  }
  ~LockPeer() {
    if (to_ >= 0) {
      (void)!::write(to_, "quit\n", 5);
      ::close(to_);
    }
    if (pid_ > 0) {
      // It quits at once; a peer stuck in a call is ended after 10 s.
      bool reaped = false;
      for (int i = 0; i < 1000 && !reaped; ++i) {
        reaped = ::waitpid(pid_, nullptr, WNOHANG) != 0;
        if (!reaped) ::usleep(10000);
      }
      if (!reaped) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    if (from_ >= 0) ::close(from_);
  }
  LockPeer(const LockPeer&) = delete;
  LockPeer& operator=(const LockPeer&) = delete;

  /// Sends one command and waits (up to `timeout_ms`) for its reply line.
  LockReply run(const std::string& command, int timeout_ms = 30000) {
    std::string line = command + "\n";
    if (::write(to_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return {-1, 0, "write failed"};
    std::string reply;
    for (;;) {
      pollfd p{from_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) return {-1, 0, "no reply to '" + command + "'"};
      char c;
      if (::read(from_, &c, 1) != 1) return {-1, 0, "peer ended"};
      if (c == '\n') break;
      reply += c;
    }
    return LockReply::parse(reply);
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
};

}  // namespace cppvisa::testing
