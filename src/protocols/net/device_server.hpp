// net::DeviceServer: what every protocol server in front of served devices shares (raw socket,
// VICP, the simulated Prologix adapter): the acceptor, one server::ClientId per connection, and
// the stop sequence (no new connections; the device calls and waits of every connection still
// being served are aborted, again until it has left; then the threads are joined).
#pragma once

#include "protocols/net/acceptor.hpp"
#include "server/served_device.hpp"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>

namespace cppvisa::net {

class DeviceServer {
 public:
  /// Serves one connection as client `id` until it ends or `stop` is woken.
  using Serve = std::function<void(Socket& socket, const Waker& stop, server::ClientId id)>;
  /// For every device the server serves (abort a client's calls, forget a client that left).
  using EachClient = std::function<void(server::ClientId id)>;

  /// `abort`: ends the client's device calls and waits (ServedDevice::abort on its devices);
  /// `close`: the client left (ServedDevice::close_client on its devices).
  DeviceServer(EachClient abort, EachClient close);
  ~DeviceServer();
  DeviceServer(const DeviceServer&) = delete;
  DeviceServer& operator=(const DeviceServer&) = delete;

  /// Binds and starts accepting. ERROR_IO when the port cannot be bound (error() says why) or
  /// after stop().
  status_t start(const TcpAcceptor::Options& options, Serve serve);
  /// Idempotent; never from a Serve callback.
  void stop();
  const TcpAcceptor& acceptor() const noexcept { return acceptor_; }

 private:
  EachClient abort_, close_;
  TcpAcceptor acceptor_;
  std::mutex mutex_;
  std::condition_variable clients_changed_;
  std::set<server::ClientId> clients_;  // being served (stop() aborts their device calls)
  bool stopped_ = false;
};

}  // namespace cppvisa::net
