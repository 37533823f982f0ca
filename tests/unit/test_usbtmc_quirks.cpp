// The USBTMC quirks table (usbtmc_quirks.hpp): built-in rows, user overrides from
// CPPVISA_USBTMC_QUIRKS syntax, precedence, malformed rows refused whole.
#include "protocols/usbtmc/usbtmc_quirks.hpp"

#include <gtest/gtest.h>

namespace cppvisa::usbtmc {
namespace {

TEST(UsbtmcQuirks, BuiltinRowsCiteTheirSource) {
  for (const auto& r : builtin_quirks()) EXPECT_FALSE(r.source.empty());
  EXPECT_EQ(quirks_for(0x1AB1, 0x0588, {}), quirk::headerless_continuation);
  EXPECT_EQ(quirks_for(0x1AB1, 0x9999, {}), 0u);
  EXPECT_EQ(quirks_for(0x0957, 0x1796, {}), 0u);
}

TEST(UsbtmcQuirks, OverridesAddAndReplace) {
  std::vector<QuirkRow> rows;
  std::string error;
  ASSERT_TRUE(parse_quirk_overrides("0x0957:0x1796=accept_wrong_tag, clear_on_open; 0x1ab1:1416=none;"
                                    " 4660:*=no_termchar_request",
                                    rows, error))
      << error;
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(quirks_for(0x0957, 0x1796, rows), quirk::accept_wrong_tag | quirk::clear_on_open);
  EXPECT_EQ(quirks_for(0x1AB1, 0x0588, rows), 0u) << "the user turned the built-in row off";
  EXPECT_EQ(quirks_for(0x1234, 0x0001, rows), quirk::no_termchar_request) << "vendor-wide row";
  SessionOptions o;
  apply_quirks(quirk::accept_wrong_tag | quirk::headerless_continuation, o);
  EXPECT_TRUE(o.accept_wrong_tag);
  EXPECT_TRUE(o.headerless_continuation);
  EXPECT_FALSE(o.clear_on_open);
}

TEST(UsbtmcQuirks, RowsKnownByIdn) {
  std::vector<QuirkRow> rows;
  std::string error;
  ASSERT_TRUE(parse_quirk_overrides("0x0957:*~DSOX 3034=clear_on_open; 0x0957:0x1796 ~ MSO-X=termchar_in_request",
                                    rows, error))
      << error;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].idn, "DSOX 3034");
  EXPECT_FALSE(rows[0].product_id);
  EXPECT_EQ(rows[1].idn, "MSO-X");
  EXPECT_EQ(quirks_for(0x0957, 0x1796, rows), 0u) << "rows known by IDN wait for the answer";
  auto idn_rows = identity_quirks_for(0x0957, 0x1796, rows);
  ASSERT_EQ(idn_rows.size(), 2u);
  EXPECT_EQ(quirks_for_identity(0, "AGILENT,DSOX 3034,MY1,1.0", idn_rows), quirk::clear_on_open);
  EXPECT_EQ(quirks_for_identity(0, "AGILENT,MSO-X 4104,MY1,1.0", idn_rows), quirk::termchar_in_request);
  EXPECT_EQ(quirks_for_identity(quirk::accept_wrong_tag, "OTHER", idn_rows), quirk::accept_wrong_tag);
  EXPECT_EQ(identity_quirks_for(0x0957, 0x0001, rows).size(), 1u);
  // The built-in Rigol row known by model (gotmc/usbtmc PR 12).
  auto rigol = identity_quirks_for(0x1AB1, 0x0517, {});
  ASSERT_EQ(rigol.size(), 1u);
  EXPECT_EQ(quirks_for_identity(0, "RIGOL TECHNOLOGIES,DS1102Z-E,DS1ZE0000,00.06.04", rigol),
            quirk::headerless_continuation | quirk::accept_wrong_tag);
  SessionOptions o;
  apply_identity_quirks(0, idn_rows, o);
  ASSERT_TRUE(o.identify);
  o.identify("AGILENT,DSOX 3034,MY1,1.0", o);
  EXPECT_TRUE(o.clear_on_open);
  EXPECT_TRUE(o.identify) << "kept";
}

TEST(UsbtmcQuirks, MalformedRowsAreRefused) {
  std::vector<QuirkRow> rows{QuirkRow{1, 2, {}, 3, "x"}};
  std::string error;
  for (const char* bad : {"0x0957=accept_wrong_tag", "0x0957:0x1796", "zz:1=none", "1:0x10000=none",
                          "1:2=made_up", "1:-2=none", ":=none", "1:*~=none"}) {
    EXPECT_FALSE(parse_quirk_overrides(bad, rows, error)) << bad;
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(rows.size(), 1u) << "nothing applied";
  }
  EXPECT_TRUE(parse_quirk_overrides("", rows, error));
  EXPECT_TRUE(rows.empty());
}

}  // namespace
}  // namespace cppvisa::usbtmc
