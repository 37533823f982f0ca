// The debug log's cost when off ("no cost when off"): a log point (with arguments that would
// need formatting) against an empty loop. bench_sim's round trips run through log points too.
//   build/bench/bench_debug_log
#include "core/log.hpp"

#include <cppvisa/log.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {

using namespace cppvisa;

void LogPointOff(benchmark::State& state) {
  disable_debug_log();
  std::size_t i = 0;
  for (auto _ : state) {
    CPPVISA_LOG("bench", "value {} of {}", i, std::string("text"));
    benchmark::DoNotOptimize(++i);
  }
}
BENCHMARK(LogPointOff);

void EmptyLoop(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(++i);
}
BENCHMARK(EmptyLoop);

}  // namespace

BENCHMARK_MAIN();
