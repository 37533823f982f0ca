// Simulated instruments through the Backend interface: *IDN? queries per second (PyVISA-sim takes
// about 30 us per query in Python) and the read rate of a generated waveform block in MB/s.
//   build/bench/bench_sim [--benchmark_filter=Idn]
#include "backends/sim/sim_backend.hpp"

#include <cppvisa/status.hpp>

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

using namespace cppvisa;

struct Session {
  std::shared_ptr<Backend> backend = sim::make_backend("");  // the bundled file, as "@sim";
  session_t rm = 0, s = 0;
  explicit Session(const char* name) {
    backend->open_default_rm(rm);
    if (backend->open(rm, name, AccessMode::no_lock, 0, s) != status::SUCCESS) throw std::runtime_error("open");
  }
  ~Session() { backend->close(rm); }
  void write(std::string_view text) {
    std::size_t n = 0;
    if (backend->write(s, std::as_bytes(std::span(text.data(), text.size())), n) != status::SUCCESS)
      throw std::runtime_error("write");
  }
};

// One *IDN? query: write, then read the reply (a device without errors on a GPIB resource).
void BM_SimIdnQuery(benchmark::State& state) {
  Session sim("GPIB0::9::INSTR");
  std::vector<std::byte> buf(256);
  for (auto _ : state) {
    sim.write("*IDN?\n");
    std::size_t n = 0;
    if (sim.backend->read(sim.s, buf, n) != status::SUCCESS) state.SkipWithError("read");
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimIdnQuery);

// A property set and read back (setter pattern matching and getter formatting).
void BM_SimSetAndGetProperty(benchmark::State& state) {
  Session sim("GPIB0::9::INSTR");
  std::vector<std::byte> buf(256);
  for (auto _ : state) {
    sim.write(":VOLT:IMM:AMPL 2.500\n");
    sim.write(":VOLT:IMM:AMPL?\n");
    std::size_t n = 0;
    if (sim.backend->read(sim.s, buf, n) != status::SUCCESS) state.SkipWithError("read");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimSetAndGetProperty);

// CURV? with state.range(0) points (int8), read in 1 MiB chunks.
void BM_SimWaveform(benchmark::State& state) {
  Session sim("TCPIP0::sim-scope::inst0::INSTR");
  sim.write(":WAV:POIN " + std::to_string(state.range(0)) + "\n");
  std::vector<std::byte> buf(1 << 20);
  std::int64_t bytes = 0;
  for (auto _ : state) {
    sim.write("CURV?\n");
    status_t st = status::SUCCESS_MAX_CNT;
    while (st == status::SUCCESS_MAX_CNT) {
      std::size_t n = 0;
      st = sim.backend->read(sim.s, buf, n);
      bytes += static_cast<std::int64_t>(n);
    }
    if (st != status::SUCCESS) state.SkipWithError("read");
  }
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_SimWaveform)->Arg(1 << 20)->Arg(100'000'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
