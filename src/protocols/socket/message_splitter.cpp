#include "protocols/socket/message_splitter.hpp"

#include <algorithm>

namespace cppvisa::raw_socket {

std::size_t MessageSplitter::find_end(std::span<const std::byte> data) noexcept {
  std::size_t i = 0;
  while (i < data.size()) {
    const char c = static_cast<char>(data[i]);
    switch (state_) {
      case State::code:
        if (c == '\n') {
          *this = MessageSplitter{};
          return i + 1;
        }
        if (c == '#') state_ = State::hash;
        ++i;
        break;
      case State::hash:
        if (c >= '1' && c <= '9') {
          digits_left_ = static_cast<std::uint8_t>(c - '0');
          block_left_ = 0;
          state_ = State::block_digits;
          ++i;
        } else {
          state_ = State::code;  // #0 (indefinite: ends at NL), #H/#Q/#B numbers: look again as code
        }
        break;
      case State::block_digits:
        if (c < '0' || c > '9') {  // malformed length: what follows is code again
          state_ = State::code;
          break;
        }
        if (block_left_ < (std::uint64_t{1} << 59)) block_left_ = block_left_ * 10 + static_cast<std::uint64_t>(c - '0');
        ++i;
        if (--digits_left_ == 0) state_ = block_left_ ? State::block_data : State::code;
        break;
      case State::block_data: {
        std::uint64_t skip = std::min<std::uint64_t>(data.size() - i, block_left_);
        block_left_ -= skip;
        i += static_cast<std::size_t>(skip);
        if (block_left_ == 0) state_ = State::code;
        break;
      }
    }
  }
  return 0;
}

}  // namespace cppvisa::raw_socket
