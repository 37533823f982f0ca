// oncrpc::RpcServer: a small ONC RPC server over TCP (net::TcpAcceptor: one thread per
// connection, bounded in total and per client address, optional allow list) and UDP (one thread). Programs are registered with a dispatch function; the server answers
// the protocol-level errors itself (RFC 5531): RPC_MISMATCH for rpcvers != 2,
// PROG_UNAVAIL, PROG_MISMATCH (with the supported range), PROC_UNAVAIL, GARBAGE_ARGS. Procedure 0
// (NULL) always succeeds. A malformed record or an oversize fragment closes the connection.
#pragma once

#include "protocols/net/acceptor.hpp"
#include "protocols/net/address_filter.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/oncrpc/rpc_message.hpp"
#include "protocols/oncrpc/xdr.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace cppvisa::oncrpc {

/// What a procedure did.
enum class ProcResult {
  reply,         ///< results were written: reply SUCCESS
  no_reply,      ///< one-way procedure: send nothing
  garbage_args,  ///< arguments could not be decoded
  proc_unavail,  ///< unknown procedure
  system_err,    ///< the server failed (e.g. out of memory)
};

/// The call being served.
struct CallContext {
  CallHeader header;
  std::uint64_t connection_id = 0;  ///< unique per TCP connection; 0 for UDP
  net::Endpoint peer;
  net::Endpoint local;
  bool udp = false;
};

/// Serves one program version range. `args` reads the arguments; a procedure should check
/// args.done() after decoding (trailing bytes are garbage); `results` receives the results.
using Dispatch = std::function<ProcResult(const CallContext& call, XdrReader& args, XdrWriter& results)>;

class RpcServer {
 public:
  struct Options {
    /// Options with the two bounds most users set.
    static Options bounded(std::size_t max_record_size, std::size_t max_connections) {
      Options o;
      o.max_record_size = max_record_size;
      o.max_connections = max_connections;
      return o;
    }
    std::size_t max_record_size = (1u << 20) + 4096;  ///< largest call accepted (TCP)
    std::size_t max_connections = 64;               ///< more are accepted and closed at once
    std::size_t max_per_address = 16;               ///< TCP connections from one client address at once
    net::AddressFilter allow;                       ///< TCP clients allowed (empty = all); others are closed at once
    std::uint32_t partial_record_timeout_ms = 30000;  ///< a half-sent call must complete within this
    /// A TCP connection without a call for this long is closed (0 = never).
    std::uint32_t idle_timeout_ms = net::default_idle_timeout_ms;
  };
  RpcServer();
  explicit RpcServer(Options options);
  ~RpcServer();
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  /// Registers a program for versions [low, high]. Call before start().
  void add_program(std::uint32_t prog, std::uint32_t vers_low, std::uint32_t vers_high, Dispatch dispatch);
  /// Called (on the connection's thread) when a TCP connection ends, with its id.
  void on_disconnect(std::function<void(std::uint64_t connection_id)> callback);

  /// Opens the listeners (port 0 = any). Call before start().
  status_t listen_tcp(std::string_view host, std::uint16_t port);
  status_t listen_udp(std::string_view host, std::uint16_t port);
  std::uint16_t tcp_port() const noexcept { return tcp_.port(); }
  /// Why listen_tcp() failed ("" after a success).
  const std::string& tcp_error() const noexcept { return tcp_.error(); }
  std::uint16_t udp_port() const noexcept { return udp_.port(); }

  void start();
  /// Stops accepting, closes every connection, joins every thread. Idempotent.
  void stop();

  /// Number of open TCP connections (for tests).
  std::size_t connection_count() const { return tcp_.connection_count(); }
  /// TCP connections refused so far (allow list, limits).
  std::uint64_t refused_count() const noexcept { return tcp_.refused_count(); }

  /// Handles one complete call record (also used by the fuzz target): appends the (unframed)
  /// reply message to `reply`; returns false when nothing must be sent (not a call, malformed
  /// header, or a one-way procedure). `malformed` is set when the record cannot be a call at all.
  /// With `trailing_store`, a procedure's trailing opaque (XdrWriter::begin_trailing_opaque) stays
  /// there and `trailing` gets its bytes: the reply is `reply` followed by them. Without it, or
  /// when nothing was left in the store, `trailing` is empty.
  bool handle_call(std::span<const std::byte> record, const CallContext& base, std::vector<std::byte>& reply,
                   bool& malformed, std::vector<std::byte>* trailing_store = nullptr,
                   std::span<const std::byte>* trailing = nullptr);

 private:
  struct Program {
    std::uint32_t low, high;
    Dispatch dispatch;
  };
  void udp_loop();
  void serve_connection(net::Socket& socket, const net::TcpAcceptor::ConnectionInfo& info);

  Options options_;
  std::map<std::uint32_t, Program> programs_;
  std::function<void(std::uint64_t)> on_disconnect_;
  net::TcpAcceptor tcp_;
  net::UdpSocket udp_;
  net::Waker stop_;  // the UDP loop's
  std::thread udp_thread_;
  bool started_ = false, stopped_ = false;
};

}  // namespace cppvisa::oncrpc
