#include "protocols/net/device_server.hpp"

#include <chrono>

namespace cppvisa::net {

DeviceServer::DeviceServer(EachClient abort, EachClient close) : abort_(std::move(abort)), close_(std::move(close)) {}

DeviceServer::~DeviceServer() { stop(); }

status_t DeviceServer::start(const TcpAcceptor::Options& options, Serve serve) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return status::ERROR_IO;
  }
  if (acceptor_.open(options) != status::SUCCESS) return status::ERROR_IO;
  return acceptor_.start([this, serve = std::move(serve)](const std::shared_ptr<Socket>& socket,
                                                          const TcpAcceptor::ConnectionInfo& info) {
    const server::ClientId id = server::new_client_id();
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      clients_.insert(id);
    }
    serve(*socket, info.stop, id);
    close_(id);
    std::lock_guard lock(mutex_);
    clients_.erase(id);
    clients_changed_.notify_all();
  });
}

void DeviceServer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  acceptor_.shutdown();  // no new connections; blocked socket calls return
  {
    // A connection may be blocked in a device call or waiting for the device (another client's
    // lock or response): abort it, again until it has left (an abort reaches only a call or wait
    // already in progress).
    std::unique_lock lock(mutex_);
    while (!clients_.empty()) {
      std::set<server::ClientId> clients = clients_;
      lock.unlock();
      for (auto id : clients) abort_(id);
      lock.lock();
      clients_changed_.wait_for(lock, std::chrono::milliseconds(20), [&] { return clients_.empty(); });
    }
  }
  acceptor_.stop();
}

}  // namespace cppvisa::net
