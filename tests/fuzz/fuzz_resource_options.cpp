// Fuzz target for the resource options file (core/resource_options.hpp): any text, looked up for a
// name the input's first line chooses. A failure names its line; a success keeps only the keys of
// the matching section.
#include "core/resource_options.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string_view name = text.substr(0, text.find('\n'));
  cppvisa::core::ResourceOptions options;
  std::string why;
  if (cppvisa::core::parse_resource_options(text, name, options, why) != cppvisa::status::SUCCESS) {
    if (why.find("line ") != 0) __builtin_trap();
    return 0;
  }
  for (auto& [key, value] : options.values)
    if (key.empty() || key.find('\n') != std::string::npos || value.find('\n') != std::string::npos) __builtin_trap();
  bool flag = false;
  (void)cppvisa::core::parse_option_bool(text, flag);
  return 0;
}
