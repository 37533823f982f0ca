#include "protocols/gpib/gpib_codes.hpp"

#include <cppvisa/types.hpp>

namespace cppvisa::gpib {
namespace {

// T-values 1..17 (NI-488.2 ibtmo): 10 us, 30 us, 100 us ... 1000 s, in microseconds.
constexpr long long kTimeoutUs[] = {0,          10,          30,          100,         300,         1000,
                                    3000,       10000,       30000,       100000,      300000,      1000000,
                                    3000000,    10000000,    30000000,    100000000,   300000000,   1000000000};
constexpr int kLongest = 17;

}  // namespace

int timeout_code(std::uint32_t ms) {
  if (ms == tmo_infinite) return 0;
  const long long us = static_cast<long long>(ms) * 1000;
  for (int code = 1; code <= kLongest; ++code)
    if (kTimeoutUs[code] >= us) return code;
  return kLongest;
}

long long timeout_code_us(int code) {
  if (code < 0 || code > kLongest) return -1;
  return kTimeoutUs[code];
}

int eos_mode(const core::ReadTermination& term) {
  if (!term.termchar_enabled) return 0;
  return eos::REOS | eos::BIN | static_cast<int>(std::to_integer<unsigned>(term.termchar));
}

int sad_code(std::optional<int> secondary) {
  // NI-488.2 passes secondary addresses as the SAD command bytes 0x60..0x7E, 0 meaning none.
  if (!secondary) return kNoSad;
  return cmd::SAD + *secondary;
}

std::uint16_t visa_secondary(int sad) {
  if (sad < cmd::SAD || sad > cmd::SAD + kMaxAddress) return kVisaNoSecondary;
  return static_cast<std::uint16_t>(sad - cmd::SAD);
}

status_t status_of(int ibsta, int iberr) {
  // EABO with TIMO is a timeout; without it, an abort (ibstop, IFC from another controller).
  if (ibsta & sta::TIMO) return status::ERROR_TMO;
  switch (iberr) {
    case err::ECIC: return status::ERROR_NCIC;
    case err::ENOL: return status::ERROR_NLISTENERS;
    case err::EARG: return status::ERROR_INV_PARAMETER;
    case err::ESAC: return status::ERROR_NSYS_CNTLR;
    case err::EABO: return status::ERROR_ABORT;
    case err::ENEB: return status::ERROR_INTF_NUM_NCONFIG;
    case err::EOIP: return status::ERROR_IN_PROGRESS;
    case err::ECAP: return status::ERROR_NSUP_OPER;
    case err::EADR:
    case err::EDMA:
    case err::EBUS:
    case err::ESTB:
    case err::ESRQ:
    case err::ETAB: return status::ERROR_IO;
    case err::EDVR:
    case err::EFSO:
    default: return status::ERROR_SYSTEM_ERROR;
  }
}

}  // namespace cppvisa::gpib
