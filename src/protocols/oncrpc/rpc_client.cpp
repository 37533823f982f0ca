#include "protocols/oncrpc/rpc_client.hpp"

#include "core/error_detail.hpp"

#include <fmt/format.h>

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

status_t RpcClient::send_request(core::Deadline deadline, const net::Waker* cancel) {
  if (!stream_) return status::ERROR_CONN_LOST;
  finish_record(request_);
  return lost_if(stream_->send_framed(request_, deadline, cancel));
}

status_t RpcClient::send_oneway(core::Deadline deadline) { return send_request(deadline, nullptr); }

status_t RpcClient::finish_call(core::Deadline deadline, XdrReader& results, const net::Waker* cancel) {
  if (status_t st = send_request(deadline, cancel); st != status::SUCCESS) return st;
  return await_reply(deadline, results, cancel);
}

status_t RpcClient::lost_if(status_t st) {
  if (st == status::ERROR_CONN_LOST || st == status::ERROR_IO) close();
  return st;
}

status_t RpcClient::take_reply(std::uint32_t xid, XdrReader& results, bool& stale) {
  stale = false;
  XdrReader in(reply_);
  ReplyHeader header;
  if (!decode_reply(in, header)) {
    // Not a reply (or garbage). A reply we cannot parse cannot be matched: fail this call.
    return status::ERROR_IO;
  }
  auto age = static_cast<std::int32_t>(header.xid - xid);
  if (age < 0) {  // stale reply of an earlier call that timed out here
    stale = true;
    return status::SUCCESS;
  }
  if (age > 0) return status::ERROR_IO;
  status_t st = reply_error_status(header);
  if (st != status::SUCCESS) return st;
  results = in;
  return status::SUCCESS;
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
  for (;;) {
    status_t st = stream_->receive(reply_, deadline, cancel);
    if (st != status::SUCCESS) return lost_if(st);
    bool stale = false;
    st = take_reply(xid, results, stale);
    if (!stale) return st;
  }
}

status_t RpcClient::finish_call_into(core::Deadline deadline, std::size_t prefix_words, std::span<std::byte> dest,
                                     XdrReader& results, std::optional<std::size_t>& in_dest,
                                     const net::Waker* cancel) {
  in_dest.reset();
  if (status_t st = send_request(deadline, cancel); st != status::SUCCESS) return st;
  return await_reply_into(deadline, prefix_words, dest, results, in_dest, cancel);
}

namespace {
std::uint32_t word_at(std::span<const std::byte> bytes, std::size_t at) {
  XdrReader r(bytes.subspan(at, 4));
  return r.get_u32();
}
}  // namespace

status_t RpcClient::await_reply_into(core::Deadline deadline, std::size_t prefix_words, std::span<std::byte> dest,
                                     XdrReader& results, std::optional<std::size_t>& in_dest,
                                     const net::Waker* cancel) {
  in_dest.reset();
  if (!stream_) return status::ERROR_CONN_LOST;
  RecordReader& reader = stream_->reader();
  // The head of an accepted reply (RFC 5531 §9): xid, REPLY, MSG_ACCEPTED, the verifier (flavor,
  // body length, body), SUCCESS; then the results' prefix words and the opaque's length word.
  const std::size_t fixed = 6 * 4 + prefix_words * 4 + 4;
  for (;;) {
    bool complete = false;
    status_t st = stream_->receive_head(fixed, complete, deadline, cancel);
    if (st != status::SUCCESS) return lost_if(st);
    if (!complete) {
      std::span<const std::byte> head = reader.partial();
      const std::size_t verifier = word_at(head, 16);
      if (word_at(head, 4) == msg_reply && word_at(head, 8) == 0 && verifier <= max_auth_body) {
        const std::size_t need = fixed + verifier + xdr_padding(verifier);
        if (need > head.size()) {
          st = stream_->receive_head(need, complete, deadline, cancel);
          if (st != status::SUCCESS) return lost_if(st);
          head = reader.partial();
        }
        XdrReader in(head);
        ReplyHeader header;
        if (!complete && decode_reply(in, header) && header.xid == current_xid_ && header.accepted &&
            header.accept == AcceptStat::success) {
          const std::size_t prefix_at = head.size() - in.remaining();
          for (std::size_t i = 0; i < prefix_words; ++i) in.get_u32();
          const std::uint32_t length = in.get_u32();
          if (in.ok() && length <= dest.size()) {
            // The data go straight into the caller's buffer; the record keeps its head and
            // whatever follows the data (padding, trailing bytes some peers add).
            reader.divert(dest.first(length));
            st = stream_->receive(reply_, deadline, cancel);
            const std::size_t got = reader.diverted();
            reader.end_divert();  // a late rest of this record (after a timeout) goes to the record
            if (st != status::SUCCESS) return lost_if(st);
            if (got < length || reply_.size() < need + xdr_padding(length))
              return core::fail(status::ERROR_IO,
                                fmt::format("ONC RPC: a reply's results announce {} bytes of data, its record "
                                            "holds {}",
                                            length, got + (reply_.size() - need)));
            results = XdrReader(std::span<const std::byte>(reply_).subspan(prefix_at, prefix_words * 4));
            in_dest = length;
            return status::SUCCESS;
          }
        }
      }
    }
    // Any other reply (short, an error, stale, an opaque longer than `dest`): whole, as await_reply.
    st = stream_->receive(reply_, deadline, cancel);
    if (st != status::SUCCESS) return lost_if(st);
    bool stale = false;
    st = take_reply(current_xid_, results, stale);
    if (!stale) return st;
  }
}

void RpcClient::shutdown() noexcept {
  if (stream_) stream_->socket().shutdown();
}

void RpcClient::close() noexcept { stream_.reset(); }

}  // namespace cppvisa::oncrpc
