// hislip::Client: the client side of one HiSLIP 1.0/1.1/2.0 session (IVI-6.1): the
// synchronous channel (Data/DataEnd, Trigger, device clear) and the asynchronous channel (status
// query, locks, remote/local, maximum message size, service requests), with deadlines everywhere.
// - open: Initialize (sub-address, Options::version offered) -> InitializeResponse (the version
//   both speak), AsyncInitialize -> AsyncInitializeResponse,
//   AsyncMaximumMessageSize; the connection starts in the mode the server prefers;
// - writes are split into messages of at most the server's maximum (header included, as
//   pyvisa-py counts it); DataEnd on the last one when `end`;
// - reads: Data/DataEnd payloads go straight into the caller's buffer; DataEnd carries END;
//   synchronized mode validates MessageIDs (stale answers to an earlier, timed-out query are
//   dropped) and sets RMT-delivered on the first message after a response was delivered;
// - the async channel is read by the process-wide core::Reactor (one thread for every session, no
//   thread per session): responses are matched to the request waiting for them,
//   AsyncServiceRequest calls the service-request handler;
// - a peer that goes away (or a FatalError) makes every call return ERROR_CONN_LOST.
// Thread safety: one sync operation at a time (the session's io mutex); async requests are
// serialised internally and may run while another thread reads.
#pragma once

