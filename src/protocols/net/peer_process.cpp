#include "protocols/net/peer_process.hpp"

#include "protocols/net/address_filter.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <dirent.h>
#include <fstream>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace cppvisa::net {

namespace {

// One "local_address" field of /proc/net/{tcp,udp}[6]: the address as 32-bit words in host byte
// order, each printed as 8 hex digits, then ':' and the port in hex (proc(5)).
struct ProcAddress {
  std::array<std::uint8_t, 16> bytes{};
  std::size_t size = 0;
  std::uint16_t port = 0;
};

std::optional<ProcAddress> parse_proc_address(std::string_view field) {
  auto colon = field.find(':');
  if (colon == std::string_view::npos || (colon != 8 && colon != 32)) return std::nullopt;
  ProcAddress a;
  a.size = colon / 2;
  for (std::size_t w = 0; w < colon / 8; ++w) {
    std::uint32_t word = 0;
    auto text = field.substr(w * 8, 8);
    if (std::from_chars(text.data(), text.data() + 8, word, 16).ec != std::errc{}) return std::nullopt;
    // The word is in host byte order (little-endian here): its bytes in memory order are the
    // address bytes in network order.
    for (int b = 0; b < 4; ++b) a.bytes[w * 4 + b] = static_cast<std::uint8_t>(word >> (8 * b));
  }
  if (std::from_chars(field.data() + colon + 1, field.data() + field.size(), a.port, 16).ec != std::errc{})
    return std::nullopt;
  return a;
}

bool wildcard(const ProcAddress& a) {
  for (std::size_t i = 0; i < a.size; ++i)
    if (a.bytes[i]) return false;
  return true;
}

// Inodes of the sockets bound to `peer` in one /proc/self/net table.
void matching_inodes(const char* table, const IpAddress& peer, std::uint16_t port, std::vector<std::string>& out) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    std::vector<std::string_view> fields;
    std::string_view rest(line);
    while (!rest.empty()) {
      auto start = rest.find_first_not_of(' ');
      if (start == std::string_view::npos) break;
      rest.remove_prefix(start);
      auto end = rest.find(' ');
      fields.push_back(rest.substr(0, end));
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end);
    }
    if (fields.size() < 10) continue;
    auto local = parse_proc_address(fields[1]);
    if (!local || local->port != port) continue;
    auto address = IpAddress::from_bytes(local->bytes.data(), local->size);
    if (!wildcard(*local) && (!address || *address != peer)) continue;
    out.emplace_back(fields[9]);
  }
}

}  // namespace

bool peer_in_this_process(const Endpoint& peer, bool udp) {
  auto address = IpAddress::parse(strip_brackets(peer.host));
  if (!address || peer.port == 0) return false;
  std::vector<std::string> inodes;
  matching_inodes(udp ? "/proc/self/net/udp" : "/proc/self/net/tcp", *address, peer.port, inodes);
  matching_inodes(udp ? "/proc/self/net/udp6" : "/proc/self/net/tcp6", *address, peer.port, inodes);
  if (inodes.empty()) return false;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return false;
  bool found = false;
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    char target[64] = {};
    std::string path = std::string("/proc/self/fd/") + e->d_name;
    ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    std::string_view link(target, static_cast<std::size_t>(n));
    for (const auto& inode : inodes)
      if (link == "socket:[" + inode + "]") found = true;
    if (found) break;
  }
  ::closedir(dir);
  return found;
}

}  // namespace cppvisa::net
