#include "protocols/hislip/hislip_server.hpp"

#include "protocols/hislip/hislip_channel.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace cppvisa::hislip {

struct Server::Device {
  std::string name;  // lower case
  std::shared_ptr<server::ServedDevice> device;
  // Lock state and output routing, guarded by Server::mutex_.
  std::optional<std::uint16_t> exclusive_owner;
  std::string shared_key;
  std::set<std::uint16_t> shared_holders;
  std::uint16_t last_writer = 0;
};

struct Server::Session {
  std::uint16_t id = 0;
  Device* device = nullptr;
  std::shared_ptr<net::Socket> sync;
  std::shared_ptr<net::Socket> async;  // set once the async channel is initialized (under mutex_)
  std::mutex sync_send, async_send;
  std::thread pump;

  // Guarded by Server::mutex_.
  bool async_ready = false;
  bool closing = false;
  bool clearing = false;       // between AsyncDeviceClear and DeviceClearComplete
  bool overlap = false;        // overlapped mode (else synchronized)
  bool reading = false;        // the pump is inside device->read()
  bool writing = false;        // the sync thread is handing a message to the device (no reads meanwhile)
  std::uint64_t client_max = 0;  // the client's maximum message size (what we may send)
  std::uint32_t last_received_id = no_message_id;  // last Data/DataEnd/Trigger from the client
  std::uint32_t response_id = unknown_message_id;  // MessageID of the DataEnd being answered
  std::uint32_t server_counter = initial_message_id;  // overlapped mode
  bool rmt_expected = false;
  bool mav = false;
  int queries_pending = 0;     // DataEnds whose output has not ended yet
  std::uint64_t clear_generation = 0;
};

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

core::Deadline ms_deadline(std::uint32_t ms) { return core::Deadline::after_ms(ms); }

constexpr std::uint64_t max_async_payload = 4096;  // lock strings, sizes, error texts
constexpr std::uint8_t rqs_bit = 0x40;
constexpr std::uint8_t mav_bit = 0x10;
constexpr std::uint32_t device_call_timeout_ms = 10000;  // clear, stb, trigger, remote/local

}  // namespace

Server::Server() : Server(Options{}) {}

Server::Server(Options options) : options_(std::move(options)) {
  options_.max_message_size = std::max<std::uint64_t>(options_.max_message_size, 256);
  options_.max_sessions = std::clamp<std::size_t>(options_.max_sessions, 1, 0xFFFF);
  options_.poll_slice_ms = std::max<std::uint32_t>(options_.poll_slice_ms, 1);
  options_.vendor_id.resize(2, ' ');
}

Server::~Server() { stop(); }

void Server::add_device(std::string sub_address, std::shared_ptr<server::ServedDevice> device) {
  auto d = std::make_unique<Device>();
  d->name = lower(sub_address);
  d->device = std::move(device);
  std::lock_guard lock(mutex_);
  devices_.push_back(std::move(d));
}

status_t Server::start() {
  {
    std::lock_guard lock(mutex_);
    if (running_ || stopping_) return status::ERROR_IO;
  }
  status_t st = listener_.open(options_.host, options_.port);
  if (st != status::SUCCESS) return st;
  std::vector<Device*> devices;
  {
    std::lock_guard lock(mutex_);
    running_ = true;
    for (auto& d : devices_) devices.push_back(d.get());
  }
  // Outside mutex_: a device may hold its own lock while calling the handler, which takes mutex_.
  for (Device* d : devices) d->device->set_service_request_handler([this, d] { service_requested(d); });
  srq_thread_ = std::thread([this] { srq_loop(); });
  accept_thread_ = std::thread([this] { accept_loop(); });
  return status::SUCCESS;
}

