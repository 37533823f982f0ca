#include "protocols/net/socket.hpp"

#include "core/error_detail.hpp"
#include "core/log.hpp"
#include "protocols/net/sockaddr.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace cppvisa::net {

namespace {

bool set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL, 0);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// getaddrinfo for host:port. Returns the list (caller frees) or nullptr; `error` gets why.
addrinfo* resolve(std::string_view host, std::uint16_t port, int socktype, bool passive, std::string* error = nullptr) {
  std::string h = strip_brackets(host);
  std::string service = std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* result = nullptr;
  if (int rc = ::getaddrinfo(h.empty() ? nullptr : h.c_str(), service.c_str(), &hints, &result); rc != 0) {
    if (error)
      *error = fmt::format("host '{}' did not resolve: {}", h, rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc));
    return nullptr;
  }
  return result;
}

}  // namespace

bool parse_host_port(std::string_view text, Endpoint& out) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return false;  // bare IPv6 needs brackets
  }
  if (host.empty() || port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return false;
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(value);
  return true;
}

std::string strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::string(host);
}

std::string host_for_display(std::string_view host) {
  std::string h = strip_brackets(host);
  if (h.find(':') != std::string::npos) return "[" + h + "]";
  return h;
}

// ---- Waker ----

Waker::Waker() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
Waker::~Waker() {
  if (fd_ >= 0) ::close(fd_);
}
void Waker::wake() noexcept {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
}
void Waker::reset() noexcept {
  std::uint64_t value;
  [[maybe_unused]] auto n = ::read(fd_, &value, sizeof value);
}
bool Waker::woken() const noexcept {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

status_t wait_fd(int fd, short events, core::Deadline deadline, const Waker* cancel) {
  for (;;) {
    pollfd fds[2] = {{fd, events, 0}, {cancel ? cancel->fd() : -1, POLLIN, 0}};
    int n = ::poll(fds, cancel ? 2 : 1, deadline.poll_ms());
    if (n < 0) {
      if (errno == EINTR) continue;
      return status::ERROR_IO;
    }
    if (cancel && (fds[1].revents & POLLIN)) return status::ERROR_ABORT;
    if (n > 0 && fds[0].revents) return status::SUCCESS;  // also POLLERR/POLLHUP: the I/O call tells
    if (deadline.expired()) return status::ERROR_TMO;
  }
}

// ---- Socket ----

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

void Socket::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Socket::shutdown() noexcept {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

status_t Socket::send_all(std::span<const std::byte> data, core::Deadline deadline, std::size_t* sent,
                          const Waker* cancel) {
  const std::span<const std::byte> one[] = {data};  // sendmsg of one part costs what send does
  return send_all(std::span<const std::span<const std::byte>>(one), deadline, sent, cancel);
}

status_t Socket::send_all(std::span<const std::span<const std::byte>> parts, core::Deadline deadline,
                          std::size_t* sent, const Waker* cancel) {
  constexpr std::size_t max_parts = 8;  // a header, a payload and its padding need 2
  if (parts.size() > max_parts) {       // more than the callers use: one part at a time
    std::size_t done = 0;
    status_t st = status::SUCCESS;
    for (auto part : parts) {
      std::size_t n = 0;
      st = send_all(part, deadline, &n, cancel);
      done += n;
      if (st != status::SUCCESS) break;
    }
    if (sent) *sent = done;
    return st;
  }
  std::size_t total = 0;
  for (auto part : parts) total += part.size();
  std::size_t done = 0;
  status_t st = status::SUCCESS;
  while (done < total) {
    // The iovecs of what is left: skip the parts (and the start of the part) already sent.
    iovec iov[max_parts];
    int count = 0;
    std::size_t skip = done;
    for (auto part : parts) {
      if (skip >= part.size()) {
        skip -= part.size();
        continue;
      }
      iov[count].iov_base = const_cast<std::byte*>(part.data() + skip);
      iov[count].iov_len = part.size() - skip;
      ++count;
      skip = 0;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<decltype(msg.msg_iovlen)>(count);
    ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      st = wait_fd(fd_, POLLOUT, deadline, cancel);
      if (st != status::SUCCESS) break;
      continue;
    }
    const int err = n < 0 ? errno : 0;
    st = (err == EPIPE || err == ECONNRESET || err == ENOTCONN) ? status::ERROR_CONN_LOST : status::ERROR_IO;
    if (fd_ < 0) st = status::ERROR_CONN_LOST;
    if (err) core::fail_errno(st, "send to the peer", err);
    break;
  }
  if (sent) *sent = done;
  return st;
}

status_t Socket::recv_some(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count,
                           const Waker* cancel) {
  count = 0;
  for (;;) {
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      count = static_cast<std::size_t>(n);
      return status::SUCCESS;
    }
    if (n == 0) return core::fail(status::ERROR_CONN_LOST, "the peer closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      status_t st = wait_fd(fd_, POLLIN, deadline, cancel);
      if (st != status::SUCCESS) return st;
      continue;
    }
    const int err = errno;
    return core::fail_errno((err == ECONNRESET || err == ENOTCONN || err == EBADF || err == ETIMEDOUT)
                                ? status::ERROR_CONN_LOST
                                : status::ERROR_IO,
                            "receive from the peer", err);
  }
}

status_t Socket::recv_exact(std::span<std::byte> buffer, core::Deadline deadline, const Waker* cancel) {
  std::size_t done = 0;
  while (done < buffer.size()) {
    std::size_t n = 0;
    status_t st = recv_some(buffer.subspan(done), deadline, n, cancel);
    if (st != status::SUCCESS) return st;
    done += n;
  }
  return status::SUCCESS;
}

status_t Socket::recv_available(std::span<std::byte> buffer, std::size_t& count) {
  count = 0;
  for (;;) {
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n > 0) {
      count = static_cast<std::size_t>(n);
      return status::SUCCESS;
    }
    if (n == 0) return status::ERROR_CONN_LOST;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return status::SUCCESS;
    return status::ERROR_CONN_LOST;
  }
}

