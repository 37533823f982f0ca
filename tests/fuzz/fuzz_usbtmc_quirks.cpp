// Fuzz target for the CPPVISA_USBTMC_QUIRKS parser (user text): no crash, a refused text leaves
// the rows alone, every accepted row has only known flags.
#include "protocols/usbtmc/usbtmc_quirks.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace cppvisa::usbtmc;

static std::uint16_t r0(const std::vector<QuirkRow>& rows) { return rows.empty() ? 0x1AB1 : rows[0].vendor_id; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(raw), size);
  std::vector<QuirkRow> rows{QuirkRow{1, 2, {}, 3, "sentinel"}};
  std::string error;
  constexpr std::uint32_t known = quirk::headerless_continuation | quirk::accept_wrong_tag |
                                  quirk::accept_wrong_msg_id | quirk::no_termchar_request | quirk::clear_on_open |
                                  quirk::termchar_in_request;
  if (!parse_quirk_overrides(text, rows, error)) {
    if (rows.size() != 1 || rows[0].source != "sentinel" || error.empty()) std::abort();
    return 0;
  }
  for (const auto& r : rows)
    if (r.flags & ~known) std::abort();
  (void)quirks_for(0x1AB1, 0x0588, rows);
  for (const auto& r : identity_quirks_for(r0(rows), 0x0588, rows))
    if (r.idn.empty() || r.idn.find_first_of("=;") != std::string::npos) std::abort();
  (void)quirks_for_identity(0, text, identity_quirks_for(0x1AB1, 0x0588, rows));
  return 0;
}
