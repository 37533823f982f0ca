// vicp wire: Teledyne LeCroy VICP framing (TCP port 1861, IANA "lecroy-vicp"): every block in
// either direction is an 8-byte header and a payload (docs/vicp.md).
//
//   byte 0     operation bits (Op)
//   byte 1     header version, 1
//   byte 2     sequence number: 0 in VICP 1; 1..255 in VICP 1a (incremented after each block
//              that carries EOI, 255 wraps to 1), echoed by the instrument in its answer
//   byte 3     reserved, 0
//   bytes 4-7  payload length, unsigned 32-bit big-endian
//
// Hand-written: eight bytes on every block of the data path.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace cppvisa::vicp {

constexpr std::uint16_t default_port = 1861;
constexpr std::size_t header_size = 8;
constexpr std::uint8_t header_version = 1;

/// Operation bits of byte 0.
namespace op {
inline constexpr std::uint8_t data = 0x80;         ///< the block carries data (set on every block)
inline constexpr std::uint8_t remote = 0x40;       ///< remote mode (host -> device)
inline constexpr std::uint8_t lockout = 0x20;      ///< local lockout (host -> device)
inline constexpr std::uint8_t clear = 0x10;        ///< device clear, before the block's data
inline constexpr std::uint8_t srq = 0x08;          ///< service request (device -> host; payload "1" / "0")
inline constexpr std::uint8_t serial_poll = 0x04;  ///< request a serial poll (in band: the answer is a data block)
inline constexpr std::uint8_t reserved = 0x02;
inline constexpr std::uint8_t eoi = 0x01;          ///< the block ends with END
}  // namespace op

struct Header {
  std::uint8_t operation = op::data;
  std::uint8_t version = header_version;
  std::uint8_t sequence = 0;
  std::uint32_t length = 0;

  std::array<std::byte, header_size> encode() const;
  bool has(std::uint8_t bit) const noexcept { return (operation & bit) != 0; }
};

/// Decodes a header; nullopt with `why` set when it is not one (a version other than 1, the
/// reserved byte not 0, or, with `require_data` (blocks from an instrument always carry it), a
/// block without the DATA bit; hosts send mode changes without it).
std::optional<Header> decode_header(std::span<const std::byte, header_size> bytes, bool require_data,
                                    std::string* why = nullptr);

/// The sequence number after `seq` (1..255, 0 -> 1, 255 -> 1).
std::uint8_t next_sequence(std::uint8_t seq) noexcept;

}  // namespace cppvisa::vicp
