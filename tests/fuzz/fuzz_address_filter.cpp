// Fuzz target: parse arbitrary bytes as an allow-list entry ("ADDR/PREFIX") and as a peer
// address. A failure must say why in printable text; a network that parses must print a
// canonical form that parses back to itself, contain its own address, and match peers the same
// way in its IPv4 and IPv4-mapped IPv6 forms.
#include "protocols/net/address_filter.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using cppvisa::net::AddressFilter;
using cppvisa::net::IpAddress;
using cppvisa::net::Network;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto network = Network::parse(text, &error);
  if (!network) {
    if (error.empty() || error.size() > 512) std::abort();
    for (char c : error)
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) std::abort();
  } else {
    if (network->prefix > (network->address.is_v4() ? 32u : 128u)) std::abort();
    std::string canonical = network->to_string();
    auto again = Network::parse(canonical);
    if (!again || !(*again == *network) || again->to_string() != canonical) std::abort();
    if (!network->contains(network->address)) std::abort();
    AddressFilter filter;
    if (!filter.add(text) || filter.networks().size() != 1) std::abort();
    if (!filter.allows(network->address) || !filter.allows(network->address.to_string())) std::abort();
  }
  // The same bytes as a peer address.
  auto peer = IpAddress::parse(text);
  if (peer) {
    auto back = IpAddress::parse(peer->to_string());
    if (!back || !(*back == *peer)) std::abort();
    if (peer->is_v4()) {
      // The mapped form is the same address.
      auto mapped = IpAddress::parse("::ffff:" + peer->to_string());
      if (!mapped || !(*mapped == *peer)) std::abort();
    }
    // A /0 network of the peer's family contains it.
    static const Network any4 = *Network::parse("0.0.0.0/0"), any6 = *Network::parse("::/0");
    if ((peer->is_v4() && !any4.contains(*peer)) || !any6.contains(*peer)) std::abort();
    if (!peer->is_v4() && any4.contains(*peer)) std::abort();
  }
  AddressFilter empty;
  if (!empty.allows(text)) std::abort();
  return 0;
}
