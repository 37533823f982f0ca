#include "protocols/oncrpc/record_stream.hpp"

#include <optional>

namespace cppvisa::oncrpc {

status_t RecordStream::receive(std::vector<std::byte>& record, core::Deadline deadline, const net::Waker* cancel) {
  reader_.stop_at(0);
  status_t st = pump(deadline, cancel);
  if (st == status::SUCCESS) reader_.take_record_into(record);
  return st;
}

status_t RecordStream::receive_head(std::size_t size, bool& complete, core::Deadline deadline,
                                    const net::Waker* cancel) {
  complete = false;
  reader_.stop_at(size);
  status_t st = pump(deadline, cancel);
  reader_.stop_at(0);
  complete = st == status::SUCCESS && reader_.has_record();
  return st;
}

status_t RecordStream::pump(core::Deadline deadline, const net::Waker* cancel) {
  std::optional<core::Deadline> partial;
  for (;;) {
    if (reader_.has_record() || reader_.at_stop()) return status::SUCCESS;
    if (partial_timeout_ms_ && !partial && (reader_.in_progress() || buffered_begin_ < buffered_end_))
      partial = core::Deadline::after_ms(partial_timeout_ms_);
    if (buffered_begin_ < buffered_end_) {
      std::size_t used = reader_.feed(std::span(buffer_).subspan(buffered_begin_, buffered_end_ - buffered_begin_));
      buffered_begin_ += used;
      if (reader_.failed()) return status::ERROR_IO;
      if (reader_.has_record() || reader_.at_stop()) return status::SUCCESS;
    }
    buffered_begin_ = buffered_end_ = 0;
    const core::Deadline until = partial ? core::Deadline::earliest(deadline, *partial) : deadline;
    std::size_t n = 0;
    // Inside a fragment's body, bytes go straight into the record (or the caller's diversion): no
    // staging copy for the megabytes of a block (the buffer is for headers and the small replies
    // around them, and for a record's head up to a stop).
    if (!reader_.before_stop() && reader_.body_pending() >= buffer_.size()) {
      std::span<std::byte> direct = reader_.direct_space(kDirectChunk);
      status_t st = socket_.recv_some(direct, until, n, cancel);
      reader_.commit_direct(st == status::SUCCESS ? n : 0);
      if (st != status::SUCCESS) return st;
      if (reader_.has_record()) return status::SUCCESS;
      continue;
    }
    status_t st = socket_.recv_some(buffer_, until, n, cancel);
    if (st != status::SUCCESS) return st;
    buffered_end_ = n;
  }
}

status_t RecordStream::send(std::span<const std::byte> message, core::Deadline deadline, const net::Waker* cancel) {
  std::byte header[4];
  std::uint32_t word = last_fragment_bit | static_cast<std::uint32_t>(message.size());
  header[0] = std::byte(word >> 24);
  header[1] = std::byte(word >> 16);
  header[2] = std::byte(word >> 8);
  header[3] = std::byte(word);
  status_t st = socket_.send_all(header, deadline, nullptr, cancel);
  if (st != status::SUCCESS) return st;
  return socket_.send_all(message, deadline, nullptr, cancel);
}

status_t RecordStream::send_framed(std::span<const std::byte> framed, core::Deadline deadline,
                                   const net::Waker* cancel) {
  return socket_.send_all(framed, deadline, nullptr, cancel);
}

status_t RecordStream::send_framed(std::span<const std::byte> framed, std::span<const std::byte> trailing,
                                   core::Deadline deadline, const net::Waker* cancel) {
  const std::span<const std::byte> parts[2] = {framed, trailing};
  return socket_.send_all(parts, deadline, nullptr, cancel);
}

}  // namespace cppvisa::oncrpc
