#include "protocols/hislip/hislip_client.hpp"

#include "core/error_detail.hpp"
#include "core/log.hpp"
#include "core/reactor.hpp"
#include "protocols/hislip/hislip_channel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include <poll.h>

namespace cppvisa::hislip {

namespace {

/// Messages a server sends on the asynchronous channel (IVI-6.1 Table 4); anything else there is
/// answered with an Error.
bool is_async_answer(std::uint8_t type) noexcept {
  switch (static_cast<MessageType>(type)) {
    case MessageType::error:
    case MessageType::async_lock_response:
    case MessageType::async_remote_local_response:
    case MessageType::async_maximum_message_size_response:
    case MessageType::async_initialize_response:
    case MessageType::async_status_response:
    case MessageType::async_device_clear_acknowledge:
    case MessageType::async_lock_info_response:
    case MessageType::get_descriptors_response:
    case MessageType::async_start_tls_response:
    case MessageType::async_end_tls_response: return true;
    default: return false;
  }
}

}  // namespace

/// The synchronous channel's bytes for its MessageStream. After a message went out, the first
/// receive waits for the answer before trying: trying first would find nothing yet and cost a
/// failed recv() before the same wait (bench/compare_client: a query is a send, a poll and a recv).
/// Over TLS the link may hold decrypted bytes the socket no longer shows: it always tries first.
class Client::SyncInput : public ByteInput {
 public:
  SyncInput(net::Link& link, const net::Waker& cancel) : link_(link), cancel_(cancel) {}
  status_t recv_some(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count) override {
    if (std::exchange(wait_first, false) && !link_.encrypted()) {
      count = 0;
      if (status_t st = net::wait_fd(link_.socket().fd(), POLLIN, deadline, &cancel_); st != status::SUCCESS)
        return st;
    }
    return link_.recv_some(buffer, deadline, count, &cancel_);
  }
  bool wait_first = false;  ///< set by Client::write: the next receive waits before it tries

 private:
  net::Link& link_;
  const net::Waker& cancel_;
};

/// The synchronous channel as a ByteSource for core::MessageReader: payload bytes of accepted
/// Data/DataEnd messages, END after the last byte of a DataEnd.
class Client::SyncSource : public core::ByteSource {
 public:
  explicit SyncSource(Client& c) : client_(c) {}

  status_t receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) override {
    count = 0;
    end = false;
    MessageStream& stream = *client_.sync_stream_;
    for (;;) {
      {
        std::lock_guard lock(client_.mutex_);
        if (client_.lost_) return client_.lost_status_locked();
      }
      if (in_message_) {
        if (stream.payload_left() > 0) {
          status_t st = stream.read_payload(buffer, deadline, count);
          if (st != status::SUCCESS) return failed(st);
        }
        if (stream.payload_left() == 0) {
          in_message_ = false;
          if (current_end_) {
            end = true;
            client_.rmt_pending_ = true;  // a whole response reached the application (§6.10)
          }
        }
        if (count > 0 || end) {
          delivered_ = true;
          return status::SUCCESS;
        }
        continue;  // an empty Data message
      }
      Header h;
      status_t st = stream.next_header(h, deadline);
      if (st != status::SUCCESS) return failed(st);
      switch (static_cast<MessageType>(h.type)) {
        case MessageType::data:
        case MessageType::data_end: {
          // §6.10 (IVI-6.1): after AsyncInterrupted, Data before the matching Interrupted belongs
          // to the interrupted response and is discarded.
          if (client_.awaiting_interrupted()) break;
          bool overlap = client_.overlap();
          // Synchronized mode: only answers to our latest message count; older ones are stale
          // (e.g. the late answer to a query whose read timed out).
          if (overlap || h.parameter == client_.last_sent_id_ || h.parameter == unknown_message_id) {
            client_.last_received_id_ = h.parameter;
            in_message_ = true;
            current_end_ = h.is(MessageType::data_end);
          }
          break;
        }
        case MessageType::interrupted:
          // The response being read was interrupted: what it gave this read is dropped too, and
          // the read starts again (Client::read) with the answer to the interrupting message.
          client_.sync_interrupted();
          if (delivered_) {
            restart_ = true;
            return status::ERROR_ABORT;
          }
          break;
        case MessageType::fatal_error: {
          std::string text = payload_text(deadline);
          return client_.fatal_from_server(h.control, text);
        }
        case MessageType::error: {
          // The server refused something we sent on this channel (IVI-6.1 §6.2: Error on the
          // synchronous channel): the read reports it instead of waiting for an answer that will
          // not come. Code 2 is what cppvisa's server sends for an operation the device does not
          // support.
          std::string text = payload_text(deadline);
          return core::fail(error_status(h.control), fmt::format("HiSLIP server sent Error {} ({}): {}", h.control,
                                                                 error_name(h.control), text));
        }
        case MessageType::device_clear_acknowledge:
        case MessageType::get_descriptors_response: break;  // stale answers of a timed-out request
        default:
          // §6.2: a message the client does not expect here is answered with Error (1, or 3 for
          // vendor-specific ones) and skipped with its payload.
          client_.refuse_message(h, false, deadline);
          break;
      }
    }
  }