bool Socket::readable_now() const noexcept {
  int available = 0;
  return fd_ >= 0 && ::ioctl(fd_, FIONREAD, &available) == 0 && available > 0;
}

status_t Socket::set_nodelay(bool on) noexcept {
  int v = on ? 1 : 0;
  return ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) == 0 ? status::SUCCESS : status::ERROR_IO;
}

status_t Socket::set_keepalive(bool on) noexcept {
  int v = on ? 1 : 0;
  if (::setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v) != 0) return status::ERROR_IO;
  if (on) {
    int idle = 60, interval = 60, probes = 5;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
  }
  return status::SUCCESS;
}

Endpoint Socket::local_endpoint() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return to_endpoint(ss);
}

Endpoint Socket::peer_endpoint() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return to_endpoint(ss);
}

status_t connect_tcp(std::string_view host, std::uint16_t port, core::Deadline deadline, Socket& out,
                     const Waker* cancel) {
  std::string why;
  addrinfo* list = resolve(host, port, SOCK_STREAM, false, &why);
  if (!list) return core::fail(status::ERROR_RSRC_NFOUND, why);
  status_t result = status::ERROR_RSRC_NFOUND;
  const std::string target = fmt::format("{}:{}", host_for_display(strip_brackets(host)), port);
  int last_error = 0;
  for (addrinfo* ai = list; ai; ai = ai->ai_next) {
    Socket s(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!s.valid() || !set_nonblocking(s.fd())) {
      last_error = errno;
      continue;
    }
    int rc = ::connect(s.fd(), ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno != EINPROGRESS) {
      last_error = errno;
      continue;
    }
    if (rc != 0) {
      status_t st = wait_fd(s.fd(), POLLOUT, deadline, cancel);
      if (st != status::SUCCESS) {
        result = st == status::ERROR_TMO
                     ? core::fail(st, fmt::format("connect to {}: no answer within the open timeout", target))
                     : core::fail(st, fmt::format("connect to {}: interrupted", target));
        last_error = -1;
        break;
      }
      // pyvisa-py treats "writable" as connected; a refused connection is also writable: check SO_ERROR.
      int error = 0;
      socklen_t len = sizeof error;
      if (::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
        last_error = error ? error : errno;
        continue;
      }
    }
    out = std::move(s);
    result = status::SUCCESS;
    break;
  }
  ::freeaddrinfo(list);
  if (result == status::ERROR_RSRC_NFOUND && last_error > 0)
    core::fail_errno(result, fmt::format("connect to {}", target), last_error);
  CPPVISA_LOG("net", "connect to {}: {}", target, result == status::SUCCESS ? "connected" : core::detail_for(result));
  return result;
}