#include "core/message_reader.hpp"
#include "protocols/hislip/hislip_sasl.hpp"
#include "protocols/hislip/hislip_wire.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/net/tls_link.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

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
    /// The protocol version offered (version_1_0, version_1_1, version_2_0); the server may
    /// answer with a lower one.
    std::uint16_t version = protocol_version;
    /// Refuse a server that cannot encrypt (no 2.0, or no secure-connection capability) instead
    /// of falling back to plain text; encrypt even when the server does not require it.
    bool require_encryption = false;
    /// How the server's certificate is checked (verification on by default; server_name "" =
    /// the target host).
    net::TlsClientConfig tls;
    /// Authentication at open (2.0, after the secure connection if any): none while empty.
    SaslCredentials sasl;
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
  /// The synchronous channel's socket (readable when a response arrives), -1 when closed.
  /// With TLS on, readable means a record (or part of one) arrived: the asynchronous read reads
  /// what is complete with a zero deadline and parks again, as it does for part of a message.
  int sync_fd() noexcept { return sync_.valid() ? sync_.socket().fd() : -1; }

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

  /// The secure connection (IVI-6.1 2.0): AsyncStartTLS -> response -> TLS handshake on the
  /// asynchronous channel, then StartTLS -> TLS handshake on the synchronous one. A busy server
  /// (a response still on its way) gets a device clear and one more try. ERROR_NSUP_OPER when
  /// the server does not offer it; ERROR_SERVER_CERT_* when its certificate is refused (the
  /// connection is then lost).
  status_t start_tls(core::Deadline deadline);
  /// The certificate checks the next start_tls() uses (Options::tls; HislipSession's attributes).
  void set_tls_config(const net::TlsClientConfig& tls) { options_.tls = tls; }
  /// Back to plain text: AsyncEndTLS -> response -> close_notify on the asynchronous channel,
  /// then EndTLS -> close_notify on the synchronous one. ERROR_NSUP_OPER when the server made
  /// encryption mandatory.
  status_t end_tls(core::Deadline deadline);
  /// Both channels are encrypted.
  bool encrypted() const { return sync_.encrypted() && async_.encrypted(); }
  /// What the synchronous channel's handshake agreed on (empty fields when plain).
  net::TlsInfo tls_info() const { return sync_.tls_info(); }
  /// 2.0: the server said encryption is mandatory (InitializeResponse bit 1).
  bool encryption_mandatory() const noexcept { return encryption_mandatory_; }

  /// Authentication (IVI-6.1 2.0 §3.9) on the synchronous channel: GetSaslMechanismList,
  /// AuthenticationStart, AuthenticationExchange rounds, AuthenticationResult. Statuses:
  /// VI_ERROR_NPERMISSION (the server refused the credentials, or did not prove it knows the
  /// password), VI_ERROR_INV_SETUP (PLAIN on a connection without TLS: nothing is sent),
  /// VI_ERROR_NSUP_OPER (protocol 1.x, no SASL in this build, no common mechanism),
  /// VI_ERROR_TMO / VI_ERROR_CONN_LOST (the connection is then lost: the exchange cannot resume).
  status_t authenticate(const SaslCredentials& credentials, core::Deadline deadline);
  /// The mechanism of the last successful authentication ("" if none).
  const std::string& sasl_mechanism() const noexcept { return sasl_mechanism_; }

  /// Called (on the shared reactor's thread, which reads every session's asynchronous channel:
  /// the handler must be short and must not call this client) with the status byte of each
  /// AsyncServiceRequest.
  void set_service_request_handler(std::function<void(std::uint8_t stb)> handler);

  std::uint16_t session_id() const noexcept { return session_id_; }
  std::uint16_t version() const noexcept { return version_; }          ///< negotiated (0x0100 = 1.0, 0x0200 = 2.0)
  /// 2.0: the server announced the secure-connection capability (AsyncInitializeResponse bit 0).
  bool server_secure_capable() const noexcept { return secure_capable_; }
  std::uint16_t server_vendor_id() const noexcept { return server_vendor_; }
  std::uint64_t server_max_message_size() const;
  std::uint64_t max_message_size() const;  ///< ours, as last told to the server
  bool overlap() const;

 private:
  class SyncSource;
  class SyncInput;
  struct Response;
  status_t async_request(const Header& request, std::span<const std::byte> payload, MessageType expected,
                         Header& reply, core::Deadline deadline, std::vector<std::byte>* reply_payload = nullptr);
  // The asynchronous channel, read in core::Reactor::shared()'s callbacks (hislip_client.cpp).
  enum class AsyncStep { go_on, stop };
  void arm_async_reader();   // watches the channel once more (not once closing or lost)
  void stop_async_reader();  // no reader callback runs once it returns
  void on_async_readable();  // reads what arrived, handles whole messages, watches again
  AsyncStep handle_async_message(Message& m);
  /// The requester's side of a TLS switch on the asynchronous channel, after a positive
  /// AsyncStartTLSResponse (`context`) or AsyncEndTLSResponse (nullptr); then reads it again.
  status_t switch_async_tls(const net::TlsContext* context, core::Deadline deadline);
  void connection_lost();
  /// ERROR_CONN_LOST with the reason recorded as the error detail (mutex_ held / not held).
  status_t lost_status_locked() const;
  status_t lost_status() const;
  status_t lost_status_if_lost() const {
    std::lock_guard lock(mutex_);
    return lost_ ? lost_status_locked() : status::SUCCESS;
  }
  /// A FatalError from the server: the connection is lost, with its code and text as the reason.
  status_t fatal_from_server(std::uint8_t code, std::string_view text);
  /// Sends FatalError `code` on both channels (best effort), then the connection is lost.
  void fatal_to_server(std::uint8_t code, std::string_view text);
  /// Answers a message the client does not take on that channel with Error 1 (3: vendor-specific).
  void refuse_message(const Header& h, bool async, core::Deadline deadline);
  /// Interrupted / AsyncInterrupted bookkeeping (§6.10, docs/hislip.md).
  bool awaiting_interrupted() const;
  void sync_interrupted();
  status_t wait_interrupted_pair(core::Deadline deadline);
  std::uint8_t take_rmt_flag();
  // AsyncStartTLS/AsyncEndTLS with the RMT-delivered flag; a "busy" answer (control 0) is met once
  // with a device clear and the request made again. `reply` is the last answer.
  status_t tls_switch_request(MessageType request, MessageType answer, Header& reply, core::Deadline deadline);
  void drop_responses();  // synchronized mode: a new message makes unread responses stale

  Options options_;
  net::Link sync_{std::make_shared<net::Socket>()};   // plain, or TLS after start_tls()
  net::Link async_{std::make_shared<net::Socket>()};
  net::Waker sync_cancel_;  // watched by sync_input_ (abort_read)
  std::unique_ptr<SyncInput> sync_input_;
  std::unique_ptr<MessageStream> sync_stream_;
  std::unique_ptr<SyncSource> source_;
  core::MessageReader reader_;
  MessageAssembler async_in_{max_async_payload};  // the reader callback's (one at a time)

  std::uint16_t session_id_ = 0;
  std::uint16_t version_ = 0;
  std::uint16_t server_vendor_ = 0;
  bool secure_capable_ = false;
  bool encryption_mandatory_ = false;
  std::string sasl_mechanism_;
  /// The next message on the synchronous channel that is not stale data (authentication).
  status_t next_sync_reply(Message& m, core::Deadline deadline);
  std::string host_;  // the target host: the certificate's expected name by default

  // Sync-channel state (the io mutex of the caller serialises it).
  std::uint32_t next_id_ = initial_message_id;
  std::uint32_t last_sent_id_ = no_message_id;
  std::uint32_t last_received_id_ = no_message_id;  // of the last Data/DataEnd taken (AsyncStartTLS)
  bool rmt_pending_ = false;  // a DataEnd was delivered: the next flag-carrying message says so
  std::optional<bool> requested_overlap_;  // the mode the next device clear asks for

  // Shared with the asynchronous channel's reader (reactor callbacks).
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::pair<Header, std::vector<std::byte>>> responses_;
  // The answers (expected type) still owed to asynchronous requests that timed out, oldest first.
  // The server answers them in order (one asynchronous channel), so the next answer of that type,
  // or an Error, is the oldest owed one and must not be taken for a later request's answer.
  std::deque<MessageType> owed_;
  bool lost_ = false;
  std::string lost_reason_;  // why, for the error detail of every later call
  int async_interrupts_ = 0;  // AsyncInterrupted received, Interrupted not yet: sync Data is dropped
  int sync_interrupts_ = 0;   // Interrupted received, AsyncInterrupted not yet: nothing is sent
  std::uint64_t async_watch_ = 0;  // the reactor watch of the asynchronous channel
  bool async_closing_ = false;     // close(): no more watches
  // A positive AsyncStartTLS/AsyncEndTLSResponse was read: the reader stopped, the requester
  // switches the channel (with the bytes read past the response) and restarts it.
  bool tls_switch_pending_ = false;
  std::vector<std::byte> tls_read_ahead_;
  bool overlap_ = false;
  std::uint64_t server_max_ = 1u << 20;
  std::uint64_t our_max_ = 1u << 20;
  std::function<void(std::uint8_t)> srq_handler_;
  std::mutex async_request_mutex_;  // one async request at a time
  std::mutex async_send_mutex_;
};

}  // namespace cppvisa::hislip