  /// Starts a read: nothing of it was delivered yet.
  void start_read() noexcept {
    delivered_ = false;
    restart_ = false;
  }
  /// An Interrupted ended the read after it had taken bytes of the interrupted response.
  bool take_restart() noexcept { return std::exchange(restart_, false); }

  /// Forgets the message being read (its remaining payload is skipped by the next header read).
  void drop_current() noexcept { in_message_ = false; }

 private:
  status_t failed(status_t st) {
    if (st == status::ERROR_INV_FMT) {
      // §6.2: a poorly formed header is FatalError 1 on both channels, then the close.
      client_.fatal_to_server(fatal::bad_header, "poorly formed message header");
      return client_.lost_status();
    }
    if (st == status::ERROR_CONN_LOST) {
      client_.connection_lost();
      return client_.lost_status();
    }
    return st;
  }
  /// The payload of an Error or FatalError (at most max_error_text bytes; the rest is skipped).
  std::string payload_text(core::Deadline deadline) {
    MessageStream& stream = *client_.sync_stream_;
    std::string text;
    std::byte piece[256];
    while (stream.payload_left() > 0 && text.size() < max_error_text) {
      std::size_t n = 0;
      std::size_t want = std::min(sizeof piece, max_error_text - text.size());
      if (stream.read_payload(std::span(piece, want), deadline, n) != status::SUCCESS) break;
      text.append(reinterpret_cast<const char*>(piece), n);
    }
    return text;
  }
  Client& client_;
  bool in_message_ = false;
  bool current_end_ = false;
  bool delivered_ = false;  // this read took bytes
  bool restart_ = false;
};

Client::Client() : Client(Options{}) {}

Client::Client(Options options) : options_(std::move(options)) {
  options_.vendor_id.resize(2, ' ');
  options_.version = std::max(negotiate_version(options_.version, protocol_version), version_1_0);
  options_.max_message_size = std::max<std::uint64_t>(options_.max_message_size, 256);
}

Client::~Client() { close(); }

std::uint64_t Client::server_max_message_size() const {
  std::lock_guard lock(mutex_);
  return server_max_;
}
std::uint64_t Client::max_message_size() const {
  std::lock_guard lock(mutex_);
  return our_max_;
}
bool Client::overlap() const {
  std::lock_guard lock(mutex_);
  return overlap_;
}

void Client::set_service_request_handler(std::function<void(std::uint8_t)> handler) {
  std::lock_guard lock(mutex_);
  srq_handler_ = std::move(handler);
}