void Server::stop() {
  std::list<std::unique_ptr<Connection>> connections;
  std::vector<std::shared_ptr<server::ServedDevice>> to_abort;  // never called under mutex_ (SRQ handlers take it)
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, s] : sessions_) {
      s->closing = true;
      if (s->reading) to_abort.push_back(s->device->device);
    }
  }
  for (auto& d : to_abort) d->abort();
  changed_.notify_all();
  srq_wake_.notify_all();
  stop_.wake();
  if (accept_thread_.joinable()) accept_thread_.join();
  listener_.close();
  {
    std::lock_guard lock(mutex_);
    for (auto& c : connections_) c->socket->shutdown();
    for (auto& [id, s] : sessions_) {
      if (s->sync) s->sync->shutdown();
      if (s->async) s->async->shutdown();
    }
    connections.swap(connections_);
  }
  for (auto& c : connections)
    if (c->thread.joinable()) c->thread.join();
  if (srq_thread_.joinable()) srq_thread_.join();
  std::vector<std::shared_ptr<server::ServedDevice>> devices;
  {
    std::lock_guard lock(mutex_);
    sessions_.clear();
    if (running_)
      for (auto& d : devices_) devices.push_back(d->device);
  }
  for (auto& d : devices) d->set_service_request_handler({});
}

std::size_t Server::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

// ---- connections ----

void Server::reap_finished() {
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->done.load()) {
        finished.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished)
    if (c->thread.joinable()) c->thread.join();
}

void Server::accept_loop() {
  const std::size_t max_connections = 2 * options_.max_sessions + 8;
  for (;;) {
    net::Socket socket;
    status_t st = listener_.accept(socket, core::Deadline::never(), &stop_);
    if (st == status::ERROR_ABORT) return;
    if (st != status::SUCCESS) continue;
    reap_finished();
    socket.set_nodelay(true);
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    if (connections_.size() >= max_connections) continue;  // closed at once (no thread for it)
    auto c = std::make_unique<Connection>();
    c->socket = std::make_shared<net::Socket>(std::move(socket));
    Connection* raw = c.get();
    connections_.push_back(std::move(c));
    raw->thread = std::thread([this, raw] {
      serve(*raw);
      raw->done = true;
    });
  }
}

void Server::send_fatal(net::Socket& socket, std::uint8_t code, std::string_view text) {
  send_message(socket, make_header(MessageType::fatal_error, code), text, ms_deadline(1000));
}

void Server::serve(Connection& c) {
  SocketInput input(*c.socket);
  MessageStream stream(input);
  Message first;
  status_t st = stream.next_message(first, max_sub_address, ms_deadline(options_.init_timeout_ms));
  if (st == status::ERROR_INV_FMT) {
    send_fatal(*c.socket, fatal::bad_header, "poorly formed message header");
  } else if (st != status::SUCCESS) {
    // Closed or silent: nothing to say (a presence probe is not an error).
  } else if (first.header.is(MessageType::initialize)) {
    run_sync(c.socket, stream, first);
  } else if (first.header.is(MessageType::async_initialize)) {
    run_async(c.socket, stream, first);
  } else {
    send_fatal(*c.socket, fatal::invalid_init_sequence,
               "expected Initialize or AsyncInitialize, got " + message_type_name(first.header.type));
  }
  c.socket->shutdown();
}

// ---- synchronous channel ----

void Server::run_sync(const std::shared_ptr<net::Socket>& socket, MessageStream& stream, const Message& init) {
  InitializeRequest request;
  if (!parse_initialize(init, request)) {
    send_fatal(*socket, fatal::invalid_init_sequence, "malformed Initialize (sub-address)");
    return;
  }
  auto session = std::make_shared<Session>();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    Device* device = nullptr;
    std::string wanted = lower(request.sub_address);
    for (auto& d : devices_)
      if (wanted.empty() || d->name == wanted) {
        device = d.get();
        break;
      }
    if (!device) {
      send_fatal(*socket, fatal::invalid_init_sequence, "no device with sub-address '" + request.sub_address + "'");
      return;
    }
    if (sessions_.size() >= options_.max_sessions) {
      send_fatal(*socket, fatal::too_many_clients, "maximum number of clients exceeded");
      return;
    }
    while (next_session_id_ == 0 || sessions_.count(next_session_id_)) ++next_session_id_;
    session->id = next_session_id_++;
    session->device = device;
    session->sync = socket;
    session->overlap = options_.prefer_overlap;
    session->client_max = options_.max_message_size;
    sessions_[session->id] = session;
  }
  std::uint16_t version = std::min(request.version, protocol_version);
  Header response = make_header(MessageType::initialize_response, options_.prefer_overlap ? feature_overlap : 0,
                                (std::uint32_t{version} << 16) | session->id);
  bool ok = send_sync(*session, response) == status::SUCCESS;
  if (ok) session->pump = std::thread([this, session] { pump(session); });
  Message m;
  while (ok) {
    status_t st = stream.next_message(m, options_.max_message_size, core::Deadline::never());
    if (st == status::ERROR_INV_FMT) {
      fatal_both(*session, fatal::bad_header, "poorly formed message header");
      break;
    }
    if (st != status::SUCCESS) break;
    ok = handle_sync(*session, m);
  }
  close_session(*session);
  if (session->pump.joinable()) session->pump.join();
  std::lock_guard lock(mutex_);
  sessions_.erase(session->id);
}

