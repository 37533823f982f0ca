#include "protocols/vicp/vicp_server.hpp"

#include "protocols/vicp/vicp_wire.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <vector>

namespace cppvisa::vicp {

namespace {
constexpr std::size_t write_piece = 1u << 20;  // device write size while a long block arrives
using Clock = std::chrono::steady_clock;
}  // namespace

class Server::Connection {
 public:
  Connection(Server& server, net::Socket& socket, const net::Waker& stop, server::ClientId id)
      : server_(server), device_(*server.device_), socket_(socket), stop_(stop), id_(id),
        out_(header_size + server.options_.read_chunk), in_(write_piece) {
    listener_ = device_.add_service_request_listener([this] {
      srq_ = true;
      srq_wake_.wake();
    });
  }
  ~Connection() { device_.remove_service_request_listener(listener_); }

  void run() {
    for (;;) {
      if (srq_.exchange(false)) {
        srq_wake_.reset();
        static constexpr std::byte one[1] = {std::byte{'1'}};
        if (!send_block(op::srq, 0, one)) return;
      }
      if (collecting_ && (Clock::now() - progress_ >= std::chrono::milliseconds(server_.options_.response_timeout_ms) ||
                          !device_.response_pending(id_)))
        collecting_ = false;
      pollfd fds[3] = {{socket_.fd(), POLLIN | POLLPRI, 0}, {stop_.fd(), POLLIN, 0}, {srq_wake_.fd(), POLLIN, 0}};
      int r = ::poll(fds, 3, collecting_ ? 0 : idle_wait_ms());
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 || (fds[1].revents & POLLIN)) return;
      if (r == 0 && !collecting_ && idle_over()) return;  // the client sent nothing for idle_timeout_ms
      if (r > 0 && (fds[0].revents & (POLLIN | POLLPRI | POLLHUP | POLLERR))) active_ = Clock::now();
      if (fds[0].revents & POLLPRI) {
        if (!urgent()) return;
        continue;
      }
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        if (!block()) return;
        continue;
      }
      if (fds[2].revents & POLLIN) continue;  // a service request: sent at the top of the loop
      if (collecting_ && !collect()) return;
    }
  }

 private:
  core::Deadline io_deadline() const { return core::Deadline::after_ms(server_.options_.io_timeout_ms); }

  // How long poll() may wait for the client before the idle timeout (-1: forever).
  int idle_wait_ms() const {
    if (server_.options_.idle_timeout_ms == 0) return -1;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        active_ + std::chrono::milliseconds(server_.options_.idle_timeout_ms) - Clock::now());
    return static_cast<int>(std::clamp<long long>(left.count() + 1, 0, 1 << 30));
  }
  bool idle_over() const {
    return server_.options_.idle_timeout_ms != 0 &&
           Clock::now() - active_ >= std::chrono::milliseconds(server_.options_.idle_timeout_ms);
  }

  bool send_block(std::uint8_t bits, std::uint8_t sequence, std::span<const std::byte> payload) {
    Header h;
    h.operation = static_cast<std::uint8_t>(op::data | bits);
    h.sequence = sequence;
    h.length = static_cast<std::uint32_t>(payload.size());
    auto head = h.encode();
    std::vector<std::byte> block(head.begin(), head.end());  // small blocks only: one segment
    block.insert(block.end(), payload.begin(), payload.end());
    return socket_.send_all(block, io_deadline(), nullptr, &stop_) == status::SUCCESS;
  }

  // VICP 1a serial poll: an urgent 'S' asks, the status byte goes back as urgent data.
  bool urgent() {
    char request = 0;
    ssize_t n = ::recv(socket_.fd(), &request, 1, MSG_OOB);
    if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EINVAL || errno == EINTR);
    if (request != 'S') return true;
    std::uint8_t stb = 0;
    if (device_.read_stb(id_, stb, io_deadline()) < 0) return true;  // no answer: the client's poll times out
    char answer = static_cast<char>(stb);
    return ::send(socket_.fd(), &answer, 1, MSG_OOB | MSG_NOSIGNAL) == 1;
  }

  bool wait_for_access() {
    for (;;) {
      if (stop_.woken()) return false;
      if (device_.wait_access(id_, core::Deadline::after_ms(200)) == status::SUCCESS) return true;
    }
  }

  bool device_write(std::span<const std::byte> bytes, bool end) {
    if (!wait_for_access()) return false;
    auto deadline = io_deadline();
    do {
      std::size_t count = 0;
      status_t st = device_.write(id_, bytes, end, count, deadline);
      if (st == status::ERROR_RSRC_LOCKED && count == 0 && !stop_.woken()) {
        if (!wait_for_access()) return false;
        continue;
      }
      // A refused write cannot be reported in VICP: close rather than drop data silently.
      if (st < 0 || (count == 0 && !bytes.empty())) return false;
      bytes = bytes.subspan(std::min(count, bytes.size()));
    } while (!bytes.empty());
    return true;
  }

  // One block from the client. False: close the connection.
  bool block() {
    std::array<std::byte, header_size> raw;
    if (socket_.recv_exact(raw, io_deadline(), &stop_) != status::SUCCESS) return false;
    auto h = decode_header(raw, false);
    if (!h) return false;  // out of step
    if (h->has(op::clear)) {
      collecting_ = false;
      device_.clear(id_, io_deadline());
    }
    bool remote = h->has(op::remote) || h->has(op::lockout);
    if (remote && !remote_) device_.remote(id_, io_deadline());
    if (!remote && remote_) device_.local(id_, io_deadline());
    remote_ = remote;
    std::uint64_t left = h->length;
    while (left > 0) {
      auto piece = std::span(in_).first(static_cast<std::size_t>(std::min<std::uint64_t>(left, in_.size())));
      if (socket_.recv_exact(piece, io_deadline(), &stop_) != status::SUCCESS) return false;
      left -= piece.size();
      if (!device_write(piece, left == 0 && h->has(op::eoi))) return false;
    }
    if (h->has(op::serial_poll)) {
      std::uint8_t stb = 0;
      if (device_.read_stb(id_, stb, io_deadline()) >= 0) {
        std::byte b{stb};
        if (!send_block(op::eoi, h->sequence, std::span(&b, 1))) return false;
      }
    }
    if (h->has(op::eoi) && h->length > 0) {
      sequence_ = h->sequence;  // the answer carries the number of the message that asked
      collecting_ = true;
      progress_ = Clock::now();
    }
    return true;
  }

  // A slice of the response, straight into the block after its header.
  bool collect() {
    server::ReadResult r;
    auto payload = std::span(out_).subspan(header_size);
    status_t st = device_.read(id_, payload, std::nullopt, r, core::Deadline::after_ms(server_.options_.read_slice_ms));
    std::size_t count = std::min(r.count, payload.size());
    if (count > 0) {
      Header h;
      h.operation = static_cast<std::uint8_t>(op::data | (r.end ? op::eoi : 0));
      h.sequence = sequence_;
      h.length = static_cast<std::uint32_t>(count);
      auto head = h.encode();
      std::memcpy(out_.data(), head.data(), header_size);
      if (socket_.send_all(std::span<const std::byte>(out_).first(header_size + count), io_deadline(), nullptr, &stop_) !=
          status::SUCCESS)
        return false;
      progress_ = active_ = Clock::now();
    }
    if (st >= 0 || st == status::ERROR_TMO) return true;
    if (stop_.woken()) return false;
    if (st == status::ERROR_RSRC_LOCKED) return wait_for_access();
    if (st != status::ERROR_ABORT) collecting_ = false;  // a device error ends this response
    return true;
  }

  Server& server_;
  server::ServedDevice& device_;
  net::Socket& socket_;
  const net::Waker& stop_;
  server::ClientId id_;
  std::vector<std::byte> out_, in_;
  std::size_t listener_ = 0;
  std::atomic<bool> srq_{false};
  net::Waker srq_wake_;
  bool remote_ = false;
  bool collecting_ = false;
  std::uint8_t sequence_ = 0;
  Clock::time_point progress_{};
  Clock::time_point active_ = Clock::now();  // last traffic either way (the idle timeout's start)
};

Server::Server(std::shared_ptr<server::ServedDevice> device, Options options)
    : device_(std::move(device)), options_(std::move(options)),
      server_([this](server::ClientId id) { device_->abort(id); }, [this](server::ClientId id) { device_->close_client(id); }) {
  options_.read_slice_ms = std::max<std::uint32_t>(options_.read_slice_ms, 1);
  options_.read_chunk = std::clamp<std::size_t>(options_.read_chunk, 4096, std::size_t{64} << 20);
}

Server::~Server() { stop(); }

status_t Server::start() {
  return server_.start(options_.listen, [this](net::Socket& socket, const net::Waker& stop, server::ClientId id) {
    Connection(*this, socket, stop, id).run();
  });
}

void Server::stop() { server_.stop(); }

}  // namespace cppvisa::vicp
