// Fuzz target for the VICP header decoder, walking the input as a client reads an instrument's
// stream: header, then its payload skipped by its announced length (a lying length only runs
// off the end of the input), as strict (client) and lenient (server) decoders.
#include "protocols/vicp/vicp_wire.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

using namespace cppvisa::vicp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto bytes = std::as_bytes(std::span(data, size));
  for (bool require_data : {true, false}) {
    std::size_t pos = 0;
    while (bytes.size() - pos >= header_size) {
      std::string why;
      auto h = decode_header(bytes.subspan(pos).first<header_size>(), require_data, &why);
      if (!h) {
        if (why.empty()) std::abort();  // a refusal always says why
        break;
      }
      if (h->version != header_version || (require_data && !h->has(op::data))) std::abort();
      auto again = decode_header(h->encode(), require_data);
      if (!again || again->length != h->length || again->operation != h->operation) std::abort();
      pos += header_size;
      if (h->length > bytes.size() - pos) break;  // the peer announced more than it sent
      pos += h->length;
    }
  }
  return 0;
}
