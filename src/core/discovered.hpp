// core::Discovered: a resource an enumerator found, with how it was found and what the finding
// told of the instrument (LAN discovery: mDNS TXT keys, a VXI-11 broadcast answer).
#pragma once

#include <functional>
#include <string>
#include <vector>

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

/// Where an enumerator that runs until a deadline reports what it has found so far: each report
/// replaces the previous ones. A listing that stops waiting at its deadline keeps the last report,
/// however late the enumerator's own thread is scheduled to return.
using Progress = std::function<void(const std::vector<Discovered>&)>;

}  // namespace cppvisa::core
