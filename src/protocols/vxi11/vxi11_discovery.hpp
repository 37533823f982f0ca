// VXI-11 discovery by broadcast (VXI-11 rev 1.0 §B.4 leaves discovery to the portmapper; liblxi
// and PyVISA-py send a UDP GETPORT for the VXI-11 core program to every broadcast address and take
// each answer with a port as an instrument): the GETPORT call goes to every interface's IPv4
// broadcast address, and each host answering with a non-zero port is TCPIP0::addr::inst0::INSTR.
#pragma once

#include "core/deadline.hpp"
#include "core/discovered.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cppvisa::vxi11 {

/// The datagram: an ONC RPC call of portmapper GETPORT(core program, version 1, TCP) with `xid`.
std::vector<std::byte> getport_broadcast_call(std::uint32_t xid);
/// The port a reply to that call names, or 0 when the datagram is not such a reply (another xid,
/// malformed, denied, or "not registered").
std::uint16_t getport_reply_port(std::span<const std::byte> datagram, std::uint32_t xid);

/// Broadcasts on every interface with an IPv4 broadcast address (to the portmapper port,
/// oncrpc::portmapper_port()) and collects answers until `deadline`; one resource per answering
/// address, sorted. Each new answering host, `progress` (when given) is told them all.
std::vector<core::Discovered> broadcast_discover(core::Deadline deadline, const core::Progress& progress = {});

}  // namespace cppvisa::vxi11
