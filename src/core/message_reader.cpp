#include "core/message_reader.hpp"

#include <algorithm>
#include <cstring>

namespace cppvisa::core {

void MessageReader::discard() noexcept {
  pending_.clear();
  pending_pos_ = 0;
  pending_end_ = false;
}

bool MessageReader::take_pending(std::span<std::byte> buffer, std::size_t& count, const ReadTermination& term,
                                 status_t& st) {
  std::size_t available = pending_.size() - pending_pos_;
  if (available == 0) return false;
  std::size_t room = buffer.size() - count;
  std::size_t n = std::min(available, room);
  const std::byte* src = pending_.data() + pending_pos_;
  bool hit_termchar = false;
  if (term.termchar_enabled) {
    if (const void* p = std::memchr(src, static_cast<int>(term.termchar), n)) {
      n = static_cast<const std::byte*>(p) - src + 1;
      hit_termchar = true;
    }
  }
  std::memcpy(buffer.data() + count, src, n);
  count += n;
  pending_pos_ += n;
  bool drained = pending_pos_ == pending_.size();
  bool end_here = drained && pending_end_;
  if (drained) discard();
  // END wins over the termination character and over a full buffer (VPP-4.3).
  if (end_here && !term.suppress_end) {
    st = status::SUCCESS;
    return true;
  }
  if (hit_termchar) {
    st = status::SUCCESS_TERM_CHAR;
    return true;
  }
  if (count == buffer.size()) {
    st = status::SUCCESS_MAX_CNT;
    return true;
  }
  return false;
}

status_t MessageReader::read(ByteSource& source, std::span<std::byte> buffer, std::size_t& count,
                             const ReadTermination& term, Deadline deadline) {
  count = 0;
  status_t st = status::SUCCESS;
  if (buffer.empty()) return status::SUCCESS_MAX_CNT;
  if (take_pending(buffer, count, term, st)) return st;
  for (;;) {
    // Receive straight into the caller's buffer; only bytes past a termination character are
    // moved aside for the next read.
    std::span<std::byte> room = buffer.subspan(count);
    std::size_t n = 0;
    bool end = false;
    st = source.receive(room, deadline, n, end);
    n = std::min(n, room.size());
    if (st < 0) {
      count += n;  // bytes a source stored before its error are the caller's too
      return st;
    }
    if (term.termchar_enabled && n > 0) {
      if (const void* p = std::memchr(room.data(), static_cast<int>(term.termchar), n)) {
        std::size_t used = static_cast<const std::byte*>(p) - room.data() + 1;
        if (used < n) {
          pending_.assign(room.begin() + used, room.begin() + n);
          pending_pos_ = 0;
          pending_end_ = end;
          count += used;
          return status::SUCCESS_TERM_CHAR;
        }
        count += n;
        return (end && !term.suppress_end) ? status::SUCCESS : status::SUCCESS_TERM_CHAR;
      }
    }
    count += n;
    if (end && !term.suppress_end) return status::SUCCESS;
    if (count == buffer.size()) return status::SUCCESS_MAX_CNT;
    if (n == 0 && deadline.expired()) return status::ERROR_TMO;
  }
}

}  // namespace cppvisa::core
