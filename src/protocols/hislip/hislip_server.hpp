// hislip::Server: serves server::ServedDevice instruments over HiSLIP 1.0, 1.1 and 2.0 (IVI-6.1).
// - version negotiation (§6.1): the highest version known to both sides that is at most the
//   client's and Options::max_version; a client offering less than 1.0 gets FatalError 3;
// - 2.0: GetDescriptors is answered (on the channel it came on) with the server's descriptors;
// - one TCP port for both channels; the first message of a connection decides its role
//   (Initialize -> synchronous, AsyncInitialize -> asynchronous, paired by SessionID);
// - devices by sub-address ("hislip0", case-insensitive); an empty sub-address is the first device
//   added; an unknown one gets FatalError 3 with a text naming it;
// - each session is one client of its device (a server::ClientId): locks, output ownership and
//   access are the device's, shared with every other protocol serving it (a VXI-11 lock keeps a
//   HiSLIP client out and the other way round);
// - Data/DataEnd go to the device (END on DataEnd); output is read only while the device says a
//   response is on its way (ServedDevice::response_pending(), no polling reads) and sent as
//   Data/DataEnd tagged with the query's MessageID (synchronized mode) or the server's own
//   counter (overlapped mode); synchronized mode, an answer the device has ready when the DataEnd
//   was delivered is read (without waiting) and sent by the synchronous channel's thread itself,
//   the common query costing no hand-off between threads; the per-session output thread (the
//   pump) takes what must be waited for (an answer still being prepared, the rest of a long one,
//   overlapped mode), where a new message or a device clear can end its read;
// - synchronized mode, a new Data/DataEnd/Trigger while the previous response is still coming:
//   the read in progress is aborted (ServedDevice::abort), the unread output discarded (a device
//   clear), and Interrupted + AsyncInterrupted sent (IVI-6.1 §6.10);
// - RMT-delivered and MAV (bit 4 of the status byte in AsyncStatusResponse) per §3.6;
// - device clear (AsyncDeviceClear -> AsyncDeviceClearAcknowledge ... DeviceClearComplete ->
//   DeviceClearAcknowledge): the device call in progress is aborted first (§6.12 step 2), then the
//   device cleared; overlapped/synchronized feature negotiation;
// - AsyncLock exclusive (empty lock string) and shared (same string shares) with the request's
//   timeout; sync messages of a client without access wait until the lock is released; locks die
//   with the session; AsyncLockInfo;
// - AsyncRemoteLocalControl (codes 1,3,4,5 -> remote(), 0,2,6 -> local()), Trigger,
//   AsyncStatusQuery: the device's status reaches the client. A failure is an Error message
//   instead of the response (AsyncRemoteLocalResponse / AsyncStatusResponse), or after a
//   Trigger (which has no response): code 2 for VI_ERROR_NSUP_OPER (the device does not do it),
//   code 0 for anything else, the text naming the status. Under another client's lock (§6.5) a
//   status query is answered without polling the device (MAV only) and remote/local is
//   acknowledged and applied before this client's next message reaches the device;
// - a device write that fails (read-only serving: VI_ERROR_NSUP_OPER) is an Error 0 on the
//   synchronous channel naming the status;
// - AsyncMaximumMessageSize (each side limits the sync messages it sends to the other's value);
// - AsyncServiceRequest to every session of a device when it requests service;
// - malformed traffic: bad prologue -> FatalError 1 and close; sync traffic before the async channel
//   exists -> FatalError 2; wrong order -> FatalError 3; too many sessions -> FatalError 4; a payload
//   longer than the announced maximum -> Error 4 (skipped, never allocated); unknown types -> Error 1,
//   vendor-specific -> Error 3, bad control codes -> Error 2;
// - a session without traffic on either channel for Options::idle_timeout_ms gets FatalError 0
//   ("idle") and is closed.
// - connections come through net::TcpAcceptor (allow list, limits in total and per client
//   address, back-off on accept errors); a refused client gets FatalError 4 ("maximum number of
//   clients exceeded") for a limit, FatalError 0 naming the reason for the allow list, then the close.
// - secure connection (2.0) with a certificate (Options::tls_cert_file/tls_key_file):
//   AsyncStartTLS -> AsyncStartTLSResponse (0 busy while a response is on its way, 3 when already
//   encrypted) -> TLS on the asynchronous channel; StartTLS -> TLS on the synchronous one;
//   AsyncEndTLS / EndTLS back to plain text (refused with 3 when encryption is mandatory);
//   "encryption mandatory" and "initial encryption" modes: until both channels are encrypted only
//   AsyncMaximumMessageSize and GetDescriptors are served, anything else is FatalError 5.
// - authentication (2.0, IVI-6.1 2.0 §3.9) when Options::sasl_users or sasl_anonymous is set
//   (hislip_sasl.hpp, Cyrus SASL): GetSaslMechanismList (SCRAM-SHA-256, PLAIN only while both
//   channels are encrypted, ANONYMOUS), AuthenticationStart -> AuthenticationExchange rounds ->
//   AuthenticationResult (bit 0 success; failure: parameter 1, the reason as text). Until a
//   session authenticated, Data/DataEnd/Trigger and the asynchronous requests that reach the
//   device (lock, lock info, status query, remote/local, device clear) get Error 5
//   ("authentication failed") and are dropped; 1.x sessions, which cannot authenticate, get it too.
//   Without users or anonymous access the list is empty and nothing is required.
#pragma once

