// raw_socket::MessageSplitter: finds where program messages end in the byte stream of a raw
// socket, where NL is the only terminator (IEEE 488.2 over TCP). An NL inside definite-length
// arbitrary block data (IEEE 488.2 §7.7.6.2, "#<n><length><bytes>") is data, not a terminator,
// so a binary upload reaches the device as one message. An NL inside string data or an
// indefinite block (#0...) ends the message: on a raw socket that NL is the terminator (§7.7.6.3
// ends #0 with NL^END), and a stray quote must not swallow every later message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace cppvisa::raw_socket {

class MessageSplitter {
 public:
  /// The length of the prefix of `data` up to and including the NL that ends the current
  /// program message, or 0 when `data` does not end it (all of `data` belongs to it). Consumes
  /// that prefix (or all of `data`) from the scanner's point of view.
  std::size_t find_end(std::span<const std::byte> data) noexcept;

 private:
  enum class State : std::uint8_t { code, hash, block_digits, block_data };
  State state_ = State::code;
  std::uint8_t digits_left_ = 0;
  std::uint64_t block_left_ = 0;
};

}  // namespace cppvisa::raw_socket
