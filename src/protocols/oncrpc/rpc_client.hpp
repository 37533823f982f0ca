// oncrpc::RpcClient: ONC RPC calls over one TCP connection, one call outstanding at a time
// (the VXI-11 channels are strictly request/response). Replies are matched by xid: a reply with
// an older xid (left over from a call that timed out locally) is skipped, a newer one is a
// protocol error (RFC 5531).
#pragma once

#include "protocols/net/socket.hpp"
#include "protocols/oncrpc/record_stream.hpp"
#include "protocols/oncrpc/rpc_message.hpp"
#include "protocols/oncrpc/xdr.hpp"

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace cppvisa::oncrpc {

class RpcClient {
 public:
  /// Replies larger than `max_record_size` are refused (ERROR_IO) and the connection is closed.
  explicit RpcClient(std::size_t max_record_size = (1u << 20) + 4096);
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  /// Connects (see net::connect_tcp for the statuses).
  status_t connect(std::string_view host, std::uint16_t port, core::Deadline deadline);
  /// Calls go over `socket`, a TCP connection made elsewhere (e.g. bound to a chosen source address).
  void adopt(net::Socket socket);
  bool connected() const noexcept { return stream_ != nullptr; }
  /// The connected socket (for its local address, options); requires connected().
  net::Socket& socket() noexcept { return stream_->socket(); }

  /// Starts a call and returns the writer for its arguments.
  XdrWriter& begin_call(std::uint32_t prog, std::uint32_t vers, std::uint32_t proc);
  /// Sends the call begun with begin_call() and waits for its reply. On SUCCESS `results` reads
  /// the procedure's results (valid until the next call). ERROR_TMO when no reply came before the
  /// deadline (the connection stays usable: the late reply is skipped by xid), ERROR_CONN_LOST,
  /// ERROR_ABORT (waker), ERROR_NSUP_OPER (PROG/PROC unavailable), ERROR_IO (malformed or
  /// rejected reply).
  status_t finish_call(core::Deadline deadline, XdrReader& results, const net::Waker* cancel = nullptr);
  /// Waits (again) for the reply of the call last sent, e.g. after finish_call() returned
  /// ERROR_TMO and the caller asked the server to abort it. Same statuses as finish_call().
  status_t await_reply(core::Deadline deadline, XdrReader& results, const net::Waker* cancel = nullptr);
  /// Waits for the reply of the earlier call `xid` (one that was sent, e.g. with send_oneway(), and
  /// whose reply nobody took) before the call begun since is sent: older replies are skipped, a
  /// newer one is ERROR_IO. Same statuses as finish_call().
  status_t await_reply_to(std::uint32_t xid, core::Deadline deadline, XdrReader& results);
  /// The xid of the call last begun.
  std::uint32_t current_xid() const noexcept { return current_xid_; }
  /// finish_call() for results made of `prefix_words` 32-bit words and a variable-length opaque
  /// (VXI-11's Device_ReadResp), whose data go straight from the socket into `dest` when they fit
  /// in it: on SUCCESS with `in_dest` set, `dest.first(*in_dest)` holds the data and `results`
  /// reads the prefix words only; without `in_dest` (a reply of another shape: an error, an
  /// opaque longer than `dest`) `results` reads the whole results as finish_call()'s do. A reply
  /// whose opaque announces more data than its record holds is ERROR_IO (the bytes of `dest`
  /// past what arrived are unspecified). Statuses as finish_call(); `dest` is not touched after
  /// the call returns, whatever it returns.
  status_t finish_call_into(core::Deadline deadline, std::size_t prefix_words, std::span<std::byte> dest,
                            XdrReader& results, std::optional<std::size_t>& in_dest,
                            const net::Waker* cancel = nullptr);
  /// await_reply() as finish_call_into() takes its reply.
  status_t await_reply_into(core::Deadline deadline, std::size_t prefix_words, std::span<std::byte> dest,
                            XdrReader& results, std::optional<std::size_t>& in_dest,
                            const net::Waker* cancel = nullptr);
  /// Sends the call begun with begin_call() without waiting for a reply (one-way procedures).
  status_t send_oneway(core::Deadline deadline);

  /// Wakes a call blocked in another thread (it gets ERROR_CONN_LOST) and makes the connection unusable.
  void shutdown() noexcept;
  void close() noexcept;

 private:
  status_t await_xid(std::uint32_t xid, core::Deadline deadline, XdrReader& results, const net::Waker* cancel);
  /// Frames and sends the call begun with begin_call() (closing the connection when it is lost).
  status_t send_request(core::Deadline deadline, const net::Waker* cancel);
  /// A failed send or receive: closes the connection when it is lost or out of step; returns `st`.
  status_t lost_if(status_t st);
  /// Matches the record in reply_ with the call `xid`: `stale` for an earlier call's reply (skip it).
  status_t take_reply(std::uint32_t xid, XdrReader& results, bool& stale);

  std::size_t max_record_;
  std::unique_ptr<RecordStream> stream_;
  std::vector<std::byte> request_;
  XdrWriter writer_{request_};
  std::vector<std::byte> reply_;
  std::uint32_t xid_;
  std::uint32_t current_xid_ = 0;
};

}  // namespace cppvisa::oncrpc
