/// @file resource_info.hpp
/// @brief ResourceInfo: what parsing a resource name tells (PyVISA's ResourceInfo named tuple).
#pragma once

#include <cppvisa/types.hpp>

#include <optional>
#include <string>

namespace cppvisa {

/// Extended information about a resource name, as viParseRsrcEx returns it.
struct ResourceInfo {
  InterfaceType interface_type = InterfaceType::unknown;  ///< e.g. InterfaceType::tcpip
  /// Board number; empty when the board is not a number (e.g. ASRL/dev/ttyUSB0\::INSTR) or for VICP.
  std::optional<int> interface_board_number;
  std::string resource_class;  ///< "INSTR", "SOCKET", "RAW", "INTFC", ...
  std::string resource_name;   ///< the canonical name, e.g. "TCPIP0::1.2.3.4::inst0::INSTR"
  std::string alias;           ///< the user alias the name was given as; empty when none
  /// How a listing found the resource ("mDNS _hislip._tcp", "VXI-11 broadcast"; several joined by
  /// ", "); empty when it was not found by LAN discovery (or not listed).
  std::string found_by;
  std::string manufacturer;    ///< from the finding (mDNS TXT `Manufacturer`); empty when unknown
  std::string model;           ///< from the finding (mDNS TXT `Model`); empty when unknown
  std::string serial_number;   ///< from the finding (mDNS TXT `SerialNumber`); empty when unknown

  bool operator==(const ResourceInfo&) const = default;  ///< member-wise equality
};

}  // namespace cppvisa
