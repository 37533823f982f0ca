// The formatted-I/O buffers of a session (see buffered_io.hpp).
#include "cabi/buffered_io.hpp"

#include <cppvisa/attributes.hpp>
#include <cppvisa/status.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <variant>

namespace cppvisa::cabi {

status_t write_all(SessionState& s, std::string_view data, std::size_t& count) {
  count = 0;
  auto bytes = std::as_bytes(std::span(data.data(), data.size()));
  while (count < bytes.size()) {
    std::size_t n = 0;
    status_t st = s.backend->write(s.handle, bytes.subspan(count), n);
    count += n;
    if (st < 0) return st;
    if (n == 0) return status::ERROR_IO;  // no progress and no error: never spin
  }
  return status::SUCCESS;
}

status_t flush_write_buffer(SessionState& s, bool with_end) {
  if (s.write_buffer.empty()) return status::SUCCESS;
  std::string data;
  data.swap(s.write_buffer);
  bool restore_end = false;
  if (!with_end) {
    // A full buffer is sent without END so that the device sees one message (VPP-4.3 §5.3.1).
    AttrValue v;
    if (s.backend->get_attribute(s.handle, attr::SEND_END_EN, v) >= 0 && std::holds_alternative<std::int64_t>(v) &&
        std::get<std::int64_t>(v) != 0 &&
        s.backend->set_attribute(s.handle, attr::SEND_END_EN, AttrValue{std::int64_t{0}}) >= 0)
      restore_end = true;
  }
  std::size_t sent = 0;
  status_t st = write_all(s, data, sent);
  if (restore_end) s.backend->set_attribute(s.handle, attr::SEND_END_EN, AttrValue{std::int64_t{1}});
  return st < 0 ? st : status::SUCCESS;
}

status_t buffered_write(SessionState& s, std::string_view data) {
  std::size_t size = s.write_buffer_size ? s.write_buffer_size : 1;
  while (!data.empty()) {
    std::size_t room = size > s.write_buffer.size() ? size - s.write_buffer.size() : 0;
    std::size_t take = std::min(room, data.size());
    s.write_buffer.append(data.substr(0, take));
    data.remove_prefix(take);
    if (s.write_buffer.size() >= size && !data.empty()) {
      if (status_t st = flush_write_buffer(s, false); st < 0) return st;
    }
  }
  return status::SUCCESS;
}

BlockDevice block_device(SessionState& s, std::chrono::steady_clock::time_point deadline) {
  auto int_attr = [&](attr_id_t id) {
    AttrValue v;
    return s.backend->get_attribute(s.handle, id, v) >= 0 && std::holds_alternative<std::int64_t>(v)
               ? std::get<std::int64_t>(v)
               : std::int64_t{0};
  };
  BlockDevice device;
  bool termchar = int_attr(attr::TERMCHAR_EN) != 0;
  device.termchar_ends_indefinite = termchar && int_attr(attr::SUPPRESS_END_EN) != 0;
  device.read = [&s, deadline](std::span<std::byte> buffer, std::size_t& count) {
    status_t st = s.backend->read_until(s.handle, buffer, count, deadline);
    s.last_read_status = st;
    return st;
  };
  if (termchar) {
    // The data of a block of known length are read with the termination character off (one
    // read instead of one per 0x0A byte), on again after the block.
    auto off = std::make_shared<bool>(false);
    device.before_data = [&s, off] {
      *off = s.backend->set_attribute(s.handle, attr::TERMCHAR_EN, AttrValue{std::int64_t{0}}) >= 0;
    };
    device.after_block = [&s, off] {
      if (*off) s.backend->set_attribute(s.handle, attr::TERMCHAR_EN, AttrValue{std::int64_t{1}});
      *off = false;
    };
  }
  return device;
}

status_t refill_read_buffer(SessionState& s, ReadBuffer& buffer, std::chrono::steady_clock::time_point deadline) {
  std::size_t size = s.read_buffer_size ? s.read_buffer_size : 1;
  std::size_t at = buffer.data.size();
  buffer.data.resize(at + size);
  std::size_t n = 0;
  status_t st = s.backend->read_until(s.handle, std::as_writable_bytes(std::span(buffer.data.data() + at, size)), n,
                                      deadline);
  buffer.data.resize(at + std::min(n, size));
  // END or the termination character complete a message; VI_SUCCESS_MAX_CNT leaves it open.
  buffer.message_complete = st == status::SUCCESS || st == status::SUCCESS_TERM_CHAR;
  buffer.end_seen = st == status::SUCCESS;
  s.last_read_status = st;
  return st < 0 ? st : status::SUCCESS;
}

}  // namespace cppvisa::cabi
