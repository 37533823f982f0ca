// list_resources_client: how long cppvisa's list_resources() ("?*::INSTR" and SOCKET names, every
// enumerator of the native backend in parallel) takes without LAN discovery, with it (one deadline,
// no cache), and from a warm cache, through the public C++ API. bench/list_resources.py runs it in
// network namespaces of its own (a veth pair, an mDNS responder and a VXI-11 portmapper on the far
// side): LAN discovery sends traffic, and here it never leaves this machine.
//
//   list_resources_client [--deadline-ms MS] [--rounds N]
//
// One line per case: CASE <name> <median ms> <min ms> <max ms> <resources found>.
// Exit status: 0, 1 when a listing throws, 2 on bad arguments.
#include <cppvisa/cppvisa.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

namespace {

struct Case {
  const char* name;
  bool lan;
  int cache_ms;
  int rounds;
};

void measure(cppvisa::ResourceManager& rm, const Case& c, int deadline_ms) {
  cppvisa::DiscoveryOptions o;
  o.lan = c.lan;
  o.deadline = std::chrono::milliseconds(deadline_ms);
  o.cache_lifetime = std::chrono::milliseconds(c.cache_ms);
  cppvisa::set_discovery_options(o);
  std::size_t found = 0;
  if (c.cache_ms > 0) found = rm.list_resources("?*").size();  // fills the cache (not timed)
  std::vector<double> ms;
  for (int i = 0; i < c.rounds; ++i) {
    const auto start = std::chrono::steady_clock::now();
    found = rm.list_resources("?*").size();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("CASE %-18s %10.3f %10.3f %10.3f %zu\n", c.name, ms[ms.size() / 2], ms.front(), ms.back(), found);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int deadline_ms = static_cast<int>(cppvisa::DiscoveryOptions{}.deadline.count());
  int rounds = 5;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--deadline-ms") && i + 1 < argc) {
      deadline_ms = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: list_resources_client [--deadline-ms MS] [--rounds N]\n");
      return 2;
    }
  }
  if (deadline_ms <= 0 || rounds <= 0) return 2;
  try {
    cppvisa::ResourceManager rm("@native");
    const Case cases[] = {{"no-lan", false, 0, rounds * 4},
                          {"lan", true, 0, rounds},
                          {"lan-warm-cache", true, 600000, rounds * 200}};
    for (const auto& c : cases) measure(rm, c, deadline_ms);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "list_resources_client: %s\n", e.what());
    return 1;
  }
  return 0;
}
