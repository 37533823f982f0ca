// Fuzz target for `visa record --from-trace`: a JSON-lines trace file (any bytes a user may hand
// it) read by recordings_from_trace(), each recording turned into YAML by sim_device_yaml().
// Bad input may throw cppvisa::Error only.
#include <cppvisa/error.hpp>
#include <cppvisa/recording.hpp>

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    for (auto& rec : cppvisa::recordings_from_trace(text)) (void)cppvisa::sim_device_yaml(rec);
  } catch (const cppvisa::Error&) {
  }
  return 0;
}
