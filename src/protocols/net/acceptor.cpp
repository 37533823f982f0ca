#include "protocols/net/acceptor.hpp"

#include "core/error_detail.hpp"
#include "protocols/net/sockaddr.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <netdb.h>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

namespace cppvisa::net {

namespace {

constexpr std::uint32_t first_backoff_ms = 50;
constexpr std::uint32_t max_backoff_ms = 1000;
// What a refused connection may have sent already and is read away before the close (see refuse()).
constexpr int max_drain_reads = 16;
// How long a new connection may wait at a limit for connections whose client has closed to end.
constexpr std::uint32_t closing_grace_ms = 200;

// Whether the peer has closed its side (FIN received): the connection's thread will end soon.
bool peer_closed(const Socket& s) {
  pollfd p{s.fd(), POLLRDHUP, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

std::string errno_text(int e) { return std::error_code(e, std::system_category()).message(); }

std::optional<IpAddress> to_address(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    return IpAddress::from_bytes(reinterpret_cast<const std::uint8_t*>(&a->sin_addr), 4);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    return IpAddress::from_bytes(reinterpret_cast<const std::uint8_t*>(&a->sin6_addr), 16);
  }
  return std::nullopt;
}

std::size_t index_of(TcpAcceptor::Refusal r) { return static_cast<std::size_t>(r); }

}  // namespace

TcpAcceptor::TcpAcceptor() = default;
TcpAcceptor::~TcpAcceptor() { stop(); }

status_t TcpAcceptor::open(const Options& options) {
  error_.clear();
  {
    std::lock_guard lock(mutex_);
    if (started_ || stopping_ || listener_.valid()) {
      error_ = stopping_ ? "the acceptor was stopped" : "the acceptor is already open";
      return status::ERROR_IO;
    }
  }
  options_ = options;
  options_.max_connections = std::max<std::size_t>(options_.max_connections, 1);
  options_.max_per_address = std::max<std::size_t>(options_.max_per_address, 1);
  options_.backlog = std::max(options_.backlog, 1);

  const std::string host = strip_brackets(options_.host);
  const std::string where = host_for_display(host.empty() ? "*" : host) + ":" + std::to_string(options_.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(options_.port);
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) {
    error_ = "cannot listen on " + where + ": " + (rc == EAI_SYSTEM ? errno_text(errno) : ::gai_strerror(rc));
    return core::fail(status::ERROR_IO, error_);
  }
  std::string why = "no address to bind";
  for (addrinfo* ai = list; ai; ai = ai->ai_next) {
    Socket s(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (!s.valid()) {
      why = "socket: " + errno_text(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(s.fd(), ai->ai_addr, ai->ai_addrlen) != 0) {
      why = errno_text(errno);
      continue;
    }
    if (::listen(s.fd(), options_.backlog) != 0) {
      why = "listen: " + errno_text(errno);
      continue;
    }
    Endpoint local = s.local_endpoint();
    listener_ = std::move(s);
    host_ = local.host;
    port_ = local.port;
    break;
  }
  ::freeaddrinfo(list);
  if (!listener_.valid()) {
    error_ = "cannot listen on " + where + ": " + why;
    return core::fail(status::ERROR_IO, error_);  // the cause for callers that see only the status
  }
  return status::SUCCESS;
}

status_t TcpAcceptor::start(Serve serve, Refuse refuse) {
  std::lock_guard lock(mutex_);
  if (!listener_.valid() || started_ || stopping_ || !serve) {
    error_ = !serve ? "no serve callback" : started_ ? "already started" : stopping_ ? "stopped" : "not open";
    return status::ERROR_IO;
  }
  serve_ = std::move(serve);
  refuse_ = std::move(refuse);
  try {
    accept_thread_ = std::thread([this] { accept_loop(); });
  } catch (const std::system_error& e) {
    error_ = std::string("cannot start the accept thread: ") + e.what();
    return status::ERROR_ALLOC;
  }
  started_ = true;
  error_.clear();
  return status::SUCCESS;
}

void TcpAcceptor::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& c : connections_)
      if (!c->done) c->socket->shutdown();
  }
  stop_.wake();
}

void TcpAcceptor::stop() {
  std::lock_guard serialize(stop_mutex_);
  shutdown();
  if (accept_thread_.joinable()) accept_thread_.join();
  listener_.close();
  std::list<std::unique_ptr<Connection>> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(connections_);
  }
  for (auto& c : all)
    if (c->thread.joinable()) c->thread.join();
  std::lock_guard lock(mutex_);
  stopped_ = true;
}

std::size_t TcpAcceptor::connection_count() const {
  std::lock_guard lock(mutex_);
  return live_;
}

std::uint64_t TcpAcceptor::refused_count() const noexcept {
  std::uint64_t n = 0;
  for (auto& r : refused_) n += r.load();
  return n;
}

std::uint64_t TcpAcceptor::refused_count(Refusal reason) const noexcept { return refused_[index_of(reason)].load(); }

bool TcpAcceptor::wait(int fd, core::Deadline deadline) {
  for (;;) {
    pollfd fds[3] = {{stop_.fd(), POLLIN, 0}, {reaped_.fd(), POLLIN, 0}, {fd, POLLIN, 0}};
    int n = ::poll(fds, fd >= 0 ? 3 : 2, deadline.poll_ms());
    if (n < 0) {
      if (errno == EINTR) continue;
      // poll itself failed (ENOMEM): do not turn that into a busy loop either.
      std::this_thread::sleep_for(std::chrono::milliseconds(first_backoff_ms));
      return !stop_.woken();
    }
    return (fds[0].revents & POLLIN) == 0;
  }
}

