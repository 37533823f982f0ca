// visa bench RESOURCE: queries per second with latency percentiles, and block throughput.
#include "common.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace visa_tool {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  OpenSettings open;
  std::string resource;
  std::string command = "*IDN?";
  std::size_t count = 1000;
  std::vector<std::string> setup;
  std::string block;
  std::size_t block_count = 10;
  bool json = false;
};

// Nearest-rank percentile of sorted samples (p in 0..100).
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

int run(const BenchOptions& o) {
  if (o.count == 0) throw cppvisa::Error("--count must be at least 1");
  cppvisa::ResourceManager rm(o.open.backend);
  auto r = open_message_based(rm, o.resource, o.open);
  for (auto& s : o.setup) r->write(cppvisa::unescape(s));
  std::string command = cppvisa::unescape(o.command);

  r->write(command);  // one untimed query: connections and caches warm
  cppvisa::read_reply(*r);
  std::vector<double> latency_us;
  latency_us.reserve(o.count);
  auto begin = Clock::now();
  for (std::size_t i = 0; i < o.count; ++i) {
    auto t0 = Clock::now();
    r->write(command);
    cppvisa::read_reply(*r);
    latency_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  std::sort(latency_us.begin(), latency_us.end());
  double qps = static_cast<double>(o.count) / seconds;

  std::size_t block_bytes = 0;
  double block_seconds = 0;
  if (!o.block.empty()) {
    std::string block = cppvisa::unescape(o.block);
    auto t0 = Clock::now();
    for (std::size_t i = 0; i < o.block_count; ++i) {
      r->write(block);
      block_bytes += cppvisa::read_reply(*r).size();
    }
    block_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  double mbps = block_seconds > 0 ? static_cast<double>(block_bytes) / 1e6 / block_seconds : 0;

  if (o.json) {
    std::string block_json = "null";
    if (!o.block.empty())
      block_json = fmt::format(R"({{"command":{},"transfers":{},"bytes":{},"seconds":{:.6f},"mb_per_second":{:.3f}}})",
                               cppvisa::json_quote(o.block), o.block_count, block_bytes, block_seconds, mbps);
    fmt::print(R"({{"resource":{},"command":{},"queries":{},"seconds":{:.6f},"queries_per_second":{:.1f},)"
               R"("latency_us":{{"min":{:.1f},"p50":{:.1f},"p99":{:.1f},"max":{:.1f}}},"block":{}}})" "\n",
               cppvisa::json_quote(o.resource), cppvisa::json_quote(o.command), o.count, seconds, qps,
               latency_us.front(), percentile(latency_us, 50), percentile(latency_us, 99), latency_us.back(), block_json);
    return 0;
  }
  fmt::print("{}: {} x {}\n", o.resource, o.count, o.command);
  fmt::print("  {:.1f} queries/s; latency min {:.1f} us, p50 {:.1f} us, p99 {:.1f} us, max {:.1f} us\n", qps,
             latency_us.front(), percentile(latency_us, 50), percentile(latency_us, 99), latency_us.back());
  if (!o.block.empty())
    fmt::print("  {} x {}: {} bytes in {:.3f} s, {:.2f} MB/s\n", o.block_count, o.block, block_bytes, block_seconds, mbps);
  return 0;
}

}  // namespace

Subcommand add_bench(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  auto* sub = app.add_subcommand("bench", "Measure queries per second (latency p50/p99) and block throughput (MB/s)");
  sub->add_option("resource", o->resource, "resource name or alias")->required();
  sub->add_option("-c,--command", o->command, "the query to time")->capture_default_str();
  sub->add_option("-n,--count", o->count, "queries to time")->capture_default_str();
  sub->add_option("--setup", o->setup, "messages written once before measuring (e.g. ':WAV:POIN 1000000')");
  sub->add_option("--block", o->block, "a query answered with a block (e.g. CURV?): its throughput is measured");
  sub->add_option("--block-count", o->block_count, "block transfers to time")->capture_default_str();
  add_open_options(*sub, o->open);
  sub->add_flag("--json", o->json, "the figures as JSON");
  return {sub, [o] { return run(*o); }};
}

}  // namespace visa_tool
