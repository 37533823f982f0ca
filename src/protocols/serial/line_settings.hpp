// serial::LineSettings: the global ASRL attributes that live in the terminal driver (baud rate,
// character format, flow control) and how they are put into the kernel with termios2.
#pragma once

#include <cppvisa/status.hpp>
#include <cppvisa/types.hpp>

#include <cstdint>
#include <optional>

namespace cppvisa::serial {

/// Line settings of a port, in VISA terms (VI_ATTR_ASRL_*).
struct LineSettings {
  std::uint32_t baud = 9600;          ///< VI_ATTR_ASRL_BAUD (any rate > 0; non-standard ones via BOTHER)
  int data_bits = 8;                  ///< VI_ATTR_ASRL_DATA_BITS, 5..8
  Parity parity = Parity::none;       ///< VI_ATTR_ASRL_PARITY
  StopBits stop_bits = StopBits::one; ///< VI_ATTR_ASRL_STOP_BITS
  std::uint16_t flow = 0;             ///< VI_ATTR_ASRL_FLOW_CNTRL bits (FlowControl)
  std::uint8_t xon = 0x11;            ///< VI_ATTR_ASRL_XON_CHAR
  std::uint8_t xoff = 0x13;           ///< VI_ATTR_ASRL_XOFF_CHAR

  bool operator==(const LineSettings&) const = default;
};

/// Whether Linux can express the combination: VI_ERROR_NSUP_ATTR_STATE for a zero baud rate,
/// data bits outside 5..8, an unknown parity or stop-bit value, DTR/DSR flow control (no
/// termios flag exists), or 1.5 stop bits with more than 5 data bits (termios has one "two stop
/// bits" flag, which UARTs send as 1.5 stop bits for 5-bit characters only).
status_t check_line_settings(const LineSettings& settings);

/// The termios flag words apply_line_settings() puts into the kernel (without the rate bits).
struct TermiosFlags {
  std::uint32_t iflag = 0, oflag = 0, cflag = 0, lflag = 0;
};
/// `settings` as termios flags (values as in <termios.h>); `keep_hupcl` is copied into cflag.
TermiosFlags termios_flags(const LineSettings& settings, bool keep_hupcl = false);

/// Puts the terminal in raw mode (no echo, no line editing, no output processing, VMIN 1,
/// parity/framing errors marked with PARMRK, breaks ignored) with `settings`. Standard rates use
/// the Bnnn codes, others termios2's BOTHER. VI_ERROR_NSUP_ATTR_STATE when the combination is
/// refused or the driver did not take it (rate read back more than 3% off, or another character
/// format; not checked on pseudo-terminals, which have no line and force CS8 without parity);
/// VI_ERROR_CONN_LOST
/// when the device is gone; VI_ERROR_IO for other failures.
status_t apply_line_settings(int fd, const LineSettings& settings);

/// The settings the driver holds now (for diagnostics and tests); nullopt when not a terminal.
/// (On a pseudo-terminal master this reads the slave's settings, as the kernel maps mode ioctls.)
std::optional<LineSettings> read_line_settings(int fd);

}  // namespace cppvisa::serial
