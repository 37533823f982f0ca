#include "protocols/vxi11/vxi11_client.hpp"

#include "core/error_detail.hpp"
#include "core/log.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/oncrpc/portmapper.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <random>

namespace cppvisa::vxi11 {

using oncrpc::XdrReader;

namespace {

// Largest requestSize we ask for, and the reply records we accept (bounded memory per link).
constexpr std::uint32_t max_read_request = 4u << 20;
constexpr std::size_t max_reply_record = max_read_request + 4096;
// Largest device_write chunk, whatever maxRecvSize the instrument announces (some say 0xFFFFFFFF).
constexpr std::uint32_t max_write_chunk = 4u << 20;
// Calls without a timeout of their own (create_link without lock, unlock, destroy_link, SRQ setup).
constexpr std::uint32_t housekeeping_timeout_ms = 5000;

std::uint32_t io_timeout_ms(core::Deadline d) {
  if (d.infinite()) return 0xFFFFFFFFu;
  auto ms = d.remaining().count();
  return static_cast<std::uint32_t>(std::clamp<long long>(ms, 1, 0xFFFFFFFEll));
}


core::Deadline extend(core::Deadline d, std::uint32_t ms) {
  if (d.infinite() || ms == 0xFFFFFFFFu) return core::Deadline::never();
  return core::Deadline::at(d.when() + std::chrono::milliseconds(ms));
}

// The IPv4 address (as VXI-11's u32) of a numeric host; false for IPv6.
bool ipv4_u32(const std::string& host, std::uint32_t& out) {
  std::string h = host;
  if (h.rfind("::ffff:", 0) == 0) h = h.substr(7);
  in_addr a{};
  if (::inet_pton(AF_INET, h.c_str(), &a) != 1) return false;
  out = ntohl(a.s_addr);
  return true;
}

}  // namespace

std::uint32_t remaining_ms(core::Deadline d) {
  if (d.infinite()) return 0xFFFFFFFFu;
  return static_cast<std::uint32_t>(std::min<long long>(d.remaining().count(), 0xFFFFFFFEll));
}

std::uint32_t Vxi11Client::grace_ms(std::uint32_t timeout_ms) noexcept {
  // 5% for the reply to travel, then up to 2.5% for device_abort: the call is over within the
  // caller's timeout + 7.5% (10% promised; the rest is scheduling). Capped at 1 s: that is plenty
  // for a LAN round trip, and a 10 min timeout need not wait 30 s more. At least 50 ms: a reply
  // needs a round trip whatever the timeout (a lock with timeout 0 on a free device got 1 ms and
  // timed out on a loaded machine); from 1 s up the 5% is the larger.
  if (timeout_ms == 0xFFFFFFFFu) return 0;
  return std::clamp<std::uint32_t>(timeout_ms / 20, 50, 1000);
}

Vxi11Client::Vxi11Client() : core_(max_reply_record) {}

Vxi11Client::~Vxi11Client() { close(); }

status_t Vxi11Client::open(const Target& target, core::Deadline deadline, bool lock_device,
                           std::uint32_t lock_timeout_ms) {
  std::lock_guard lock(core_mutex_);
  host_ = net::strip_brackets(target.host);
  std::uint16_t port = 0;
  if (target.core_port) {
    port = *target.core_port;
  } else {
    status_t st = oncrpc::portmap_getport(host_, target.portmapper_port, core_program, program_version,
                                          oncrpc::pmap::ipproto_tcp, deadline, port);
    if (st != status::SUCCESS)
      return core::fail_within(status::ERROR_RSRC_NFOUND,
                               fmt::format("VXI-11: asking the portmapper of {} (port {}) for the core channel",
                                           host_, target.portmapper_port));
  }
  if (core_.connect(host_, port, deadline) != status::SUCCESS)
    return core::fail_within(status::ERROR_RSRC_NFOUND, "VXI-11 core channel");

  std::random_device rd;
  CreateLinkParms p;
  p.client_id = static_cast<std::int32_t>(rd() & 0x7FFFFFFF);
  p.lock_device = lock_device;
  p.lock_timeout = lock_device ? lock_timeout_ms : 0;
  p.device = target.device_name;
  encode(core_.begin_call(core_program, program_version, proc::create_link), p);
  XdrReader results;
  // The open timeout covers the whole open; waiting for a lock adds the lock timeout (and its grace).
  std::uint32_t lock_wait = lock_device ? lock_timeout_ms + grace_ms(lock_timeout_ms) : 0;
  core::Deadline transport = extend(deadline, lock_wait);
  status_t st = core_.finish_call(transport, results);
  if (st != status::SUCCESS) {
    core_.close();
    return core::fail_within(status::ERROR_RSRC_NFOUND, "VXI-11 create_link");
  }
  CreateLinkResp r;
  if (!decode(results, r)) {
    core_.close();
    return core::fail(status::ERROR_RSRC_NFOUND, "VXI-11 create_link: malformed reply");
  }
  if (r.error != err::none) {
    core_.close();
    return core::fail(create_link_error_to_status(r.error),
                      fmt::format("VXI-11 create_link of device '{}' refused: error {}", target.device_name, static_cast<long>(r.error)));
  }
  lid_ = r.lid;
  // maxRecvSize must be at least 1024 (VXI-11 B.6.3); cap absurd values (some report 0xFFFFFFFF).
  max_recv_size_ = std::clamp<std::uint32_t>(r.max_recv_size, 1024, max_write_chunk);
  abort_port_ = static_cast<std::uint16_t>(r.abort_port);
  open_ = true;
  CPPVISA_LOG("vxi11", "create_link '{}' on {}:{}: link {}, maxRecvSize {}, abort port {}", target.device_name, host_,
              port, lid_, max_recv_size_, abort_port_);
  return status::SUCCESS;
}

void Vxi11Client::close() {
  disable_srq();
  std::lock_guard lock(core_mutex_);
  if (open_ && core_.connected()) {
    core_.begin_call(core_program, program_version, proc::destroy_link).put_i32(lid_);
    XdrReader results;
    core_.finish_call(core::Deadline::after_ms(housekeeping_timeout_ms), results);
  }
  open_ = false;
  core_.close();
  std::lock_guard abort_lock(abort_mutex_);
  abort_channel_.close();
}

status_t Vxi11Client::settle_abandoned_read(core::Deadline deadline) {
  // An asynchronous read abandoned in the reactor (viTerminate sent device_abort) still has its
  // device_read at the instrument, and the core channel serves one call at a time (VXI-11 B.4):
  // the next call waits for it. device_abort ends only a call in progress (B.6.1), so one that
  // arrived on the abort channel before the instrument began the read did nothing, and the read
  // would run to its io_timeout (measured: 1 in 10 under load). Its reply is awaited here, before
  // the next call goes out, with device_abort again every 100 ms: with no newer call sent, an
  // abort can end nothing but that read.
  while (read_outstanding_) {
    XdrReader stale;
    status_t st = core_.await_reply_to(read_xid_, core::Deadline::earliest(deadline, core::Deadline::after_ms(100)),
                                       stale);
    if (st != status::ERROR_TMO) {
      read_outstanding_ = false;
      return st == status::ERROR_CONN_LOST || st == status::ERROR_IO ? st : status::SUCCESS;
    }
    if (deadline.expired()) return status::ERROR_TMO;
    abort(100);
  }
  return status::SUCCESS;
}

status_t Vxi11Client::call(std::uint32_t procedure, core::Deadline deadline, XdrReader& results,
                           std::span<std::byte> dest, std::optional<std::size_t>* in_dest) {
  (void)procedure;
  if (!core_.connected()) return status::ERROR_CONN_LOST;
  if (status_t st = settle_abandoned_read(deadline); st != status::SUCCESS) return st;
  std::uint32_t grace = grace_ms(remaining_ms(deadline));
  // Device_ReadResp: error and reason (2 words) before the data.
  status_t st = in_dest ? core_.finish_call_into(extend(deadline, grace), 2, dest, results, *in_dest)
                        : core_.finish_call(extend(deadline, grace), results);
  if (st == status::ERROR_TMO) {
    // The instrument ignored its io_timeout (or is silent): abort the call so that the link is
    // usable again, within half the grace; its late reply, if any, is skipped by xid at the next
    // call (RpcClient::await_reply).
    abort(std::max<std::uint32_t>(grace / 2, 1));
    return status::ERROR_TMO;
  }
  return st;
}

status_t Vxi11Client::write(std::span<const std::byte> data, bool end, std::size_t& count, core::Deadline deadline) {
  std::lock_guard lock(core_mutex_);
  count = 0;
  if (!open_) return status::ERROR_CONN_LOST;
  do {
    std::size_t chunk = std::min<std::size_t>(data.size() - count, max_recv_size_);
    bool last = count + chunk == data.size();
    DeviceWriteParms p;
    p.lid = lid_;
    p.io_timeout = io_timeout_ms(deadline);
    p.lock_timeout = 0;
    p.flags = (last && end) ? flag::end : 0;  // END only on the final piece
    p.data = data.subspan(count, chunk);
    encode(core_.begin_call(core_program, program_version, proc::device_write), p);
    XdrReader results;
    status_t st = call(proc::device_write, deadline, results);
    if (st != status::SUCCESS) return st;
    DeviceWriteResp r;
    if (!decode(results, r)) return status::ERROR_IO;
    count += std::min<std::size_t>(r.size, chunk);
    if (r.error != err::none) return error_to_status(r.error);
    if (r.size == 0 && chunk > 0) return status::ERROR_IO;  // no progress without an error
    if (count < data.size() && deadline.expired()) return status::ERROR_TMO;
  } while (count < data.size());
  return status::SUCCESS;
}

std::uint32_t Vxi11Client::begin_read(std::size_t room, const core::ReadTermination& term, core::Deadline deadline) {
  std::uint32_t want = static_cast<std::uint32_t>(std::min<std::size_t>(room, max_read_request));
  DeviceReadParms p;
  p.lid = lid_;
  p.request_size = want;
  p.io_timeout = io_timeout_ms(deadline);
  p.lock_timeout = 0;
  p.flags = term.termchar_enabled ? flag::termchrset : 0;
  p.term_char = static_cast<std::uint8_t>(term.termchar);
  encode(core_.begin_call(core_program, program_version, proc::device_read), p);
  return want;
}

status_t Vxi11Client::take_read_reply(XdrReader& results, std::uint32_t want, std::span<std::byte> buffer,
                                      std::size_t& count, const core::ReadTermination& term, bool& more,
                                      std::optional<std::size_t> in_dest) {
  more = false;
  DeviceReadResp r;
  std::size_t received = 0;
  if (in_dest) {  // the data are in buffer[count, count + *in_dest) already
    r.error = results.get_i32();
    r.reason = results.get_i32();
    if (!results.ok() || *in_dest > want) return status::ERROR_IO;
    received = *in_dest;
  } else {
    if (!decode(results, r, want)) return status::ERROR_IO;  // also: more data than requested
    if (!r.data.empty()) std::memcpy(buffer.data() + count, r.data.data(), r.data.size());
    received = r.data.size();
  }
  count += received;
  if (r.error != err::none) return error_to_status(r.error);  // 15: ERROR_TMO with the bytes so far
  // Termination wins over a full buffer (VPP-4.3); END is honoured even when the count
  // equals the request exactly (pyvisa-py #608).
  // END before the termination character, as core::MessageReader orders them.
  if ((r.reason & reason::end) && !term.suppress_end) return status::SUCCESS;
  if ((r.reason & reason::chr) && term.termchar_enabled) return status::SUCCESS_TERM_CHAR;
  if (count == buffer.size()) return status::SUCCESS_MAX_CNT;
  if (received == 0 && r.reason == 0) return status::ERROR_IO;  // no data, no condition: no progress
  more = true;
  return status::SUCCESS;
}

status_t Vxi11Client::read(std::span<std::byte> buffer, std::size_t& count, const core::ReadTermination& term,
                           core::Deadline deadline) {
  std::lock_guard lock(core_mutex_);
  count = 0;
  if (!open_) return status::ERROR_CONN_LOST;
  if (buffer.empty()) return status::SUCCESS_MAX_CNT;
  for (;;) {
    std::uint32_t want = begin_read(buffer.size() - count, term, deadline);
    XdrReader results;
    std::optional<std::size_t> in_dest;
    // The reply's data go from the socket straight into the caller's buffer.
    status_t st = call(proc::device_read, deadline, results, buffer.subspan(count, want), &in_dest);
    if (st != status::SUCCESS) return st;
    bool more = false;
    st = take_read_reply(results, want, buffer, count, term, more, in_dest);
    if (!more) return st;
    if (deadline.expired()) return status::ERROR_TMO;
  }
}

status_t Vxi11Client::read_step(std::span<std::byte> buffer, std::size_t& count, const core::ReadTermination& term,
                                core::Deadline deadline, bool resumed, core::Deadline& wait_until, bool& pending) {
  std::lock_guard lock(core_mutex_);
  count = 0;
  pending = false;
  if (!open_) return status::ERROR_CONN_LOST;
  // A read that starts owes nothing to one abandoned in the reactor (viTerminate): that one's
  // late reply is skipped by its xid (RpcClient::await_reply).
  if (!resumed) {
    if (status_t st = settle_abandoned_read(deadline); st != status::SUCCESS) return st;
  }
  if (buffer.empty() && !read_outstanding_) return status::SUCCESS_MAX_CNT;
  for (;;) {
    if (!read_outstanding_) {
      if (count > 0 && deadline.expired()) return status::ERROR_TMO;
      read_want_ = begin_read(buffer.size() - count, term, deadline);
      // The request goes out now (a socket's send buffer takes it); the reply is waited for in
      // the reactor, as call() would wait for it on this thread: until the deadline and its grace.
      read_xid_ = core_.current_xid();
      status_t st = core_.send_oneway(deadline);
      if (st != status::SUCCESS) return st;
      read_grace_ = grace_ms(remaining_ms(deadline));
      read_until_ = extend(deadline, read_grace_);
      read_outstanding_ = true;
    }
    XdrReader results;
    status_t st = core_.await_reply(core::Deadline::at(core::Deadline::clock::now()), results);
    if (st == status::ERROR_TMO) {
      if (!read_until_.expired()) {
        pending = true;
        wait_until = read_until_;
        return status::SUCCESS;
      }
      // As call(): the instrument ignored its io_timeout; abort the call so that the link is usable.
      read_outstanding_ = false;
      abort(std::max<std::uint32_t>(read_grace_ / 2, 1));
      return status::ERROR_TMO;
    }
    read_outstanding_ = false;
    if (st != status::SUCCESS) return st;
    bool more = false;
    st = take_read_reply(results, read_want_, buffer, count, term, more);
    if (!more) return st;
  }
}

int Vxi11Client::core_fd() {
  std::lock_guard lock(core_mutex_);
  return open_ && core_.connected() ? core_.socket().fd() : -1;
}

status_t Vxi11Client::generic(std::uint32_t procedure, core::Deadline deadline, std::uint8_t* stb) {
  std::lock_guard lock(core_mutex_);
  if (!open_) return status::ERROR_CONN_LOST;
  DeviceGenericParms p;
  p.lid = lid_;
  p.flags = 0;
  p.lock_timeout = 0;
  p.io_timeout = io_timeout_ms(deadline);
  encode(core_.begin_call(core_program, program_version, procedure), p);
  XdrReader results;
  status_t st = call(procedure, deadline, results);
  if (st != status::SUCCESS) return st;
  if (stb) {
    DeviceReadStbResp r;
    if (!decode(results, r)) return status::ERROR_IO;
    if (r.error == err::none) *stb = r.stb;
    return error_to_status(r.error);
  }
  std::int32_t e = results.get_i32();
  if (!results.ok()) return status::ERROR_IO;
  return error_to_status(e);
}

status_t Vxi11Client::read_stb(std::uint8_t& stb, core::Deadline d) { return generic(proc::device_readstb, d, &stb); }
status_t Vxi11Client::trigger(core::Deadline d) { return generic(proc::device_trigger, d, nullptr); }
status_t Vxi11Client::clear(core::Deadline d) { return generic(proc::device_clear, d, nullptr); }
status_t Vxi11Client::remote(core::Deadline d) { return generic(proc::device_remote, d, nullptr); }
status_t Vxi11Client::local(core::Deadline d) { return generic(proc::device_local, d, nullptr); }

status_t Vxi11Client::lock(std::uint32_t lock_timeout_ms) {
  std::lock_guard lock(core_mutex_);
  if (!open_) return status::ERROR_CONN_LOST;
  DeviceLockParms p;
  p.lid = lid_;
  p.flags = lock_timeout_ms ? flag::waitlock : 0;
  p.lock_timeout = lock_timeout_ms;
  encode(core_.begin_call(core_program, program_version, proc::device_lock), p);
  XdrReader results;
  // The instrument may wait lock_timeout for the lock: the transport waits that long plus a margin.
  status_t st = call(proc::device_lock, core::Deadline::after_ms(lock_timeout_ms), results);
  if (st != status::SUCCESS) return st;
  std::int32_t e = results.get_i32();
  if (!results.ok()) return status::ERROR_IO;
  return error_to_status(e);
}

status_t Vxi11Client::unlock() {
  std::lock_guard lock(core_mutex_);
  if (!open_) return status::ERROR_CONN_LOST;
  core_.begin_call(core_program, program_version, proc::device_unlock).put_i32(lid_);
  XdrReader results;
  status_t st = call(proc::device_unlock, core::Deadline::after_ms(housekeeping_timeout_ms), results);
  if (st != status::SUCCESS) return st;
  std::int32_t e = results.get_i32();
  if (!results.ok()) return status::ERROR_IO;
  return error_to_status(e);
}

status_t Vxi11Client::connect_abort_channel(core::Deadline deadline) {
  if (abort_channel_.connected()) return status::SUCCESS;
  if (abort_port_ == 0) return status::ERROR_NSUP_OPER;
  return abort_channel_.connect(host_, abort_port_, deadline);
}

status_t Vxi11Client::abort(std::uint32_t timeout_ms) {
  std::lock_guard lock(abort_mutex_);
  if (!open_) return status::ERROR_CONN_LOST;
  auto deadline = core::Deadline::after_ms(timeout_ms);
  status_t st = connect_abort_channel(deadline);
  if (st != status::SUCCESS) return st == status::ERROR_RSRC_NFOUND ? status::ERROR_NSUP_OPER : st;
  abort_channel_.begin_call(async_program, program_version, proc::device_abort).put_i32(lid_);
  XdrReader results;
  st = abort_channel_.finish_call(deadline, results);
  if (st != status::SUCCESS) {
    abort_channel_.close();
    return st;
  }
  std::int32_t e = results.get_i32();
  if (!results.ok()) return status::ERROR_IO;
  return error_to_status(e);
}

status_t Vxi11Client::enable_srq(std::function<void()> on_srq) {
  std::lock_guard lock(core_mutex_);
  if (!open_ || !core_.connected()) return status::ERROR_CONN_LOST;
  if (intr_server_) return status::SUCCESS;
  net::Endpoint local = core_.socket().local_endpoint();
  std::uint32_t address = 0;
  if (!ipv4_u32(local.host, address)) return status::ERROR_NSUP_OPER;  // hostAddr is an IPv4 u32

  std::random_device rd;
  srq_handle_ = "cppvisa-" + std::to_string(lid_) + "-" + std::to_string(rd());
  on_srq_ = std::move(on_srq);
  auto server = std::make_unique<oncrpc::RpcServer>(oncrpc::RpcServer::Options::bounded(4096, 4));
  server->add_program(intr_program, program_version, program_version,
                      [this](const oncrpc::CallContext& call, XdrReader& args, oncrpc::XdrWriter&) {
                        if (call.header.proc != proc::device_intr_srq) return oncrpc::ProcResult::proc_unavail;
                        // Lenient: the handle is all we need (some devices send short or padded records).
                        auto handle = args.get_opaque(max_srq_handle);
                        std::string_view text(reinterpret_cast<const char*>(handle.data()), handle.size());
                        if (args.ok() && text == srq_handle_ && on_srq_) on_srq_();
                        return oncrpc::ProcResult::no_reply;  // one-way: never reply
                      });
  if (server->listen_tcp(local.host, 0) != status::SUCCESS) return status::ERROR_IO;
  server->start();

  DeviceRemoteFunc f{address, server->tcp_port(), intr_program, program_version, family_tcp};
  encode(core_.begin_call(core_program, program_version, proc::create_intr_chan), f);
  XdrReader results;
  auto deadline = core::Deadline::after_ms(housekeeping_timeout_ms);
  status_t st = call(proc::create_intr_chan, deadline, results);
  std::int32_t e = st == status::SUCCESS ? results.get_i32() : err::none;
  if (st == status::SUCCESS && !results.ok()) st = status::ERROR_IO;
  if (st == status::SUCCESS && e != err::none && e != err::channel_established) st = error_to_status(e);
  if (st == status::SUCCESS) {
    DeviceEnableSrqParms p{lid_, true, oncrpc::as_bytes(srq_handle_)};
    encode(core_.begin_call(core_program, program_version, proc::device_enable_srq), p);
    st = call(proc::device_enable_srq, deadline, results);
    e = st == status::SUCCESS ? results.get_i32() : err::none;
    if (st == status::SUCCESS && !results.ok()) st = status::ERROR_IO;
    if (st == status::SUCCESS) st = error_to_status(e);
  }
  if (st != status::SUCCESS) {
    server->stop();
    return st;
  }
  intr_server_ = std::move(server);
  return status::SUCCESS;
}

void Vxi11Client::disable_srq() {
  std::unique_ptr<oncrpc::RpcServer> server;
  {
    std::lock_guard lock(core_mutex_);
    if (!intr_server_) return;
    if (open_ && core_.connected()) {
      auto deadline = core::Deadline::after_ms(housekeeping_timeout_ms);
      DeviceEnableSrqParms p{lid_, false, oncrpc::as_bytes(srq_handle_)};
      encode(core_.begin_call(core_program, program_version, proc::device_enable_srq), p);
      XdrReader results;
      if (call(proc::device_enable_srq, deadline, results) == status::SUCCESS) {
        core_.begin_call(core_program, program_version, proc::destroy_intr_chan);
        call(proc::destroy_intr_chan, deadline, results);
      }
    }
    server = std::move(intr_server_);
  }
  server->stop();
}

}  // namespace cppvisa::vxi11