status_t Client::open(const Target& target, core::Deadline deadline) {
  close();
  {
    std::lock_guard lock(mutex_);
    lost_ = false;
    lost_reason_.clear();
    responses_.clear();
    owed_.clear();
    async_interrupts_ = sync_interrupts_ = 0;
    async_closing_ = false;
    tls_switch_pending_ = false;
    tls_read_ahead_.clear();
  }
  if (connect_tcp(target.host, target.port, deadline, sync_.socket()) != status::SUCCESS)
    return core::fail_within(status::ERROR_RSRC_NFOUND, "HiSLIP synchronous channel");
  sync_.socket().set_nodelay(true);
  sync_.socket().set_keepalive(true);
  sync_input_ = std::make_unique<SyncInput>(sync_, sync_cancel_);
  sync_stream_ = std::make_unique<MessageStream>(*sync_input_);
  source_ = std::make_unique<SyncSource>(*this);
  auto fail = [&](status_t st) {
    close();
    return st;
  };

  Header init = make_header(MessageType::initialize, 0, initialize_parameter(options_.version, options_.vendor_id));
  if (status_t st = send_message(sync_, init, target.sub_address, deadline); st != status::SUCCESS)
    return fail(core::fail_within(st == status::ERROR_TMO ? st : status::ERROR_RSRC_NFOUND, "HiSLIP Initialize"));
  Header h;
  if (status_t st = sync_stream_->next_header(h, deadline); st != status::SUCCESS)
    return fail(core::fail(st == status::ERROR_TMO ? st : status::ERROR_RSRC_NFOUND,
                           st == status::ERROR_TMO ? "HiSLIP server did not answer Initialize within the open timeout"
                                                   : "HiSLIP server closed the connection instead of answering Initialize"));
  InitializeResult result;
  if (h.is(MessageType::fatal_error))  // unknown sub-address (3) or too many clients (4)
    return fail(h.control == fatal::too_many_clients
                    ? core::fail(status::ERROR_RSRC_BUSY, "HiSLIP server refused: too many clients")
                    : core::fail(status::ERROR_RSRC_NFOUND,
                                 fmt::format("HiSLIP server refused the session (fatal error {}, sub-address '{}')",
                                             static_cast<int>(h.control), target.sub_address)));
  if (!parse_initialize_response(h, result)) return fail(core::fail(status::ERROR_IO, "HiSLIP: malformed InitializeResponse"));
  sync_stream_->skip_payload(deadline);
  session_id_ = result.session_id;
  // §6.1: the server answers with the lower of the two versions. One that answers more than we
  // offered is held to our offer; one below 1.0 is not a HiSLIP server we can speak to.
  version_ = negotiate_version(result.version, options_.version);
  if (version_ == 0)
    return fail(core::fail(status::ERROR_IO, fmt::format("HiSLIP server answered protocol version {} to our {}",
                                                         version_name(result.version), version_name(options_.version))));
  const bool server_requires_tls = version_ >= version_2_0 && (result.encryption_mandatory || result.initial_encryption);
  encryption_mandatory_ = version_ >= version_2_0 && result.encryption_mandatory;
  host_ = target.host;
  {
    std::lock_guard lock(mutex_);
    overlap_ = result.prefer_overlap;  // the connection starts in the server's preferred mode
  }

  if (connect_tcp(target.host, target.port, deadline, async_.socket()) != status::SUCCESS)
    return fail(core::fail_within(status::ERROR_RSRC_NFOUND, "HiSLIP asynchronous channel"));
  async_.socket().set_nodelay(true);
  async_.socket().set_keepalive(true);
  async_in_ = MessageAssembler(max_async_payload);
  arm_async_reader();
  Header reply;
  status_t st = async_request(make_header(MessageType::async_initialize, 0, session_id_), {},
                              MessageType::async_initialize_response, reply, deadline);
  if (st != status::SUCCESS) return fail(st == status::ERROR_TMO ? st : status::ERROR_RSRC_NFOUND);
  server_vendor_ = static_cast<std::uint16_t>(reply.parameter & 0xFFFF);
  secure_capable_ = version_ >= version_2_0 && (reply.control & secure_connection_capable) != 0;
  next_id_ = initial_message_id;
  last_sent_id_ = no_message_id;
  last_received_id_ = no_message_id;
  rmt_pending_ = false;
  // Recommended right after initialization (§6.1); a server that refuses it keeps the defaults.
  st = set_max_message_size(options_.max_message_size, deadline);
  if (st == status::ERROR_TMO || st == status::ERROR_CONN_LOST) return fail(st);
  // §3.4 step 8 (IVI-6.1 2.0): a server requiring encryption allows only the maximum message size
  // before the secure connection; a user requiring it gets no plain-text fallback.
  if (server_requires_tls || options_.require_encryption) {
    if (version_ < version_2_0 || !secure_capable_)
      return fail(core::fail(
          options_.require_encryption ? status::ERROR_NSUP_OPER : status::ERROR_IO,
          options_.require_encryption
              ? fmt::format("HiSLIP server cannot encrypt (protocol {}, secure-connection capability {}): "
                            "encryption is required, no fallback to plain text",
                            version_name(version_), secure_capable_ ? "announced" : "not announced")
              : std::string("HiSLIP server requires encryption but does not announce the secure-connection capability")));
    if (status_t t = start_tls(deadline); t != status::SUCCESS) return fail(t);
  }
  // IVI-6.1 2.0 §3.9: authentication follows the secure connection.
  if (!options_.sasl.empty())
    if (status_t a = authenticate(options_.sasl, deadline); a != status::SUCCESS) return fail(a);
  CPPVISA_LOG("hislip", "session {} with {}:{} ('{}'): protocol {} (offered {}, server said {}), server vendor 0x{:04x}",
              session_id_, target.host, target.port, target.sub_address, version_name(version_),
              version_name(options_.version), version_name(result.version), server_vendor_);
  return status::SUCCESS;
}

void Client::close() {
  sync_.shutdown();
  async_.shutdown();
  stop_async_reader();
  source_.reset();
  sync_stream_.reset();
  sync_input_.reset();
  reader_.discard();
  sync_.socket().close();
  sync_.forget_tls();
  async_.socket().close();
  async_.forget_tls();
}

void Client::connection_lost() {
  {
    std::lock_guard lock(mutex_);
    lost_ = true;
  }
  changed_.notify_all();
  sync_.shutdown();  // wakes a read blocked on the other channel
  async_.shutdown();
}

status_t Client::lost_status_locked() const {
  return lost_reason_.empty() ? status::ERROR_CONN_LOST : core::fail(status::ERROR_CONN_LOST, lost_reason_);
}