// ---- TcpListener ----

status_t TcpListener::open(std::string_view host, std::uint16_t port, int backlog) {
  std::string why;
  addrinfo* list = resolve(host, port, SOCK_STREAM, true, &why);
  if (!list) return core::fail(status::ERROR_IO, why);
  status_t result = status::ERROR_IO;
  int last_error = 0;
  for (addrinfo* ai = list; ai; ai = ai->ai_next) {
    Socket s(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!s.valid()) {
      last_error = errno;
      continue;
    }
    int one = 1;
    ::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(s.fd(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(s.fd(), backlog) != 0 ||
        !set_nonblocking(s.fd())) {
      last_error = errno;
      continue;
    }
    Endpoint local = s.local_endpoint();
    socket_ = std::move(s);
    host_ = local.host;
    port_ = local.port;
    result = status::SUCCESS;
    break;
  }
  ::freeaddrinfo(list);
  if (result != status::SUCCESS && last_error > 0)
    core::fail_errno(result, fmt::format("listen on {}:{}", host_for_display(strip_brackets(host)), port), last_error);
  return result;
}

status_t TcpListener::accept(Socket& out, core::Deadline deadline, const Waker* cancel) {
  for (;;) {
    int fd = ::accept4(socket_.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      out = Socket(fd);
      return status::SUCCESS;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      status_t st = wait_fd(socket_.fd(), POLLIN, deadline, cancel);
      if (st != status::SUCCESS) return st;
      continue;
    }
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) return status::ERROR_ALLOC;
    return status::ERROR_IO;
  }
}

// ---- UdpSocket ----

status_t UdpSocket::open(std::string_view host, std::uint16_t port) {
  std::string why;
  addrinfo* list = resolve(host, port, SOCK_DGRAM, true, &why);
  if (!list) return core::fail(status::ERROR_IO, why);
  status_t result = status::ERROR_IO;
  int last_error = 0;
  for (addrinfo* ai = list; ai; ai = ai->ai_next) {
    Socket s(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!s.valid() || ::bind(s.fd(), ai->ai_addr, ai->ai_addrlen) != 0 || !set_nonblocking(s.fd())) {
      last_error = errno;
      continue;
    }
    port_ = s.local_endpoint().port;
    socket_ = std::move(s);
    result = status::SUCCESS;
    break;
  }
  ::freeaddrinfo(list);
  if (result != status::SUCCESS && last_error > 0)
    core::fail_errno(result, fmt::format("UDP on {}:{}", host_for_display(strip_brackets(host)), port), last_error);
  return result;
}

status_t UdpSocket::recv_from(std::span<std::byte> buffer, std::size_t& count, Endpoint& from,
                              core::Deadline deadline, const Waker* cancel) {
  count = 0;
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ssize_t n = ::recvfrom(socket_.fd(), buffer.data(), buffer.size(), MSG_TRUNC, reinterpret_cast<sockaddr*>(&ss),
                           &len);
    if (n >= 0) {
      count = std::min(static_cast<std::size_t>(n), buffer.size());
      from = to_endpoint(ss);
      return status::SUCCESS;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      status_t st = wait_fd(socket_.fd(), POLLIN, deadline, cancel);
      if (st != status::SUCCESS) return st;
      continue;
    }
    if (errno == ECONNREFUSED) continue;  // ICMP from an earlier send_to: not our concern
    return status::ERROR_IO;
  }
}

status_t UdpSocket::send_to(std::span<const std::byte> data, const Endpoint& to) {
  addrinfo* list = resolve(to.host, to.port, SOCK_DGRAM, false);
  if (!list) return status::ERROR_IO;
  ssize_t n = ::sendto(socket_.fd(), data.data(), data.size(), MSG_NOSIGNAL, list->ai_addr, list->ai_addrlen);
  ::freeaddrinfo(list);
  return n == static_cast<ssize_t>(data.size()) ? status::SUCCESS : status::ERROR_IO;
}

Endpoint to_endpoint(const sockaddr_storage& ss) {
  Endpoint e;
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    e.port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    e.port = ntohs(a->sin6_port);
  }
  e.host = text;
  return e;
}

}  // namespace cppvisa::net
