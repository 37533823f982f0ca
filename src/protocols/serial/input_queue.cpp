#include "protocols/serial/input_queue.hpp"

#include <algorithm>

namespace cppvisa::serial {

void InputQueue::push(std::byte b, const Options& options) {
  if (options.discard_null && b == std::byte{0}) return;
  bytes_.push_back(b);
}

void InputQueue::mark_error(status_t error) {
  marks_.push_back({taken_ + bytes_.size(), error});
}

void InputQueue::decode(std::span<const std::byte> raw, status_t marked_error, const Options& options) {
  constexpr std::byte ff{0xFF};
  for (std::byte b : raw) {
    switch (escape_) {
      case Escape::none:
        if (b == ff) escape_ = Escape::ff;
        else push(b, options);
        break;
      case Escape::ff:
        if (b == ff) {
          push(ff, options);
          escape_ = Escape::none;
        } else if (b == std::byte{0}) {
          escape_ = Escape::ff_zero;
        } else {  // not a marking sequence (PARMRK off): keep the bytes as they came
          push(ff, options);
          push(b, options);
          escape_ = Escape::none;
        }
        break;
      case Escape::ff_zero:
        // termios(3) PARMRK: "\377\0c" = c received with a parity or framing error. The read
        // reports the error; the character itself is replaced (VI_ATTR_ASRL_REPLACE_CHAR).
        mark_error(marked_error);
        bytes_.push_back(options.replace_char);
        escape_ = Escape::none;
        break;
    }
  }
}

status_t InputQueue::take(std::span<std::byte> buffer, const EndRule& rule, std::size_t& count, bool& end) {
  count = 0;
  end = false;
  if (!marks_.empty() && marks_.front().position <= taken_) {
    status_t error = marks_.front().error;
    marks_.pop_front();
    return error;
  }
  std::size_t limit = std::min(buffer.size(), bytes_.size());
  if (!marks_.empty()) limit = std::min<std::uint64_t>(limit, marks_.front().position - taken_);
  std::size_t n = 0;
  while (n < limit) {
    std::byte b = bytes_[n];
    buffer[n++] = b;
    if (rule.ends(b)) {
      end = true;
      break;
    }
  }
  bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(n));
  taken_ += n;
  count = n;
  return status::SUCCESS;
}

void InputQueue::copy_tail(std::size_t n, std::vector<std::byte>& out) const {
  n = std::min(n, bytes_.size());
  out.insert(out.end(), bytes_.end() - static_cast<std::ptrdiff_t>(n), bytes_.end());
}

void InputQueue::clear() noexcept {
  taken_ += bytes_.size();
  bytes_.clear();
  marks_.clear();
  escape_ = Escape::none;
}

}  // namespace cppvisa::serial
