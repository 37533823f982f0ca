// testing::FaultProxy: a loopback TCP proxy that injects faults into what a server sends its
// client (issue #12 point 4): delay, every write split into 1-byte segments, stall, reset after N
// bytes, truncate (clean close) after N bytes, corrupt chosen bytes, duplicate a segment. The
// client connects to port(); every connection gets its own connection to the upstream port.
//
// A fault is armed for the server->client bytes (or, Fault::to_server(), for the client->server
// bytes) from the moment of arm() on: offsets and counts start at 0 there, on every connection,
// so that a test arms it between a write and the read of its answer and hits exactly the answer
// (or arms it before a write and hits exactly the request). The other direction passes unchanged.
//
// Thread-per-connection and blocking calls with short poll slices: small and obvious beats fast
// here (it is test scaffolding; a soak run opens a few thousand connections at most). Finished
// connections are reaped by the accept loop, so that the proxy itself holds no descriptor or
// thread for a connection that has ended.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cppvisa::testing {

struct Fault {
  enum class Kind {
    none,       ///< bytes pass unchanged
    delay,      ///< every segment waits delay_ms before it is passed on
    split,      ///< every segment is passed on as 1-byte segments (delay_ms apart: a trickle)
    stall,      ///< `after` bytes pass, then nothing more (the connection stays open)
    reset,      ///< `after` bytes pass, then both connections are reset (RST)
    truncate,   ///< `after` bytes pass, then both connections are closed (FIN)
    corrupt,    ///< the bytes at `offsets` are inverted
    duplicate,  ///< the segment holding byte `after` is passed on twice
  };
  Kind kind = Kind::none;
  std::size_t skip = 0;  ///< bytes passed unchanged before the fault starts (and its counting)
  std::size_t after = 0;
  std::uint32_t delay_ms = 0;
  std::set<std::size_t> offsets;
  bool upstream = false;  ///< damages what the client sends the server instead

  static Fault none() { return {}; }
  static Fault make_delay(std::uint32_t ms) { return {Kind::delay, 0, 0, ms, {}, false}; }
  static Fault make_split() { return {Kind::split, 0, 0, 0, {}, false}; }
  static Fault make_trickle(std::uint32_t ms_per_byte) { return {Kind::split, 0, 0, ms_per_byte, {}, false}; }
  static Fault make_stall(std::size_t after) { return {Kind::stall, 0, after, 0, {}, false}; }
  static Fault make_reset(std::size_t after) { return {Kind::reset, 0, after, 0, {}, false}; }
  static Fault make_truncate(std::size_t after) { return {Kind::truncate, 0, after, 0, {}, false}; }
  static Fault make_corrupt(std::set<std::size_t> offsets) {
    return {Kind::corrupt, 0, 0, 0, std::move(offsets), false};
  }
  static Fault make_duplicate(std::size_t after = 0) { return {Kind::duplicate, 0, after, 0, {}, false}; }
  /// The same fault, starting after `bytes` unchanged bytes.
  Fault to_server() const {
    Fault f = *this;
    f.upstream = true;
    return f;
  }
  Fault skipping(std::size_t bytes) const {
    Fault f = *this;
    f.skip = bytes;
    return f;
  }
};

inline const char* fault_name(Fault::Kind k) {
  switch (k) {
    case Fault::Kind::none: return "none";
    case Fault::Kind::delay: return "delay";
    case Fault::Kind::split: return "split";
    case Fault::Kind::stall: return "stall";
    case Fault::Kind::reset: return "reset";
    case Fault::Kind::truncate: return "truncate";
    case Fault::Kind::corrupt: return "corrupt";
    case Fault::Kind::duplicate: return "duplicate";
  }
  return "?";
}

