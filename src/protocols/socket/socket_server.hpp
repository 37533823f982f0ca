// raw_socket::SocketServer: serves a server::ServedDevice as a raw SCPI socket (IEEE 488.2 over TCP).
//
// Each connection is one client of the device (its own server::ClientId):
// - bytes from the client go to the device one program message per write: up to an NL (which is
//   written with END; an NL inside a definite-length block is data, see MessageSplitter), the
//   rest of a TCP segment as the start of the next message (without END);
// - output is read only while the device says a response is on its way
//   (ServedDevice::response_pending()), never "to see whether there is something": instruments
//   that flag an empty read fill their error queue with -420 Query UNTERMINATED otherwise. The
//   reads block in slices (Options::read_slice_ms) so that new input from the client and stop()
//   are noticed; new input interrupts the response (IEEE 488.2 §6.3.2.3: the next message is
//   written, the device discards what the client did not wait for). A response that makes no
//   progress for Options::response_timeout_ms is given up until the client writes again;
// - a client under another client's lock (any protocol) waits until the lock is released;
// - a raw socket cannot report an error: when the device refuses a write (read-only serving,
//   VI_ERROR_NSUP_OPER, a device error or timeout) the connection is closed rather than the data
//   dropped silently.
// A connection with no traffic either way for Options::idle_timeout_ms is closed.
// Connections come through net::TcpAcceptor (allow list, limits in total and per client address,
// back-off on accept errors); a refused client is closed at once (a raw socket has no error
// message).
#pragma once

#include "protocols/net/device_server.hpp"
#include "protocols/net/socket.hpp"
#include "server/served_device.hpp"

#include <memory>
#include <string>

namespace cppvisa::raw_socket {

class SocketServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;                  ///< 0 = any free port
    std::size_t max_connections = 16;        ///< open at once; more are accepted and closed at once
    std::size_t max_per_address = 8;         ///< open at once from one client address
    net::AddressFilter allow;                ///< clients allowed (empty: everyone)
    std::uint32_t read_slice_ms = 100;       ///< longest single device read while a response is on its way
    std::uint32_t response_timeout_ms = 10000;  ///< a response with no byte for this long is given up
    std::uint32_t write_timeout_ms = 10000;  ///< a device write (and its wait for the device) longer than this closes the connection
    std::uint32_t send_timeout_ms = 10000;   ///< a client that stops reading for this long is dropped
    std::size_t read_chunk = 1u << 20;       ///< bytes per device read (and per send)
    /// A connection with neither input nor output for this long is closed (0 = never).
    std::uint32_t idle_timeout_ms = net::default_idle_timeout_ms;
  };

  SocketServer(std::shared_ptr<server::ServedDevice> device, Options options);
  ~SocketServer();
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;

  /// Binds and starts serving. ERROR_IO when the port cannot be bound.
  status_t start();
  /// Closes every connection, ends their device calls and waits, and joins all threads. Idempotent.
  void stop();
  std::uint16_t port() const noexcept { return server_.acceptor().port(); }
  const std::string& host() const noexcept { return options_.host; }
  /// Why start() failed ("" after a success).
  const std::string& error() const noexcept { return server_.acceptor().error(); }
  /// Open client connections (for tests).
  std::size_t connection_count() const { return server_.acceptor().connection_count(); }
  /// Connections refused so far (allow list, limits).
  std::uint64_t refused_count() const noexcept { return server_.acceptor().refused_count(); }
  /// accept() failures so far (out of descriptors, ...), each followed by a back-off.
  std::uint64_t accept_failures() const noexcept { return server_.acceptor().accept_failures(); }

 private:
  /// Serves one connection until the client closes, an error, or stop().
  void serve(net::Socket& socket, const net::Waker& stop, server::ClientId id);

  std::shared_ptr<server::ServedDevice> device_;
  Options options_;
  net::DeviceServer server_;
};

}  // namespace cppvisa::raw_socket
