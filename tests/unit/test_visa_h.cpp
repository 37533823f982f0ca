// visa.h / visatype.h against the single tables (status_codes.def, attributes.def) and the
// 64-bit Linux widths of VPP-4.3.
#include <visa.h>

#include <cppvisa/attributes.hpp>
#include <cppvisa/status.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <type_traits>

// Widths every consumer of libvisa.so on LP64 assumes (PyVISA, NI, Keysight).
static_assert(sizeof(ViUInt32) == 4 && sizeof(ViInt32) == 4);
static_assert(sizeof(ViSession) == 4 && sizeof(ViStatus) == 4 && sizeof(ViAttr) == 4);
static_assert(sizeof(ViObject) == 4 && sizeof(ViEvent) == 4 && sizeof(ViFindList) == 4);
static_assert(sizeof(ViEventType) == 4 && sizeof(ViJobId) == 4 && sizeof(ViAccessMode) == 4);
static_assert(sizeof(ViBoolean) == 2, "ViBoolean is 16 bits (VPP-4.3.2)");
static_assert(sizeof(ViUInt16) == 2 && sizeof(ViInt16) == 2);
static_assert(sizeof(ViUInt64) == 8 && sizeof(ViInt64) == 8 && sizeof(ViBusAddress64) == 8);
static_assert(sizeof(ViAttrState) == sizeof(void*), "ViAttrState is pointer-sized");
static_assert(sizeof(ViBusAddress) == sizeof(void*) && sizeof(ViBusSize) == sizeof(void*));
static_assert(sizeof(ViAddr) == sizeof(void*));
static_assert(std::is_signed_v<ViStatus> && std::is_unsigned_v<ViSession>);
static_assert(std::is_same_v<ViConstString, const char*>);
static_assert(VI_FIND_BUFLEN == 256);
static_assert(sizeof(cppvisa::session_t) == sizeof(ViSession) && sizeof(cppvisa::status_t) == sizeof(ViStatus));

TEST(VisaH, EveryStatusCodeOfTheTableHasItsMacroWithTheSameValue) {
  int checked = 0;
#define CPPVISA_STATUS(name, value, desc)                                                        \
  EXPECT_EQ(static_cast<ViStatus>(VI_##name), static_cast<ViStatus>(value##u)) << "VI_" #name; \
  ++checked;
#include <cppvisa/status_codes.def>
#undef CPPVISA_STATUS
  std::size_t rows = 0;
  cppvisa::status_table(rows);
  EXPECT_EQ(static_cast<std::size_t>(checked), rows);
  EXPECT_EQ(VI_ERROR_INV_SESSION, VI_ERROR_INV_OBJECT);
  EXPECT_LT(VI_ERROR_TMO, VI_SUCCESS);
  EXPECT_EQ(VI_ERROR_TMO, -1073807339);
  EXPECT_EQ(VI_ERROR_NSUP_OPER, -1073807257);
}

// The one row whose C++ name is not its VISA name without VI_ATTR_ (an identifier cannot start with a digit).
#define VI_ATTR_IS_4882_COMPLIANT VI_ATTR_4882_COMPLIANT

TEST(VisaH, EveryAttributeOfTheTableHasItsMacroWithTheSameValue) {
  int checked = 0;
#define CPPVISA_ATTR(name, visa_name, id, type, access, scope, has_def, def, lo, hi, classes) \
  EXPECT_EQ(static_cast<ViAttr>(VI_ATTR_##name), static_cast<ViAttr>(id##u)) << visa_name;    \
  if (std::string(visa_name) != "VI_ATTR_4882_COMPLIANT") {                                   \
    EXPECT_EQ(std::string(visa_name), "VI_ATTR_" #name);                                        \
  }                                                                                             \
  ++checked;
#include <cppvisa/attributes.def>
#undef CPPVISA_ATTR
  std::size_t rows = 0;
  cppvisa::attribute_table(rows);
  EXPECT_EQ(static_cast<std::size_t>(checked), rows);
}

TEST(VisaH, PlatformDependentAliasesResolveToThe64BitIds) {
  EXPECT_EQ(VI_ATTR_USER_DATA, VI_ATTR_USER_DATA_64);
  EXPECT_EQ(VI_ATTR_RET_COUNT, VI_ATTR_RET_COUNT_64);
  EXPECT_EQ(VI_ATTR_WIN_SIZE, 0x3FFF009CUL);
  EXPECT_EQ(VI_ATTR_MEM_BASE, 0x3FFF00D0UL);
  EXPECT_EQ(VI_ALL_ENABLED_EVENTS, 0x3FFF7FFFUL);
  EXPECT_EQ(VI_EVENT_IO_COMPLETION, cppvisa::event::io_completion);
  EXPECT_EQ(VI_EVENT_SERVICE_REQ, cppvisa::event::service_request);
  // NI's serial events, with NI-VISA's values.
  EXPECT_EQ(VI_EVENT_ASRL_BREAK, cppvisa::event::asrl_break);
  EXPECT_EQ(VI_EVENT_ASRL_TERMCHAR, cppvisa::event::asrl_termchar);
  EXPECT_EQ(VI_EVENT_ASRL_CTS, cppvisa::event::asrl_cts);
  EXPECT_EQ(VI_EVENT_ASRL_DSR, cppvisa::event::asrl_dsr);
  EXPECT_EQ(VI_EVENT_ASRL_DCD, cppvisa::event::asrl_dcd);
  EXPECT_EQ(VI_EVENT_ASRL_RI, cppvisa::event::asrl_ri);
  EXPECT_EQ(VI_EVENT_ASRL_CHAR, cppvisa::event::asrl_char);
  EXPECT_EQ(VI_SPEC_VERSION, cppvisa::visa_spec_version);
  EXPECT_EQ(VI_VERSION_MAJOR(0x00700200UL), 7u);
  EXPECT_EQ(VI_VERSION_MINOR(0x00700200UL), 2u);
}
