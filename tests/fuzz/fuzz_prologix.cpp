// Fuzz target for the Prologix parsers of peer bytes: the client's reply reader (adapter
// answers fed in chunks, then the numbers and commands parsed from the lines) and the simulated
// adapter's host stream parser (data, line ends and commands; bounded commands).
#include "protocols/prologix/prologix_wire.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

using namespace cppvisa::prologix;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 17;
  auto bytes = std::as_bytes(std::span(data + 1, size - 1));

  ReplyReader reader;
  for (std::size_t pos = 0; pos < bytes.size();) {
    auto piece = bytes.subspan(pos, std::min(chunk, bytes.size() - pos));
    std::size_t used = 0;
    auto r = reader.feed(piece, used);
    if (used > piece.size()) std::abort();
    if (r == ReplyReader::Result::line) {
      if (reader.line().size() > ReplyReader::max_line) std::abort();
      if (auto n = parse_number(reader.line(), 255); n && *n > 255) std::abort();
      parse_command(reader.line());
      reader.reset();
    } else if (r == ReplyReader::Result::too_long) {
      reader.reset();
    } else if (used != piece.size()) {
      std::abort();  // need_more takes everything
    }
    pos += used == 0 ? piece.size() : used;
  }

  HostParser parser;
  std::size_t data_bytes = 0;
  for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
    auto piece = bytes.subspan(pos, std::min(chunk, bytes.size() - pos));
    parser.feed(piece, [&](const HostParser::Event& e) {
      if (e.kind == HostParser::Event::command) {
        if (e.text.size() > HostParser::max_command || e.text.substr(0, 2) != "++") std::abort();
        parse_command(e.text);
      }
      data_bytes += e.bytes.size();
    });
  }
  if (data_bytes > bytes.size()) std::abort();  // unescaping never makes data
  return 0;
}
