// testing::write_many_instruments: a simulated-instrument file ("<path>@sim", docs/simulation.md)
// of `count` instruments, each answering "*IDN?" with an identity of its own, so that a test or a
// benchmark of many sessions can tell that every reply reached the session that asked, and the
// gateway options serving them (many_instruments_options). Used by
// tests/integration/test_async_many.cpp and bench/async_many.cpp.
#pragma once

#include <cppvisa/gateway.hpp>

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

/// Gateway options serving the `count` instruments of the file over `protocol` ("vxi11": links
/// of one VXI-11 server; "hislip": sessions of one HiSLIP server; otherwise raw socket, a port
/// each), with limits that let one client (the test or benchmark) hold a link or session per
/// instrument, with its two connections (VXI-11: core and abort; HiSLIP: both channels).
inline GatewayOptions many_instruments_options(int count, const std::string& protocol) {
  GatewayOptions o;
  for (int i = 0; i < count; ++i) o.resources.push_back(many_name(i));
  if (protocol == "vxi11") o.vxi11 = GatewayAddress{};
  else if (protocol == "hislip") o.hislip = GatewayAddress{};
  else o.socket = GatewayAddress{};
  o.max_hislip_sessions = static_cast<std::size_t>(count) + 8;
  o.max_links_per_client = static_cast<std::size_t>(count) + 8;
  o.max_connections = o.max_connections_per_client = 2 * static_cast<std::size_t>(count) + 8;
  return o;
}

}  // namespace cppvisa::testing
