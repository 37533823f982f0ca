// Read a binary waveform: an IEEE 488.2 definite-length block of int16 points.
// Usage: example_waveform [points]
#include <cppvisa/cppvisa.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  const std::string points = argc > 1 ? argv[1] : "100000";
  cppvisa::ResourceManager rm("@sim");
  auto scope = rm.open<cppvisa::MessageBasedResource>("TCPIP::sim-scope::INSTR");
  scope->set_read_termination("\n");
  scope->set_write_termination("\n");
  scope->write(":WAV:POIN " + points);
  auto wave = scope->query_binary_values<std::int16_t>(":WAV:DATA?");
  if (wave.empty()) return 1;
  auto [lo, hi] = std::minmax_element(wave.begin(), wave.end());
  std::printf("%zu points, min %d, max %d\n", wave.size(), *lo, *hi);
  return wave.size() == std::stoul(points) ? 0 : 1;
}
