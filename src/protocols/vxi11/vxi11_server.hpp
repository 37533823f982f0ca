// vxi11::Vxi11Server: serves server::ServedDevice instruments over VXI-11 (core and abort
// channels; interrupt channel for SRQ), protocols.md §2.6 for the rules it follows:
// - links (create_link/destroy_link), several per connection, any number of connections (bounded);
// - maxRecvSize enforcement (device_write larger than it -> error 5, nothing transferred);
// - device_read with requestSize, termChar and END, partial data with error 15 on io_timeout;
// - locks per device shared by every link to it, waitlock with lock_timeout, error 11/12;
//   a connection that disappears releases its links' locks;
// - device_abort on the abort channel ends the link's blocked call with error 23;
// - create_intr_chan / device_enable_srq / device_intr_srq for service requests.
#pragma once

#include "protocols/oncrpc/portmapper.hpp"
#include "protocols/oncrpc/rpc_client.hpp"
#include "protocols/oncrpc/rpc_server.hpp"
#include "protocols/vxi11/vxi11_wire.hpp"
#include "server/served_device.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cppvisa::vxi11 {

class Vxi11Server {
 public:
  struct Options {
    std::string host = "127.0.0.1";     ///< address the core and abort channels listen on
    std::uint16_t core_port = 0;        ///< 0 = any free port
    std::uint16_t abort_port = 0;       ///< 0 = any free port
    std::uint32_t max_recv_size = 65536;  ///< maxRecvSize announced by create_link (>= 1024)
    std::uint32_t max_read_size = 1u << 20;  ///< largest device_read reply (bigger requests get less, reason 0)
    std::size_t max_links = 256;
    std::size_t max_connections = 64;
  };

  Vxi11Server();
  explicit Vxi11Server(Options options);
  ~Vxi11Server();
  Vxi11Server(const Vxi11Server&) = delete;
  Vxi11Server& operator=(const Vxi11Server&) = delete;

  /// Serves `device` under a link device name ("inst0", "gpib0,5"; case-insensitive). Before start().
  void add_device(std::string name, std::shared_ptr<server::ServedDevice> device);
  /// Opens the listeners and starts serving. ERROR_IO when a port cannot be bound.
  status_t start();
  /// Ends blocked calls, closes every connection and joins all threads. Idempotent.
  void stop();

  std::uint16_t core_port() const noexcept { return core_.tcp_port(); }
  std::uint16_t abort_port() const noexcept { return abort_.tcp_port(); }
  const std::string& host() const noexcept { return options_.host; }

  /// Registers the core channel (0x0607AF v1, TCP) with `portmapper`; unregistered at stop().
  void register_with(oncrpc::PortmapperServer& portmapper);

  /// Active links (for tests).
  std::size_t link_count() const;

 private:
  struct Device;
  struct Link;
  struct IntrChannel;
  /// Service requests waiting to be sent. Shared with the devices' handlers, which may still run
  /// (on a device's thread) after stop() removed them, so they never touch the server itself.
  struct SrqQueue {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<const Device*> devices;
    bool stopping = false;
  };

  oncrpc::ProcResult core_dispatch(const oncrpc::CallContext& call, oncrpc::XdrReader& args,
                                   oncrpc::XdrWriter& results);
  oncrpc::ProcResult abort_dispatch(const oncrpc::CallContext& call, oncrpc::XdrReader& args,
                                    oncrpc::XdrWriter& results);
  void connection_closed(std::uint64_t connection_id);

  std::int32_t create_link(const oncrpc::CallContext& call, const CreateLinkParms& p, std::int32_t& lid);
  std::int32_t destroy_link(std::int32_t lid);
  /// Starts an operation on a link: checks the link, waits for access per the lock rules.
  std::int32_t begin_operation(std::int32_t lid, std::int32_t flags, std::uint32_t lock_timeout,
                               std::shared_ptr<Link>& link);
  void end_operation(Link& link);
  std::int32_t device_write(const DeviceWriteParms& p, std::uint32_t& size);
  void device_read(const DeviceReadParms& p, oncrpc::XdrWriter& results);
  std::int32_t device_generic(std::uint32_t proc, const DeviceGenericParms& p, std::uint8_t* stb);
  std::int32_t device_lock(const DeviceLockParms& p);
  std::int32_t device_unlock(std::int32_t lid);
  std::int32_t enable_srq(const DeviceEnableSrqParms& p);
  std::int32_t create_intr_chan(const oncrpc::CallContext& call, const DeviceRemoteFunc& f);
  std::int32_t destroy_intr_chan(std::uint64_t connection_id);
  std::int32_t device_abort(std::int32_t lid);

  void srq_loop();

  Options options_;
  oncrpc::RpcServer core_;
  oncrpc::RpcServer abort_;
  oncrpc::PortmapperServer* portmapper_ = nullptr;

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // lock released, link aborted, stopping
  std::map<std::string, std::unique_ptr<Device>> devices_;
  std::map<std::int32_t, std::shared_ptr<Link>> links_;
  std::map<std::uint64_t, std::shared_ptr<IntrChannel>> intr_channels_;
  std::int32_t next_lid_ = 1;
  bool running_ = false;
  bool stopping_ = false;

  std::shared_ptr<SrqQueue> srq_ = std::make_shared<SrqQueue>();
  std::thread srq_thread_;
};

}  // namespace cppvisa::vxi11
