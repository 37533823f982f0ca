// net::TcpAcceptor: the one TCP accept loop of every server here (ONC RPC / VXI-11, raw socket,
// HiSLIP): listener, accept thread, one thread per connection, and safe-by-default admission.
//
// Admission, in this order, at accept time: the peer must be in the allow list (empty = anyone),
// fewer than max_connections connections may be open, fewer than max_per_address from the
// peer's address (IPv4 and IPv4-mapped IPv6 count as one address). A refused connection gets the
// optional refuse callback (the protocol's error message) and is closed at once; it never gets a
// thread. accept() failures (out of descriptors, ENOBUFS, ...) back off 50 ms doubling to 1 s
// (reset by the next success) instead of spinning on the pending connection. Finished
// connections are joined as soon as they end, not at the next accept. Nothing is logged: the
// counters say what happened.
#pragma once

#include "core/deadline.hpp"
#include "protocols/net/address_filter.hpp"
#include "protocols/net/socket.hpp"

#include <cppvisa/status.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <sys/socket.h>  // SOMAXCONN

namespace cppvisa::net {

/// How long a server keeps a connection on which the client sends nothing (ms; every server's
/// Options::idle_timeout_ms, visa-serve's --idle-timeout): idle connections must not hold the
/// connection limits forever. 0 = never.
inline constexpr std::uint32_t default_idle_timeout_ms = 600000;

class TcpAcceptor {
 public:
  struct Options {
    std::string host = "127.0.0.1";   ///< numeric address or name; "::" or "0.0.0.0" for all
    std::uint16_t port = 0;           ///< 0 = any free port (see port())
    /// Connections the kernel completes before accept() takes them. A client that connects and
    /// closes without waiting for the server (a raw-socket open sends nothing) can run ahead of
    /// the accept thread; past the backlog the kernel drops its SYN and the client retries after
    /// TCP's 1 s initial retransmission timeout (RFC 6298 §2.1). Capped by net.core.somaxconn.
    int backlog = SOMAXCONN;
    std::size_t max_connections = 64;  ///< open at once; more are refused (Refusal::too_many). At least 1.
    std::size_t max_per_address = 16;  ///< open at once from one client address. At least 1.
    AddressFilter allow;               ///< empty = every client
    bool nodelay = true;               ///< TCP_NODELAY on accepted connections
    std::uint32_t refuse_timeout_ms = 200;  ///< the deadline the refuse callback gets for its error message
  };

  enum class Refusal {
    not_allowed,            ///< the peer is not in Options::allow
    too_many,               ///< max_connections are open
    too_many_from_address,  ///< max_per_address are open from the peer's address
  };

  /// What a serve callback knows about its connection.
  struct ConnectionInfo {
    std::uint64_t id;  ///< unique per acceptor, from 1
    Endpoint peer;     ///< as accept() reported it (a dual-stack listener shows ::ffff:a.b.c.d)
    Endpoint local;
    const Waker& stop;  ///< woken by shutdown()/stop(): pass it as `cancel` to blocking calls
  };

  /// What a refuse callback knows.
  struct RefusalInfo {
    Refusal reason;
    Endpoint peer;
    core::Deadline deadline;  ///< Options::refuse_timeout_ms from now: every send must use it
  };

  /// Serves one connection on its own thread; the connection ends when it returns. The socket may
  /// be shared (copy the pointer, e.g. for a second thread sending on it) but must not be closed
  /// or moved from: the acceptor shuts it down on stop() from another thread, and shuts it down
  /// when serve returns (the peer sees the close then); the descriptor is closed when the last
  /// pointer goes.
  using Serve = std::function<void(const std::shared_ptr<Socket>& socket, const ConnectionInfo& info)>;
  /// Says why to a refused client, on the accept thread: keep it to one short send within
  /// info.deadline. The acceptor then shuts the connection down and closes it.
  using Refuse = std::function<void(Socket& socket, const RefusalInfo& info)>;

  TcpAcceptor();
  /// stop()s.
  ~TcpAcceptor();
  TcpAcceptor(const TcpAcceptor&) = delete;
  TcpAcceptor& operator=(const TcpAcceptor&) = delete;

  /// Binds and listens. ERROR_IO when the host does not resolve or no address can be bound;
  /// error() then says why ("cannot listen on 127.0.0.1:5025: Address already in use").
  status_t open(const Options& options);
  /// Why the last open() or start() failed ("" after a success).
  const std::string& error() const noexcept { return error_; }
  bool is_open() const noexcept { return listener_.valid(); }

  /// Starts the accept thread. ERROR_IO when not open, already started or stopped; ERROR_ALLOC
  /// when no thread can be created.
  status_t start(Serve serve, Refuse refuse = {});

  /// Stops accepting and shuts every connection down (blocked recv/send calls on them return,
  /// the stop waker is woken), without waiting: a server can then abort what its connection
  /// threads wait for (a device call) before stop() joins them. Idempotent.
  void shutdown();
  /// shutdown(), then joins the accept thread and every connection thread and closes the
  /// listener. Idempotent, safe from several threads; never from a serve callback. An acceptor
  /// that stopped cannot be opened again.
  void stop();

  /// The bound port (useful after port 0) and address.
  std::uint16_t port() const noexcept { return port_; }
  const std::string& host() const noexcept { return host_; }
  const Options& options() const noexcept { return options_; }

  /// Connections being served now (a connection counts until its serve callback returns).
  std::size_t connection_count() const;
  /// Connections refused so far, in total and for one reason.
  std::uint64_t refused_count() const noexcept;
  std::uint64_t refused_count(Refusal reason) const noexcept;
  /// accept() calls that failed with something other than "nothing pending" (EMFILE, ENFILE,
  /// ENOBUFS, ENOMEM, ...), each followed by a back-off.
  std::uint64_t accept_failures() const noexcept { return accept_failures_.load(); }

 private:
  struct Connection {
    std::shared_ptr<Socket> socket;
    std::thread thread;
    IpAddress address;
    bool done = false;  // guarded by mutex_
  };

  void accept_loop();
  // Waits for `fd` (-1: none) readable, the reap waker or the deadline; false when stopping.
  bool wait(int fd, core::Deadline deadline);
  void admit(Socket socket, const Endpoint& peer, const IpAddress& address);
  void refuse(Socket& socket, Refusal reason, const Endpoint& peer);
  void run(Connection& c, const ConnectionInfo& info);
  void reap();
  // At a limit for `address`, waits (at most closing_grace_ms) while connections whose client
  // has already closed end; true when there is room then.
  bool room_after_closing(const IpAddress& address);

  Options options_;
  Socket listener_;
  std::string host_, error_;
  std::uint16_t port_ = 0;
  Serve serve_;
  Refuse refuse_;
  Waker stop_, reaped_;
  std::thread accept_thread_;
  std::mutex stop_mutex_;  // serializes stop()
  mutable std::mutex mutex_;
  std::list<std::unique_ptr<Connection>> connections_;  // live and finished-but-not-joined
  std::map<IpAddress, std::size_t> per_address_;        // live connections per client address
  std::size_t live_ = 0;
  std::uint64_t next_id_ = 1;
  bool started_ = false, stopping_ = false, stopped_ = false;
  std::array<std::atomic<std::uint64_t>, 3> refused_{};
  std::atomic<std::uint64_t> accept_failures_{0};
};

}  // namespace cppvisa::net
