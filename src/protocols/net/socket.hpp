// net: small POSIX TCP/UDP helpers with deadlines, returning VISA statuses.
//
// Every blocking call takes a core::Deadline and, optionally, a Waker another thread can use to
// cancel it (ERROR_ABORT). Sockets are non-blocking underneath; waits are poll() calls.
// Status conventions: ERROR_TMO (deadline), ERROR_CONN_LOST (peer closed or reset),
// ERROR_ABORT (woken), ERROR_RSRC_NFOUND (connect refused / host unknown / unreachable),
// ERROR_IO (anything else).
#pragma once

#include "core/deadline.hpp"

#include <cppvisa/status.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace cppvisa::net {

/// A host (numeric form, no brackets) and a port.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

/// "host:port" or "[v6]:port" -> Endpoint (the host may be a name). False when malformed.
bool parse_host_port(std::string_view text, Endpoint& out);
/// The host as it appears in a resource name or URL: IPv6 literals get brackets.
std::string host_for_display(std::string_view host);
/// The host with surrounding brackets removed ("[::1]" -> "::1").
std::string strip_brackets(std::string_view host);

/// An eventfd another thread can signal to make blocking calls that watch it return ERROR_ABORT.
/// Stays signalled until reset().
class Waker {
 public:
  Waker();
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;
  void wake() noexcept;
  void reset() noexcept;
  bool woken() const noexcept;
  int fd() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

/// Waits until `fd` has any of `events` (POLLIN/POLLOUT), the deadline, or the waker.
/// Returns SUCCESS, ERROR_TMO, ERROR_ABORT or ERROR_IO.
status_t wait_fd(int fd, short events, core::Deadline deadline, const Waker* cancel);

/// A connected TCP socket (move-only, closes on destruction).
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) noexcept : fd_(fd) {}
  ~Socket() { close(); }
  Socket(Socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  bool valid() const noexcept { return fd_ >= 0; }
  int fd() const noexcept { return fd_; }
  void close() noexcept;
  /// shutdown(SHUT_RDWR): wakes calls blocked on this socket in other threads (they get CONN_LOST).
  void shutdown() noexcept;

  /// Sends everything (or fails). `sent` (optional) gets the bytes sent, also on error.
  status_t send_all(std::span<const std::byte> data, core::Deadline deadline, std::size_t* sent = nullptr,
                    const Waker* cancel = nullptr);
  /// Sends the parts one after the other, gathered (sendmsg): a header and a large payload leave
  /// in one call without being copied together first. `sent` as above (all parts together).
  status_t send_all(std::span<const std::span<const std::byte>> parts, core::Deadline deadline,
                    std::size_t* sent = nullptr, const Waker* cancel = nullptr);
  /// Receives 1..buffer.size() bytes. Peer closed -> ERROR_CONN_LOST.
  status_t recv_some(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count,
                     const Waker* cancel = nullptr);
  /// Receives exactly buffer.size() bytes.
  status_t recv_exact(std::span<std::byte> buffer, core::Deadline deadline, const Waker* cancel = nullptr);
  /// Receives whatever is available now without waiting (0 when nothing). ERROR_CONN_LOST when closed.
  status_t recv_available(std::span<std::byte> buffer, std::size_t& count);
  /// Whether bytes are waiting to be read right now.
  bool readable_now() const noexcept;

  status_t set_nodelay(bool on) noexcept;
  /// SO_KEEPALIVE (with 60 s idle / 60 s interval / 5 probes when on, as pyvisa-py uses).
  status_t set_keepalive(bool on) noexcept;
  Endpoint local_endpoint() const;
  Endpoint peer_endpoint() const;

 private:
  int fd_ = -1;
};

/// Connects to host:port within `deadline` (its own open timeout). The host may be a name, an
/// IPv4 literal or an IPv6 literal (with or without brackets). Refused/unreachable/unknown ->
/// ERROR_RSRC_NFOUND; deadline -> ERROR_TMO.
status_t connect_tcp(std::string_view host, std::uint16_t port, core::Deadline deadline, Socket& out,
                     const Waker* cancel = nullptr);

/// A listening TCP socket.
class TcpListener {
 public:
  /// Binds host:port (port 0 = any free port) and listens. ERROR_IO (address in use, bad host).
  status_t open(std::string_view host, std::uint16_t port, int backlog = 32);
  bool valid() const noexcept { return socket_.valid(); }
  /// The bound port (useful after binding port 0).
  std::uint16_t port() const noexcept { return port_; }
  const std::string& host() const noexcept { return host_; }
  /// Accepts one connection (non-blocking socket). ERROR_TMO / ERROR_ABORT / ERROR_IO.
  status_t accept(Socket& out, core::Deadline deadline, const Waker* cancel = nullptr);
  void close() noexcept { socket_.close(); }

 private:
  Socket socket_;
  std::string host_;
  std::uint16_t port_ = 0;
};

/// A bound UDP socket.
class UdpSocket {
 public:
  status_t open(std::string_view host, std::uint16_t port);
  bool valid() const noexcept { return socket_.valid(); }
  std::uint16_t port() const noexcept { return port_; }
  /// The descriptor, for socket options (multicast interface, broadcast) and poll().
  int fd() const noexcept { return socket_.fd(); }
  /// Receives one datagram (truncated to the buffer). ERROR_TMO / ERROR_ABORT / ERROR_IO.
  status_t recv_from(std::span<std::byte> buffer, std::size_t& count, Endpoint& from, core::Deadline deadline,
                     const Waker* cancel = nullptr);
  status_t send_to(std::span<const std::byte> data, const Endpoint& to);
  void close() noexcept { socket_.close(); }

 private:
  Socket socket_;
  std::uint16_t port_ = 0;
};

}  // namespace cppvisa::net
