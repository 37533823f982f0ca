// Values codec: exceptions, datatype codes, format names and the byte repr used in messages.
#include "core/values_detail.hpp"

#include <fmt/format.h>

namespace cppvisa {

InvalidBinaryFormat::InvalidBinaryFormat(const std::string& description, status_t status)
    : Error(description.empty() ? std::string("Unrecognized binary data format")
                                : "Unrecognized binary data format: " + description),
      description_(description),
      status_(status) {}

InvalidAsciiFormat::InvalidAsciiFormat(const std::string& description, status_t status)
    : Error(description), status_(status) {}

std::size_t datatype_size(char code) noexcept {
  switch (code) {
    case 'b': case 'B': case 's': case 'p': return 1;
    case 'h': case 'H': return 2;
    case 'i': case 'I': case 'l': case 'L': case 'f': return 4;
    case 'q': case 'Q': case 'd': return 8;
    default: return 0;
  }
}

std::optional<BlockFormat> parse_block_format(std::string_view name) noexcept {
  if (name == "ieee") return BlockFormat::ieee;
  if (name == "hp") return BlockFormat::hp;
  if (name == "rs") return BlockFormat::rs;
  if (name == "empty") return BlockFormat::empty;
  return std::nullopt;
}

std::string_view to_string(BlockFormat format) noexcept {
  switch (format) {
    case BlockFormat::ieee: return "ieee";
    case BlockFormat::hp: return "hp";
    case BlockFormat::rs: return "rs";
    case BlockFormat::empty: return "empty";
  }
  return "?";
}

namespace values_detail {

std::string bytes_repr(std::span<const std::byte> data, std::size_t limit) {
  std::string out = "b'";
  std::size_t n = std::min(data.size(), limit);
  for (std::size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(data[i]);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c >= 0x20 && c < 0x7F) out += static_cast<char>(c);
        else out += fmt::format("\\x{:02x}", c);
    }
  }
  out += '\'';
  if (data.size() > limit) out += "...";
  return out;
}

}  // namespace values_detail
}  // namespace cppvisa
