// Sending to the mDNS multicast group (RFC 6762 §3: 224.0.0.251 and ff02::fb, UDP 5353) out of one
// interface: what the browser's queries and the responder's multicast answers share.
#pragma once

#include <cstddef>
#include <span>

namespace cppvisa::mdns {

/// Sends `bytes` from the UDP socket `fd` (IPv6 when `ipv6`) to the group, out of the interface
/// `index`; false when the interface cannot be chosen or the datagram not sent.
bool send_to_group(int fd, bool ipv6, unsigned index, std::span<const std::byte> bytes);

}  // namespace cppvisa::mdns
