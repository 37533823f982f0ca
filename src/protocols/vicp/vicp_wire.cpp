#include "protocols/vicp/vicp_wire.hpp"

namespace cppvisa::vicp {

std::array<std::byte, header_size> Header::encode() const {
  return {std::byte{operation}, std::byte{version}, std::byte{sequence}, std::byte{0},
          std::byte(length >> 24), std::byte(length >> 16), std::byte(length >> 8), std::byte(length)};
}

std::optional<Header> decode_header(std::span<const std::byte, header_size> b, bool require_data, std::string* why) {
  Header h;
  h.operation = static_cast<std::uint8_t>(b[0]);
  h.version = static_cast<std::uint8_t>(b[1]);
  h.sequence = static_cast<std::uint8_t>(b[2]);
  h.length = (std::uint32_t(b[4]) << 24) | (std::uint32_t(b[5]) << 16) | (std::uint32_t(b[6]) << 8) |
             std::uint32_t(b[7]);
  auto fail = [&](const char* text) -> std::optional<Header> {
    if (why) *why = text;
    return std::nullopt;
  };
  if (h.version != header_version) return fail("VICP header version is not 1 (the stream is out of step)");
  // LeCroy's client library checks the DATA bit and the version of every block it receives.
  if (require_data && !h.has(op::data)) return fail("VICP block without the DATA bit");
  if (b[3] != std::byte{0}) return fail("VICP header's reserved byte is not 0");
  return h;
}

std::uint8_t next_sequence(std::uint8_t seq) noexcept { return seq >= 255 ? 1 : static_cast<std::uint8_t>(seq + 1); }

}  // namespace cppvisa::vicp
