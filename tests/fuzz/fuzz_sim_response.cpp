// Fuzz target: the response directives of simulated-instrument definition files
// (sim::ResponseTemplate: backslash escapes, BYTES(...), {RANDOM(min, max, count):spec} and getter
// str.format templates), parsed in both modes and rendered with a value of each type.
//
// Input: byte 0 selects the mode (bit 0) and the value's type (bits 1-2); the rest is the text.
// Properties: parse and render throw only FormatError; a rendered response stays within the
// documented bound (sim::max_response_size).
#include "backends/sim/response.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace cppvisa::sim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* input, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = input[0];
  std::string_view text(reinterpret_cast<const char*>(input + 1), size - 1);
  auto mode = (selector & 1) ? ResponseTemplate::Mode::getter : ResponseTemplate::Mode::verbatim;
  Value value;
  switch ((selector >> 1) & 3) {
    case 0: value = std::string("text"); break;
    case 1: value = std::int64_t{-42}; break;
    case 2: value = 3.25; break;
    default: value = std::string("12"); break;
  }
  try {
    auto t = ResponseTemplate::parse(text, mode);
    PythonRandom rng(7);
    std::string out = mode == ResponseTemplate::Mode::getter ? render_getter(t, value, rng) : t.render(&value, rng);
    if (out.size() > max_response_size) std::abort();
  } catch (const FormatError&) {
  }
  return 0;
}
