// hislip::Client: the client side of one HiSLIP 1.0 session (IVI-6.1): the
// synchronous channel (Data/DataEnd, Trigger, device clear) and the asynchronous channel (status
// query, locks, remote/local, maximum message size, service requests), with deadlines everywhere.
// - open: Initialize (sub-address) -> InitializeResponse, AsyncInitialize -> AsyncInitializeResponse,
//   AsyncMaximumMessageSize; the connection starts in the mode the server prefers;
// - writes are split into messages of at most the server's maximum (header included, as
//   pyvisa-py counts it); DataEnd on the last one when `end`;
// - reads: Data/DataEnd payloads go straight into the caller's buffer; DataEnd carries END;
//   synchronized mode validates MessageIDs (stale answers to an earlier, timed-out query are
//   dropped) and sets RMT-delivered on the first message after a response was delivered;
// - a dedicated thread reads the async channel: responses are matched to the request waiting for
//   them, AsyncServiceRequest calls the service-request handler;
// - a peer that goes away (or a FatalError) makes every call return ERROR_CONN_LOST.
// Thread safety: one sync operation at a time (the session's io mutex); async requests are
// serialised internally and may run while another thread reads.
#pragma once

#include "core/message_reader.hpp"
#include "protocols/hislip/hislip_wire.hpp"
#include "protocols/net/socket.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace cppvisa::hislip {

class Client {
 public:
  struct Target {
    std::string host;
    std::uint16_t port = default_port;
    std::string sub_address = "hislip0";
  };
  struct Options {
    std::uint64_t max_message_size = 1u << 20;  ///< largest message we accept (told to the server)
    std::string vendor_id = "CV";               ///< 2 characters (VPP-9)
  };

  Client();
  explicit Client(Options options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Opens both channels within `deadline`. Unreachable/refused/unknown sub-address ->
  /// ERROR_RSRC_NFOUND; no answer -> ERROR_TMO.
  status_t open(const Target& target, core::Deadline deadline);
  /// Closes both channels (locks held on the server are released by it). Idempotent.
  void close();
  bool is_open() const noexcept { return sync_.valid(); }

  /// Sends `data` as Data messages, the last one DataEnd when `end`. `count` = bytes sent.
  status_t write(std::span<const std::byte> data, bool end, std::size_t& count, core::Deadline deadline);
  /// viRead over the response messages (termination rules of core::MessageReader).
  status_t read(std::span<std::byte> buffer, std::size_t& count, const core::ReadTermination& term,
                core::Deadline deadline);
  /// From another thread: a read() waiting on the synchronous channel returns VI_ERROR_ABORT.
  /// The stream stays in sync (MessageStream keeps a partly received header or payload, as after
  /// a timeout; in synchronized mode the next message makes the rest of the answer stale). In
  /// effect until reset_read_abort(). Thread-safe.
  void abort_read() noexcept { sync_cancel_.wake(); }
  void reset_read_abort() noexcept { sync_cancel_.reset(); }
  /// From another thread, when the session is closing: shuts both channels so that every call
  /// waiting on them (a lock request the server holds) returns ERROR_CONN_LOST at once; the server
  /// then drops the session's locks and requests. close() still follows. Thread-safe.
  void abort_connection() { connection_lost(); }
  /// Drops responses received but not read (viFlush with a read-buffer discard).
  void discard_input();

  status_t read_stb(std::uint8_t& stb, core::Deadline deadline);
  status_t trigger(core::Deadline deadline);
  /// The device-clear transaction (§6.12); requests overlapped mode when `overlap`.
  status_t clear(core::Deadline deadline);
  status_t set_overlap(bool overlap, core::Deadline deadline);
  /// AsyncRemoteLocalControl with a request code 0..6 (remote_local::*).
  status_t remote_local(std::uint8_t request, core::Deadline deadline);
  /// AsyncLock request: empty key = exclusive, else shared. The server waits up to `timeout_ms`.
  /// SUCCESS, ERROR_RSRC_LOCKED (timeout 0 and locked), ERROR_TMO (waited in vain).
  status_t lock(std::string_view key, std::uint32_t timeout_ms, core::Deadline deadline);
  /// AsyncLock release. SUCCESS or ERROR_SESN_NLOCKED.
  status_t unlock(core::Deadline deadline);
  /// AsyncLockInfo: whether an exclusive lock is granted, and how many clients hold locks.
  status_t lock_info(bool& exclusive, std::uint32_t& holders, core::Deadline deadline);
  /// AsyncMaximumMessageSize: tells the server our maximum, learns its one.
  status_t set_max_message_size(std::uint64_t size, core::Deadline deadline);

  /// Called (on the async reader thread) with the status byte of each AsyncServiceRequest.
  void set_service_request_handler(std::function<void(std::uint8_t stb)> handler);

  std::uint16_t session_id() const noexcept { return session_id_; }
  std::uint16_t version() const noexcept { return version_; }          ///< negotiated (0x0100 = 1.0)
  std::uint16_t server_vendor_id() const noexcept { return server_vendor_; }
  std::uint64_t server_max_message_size() const;
  std::uint64_t max_message_size() const;  ///< ours, as last told to the server
  bool overlap() const;

 private:
  class SyncSource;
  struct Response;
  status_t async_request(const Header& request, std::span<const std::byte> payload, MessageType expected,
                         Header& reply, core::Deadline deadline, std::vector<std::byte>* reply_payload = nullptr);
  void async_reader();
  void connection_lost();
  std::uint8_t take_rmt_flag();
  void drop_responses();  // synchronized mode: a new message makes unread responses stale

  Options options_;
  net::Socket sync_;
  net::Socket async_;
  net::Waker sync_cancel_;  // watched by sync_input_ (abort_read)
  std::unique_ptr<ByteInput> sync_input_;
  std::unique_ptr<MessageStream> sync_stream_;
  std::unique_ptr<SyncSource> source_;
  core::MessageReader reader_;
  std::thread async_thread_;

  std::uint16_t session_id_ = 0;
  std::uint16_t version_ = 0;
  std::uint16_t server_vendor_ = 0;

  // Sync-channel state (the io mutex of the caller serialises it).
  std::uint32_t next_id_ = initial_message_id;
  std::uint32_t last_sent_id_ = no_message_id;
  bool rmt_pending_ = false;  // a DataEnd was delivered: the next flag-carrying message says so
  std::optional<bool> requested_overlap_;  // the mode the next device clear asks for

  // Shared with the async reader thread.
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::pair<Header, std::vector<std::byte>>> responses_;
  // The answers (expected type) still owed to asynchronous requests that timed out, oldest first.
  // The server answers them in order (one asynchronous channel), so the next answer of that type,
  // or an Error, is the oldest owed one and must not be taken for a later request's answer.
  std::deque<MessageType> owed_;
  bool lost_ = false;
  bool overlap_ = false;
  std::uint64_t server_max_ = 1u << 20;
  std::uint64_t our_max_ = 1u << 20;
  std::function<void(std::uint8_t)> srq_handler_;
  std::mutex async_request_mutex_;  // one async request at a time
  std::mutex async_send_mutex_;
};

}  // namespace cppvisa::hislip