void TcpAcceptor::accept_loop() {
  std::uint32_t backoff_ms = 0;
  for (;;) {
    reap();
    if (stop_.woken()) return;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = ::accept4(listener_.fd(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      backoff_ms = 0;
      admit(Socket(fd), to_endpoint(ss), to_address(ss).value_or(IpAddress{}));
      continue;
    }
    const int e = errno;
    if (e == EINTR || e == ECONNABORTED) continue;  // a connection reset while queued: gone, next
    if (e == EAGAIN || e == EWOULDBLOCK) {
      if (!wait(listener_.fd(), core::Deadline::never())) return;
      continue;
    }
    // EMFILE/ENFILE/ENOBUFS/ENOMEM (or anything unexpected): the connection stays queued and the
    // listener stays readable, so retrying at once would spin. Wait, but wake early when a
    // connection ends (its descriptors are freed by the reap) or on stop.
    ++accept_failures_;
    backoff_ms = backoff_ms == 0 ? first_backoff_ms : std::min(backoff_ms * 2, max_backoff_ms);
    if (!wait(-1, core::Deadline::after_ms(backoff_ms))) return;
  }
}

void TcpAcceptor::admit(Socket socket, const Endpoint& peer, const IpAddress& address) {
  if (!options_.allow.empty() && (peer.host.empty() || !options_.allow.allows(address))) {
    refuse(socket, Refusal::not_allowed, peer);
    return;
  }
  if (options_.nodelay) socket.set_nodelay(true);
  Endpoint local = socket.local_endpoint();
  std::unique_ptr<Connection> owned;
  try {
    owned = std::make_unique<Connection>();
    owned->socket = std::make_shared<Socket>(std::move(socket));
    owned->address = address;
  } catch (const std::bad_alloc&) {
    if (owned && owned->socket) socket = std::move(*owned->socket);
    refuse(socket, Refusal::too_many, peer);
    return;
  }
  Connection* c = owned.get();
  std::optional<Refusal> refusal;
  room_after_closing(address);
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;  // closes the socket
    auto count = per_address_.find(address);
    if (live_ >= options_.max_connections) {
      refusal = Refusal::too_many;
    } else if (count != per_address_.end() && count->second >= options_.max_per_address) {
      refusal = Refusal::too_many_from_address;
    } else {
      const std::uint64_t id = next_id_++;
      bool counted = false;
      try {
        ++per_address_[address];  // may allocate: before anything that would need undoing
        counted = true;
        connections_.push_back(std::move(owned));
        c->thread = std::thread([this, c, id, peer, local] {
          ConnectionInfo info{id, peer, local, stop_};
          run(*c, info);
        });
        ++live_;
      } catch (const std::exception&) {  // no thread (EAGAIN) or no memory: refuse this one
        if (counted) {
          auto slot = per_address_.find(address);
          if (--slot->second == 0) per_address_.erase(slot);
        }
        if (!owned && !connections_.empty() && connections_.back().get() == c) {
          owned = std::move(connections_.back());
          connections_.pop_back();
        }
        refusal = Refusal::too_many;
      }
    }
  }
  if (refusal && owned) refuse(*owned->socket, *refusal, peer);
}

bool TcpAcceptor::room_after_closing(const IpAddress& address) {
  // A connection counts until its thread has seen the client's close. A client that opens and
  // closes at once (a raw-socket open sends nothing) can run ahead of those threads and would be
  // refused for connections it has already closed; a client past a limit with live connections
  // is still refused at once.
  const auto deadline = core::Deadline::after_ms(closing_grace_ms);
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      auto count = per_address_.find(address);
      const bool total_full = live_ >= options_.max_connections;
      const bool address_full = count != per_address_.end() && count->second >= options_.max_per_address;
      if (!total_full && !address_full) return true;
      bool closing = false;
      for (auto& c : connections_) {
        if (c->done || (!total_full && c->address != address)) continue;
        if (peer_closed(*c->socket)) {
          closing = true;
          break;
        }
      }
      if (!closing || stopping_) return false;
    }
    if (deadline.expired() || !wait(-1, deadline)) return false;
    reap();
  }
}

void TcpAcceptor::refuse(Socket& socket, Refusal reason, const Endpoint& peer) {
  ++refused_[index_of(reason)];
  if (refuse_) {
    try {
      refuse_(socket, RefusalInfo{reason, peer, core::Deadline::after_ms(options_.refuse_timeout_ms)});
    } catch (...) {
      // The protocol's message is a courtesy; the refusal itself stands.
    }
  }
  // Half-close, then read away what the client already sent: a close with unread input makes TCP
  // answer with RST (RFC 1122 §4.2.2.13), which can destroy the error message before the client
  // reads it. Bounded: only what is there now.
  if (socket.valid()) {
    ::shutdown(socket.fd(), SHUT_WR);
    std::byte sink[4096];
    for (int i = 0; i < max_drain_reads; ++i) {
      std::size_t n = 0;
      if (socket.recv_available(sink, n) != status::SUCCESS || n == 0) break;
    }
  }
  socket.close();
}

void TcpAcceptor::run(Connection& c, const ConnectionInfo& info) {
  try {
    serve_(c.socket, info);
  } catch (...) {
    // A serve callback that throws ends its connection, not the server.
  }
  c.socket->shutdown();  // the peer sees the close now, not when the thread is reaped
  {
    std::lock_guard lock(mutex_);
    c.done = true;
    --live_;
    auto count = per_address_.find(c.address);
    if (count != per_address_.end() && --count->second == 0) per_address_.erase(count);
  }
  reaped_.wake();
}

void TcpAcceptor::reap() {
  reaped_.reset();  // before the scan: a connection that ends during it wakes the next wait
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
  for (auto& c : finished)
    if (c->thread.joinable()) c->thread.join();
}

}  // namespace cppvisa::net
