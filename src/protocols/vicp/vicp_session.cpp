#include "protocols/vicp/vicp_session.hpp"

#include "protocols/net/socket.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace cppvisa::vicp {

namespace {
constexpr std::uint64_t max_block = std::uint64_t{1} << 30;  // bytes per written block
constexpr std::size_t small_write = 65536;                     // header and payload in one send below this
constexpr std::uint32_t monitor_slice_ms = 100;
constexpr std::uint16_t input_masks =
    buffer::read_buf | buffer::read_buf_discard | buffer::io_in_buf | buffer::io_in_buf_discard;

net::Endpoint target_of(const ResourceName& name) {
  net::Endpoint ep;
  std::string host = name.host_address();
  // "host:port" (the grammar's opaque host form) overrides 1861.
  if (!host.empty() && host.front() != '[' && host.find(':') != std::string::npos &&
      host.find(':') == host.rfind(':') && net::parse_host_port(host, ep))
    return ep;
  ep.host = host;
  ep.port = default_port;
  return ep;
}
}  // namespace

/// Data blocks as a ByteSource; payload bytes go straight into the reader's buffer.
class VicpSession::Source : public core::ByteSource {
 public:
  explicit Source(VicpSession& s) : s_(s) {}
  status_t receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) override {
    count = 0;
    end = false;
    if (status_t st = s_.next_block(deadline, true); st < 0) return st;
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), s_.block_left_));
    status_t st = s_.socket_.recv_some(buffer.first(want), deadline, count, &s_.waker_);
    if (st < 0) return s_.broken(st);
    s_.block_left_ -= count;
    end = s_.block_left_ == 0 && s_.block_eoi_;
    return status::SUCCESS;
  }

 private:
  VicpSession& s_;
};

VicpSession::VicpSession(const ResourceName& name) : Session(name, {event::service_request}) {
  net::Endpoint ep = target_of(name);
  define(attr::TCPIP_ADDR, ep.host);
  define(attr::TCPIP_HOSTNAME, ep.host);
  define(attr::TCPIP_PORT, static_cast<std::int64_t>(ep.port));
}

VicpSession::~VicpSession() { disconnect(); }

status_t VicpSession::connect(core::Deadline deadline) {
  net::Endpoint ep = target_of(name());
  if (ep.host.empty()) return status::ERROR_INV_RSRC_NAME;
  net::Socket s;
  status_t st = net::connect_tcp(ep.host, ep.port, deadline, s);
  if (st != status::SUCCESS) return st == status::ERROR_TMO ? st : status::ERROR_RSRC_NFOUND;
  socket_ = std::move(s);
  socket_.set_nodelay(true);
  socket_.set_keepalive(integer_attribute(attr::TCPIP_KEEPALIVE, 0) != 0);
  net::Endpoint peer = socket_.peer_endpoint();
  if (!peer.host.empty()) define(attr::TCPIP_ADDR, peer.host);
  source_ = std::make_unique<Source>(*this);
  return status::SUCCESS;
}

void VicpSession::disconnect() {
  if (monitor_.joinable()) {
    monitor_stop_.wake();
    monitor_.join();
  }
  source_.reset();
  socket_.close();
}

void VicpSession::attribute_changed(attr_id_t id, const AttrValue& value) {
  auto* v = std::get_if<std::int64_t>(&value);
  if (v && socket_.valid() && id == attr::TCPIP_KEEPALIVE) socket_.set_keepalive(*v != 0);
}

status_t VicpSession::broken(status_t st) {
  if (st == status::ERROR_CONN_LOST || st == status::ERROR_IO) {
    lost_ = true;
    socket_.shutdown();
  }
  return st;
}

status_t VicpSession::skip_pending(core::Deadline deadline) {
  std::array<std::byte, 65536> scratch;
  while (skip_ > 0) {
    std::size_t n = 0;
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(scratch.size(), skip_));
    status_t st = socket_.recv_some(std::span(scratch).first(want), deadline, n, &waker_);
    if (st < 0) return st == status::ERROR_TMO || st == status::ERROR_ABORT ? st : broken(st);
    if (srq_flag_next_ && n > 0) {
      // An SRQ block's payload: "1" the instrument requests service, "0" it no longer does.
      srq_flag_next_ = false;
      if (scratch[0] == std::byte{'1'}) raise_event(std::make_shared<core::Event>(event::service_request));
    }
    skip_ -= n;
  }
  return status::SUCCESS;
}