void Server::close_session(Session& s) {
  bool abort = false;
  {
    std::lock_guard lock(mutex_);
    s.closing = true;
    release_locks(s);
    abort = s.reading;
  }
  if (abort) s.device->device->abort();
  changed_.notify_all();
  if (s.sync) s.sync->shutdown();
  std::shared_ptr<net::Socket> async;
  {
    std::lock_guard lock(mutex_);
    async = s.async;
  }
  if (async) async->shutdown();
}

void Server::fatal_both(Session& s, std::uint8_t code, std::string_view text) {
  {
    std::lock_guard lock(s.sync_send);
    send_fatal(*s.sync, code, text);
  }
  std::shared_ptr<net::Socket> async;
  {
    std::lock_guard lock(mutex_);
    async = s.async;
  }
  if (async) {
    std::lock_guard lock(s.async_send);
    send_fatal(*async, code, text);
  }
}

status_t Server::send_sync(Session& s, const Header& h, std::span<const std::byte> payload) {
  std::lock_guard lock(s.sync_send);
  return send_message(*s.sync, h, payload, ms_deadline(options_.send_timeout_ms));
}

status_t Server::send_async(Session& s, const Header& h, std::span<const std::byte> payload) {
  std::shared_ptr<net::Socket> async;
  {
    std::lock_guard lock(mutex_);
    async = s.async;
  }
  if (!async) return status::ERROR_CONN_LOST;
  std::lock_guard lock(s.async_send);
  return send_message(*async, h, payload, ms_deadline(options_.send_timeout_ms));
}

bool Server::may_access(const Session& s) const {
  const Device& d = *s.device;
  if (d.exclusive_owner && *d.exclusive_owner != s.id) return false;
  if (d.exclusive_owner) return true;
  return d.shared_holders.empty() || d.shared_holders.count(s.id) > 0;
}

bool Server::handle_sync(Session& s, const Message& m) {
  const Header& h = m.header;
  bool async_ready = false;
  {
    std::lock_guard lock(mutex_);
    async_ready = s.async_ready;
  }
  if (!async_ready && !h.is(MessageType::fatal_error) && !h.is(MessageType::error)) {
    // IVI-6.1 §6.1: the synchronous channel is usable only once the asynchronous one exists.
    std::lock_guard lock(s.sync_send);
    send_fatal(*s.sync, fatal::channels_not_established, "the asynchronous channel is not initialized");
    return false;
  }
  if (m.oversized) {
    send_sync(s, make_header(MessageType::error, error::message_too_large), std::as_bytes(std::span("message too large", 17)));
    return true;
  }
  switch (static_cast<MessageType>(h.type)) {
    case MessageType::data:
    case MessageType::data_end:
    case MessageType::trigger: handle_data(s, m); return true;
    case MessageType::device_clear_complete: {
      std::uint8_t features = 0;
      {
        std::lock_guard lock(mutex_);
        s.clearing = false;
        s.overlap = (h.control & feature_overlap) != 0;  // both modes supported: the client's wish
        s.last_received_id = no_message_id;
        s.response_id = unknown_message_id;
        s.server_counter = initial_message_id;
        s.rmt_expected = false;
        s.mav = false;
        s.queries_pending = 0;
        ++s.clear_generation;
        features = s.overlap ? feature_overlap : 0;
      }
      changed_.notify_all();
      return send_sync(s, make_header(MessageType::device_clear_acknowledge, features)) == status::SUCCESS;
    }
    case MessageType::fatal_error: return false;
    case MessageType::error: return true;  // nothing to do: the client discarded something of ours
    case MessageType::initialize:
    case MessageType::async_initialize:
      fatal_both(s, fatal::invalid_init_sequence, "initialization repeated on an established session");
      return false;
    default: break;
  }
  std::uint8_t code = h.type >= first_vendor_specific ? error::unrecognized_vendor : error::unrecognized_type;
  std::string text = "unexpected " + message_type_name(h.type) + " on the synchronous channel";
  return send_sync(s, make_header(MessageType::error, code), std::as_bytes(std::span(text.data(), text.size()))) ==
         status::SUCCESS;
}

