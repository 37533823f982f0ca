// native: the LAN enumerators (mDNS/DNS-SD browsing, VXI-11 broadcast) that list_resources runs
// beside the transport rows' list hooks, and the merge of what every enumerator found.
#pragma once

#include "core/deadline.hpp"
#include "core/discovered.hpp"

#include <span>
#include <string_view>
#include <vector>

namespace cppvisa::native {

/// One way of finding instruments on the LAN (network traffic: runs only when LAN discovery is on).
struct LanEnumerator {
  const char* name = nullptr;  ///< for people ("mDNS/DNS-SD", "VXI-11 broadcast")
  /// What it finds before `deadline` (must return by then), reporting what it has found so far
  /// to `progress` as it goes (the listing keeps the last report if the return comes late).
  std::vector<core::Discovered> (*find)(core::Deadline deadline, const core::Progress& progress) = nullptr;
};

/// The built-in LAN enumerators.
std::span<const LanEnumerator> builtin_lan_enumerators();

/// Whether a viFindRsrc expression can match a TCPIP INSTR or SOCKET name (conservative: true
/// when unsure). `?*::INSTR` can; `ASRL?*::INSTR`, `USB?*` and `?*::RAW` cannot.
bool expression_may_match_tcpip(std::string_view expression);

/// One entry per name (found_by joined with ", "), and the identity one finding gave a host
/// (manufacturer, model, serial, firmware) lent to the host's other resources. Sorted by name.
std::vector<core::Discovered> merge_findings(std::vector<core::Discovered> found);

}  // namespace cppvisa::native
