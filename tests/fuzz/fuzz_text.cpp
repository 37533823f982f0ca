// Fuzz target for the text a person types or a peer sends that the tools and the trace show:
// unescape(), parse_termination(), show_bytes(), json_quote() (its output must stay valid JSON
// text: no raw control characters), parse_shown_bytes() (it must give back what show_bytes()
// showed, and reject the rest with Error) and parse_framing().
#include <cppvisa/error.hpp>
#include <cppvisa/probe.hpp>
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
  if (cppvisa::parse_shown_bytes(cppvisa::show_bytes(text)) != text) std::abort();
  try {
    (void)cppvisa::parse_shown_bytes(text);
  } catch (const cppvisa::Error&) {
  }
  try {
    auto f = cppvisa::parse_framing(text);
    if (cppvisa::parse_framing(cppvisa::framing_name(f)) != f) std::abort();
  } catch (const cppvisa::Error&) {
  }
  auto quoted = cppvisa::json_quote(text);
  for (char c : quoted)
    if (static_cast<unsigned char>(c) < 0x20) std::abort();
  return 0;
}
