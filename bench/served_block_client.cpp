// served_block_client: reads one large IEEE 488.2 definite-length block (#9<len><data>\n) from a
// message-based resource through the public cppvisa C++ API, several times, and reports MB/s.
// bench/served_block.sh runs this same client against the plain-C baseline server and against
// visa-serve's raw socket, VXI-11 and HiSLIP endpoints, so the only difference is the server.
//
//   served_block_client RESOURCE [--points N] [--repeat R] [--setup CMD] [--query Q]
//                       [--mode into|values] [--timeout MS] [--backend SPEC]
//
// --setup (default ":WAV:POIN {N}") is written once before the reads ("" = nothing); --query
// (default "CURV?", the simulated oscilloscope's int8 waveform) is written before each read.
// Mode "into" (default): one read_into() of the whole message into a buffer allocated and touched
// once, with the termination character off, so the time is the transport's; "values":
// query_binary_values<int8_t>(), the PyVISA-style call that allocates its result each time.
// One untimed read first (warm-up). MB = 10^6 bytes of block data. The last three lines are
// machine-readable:   RATES <MB/s of each read...>
//                     CPU <ms of client CPU time (user + system) per timed read>
//                     RESULT <best MB/s> <median MB/s> <repeat> <bytes>
// On a shared machine the CPU time per read is the steadier figure: throughput drops when other
// processes hold the cores, CPU time much less.
// Exit status: 0, 1 on an I/O or format error, 2 on bad arguments.
#include <cppvisa/cppvisa.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <sys/resource.h>

namespace {

struct Args {
  std::string resource;
  std::size_t points = 100'000'000;
  int repeat = 5;
  std::string setup = ":WAV:POIN {N}";
  std::string query = "CURV?";
  std::string mode = "into";
  std::uint32_t timeout_ms = 30'000;
  std::string backend;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "served_block_client: %s\nusage: served_block_client RESOURCE [--points N] [--repeat R] "
               "[--setup CMD] [--query Q] [--mode into|values] [--timeout MS] [--backend SPEC]\n",
               why);
  std::exit(2);
}

unsigned long long number(const char* text, unsigned long long max) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text, &end, 10);
  if (errno || end == text || *end || v == 0 || v > max) usage("expected a positive number");
  return v;
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage("option without value");
      return argv[++i];
    };
    if (arg == "--points") a.points = number(value(), 999'999'999);
    else if (arg == "--repeat") a.repeat = static_cast<int>(number(value(), 1000));
    else if (arg == "--setup") a.setup = value();
    else if (arg == "--query") a.query = value();
    else if (arg == "--mode") a.mode = value();
    else if (arg == "--timeout") a.timeout_ms = static_cast<std::uint32_t>(number(value(), 3'600'000));
    else if (arg == "--backend") a.backend = value();
    else if (!arg.empty() && arg[0] == '-') usage("unknown option");
    else if (a.resource.empty()) a.resource = arg;
    else usage("one resource only");
  }
  if (a.resource.empty()) usage("no resource");
  if (a.mode != "into" && a.mode != "values") usage("--mode is into or values");
  if (auto at = a.setup.find("{N}"); at != std::string::npos) a.setup.replace(at, 3, std::to_string(a.points));
  return a;
}

// "#9" + 9 digits: the header both servers send for blocks of 10^8..10^9-1 bytes; shorter blocks
// get fewer digits from the simulated instrument, so the header is parsed, not assumed.
std::size_t header_length(const std::byte* p, std::size_t n, std::size_t& data_len) {
  if (n < 2 || p[0] != std::byte{'#'} || p[1] < std::byte{'1'} || p[1] > std::byte{'9'}) return 0;
  std::size_t digits = static_cast<std::size_t>(p[1]) - '0';
  if (n < 2 + digits) return 0;
  data_len = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    auto c = static_cast<char>(p[2 + i]);
    if (c < '0' || c > '9') return 0;
    data_len = data_len * 10 + static_cast<std::size_t>(c - '0');
  }
  return 2 + digits;
}

