// vxi11::Vxi11Server: serves server::ServedDevice instruments over VXI-11 (core and abort
// channels; interrupt channel for SRQ), VXI-11 for the rules it follows:
// - links (create_link/destroy_link), each a client of its device (server::ClientId), bounded in
//   total, per connection and per client address (create_link beyond a bound: error 9);
//   connections bounded in total and per client address, refused outside an allow list (closed
//   at accept) and closed after Options::idle_timeout_ms without a call;
// - maxRecvSize enforcement (device_write larger than it -> error 5, nothing transferred);
// - device_read with requestSize, termChar and END, partial data with error 15 on io_timeout;
// - locks are the device's own (ServedDevice::lock), so a VXI-11 lock keeps out the device's
//   clients on every other protocol and theirs keep VXI-11 links out; waitlock with lock_timeout,
//   error 11 (also "this link holds it already") / 12; a link or connection that goes releases
//   its lock and discards its unread output;
// - device_abort on the abort channel ends the link's call in progress (ServedDevice::abort) with
//   error 23;
// - create_intr_chan / device_enable_srq / device_intr_srq for service requests; the interrupt
//   channel goes only to the calling client's own address (else error 5: the server never
//   connects where a client points it, a port scanner otherwise).
// Every status a device returns reaches the client as the VXI-11 error for it (status_to_error).
#pragma once

#include "protocols/net/address_filter.hpp"
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
    /// Largest device_read reply (bigger requests get less with reason 0, and the client reads
    /// again); also the reply buffer each connection may hold. Replies that stay in the CPU's
    /// cache on both sides beat fewer, larger ones: a 100 MB block over loopback to our client
    /// came at 84 % of a plain-C raw-socket server's rate in 512 KiB replies, 46 % in 4 MiB
    /// ones (same run); on a LAN, 512 KiB still takes several round trips' time to send.
    std::uint32_t max_read_size = 512u << 10;
    std::size_t max_links = 256;                 ///< links on all connections together
    std::size_t max_links_per_connection = 16;   ///< links one core connection may hold
    std::size_t max_links_per_address = 64;      ///< links all connections from one client address may hold
    /// A core or abort connection without a call for this long is closed (its links destroyed,
    /// their locks released); 0 = never.
    std::uint32_t idle_timeout_ms = net::default_idle_timeout_ms;
    std::size_t max_connections = 64;            ///< core (and, separately, abort) connections
    std::size_t max_per_address = 16;            ///< core (and abort) connections from one client address
    /// Clients allowed on the core and abort channels (empty = all); others are closed at accept.
    net::AddressFilter allow;
  };

  Vxi11Server();
  explicit Vxi11Server(Options options);
  ~Vxi11Server();
  Vxi11Server(const Vxi11Server&) = delete;
  Vxi11Server& operator=(const Vxi11Server&) = delete;

  /// Serves `device` under a link device name ("inst0", "gpib0,5"; case-insensitive). Before start().
  /// One device may be served under several names (and by other protocol servers at the same time).
  void add_device(std::string name, std::shared_ptr<server::ServedDevice> device);
  /// Opens the listeners and starts serving. ERROR_IO when a port cannot be bound.
  status_t start();
  /// Ends the calls in progress (ERROR_ABORT), closes every connection and link (releasing their
  /// locks on the devices) and joins all threads. Idempotent.
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
  /// Service requests waiting to be sent. Shared with the devices' listeners, which may still run
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

  /// The active link `lid` (nullptr if none); mutex_ held.
  std::shared_ptr<Link> find_link(std::int32_t lid) const;
  std::int32_t create_link(const oncrpc::CallContext& call, const CreateLinkParms& p, std::int32_t& lid);
  std::int32_t destroy_link(std::int32_t lid);
  /// Starts an abortable call on a link: checks the link, waits for access under the device's
  /// locks per `flags` (waitlock) and `lock_timeout`. err::none or the error to reply.
  std::int32_t begin_operation(std::int32_t lid, std::int32_t flags, std::uint32_t lock_timeout,
                               std::shared_ptr<Link>& link);
  /// Whether an abort arrived since begin_operation (the call must not start).
  bool abort_requested(const Link& link) const;
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
  /// Aborts every link's call in progress until none is left (bounded); stopping_ is set.
  void abort_calls_in_progress();

  void srq_loop();

  Options options_;
  oncrpc::RpcServer core_;
  oncrpc::RpcServer abort_;
  oncrpc::PortmapperServer* portmapper_ = nullptr;

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // a call ended
  std::map<std::string, std::unique_ptr<Device>> devices_;
  std::map<std::int32_t, std::shared_ptr<Link>> links_;  // also links being created (not ready)
  std::map<std::uint64_t, std::shared_ptr<IntrChannel>> intr_channels_;
  std::int32_t next_lid_ = 1;
  bool running_ = false;
  bool stopping_ = false;

  std::shared_ptr<SrqQueue> srq_ = std::make_shared<SrqQueue>();
  std::thread srq_thread_;
};

}  // namespace cppvisa::vxi11
