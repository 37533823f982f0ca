// Fuzz target: compile an arbitrary resource expression and match it against a few names.
// A first byte below 0x20 selects the mode (odd: PyVISA, even: VISA) and is not part of the
// expression. Compiling may only fail with VisaIOError(VI_ERROR_INV_EXPR).
#include <cppvisa/error.hpp>
#include <cppvisa/resource_query.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

const char* const names[] = {
    "GPIB0::12::INSTR",
    "ASRL/dev/ttyUSB0::INSTR",
    "TCPIP0::[fe80::1]::5025::SOCKET",
    "USB0::0x0957::0x1796::MY123::0::INSTR",
    "PXI0::CHASSIS1::SLOT3::INSTR",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
    "",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto mode = cppvisa::MatchMode::visa;
  if (size > 0 && data[0] < 0x20) {
    if (data[0] & 1) mode = cppvisa::MatchMode::pyvisa;
    ++data;
    --size;
  }
  std::string_view expression(reinterpret_cast<const char*>(data), size);
  try {
    cppvisa::ResourceQuery query(expression, mode);
    cppvisa::AttributeLookup lookup = [](std::string_view name, cppvisa::attr_id_t id) -> std::optional<cppvisa::AttrValue> {
      if (id == cppvisa::attr::RSRC_MANF_NAME) return cppvisa::AttrValue(std::string(name));
      return cppvisa::attribute_from_name(name, id);
    };
    for (const char* name : names) {
      bool by_name = query.matches_name(name);
      bool with_filter = query.matches(name);
      bool with_lookup = query.matches(name, lookup);
      // The filter can only narrow what the name part selects.
      if ((with_filter || with_lookup) && !by_name) std::abort();
      if (!query.has_attribute_filter() && (with_filter != by_name || with_lookup != by_name)) std::abort();
    }
  } catch (const cppvisa::VisaIOError& e) {
    if (e.error_code() != cppvisa::status::ERROR_INV_EXPR) std::abort();
  }
  return 0;
}