void Server::handle_data(Session& s, const Message& m) {
  const Header& h = m.header;
  auto& device = *s.device->device;
  {
    std::unique_lock lock(mutex_);
    if (s.clearing) return;  // discarded until DeviceClearComplete (§6.12)
    // Sync messages of a client without access wait until the lock is released (§6.5).
    changed_.wait(lock, [&] { return stopping_ || s.closing || may_access(s); });
    if (stopping_ || s.closing) return;
    if (h.control & rmt_delivered) {
      s.rmt_expected = false;
      s.mav = false;
    }
    // A flag different from RMT-expected is an interrupted error for the instrument's parser only
    // (§6.10); nothing is sent to the client. pyvisa-py keeps the flag set, so it is tolerated.
    s.last_received_id = h.parameter;
    s.device->last_writer = s.id;
    // The device cannot say which query its output answers: a read already waiting would take the
    // answer to this message and tag it with the previous MessageID. So the pump's read is ended
    // and no new one starts until this message is with the device.
    s.writing = true;
    if (s.reading) {
      lock.unlock();
      device.abort();
      lock.lock();
      changed_.wait(lock, [&] { return !s.reading; });
    }
  }
  bool end = h.is(MessageType::data_end);
  if (h.is(MessageType::trigger)) {
    device.trigger(ms_deadline(device_call_timeout_ms));
  } else if (!m.payload.empty() || end) {
    std::size_t count = 0;
    device.write(m.payload, end, count, ms_deadline(options_.send_timeout_ms));
  }
  {
    std::lock_guard lock(mutex_);
    s.writing = false;
    if (end && !s.clearing) {
      s.response_id = h.parameter;
      if (s.overlap)
        ++s.queries_pending;
      else
        s.queries_pending = 1;  // synchronized: only the latest query is answered
    }
  }
  changed_.notify_all();
}

// ---- output ----

void Server::pump(std::shared_ptr<Session> s) {
  auto& device = *s->device->device;
  std::vector<std::byte> buffer;
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] {
      return stopping_ || s->closing ||
             (s->queries_pending > 0 && !s->clearing && !s->writing && s->async_ready &&
              s->device->last_writer == s->id);
    });
    if (stopping_ || s->closing) return;
    std::uint64_t generation = s->clear_generation;
    // Output is tagged with the latest query when the read began (handle_data ends a read before a
    // new message reaches the device, so an answer is never tagged with an older query).
    std::uint32_t id = s->response_id;
    // Each side limits what it sends to the other's maximum; pyvisa-py counts the header in it.
    std::uint64_t limit = std::min(s->client_max, options_.max_message_size);
    std::size_t chunk = static_cast<std::size_t>(limit > header_size + 1 ? limit - header_size : 1);
    buffer.resize(chunk);
    s->reading = true;
    lock.unlock();
    server::ReadResult r;
    status_t st = device.read(buffer, std::nullopt, r, ms_deadline(options_.poll_slice_ms));
    lock.lock();
    s->reading = false;
    changed_.notify_all();  // a writer may wait for the read to end
    if (stopping_ || s->closing) return;
    if (generation != s->clear_generation || s->clearing) continue;  // output from before a clear
    r.count = std::min(r.count, buffer.size());
    if (r.count == 0 && !r.end) {
      if (st < 0 && st != status::ERROR_TMO && st != status::ERROR_ABORT) s->queries_pending = 0;  // device error
      continue;
    }
    if (s->overlap) {
      id = s->server_counter;
      s->server_counter += 2;
    }
    s->mav = true;
    if (r.end) {
      s->rmt_expected = true;
      s->queries_pending = s->overlap ? std::max(0, s->queries_pending - 1) : 0;
    }
    lock.unlock();
    Header h = make_header(r.end ? MessageType::data_end : MessageType::data, 0, id);
    status_t sent = send_sync(*s, h, std::span(buffer).first(r.count));
    lock.lock();
    if (sent != status::SUCCESS) {
      lock.unlock();
      close_session(*s);  // the client stopped reading or went away
      return;
    }
  }
}

