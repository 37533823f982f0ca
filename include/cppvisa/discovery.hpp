/// @file discovery.hpp
/// @brief How the native backend's list_resources finds instruments: LAN discovery on or off, the
/// overall deadline of one listing, and how long a listing is reused.
#pragma once

#include <cppvisa/export.hpp>

#include <chrono>

namespace cppvisa {

/// Options of resource listing (process-wide). The defaults come from the environment:
/// `CPPVISA_DISCOVERY=off` turns LAN discovery off (`on` turns it on), `CPPVISA_DISCOVERY_TIMEOUT_MS`
/// sets the deadline and `CPPVISA_LIST_CACHE_MS` the cache lifetime (0: no cache).
struct DiscoveryOptions {
  /// Whether listing sends LAN discovery traffic (mDNS/DNS-SD queries, VXI-11 broadcasts). Only
  /// expressions that can match TCPIP names (such as "?*::INSTR") ever do.
  bool lan = true;
  /// One deadline for every enumerator of one listing (serial, USB, GPIB, LAN), run in parallel.
  std::chrono::milliseconds deadline{400};
  /// A listing is reused for this long (0: every listing enumerates again).
  std::chrono::milliseconds cache_lifetime{2000};

  bool operator==(const DiscoveryOptions&) const = default;  ///< member-wise equality
};

/// The options in effect: those last set, else the defaults read from the environment.
CPPVISA_API DiscoveryOptions discovery_options();
/// Sets the options for every later listing (a cached listing made under other options is not reused).
CPPVISA_API void set_discovery_options(const DiscoveryOptions& options);
/// The defaults as the environment gives them (ignores set_discovery_options).
CPPVISA_API DiscoveryOptions discovery_options_from_environment();

}  // namespace cppvisa
