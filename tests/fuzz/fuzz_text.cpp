// Fuzz target for the text a person types or a peer sends that the tools and the trace show:
// unescape(), parse_termination(), show_bytes(), json_quote() (its output must stay valid JSON
// text: no raw control characters).
#include <cppvisa/error.hpp>
#include <cppvisa/reply.hpp>
#include <cppvisa/text.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)cppvisa::unescape(text);
  try {
    (void)cppvisa::parse_termination(text);
  } catch (const cppvisa::Error&) {
  }
  (void)cppvisa::show_bytes(text, size / 2);
  (void)cppvisa::termination_name(text);
  auto quoted = cppvisa::json_quote(text);
  for (char c : quoted)
    if (static_cast<unsigned char>(c) < 0x20) std::abort();
  return 0;
}
