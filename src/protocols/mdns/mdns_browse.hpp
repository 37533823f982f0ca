// mDNS/DNS-SD browsing without a daemon: one multicast query (RFC 6762 §5.1, "one-shot") for the
// instrument service types on every interface, IPv4 (224.0.0.251) and IPv6 (ff02::fb), sent from an
// ephemeral port so that responders answer by unicast (RFC 6762 §6.7, legacy unicast responses),
// follow-up queries for missing SRV/TXT/address records, and the answers turned into resource names.
#pragma once

#include "core/deadline.hpp"
#include "core/discovered.hpp"
#include "protocols/mdns/dns_message.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::mdns {

inline constexpr std::uint16_t mdns_port = 5353;
inline constexpr const char* ipv4_group = "224.0.0.251";
inline constexpr const char* ipv6_group = "ff02::fb";

/// The DNS-SD service types of instruments (LXI, VXI-11, HiSLIP, raw and telnet SCPI), "._tcp.local".
std::span<const std::string_view> instrument_service_types();

/// A record as received, with the address of the host that sent it (numeric).
struct Received {
  Record record;
  std::string from;
};

/// Resources named by a set of received records: PTR (type -> instance), SRV (instance -> host,
/// port), TXT (instance -> identity), A/AAAA (host -> address). `_hislip._tcp` gives
/// TCPIP0::host::hislip0[,port]::INSTR, `_vxi-11._tcp` TCPIP0::host::inst0::INSTR, `_scpi-raw._tcp`
/// and `_scpi-telnet._tcp` TCPIP0::host::port::SOCKET; `_lxi._tcp` (a web page) names no resource
/// but lends its TXT identity to the host's others. The host is its IPv4 address when known, else
/// a global IPv6 address, else the sender's address. Sorted by name, one entry per name.
std::vector<core::Discovered> resources_from_records(const std::vector<Received>& records);

/// The PTR query for every instrument service type (with the unicast-response bit).
std::vector<std::byte> browse_query();

/// Queries on every multicast interface and collects answers until `deadline`. At most
/// `max_kept_records` records are kept, whatever the peers send. Each time answers add to the
/// resources found, `progress` (when given) is told them all.
std::vector<core::Discovered> browse(core::Deadline deadline, const core::Progress& progress = {});

inline constexpr std::size_t max_kept_records = 4096;

/// LAN discovery over mDNS/DNS-SD: through the Avahi daemon when one answers (avahi_browse.hpp),
/// else by a query of our own (browse()).
std::vector<core::Discovered> discover(core::Deadline deadline, const core::Progress& progress = {});

}  // namespace cppvisa::mdns
