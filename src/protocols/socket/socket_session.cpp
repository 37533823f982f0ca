#include "protocols/socket/socket_session.hpp"

#include "core/error_detail.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <string>

#include <poll.h>

namespace cppvisa::raw_socket {

namespace {
constexpr std::int64_t prot_4882_strings = 4;  // VI_PROT_4882_STRS
}

/// The socket as a ByteSource: no END in the stream, so "END" means "no more bytes waiting".
/// Asked only while VI_ATTR_SUPPRESS_END_EN is false (a reader with it true ignores END): the
/// default spares a FIONREAD per receive.
class SocketSession::Source : public core::ByteSource {
 public:
  Source(net::Socket& s, const net::Waker& cancel) : socket_(s), cancel_(cancel) {}
  status_t receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) override {
    end = false;
    count = 0;
    if (poll_first) {
      // The first receive after a write (a query's answer) would find nothing yet: wait first
      // rather than try, fail with EAGAIN and then wait.
      poll_first = false;
      if (status_t st = net::wait_fd(socket_.fd(), POLLIN, deadline, &cancel_); st != status::SUCCESS) return st;
    }
    status_t st = socket_.recv_some(buffer, deadline, count, &cancel_);
    if (st != status::SUCCESS) return st;
    end = report_end && !socket_.readable_now();
    return status::SUCCESS;
  }
  bool report_end = true;
  bool poll_first = false;  ///< the next receive waits before trying (set after a write)

 private:
  net::Socket& socket_;
  const net::Waker& cancel_;
};

SocketSession::SocketSession(const ResourceName& name) : Session(name, {}) {
  define(attr::TCPIP_ADDR, name.host_address());
  define(attr::TCPIP_HOSTNAME, name.host_address());
  define(attr::TCPIP_PORT, static_cast<std::int64_t>(name.port().value_or(0)));
  // NI-VISA (and PyVISA-py) default a socket's VI_ATTR_SUPPRESS_END_EN to true: a pause in the
  // data does not end a read.
  define(attr::SUPPRESS_END_EN, std::int64_t{1});
}

SocketSession::~SocketSession() = default;

status_t SocketSession::connect(core::Deadline deadline) {
  auto port = name().port();
  std::string host = name().host_address();
  if (!port || host.empty()) return status::ERROR_INV_RSRC_NAME;
  net::Socket s;
  status_t st = net::connect_tcp(host, *port, deadline, s);
  if (st != status::SUCCESS) return core::fail_within(status::ERROR_RSRC_NFOUND, "raw socket");
  socket_ = std::move(s);
  socket_.set_nodelay(integer_attribute(attr::TCPIP_NODELAY, 1) != 0);
  socket_.set_keepalive(integer_attribute(attr::TCPIP_KEEPALIVE, 0) != 0);
  net::Endpoint peer = socket_.peer_endpoint();
  if (!peer.host.empty()) define(attr::TCPIP_ADDR, peer.host);
  source_ = std::make_unique<Source>(socket_, waker_);
  return status::SUCCESS;
}

void SocketSession::disconnect() {
  source_.reset();
  socket_.close();
}

void SocketSession::attribute_changed(attr_id_t id, const AttrValue& value) {
  auto* v = std::get_if<std::int64_t>(&value);
  if (!v || !socket_.valid()) return;
  if (id == attr::TCPIP_NODELAY) socket_.set_nodelay(*v != 0);
  if (id == attr::TCPIP_KEEPALIVE) socket_.set_keepalive(*v != 0);
}

status_t SocketSession::read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (!socket_.valid()) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(gate_);
  const core::ReadTermination term = read_termination();
  source_->report_end = !term.suppress_end;
  source_->poll_first = wrote_;
  wrote_ = false;
  return reader_.read(*source_, buffer, count, term, deadline);
}

status_t SocketSession::write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (!socket_.valid()) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(gate_);
  wrote_ = true;
  return socket_.send_all(data, deadline, &count, &waker_);
}

status_t SocketSession::abort() {
  gate_.abort();
  return status::SUCCESS;
}

core::OutputState SocketSession::output_state() {
  if (reader_.buffered() > 0 || (socket_.valid() && socket_.readable_now())) return core::OutputState::ready;
  return core::OutputState::unknown;
}

void SocketSession::discard_input() {
  reader_.discard();
  if (!socket_.valid()) return;
  std::array<std::byte, 4096> scratch;
  std::size_t n = 0;
  while (socket_.recv_available(scratch, n) == status::SUCCESS && n > 0) {
  }
}

status_t SocketSession::clear(core::Deadline) {
  if (!socket_.valid()) return status::ERROR_CONN_LOST;
  discard_input();
  return status::SUCCESS;
}

status_t SocketSession::flush(std::uint16_t mask, core::Deadline) {
  if (mask & (buffer::read_buf | buffer::read_buf_discard | buffer::io_in_buf | buffer::io_in_buf_discard))
    discard_input();
  return status::SUCCESS;  // writes are not buffered
}

bool SocketSession::uses_488_strings() const { return integer_attribute(attr::IO_PROT, 1) == prot_4882_strings; }

status_t SocketSession::assert_trigger(TriggerProtocol protocol, core::Deadline deadline) {
  if (!uses_488_strings() || protocol != TriggerProtocol::default_) return status::ERROR_NSUP_OPER;
  std::size_t n = 0;
  static constexpr char command[] = "*TRG\n";
  return write(std::as_bytes(std::span(command, 5)), n, deadline);
}

status_t SocketSession::read_stb(std::uint16_t& stb, core::Deadline deadline) {
  if (!uses_488_strings()) return status::ERROR_NSUP_OPER;
  core::AbortGate::Scope op(gate_);
  std::size_t n = 0;
  static constexpr char command[] = "*STB?\n";
  if (status_t st = write(std::as_bytes(std::span(command, 6)), n, deadline); st < 0) return st;
  std::array<std::byte, 64> reply{};
  core::ReadTermination term;
  term.termchar_enabled = true;
  term.termchar = std::byte{'\n'};
  term.suppress_end = true;
  status_t st = reader_.read(*source_, reply, n, term, deadline);
  if (st < 0) return st;
  std::string text(reinterpret_cast<const char*>(reply.data()), n);
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || value < 0 || value > 255) return status::ERROR_IO;
  stb = static_cast<std::uint16_t>(value);
  return status::SUCCESS;
}

}  // namespace cppvisa::raw_socket
