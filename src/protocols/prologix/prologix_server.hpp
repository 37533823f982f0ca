// prologix::AdapterServer: a simulated Prologix GPIB-ETHERNET adapter (docs/prologix.md): the
// served devices sit on its GPIB bus at the addresses of their resource names, and a client
// drives them with the ++ command set over TCP, as it would a real adapter.
//
// Each connection is one controller with its own adapter settings (a real adapter takes one
// connection at a time; several here share the bus the way several ServedDevice clients do:
// each connection is one server::ClientId on every device). Behaviour follows the Prologix
// manual: data lines go to the addressed device (escapes undone, ++eos characters appended,
// END with the last byte when ++eoi 1); ++read [eoi|char] streams the device's bytes until
// END / the character / ++read_tmo_ms without a byte (++eot_char appended at END when
// ++eot_enable 1); ++auto 1 reads after every data line; ++spoll, ++srq, ++clr, ++trg, ++loc,
// ++llo, ++ifc, ++mode, ++addr, ++eoi, ++eos, ++eot_enable, ++eot_char, ++read_tmo_ms, ++ver,
// ++rst, ++savecfg, ++lon, ++status, ++help; settings are queried by giving no argument; an
// unknown command or an invalid argument is ignored, as the adapter does. Bus operations on an
// address with no device do nothing (a write has no listener, a read or serial poll times out);
// a device without a secondary address answers whatever secondary address follows its primary
// one (IEEE 488.1 primary addressing), one with a secondary address only to that one.
// Host input is parsed as it comes: memory per connection is bounded whatever the client sends.
#pragma once

#include "protocols/net/device_server.hpp"
#include "server/served_device.hpp"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cppvisa::prologix {

class AdapterServer {
 public:
  struct Options {
    net::TcpAcceptor::Options listen;  ///< where and whom (port 0 = any free port; 1234 is the adapter's)
    std::uint32_t write_timeout_ms = 10000;  ///< a device write longer than this closes the connection
    std::uint32_t send_timeout_ms = 10000;   ///< a client that stops reading for this long is dropped
    std::size_t read_chunk = 1u << 20;       ///< bytes per device read
    /// A connection on which the client sends nothing for this long is closed (0 = never).
    std::uint32_t idle_timeout_ms = net::default_idle_timeout_ms;
    std::string version = "Prologix GPIB-ETHERNET Controller version 01.06.06.00";
  };
  /// A device on the simulated bus.
  struct Instrument {
    int primary = 0;
    std::optional<int> secondary;
    std::shared_ptr<server::ServedDevice> device;
  };

  AdapterServer(std::vector<Instrument> bus, Options options);
  ~AdapterServer();
  AdapterServer(const AdapterServer&) = delete;
  AdapterServer& operator=(const AdapterServer&) = delete;

  /// Binds and starts serving. ERROR_IO when the port cannot be bound (error() says why);
  /// ERROR_INV_SETUP when two devices share an address.
  status_t start();
  /// Closes every connection, ends their device calls and joins the threads. Idempotent.
  void stop();
  std::uint16_t port() const noexcept { return server_.acceptor().port(); }
  const std::string& error() const noexcept { return error_.empty() ? server_.acceptor().error() : error_; }
  std::size_t connection_count() const { return server_.acceptor().connection_count(); }

 private:
  class Connection;
  struct Slot {
    Instrument instrument;
    std::size_t listener = 0;
    std::atomic<bool> srq{false};
  };
  Slot* find(int primary, std::optional<int> secondary);
  void serve(net::Socket& socket, const net::Waker& stop, server::ClientId id);

  std::vector<std::unique_ptr<Slot>> bus_;
  Options options_;
  std::string error_;
  net::DeviceServer server_;
};

}  // namespace cppvisa::prologix
