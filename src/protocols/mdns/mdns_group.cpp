#include "protocols/mdns/mdns_group.hpp"

#include "protocols/mdns/mdns_browse.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace cppvisa::mdns {

bool send_to_group(int fd, bool ipv6, unsigned index, std::span<const std::byte> bytes) {
  if (!ipv6) {
    ip_mreqn via{};
    via.imr_ifindex = static_cast<int>(index);
    if (::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &via, sizeof via) != 0) return false;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(mdns_port);
    inet_pton(AF_INET, ipv4_group, &to.sin_addr);
    return ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) >= 0;
  }
  if (::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index) != 0) return false;
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_port = htons(mdns_port);
  to.sin6_scope_id = index;
  inet_pton(AF_INET6, ipv6_group, &to.sin6_addr);
  return ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) >= 0;
}

}  // namespace cppvisa::mdns
