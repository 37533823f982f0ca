// testing::process_stats: what this process holds now, from /proc/self (Linux): resident memory,
// open descriptors and threads. For the fault matrix (bounded memory), the open/close cycles (no
// descriptor, thread or byte left behind) and the soak run.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <malloc.h>
#include <string>

namespace cppvisa::testing {

struct ProcessStats {
  std::size_t rss_kb = 0;   ///< VmRSS
  std::size_t hwm_kb = 0;   ///< VmHWM: the peak of VmRSS so far
  std::size_t threads = 0;  ///< Threads
  std::size_t fds = 0;      ///< entries of /proc/self/fd
  std::size_t heap_bytes = 0;  ///< bytes malloc has handed out and not got back (glibc mallinfo2)
};

/// How many open/close cycles a leak test runs: 10 000 (issue #12), 2000 in the sanitizer builds
/// (10x slower there: HiSLIP's 10 000 took 103 s of the 120 s test timeout under ASan), or
/// CPPVISA_CYCLES when set (more, or fewer while debugging).
inline std::size_t open_close_cycles() {
  if (const char* env = std::getenv("CPPVISA_CYCLES")) return std::strtoul(env, nullptr, 10);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return 2000;
#else
  return 10000;
#endif
}

inline std::size_t count_dir_entries(const char* path) {
  DIR* d = ::opendir(path);
  if (!d) return 0;
  std::size_t n = 0;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n > 0 ? n - 1 : 0;  // the descriptor opendir itself holds
}

inline ProcessStats process_stats() {
  ProcessStats s;
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") in >> s.rss_kb;
    else if (key == "VmHWM:") in >> s.hwm_kb;
    else if (key == "Threads:") in >> s.threads;
    std::getline(in, key);
  }
  s.fds = count_dir_entries("/proc/self/fd");
  s.heap_bytes = ::mallinfo2().uordblks;
  return s;
}

}  // namespace cppvisa::testing
