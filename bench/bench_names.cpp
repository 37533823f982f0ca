// Benchmarks of resource names (issue #18): parsing one name of each common interface to its
// canonical form, and filtering a list of 1000 names with a VISA resource expression (the regular
// expression alone, then with an attribute filter read from the names).
#include <cppvisa/resource_name.hpp>
#include <cppvisa/resource_query.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace cppvisa;

namespace {

const std::vector<std::string>& sample_names() {
  static const std::vector<std::string> names{
      "TCPIP::192.168.1.10::INSTR",   "TCPIP0::scope.lab::hislip0::INSTR", "TCPIP::10.0.0.5::5025::SOCKET",
      "GPIB0::12::INSTR",             "USB0::0x0957::0x1796::MY12345678::INSTR", "ASRL/dev/ttyUSB0::INSTR",
      "TCPIP::10.0.0.7::gpib0,5::INSTR"};
  return names;
}

void BM_ParseResourceName(benchmark::State& state) {
  const auto& names = sample_names();
  std::size_t i = 0;
  for (auto _ : state) {
    auto name = ResourceName::parse(names[i++ % names.size()]);
    benchmark::DoNotOptimize(name.canonical());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseResourceName);

// 1000 names: the sample's kinds with varying addresses.
std::vector<std::string> many_names() {
  std::vector<std::string> out;
  for (int i = 0; i < 1000; ++i) {
    switch (i % 4) {
      case 0: out.push_back("TCPIP0::10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + "::inst0::INSTR"); break;
      case 1: out.push_back("GPIB0::" + std::to_string(i % 31) + "::INSTR"); break;
      case 2: out.push_back("USB0::0x0957::0x" + std::to_string(1000 + i) + "::SN" + std::to_string(i) + "::INSTR"); break;
      default: out.push_back("TCPIP0::10.1.0." + std::to_string(i % 250) + "::" + std::to_string(5000 + i) + "::SOCKET");
    }
  }
  return out;
}

void BM_FilterResources(benchmark::State& state) {
  static const auto names = many_names();
  const char* expression = state.range(0) == 0 ? "TCPIP?*::INSTR" : "?*::INSTR{VI_ATTR_GPIB_PRIMARY_ADDR > 10}";
  std::size_t kept = 0;
  for (auto _ : state) {
    auto found = filter_resources(names, expression);
    kept = found.size();
    benchmark::DoNotOptimize(found.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * names.size()));
  state.SetLabel(std::string(expression) + ": " + std::to_string(kept) + " of 1000");
}
BENCHMARK(BM_FilterResources)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
