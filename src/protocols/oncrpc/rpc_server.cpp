#include "protocols/oncrpc/rpc_server.hpp"

#include "protocols/oncrpc/record_stream.hpp"

#include <poll.h>
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

status_t RpcServer::listen_tcp(std::string_view host, std::uint16_t port) { return tcp_.open(host, port); }
status_t RpcServer::listen_udp(std::string_view host, std::uint16_t port) { return udp_.open(host, port); }

void RpcServer::start() {
  if (started_) return;
  started_ = true;
  if (tcp_.valid()) accept_thread_ = std::thread([this] { accept_loop(); });
  if (udp_.valid()) udp_thread_ = std::thread([this] { udp_loop(); });
}

void RpcServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  stop_.wake();
  if (accept_thread_.joinable()) accept_thread_.join();
  if (udp_thread_.joinable()) udp_thread_.join();
  std::list<std::unique_ptr<Connection>> connections;
  {
    std::lock_guard lock(connections_mutex_);
    for (auto& c : connections_) c->socket.shutdown();
    connections.swap(connections_);
  }
  for (auto& c : connections)
    if (c->thread.joinable()) c->thread.join();
  tcp_.close();
  udp_.close();
}

std::size_t RpcServer::connection_count() const {
  std::lock_guard lock(connections_mutex_);
  std::size_t n = 0;
  for (auto& c : connections_) n += c->done ? 0 : 1;
  return n;
}

void RpcServer::reap_finished() {
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard lock(connections_mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->done) {
        finished.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) c->thread.join();
}

void RpcServer::accept_loop() {
  for (;;) {
    net::Socket s;
    status_t st = tcp_.accept(s, core::Deadline::never(), &stop_);
    if (st == status::ERROR_ABORT) return;
    reap_finished();
    if (st != status::SUCCESS) {
      // Out of descriptors or similar: back off briefly instead of spinning.
      if (net::wait_fd(stop_.fd(), POLLIN, core::Deadline::after_ms(50), nullptr) == status::SUCCESS) return;
      continue;
    }
    if (connection_count() >= options_.max_connections) continue;  // closes `s`
    s.set_nodelay(true);
    std::lock_guard lock(connections_mutex_);
    if (stopped_) return;
    auto c = std::make_unique<Connection>();
    c->socket = std::move(s);
    c->id = next_connection_id_++;
    Connection* raw = c.get();
    connections_.push_back(std::move(c));
    raw->thread = std::thread([this, raw] { serve_connection(*raw); });
  }
}

void RpcServer::serve_connection(Connection& c) {
  // The stream owns a duplicate handle of the socket so stop() can shut the original down.
  net::Socket own(::dup(c.socket.fd()));
  CallContext base;
  base.connection_id = c.id;
  base.peer = own.peer_endpoint();
  base.local = own.local_endpoint();
  RecordStream stream(std::move(own), options_.max_record_size);
  stream.set_partial_record_timeout(options_.partial_record_timeout_ms);
  std::vector<std::byte> record, reply;
  for (;;) {
    status_t st = stream.receive(record, core::Deadline::never(), &stop_);
    if (st != status::SUCCESS) break;  // closed, oversize fragment, stop
    bool malformed = false;
    begin_record(reply);  // the reply is appended after the record mark placeholder
    if (!handle_call(record, base, reply, malformed)) {
      if (malformed) break;
      continue;
    }
    finish_record(reply);
    if (stream.send_framed(reply, core::Deadline::after_ms(reply_send_timeout_ms), &stop_) != status::SUCCESS) break;
  }
  c.socket.shutdown();  // the peer sees the close now, not when the thread is reaped
  if (on_disconnect_) on_disconnect_(c.id);
  c.done = true;
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
                            bool& malformed) {
  malformed = false;
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
  try {
    r = p.dispatch(call, in, out);
  } catch (const std::bad_alloc&) {
    r = ProcResult::system_err;
  }
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
