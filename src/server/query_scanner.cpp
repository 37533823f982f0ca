#include "server/query_scanner.hpp"

namespace cppvisa::server {

void QueryScanner::feed(std::span<const std::byte> data) noexcept {
  for (std::size_t i = 0; i < data.size(); ++i) {
    const char c = static_cast<char>(data[i]);
    switch (state_) {
      case State::code:
        if (c == '?') query_ = true;
        else if (c == '"' || c == '\'') {
          state_ = State::string;
          quote_ = c;
        } else if (c == '#') {
          state_ = State::hash;
        }
        break;
      case State::string:
        // A doubled quote is an escaped quote: leaving and re-entering the string gives the same.
        if (c == quote_) state_ = State::code;
        break;
      case State::hash:
        if (c == '0') {
          state_ = State::indefinite;  // #0: data up to the terminating NL^END
        } else if (c >= '1' && c <= '9') {
          digits_left_ = static_cast<std::uint8_t>(c - '0');
          block_left_ = 0;
          state_ = State::block_digits;
        } else {
          state_ = State::code;  // #H, #Q, #B non-decimal numbers (§7.7.4): ordinary characters
          --i;                   // look at this character again as code
        }
        break;
      case State::block_digits:
        if (c < '0' || c > '9') {  // malformed length: treat what follows as code again
          state_ = State::code;
          --i;
          break;
        }
        if (block_left_ < (std::uint64_t{1} << 59)) block_left_ = block_left_ * 10 + static_cast<std::uint64_t>(c - '0');
        if (--digits_left_ == 0) state_ = block_left_ ? State::block_data : State::code;
        break;
      case State::block_data: {
        std::uint64_t skip = data.size() - i;
        if (skip > block_left_) skip = block_left_;
        block_left_ -= skip;
        i += static_cast<std::size_t>(skip) - 1;
        if (block_left_ == 0) state_ = State::code;
        break;
      }
      case State::indefinite:
        if (c == '\n') state_ = State::code;
        break;
    }
  }
}

}  // namespace cppvisa::server