#include "protocols/hislip/hislip_sasl.hpp"
#include "protocols/hislip/hislip_wire.hpp"
#include "protocols/net/acceptor.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/net/tls_link.hpp"
#include "server/served_device.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
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
    std::size_t max_connections = 0;            ///< TCP connections at once (0: 2 * max_sessions + 8); more are refused
    std::size_t max_per_address = 16;           ///< TCP connections at once from one client address (2 per session)
    net::AddressFilter allow;                   ///< clients allowed (empty: everyone)
    bool prefer_overlap = false;                ///< InitializeResponse / device-clear preference
    std::string vendor_id = "CV";               ///< 2 characters (VPP-9)
    /// The highest protocol version served (version_1_0, version_1_1 or version_2_0): a client
    /// offering more is answered with this one.
    std::uint16_t max_version = protocol_version;
    /// Secure connections (2.0, IVI-6.1 §3.9 of the 2.0 text): a PEM certificate and its key.
    /// Both set: AsyncInitializeResponse announces the capability to 2.0 clients.
    std::string tls_cert_file;
    std::string tls_key_file;
    enum class Encryption {
      optional,   ///< clients choose (AsyncStartTLS / AsyncEndTLS as they like)
      mandatory,  ///< InitializeResponse bit 1: TLS before any other traffic, never ended
      initial,    ///< InitializeResponse bit 2: TLS before any other traffic, may be ended later
    };
    Encryption encryption = Encryption::optional;
    /// Authentication (2.0): the users (user -> password, load_sasl_users()) accepted with
    /// SCRAM-SHA-256 and, over TLS, PLAIN. Non-empty: sessions must authenticate first.
    std::shared_ptr<const SaslUsers> sasl_users;
    /// Offer ANONYMOUS (RFC 4505): an anonymous session is then served too.
    bool sasl_anonymous = false;
    std::uint32_t init_timeout_ms = 10000;      ///< a new connection must send its first message by then (or by the idle timeout, if shorter)
    std::uint32_t send_timeout_ms = 30000;      ///< a client that stops reading is dropped after this
    std::uint32_t response_timeout_ms = 10000;  ///< a response with no byte for this long is given up
    std::uint32_t device_timeout_ms = 10000;    ///< device writes, clear, status byte, trigger, remote/local
    /// A session with no message either way on either channel for this long gets FatalError 0
    /// ("idle") and is closed (0 = never).
    std::uint32_t idle_timeout_ms = net::default_idle_timeout_ms;
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

  std::uint16_t port() const noexcept { return acceptor_.port(); }
  /// Why start() failed ("" after a success).
  const std::string& error() const noexcept { return tls_error_.empty() ? acceptor_.error() : tls_error_; }
  /// Connections refused so far (allow list, limits).
  std::uint64_t refused_count() const noexcept { return acceptor_.refused_count(); }
  const std::string& host() const noexcept { return options_.host; }
  /// Sessions whose synchronous channel is open (for tests).
  std::size_t session_count() const;
  /// accept() failures so far (out of descriptors, ...), each followed by a back-off.
  std::uint64_t accept_failures() const noexcept { return acceptor_.accept_failures(); }

 private:
  struct Device;
  struct Session;
  class IdleInput;
  void serve(const std::shared_ptr<net::Socket>& socket);
  void refuse(net::Socket& socket, const net::TcpAcceptor::RefusalInfo& info);
  void run_sync(const std::shared_ptr<net::Link>& socket, IdleInput& input, MessageStream& stream,
                const Message& init);
  void run_async(const std::shared_ptr<net::Link>& socket, IdleInput& input, MessageStream& stream,
                 const Message& init);
  /// A channel found its session idle: FatalError 0 on both channels (once), then the close.
  void close_idle(Session& s);
  bool handle_sync(Session& s, const Message& m);
  bool handle_async(Session& s, const Message& m);
  bool handle_data(Session& s, const Message& m);
  void handle_lock(Session& s, const Message& m);
  bool handle_remote_local(Session& s, const Message& m);
  bool handle_status_query(Session& s, const Message& m);
  bool handle_device_clear(Session& s);
  /// Secure-connection messages and the "encryption first" rule, before handle_sync/handle_async:
  /// 0 = not handled here, 1 = handled, -1 = the session ends.
  int secure_sync(Session& s, const Message& m, MessageStream& stream);
  int secure_async(Session& s, const Message& m, MessageStream& stream);
  int refuse_unencrypted(Session& s, const Header& h);
  /// Error / FatalError from the client: logged; false (the session ends) for a FatalError.
  bool peer_error(Session& s, const Message& m);
  /// Authentication messages and the "authenticate first" rule (after secure_sync/secure_async).
  int sasl_sync(Session& s, const Message& m);
  int sasl_async(Session& s, const Message& m);
  bool must_authenticate() const noexcept {
    return options_.sasl_anonymous || (options_.sasl_users && !options_.sasl_users->empty());
  }
  bool must_encrypt() const noexcept { return tls_ && options_.encryption != Options::Encryption::optional; }
  /// GetDescriptors (2.0): answered on the channel it came on.
  bool handle_get_descriptors(Session& s, bool async);
  /// Waits until no other client's lock keeps `s` out; false when the session ends or a clear starts.
  bool wait_for_access(Session& s);
  /// Ends the pump's device read (repeating the abort until it has ended). mutex_ held via `lock`.
  void stop_reading(Session& s, std::unique_lock<std::mutex>& lock);
  /// A device call of the asynchronous channel, made again when an abort aimed at another call
  /// of the session ended it (ServedDevice::abort ends every call and wait of the client: the
  /// pump's read stopped for a new message, the synchronous channel's wait ended by a clear).
  /// VI_ERROR_ABORT only once the session or the server ends, or `deadline` passed.
  status_t unless_aborted_by_another(Session& s, core::Deadline deadline, const std::function<status_t()>& call);
  /// Synchronized mode, after a DataEnd reached the device while the pump is idle (`reading`
  /// claimed by the caller): the answer the device has ready now is read and sent by the
  /// synchronous channel's thread itself, saving the hand-off to the pump (a wake-up and two
  /// context switches per query). Nothing ready, the rest of a long response, further output:
  /// left to the pump (output_wanted). False when the session ends.
  bool answer_now(Session& s);
  void pump(std::shared_ptr<Session> s);
  void close_session(Session& s);
  status_t send_sync(Session& s, const Header& h, std::span<const std::byte> payload = {});
  status_t send_async(Session& s, const Header& h, std::span<const std::byte> payload = {});
  /// Sends an Error naming a device status (code 2 for VI_ERROR_NSUP_OPER, else 0).
  status_t send_device_error(Session& s, bool async, std::string_view what, status_t st);
  void send_fatal(net::Link& socket, std::uint8_t code, std::string_view text);
  void fatal_both(Session& s, std::uint8_t code, std::string_view text);
  void service_requested(Device* device);
  void srq_loop();

  Options options_;
  net::TcpAcceptor acceptor_;
  std::shared_ptr<net::TlsContext> tls_;  // with a certificate: secure connections offered
  std::string tls_error_;
  std::thread srq_thread_;

  // Never held while calling the device (a device may call a service-request listener, or take
  // its own lock, from inside its hooks).
  mutable std::mutex mutex_;
  std::condition_variable changed_;  // session state, closing, stopping
  std::vector<std::unique_ptr<Device>> devices_;
  std::map<std::uint16_t, std::shared_ptr<Session>> sessions_;
  std::uint16_t next_session_id_ = 1;
  bool running_ = false;
  bool stopping_ = false;
  // Service requests (their own lock: listeners run on device threads).
  std::mutex srq_mutex_;
  std::condition_variable srq_wake_;
  std::deque<Device*> srq_queue_;
  bool srq_stop_ = false;
};

}  // namespace cppvisa::hislip
