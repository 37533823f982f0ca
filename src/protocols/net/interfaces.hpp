// net: this machine's network interfaces (getifaddrs), for the discovery that speaks on each of
// them (mDNS queries, VXI-11 broadcasts) and the mDNS responder that answers with their addresses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cppvisa::net {

/// One address of an interface that is up.
struct InterfaceAddress {
  std::string interface;      ///< "eth0"
  unsigned index = 0;         ///< if_nametoindex
  bool ipv6 = false;
  std::string address;        ///< numeric, no brackets or scope
  std::string broadcast;      ///< IPv4 broadcast address when the interface has one, else empty
  bool loopback = false;
  bool multicast = false;     ///< IFF_MULTICAST
  bool link_local = false;    ///< fe80::/10 or 169.254/16
};

/// Every address of every interface that is up (IPv4 and IPv6).
std::vector<InterfaceAddress> interface_addresses();

}  // namespace cppvisa::net
