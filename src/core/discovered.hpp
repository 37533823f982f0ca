// core::Discovered: a resource an enumerator found, with how it was found and what the finding
// told of the instrument (LAN discovery: mDNS TXT keys, a VXI-11 broadcast answer).
#pragma once

#include <string>

namespace cppvisa::core {

struct Discovered {
  std::string name;          ///< canonical resource name ("TCPIP0::10.0.0.5::hislip0::INSTR")
  std::string found_by;      ///< "mDNS _hislip._tcp", "VXI-11 broadcast", "serial", ...
  std::string manufacturer;  ///< empty when unknown
  std::string model;
  std::string serial_number;
  std::string firmware;
  std::string host_name;     ///< the host's name when it has one ("scope.local"), else empty
};

}  // namespace cppvisa::core