// One query + read of the whole message into `buf`; returns the block's data bytes (0 = error).
std::size_t read_into(cppvisa::MessageBasedResource& r, const Args& a, std::vector<std::byte>& buf) {
  r.write(a.query);
  std::size_t got = 0;
  cppvisa::status_t st = cppvisa::status::SUCCESS_MAX_CNT;
  // A socket has no END: the read ends when the buffer (sized to the exact message) is full.
  while (got < buf.size() && st == cppvisa::status::SUCCESS_MAX_CNT) {
    std::size_t n = r.read_into(std::span(buf).subspan(got), st);
    got += n;
    if (n == 0 && st == cppvisa::status::SUCCESS_MAX_CNT) break;
  }
  std::size_t data_len = 0;
  std::size_t head = header_length(buf.data(), got, data_len);
  if (head == 0 || data_len != a.points || got != head + data_len + 1 || buf[got - 1] != std::byte{'\n'}) {
    std::fprintf(stderr, "served_block_client: got %zu bytes, not a %zu-byte block + NL\n", got, a.points);
    return 0;
  }
  return data_len;
}

std::size_t read_values(cppvisa::MessageBasedResource& r, const Args& a) {
  auto values = r.query_binary_values<std::int8_t>(a.query);
  if (values.size() != a.points) {
    std::fprintf(stderr, "served_block_client: got %zu values, expected %zu\n", values.size(), a.points);
    return 0;
  }
  return values.size();
}

// CPU time (user + system) of this process so far, in seconds.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  try {
    cppvisa::ResourceManager rm(a.backend);
    auto r = rm.open<cppvisa::MessageBasedResource>(a.resource);
    r->set_timeout(a.timeout_ms);
    r->set_write_termination("\n");
    // "into": termination character off (binary data may hold NL bytes); "values": NL, so that
    // query_binary_values consumes the NL after the block as PyVISA users configure it.
    r->set_read_termination(a.mode == "into" ? "" : "\n");
    if (!a.setup.empty()) r->write(a.setup);

    // The exact message size for the expected header width (digits of the length).
    const std::size_t message = 2 + std::to_string(a.points).size() + a.points + 1;
    std::vector<std::byte> buf;
    if (a.mode == "into") buf.assign(message, std::byte{0});  // allocated and touched once

    std::vector<double> rates;
    double cpu = 0;  // of the timed reads
    for (int i = 0; i <= a.repeat; ++i) {
      double c0 = cpu_seconds();
      auto t0 = std::chrono::steady_clock::now();
      std::size_t n = a.mode == "into" ? read_into(*r, a, buf) : read_values(*r, a);
      auto t1 = std::chrono::steady_clock::now();
      if (n == 0) return 1;
      if (i > 0) cpu += cpu_seconds() - c0;
      double s = std::chrono::duration<double>(t1 - t0).count();
      double mbps = static_cast<double>(n) / 1e6 / s;
      std::fprintf(stderr, "  %s %d: %zu bytes in %.3f s = %.0f MB/s\n", i == 0 ? "warm-up" : "read", i, n, s, mbps);
      if (i > 0) rates.push_back(mbps);
    }
    std::printf("RATES");
    for (double x : rates) std::printf(" %.1f", x);
    std::printf("\n");
    std::sort(rates.begin(), rates.end());
    double best = rates.back();
    double median = rates.size() % 2 ? rates[rates.size() / 2]
                                     : (rates[rates.size() / 2 - 1] + rates[rates.size() / 2]) / 2;
    std::printf("%s: best %.0f MB/s, median %.0f MB/s over %d reads of %zu bytes (%s)\n", a.resource.c_str(), best,
                median, a.repeat, a.points, a.mode.c_str());
    std::printf("CPU %.1f\n", cpu * 1e3 / a.repeat);
    std::printf("RESULT %.1f %.1f %d %zu\n", best, median, a.repeat, a.points);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "served_block_client: %s: %s\n", a.resource.c_str(), e.what());
    return 1;
  }
}