status_t VicpSession::next_block(core::Deadline deadline, bool wait) {
  for (;;) {
    if (lost_) return status::ERROR_CONN_LOST;
    if (block_left_ > 0) return status::SUCCESS;
    if (status_t st = skip_pending(deadline); st < 0) return st;
    while (header_have_ < header_size) {
      std::size_t n = 0;
      auto rest = std::span(header_).subspan(header_have_);
      status_t st = wait ? socket_.recv_some(rest, deadline, n, &waker_) : socket_.recv_available(rest, n);
      if (st < 0) return st == status::ERROR_TMO || st == status::ERROR_ABORT ? st : broken(st);
      if (n == 0) return status::ERROR_TMO;  // nothing waiting (wait == false)
      header_have_ += n;
    }
    header_have_ = 0;
    auto h = decode_header(header_, true);
    if (!h) return broken(status::ERROR_IO);  // not VICP: the stream is out of step
    if (h->sequence != 0) v1a_ = true;
    if (h->has(op::srq)) {
      skip_ = h->length;  // its payload is read (and acted on) by skip_pending
      srq_flag_next_ = h->length > 0;
      continue;
    }
    bool stale = h->sequence != 0 && (drop_numbered_ || (expected_ && h->sequence != *expected_));
    if (stale) {
      skip_ = h->length;
      continue;
    }
    block_left_ = h->length;
    block_eoi_ = h->has(op::eoi);
  }
}

status_t VicpSession::read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (!socket_.valid() || (lost_ && reader_.buffered() == 0)) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(gate_);
  std::lock_guard rx(rx_mutex_);
  return reader_.read(*source_, buffer, count, read_termination(), deadline);
}

std::uint8_t VicpSession::mode_bits() const noexcept {
  return static_cast<std::uint8_t>((remote_ ? op::remote : 0) | (lockout_ ? op::lockout : 0));
}

status_t VicpSession::send_block(std::uint8_t bits, std::span<const std::byte> payload, core::Deadline deadline) {
  Header h;
  h.operation = static_cast<std::uint8_t>(op::data | bits | mode_bits());
  h.sequence = next_seq_;
  h.length = static_cast<std::uint32_t>(payload.size());
  if (h.has(op::eoi)) {
    expected_ = next_seq_;  // the instrument answers with this number
    drop_numbered_ = false;
    next_seq_ = next_sequence(next_seq_);
  }
  auto head = h.encode();
  status_t st;
  if (payload.size() < small_write) {
    std::array<std::byte, header_size + small_write> joined;
    std::memcpy(joined.data(), head.data(), header_size);
    if (!payload.empty()) std::memcpy(joined.data() + header_size, payload.data(), payload.size());
    st = socket_.send_all(std::span(joined).first(header_size + payload.size()), deadline, nullptr, &waker_);
  } else {
    st = socket_.send_all(head, deadline, nullptr, &waker_);
    if (st == status::SUCCESS) st = socket_.send_all(payload, deadline, nullptr, &waker_);
  }
  // A block cut off halfway leaves the instrument out of step: the connection cannot go on.
  if (st == status::ERROR_TMO || st == status::ERROR_ABORT) {
    lost_ = true;
    socket_.shutdown();
    return st;
  }
  return broken(st);
}

void VicpSession::drop_current_response() {
  reader_.discard();
  skip_ += block_left_;
  block_left_ = 0;
}

status_t VicpSession::write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (!socket_.valid() || lost_) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(gate_);
  std::lock_guard rx(rx_mutex_);
  // A new message: what is left of the last response is not wanted (its blocks are dropped).
  drop_current_response();
  const bool end = send_end();
  do {
    auto piece = data.subspan(count, static_cast<std::size_t>(std::min<std::uint64_t>(data.size() - count, max_block)));
    bool last = count + piece.size() == data.size();
    if (status_t st = send_block(last && end ? op::eoi : 0, piece, deadline); st < 0) return st;
    count += piece.size();
  } while (count < data.size());
  return status::SUCCESS;
}

status_t VicpSession::serial_poll_oob(std::uint8_t& stb, core::Deadline deadline) {
  // VICP 1a: the request and the answer travel as TCP urgent data, beside the data stream. No
  // normal read may run meanwhile (the SRQ monitor): a read past the urgent byte loses it (RFC
  // 6093: urgent data is a single byte of the stream, not a separate channel).
  std::lock_guard rx(rx_mutex_);
  const char request = 'S';
  if (::send(socket_.fd(), &request, 1, MSG_OOB | MSG_NOSIGNAL) != 1) return broken(status::ERROR_CONN_LOST);
  for (;;) {
    pollfd fds[2] = {{socket_.fd(), POLLPRI, 0}, {waker_.fd(), POLLIN, 0}};
    int r = ::poll(fds, 2, deadline.poll_ms());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return status::ERROR_IO;
    if (fds[1].revents & POLLIN) return status::ERROR_ABORT;
    if (r == 0) return status::ERROR_TMO;
    if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) return broken(status::ERROR_CONN_LOST);
    if (fds[0].revents & POLLPRI) {
      char answer = 0;
      ssize_t n = ::recv(socket_.fd(), &answer, 1, MSG_OOB);
      if (n == 1) {
        stb = static_cast<std::uint8_t>(answer);
        return status::SUCCESS;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == EINVAL)) continue;
      return broken(status::ERROR_CONN_LOST);
    }
  }
}