status_t Client::lost_status() const {
  std::lock_guard lock(mutex_);
  return lost_status_locked();
}

status_t Client::fatal_from_server(std::uint8_t code, std::string_view text) {
  {
    std::lock_guard lock(mutex_);
    if (lost_reason_.empty())
      lost_reason_ = fmt::format("HiSLIP server sent FatalError {} ({}){}{}", code, fatal_error_name(code),
                                 text.empty() ? "" : ": ", text);
  }
  CPPVISA_LOG("hislip", "session {}: FatalError {} from the server: {}", session_id_, code, text);
  connection_lost();
  return lost_status();
}

void Client::fatal_to_server(std::uint8_t code, std::string_view text) {
  {
    std::lock_guard lock(mutex_);
    if (lost_reason_.empty())
      lost_reason_ = fmt::format("HiSLIP: FatalError {} sent to the server ({})", code, text);
  }
  auto deadline = core::Deadline::after_ms(1000);  // best effort: the connection closes anyway
  send_message(sync_, make_header(MessageType::fatal_error, code), text, deadline);
  {
    std::lock_guard send(async_send_mutex_);
    send_message(async_, make_header(MessageType::fatal_error, code), text, deadline);
  }
  connection_lost();
}

void Client::refuse_message(const Header& h, bool async, core::Deadline deadline) {
  std::uint8_t code = h.type >= first_vendor_specific ? error::unrecognized_vendor : error::unrecognized_type;
  std::string text = fmt::format("unexpected {} on the {} channel", message_type_name(h.type),
                                 async ? "asynchronous" : "synchronous");
  CPPVISA_LOG("hislip", "session {}: {} (Error {} sent)", session_id_, text, code);
  if (async) {
    std::lock_guard send(async_send_mutex_);
    send_message(async_, make_header(MessageType::error, code), text, deadline);
  } else {
    send_message(sync_, make_header(MessageType::error, code), text, deadline);
  }
}

bool Client::awaiting_interrupted() const {
  std::lock_guard lock(mutex_);
  return async_interrupts_ > 0;
}

void Client::sync_interrupted() {
  {
    std::lock_guard lock(mutex_);
    if (async_interrupts_ > 0)
      --async_interrupts_;
    else
      ++sync_interrupts_;  // AsyncInterrupted still to come: nothing is sent until it does
  }
  changed_.notify_all();
  discard_input();
}

status_t Client::wait_interrupted_pair(core::Deadline deadline) {
  std::unique_lock lock(mutex_);
  if (sync_interrupts_ == 0) return status::SUCCESS;
  // §6.10 (IVI-6.1): after Interrupted alone the client sends nothing until AsyncInterrupted.
  wait_for_deadline(changed_, lock, deadline, [&] { return lost_ || sync_interrupts_ == 0; });
  if (lost_) return lost_status_locked();
  if (sync_interrupts_ == 0) return status::SUCCESS;
  return core::fail(status::ERROR_TMO, "HiSLIP: the server sent Interrupted but not AsyncInterrupted; "
                                       "nothing may be sent until it does (IVI-6.1 §6.10)");
}

// ---- the asynchronous channel, read in core::Reactor::shared()'s callbacks ----
//
// No thread per session: the channel's socket is watched by the process-wide reactor (one thread
// for every session), and a callback reads what has arrived, hands whole messages on and watches
// again. A watch fires once, so one callback at a time touches async_in_. A server that trickles
// a message holds no thread (MessageAssembler keeps the partial message).

void Client::arm_async_reader() {
  std::lock_guard lock(mutex_);
  if (async_closing_ || lost_) return;
  async_watch_ = core::Reactor::shared().watch(async_.socket().fd(), core::Deadline::never(),
                                               [this](core::Reactor::Fired) { on_async_readable(); });
}

void Client::stop_async_reader() {
  std::uint64_t watch = 0;
  {
    std::lock_guard lock(mutex_);
    async_closing_ = true;
    watch = std::exchange(async_watch_, 0);
  }
  if (watch != 0) core::Reactor::shared().cancel(watch);
  core::Reactor::shared().quiesce();  // a callback on its way has returned: none comes after
}

void Client::on_async_readable() {
  std::array<std::byte, 4096> chunk;
  Message m;
  for (;;) {
    std::size_t n = 0;
    // What has arrived, no waiting (through TLS while it is on: records already decrypted too).
    status_t st = async_.recv_some(chunk, core::Deadline::after_ms(0), n);
    if (st == status::ERROR_TMO) break;
    if (st != status::SUCCESS) {
      connection_lost();
      return;
    }
    async_in_.feed(std::span(chunk).first(n));
    for (;;) {
      auto next = async_in_.next(m);
      if (next == MessageAssembler::Next::more) break;
      if (next == MessageAssembler::Next::bad_header) {
        fatal_to_server(fatal::bad_header, "poorly formed message header");
        return;
      }
      if (handle_async_message(m) == AsyncStep::stop) return;
    }
  }
  arm_async_reader();
}

