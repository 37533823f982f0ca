#include "protocols/hislip/hislip_channel.hpp"

#include <array>
#include <cstring>

namespace cppvisa::hislip {

namespace {

template <class Channel>
status_t send_on(Channel& socket, Header header, std::span<const std::byte> payload, core::Deadline deadline,
                 const net::Waker* cancel, std::size_t* sent) {
  header.length = payload.size();
  std::size_t dummy = 0;
  std::size_t& total = sent ? *sent : dummy;
  total = 0;
  constexpr std::size_t coalesce_limit = 2048;
  if (payload.size() <= coalesce_limit) {
    std::array<std::byte, header_size + coalesce_limit> frame;
    encode_header(header, std::span<std::byte, header_size>(frame.data(), header_size));
    if (!payload.empty()) std::memcpy(frame.data() + header_size, payload.data(), payload.size());
    return socket.send_all(std::span(frame).first(header_size + payload.size()), deadline, &total, cancel);
  }
  auto head = encode_header(header);
  if (status_t st = socket.send_all(head, deadline, &total, cancel); st != status::SUCCESS) return st;
  std::size_t body = 0;
  status_t st = socket.send_all(payload, deadline, &body, cancel);
  total += body;
  return st;
}

}  // namespace

status_t send_message(net::Socket& socket, Header header, std::span<const std::byte> payload,
                      core::Deadline deadline, const net::Waker* cancel, std::size_t* sent) {
  return send_on(socket, header, payload, deadline, cancel, sent);
}

status_t send_message(net::Link& link, Header header, std::span<const std::byte> payload, core::Deadline deadline,
                      const net::Waker* cancel, std::size_t* sent) {
  return send_on(link, header, payload, deadline, cancel, sent);
}

}  // namespace cppvisa::hislip