// ---- asynchronous channel ----

void Server::run_async(const std::shared_ptr<net::Socket>& socket, MessageStream& stream, const Message& init) {
  auto id = static_cast<std::uint16_t>(init.header.parameter & 0xFFFF);
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second->async || it->second->closing) {
      send_fatal(*socket, fatal::invalid_init_sequence, "AsyncInitialize for an unknown session");
      return;
    }
    session = it->second;
    session->async = socket;
  }
  std::uint32_t vendor = (std::uint32_t{static_cast<unsigned char>(options_.vendor_id[0])} << 8) |
                         static_cast<unsigned char>(options_.vendor_id[1]);
  bool ok = send_async(*session, make_header(MessageType::async_initialize_response, 0, vendor)) == status::SUCCESS;
  {
    std::lock_guard lock(mutex_);
    session->async_ready = ok;
  }
  changed_.notify_all();
  Message m;
  while (ok) {
    status_t st = stream.next_message(m, max_async_payload, core::Deadline::never());
    if (st == status::ERROR_INV_FMT) {
      fatal_both(*session, fatal::bad_header, "poorly formed message header");
      break;
    }
    if (st != status::SUCCESS) break;
    ok = handle_async(*session, m);
  }
  close_session(*session);  // the sync thread finishes the session
}

bool Server::handle_async(Session& s, const Message& m) {
  const Header& h = m.header;
  auto& device = *s.device->device;
  auto reply = [&](MessageType type, std::uint8_t control = 0, std::uint32_t parameter = 0,
                   std::span<const std::byte> payload = {}) {
    return send_async(s, make_header(type, control, parameter), payload) == status::SUCCESS;
  };
  auto error_reply = [&](std::uint8_t code, std::string text) {
    return reply(MessageType::error, code, 0, std::as_bytes(std::span(text.data(), text.size())));
  };
  if (m.oversized) return error_reply(error::message_too_large, "message too large");
  switch (static_cast<MessageType>(h.type)) {
    case MessageType::async_lock:
      if (h.control > lock::request) return error_reply(error::unrecognized_control, "bad AsyncLock control code");
      handle_lock(s, m);
      return true;
    case MessageType::async_lock_info: {
      std::uint8_t exclusive = 0;
      std::uint32_t holders = 0;
      {
        std::lock_guard lock(mutex_);
        std::set<std::uint16_t> all = s.device->shared_holders;
        if (s.device->exclusive_owner) {
          exclusive = 1;
          all.insert(*s.device->exclusive_owner);
        }
        holders = static_cast<std::uint32_t>(all.size());
      }
      return reply(MessageType::async_lock_info_response, exclusive, holders);
    }
    case MessageType::async_remote_local_control: {
      if (h.control > remote_local::gtl) return error_reply(error::unrecognized_control, "bad remote/local request");
      switch (h.control) {
        case remote_local::enable_remote:
        case remote_local::enable_remote_goto_remote:
        case remote_local::enable_remote_llo:
        case remote_local::enable_remote_goto_remote_llo: device.remote(ms_deadline(device_call_timeout_ms)); break;
        default: device.local(ms_deadline(device_call_timeout_ms)); break;
      }
      return reply(MessageType::async_remote_local_response);
    }
    case MessageType::async_maximum_message_size: {
      auto size = parse_maximum_message_size(m);
      if (!size) return error_reply(error::unidentified, "AsyncMaximumMessageSize needs an 8-byte size");
      {
        std::lock_guard lock(mutex_);
        s.client_max = std::max<std::uint64_t>(*size, header_size + 1);
      }
      auto payload = encode_u64(options_.max_message_size);
      return reply(MessageType::async_maximum_message_size_response, 0, 0, payload);
    }
    case MessageType::async_device_clear: {
      bool abort = false;
      {
        std::lock_guard lock(mutex_);
        s.clearing = true;
        s.queries_pending = 0;
        s.mav = false;
        ++s.clear_generation;
        abort = s.reading || s.writing;  // a device call in progress ends now (§6.12 step 2)
      }
      if (abort) device.abort();
      changed_.notify_all();
      device.clear(ms_deadline(device_call_timeout_ms));
      return reply(MessageType::async_device_clear_acknowledge, options_.prefer_overlap ? feature_overlap : 0);
    }
    case MessageType::async_status_query: {
      bool mav = false;
      {
        std::lock_guard lock(mutex_);
        if (h.control & rmt_delivered) {
          s.rmt_expected = false;
          s.mav = false;
        }
        // §6.14: a query that overtook a Data/DataEnd/Trigger (another MessageID) reports MAV false.
        mav = s.mav && (s.overlap || h.parameter == s.last_received_id);
      }
      std::uint8_t stb = 0;
      if (device.read_stb(stb, ms_deadline(device_call_timeout_ms)) < 0) stb = 0;
      // The device's output queue lives in this server now: MAV is what the client has not read.
      stb = static_cast<std::uint8_t>((stb & ~mav_bit) | (mav ? mav_bit : 0));
      return reply(MessageType::async_status_response, stb);
    }
    case MessageType::fatal_error: return false;
    case MessageType::error: return true;
    case MessageType::initialize:
    case MessageType::async_initialize:
      fatal_both(s, fatal::invalid_init_sequence, "initialization repeated on an established session");
      return false;
    default: break;
  }
  if (h.type >= first_vendor_specific) return error_reply(error::unrecognized_vendor, "unknown vendor-specific message");
  return error_reply(error::unrecognized_type, "unexpected " + message_type_name(h.type) + " on the asynchronous channel");
}

