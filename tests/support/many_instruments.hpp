// testing::write_many_instruments: a simulated-instrument file ("<path>@sim", docs/simulation.md)
// of `count` instruments, each answering "*IDN?" with an identity of its own, so that a test or a
// benchmark of many sessions can tell that every reply reached the session that asked. Used by
// tests/integration/test_async_many.cpp and bench/async_many.cpp.
#pragma once

#include <fmt/format.h>

#include <fstream>
#include <string>

namespace cppvisa::testing {

/// The resource name of simulated instrument `i`.
inline std::string many_name(int i) { return fmt::format("TCPIP::inst{}.sim::INSTR", i); }
/// What instrument `i` answers to "*IDN?".
inline std::string many_idn(int i) { return fmt::format("CPPVISA,MANY,{},1.0", i); }

/// Writes the file of `count` instruments to `path`; returns whether it was written.
inline bool write_many_instruments(const std::string& path, int count) {
  std::ofstream out(path);
  out << "spec: \"1.1\"\ndevices:\n";
  for (int i = 0; i < count; ++i)
    out << fmt::format("  dev{}:\n    eom:\n      TCPIP INSTR: {{q: \"\\n\", r: \"\\n\"}}\n"
                       "    dialogues:\n      - {{q: \"*IDN?\", r: \"{}\"}}\n",
                       i, many_idn(i));
  out << "resources:\n";
  for (int i = 0; i < count; ++i) out << fmt::format("  {}: {{device: dev{}}}\n", many_name(i), i);
  return static_cast<bool>(out.flush());
}

}  // namespace cppvisa::testing
