// net::peer_in_this_process: whether a loopback peer's socket belongs to this very process (Linux:
// /proc/self/net/{tcp,tcp6,udp,udp6} name the socket's inode, /proc/self/fd holds "socket:[inode]").
// The portmapper takes SET/UNSET only from itself this way: any local user could otherwise
// redirect or remove a registration (RFC 1833 leaves the policy to the implementation; rpcbind
// checks the caller's credentials on its local transport, which a TCP or UDP peer cannot show).
#pragma once

#include "protocols/net/socket.hpp"

namespace cppvisa::net {

/// True when a socket of this process is bound to `peer` (address and port; a socket bound to
/// the wildcard address matches any address with its port). False when it cannot be told (no
/// /proc, a name instead of an address).
bool peer_in_this_process(const Endpoint& peer, bool udp);

}  // namespace cppvisa::net