Client::AsyncStep Client::handle_async_message(Message& m) {
  if (m.header.is(MessageType::fatal_error)) {
    std::string_view text = m.text();
    fatal_from_server(m.header.control, text.substr(0, max_error_text));
    return AsyncStep::stop;
  }
  if (m.oversized) {  // longer than any asynchronous message we take: Error 4, skipped
    std::lock_guard send(async_send_mutex_);
    send_message(async_, make_header(MessageType::error, error::message_too_large),
                 std::string_view("message too large"), core::Deadline::after_ms(1000));
    return AsyncStep::go_on;
  }
  if (m.header.is(MessageType::async_service_request)) {
    std::function<void(std::uint8_t)> handler;
    {
      std::lock_guard lock(mutex_);
      handler = srq_handler_;
    }
    if (handler) handler(m.header.control);  // queues the event (core::EventQueue): short
    return AsyncStep::go_on;
  }
  if (m.header.is(MessageType::async_interrupted)) {
    {
      std::lock_guard lock(mutex_);
      if (sync_interrupts_ > 0)
        --sync_interrupts_;  // Interrupted came first: sending may resume
      else
        ++async_interrupts_;  // sync Data is the interrupted response's until Interrupted
    }
    changed_.notify_all();
    return AsyncStep::go_on;
  }
  if (!is_async_answer(m.header.type)) {
    refuse_message(m.header, true, core::Deadline::after_ms(1000));
    return AsyncStep::go_on;
  }
  // The server switches TLS on or off right after a positive AsyncStartTLS/AsyncEndTLSResponse
  // (IVI-6.1 2.0 §3.9): nothing more may be read from this channel until the requester, waiting
  // for this response, has switched it too (switch_async_tls). The bytes already received past the
  // response are the start of the handshake (start) or data sent before close_notify (end).
  const bool tls_switch = (m.header.is(MessageType::async_start_tls_response) ||
                           m.header.is(MessageType::async_end_tls_response)) &&
                          m.header.control == 1;
  bool late = false;
  {
    std::lock_guard lock(mutex_);
    if (!owed_.empty()) {
      // Late: the answer to a request that timed out, dropped. Otherwise the answer to a later
      // request: the server skipped the owed ones, and owes nothing more.
      late = m.header.is(owed_.front()) || m.header.is(MessageType::error);
      owed_.pop_front();
      if (!late) owed_.clear();
      // A device clear is always acknowledged; a server whose device could not be cleared says
      // so in an Error right after (cppvisa's does): that one is late too.
      if (late && m.header.is(MessageType::async_device_clear_acknowledge)) owed_.push_front(MessageType::error);
    }
    if (late && !tls_switch) return AsyncStep::go_on;
    if (late) {
      // Its requester gave up: nobody switches this channel, which the server has switched.
      if (lost_reason_.empty())
        lost_reason_ = fmt::format("HiSLIP: {} came after its request timed out; the asynchronous channel "
                                   "is out of step with the server",
                                   message_type_name(m.header.type));
    } else {
      if (tls_switch) {
        tls_switch_pending_ = true;
        tls_read_ahead_ = async_in_.take_buffered();
      }
      if (responses_.size() < 64) responses_.emplace_back(m.header, std::move(m.payload));
    }
  }
  if (late) {
    connection_lost();
    return AsyncStep::stop;
  }
  changed_.notify_all();
  // After a TLS switch the requester switches the channel, then watches it again.
  return tls_switch ? AsyncStep::stop : AsyncStep::go_on;
}

status_t Client::switch_async_tls(const net::TlsContext* context, core::Deadline deadline) {
  std::vector<std::byte> read_ahead;
  {
    std::lock_guard lock(mutex_);
    if (!tls_switch_pending_) return lost_ ? lost_status_locked() : core::fail(status::ERROR_IO, "HiSLIP: no TLS switch pending");
    tls_switch_pending_ = false;
    read_ahead = std::move(tls_read_ahead_);
    tls_read_ahead_.clear();
  }
  std::string why;
  status_t st = context ? async_.start_tls(*context, read_ahead, deadline, why) : async_.end_tls(deadline, why);
  if (st != status::SUCCESS) {
    connection_lost();
    return core::fail(context ? st : status::ERROR_CONN_LOST, "HiSLIP asynchronous channel: " + why);
  }
  arm_async_reader();
  return status::SUCCESS;
}

