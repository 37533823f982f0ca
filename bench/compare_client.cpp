// compare_client: the cppvisa C++ API clients of bench/compare.py, one measurement per run (the
// same command line and output lines as compare_c_client.c).
//
//   compare_client KIND RESOURCE (--queries N | --block BYTES --reads R) [--backend SPEC] [--timeout MS]
//   compare_client open-list BACKEND RESOURCE --count N
//   compare_client decode --points N --count N
//
// KIND   cpp         query(): "*IDN?" with read termination NL; blocks: one write("CURV?") and
//                    read_into() of the whole message into the caller's buffer (allocated and
//                    touched once), the termination character off
//        cpp-values  queries as cpp; blocks: query_binary_values<int8_t>("CURV?"), the PyVISA-style
//                    call that returns a new vector each time (grown as the data arrive)
//        cpp-into    queries as cpp; blocks: query_binary_values_into<int8_t>("CURV?", v) into the
//                    caller's vector v, reserved once for the block (issue #18's "1 GB block into
//                    a caller's vector" peak memory target)
// Output: QUERY <median us> <p99 us> <N>  |  BLOCK <median MB/s> <best MB/s> <R> and PEAK <MB>
// (the most resident memory during the reads beyond what the process held once the session was
// open; MB = 10^6 bytes).
// open-list: N times ResourceManager(BACKEND), open_resource(RESOURCE) + close, list_resources("?*::INSTR")
// (discovery off: CPPVISA_DISCOVERY=off is the caller's); prints the median and p99 in us of each:
//   RM <median> <p99>   OPEN <median> <p99>   LIST <median> <p99> <resources found>
// decode: an N-point float32 IEEE block decoded with from_ieee_block in host and swapped byte order
// against memcpy of the same bytes, best of --count; prints  DECODE <memcpy MB/s> <host MB/s> <swapped MB/s>.
// Exit status 0; 1 on an error (cause on stderr); 2 on bad arguments.
#include <cppvisa/cppvisa.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

namespace {

using clock_type = std::chrono::steady_clock;

struct Args {
  std::string kind, resource, backend;
  long queries = 0, reads = 0, count = 0;
  std::size_t bytes = 0, points = 0;
  std::uint32_t timeout_ms = 30'000;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "compare_client: %s\nusage: compare_client cpp|cpp-values|cpp-into RESOURCE (--queries N | --block BYTES "
               "--reads R) [--backend SPEC] [--timeout MS]\n       compare_client open-list BACKEND RESOURCE "
               "--count N\n       compare_client decode --points N --count N\n",
               why);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  if (argc < 2) usage("no kind");
  a.kind = argv[1];
  int i = 2;
  if (a.kind == "open-list") {
    if (argc < 4) usage("open-list BACKEND RESOURCE");
    a.backend = argv[2];
    a.resource = argv[3];
    i = 4;
  } else if (a.kind == "cpp" || a.kind == "cpp-values" || a.kind == "cpp-into") {
    if (argc < 3) usage("no resource");
    a.resource = argv[2];
    i = 3;
  } else if (a.kind != "decode") {
    usage("unknown kind");
  }
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) usage("option without value");
    const char* v = argv[++i];
    if (arg == "--queries") a.queries = std::atol(v);
    else if (arg == "--block") a.bytes = std::strtoull(v, nullptr, 10);
    else if (arg == "--reads") a.reads = std::atol(v);
    else if (arg == "--count") a.count = std::atol(v);
    else if (arg == "--points") a.points = std::strtoull(v, nullptr, 10);
    else if (arg == "--backend") a.backend = v;
    else if (arg == "--timeout") a.timeout_ms = static_cast<std::uint32_t>(std::atol(v));
    else usage("unknown option");
  }
  return a;
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Sorted in place; the median and the 99th percentile.
std::pair<double, double> median_p99(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  auto p99 = std::min(v.size() - 1, static_cast<std::size_t>(static_cast<double>(v.size()) * 0.99));
  return {v[v.size() / 2], v[p99]};
}

