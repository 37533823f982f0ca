#include "protocols/oncrpc/rpc_server.hpp"

#include "protocols/oncrpc/record_stream.hpp"

#include <unistd.h>

namespace cppvisa::oncrpc {

namespace {
// A reply the client does not read within this time is dropped with the connection.
constexpr std::uint32_t reply_send_timeout_ms = 10000;
constexpr std::size_t max_datagram = 65536;
}  // namespace

RpcServer::RpcServer() : RpcServer(Options{}) {}
RpcServer::RpcServer(Options options) : options_(options) {}
RpcServer::~RpcServer() { stop(); }

void RpcServer::add_program(std::uint32_t prog, std::uint32_t vers_low, std::uint32_t vers_high, Dispatch dispatch) {
  programs_[prog] = Program{vers_low, vers_high, std::move(dispatch)};
}

void RpcServer::on_disconnect(std::function<void(std::uint64_t)> callback) { on_disconnect_ = std::move(callback); }

status_t RpcServer::listen_tcp(std::string_view host, std::uint16_t port) {
  net::TcpAcceptor::Options o;
  o.host = std::string(host);
  o.port = port;
  o.max_connections = options_.max_connections;
  o.max_per_address = options_.max_per_address;
  o.allow = options_.allow;
  return tcp_.open(o);
}

status_t RpcServer::listen_udp(std::string_view host, std::uint16_t port) { return udp_.open(host, port); }

void RpcServer::start() {
  if (started_) return;
  started_ = true;
  // ONC RPC has no connection-level error message (RFC 5531 §11 record marking carries only
  // calls and replies): a refused client just sees the close.
  if (tcp_.is_open())
    tcp_.start([this](const std::shared_ptr<net::Socket>& socket,
                      const net::TcpAcceptor::ConnectionInfo& info) { serve_connection(*socket, info); });
  if (udp_.valid()) udp_thread_ = std::thread([this] { udp_loop(); });
}

void RpcServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  stop_.wake();
  tcp_.stop();
  if (udp_thread_.joinable()) udp_thread_.join();
  udp_.close();
}

void RpcServer::serve_connection(net::Socket& socket, const net::TcpAcceptor::ConnectionInfo& info) {
  // The stream owns a duplicate handle of the socket: the acceptor keeps the original (and shuts
  // it down on stop, which wakes this one too).
  net::Socket own(::dup(socket.fd()));
  if (!own.valid()) {  // out of descriptors: end this connection rather than serve it half
    if (on_disconnect_) on_disconnect_(info.id);
    return;
  }
  CallContext base;
  base.connection_id = info.id;
  base.peer = info.peer;
  base.local = info.local;
  RecordStream stream(std::move(own), options_.max_record_size);
  stream.set_partial_record_timeout(options_.partial_record_timeout_ms);
  // The reply and, for a procedure that reads data in place (VXI-11's device_read), the store of
  // its trailing data: both keep their storage from call to call.
  std::vector<std::byte> record, reply, trailing_store;
  for (;;) {
    // Between calls the client has idle_timeout_ms to send the next one (a half-sent one has
    // partial_record_timeout_ms to complete); the time a call takes does not count.
    auto idle = options_.idle_timeout_ms ? core::Deadline::after_ms(options_.idle_timeout_ms) : core::Deadline::never();
    status_t st = stream.receive(record, idle, &info.stop);
    if (st != status::SUCCESS) break;  // closed, idle, oversize fragment, stop
    bool malformed = false;
    begin_record(reply);  // the reply is appended after the record mark placeholder
    std::span<const std::byte> trailing;
    if (!handle_call(record, base, reply, malformed, &trailing_store, &trailing)) {
      if (malformed) break;
      continue;
    }
    finish_record(reply, trailing.size());
    if (stream.send_framed(reply, trailing, core::Deadline::after_ms(reply_send_timeout_ms), &info.stop) !=
        status::SUCCESS)
      break;
  }
  socket.shutdown();  // the peer sees the close now, before on_disconnect runs
  if (on_disconnect_) on_disconnect_(info.id);
}

void RpcServer::udp_loop() {
  std::vector<std::byte> datagram(max_datagram);
  for (;;) {
    std::size_t n = 0;
    net::Endpoint from;
    status_t st = udp_.recv_from(datagram, n, from, core::Deadline::never(), &stop_);
    if (st == status::ERROR_ABORT) return;
    if (st != status::SUCCESS) continue;
    CallContext base;
    base.peer = from;
    base.udp = true;
    std::vector<std::byte> reply;
    bool malformed = false;
    if (handle_call(std::span(datagram).first(n), base, reply, malformed)) udp_.send_to(reply, from);
  }
}

bool RpcServer::handle_call(std::span<const std::byte> record, const CallContext& base, std::vector<std::byte>& reply,
                            bool& malformed, std::vector<std::byte>* trailing_store,
                            std::span<const std::byte>* trailing) {
  malformed = false;
  if (trailing) *trailing = {};
  const std::size_t start = reply.size();
  XdrReader in(record);
  CallContext call = base;
  CallDecode decoded = decode_call(in, call.header);
  XdrWriter out(reply);
  switch (decoded) {
    case CallDecode::malformed:
      malformed = true;
      return false;
    case CallDecode::not_a_call:
      return false;
    case CallDecode::rpc_mismatch:
      encode_rpc_mismatch_reply(out, call.header.xid);
      return true;
    case CallDecode::ok:
      break;
  }
  auto program = programs_.find(call.header.prog);
  if (program == programs_.end()) {
    encode_accepted_reply(out, call.header.xid, AcceptStat::prog_unavail);
    return true;
  }
  const Program& p = program->second;
  if (call.header.vers < p.low || call.header.vers > p.high) {
    encode_accepted_reply(out, call.header.xid, AcceptStat::prog_mismatch, p.low, p.high);
    return true;
  }
  if (call.header.proc == 0) {  // NULL: void -> void, always (RFC 5531)
    encode_accepted_reply(out, call.header.xid, AcceptStat::success);
    return true;
  }
  // The success header has a fixed size: write it, let the procedure append its results in place
  // (no copy of large read data), and rewrite the header if the procedure failed.
  encode_accepted_reply(out, call.header.xid, AcceptStat::success);
  ProcResult r;
  XdrWriter results(reply, trailing ? trailing_store : nullptr);
  try {
    r = p.dispatch(call, in, results);
  } catch (const std::bad_alloc&) {
    r = ProcResult::system_err;
  }
  if (r == ProcResult::reply && trailing) *trailing = results.trailing();
  if (r != ProcResult::reply) reply.resize(start);
  switch (r) {
    case ProcResult::no_reply:
      return false;
    case ProcResult::reply:
      return true;
    case ProcResult::garbage_args:
      encode_accepted_reply(out, call.header.xid, AcceptStat::garbage_args);
      return true;
    case ProcResult::proc_unavail:
      encode_accepted_reply(out, call.header.xid, AcceptStat::proc_unavail);
      return true;
    case ProcResult::system_err:
      encode_accepted_reply(out, call.header.xid, AcceptStat::system_err);
      return true;
  }
  return false;
}

}  // namespace cppvisa::oncrpc
