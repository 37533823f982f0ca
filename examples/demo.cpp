// The main job on the bundled simulated instruments (`make demo`): list the resources, open one,
// ask who it is, set and read back a setting, read a binary waveform and summarise it.
#include <cppvisa/cppvisa.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>

int main(int argc, char** argv) {
  const char* backend = argc > 1 ? argv[1] : "@sim";
  const char* name = argc > 2 ? argv[2] : "TCPIP::sim-scope::INSTR";
  try {
    cppvisa::ResourceManager rm(backend);
    auto names = rm.list_resources("?*");
    std::printf("%zu resources on %s:\n", names.size(), backend);
    for (auto& n : names) std::printf("  %s\n", n.c_str());

    auto scope = rm.open<cppvisa::MessageBasedResource>(name);
    scope->set_read_termination("\n");
    scope->set_write_termination("\n");
    scope->set_timeout(5000);
    std::printf("\nopened %s\n", scope->to_string().c_str());
    std::printf("*IDN? -> %s\n", scope->query("*IDN?").c_str());

    scope->write(":WAV:POIN 1000000");
    std::printf(":WAV:POIN 1000000, then :WAV:POIN? -> %s\n", scope->query(":WAV:POIN?").c_str());

    auto start = std::chrono::steady_clock::now();
    auto wave = scope->query_binary_values<std::int16_t>(":WAV:DATA?");
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (wave.empty()) {
      std::printf("empty waveform\n");
      return 1;
    }
    auto [lo, hi] = std::minmax_element(wave.begin(), wave.end());
    double mean = std::accumulate(wave.begin(), wave.end(), 0.0) / static_cast<double>(wave.size());
    std::printf(":WAV:DATA? -> %zu int16 points, min %d, max %d, mean %.2f (%.1f MB in %.3f s, %.0f MB/s)\n",
                wave.size(), *lo, *hi, mean, wave.size() * 2 / 1e6, seconds, wave.size() * 2 / 1e6 / seconds);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "demo: %s\n", e.what());
    return 1;
  }
}
