#include "protocols/oncrpc/rpc_client.hpp"

#include <random>

namespace cppvisa::oncrpc {

RpcClient::RpcClient(std::size_t max_record_size) : max_record_(max_record_size) {
  // A random first xid, so that a reconnecting client is not confused by replies meant for an earlier one.
  std::random_device rd;
  xid_ = rd() & 0x3FFFFFFFu;
}

status_t RpcClient::connect(std::string_view host, std::uint16_t port, core::Deadline deadline) {
  net::Socket s;
  status_t st = net::connect_tcp(host, port, deadline, s);
  if (st != status::SUCCESS) return st;
  adopt(std::move(s));
  return status::SUCCESS;
}

void RpcClient::adopt(net::Socket socket) {
  socket.set_nodelay(true);
  stream_ = std::make_unique<RecordStream>(std::move(socket), max_record_);
}

XdrWriter& RpcClient::begin_call(std::uint32_t prog, std::uint32_t vers, std::uint32_t proc) {
  begin_record(request_);
  current_xid_ = ++xid_;
  encode_call(writer_, CallHeader{current_xid_, prog, vers, proc});
  return writer_;
}

status_t RpcClient::send_oneway(core::Deadline deadline) {
  if (!stream_) return status::ERROR_CONN_LOST;
  finish_record(request_);
  status_t st = stream_->send_framed(request_, deadline);
  if (st == status::ERROR_CONN_LOST || st == status::ERROR_IO) close();
  return st;
}

status_t RpcClient::finish_call(core::Deadline deadline, XdrReader& results, const net::Waker* cancel) {
  if (!stream_) return status::ERROR_CONN_LOST;
  finish_record(request_);
  status_t st = stream_->send_framed(request_, deadline, cancel);
  if (st != status::SUCCESS) {
    if (st == status::ERROR_CONN_LOST || st == status::ERROR_IO) close();
    return st;
  }
  return await_reply(deadline, results, cancel);
}

status_t RpcClient::await_reply(core::Deadline deadline, XdrReader& results, const net::Waker* cancel) {
  return await_xid(current_xid_, deadline, results, cancel);
}

status_t RpcClient::await_reply_to(std::uint32_t xid, core::Deadline deadline, XdrReader& results) {
  return await_xid(xid, deadline, results, nullptr);
}

status_t RpcClient::await_xid(std::uint32_t xid, core::Deadline deadline, XdrReader& results,
                              const net::Waker* cancel) {
  if (!stream_) return status::ERROR_CONN_LOST;
  status_t st;
  for (;;) {
    st = stream_->receive(reply_, deadline, cancel);
    if (st != status::SUCCESS) {
      if (st == status::ERROR_CONN_LOST || st == status::ERROR_IO) close();
      return st;
    }
    XdrReader in(reply_);
    ReplyHeader header;
    if (!decode_reply(in, header)) {
      // Not a reply (or garbage). A reply we cannot parse cannot be matched: fail this call.
      return status::ERROR_IO;
    }
    auto age = static_cast<std::int32_t>(header.xid - xid);
    if (age < 0) continue;  // stale reply of an earlier call that timed out here
    if (age > 0) return status::ERROR_IO;
    st = reply_error_status(header);
    if (st != status::SUCCESS) return st;
    results = in;
    return status::SUCCESS;
  }
}

void RpcClient::shutdown() noexcept {
  if (stream_) stream_->socket().shutdown();
}

void RpcClient::close() noexcept { stream_.reset(); }

}  // namespace cppvisa::oncrpc
