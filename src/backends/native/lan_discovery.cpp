#include "backends/native/lan_discovery.hpp"

#include "protocols/mdns/mdns_browse.hpp"
#include "protocols/vxi11/vxi11_discovery.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>

namespace cppvisa::native {
namespace {

const LanEnumerator kLan[] = {
    {"mDNS/DNS-SD (_lxi, _vxi-11, _hislip, _scpi-raw, _scpi-telnet; through the Avahi daemon when one answers)",
     mdns::discover},
    {"VXI-11 broadcast (portmapper GETPORT)", vxi11::broadcast_discover},
};

bool is_meta(char c) { return std::string_view("?*[]{}()|+\\!").find(c) != std::string_view::npos; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// "TCPIP0::host::..." -> "host"; empty for other names.
std::string host_of(std::string_view name) {
  if (!name.starts_with("TCPIP")) return {};
  auto a = name.find("::");
  if (a == std::string_view::npos) return {};
  auto b = name.find("::", a + 2);
  return std::string(name.substr(a + 2, b == std::string_view::npos ? std::string_view::npos : b - a - 2));
}

}  // namespace

std::span<const LanEnumerator> builtin_lan_enumerators() { return kLan; }

bool expression_may_match_tcpip(std::string_view expression) {
  auto brace = expression.find('{');
  std::string_view e = expression.substr(0, brace);
  // The literal start (before any regular-expression character) must agree with "TCPIP".
  std::string prefix;
  for (char c : e) {
    if (is_meta(c)) break;
    prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  constexpr std::string_view tcpip = "TCPIP";
  const std::size_t common = std::min(prefix.size(), tcpip.size());
  if (prefix.compare(0, common, tcpip, 0, common) != 0) return false;
  // A literal class after the last "::" must be INSTR or SOCKET.
  auto sep = e.rfind("::");
  if (sep != std::string_view::npos) {
    std::string_view cls = e.substr(sep + 2);
    if (!cls.empty() && std::none_of(cls.begin(), cls.end(), is_meta)) {
      auto u = upper(cls);
      return u == "INSTR" || u == "SOCKET";
    }
  }
  return true;
}

std::vector<core::Discovered> merge_findings(std::vector<core::Discovered> found) {
  std::map<std::string, core::Discovered> by_name;
  for (auto& d : found) {
    auto [it, fresh] = by_name.try_emplace(d.name, d);
    if (fresh) continue;
    core::Discovered& m = it->second;
    if (!d.found_by.empty() && m.found_by.find(d.found_by) == std::string::npos)
      m.found_by += (m.found_by.empty() ? "" : ", ") + d.found_by;
    for (auto [mine, theirs] : {std::pair{&m.manufacturer, &d.manufacturer}, {&m.model, &d.model},
                                {&m.serial_number, &d.serial_number}, {&m.firmware, &d.firmware},
                                {&m.host_name, &d.host_name}})
      if (mine->empty()) *mine = *theirs;
  }
  // Identity per host, lent to the host's resources that have none (a VXI-11 broadcast answer
  // names no manufacturer; the host's mDNS TXT does).
  std::map<std::string, core::Discovered> identity;  // copies: the entries move below
  for (const auto& [name, d] : by_name)
    if (!d.manufacturer.empty() || !d.model.empty()) identity.try_emplace(host_of(name), d);
  std::vector<core::Discovered> out;
  for (auto& [name, d] : by_name) {
    auto it = identity.find(host_of(name));
    if (d.manufacturer.empty() && d.model.empty() && it != identity.end() && !it->first.empty()) {
      d.manufacturer = it->second.manufacturer;
      d.model = it->second.model;
      d.serial_number = it->second.serial_number;
      d.firmware = it->second.firmware;
      if (d.host_name.empty()) d.host_name = it->second.host_name;
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace cppvisa::native
