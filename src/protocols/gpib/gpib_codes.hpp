// gpib: the numbers of the NI-488 / linux-gpib C API (ibsta bits, iberr codes, ibconfig options,
// timeout codes, EOS flags, bus lines, IEEE 488.1 command bytes) and the pure conversions between
// them and VISA: timeout -> T-value, termination attributes -> EOS mode, iberr/ibsta -> status.
// linux-gpib is loaded at run time (libgpib.hpp), so its header is not available to the build:
// the values are those of the NI-488.2 API that linux-gpib reproduces.
#pragma once

#include "core/message_reader.hpp"

#include <cppvisa/status.hpp>

#include <cstdint>
#include <optional>

namespace cppvisa::gpib {

/// ibsta bits (returned by every call).
namespace sta {
inline constexpr int DCAS = 0x0001, DTAS = 0x0002, LACS = 0x0004, TACS = 0x0008, ATN = 0x0010, CIC = 0x0020,
                     REM = 0x0040, LOK = 0x0080, CMPL = 0x0100, EVENT = 0x0200, SPOLL = 0x0400, RQS = 0x0800,
                     SRQI = 0x1000, END = 0x2000, TIMO = 0x4000, ERR = 0x8000;
}

/// iberr codes (meaningful when ibsta has ERR).
namespace err {
inline constexpr int EDVR = 0, ECIC = 1, ENOL = 2, EADR = 3, EARG = 4, ESAC = 5, EABO = 6, ENEB = 7, EDMA = 8,
                     EOIP = 10, ECAP = 11, EFSO = 12, EBUS = 14, ESTB = 15, ESRQ = 16, ETAB = 20;
}

/// ibconfig / ibask options used here.
namespace opt {
inline constexpr int PAD = 0x1, SAD = 0x2, TMO = 0x3, EOT = 0x4, READDR = 0x6, AUTOPOLL = 0x7, SC = 0xa,
                     SRE = 0xb, EOSrd = 0xc, EOSwrt = 0xd, EOScmp = 0xe, EOSchar = 0xf, EndBitIsNormal = 0x1a,
                     UnAddr = 0x1b, HSCableLength = 0x1f, Rsv = 0x21;
}

/// EOS mode bits of ibdev/ibeos (the character in the low byte).
namespace eos {
inline constexpr int REOS = 0x0400, XEOS = 0x0800, BIN = 0x1000;
}

/// iblines bits: ValidX says the board can report line X, BusX that it is asserted.
namespace lines {
inline constexpr int ValidNDAC = 0x02, ValidREN = 0x10, ValidSRQ = 0x20, ValidATN = 0x40;
inline constexpr int BusNDAC = 0x0200, BusREN = 0x1000, BusSRQ = 0x2000, BusATN = 0x4000;
}

/// IEEE 488.1 multiline command bytes (sent with ATN asserted).
namespace cmd {
inline constexpr std::uint8_t GTL = 0x01, SDC = 0x04, GET = 0x08, TCT = 0x09, LLO = 0x11, DCL = 0x14,
                              LAD = 0x20, UNL = 0x3F, TAD = 0x40, UNT = 0x5F, SAD = 0x60;
}

/// The NI-488.2 "no secondary address" value of ibdev's sad and of Addr4882_t's high byte.
inline constexpr int kNoSad = 0;
/// The end of an Addr4882_t list (FindLstn).
inline constexpr std::uint16_t kNoAddr = 0xFFFF;
/// VISA's VI_NO_SEC_ADDR.
inline constexpr std::uint16_t kVisaNoSecondary = 0xFFFF;
/// linux-gpib boards are descriptors 0..15 (GPIB_MAX_NUM_BOARDS).
inline constexpr int kMaxBoards = 16;
/// Highest primary / secondary address (IEEE 488.1).
inline constexpr int kMaxAddress = 30;

/// The T-value (ibtmo code, TNONE = 0 .. T1000s = 17) for a VISA timeout in ms: the nearest
/// T-value not shorter than it (so that the bus never gives up before VISA would);
/// VI_TMO_INFINITE -> TNONE; above 1000 s -> T1000s, the longest there is.
int timeout_code(std::uint32_t ms);
/// The duration of a T-value in microseconds (0 for TNONE, i.e. no limit); -1 for a bad code.
long long timeout_code_us(int code);

/// The EOS mode for reads from the VISA read termination: with TERMCHAR_EN, REOS | BIN | the
/// character (reads stop after it, compared on all 8 bits); else 0.
int eos_mode(const core::ReadTermination& term);

/// ibdev's `sad` (0 = none, 0x60..0x7E) for a VISA secondary address (0..30, or none).
int sad_code(std::optional<int> secondary);
/// The VISA secondary address (VI_NO_SEC_ADDR when none) of an ibask(IbaSAD) / Addr4882_t value.
std::uint16_t visa_secondary(int sad);

/// The VISA status of a failed libgpib call: iberr (and TIMO in ibsta) -> the VISA error that
/// names the same cause; see docs/gpib.md for the table.
status_t status_of(int ibsta, int iberr);

}  // namespace cppvisa::gpib
