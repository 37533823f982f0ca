// vicp::Server: serves a server::ServedDevice over VICP (docs/vicp.md), as a LeCroy
// oscilloscope does: one device per listening port (VICP has no sub-addresses).
//
// Each connection is one client of the device (its own server::ClientId):
// - a block's payload goes to the device as it arrives (in pieces, END with the last byte of a
//   block that carries EOI): memory does not depend on the length a client announces;
// - CLEAR: device clear (and the response being sent is dropped); REMOTE / LOCKOUT: remote()
//   when they become set, local() when REMOTE clears; SERIALPOLL (VICP 1 in band): the status
//   byte comes back as a one-byte EOI block; an 'S' sent as TCP urgent data (VICP 1a): the
//   status byte comes back as urgent data;
// - output is read only while the device says a response is on its way (as the raw-socket
//   server) and sent as DATA blocks numbered with the sequence number of the message that asked
//   (VICP 1a), EOI on the block that ends a response message;
// - a service request of the device is sent as an SRQ block with payload "1";
// - a header that is not VICP (version other than 1) closes the connection: the stream is out
//   of step and nothing after it can be trusted.
// A connection with no traffic either way for Options::idle_timeout_ms is closed.
// Connections come through net::TcpAcceptor (allow list, limits, back-off).
#pragma once

#include "protocols/net/device_server.hpp"
#include "server/served_device.hpp"

#include <memory>
#include <string>

namespace cppvisa::vicp {

class Server {
 public:
  struct Options {
    net::TcpAcceptor::Options listen;  ///< where and whom (port 0 = any free port; 1861 is VICP's)
    std::uint32_t read_slice_ms = 100;          ///< longest single device read while a response is on its way
    std::uint32_t response_timeout_ms = 10000;  ///< a response with no byte for this long is given up
    std::uint32_t io_timeout_ms = 10000;        ///< a client's block that stalls, a device write, a send
    std::size_t read_chunk = 1u << 20;          ///< bytes per device read (one block each)
    /// A connection with neither input nor output for this long is closed (0 = never).
    std::uint32_t idle_timeout_ms = net::default_idle_timeout_ms;
  };

  Server(std::shared_ptr<server::ServedDevice> device, Options options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and starts serving. ERROR_IO when the port cannot be bound (error() says why).
  status_t start();
  /// Closes every connection, ends their device calls and joins the threads. Idempotent.
  void stop();
  std::uint16_t port() const noexcept { return server_.acceptor().port(); }
  const std::string& error() const noexcept { return server_.acceptor().error(); }
  std::size_t connection_count() const { return server_.acceptor().connection_count(); }

 private:
  class Connection;

  std::shared_ptr<server::ServedDevice> device_;
  Options options_;
  net::DeviceServer server_;
};

}  // namespace cppvisa::vicp