void Server::release_locks(Session& s) {
  Device& d = *s.device;
  if (d.exclusive_owner == s.id) d.exclusive_owner.reset();
  d.shared_holders.erase(s.id);
  if (d.shared_holders.empty()) d.shared_key.clear();
}

void Server::handle_lock(Session& s, const Message& m) {
  const Header& h = m.header;
  std::uint8_t result = lock::error;
  {
    std::unique_lock lock(mutex_);
    Device& d = *s.device;
    if (h.control == lock::release) {
      // Exclusive first (a holder of both releases the exclusive lock, then the shared one).
      if (d.exclusive_owner == s.id) {
        d.exclusive_owner.reset();
        result = lock::success;
      } else if (d.shared_holders.erase(s.id)) {
        if (d.shared_holders.empty()) d.shared_key.clear();
        result = lock::success_shared;
      }
    } else {
      std::string key(m.text());
      bool exclusive = key.empty();
      bool redundant = exclusive ? d.exclusive_owner == s.id : d.shared_holders.count(s.id) > 0;
      if (!redundant) {
        auto grantable = [&] {
          if (d.exclusive_owner && *d.exclusive_owner != s.id) return false;
          if (exclusive)  // a holder of the shared lock may add the exclusive one (§6.5)
            return d.shared_holders.empty() || (d.shared_holders.size() == 1 && d.shared_holders.count(s.id));
          return d.shared_holders.empty() || d.shared_key == key;
        };
        auto deadline = core::Deadline::after_ms(h.parameter);
        bool ok = wait_for_deadline(changed_, lock, deadline, [&] { return stopping_ || s.closing || grantable(); });
        ok = ok && !stopping_ && !s.closing && grantable();
        if (ok) {
          if (exclusive) {
            d.exclusive_owner = s.id;
          } else {
            d.shared_key = key;
            d.shared_holders.insert(s.id);
          }
        }
        result = ok ? lock::success : lock::fail;
      }
    }
  }
  changed_.notify_all();
  send_async(s, make_header(MessageType::async_lock_response, result));
}

// ---- service requests ----

void Server::service_requested(Device* device) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    srq_queue_.push_back(device);
  }
  srq_wake_.notify_one();
}

void Server::srq_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    srq_wake_.wait(lock, [&] { return stopping_ || !srq_queue_.empty(); });
    if (stopping_) return;
    Device* device = srq_queue_.front();
    srq_queue_.pop_front();
    std::vector<std::shared_ptr<Session>> targets;
    for (auto& [id, s] : sessions_)
      if (s->device == device && s->async_ready && !s->closing) targets.push_back(s);
    lock.unlock();
    // The status byte goes in the control code; the client still polls (AsyncStatusQuery) to
    // read and clear it, so only RQS is reported here (a serial poll would clear it).
    for (auto& s : targets) send_async(*s, make_header(MessageType::async_service_request, rqs_bit));
    lock.lock();
  }
}

}  // namespace cppvisa::hislip