long rss_bytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * sysconf(_SC_PAGESIZE);
}

// The peak resident memory since reset_peak() (VmHWM, reset by writing "5" to
// /proc/self/clear_refs), else since the start (ru_maxrss).
void reset_peak() {
  if (FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

double peak_mb_since(long base_rss) {
  double kb = 0;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f))
      if (!std::strncmp(line, "VmHWM:", 6)) kb = std::atof(line + 6);
    std::fclose(f);
  }
  if (kb <= 0) {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    kb = static_cast<double>(u.ru_maxrss);
  }
  return (kb * 1024.0 - static_cast<double>(base_rss)) / 1e6;
}

void queries(cppvisa::MessageBasedResource& r, long count) {
  std::vector<double> t;
  t.reserve(static_cast<std::size_t>(count));
  for (long i = -10; i < count; ++i) {
    auto t0 = clock_type::now();
    std::string reply = r.query("*IDN?");
    double s = seconds_since(t0);
    if (reply.empty()) throw std::runtime_error("empty *IDN? reply");
    if (i >= 0) t.push_back(s);
  }
  auto [median, p99] = median_p99(t);
  std::printf("QUERY %.2f %.2f %ld\n", median * 1e6, p99 * 1e6, count);
}

void blocks(cppvisa::MessageBasedResource& r, const Args& a, long base_rss) {
  r.write(":WAV:POIN " + std::to_string(a.bytes));
  const std::string digits = std::to_string(a.bytes);
  const std::size_t message = 2 + digits.size() + a.bytes + 1;
  std::vector<std::byte> buf;
  std::vector<std::int8_t> values;
  if (a.kind == "cpp-into") values.reserve(a.bytes);  // the caller's vector, sized for the block once
  if (a.kind == "cpp") {
    r.set_read_termination("");  // binary data: the termination character off
    buf.assign(message, std::byte{0});  // the caller's buffer, allocated and touched once
  } else {
    r.set_read_termination("\n");  // query_binary_values consumes the NL after the block (PyVISA's way)
  }
  std::vector<double> rates;
  for (long i = -1; i < a.reads; ++i) {
    auto t0 = clock_type::now();
    if (a.kind == "cpp") {
      r.write("CURV?");
      std::size_t got = 0;
      cppvisa::status_t st = cppvisa::status::SUCCESS_MAX_CNT;
      // A socket has no END: the read ends when the buffer (the exact message size) is full.
      while (got < message && st == cppvisa::status::SUCCESS_MAX_CNT) {
        std::size_t n = r.read_into(std::span(buf).subspan(got), st);
        got += n;
        if (n == 0 && st == cppvisa::status::SUCCESS_MAX_CNT) break;
      }
      if (got != message || buf[0] != std::byte{'#'} || buf[message - 1] != std::byte{'\n'} ||
          std::memcmp(buf.data() + 2, digits.data(), digits.size()) != 0)
        throw std::runtime_error("got " + std::to_string(got) + " bytes, not a " + digits + "-byte block + NL");
    } else if (a.kind == "cpp-into") {
      r.query_binary_values_into("CURV?", values);
      if (values.size() != a.bytes) throw std::runtime_error("got " + std::to_string(values.size()) + " values");
    } else {
      auto fresh = r.query_binary_values<std::int8_t>("CURV?");
      if (fresh.size() != a.bytes) throw std::runtime_error("got " + std::to_string(fresh.size()) + " values");
    }
    double s = seconds_since(t0);
    if (i >= 0) rates.push_back(static_cast<double>(a.bytes) / 1e6 / s);
  }
  auto [median, p99] = median_p99(rates);
  (void)p99;
  std::printf("BLOCK %.1f %.1f %ld\n", median, rates.back(), a.reads);
  std::printf("PEAK %.1f\n", peak_mb_since(base_rss));
}

