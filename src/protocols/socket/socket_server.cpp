#include "protocols/socket/socket_server.hpp"

#include "protocols/socket/message_splitter.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <poll.h>
#include <span>
#include <thread>
#include <vector>

namespace cppvisa::raw_socket {

namespace {
constexpr std::size_t input_chunk = 65536;
constexpr std::uint32_t access_slice_ms = 200;  // a wait under another client's lock checks stop() this often
using Clock = std::chrono::steady_clock;
}  // namespace

SocketServer::SocketServer(std::shared_ptr<server::ServedDevice> device, Options options)
    : device_(std::move(device)), options_(std::move(options)),
      server_([this](server::ClientId id) { device_->abort(id); }, [this](server::ClientId id) { device_->close_client(id); }) {
  options_.read_slice_ms = std::max<std::uint32_t>(options_.read_slice_ms, 1);
  options_.read_chunk = std::clamp<std::size_t>(options_.read_chunk, 4096, std::size_t{64} << 20);
  options_.max_connections = std::max<std::size_t>(options_.max_connections, 1);
}

SocketServer::~SocketServer() { stop(); }

status_t SocketServer::start() {
  net::TcpAcceptor::Options o;
  o.host = options_.host;
  o.port = options_.port;
  o.max_connections = options_.max_connections;
  o.max_per_address = options_.max_per_address;
  o.allow = options_.allow;
  // A refused client is just closed: a raw socket has no way to say why.
  return server_.start(o, [this](net::Socket& socket, const net::Waker& stop, server::ClientId id) { serve(socket, stop, id); });
}

void SocketServer::stop() { server_.stop(); }

namespace {

/// The state of one connection as a client of the device.
class ClientLoop {
 public:
  ClientLoop(server::ServedDevice& device, const SocketServer::Options& options, server::ClientId id,
             const net::Waker& stop)
      : device_(device), options_(options), id_(id), stop_(stop) {}

  /// Waits until no other client's lock keeps this one out. False when stopping.
  bool wait_for_access() {
    for (;;) {
      if (stop_.woken()) return false;
      status_t st = device_.wait_access(id_, core::Deadline::after_ms(access_slice_ms));
      if (st == status::SUCCESS) return true;
      // RSRC_LOCKED: the slice ended (check stop, wait again); ABORT: stop() or a stale abort.
    }
  }

  /// Writes what the client sent, one program message per device write. False: close the
  /// connection (the device refused the data, or stopping).
  bool write_input(std::span<const std::byte> data) {
    while (!data.empty()) {
      std::size_t len = splitter_.find_end(data);
      bool end = len != 0;
      if (!end) len = data.size();
      if (!write_piece(data.first(len), end)) return false;
      mid_message_ = !end;
      data = data.subspan(len);
    }
    return true;
  }

  bool mid_message() const noexcept { return mid_message_; }

 private:
  bool write_piece(std::span<const std::byte> piece, bool end) {
    if (!wait_for_access()) return false;
    for (;;) {
      std::size_t count = 0;
      status_t st = device_.write(id_, piece, end, count, core::Deadline::after_ms(options_.write_timeout_ms));
      if (st == status::ERROR_RSRC_LOCKED && count == 0 && !stop_.woken()) {  // locked since we looked
        if (!wait_for_access()) return false;
        continue;
      }
      // Any other failure (read-only serving's NSUP_OPER, a device error or timeout, stop()):
      // a raw socket has no way to say so, and dropping the data silently would be worse.
      if (st < 0 || count == 0) return false;
      if (count >= piece.size()) return true;
      piece = piece.subspan(count);
    }
  }

  server::ServedDevice& device_;
  const SocketServer::Options& options_;
  server::ClientId id_;
  const net::Waker& stop_;
  MessageSplitter splitter_;
  bool mid_message_ = false;  // part of a message was written without END
};

}  // namespace

void SocketServer::serve(net::Socket& sock, const net::Waker& stop, server::ClientId id) {
  ClientLoop client(*device_, options_, id, stop);
  // Not zero-filled (a vector would be): the kernel gives a large buffer's pages on first touch,
  // so a connection whose replies are short holds a page of `out`, not read_chunk (1 MiB) of
  // resident memory, and connecting costs no page faults. Bytes are read before they are sent.
  auto in_storage = std::make_unique_for_overwrite<std::byte[]>(input_chunk);
  auto out_storage = std::make_unique_for_overwrite<std::byte[]>(options_.read_chunk);
  const std::span<std::byte> in(in_storage.get(), input_chunk);
  const std::span<std::byte> out(out_storage.get(), options_.read_chunk);
  const auto response_timeout = std::chrono::milliseconds(options_.response_timeout_ms);
  bool collecting = false;        // a response to the client's last message may be on its way
  Clock::time_point progress{};   // when the message was written or the response last moved
  Clock::time_point active = Clock::now();  // last traffic either way (the idle timeout's start)
  const auto idle = std::chrono::milliseconds(options_.idle_timeout_ms);
  for (;;) {
    if (collecting && (client.mid_message() || Clock::now() - progress >= response_timeout ||
                       !device_->response_pending(id)))
      collecting = false;
    // Wait for the client (forever when no response is on its way), or only look when one is.
    core::Deadline wait = collecting                      ? core::Deadline::after_ms(0)
                          : options_.idle_timeout_ms == 0 ? core::Deadline::never()
                                                          : core::Deadline::at(active + idle);
    status_t st = net::wait_fd(sock.fd(), POLLIN, wait, &stop);
    if (st == status::ERROR_ABORT || st == status::ERROR_IO) break;
    if (st == status::ERROR_TMO && !collecting) break;  // idle: the client sent nothing for idle_timeout_ms
    if (st == status::SUCCESS) {
      std::size_t n = 0;
      if (sock.recv_available(in, n) != status::SUCCESS) break;  // the client closed
      if (n == 0) continue;
      // New input while a response is on its way interrupts it: the message goes to the device
      // now (IEEE 488.2 §6.3.2.3), and output is collected again for it.
      if (!client.write_input(in.first(n))) break;
      collecting = !client.mid_message();
      progress = active = Clock::now();
      continue;
    }
    // No input now: collect a slice of the response, straight into the send buffer.
    server::ReadResult r;
    status_t rs = device_->read(id, out, std::nullopt, r, core::Deadline::after_ms(options_.read_slice_ms));
    std::size_t count = std::min(r.count, out.size());
    if (count > 0) {
      if (sock.send_all(out.first(count), core::Deadline::after_ms(options_.send_timeout_ms),
                        nullptr, &stop) != status::SUCCESS)
        break;
      progress = active = Clock::now();
    }
    if (rs >= 0 || rs == status::ERROR_TMO) continue;
    if (stop.woken()) break;
    if (rs == status::ERROR_RSRC_LOCKED) {  // another client locked the device: wait, then go on
      if (!client.wait_for_access()) break;
      continue;
    }
    if (rs != status::ERROR_ABORT) collecting = false;  // a device error ends this response
  }
}

}  // namespace cppvisa::raw_socket
