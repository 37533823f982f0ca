#include "protocols/socket/socket_server.hpp"

#include <algorithm>
#include <poll.h>
#include <unistd.h>
#include <vector>

namespace cppvisa::raw_socket {

namespace {
constexpr std::size_t chunk_size = 65536;
constexpr std::uint32_t send_timeout_ms = 10000;  // a client that stops reading is dropped
constexpr std::uint32_t device_write_timeout_ms = 10000;
}  // namespace

SocketServer::SocketServer(std::shared_ptr<server::ServedDevice> device, Options options)
    : device_(std::move(device)), options_(std::move(options)) {
  options_.poll_interval_ms = std::max<std::uint32_t>(options_.poll_interval_ms, 1);
}

SocketServer::~SocketServer() { stop(); }

status_t SocketServer::start() {
  status_t st = listener_.open(options_.host, options_.port);
  if (st != status::SUCCESS) return st;
  accept_thread_ = std::thread([this] { accept_loop(); });
  return status::SUCCESS;
}

void SocketServer::stop() {
  std::list<std::unique_ptr<Connection>> connections;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& c : connections_) c->socket.shutdown();
    connections.swap(connections_);
  }
  stop_.wake();
  device_->abort();  // a connection blocked in a device call
  if (accept_thread_.joinable()) accept_thread_.join();
  for (auto& c : connections)
    if (c->thread.joinable()) c->thread.join();
  listener_.close();
}

std::size_t SocketServer::connection_count() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (auto& c : connections_) n += c->done ? 0 : 1;
  return n;
}

void SocketServer::reap_finished() {
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->done) {
        finished.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) c->thread.join();
}

void SocketServer::accept_loop() {
  for (;;) {
    net::Socket s;
    status_t st = listener_.accept(s, core::Deadline::never(), &stop_);
    if (st == status::ERROR_ABORT) return;
    reap_finished();
    if (st != status::SUCCESS) {
      if (net::wait_fd(stop_.fd(), POLLIN, core::Deadline::after_ms(50), nullptr) == status::SUCCESS) return;
      continue;
    }
    if (connection_count() >= options_.max_connections) continue;
    s.set_nodelay(true);
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    auto c = std::make_unique<Connection>();
    c->socket = std::move(s);
    c->id = next_id_++;
    Connection* raw = c.get();
    connections_.push_back(std::move(c));
    raw->thread = std::thread([this, raw] { serve(*raw); });
  }
}

void SocketServer::write_messages(std::span<const std::byte> data) {
  // TCP carries a byte stream: one recv may hold several program messages (a client's ":WAV:POIN
  // 1000\n" and "CURV?\n" arrive together when this thread is slow to read), or part of one. On a
  // raw socket NL is the only message terminator (IEEE 488.2 §7.5), so each NL-terminated piece
  // goes to the device as its own message with END; a device that only parses a message once its
  // input ends with the terminator (pyvisa-sim semantics) would otherwise see one unknown message.
  while (!data.empty()) {
    auto nl = std::find(data.begin(), data.end(), std::byte{'\n'});
    bool end = nl != data.end();
    std::size_t len = end ? static_cast<std::size_t>(nl - data.begin()) + 1 : data.size();
    std::size_t written = 0;
    if (device_->write(data.first(len), end, written, core::Deadline::after_ms(device_write_timeout_ms)) < 0) return;
    data = data.subspan(len);
  }
}

void SocketServer::serve(Connection& c) {
  net::Socket sock(::dup(c.socket.fd()));  // stop() shuts the original down, which wakes this one
  std::vector<std::byte> in(chunk_size), out(chunk_size);
  bool expect_output = false;
  std::uint32_t backoff_ms = 0;
  for (;;) {
    core::Deadline wait = expect_output ? core::Deadline::after_ms(backoff_ms) : core::Deadline::never();
    status_t st = net::wait_fd(sock.fd(), POLLIN, wait, &stop_);
    if (st == status::ERROR_ABORT || st == status::ERROR_IO) break;
    if (st == status::SUCCESS) {
      std::size_t n = 0;
      if (sock.recv_available(in, n) != status::SUCCESS) break;  // client closed
      if (n == 0) continue;
      {
        std::lock_guard lock(device_mutex_);
        last_writer_ = c.id;
        write_messages(std::span<const std::byte>(in).first(n));
      }
      expect_output = true;
      backoff_ms = 0;
    }
    if (!expect_output) continue;
    // Poll the device for output without waiting.
    server::ReadResult r;
    {
      std::lock_guard lock(device_mutex_);
      if (last_writer_ != c.id) {  // another client asked since: its connection collects the output
        expect_output = false;
        continue;
      }
      device_->read(out, std::nullopt, r, core::Deadline::after_ms(0));
    }
    if (r.count > 0) {
      if (sock.send_all(std::span(out).first(std::min(r.count, out.size())), core::Deadline::after_ms(send_timeout_ms),
                        nullptr, &stop_) != status::SUCCESS)
        break;
      backoff_ms = 0;
    } else {
      backoff_ms = std::min(options_.poll_interval_ms, std::max<std::uint32_t>(1, backoff_ms * 2));
    }
  }
  c.socket.shutdown();  // the peer sees the close now, not when the thread is reaped
  c.done = true;
}

}  // namespace cppvisa::raw_socket