status_t VicpSession::serial_poll_in_band(std::uint8_t& stb, core::Deadline deadline) {
  std::lock_guard rx(rx_mutex_);
  // VICP 1: the answer is the next data block, after any unread output (which is dropped).
  drop_current_response();
  if (status_t st = send_block(op::serial_poll, {}, deadline); st < 0) return st;
  // The poll's answer carries the poll's sequence number (a VICP 1a instrument echoes the number
  // of the block that asked): the next message gets a new one, so that a status byte that comes
  // after this call has timed out is an old block, dropped, and never the next query's answer.
  // (A VICP 1 instrument numbers nothing: its late status byte cannot be told from data.)
  next_seq_ = next_sequence(next_seq_);
  expected_.reset();
  drop_numbered_ = false;
  if (status_t st = next_block(deadline, true); st < 0) return st;
  std::array<std::byte, 1> b{};
  if (status_t st = socket_.recv_exact(b, deadline, &waker_); st < 0) return broken(st);
  --block_left_;
  skip_ += block_left_;
  block_left_ = 0;
  stb = static_cast<std::uint8_t>(b[0]);
  return status::SUCCESS;
}

status_t VicpSession::read_stb(std::uint16_t& stb, core::Deadline deadline) {
  if (!socket_.valid() || lost_) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(gate_);
  std::uint8_t value = 0;
  status_t st = v1a_ ? serial_poll_oob(value, deadline) : serial_poll_in_band(value, deadline);
  if (st >= 0) stb = value;
  return st;
}

status_t VicpSession::clear(core::Deadline deadline) {
  if (!socket_.valid() || lost_) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(gate_);
  std::lock_guard rx(rx_mutex_);
  drop_current_response();
  if (status_t st = send_block(op::clear, {}, deadline); st < 0) return st;
  drop_numbered_ = true;  // blocks of earlier responses may still be on their way
  return status::SUCCESS;
}

status_t VicpSession::flush(std::uint16_t mask, core::Deadline) {
  if (mask & input_masks) {
    std::lock_guard rx(rx_mutex_);
    drop_current_response();
  }
  return status::SUCCESS;
}

status_t VicpSession::gpib_control_ren(RenMode mode, core::Deadline deadline) {
  if (!socket_.valid() || lost_) return status::ERROR_CONN_LOST;
  switch (mode) {
    case RenMode::deassert: case RenMode::deassert_gtl: case RenMode::address_gtl:
      remote_ = lockout_ = false;
      break;
    case RenMode::assert_: case RenMode::assert_address:
      remote_ = true;
      break;
    case RenMode::assert_llo: case RenMode::assert_address_llo:
      remote_ = lockout_ = true;
      break;
    default:
      return status::ERROR_INV_MODE;
  }
  core::AbortGate::Scope op(gate_);
  std::lock_guard rx(rx_mutex_);
  return send_block(0, {}, deadline);  // the new REMOTE/LOCKOUT bits, at once
}

void VicpSession::event_enabled(event_type_t type) {
  if (type != event::service_request || monitor_.joinable() || !socket_.valid()) return;
  monitor_ = std::thread([this] { monitor(); });
}

void VicpSession::monitor() {
  for (;;) {
    status_t st = net::wait_fd(socket_.fd(), POLLIN, core::Deadline::after_ms(monitor_slice_ms), &monitor_stop_);
    if (st == status::ERROR_ABORT || monitor_stop_.woken()) return;
    if (st != status::SUCCESS) continue;
    std::unique_lock rx(rx_mutex_, std::try_to_lock);
    if (!rx.owns_lock() || lost_ || block_left_ > 0) {
      // A read is in progress (it takes SRQ blocks itself) or a data block waits for one.
      if (rx.owns_lock()) rx.unlock();
      if (net::wait_fd(monitor_stop_.fd(), POLLIN, core::Deadline::after_ms(monitor_slice_ms), nullptr) ==
          status::SUCCESS)
        return;
      continue;
    }
    next_block(core::Deadline::after_ms(0), false);  // takes SRQ blocks; stops at a data block
  }
}

status_t VicpSession::abort() {
  gate_.abort();
  return status::SUCCESS;
}

core::OutputState VicpSession::output_state() {
  std::lock_guard rx(rx_mutex_);
  if (reader_.buffered() > 0 || block_left_ > 0 || (socket_.valid() && socket_.readable_now()))
    return core::OutputState::ready;
  return core::OutputState::unknown;
}

}  // namespace cppvisa::vicp