status_t Client::async_request(const Header& request, std::span<const std::byte> payload, MessageType expected,
                               Header& reply, core::Deadline deadline, std::vector<std::byte>* reply_payload) {
  std::lock_guard serial(async_request_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (lost_) return lost_status_locked();
    responses_.clear();  // late answers to an earlier request that timed out
  }
  status_t st;
  {
    std::lock_guard send(async_send_mutex_);
    std::size_t sent = 0;
    st = send_message(async_, request, payload, deadline, nullptr, &sent);
    if (st != status::SUCCESS && (st == status::ERROR_CONN_LOST || sent > 0)) {
      connection_lost();
      return status::ERROR_CONN_LOST;
    }
  }
  if (st != status::SUCCESS) return st;
  std::unique_lock lock(mutex_);
  auto match = [&] {
    for (auto& [h, p] : responses_)
      if (h.is(expected) || h.is(MessageType::error)) return true;
    return false;
  };
  wait_for_deadline(changed_, lock, deadline, [&] { return lost_ || match(); });
  for (auto it = responses_.begin(); it != responses_.end(); ++it) {
    if (it->first.is(expected)) {
      reply = it->first;
      if (reply_payload) *reply_payload = std::move(it->second);
      responses_.erase(it);
      return status::SUCCESS;
    }
    if (it->first.is(MessageType::error)) {
      std::uint8_t code = it->first.control;
      std::string_view text{reinterpret_cast<const char*>(it->second.data()), it->second.size()};
      status_t st = core::fail(error_status(code), fmt::format("HiSLIP server answered {} with Error {} ({}){}{}",
                                                               message_type_name(request.type), code, error_name(code),
                                                               text.empty() ? "" : ": ", text.substr(0, max_error_text)));
      responses_.erase(it);
      return st;
    }
  }
  if (lost_) return lost_status_locked();
  if (owed_.size() < 64) owed_.push_back(expected);  // its answer, when it comes, is stale
  return status::ERROR_TMO;
}

std::uint8_t Client::take_rmt_flag() {
  std::uint8_t flag = rmt_pending_ ? rmt_delivered : 0;
  rmt_pending_ = false;
  return flag;
}

void Client::drop_responses() {
  if (overlap()) return;  // overlapped mode: answers queue up in order (§6.10)
  reader_.discard();
  if (source_) source_->drop_current();
}

void Client::discard_input() {
  reader_.discard();
  if (source_) source_->drop_current();
}

status_t Client::write(std::span<const std::byte> data, bool end, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (!is_open()) return status::ERROR_CONN_LOST;
  if (status_t st = lost_status_if_lost(); st != status::SUCCESS) return st;
  if (data.empty() && !end) return status::SUCCESS;
  if (status_t st = wait_interrupted_pair(deadline); st != status::SUCCESS) return st;
  drop_responses();
  // The server's maximum covers the whole message for pyvisa-py; the header is subtracted so that
  // both readings of IVI-6.1 are satisfied.
  std::uint64_t limit = server_max_message_size();
  std::size_t piece_max = static_cast<std::size_t>(std::min<std::uint64_t>(
      limit > header_size + 1 ? limit - header_size : 1, std::uint64_t{1} << 30));
  do {
    std::size_t piece = std::min(piece_max, data.size() - count);
    bool last = count + piece == data.size();
    Header h = make_header(last && end ? MessageType::data_end : MessageType::data, take_rmt_flag(), next_id_);
    std::size_t sent = 0;
    status_t st = send_message(sync_, h, data.subspan(count, piece), deadline, nullptr, &sent);
    if (st != status::SUCCESS) {
      if (st == status::ERROR_CONN_LOST || sent > 0) connection_lost();  // a cut message desynchronises
      return st;
    }
    last_sent_id_ = next_id_;
    next_id_ += 2;
    count += piece;
  } while (count < data.size());
  sync_input_->wait_first = true;
  return status::SUCCESS;
}

status_t Client::read(std::span<std::byte> buffer, std::size_t& count, const core::ReadTermination& term,
                      core::Deadline deadline) {
  count = 0;
  if (!source_) return status::ERROR_CONN_LOST;
  for (;;) {
    source_->start_read();
    status_t st = reader_.read(*source_, buffer, count, term, deadline);
    if (!source_->take_restart()) return st;
    count = 0;  // the bytes were the interrupted response's (§6.10): read the new answer
  }
}

status_t Client::trigger(core::Deadline deadline) {
  if (!is_open()) return status::ERROR_CONN_LOST;
  if (status_t st = wait_interrupted_pair(deadline); st != status::SUCCESS) return st;
  drop_responses();
  std::size_t sent = 0;
  status_t st = send_message(sync_, make_header(MessageType::trigger, take_rmt_flag(), next_id_), {}, deadline,
                             nullptr, &sent);
  if (st != status::SUCCESS) {
    if (st == status::ERROR_CONN_LOST || sent > 0) connection_lost();
    return st;
  }
  last_sent_id_ = next_id_;
  next_id_ += 2;
  return status::SUCCESS;
}