void open_list(const Args& a) {
  std::vector<double> rm_t, open_t, list_t;
  std::size_t found = 0;
  for (long i = -3; i < a.count; ++i) {
    auto t0 = clock_type::now();
    cppvisa::ResourceManager rm(a.backend);
    double rm_s = seconds_since(t0);
    auto t1 = clock_type::now();
    auto r = rm.open_resource(a.resource);
    double open_s = seconds_since(t1);
    r->close();
    auto t2 = clock_type::now();
    found = rm.list_resources("?*::INSTR").size();
    double list_s = seconds_since(t2);
    if (i >= 0) {
      rm_t.push_back(rm_s);
      open_t.push_back(open_s);
      list_t.push_back(list_s);
    }
  }
  auto [rmm, rmp] = median_p99(rm_t);
  auto [om, op] = median_p99(open_t);
  auto [lm, lp] = median_p99(list_t);
  std::printf("RM %.2f %.2f\nOPEN %.2f %.2f\nLIST %.2f %.2f %zu\n", rmm * 1e6, rmp * 1e6, om * 1e6, op * 1e6, lm * 1e6,
              lp * 1e6, found);
}

// Best MB/s of `f` over `count` runs on `bytes` bytes.
double best_rate(long count, std::size_t bytes, const std::function<void()>& f) {
  double best = 0;
  for (long i = 0; i < count; ++i) {
    auto t0 = clock_type::now();
    f();
    best = std::max(best, static_cast<double>(bytes) / 1e6 / seconds_since(t0));
  }
  return best;
}

void decode(const Args& a) {
  std::vector<float> sample(a.points);
  for (std::size_t i = 0; i < sample.size(); ++i) sample[i] = static_cast<float>(i) * 0.001f;
  const bool native_big = std::endian::native == std::endian::big;
  auto host = cppvisa::to_ieee_block(sample, native_big);
  auto swapped = cppvisa::to_ieee_block(sample, !native_big);
  const std::size_t bytes = a.points * sizeof(float);
  // The three interleaved, best of `count` each (the load falls on all three alike).
  double mem = 0, h = 0, s = 0;
  for (long i = 0; i < a.count; ++i) {
    mem = std::max(mem, best_rate(1, bytes, [&] {
      // The least a decode can do: a new vector the size of the data, the bytes copied in.
      std::vector<float> out(a.points);
      std::memcpy(out.data(), host.data() + (host.size() - bytes), bytes);
      if (out[1] != sample[1]) std::abort();
    }));
    h = std::max(h, best_rate(1, bytes, [&] {
      auto out = cppvisa::from_ieee_block<float>(host, native_big);
      if (out.size() != a.points || out[1] != sample[1]) std::abort();
    }));
    s = std::max(s, best_rate(1, bytes, [&] {
      auto out = cppvisa::from_ieee_block<float>(swapped, !native_big);
      if (out.size() != a.points || out[1] != sample[1]) std::abort();
    }));
  }
  std::printf("DECODE %.1f %.1f %.1f\n", mem, h, s);
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  try {
    if (a.kind == "open-list") {
      if (a.count <= 0) usage("--count N");
      open_list(a);
      return 0;
    }
    if (a.kind == "decode") {
      if (a.count <= 0 || a.points == 0) usage("--points N --count N");
      decode(a);
      return 0;
    }
    if ((a.queries > 0) == (a.bytes > 0) || (a.bytes > 0 && (a.reads <= 0 || a.bytes > 999'999'999)))
      usage("give --queries N, or --block 1..999999999 with --reads R");
    cppvisa::ResourceManager rm(a.backend);
    auto r = rm.open<cppvisa::MessageBasedResource>(a.resource);
    r->set_timeout(a.timeout_ms);
    r->set_write_termination("\n");
    r->set_read_termination("\n");
    reset_peak();
    long base_rss = rss_bytes();
    if (a.queries > 0) queries(*r, a.queries);
    else blocks(*r, a, base_rss);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare_client: %s: %s\n", a.resource.c_str(), e.what());
    return 1;
  }
}