class FaultProxy {
 public:
  /// Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:upstream_port.
  explicit FaultProxy(std::uint16_t upstream_port) : upstream_(upstream_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listener_, 64) != 0)
      return;
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~FaultProxy() { stop(); }
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const noexcept { return port_; }

  /// Applies `fault` to the server->client bytes from now on (counting from 0 on every connection).
  void arm(Fault fault) {
    std::lock_guard lock(mutex_);
    fault_ = std::move(fault);
    ++generation_;
  }
  void disarm() { arm(Fault::none()); }

  /// Connections accepted so far, and open now.
  std::size_t accepted() const noexcept { return accepted_.load(); }
  std::size_t open_connections() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (auto& c : connections_) n += c->done ? 0 : 1;
    return n;
  }

  void stop() {
    if (stopping_.exchange(true)) return;
    if (accept_thread_.joinable()) accept_thread_.join();
    if (listener_ >= 0) ::close(listener_);
    listener_ = -1;
    std::list<std::unique_ptr<Connection>> all;
    {
      std::lock_guard lock(mutex_);  // not held while joining: the pumps take it
      all.swap(connections_);
    }
    for (auto& c : all) c->join();
  }

 private:
  struct Connection {
    int client = -1, server = -1;
    std::thread up, down;
    std::atomic<int> running{2};
    std::atomic<bool> up_done{false}, down_done{false};
    std::atomic<bool> done{false};
    void join() {
      if (up.joinable()) up.join();
      if (down.joinable()) down.join();
      if (client >= 0) ::close(client);
      if (server >= 0) ::close(server);
      client = server = -1;
    }
  };

  static constexpr int slice_ms = 20;

  // Waits until `fd` is readable; false when stopping or the wait failed.
  bool readable(int fd) {
    while (!stopping_) {
      pollfd p{fd, POLLIN, 0};
      int n = ::poll(&p, 1, slice_ms);
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return false;
    }
    return false;
  }

  static bool send_all(int fd, const std::uint8_t* data, std::size_t size) {
    while (size > 0) {
      ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }

  void accept_loop() {
    while (!stopping_) {
      reap();
      if (!readable(listener_)) continue;
      int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(upstream_);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(client);
        if (server >= 0) ::close(server);
        continue;
      }
      int one = 1;
      ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ++accepted_;
      auto c = std::make_unique<Connection>();
      c->client = client;
      c->server = server;
      Connection* raw = c.get();
      c->up = std::thread([this, raw] { pump_up(*raw); });
      c->down = std::thread([this, raw] { pump_down(*raw); });
      std::lock_guard lock(mutex_);
      connections_.push_back(std::move(c));
    }
  }

  void reap() {
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
    for (auto& c : finished) c->join();
  }

  void finished(Connection& c) {
    if (--c.running == 0) c.done = true;
  }

  void pump_up(Connection& c) { pump(c, true); }
  void pump_down(Connection& c) { pump(c, false); }

  // One direction (client -> server when `up`), through the armed fault when it is for this
  // direction, unchanged otherwise.
  void pump(Connection& c, bool up) {
    int& from = up ? c.client : c.server;
    int& to = up ? c.server : c.client;
    std::atomic<bool>& my_done = up ? c.up_done : c.down_done;
    std::atomic<bool>& other_done = up ? c.down_done : c.up_done;
    std::uint8_t buffer[16384];
    std::uint64_t generation = 0;
    std::size_t count = 0;  // bytes since the fault started
    std::size_t skip_left = 0;
    bool stalled = false;
    std::vector<std::uint8_t> held;  // what a stall kept back, passed on when the fault changes
    Fault fault;
    auto refresh = [&] {
      std::lock_guard lock(mutex_);
      if (generation == generation_) return true;
      generation = generation_;
      fault = fault_.upstream == up ? fault_ : Fault::none();
      count = 0;
      skip_left = fault.skip;
      stalled = false;
      bool ok = send_all(to, held.data(), held.size());
      held.clear();
      return ok;
    };
    for (;;) {
      if (!refresh()) break;
      if (stalled) {  // hold the connection open and pass nothing, until the fault changes or stop
        if (stopping_) break;
        pollfd p{to, POLLRDHUP, 0};
        if (::poll(&p, 1, slice_ms) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) break;
        continue;
      }
      if (!readable(from)) break;
      if (!refresh()) break;  // armed while this thread waited: the new fault applies to these bytes
      ssize_t got = ::recv(from, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      std::size_t n = static_cast<std::size_t>(got);
      std::uint8_t* data = buffer;
      if (skip_left > 0) {  // unchanged
        std::size_t pass = std::min(n, skip_left);
        if (!send_all(to, data, pass)) break;
        skip_left -= pass;
        data += pass;
        n -= pass;
        if (n == 0) continue;
      }
      bool ok = true;
      switch (fault.kind) {
        case Fault::Kind::none: ok = send_all(to, data, n); break;
        case Fault::Kind::delay:
          std::this_thread::sleep_for(std::chrono::milliseconds(fault.delay_ms));
          ok = send_all(to, data, n);
          break;
        case Fault::Kind::split:
          for (std::size_t i = 0; ok && i < n; ++i) {
            ok = send_all(to, data + i, 1);
            // Separate segments, separate reads; a trickle waits longer.
            if (fault.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(fault.delay_ms));
            else std::this_thread::sleep_for(std::chrono::microseconds(200));
          }
          break;
        case Fault::Kind::stall:
        case Fault::Kind::reset:
        case Fault::Kind::truncate: {
          std::size_t pass = count >= fault.after ? 0 : std::min(n, fault.after - count);
          ok = send_all(to, data, pass);
          if (pass < n) {
            if (fault.kind == Fault::Kind::stall) {
              stalled = true;
              held.assign(data + pass, data + n);
            } else if (fault.kind == Fault::Kind::truncate) {
              ::shutdown(c.client, SHUT_RDWR);
              ::shutdown(c.server, SHUT_RDWR);
              ok = false;
            } else {
              // A close with SO_LINGER 0 sends RST (RFC 793 "abort"); shutdown() would send FIN.
              // The other pump must be out of the descriptors first.
              ::shutdown(from, SHUT_RD);
              ::shutdown(to, SHUT_RD);
              while (!other_done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
              linger l{1, 0};
              ::setsockopt(c.client, SOL_SOCKET, SO_LINGER, &l, sizeof l);
              ::setsockopt(c.server, SOL_SOCKET, SO_LINGER, &l, sizeof l);
              ::close(c.client);
              ::close(c.server);
              c.client = c.server = -1;
              ok = false;
            }
          }
          break;
        }
        case Fault::Kind::corrupt:
          for (std::size_t i = 0; i < n; ++i)
            if (fault.offsets.count(count + i)) data[i] ^= 0xFF;
          ok = send_all(to, data, n);
          break;
        case Fault::Kind::duplicate:
          ok = send_all(to, data, n);
          if (ok && count <= fault.after && fault.after < count + n) ok = send_all(to, data, n);
          break;
      }
      count += n;
      if (!ok) break;
    }
    if (to >= 0) ::shutdown(to, SHUT_WR);
    if (from >= 0) ::shutdown(from, SHUT_RD);
    my_done = true;
    finished(c);
  }

  std::uint16_t upstream_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> accepted_{0};
  std::thread accept_thread_;
  mutable std::mutex mutex_;
  std::list<std::unique_ptr<Connection>> connections_;
  Fault fault_;
  std::uint64_t generation_ = 0;
};

}  // namespace cppvisa::testing