status_t Client::read_stb(std::uint8_t& stb, core::Deadline deadline) {
  // §6.14: the MessageID of the last Data/DataEnd/Trigger sent lets the server report MAV right.
  Header reply;
  std::uint8_t flag = take_rmt_flag();
  status_t st = async_request(make_header(MessageType::async_status_query, flag, last_sent_id_), {},
                              MessageType::async_status_response, reply, deadline);
  if (st != status::SUCCESS) {
    if (flag) rmt_pending_ = true;  // not delivered: say it again next time
    return st;
  }
  stb = reply.control;
  return status::SUCCESS;
}

status_t Client::clear(core::Deadline deadline) {
  if (!is_open()) return status::ERROR_CONN_LOST;
  Header ack;
  status_t st = async_request(make_header(MessageType::async_device_clear), {},
                              MessageType::async_device_clear_acknowledge, ack, deadline);
  if (st != status::SUCCESS) return st;
  discard_input();
  bool want_overlap = requested_overlap_.value_or(overlap());
  std::size_t sent = 0;
  st = send_message(sync_, make_header(MessageType::device_clear_complete, want_overlap ? feature_overlap : 0), {},
                    deadline, nullptr, &sent);
  if (st != status::SUCCESS) {
    if (st == status::ERROR_CONN_LOST || sent > 0) connection_lost();
    return st;
  }
  // Everything before DeviceClearAcknowledge on the sync channel is from before the clear.
  for (;;) {
    Header h;
    st = sync_stream_->next_header(h, deadline);
    if (st != status::SUCCESS) {
      if (st == status::ERROR_CONN_LOST || st == status::ERROR_INV_FMT) {
        connection_lost();
        return status::ERROR_CONN_LOST;
      }
      return st;
    }
    if (h.is(MessageType::fatal_error)) {
      connection_lost();
      return status::ERROR_CONN_LOST;
    }
    if (h.is(MessageType::device_clear_acknowledge)) {
      std::lock_guard lock(mutex_);
      overlap_ = (h.control & feature_overlap) != 0;
      break;
    }
  }
  requested_overlap_.reset();
  {
    std::lock_guard lock(mutex_);
    async_interrupts_ = sync_interrupts_ = 0;  // a clear ends every transaction in progress
  }
  next_id_ = initial_message_id;
  last_sent_id_ = no_message_id;
  last_received_id_ = no_message_id;
  rmt_pending_ = false;
  return status::SUCCESS;
}

status_t Client::set_overlap(bool overlap, core::Deadline deadline) {
  requested_overlap_ = overlap;
  status_t st = clear(deadline);
  if (st != status::SUCCESS) return st;
  return this->overlap() == overlap ? status::SUCCESS : status::ERROR_NSUP_ATTR_STATE;
}

status_t Client::remote_local(std::uint8_t request, core::Deadline deadline) {
  if (request > remote_local::gtl) return status::ERROR_INV_MODE;
  Header reply;
  return async_request(make_header(MessageType::async_remote_local_control, request, last_sent_id_), {},
                       MessageType::async_remote_local_response, reply, deadline);
}

status_t Client::lock(std::string_view key, std::uint32_t timeout_ms, core::Deadline deadline) {
  Header reply;
  auto payload = std::as_bytes(std::span(key.data(), key.size()));
  status_t st = async_request(make_header(MessageType::async_lock, lock::request, timeout_ms), payload,
                              MessageType::async_lock_response, reply, deadline);
  if (st != status::SUCCESS) return st;
  switch (reply.control) {
    case lock::success: return status::SUCCESS;
    case lock::fail: return timeout_ms == 0 ? status::ERROR_RSRC_LOCKED : status::ERROR_TMO;
    case lock::error: return status::SUCCESS;  // already held (a redundant request)
    default: return status::ERROR_IO;
  }
}

status_t Client::unlock(core::Deadline deadline) {
  Header reply;
  status_t st = async_request(make_header(MessageType::async_lock, lock::release, last_sent_id_), {},
                              MessageType::async_lock_response, reply, deadline);
  if (st != status::SUCCESS) return st;
  return reply.control == lock::success || reply.control == lock::success_shared ? status::SUCCESS
                                                                                   : status::ERROR_SESN_NLOCKED;
}

status_t Client::lock_info(bool& exclusive, std::uint32_t& holders, core::Deadline deadline) {
  Header reply;
  status_t st = async_request(make_header(MessageType::async_lock_info), {}, MessageType::async_lock_info_response,
                              reply, deadline);
  if (st != status::SUCCESS) return st;
  exclusive = reply.control == 1;
  holders = reply.parameter;
  return status::SUCCESS;
}

