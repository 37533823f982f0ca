// raw_socket::SocketServer: serves a server::ServedDevice as a raw SCPI socket (protocols.md §4.1):
// bytes from a client go to the device (a chunk ending in LF is written with END), and whatever
// the device outputs goes back to the client. A raw socket has no framing: the server polls the
// device for output after each write, first at once and then with a backoff up to
// Options::poll_interval_ms, for as long as the connection is open. With several clients, only
// the connection that wrote last collects the device's output (as an instrument answers the
// connection that asked).
#pragma once

#include "protocols/net/socket.hpp"
#include "server/served_device.hpp"

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace cppvisa::raw_socket {

class SocketServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;               ///< 0 = any free port
    std::size_t max_connections = 16;     ///< more are accepted and closed at once
    std::uint32_t poll_interval_ms = 20;  ///< longest wait between two polls of the device for output
  };

  SocketServer(std::shared_ptr<server::ServedDevice> device, Options options);
  ~SocketServer();
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;

  /// Binds and starts serving. ERROR_IO when the port cannot be bound.
  status_t start();
  /// Closes every connection and joins all threads. Idempotent.
  void stop();
  std::uint16_t port() const noexcept { return listener_.port(); }
  const std::string& host() const noexcept { return options_.host; }
  /// Open client connections (for tests).
  std::size_t connection_count() const;

 private:
  struct Connection {
    net::Socket socket;
    std::thread thread;
    std::atomic<bool> done{false};
    std::uint64_t id = 0;
  };
  void accept_loop();
  /// Writes `data` to the device, one NL-terminated program message per write (called with device_mutex_ held).
  void write_messages(std::span<const std::byte> data);
  void serve(Connection& c);
  void reap_finished();

  std::shared_ptr<server::ServedDevice> device_;
  Options options_;
  net::TcpListener listener_;
  net::Waker stop_;
  std::thread accept_thread_;
  mutable std::mutex mutex_;
  std::list<std::unique_ptr<Connection>> connections_;
  bool stopped_ = false;
  std::uint64_t next_id_ = 1;
  // The connection that wrote last, and the lock that makes "write and become the last writer"
  // and "check that we are the last writer and collect output" atomic with respect to each other.
  std::mutex device_mutex_;
  std::uint64_t last_writer_ = 0;
};

}  // namespace cppvisa::raw_socket
