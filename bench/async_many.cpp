// async_many: 1000 loopback-served instruments polled in parallel through the asynchronous C++ API
// (issue #16 point 3), beside the synchronous single-session query rate, in one run.
//
// A child process serves N simulated instruments (tests/support/many_instruments.hpp, one identity
// each) with our gateway, one raw-socket port per instrument. The parent, using the native
// backend:
//   1. measures the synchronous rate of query("*IDN?") on one session;
//   2. opens N sessions, sends one query_async to every instrument at once (futures) and checks
//      that every reply is its own instrument's identity;
//   3. keeps every instrument busy for a few seconds with the callback form (each completion
//      sends that instrument's next query) and counts the replies.
// It reports the throughput of each, the threads of the client process (peak of "Threads:" in
// /proc/self/status, sampled by the main thread), the jobs parked in the reactor at once, and the
// client's memory (VmHWM, and RSS per open session).
//
// Usage: async_many [instruments=1000] [seconds=3] [protocol=socket|vxi11|hislip]
// (vxi11: the instruments are links of one VXI-11 server; every asynchronous read's device_read
// waits for its reply in the reactor as a raw socket's read does. hislip: sessions of one HiSLIP
// server; each session's asynchronous channel is watched by the shared reactor, no thread each.)
#include <cppvisa/cppvisa.hpp>
#include <cppvisa/gateway.hpp>

#include "core/work_pool.hpp"
#include "support/many_instruments.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace cppvisa;
using clock_type = std::chrono::steady_clock;

namespace {

/// A field of /proc/<pid>/status (this process by default) in its unit (kB for memory), or -1.
long status_field(const char* name, const std::string& pid = "self") {
  std::ifstream in("/proc/" + pid + "/status");
  std::string line;
  const std::string key = std::string(name) + ":";
  while (std::getline(in, line))
    if (line.compare(0, key.size(), key) == 0) return std::strtol(line.c_str() + key.size(), nullptr, 10);
  return -1;
}

/// CPU time (user + system) this process (the client; the server is the child) used so far, in s.
double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void raise_open_file_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

/// The child: serves the instruments, writes their resource names to `out` (one a line, then an
/// empty line), and serves until `in` reaches end of file (the parent exited or closed it).
[[noreturn]] void serve(const std::string& file, int n, const std::string& protocol, int out, int in) {
  int code = 0;
  try {
    Gateway gateway(open_backend(file + "@sim"), cppvisa::testing::many_instruments_options(n, protocol));
    gateway.start();
    std::string names;
    for (const auto& e : gateway.endpoints()) names += e.resource + "\n";
    names += "\n";
    for (std::size_t done = 0; done < names.size();) {
      ssize_t w = ::write(out, names.data() + done, names.size() - done);
      if (w <= 0) break;
      done += static_cast<std::size_t>(w);
    }
    char c;
    while (::read(in, &c, 1) > 0) {
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "async_many: serving failed: %s\n", e.what());
    code = 1;
  }
  std::_Exit(code);
}

std::vector<std::string> read_names(int in) {
  std::string text;
  char buf[65536];
  while (text.size() < 2 || text.compare(text.size() - 2, 2, "\n\n") != 0) {
    ssize_t r = ::read(in, buf, sizeof buf);
    if (r <= 0) break;
    text.append(buf, static_cast<std::size_t>(r));
  }
  std::vector<std::string> names;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t nl = text.find('\n', at);
    if (nl == std::string::npos || nl == at) break;
    names.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return names;
}

/// Keeps one instrument busy: each completion sends the next query until `stop`.
struct Poller {
  MessageBasedResource* r;
  std::string expected;
  std::atomic<bool>* stop;
  std::atomic<long>* replies;
  std::atomic<long>* wrong;
  std::atomic<int>* in_flight;
  void next() {
    in_flight->fetch_add(1);
    r->query_async("*IDN?", [this](std::exception_ptr error, std::string value) {
      if (error || value != expected) wrong->fetch_add(1);
      else replies->fetch_add(1);
      if (!stop->load()) next();
      in_flight->fetch_sub(1);
    });
  }
};

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 3.0;
  const std::string protocol = argc > 3 ? argv[3] : "socket";
  if (protocol != "socket" && protocol != "vxi11" && protocol != "hislip") {
    std::fprintf(stderr, "async_many: protocol '%s' is not socket, vxi11 or hislip\n", protocol.c_str());
    return 2;
  }
  raise_open_file_limit();

