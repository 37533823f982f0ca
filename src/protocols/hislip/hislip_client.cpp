#include "protocols/hislip/hislip_client.hpp"

#include "core/error_detail.hpp"
#include "core/log.hpp"
#include "protocols/hislip/hislip_channel.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace cppvisa::hislip {

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
        if (client_.lost_) return status::ERROR_CONN_LOST;
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
        if (count > 0 || end) return status::SUCCESS;
        continue;  // an empty Data message
      }
      Header h;
      status_t st = stream.next_header(h, deadline);
      if (st != status::SUCCESS) return failed(st);
      switch (static_cast<MessageType>(h.type)) {
        case MessageType::data:
        case MessageType::data_end: {
          bool overlap = client_.overlap();
          // Synchronized mode: only answers to our latest message count; older ones are stale
          // (e.g. the late answer to a query whose read timed out).
          if (overlap || h.parameter == client_.last_sent_id_ || h.parameter == unknown_message_id) {
            in_message_ = true;
            current_end_ = h.is(MessageType::data_end);
          }
          break;
        }
        case MessageType::fatal_error:
          client_.connection_lost();
          return status::ERROR_CONN_LOST;
        case MessageType::error:
          // The server refused something we sent on this channel (IVI-6.1 §6.2: Error on the
          // synchronous channel): the read reports it instead of waiting for an answer that will
          // not come. Code 2 is what cppvisa's server sends for an operation the device does not
          // support; the payload (the server's text) is skipped by the next header read.
          return h.control == error::unrecognized_control ? status::ERROR_NSUP_OPER : status::ERROR_IO;
        default: break;  // Interrupted, stale acknowledgements: skipped with their payload
      }
    }
  }

  /// Forgets the message being read (its remaining payload is skipped by the next header read).
  void drop_current() noexcept { in_message_ = false; }

 private:
  status_t failed(status_t st) {
    if (st == status::ERROR_CONN_LOST || st == status::ERROR_INV_FMT) {
      client_.connection_lost();
      return status::ERROR_CONN_LOST;
    }
    return st;
  }
  Client& client_;
  bool in_message_ = false;
  bool current_end_ = false;
};

Client::Client() : Client(Options{}) {}

Client::Client(Options options) : options_(std::move(options)) {
  options_.vendor_id.resize(2, ' ');
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
    responses_.clear();
    owed_.clear();
  }
  if (connect_tcp(target.host, target.port, deadline, sync_) != status::SUCCESS)
    return core::fail_within(status::ERROR_RSRC_NFOUND, "HiSLIP synchronous channel");
  sync_.set_nodelay(true);
  sync_.set_keepalive(true);
  sync_input_ = std::make_unique<SocketInput>(sync_, &sync_cancel_);
  sync_stream_ = std::make_unique<MessageStream>(*sync_input_);
  source_ = std::make_unique<SyncSource>(*this);
  auto fail = [&](status_t st) {
    close();
    return st;
  };

  Header init = make_header(MessageType::initialize, 0, initialize_parameter(protocol_version, options_.vendor_id));
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
  version_ = std::min(result.version, protocol_version);
  {
    std::lock_guard lock(mutex_);
    overlap_ = result.prefer_overlap;  // the connection starts in the server's preferred mode
  }

  if (connect_tcp(target.host, target.port, deadline, async_) != status::SUCCESS)
    return fail(core::fail_within(status::ERROR_RSRC_NFOUND, "HiSLIP asynchronous channel"));
  async_.set_nodelay(true);
  async_.set_keepalive(true);
  async_thread_ = std::thread([this] { async_reader(); });
  Header reply;
  status_t st = async_request(make_header(MessageType::async_initialize, 0, session_id_), {},
                              MessageType::async_initialize_response, reply, deadline);
  if (st != status::SUCCESS) return fail(st == status::ERROR_TMO ? st : status::ERROR_RSRC_NFOUND);
  server_vendor_ = static_cast<std::uint16_t>(reply.parameter & 0xFFFF);
  next_id_ = initial_message_id;
  last_sent_id_ = no_message_id;
  rmt_pending_ = false;
  // Recommended right after initialization (§6.1); a server that refuses it keeps the defaults.
  st = set_max_message_size(options_.max_message_size, deadline);
  if (st == status::ERROR_TMO || st == status::ERROR_CONN_LOST) return fail(st);
  CPPVISA_LOG("hislip", "session {} with {}:{} ('{}'): protocol 0x{:04x}, server vendor 0x{:04x}", session_id_,
              target.host, target.port, target.sub_address, version_, server_vendor_);
  return status::SUCCESS;
}

void Client::close() {
  sync_.shutdown();
  async_.shutdown();
  if (async_thread_.joinable()) async_thread_.join();
  source_.reset();
  sync_stream_.reset();
  sync_input_.reset();
  reader_.discard();
  sync_.close();
  async_.close();
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

void Client::async_reader() {
  SocketInput input(async_);
  MessageStream stream(input, 4096);
  Message m;
  for (;;) {
    if (stream.next_message(m, max_async_payload, core::Deadline::never()) != status::SUCCESS ||
        m.header.is(MessageType::fatal_error)) {
      connection_lost();
      return;
    }
    if (m.header.is(MessageType::async_service_request)) {
      std::function<void(std::uint8_t)> handler;
      {
        std::lock_guard lock(mutex_);
        handler = srq_handler_;
      }
      if (handler) handler(m.header.control);
      continue;
    }
    if (m.header.is(MessageType::async_interrupted)) continue;  // the sync channel says the same
    {
      std::lock_guard lock(mutex_);
      if (!owed_.empty()) {
        const bool late = m.header.is(owed_.front()) || m.header.is(MessageType::error);
        owed_.pop_front();
        // Late: the answer to a request that timed out, dropped. Otherwise the answer to a later
        // request: the server skipped the owed ones, and owes nothing more.
        if (late) {
          // A device clear is always acknowledged; a server whose device could not be cleared
          // says so in an Error right after (cppvisa's does): that one is late too.
          if (m.header.is(MessageType::async_device_clear_acknowledge)) owed_.push_front(MessageType::error);
          continue;
        }
        owed_.clear();
      }
      if (responses_.size() < 64) responses_.emplace_back(m.header, std::move(m.payload));
    }
    changed_.notify_all();
  }
}

status_t Client::async_request(const Header& request, std::span<const std::byte> payload, MessageType expected,
                               Header& reply, core::Deadline deadline, std::vector<std::byte>* reply_payload) {
  std::lock_guard serial(async_request_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (lost_) return status::ERROR_CONN_LOST;
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
      responses_.erase(it);
      return code == error::unrecognized_type || code == error::unrecognized_control ? status::ERROR_NSUP_OPER
                                                                                     : status::ERROR_IO;
    }
  }
  if (lost_) return status::ERROR_CONN_LOST;
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
  {
    std::lock_guard lock(mutex_);
    if (lost_) return status::ERROR_CONN_LOST;
  }
  if (data.empty() && !end) return status::SUCCESS;
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
  return status::SUCCESS;
}

status_t Client::read(std::span<std::byte> buffer, std::size_t& count, const core::ReadTermination& term,
                      core::Deadline deadline) {
  count = 0;
  if (!source_) return status::ERROR_CONN_LOST;
  return reader_.read(*source_, buffer, count, term, deadline);
}

status_t Client::trigger(core::Deadline deadline) {
  if (!is_open()) return status::ERROR_CONN_LOST;
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
  next_id_ = initial_message_id;
  last_sent_id_ = no_message_id;
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

}  // namespace cppvisa::hislip
