// libFuzzer target: server::QueryScanner over arbitrary client bytes. The answer must not depend on
// how the bytes are split into pieces (a protocol server feeds whatever each packet carried).
#include "server/query_scanner.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto bytes = std::as_bytes(std::span(data, size));
  cppvisa::server::QueryScanner whole, pieces;
  whole.feed(bytes);
  std::size_t cut = size ? data[0] % (size + 1) : 0;
  pieces.feed(bytes.first(cut));
  pieces.feed(bytes.subspan(cut));
  if (whole.saw_query() != pieces.saw_query()) std::abort();
  return 0;
}