  auto dir = std::filesystem::temp_directory_path() / fmt::format("cppvisa-async-many-{}", ::getpid());
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "many.yaml").string();
  if (!cppvisa::testing::write_many_instruments(file, n)) {
    std::fprintf(stderr, "async_many: cannot write %s\n", file.c_str());
    return 1;
  }
  int names_pipe[2], life_pipe[2];
  if (::pipe(names_pipe) != 0 || ::pipe(life_pipe) != 0) return 1;
  pid_t child = ::fork();  // before this process starts any thread
  if (child == 0) {
    ::close(names_pipe[0]);
    ::close(life_pipe[1]);
    serve(file, n, protocol, names_pipe[1], life_pipe[0]);
  }
  ::close(names_pipe[1]);
  ::close(life_pipe[0]);
  auto names = read_names(names_pipe[0]);
  int status = 0;
  auto finish = [&](int code) {
    ::close(life_pipe[1]);
    ::waitpid(child, nullptr, 0);
    std::filesystem::remove_all(dir);
    return code;
  };
  if (static_cast<int>(names.size()) != n) {
    std::fprintf(stderr, "async_many: the server gave %zu endpoints, not %d\n", names.size(), n);
    return finish(1);
  }

  try {
    ResourceManager rm("@native");
    const long threads_at_start = status_field("Threads");

    // 1. The synchronous rate of one session.
    double sync_rate = 0;
    {
      auto r = rm.open<MessageBasedResource>(names[0]);
      r->set_read_termination("\n");
      r->set_write_termination("\n");
      r->set_timeout(10000);
      for (int i = 0; i < 50; ++i) r->query("*IDN?");  // warm-up
      long count = 0;
      const double cpu_start = cpu_seconds();
      auto start = clock_type::now();
      auto until = start + std::chrono::duration<double>(seconds);
      while (clock_type::now() < until) {
        if (r->query("*IDN?") != cppvisa::testing::many_idn(0)) ++status;
        ++count;
      }
      sync_rate = count / std::chrono::duration<double>(clock_type::now() - start).count();
      std::printf("protocol            : %s\n", protocol.c_str());
      std::printf("sync  1 session     : %8.0f queries/s (%ld queries), client CPU %.1f us per query\n", sync_rate,
                  count, (cpu_seconds() - cpu_start) * 1e6 / count);
    }

    // 2. N sessions, one query each, all in flight at once.
    const long rss_before = status_field("VmRSS");
    std::vector<std::unique_ptr<MessageBasedResource>> rs;
    auto open_start = clock_type::now();
    for (const auto& name : names) {
      auto r = rm.open<MessageBasedResource>(name);
      r->set_read_termination("\n");
      r->set_write_termination("\n");
      r->set_timeout(30000);
      rs.push_back(std::move(r));
    }
    const double open_s = std::chrono::duration<double>(clock_type::now() - open_start).count();
    const long rss_open = status_field("VmRSS");
    long threads_peak = status_field("Threads");
    std::size_t parked_peak = 0;
    auto sample = [&] {
      threads_peak = std::max(threads_peak, status_field("Threads"));
      parked_peak = std::max(parked_peak, core::WorkPool::shared().parked());
    };
    {
      auto start = clock_type::now();
      std::vector<std::future<std::string>> replies;
      replies.reserve(rs.size());
      for (auto& r : rs) replies.push_back(r->query_async("*IDN?"));
      sample();
      int wrong = 0;
      for (int i = 0; i < n; ++i)
        if (replies[i].get() != cppvisa::testing::many_idn(i)) ++wrong;
      sample();
      double s = std::chrono::duration<double>(clock_type::now() - start).count();
      std::printf("async %d sessions  : one query each in %.3f s, %d wrong replies (opening them: %.2f s)\n", n, s,
                  wrong, open_s);
      status += wrong;
    }

    // 3. Every instrument kept busy with the callback form.
    std::atomic<bool> stop{false};
    std::atomic<long> replies{0}, wrong{0};
    std::atomic<int> in_flight{0};
    std::vector<Poller> pollers;
    pollers.reserve(rs.size());
    for (int i = 0; i < n; ++i)
      pollers.push_back(Poller{rs[i].get(), cppvisa::testing::many_idn(i), &stop, &replies, &wrong, &in_flight});
    const double cpu_start = cpu_seconds();
    auto start = clock_type::now();
    for (auto& p : pollers) p.next();
    auto until = start + std::chrono::duration<double>(seconds);
    while (clock_type::now() < until) {
      sample();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop = true;
    while (in_flight.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const double s = std::chrono::duration<double>(clock_type::now() - start).count();
    const double async_rate = replies.load() / s;
    const double cpu_per_query = (cpu_seconds() - cpu_start) * 1e6 / std::max(1L, replies.load());
    std::printf("async %d sessions  : %8.0f queries/s (%ld replies, %ld wrong, in %.2f s) = %.2f x the sync rate, "
                "client CPU %.1f us per query\n",
                n, async_rate, replies.load(), wrong.load(), s, async_rate / sync_rate, cpu_per_query);
    std::printf("client threads      : %ld at start (main), peak %ld (library pool 4, which also waits in the reactor, + event dispatcher)\n",
                threads_at_start, threads_peak);
    std::printf("parked in reactor   : peak %zu jobs waiting at once without a thread\n", parked_peak);
    std::printf("client memory       : peak RSS (VmHWM) %.1f MiB; %.1f KiB RSS per open session\n",
                status_field("VmHWM") / 1024.0, n ? double(rss_open - rss_before) / n : 0.0);
    // The serving process (our gateway, in the child): what its sessions cost it.
    const std::string server_pid = std::to_string(child);
    std::printf("server memory       : peak RSS (VmHWM) %.1f MiB, %ld threads now (gateway serving %d instruments)\n",
                status_field("VmHWM", server_pid) / 1024.0, status_field("Threads", server_pid), n);
    status += static_cast<int>(wrong.load());
    rs.clear();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "async_many: %s\n", e.what());
    return finish(1);
  }
  return finish(status ? 1 : 0);
}
