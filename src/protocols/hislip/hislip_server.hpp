// hislip::Server: serves server::ServedDevice instruments over HiSLIP 1.0 (IVI-6.1; protocols.md §3).
// - one TCP port for both channels; the first message of a connection decides its role
//   (Initialize -> synchronous, AsyncInitialize -> asynchronous, paired by SessionID);
// - devices by sub-address ("hislip0", case-insensitive); an empty sub-address is the first device
//   added; an unknown one gets FatalError 3 with a text naming it;
// - Data/DataEnd go to the device (END on DataEnd); after each DataEnd the device's output is
//   polled and sent back as Data/DataEnd tagged with the query's MessageID (synchronized mode) or
//   the server's own counter (overlapped mode). Output is collected only by the session that wrote
//   last to that device, as an instrument answers whoever asked;
// - RMT-delivered and MAV (bit 4 of the status byte in AsyncStatusResponse) per §3.6;
// - device clear (AsyncDeviceClear -> AsyncDeviceClearAcknowledge ... DeviceClearComplete ->
//   DeviceClearAcknowledge) with overlapped/synchronized feature negotiation;
// - AsyncLock exclusive (empty lock string) and shared (same string shares) with the request's
//   timeout; sync messages of a client without access wait until the lock is released; locks die
//   with the connection; AsyncLockInfo;
// - AsyncRemoteLocalControl (codes 1,3,4,5 -> remote(), 0,2,6 -> local()), Trigger, AsyncStatusQuery,
//   AsyncMaximumMessageSize (each side limits the sync messages it sends to the other's value);
// - AsyncServiceRequest to every session of a device when it requests service;
// - malformed traffic: bad prologue -> FatalError 1 and close; sync traffic before the async channel
//   exists -> FatalError 2; wrong order -> FatalError 3; too many clients -> FatalError 4; a payload
//   longer than the announced maximum -> Error 4 (skipped, never allocated); unknown types -> Error 1,
//   vendor-specific -> Error 3, bad control codes -> Error 2.
// Not supported: HiSLIP 2.0 (secure connection, SASL, descriptors); the server never sends
// Interrupted/AsyncInterrupted (see docs/hislip.md).
#pragma once

#include "protocols/hislip/hislip_wire.hpp"
#include "protocols/net/socket.hpp"
#include "server/served_device.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cppvisa::hislip {

class Server {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;                     ///< 0 = any free port (default HiSLIP port: 4880)
    std::uint64_t max_message_size = 1u << 20;  ///< largest sync payload accepted (announced to clients)
    std::size_t max_sessions = 64;              ///< more get FatalError 4
    bool prefer_overlap = false;                ///< InitializeResponse / device-clear preference
    std::string vendor_id = "CV";               ///< 2 characters (VPP-9)
    std::uint32_t init_timeout_ms = 10000;      ///< a new connection must send its first message by then
    std::uint32_t send_timeout_ms = 30000;      ///< a client that stops reading is dropped after this
    std::uint32_t poll_slice_ms = 100;          ///< longest single device read while waiting for output
  };

  Server();
  explicit Server(Options options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Serves `device` under `sub_address` ("hislip0"). The first device added is the default for an
  /// empty sub-address. Before start().
  void add_device(std::string sub_address, std::shared_ptr<server::ServedDevice> device);
  /// Binds and starts serving. ERROR_IO when the address cannot be bound.
  status_t start();
  /// Ends blocked calls, closes every connection and joins all threads. Idempotent.
  void stop();

  std::uint16_t port() const noexcept { return listener_.port(); }
  const std::string& host() const noexcept { return options_.host; }
  /// Sessions whose synchronous channel is open (for tests).
  std::size_t session_count() const;

 private:
  struct Device;
  struct Session;
  struct Connection {
    std::shared_ptr<net::Socket> socket;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  void accept_loop();
  void serve(Connection& c);
  void run_sync(const std::shared_ptr<net::Socket>& socket, MessageStream& stream, const Message& init);
  void run_async(const std::shared_ptr<net::Socket>& socket, MessageStream& stream, const Message& init);
  bool handle_sync(Session& s, const Message& m);
  bool handle_async(Session& s, const Message& m);
  void handle_data(Session& s, const Message& m);
  void handle_lock(Session& s, const Message& m);
  void pump(std::shared_ptr<Session> s);
  void close_session(Session& s);
  bool may_access(const Session& s) const;  // mutex_ held
  void release_locks(Session& s);           // mutex_ held
  status_t send_sync(Session& s, const Header& h, std::span<const std::byte> payload = {});
  status_t send_async(Session& s, const Header& h, std::span<const std::byte> payload = {});
  void send_fatal(net::Socket& socket, std::uint8_t code, std::string_view text);
  void fatal_both(Session& s, std::uint8_t code, std::string_view text);
  void service_requested(Device* device);
  void srq_loop();
  void reap_finished();

  Options options_;
  net::TcpListener listener_;
  net::Waker stop_;
  std::thread accept_thread_;
  std::thread srq_thread_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // locks, queries, clears, closing, stopping
  std::vector<std::unique_ptr<Device>> devices_;
  std::map<std::uint16_t, std::shared_ptr<Session>> sessions_;
  std::list<std::unique_ptr<Connection>> connections_;
  std::uint16_t next_session_id_ = 1;
  bool running_ = false;
  bool stopping_ = false;
  std::deque<Device*> srq_queue_;
  std::condition_variable srq_wake_;
};

}  // namespace cppvisa::hislip
