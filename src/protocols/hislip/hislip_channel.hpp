// hislip: one HiSLIP channel over a TCP socket (the glue between net::Socket and the wire format):
// a ByteInput reading the socket and a sender that serialises whole messages.
#pragma once

#include "protocols/hislip/hislip_wire.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/net/tls_link.hpp"

#include <condition_variable>
#include <mutex>

namespace cppvisa::hislip {

/// Reads a socket or a link (plain or TLS) for a MessageStream (optionally cancellable with a Waker).
template <class Channel>
class ChannelInput : public ByteInput {
 public:
  explicit ChannelInput(Channel& channel, const net::Waker* cancel = nullptr) : channel_(channel), cancel_(cancel) {}
  status_t recv_some(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count) override {
    return channel_.recv_some(buffer, deadline, count, cancel_);
  }

 private:
  Channel& channel_;
  const net::Waker* cancel_;
};
using SocketInput = ChannelInput<net::Socket>;
using LinkInput = ChannelInput<net::Link>;

/// Sends one message (header with the payload's length, then the payload). Small messages go out
/// in one send so that TCP_NODELAY does not split them. Not thread-safe: callers hold a mutex per
/// channel so that messages from several threads never interleave. `sent` (optional) gets the bytes
/// sent, header included, also on error: 0 < sent < whole message means the channel is out of sync.
status_t send_message(net::Socket& socket, Header header, std::span<const std::byte> payload,
                      core::Deadline deadline, const net::Waker* cancel = nullptr, std::size_t* sent = nullptr);

/// The same over a link (plain or TLS).
status_t send_message(net::Link& link, Header header, std::span<const std::byte> payload, core::Deadline deadline,
                      const net::Waker* cancel = nullptr, std::size_t* sent = nullptr);

/// The same with an ASCII payload.
inline status_t send_message(net::Socket& socket, Header header, std::string_view text, core::Deadline deadline,
                             const net::Waker* cancel = nullptr) {
  return send_message(socket, header, std::as_bytes(std::span(text.data(), text.size())), deadline, cancel);
}
inline status_t send_message(net::Link& link, Header header, std::string_view text, core::Deadline deadline,
                             const net::Waker* cancel = nullptr) {
  return send_message(link, header, std::as_bytes(std::span(text.data(), text.size())), deadline, cancel);
}

/// cv.wait_until for a core::Deadline (an infinite deadline waits without a time limit, avoiding
/// the overflow of waiting until time_point::max()). Returns pred().
template <class Pred>
bool wait_for_deadline(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, core::Deadline deadline,
                       Pred pred) {
  if (deadline.infinite()) {
    cv.wait(lock, pred);
    return true;
  }
  return cv.wait_until(lock, deadline.when(), pred);
}

}  // namespace cppvisa::hislip