status_t Client::set_max_message_size(std::uint64_t size, core::Deadline deadline) {
  Header reply;
  std::vector<std::byte> payload;
  auto request = encode_u64(size);
  status_t st = async_request(make_header(MessageType::async_maximum_message_size), request,
                              MessageType::async_maximum_message_size_response, reply, deadline, &payload);
  if (st != status::SUCCESS) return st;
  Message m{reply, std::move(payload), false};
  auto server_max = parse_maximum_message_size(m);
  if (!server_max) return status::ERROR_IO;
  std::lock_guard lock(mutex_);
  server_max_ = std::max<std::uint64_t>(*server_max, header_size + 1);
  our_max_ = size;
  return status::SUCCESS;
}

// ---- secure connection (IVI-6.1 2.0) ----

status_t Client::tls_switch_request(MessageType request, MessageType answer, Header& reply, core::Deadline deadline) {
  for (int attempt = 0;; ++attempt) {
    std::uint8_t flag = take_rmt_flag();
    auto last_received = encode_u32(last_received_id_);
    status_t st = async_request(make_header(request, flag, last_sent_id_), last_received, answer, reply, deadline);
    if (st != status::SUCCESS) {
      if (flag) rmt_pending_ = true;
      return st;
    }
    if (reply.control != 0 || attempt > 0) return status::SUCCESS;
    // Busy: data still on its way. IVI-6.1 §3.9: a device clear empties the channels, then again.
    if (status_t c = clear(deadline); c != status::SUCCESS) return c;
  }
}

status_t Client::start_tls(core::Deadline deadline) {
  if (!is_open()) return status::ERROR_CONN_LOST;
  if (version_ < version_2_0 || !secure_capable_)
    return core::fail(status::ERROR_NSUP_OPER,
                      fmt::format("HiSLIP server does not offer secure connections (protocol {}, capability {})",
                                  version_name(version_), secure_capable_ ? "announced" : "not announced"));
  if (encrypted()) return status::SUCCESS;
  net::TlsClientConfig config = options_.tls;
  if (config.server_name.empty()) config.server_name = net::strip_brackets(host_);
  status_t st = status::SUCCESS;
  std::string why;
  auto context = net::TlsContext::client(config, st, why);
  if (!context) return core::fail(st, why);
  Header reply;
  st = tls_switch_request(MessageType::async_start_tls, MessageType::async_start_tls_response, reply, deadline);
  if (st != status::SUCCESS) return st;
  if (reply.control != 1)
    return core::fail(status::ERROR_IO, fmt::format("HiSLIP server refused AsyncStartTLS ({})",
                                                    reply.control == 0 ? "busy" : "error"));
  if (st = switch_async_tls(context.get(), deadline); st != status::SUCCESS) return st;
  std::size_t sent = 0;
  st = send_message(sync_, make_header(MessageType::start_tls), {}, deadline, nullptr, &sent);
  if (st != status::SUCCESS) {
    connection_lost();
    return core::fail(status::ERROR_CONN_LOST, "HiSLIP: StartTLS could not be sent");
  }
  st = sync_.start_tls(*context, sync_stream_->take_buffered(), deadline, why);
  if (st != status::SUCCESS) {
    connection_lost();
    return core::fail(st, "HiSLIP synchronous channel: " + why);
  }
  CPPVISA_LOG("hislip", "session {}: encrypted ({} {})", session_id_, sync_.tls_info().version, sync_.tls_info().cipher);
  return status::SUCCESS;
}

status_t Client::end_tls(core::Deadline deadline) {
  if (!is_open()) return status::ERROR_CONN_LOST;
  if (!sync_.encrypted() && !async_.encrypted()) return status::SUCCESS;
  if (encryption_mandatory_)
    return core::fail(status::ERROR_NSUP_OPER, "HiSLIP server made encryption mandatory: it cannot be ended");
  Header reply;
  status_t st = tls_switch_request(MessageType::async_end_tls, MessageType::async_end_tls_response, reply, deadline);
  if (st != status::SUCCESS) return st;
  if (reply.control != 1)
    return core::fail(reply.control == 3 ? status::ERROR_NSUP_OPER : status::ERROR_IO,
                      fmt::format("HiSLIP server refused AsyncEndTLS ({})", reply.control == 0 ? "busy" : "error"));
  if (st = switch_async_tls(nullptr, deadline); st != status::SUCCESS) return st;
  std::string why;
  std::size_t sent = 0;
  st = send_message(sync_, make_header(MessageType::end_tls), {}, deadline, nullptr, &sent);
  if (st == status::SUCCESS) st = sync_.end_tls(deadline, why);
  if (st != status::SUCCESS) {
    connection_lost();
    return core::fail(status::ERROR_CONN_LOST, "HiSLIP synchronous channel: " + why);
  }
  return status::SUCCESS;
}

}  // namespace cppvisa::hislip
