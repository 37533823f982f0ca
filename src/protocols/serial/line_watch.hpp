// serial line watching for the serial events (NI-VISA VI_EVENT_ASRL_*): what the driver tells of
// the modem lines and breaks, and what changed between two readings. serial::Port's watcher
// thread reads a LineStatus periodically while a session has a line event enabled.
#pragma once

#include <cstddef>
#include <functional>
#include <span>

namespace cppvisa::serial {

/// One reading of a port's input lines.
struct LineStatus {
  /// The driver's change counters (TIOCGICOUNT: each CTS, DSR, DCD change counted; RI trailing
  /// edges; breaks received). Counting catches changes shorter than the polling period.
  bool counters = false;
  int cts = 0, dsr = 0, dcd = 0, ri = 0, breaks = 0;
  /// The line levels (TIOCMGET bits), used when the driver does not count (some USB adapters).
  bool levels_known = false;
  int levels = 0;
};

/// Reads the status of the terminal `fd`; false when the driver can tell nothing (a
/// pseudo-terminal has neither counters nor modem lines).
using LineProbe = std::function<bool(int fd, LineStatus& status)>;

/// The probe of a real driver: TIOCGICOUNT and TIOCMGET.
bool read_line_status(int fd, LineStatus& status);

/// What a port noticed: bytes received (decoded, in order) and line changes since the last reading.
struct PortActivity {
  std::span<const std::byte> received;
  int cts = 0, dsr = 0, dcd = 0, ri = 0, breaks = 0;  ///< changes (breaks) counted
  bool any_line_change() const noexcept { return cts || dsr || dcd || ri || breaks; }
};

/// The line changes between two readings of one port: counter differences when both readings
/// have counters (each capped at `cap`, a counter that went backwards counts as one change), else
/// the lines whose levels differ (one change each; breaks are invisible without counters).
PortActivity line_changes(const LineStatus& before, const LineStatus& now, int cap = 64);

}  // namespace cppvisa::serial
