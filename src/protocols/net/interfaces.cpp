#include "protocols/net/interfaces.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace cppvisa::net {
namespace {

std::string numeric(const sockaddr* sa) {
  char text[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text, sizeof text);
  else
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, text, sizeof text);
  return text;
}

}  // namespace

std::vector<InterfaceAddress> interface_addresses() {
  std::vector<InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !(i->ifa_flags & IFF_UP)) continue;
    const int family = i->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    InterfaceAddress a;
    a.interface = i->ifa_name ? i->ifa_name : "";
    a.index = if_nametoindex(a.interface.c_str());
    a.ipv6 = family == AF_INET6;
    a.address = numeric(i->ifa_addr);
    a.loopback = (i->ifa_flags & IFF_LOOPBACK) != 0;
    a.multicast = (i->ifa_flags & IFF_MULTICAST) != 0;
    if (a.ipv6) {
      a.link_local = IN6_IS_ADDR_LINKLOCAL(&reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr);
    } else {
      const auto host = ntohl(reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr);
      a.link_local = (host >> 16) == 0xA9FE;  // 169.254.0.0/16
      if ((i->ifa_flags & IFF_BROADCAST) && i->ifa_broadaddr) a.broadcast = numeric(i->ifa_broadaddr);
    }
    out.push_back(std::move(a));
  }
  freeifaddrs(list);
  return out;
}

}  // namespace cppvisa::net
