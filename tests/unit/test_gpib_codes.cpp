// gpib_codes: VISA timeouts -> ibtmo T-values, termination -> EOS mode, secondary addresses,
// iberr/ibsta -> VISA statuses.
#include "protocols/gpib/gpib_codes.hpp"

#include <cppvisa/types.hpp>

#include <gtest/gtest.h>

using namespace cppvisa;
using namespace cppvisa::gpib;

TEST(GpibCodes, TimeoutIsTheNearestTValueNotShorter) {
  EXPECT_EQ(timeout_code(tmo_infinite), 0);  // TNONE
  EXPECT_EQ(timeout_code(0), 1);             // T10us: VI_TMO_IMMEDIATE, as short as there is
  EXPECT_EQ(timeout_code(1), 5);             // T1ms
  EXPECT_EQ(timeout_code(2), 6);             // T3ms
  EXPECT_EQ(timeout_code(100), 9);           // T100ms exactly
  EXPECT_EQ(timeout_code(101), 10);          // T300ms, never shorter than asked
  EXPECT_EQ(timeout_code(1000), 11);
  EXPECT_EQ(timeout_code(2000), 12);         // T3s (PyVISA-py would round down to T1s)
  EXPECT_EQ(timeout_code(1000000), 17);      // T1000s
  EXPECT_EQ(timeout_code(1000001), 17);      // longer than any: the longest
  for (int code = 5; code <= 17; ++code) {  // T1ms and up: whole milliseconds
    const long long us = timeout_code_us(code);
    EXPECT_EQ(timeout_code(static_cast<std::uint32_t>((us + 999) / 1000)), code) << code;
  }
  EXPECT_EQ(timeout_code_us(0), 0);
  EXPECT_EQ(timeout_code_us(18), -1);
}

TEST(GpibCodes, EosModeFromTheReadTermination) {
  core::ReadTermination term;
  EXPECT_EQ(eos_mode(term), 0);
  term.termchar_enabled = true;
  term.termchar = std::byte{0x0A};
  EXPECT_EQ(eos_mode(term), eos::REOS | eos::BIN | 0x0A);
  term.termchar = std::byte{0xFF};
  EXPECT_EQ(eos_mode(term) & 0xFF, 0xFF);
  EXPECT_EQ(eos_mode(term) & eos::XEOS, 0);  // EOS never ends writes: END is EOI
}

TEST(GpibCodes, SecondaryAddresses) {
  EXPECT_EQ(sad_code(std::nullopt), 0);
  EXPECT_EQ(sad_code(0), 0x60);
  EXPECT_EQ(sad_code(30), 0x7E);
  EXPECT_EQ(visa_secondary(0), kVisaNoSecondary);
  EXPECT_EQ(visa_secondary(0x60), 0);
  EXPECT_EQ(visa_secondary(0x7E), 30);
  EXPECT_EQ(visa_secondary(0x7F), kVisaNoSecondary);
}

TEST(GpibCodes, ErrorsToStatuses) {
  EXPECT_EQ(status_of(sta::ERR | sta::TIMO, err::EABO), status::ERROR_TMO);
  EXPECT_EQ(status_of(sta::ERR, err::EABO), status::ERROR_ABORT);
  EXPECT_EQ(status_of(sta::ERR, err::ENOL), status::ERROR_NLISTENERS);
  EXPECT_EQ(status_of(sta::ERR, err::ECIC), status::ERROR_NCIC);
  EXPECT_EQ(status_of(sta::ERR, err::ESAC), status::ERROR_NSYS_CNTLR);
  EXPECT_EQ(status_of(sta::ERR, err::ENEB), status::ERROR_INTF_NUM_NCONFIG);
  EXPECT_EQ(status_of(sta::ERR, err::EARG), status::ERROR_INV_PARAMETER);
  EXPECT_EQ(status_of(sta::ERR, err::ECAP), status::ERROR_NSUP_OPER);
  EXPECT_EQ(status_of(sta::ERR, err::EOIP), status::ERROR_IN_PROGRESS);
  EXPECT_EQ(status_of(sta::ERR, err::EBUS), status::ERROR_IO);
  EXPECT_EQ(status_of(sta::ERR, err::EDVR), status::ERROR_SYSTEM_ERROR);
  EXPECT_EQ(status_of(sta::ERR, 99), status::ERROR_SYSTEM_ERROR);
}
