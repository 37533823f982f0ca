// Fuzz target: AliasTable::parse, the INI reader of the user's alias file ([aliases] section,
// "alias = resource name" lines, comments, other sections).
//
// Properties (abort on violation): parse throws only cppvisa::Error; every alias it keeps
// resolves (case-insensitively) to its resource name, and that name maps back to an alias.
#include <cppvisa/aliases.hpp>
#include <cppvisa/error.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* input, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(input), size);
  try {
    auto table = cppvisa::AliasTable::parse(text);
    for (const auto& [alias, resource] : table.entries()) {
      auto resolved = table.resolve(alias);
      if (!resolved || *resolved != resource) std::abort();
      if (!table.alias_of(resource)) std::abort();
    }
  } catch (const cppvisa::Error&) {
  }
  return 0;
}
