#include "protocols/hislip/hislip_server.hpp"

#include "core/log.hpp"
#include "protocols/hislip/hislip_channel.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <span>

namespace cppvisa::hislip {

struct Server::Device {
  std::string name;  // lower case
  std::shared_ptr<server::ServedDevice> device;
  std::size_t listener = 0;  // service-request listener, while started
};

// A session's output buffer (the payload of one message of the client's maximum size, 1 MiB by
// default). Not a vector: resizing one zero-fills it, so every session held the whole MiB
// resident from its first answer and that first answer cost 256 page faults (milliseconds on a
// virtual machine; 1000 served sessions: a GiB). Only the bytes a device writes are touched here.
struct OutputBuffer {
  std::unique_ptr<std::byte[]> bytes;
  std::size_t size = 0;
  /// Room for the payload of one message of at most `max_message` bytes, header included
  /// (pyvisa-py counts the header in the maximum).
  std::span<std::byte> for_messages_of(std::uint64_t max_message) {
    const auto n = static_cast<std::size_t>(max_message > header_size + 1 ? max_message - header_size : 1);
    if (n != size) {
      bytes = std::make_unique_for_overwrite<std::byte[]>(n);
      size = n;
    }
    return {bytes.get(), n};
  }
};

struct Server::Session {
  explicit Session(Device* d) : device(d), served(d->device) {}
  // The session is the device's client until its last thread lets go of it: then its locks are
  // released and its unread output discarded (ServedDevice::close_client).
  ~Session() { served->close_client(client); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  std::uint16_t id = 0;
  std::uint16_t version = version_1_0;  // negotiated at Initialize
  const server::ClientId client = server::new_client_id();
  Device* device;
  std::shared_ptr<server::ServedDevice> served;
  std::shared_ptr<net::Link> sync;
  std::shared_ptr<net::Link> async;  // set once the async channel is initialized (under mutex_)
  std::mutex sync_send, async_send;
  std::thread pump;
  // The output buffer: the pump's while pump_busy; the sync thread's while it answers at once
  // (Server::answer_now, only while the pump is idle and output_wanted is false).
  OutputBuffer output;

  // Guarded by Server::mutex_.
  bool async_ready = false;
  bool sync_tls = false, async_tls = false;  // the channels are encrypted
  bool async_switching = false;  // the asynchronous channel's handshake / close is in progress
  bool sync_switching = false;   // the synchronous channel's handshake / close is in progress
  bool secured = false;  // both channels were encrypted once ("initial encryption" is then met)
  bool async_active = false;   // the async channel's thread runs (it may wait for a lock)
  bool pump_done = false;
  bool closing = false;
  bool clearing = false;       // between AsyncDeviceClear and DeviceClearComplete
  bool overlap = false;        // overlapped mode (else synchronized)
  bool reading = false;        // the pump, or the sync thread answering at once, is inside the device read
  bool pump_busy = false;      // the pump left its wait with work (reading, or sending what it read)
  int reading_waiters = 0;     // threads in stop_reading(), waiting for `reading` to end
  bool writing = false;        // the sync thread is handing a message to the device (no reads meanwhile)
  bool output_wanted = false;  // a DataEnd reached the device: collect output while it says one is on its way
  bool mid_message = false;    // the last Data had no END: the next Data continues the message
  std::uint64_t client_max = 0;  // the client's maximum message size (what we may send)
  std::uint32_t last_received_id = no_message_id;  // last Data/DataEnd/Trigger from the client
  std::uint32_t response_id = unknown_message_id;  // MessageID of the DataEnd being answered
  std::uint32_t server_counter = initial_message_id;  // overlapped mode
  bool rmt_expected = false;
  bool mav = false;
  // Last traffic on either channel, either direction (steady clock ticks): the idle timeout's start.
  std::atomic<std::chrono::steady_clock::rep> active{std::chrono::steady_clock::now().time_since_epoch().count()};
  std::atomic<bool> idle_closed{false};
  void touch() noexcept { active = std::chrono::steady_clock::now().time_since_epoch().count(); }
  std::uint64_t clear_generation = 0;
  int deferred_remote_local = -1;  // a remote/local request acknowledged under another client's lock
  // Authentication: the SASL exchange (sync thread only) and its outcome (under Server::mutex_).
  std::unique_ptr<SaslServer> sasl;
  bool authenticated = false;
};

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

core::Deadline ms_deadline(std::uint32_t ms) { return core::Deadline::after_ms(ms); }

std::span<const std::byte> text_bytes(std::string_view text) { return std::as_bytes(std::span(text.data(), text.size())); }

constexpr std::uint8_t rqs_bit = 0x40;
constexpr std::uint8_t mav_bit = 0x10;
constexpr std::uint32_t access_slice_ms = 200;     // waits under another client's lock check the session this often
constexpr std::uint32_t abort_repeat_ms = 20;      // an abort is repeated until the call it targets has ended

bool is_remote_request(std::uint8_t code) {
  return code == remote_local::enable_remote || code == remote_local::enable_remote_goto_remote ||
         code == remote_local::enable_remote_llo || code == remote_local::enable_remote_goto_remote_llo;
}

}  // namespace

Server::Server() : Server(Options{}) {}

Server::Server(Options options) : options_(std::move(options)) {
  options_.max_message_size = std::max<std::uint64_t>(options_.max_message_size, 256);
  options_.max_sessions = std::clamp<std::size_t>(options_.max_sessions, 1, 0xFFFF);
  if (options_.max_connections == 0) options_.max_connections = 2 * options_.max_sessions + 8;
  options_.vendor_id.resize(2, ' ');
  options_.max_version = std::max(negotiate_version(options_.max_version, protocol_version), version_1_0);
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
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    status_t st = status::SUCCESS;
    tls_ = net::TlsContext::server({options_.tls_cert_file, options_.tls_key_file}, st, tls_error_);
    if (!tls_) return st;
  } else if (options_.encryption != Options::Encryption::optional) {
    tls_error_ = "HiSLIP: encryption required but no certificate and key given";
    return status::ERROR_INV_SETUP;
  }
  net::TcpAcceptor::Options o;
  o.host = options_.host;
  o.port = options_.port;
  o.max_connections = options_.max_connections;
  o.max_per_address = options_.max_per_address;
  o.allow = options_.allow;
  if (acceptor_.open(o) != status::SUCCESS) return status::ERROR_IO;
  std::vector<Device*> devices;
  {
    std::lock_guard lock(mutex_);
    running_ = true;
    for (auto& d : devices_) devices.push_back(d.get());
  }
  for (Device* d : devices) d->listener = d->device->add_service_request_listener([this, d] { service_requested(d); });
  srq_thread_ = std::thread([this] { srq_loop(); });
  return acceptor_.start(
      [this](const std::shared_ptr<net::Socket>& socket, const net::TcpAcceptor::ConnectionInfo&) { serve(socket); },
      [this](net::Socket& socket, const net::TcpAcceptor::RefusalInfo& info) { refuse(socket, info); });
}

void Server::stop() {
  bool was_running = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    was_running = running_;
    for (auto& [id, s] : sessions_) s->closing = true;
  }
  changed_.notify_all();
  {
    std::lock_guard lock(srq_mutex_);
    srq_stop_ = true;
  }
  srq_wake_.notify_all();
  acceptor_.shutdown();  // no new connections; every connection's socket is shut down
  {
    // Sessions blocked in a device call or wait (a read, a lock, another client's response):
    // abort them, again until they have ended (an abort reaches only what is in progress).
    std::unique_lock lock(mutex_);
    while (!sessions_.empty()) {
      std::vector<std::shared_ptr<Session>> live;
      for (auto& [id, s] : sessions_) live.push_back(s);
      lock.unlock();
      for (auto& s : live) s->served->abort(s->client);
      live.clear();
      lock.lock();
      changed_.wait_for(lock, std::chrono::milliseconds(abort_repeat_ms), [&] { return sessions_.empty(); });
    }
  }
  acceptor_.stop();
  if (srq_thread_.joinable()) srq_thread_.join();
  if (was_running)
    for (auto& d : devices_) d->device->remove_service_request_listener(d->listener);
}

std::size_t Server::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

// ---- connections ----

void Server::refuse(net::Socket& socket, const net::TcpAcceptor::RefusalInfo& info) {
  // IVI-6.1 Table 7: FatalError 4 is "maximum number of clients exceeded"; a client outside the
  // allow list is refused for another reason, said in the text of FatalError 0.
  if (info.reason == net::TcpAcceptor::Refusal::not_allowed)
    send_message(socket, make_header(MessageType::fatal_error, fatal::unidentified),
                 std::string_view("client address not allowed"), info.deadline);
  else
    send_message(socket, make_header(MessageType::fatal_error, fatal::too_many_clients),
                 std::string_view("maximum number of clients exceeded"), info.deadline);
}

/// Reads a channel for its MessageStream. A read with a deadline of its own (the first message)
/// keeps it; a read without one (the channel loops) ends with ERROR_TMO once the session had no
/// traffic for idle_ms: both channels and both directions count (Session::touch).
class Server::IdleInput : public ByteInput {
 public:
  IdleInput(net::Link& socket, std::uint32_t idle_ms) : socket_(socket), idle_(idle_ms) {}
  void attach(Session& s) noexcept { session_ = &s; }
  status_t recv_some(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count) override {
    for (;;) {
      bool idle_rule = deadline.infinite() && idle_.count() > 0;
      core::Deadline d = idle_rule ? core::Deadline::at(last() + idle_) : deadline;
      status_t st = socket_.recv_some(buffer, d, count);
      if (st == status::SUCCESS) {
        touch();
        return st;
      }
      if (st != status::ERROR_TMO || !idle_rule) return st;
      if (std::chrono::steady_clock::now() >= last() + idle_) return status::ERROR_TMO;  // idle
    }
  }

 private:
  using time_point = std::chrono::steady_clock::time_point;
  time_point last() const noexcept {
    if (!session_) return own_;
    return time_point(std::chrono::steady_clock::duration(session_->active.load()));
  }
  void touch() noexcept {
    if (session_) session_->touch();
    else own_ = std::chrono::steady_clock::now();
  }
  net::Link& socket_;
  std::chrono::milliseconds idle_;
  Session* session_ = nullptr;
  time_point own_ = std::chrono::steady_clock::now();
};

void Server::close_idle(Session& s) {
  if (!s.idle_closed.exchange(true))
    fatal_both(s, fatal::unidentified,
               "closed after " + std::to_string(options_.idle_timeout_ms / 1000) + " s without traffic (idle timeout)");
  close_session(s);
}

void Server::send_fatal(net::Link& socket, std::uint8_t code, std::string_view text) {
  send_message(socket, make_header(MessageType::fatal_error, code), text, ms_deadline(1000));
}

void Server::serve(const std::shared_ptr<net::Socket>& tcp) {
  auto socket = std::make_shared<net::Link>(tcp);  // plain until the client starts TLS
  IdleInput input(*socket, options_.idle_timeout_ms);
  MessageStream stream(input);
  Message first;
  // The first message is due within init_timeout_ms, and within the idle timeout when that is
  // shorter: a connection that never says anything is idle too.
  std::uint32_t first_ms = options_.init_timeout_ms;
  if (options_.idle_timeout_ms > 0) first_ms = std::min(first_ms, options_.idle_timeout_ms);
  status_t st = stream.next_message(first, max_sub_address, ms_deadline(first_ms));
  if (st == status::ERROR_INV_FMT) {
    send_fatal(*socket, fatal::bad_header, "poorly formed message header");
  } else if (st != status::SUCCESS) {
    // Closed or silent: nothing to say (a presence probe is not an error).
  } else if (first.header.is(MessageType::initialize)) {
    run_sync(socket, input, stream, first);
  } else if (first.header.is(MessageType::async_initialize)) {
    run_async(socket, input, stream, first);
  } else {
    send_fatal(*socket, fatal::invalid_init_sequence,
               "expected Initialize or AsyncInitialize, got " + message_type_name(first.header.type));
  }
}

// ---- synchronous channel ----

void Server::run_sync(const std::shared_ptr<net::Link>& socket, IdleInput& input, MessageStream& stream,
                      const Message& init) {
  InitializeRequest request;
  if (!parse_initialize(init, request)) {
    send_fatal(*socket, fatal::invalid_init_sequence, "malformed Initialize (sub-address)");
    return;
  }
  // IVI-6.1 §6.1: the server answers with the version both speak (the lower of the two).
  std::uint16_t version = negotiate_version(request.version, options_.max_version);
  if (version == 0) {
    send_fatal(*socket, fatal::invalid_init_sequence,
               "unsupported HiSLIP protocol version " + version_name(request.version) + " (1.0 or later needed)");
    return;
  }
  std::shared_ptr<Session> session;
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
      send_fatal(*socket, fatal::too_many_clients, "too many clients");
      return;
    }
    session = std::make_shared<Session>(device);
    while (next_session_id_ == 0 || sessions_.count(next_session_id_)) ++next_session_id_;
    session->id = next_session_id_++;
    session->version = version;
    session->sync = socket;
    session->overlap = options_.prefer_overlap;
    session->client_max = options_.max_message_size;
    sessions_[session->id] = session;
  }
  input.attach(*session);
  std::uint8_t control = options_.prefer_overlap ? feature_overlap : 0;
  if (must_encrypt() && version >= version_2_0)
    control |= options_.encryption == Options::Encryption::mandatory ? feature_encryption_mandatory
                                                                     : feature_initial_encryption;
  Header response = make_header(MessageType::initialize_response, control,
                                (std::uint32_t{version} << 16) | session->id);
  bool ok = send_sync(*session, response) == status::SUCCESS;
  if (ok) {
    session->pump = std::thread([this, session] { pump(session); });
  } else {
    std::lock_guard lock(mutex_);
    session->pump_done = true;
  }
  Message m;
  while (ok) {
    status_t st = stream.next_message(m, options_.max_message_size, core::Deadline::never());
    if (st == status::ERROR_INV_FMT) {
      fatal_both(*session, fatal::bad_header, "poorly formed message header");
      break;
    }
    if (st == status::ERROR_TMO) {
      close_idle(*session);
      break;
    }
    if (st != status::SUCCESS) break;
    int secure = secure_sync(*session, m, stream);
    if (secure == 0) secure = sasl_sync(*session, m);
    ok = secure == 0 ? handle_sync(*session, m) : secure > 0;
  }
  close_session(*session);
  {
    // The pump and the async channel's thread may be in a device call or wait (a lock request):
    // end them before the session lets go of the device.
    std::unique_lock lock(mutex_);
    while (!session->pump_done || session->async_active) {
      lock.unlock();
      session->served->abort(session->client);
      lock.lock();
      changed_.wait_for(lock, std::chrono::milliseconds(abort_repeat_ms),
                        [&] { return session->pump_done && !session->async_active; });
    }
  }
  if (session->pump.joinable()) session->pump.join();
  {
    std::lock_guard lock(mutex_);
    sessions_.erase(session->id);
  }
  changed_.notify_all();
}

void Server::close_session(Session& s) {
  {
    std::lock_guard lock(mutex_);
    s.closing = true;
  }
  s.served->abort(s.client);
  changed_.notify_all();
  if (s.sync) s.sync->shutdown();
  std::shared_ptr<net::Link> async;
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
  std::shared_ptr<net::Link> async;
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
  s.touch();
  std::lock_guard lock(s.sync_send);
  return send_message(*s.sync, h, payload, ms_deadline(options_.send_timeout_ms));
}

status_t Server::send_async(Session& s, const Header& h, std::span<const std::byte> payload) {
  std::shared_ptr<net::Link> async;
  {
    std::lock_guard lock(mutex_);
    async = s.async;
  }
  if (!async) return status::ERROR_CONN_LOST;
  s.touch();
  std::lock_guard lock(s.async_send);
  return send_message(*async, h, payload, ms_deadline(options_.send_timeout_ms));
}

status_t Server::send_device_error(Session& s, bool async, std::string_view what, status_t st) {
  std::string text = std::string(what) + ": " + status_name(st);
  if (text.size() > max_error_text) text.resize(max_error_text);
  Header h = make_header(MessageType::error, st == status::ERROR_NSUP_OPER ? error::unrecognized_control : error::unidentified);
  return async ? send_async(s, h, text_bytes(text)) : send_sync(s, h, text_bytes(text));
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
    send_sync(s, make_header(MessageType::error, error::message_too_large), text_bytes("message too large"));
    return true;
  }
  switch (static_cast<MessageType>(h.type)) {
    case MessageType::data:
    case MessageType::data_end:
    case MessageType::trigger: return handle_data(s, m);
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
        s.output_wanted = false;
        s.mid_message = false;
        ++s.clear_generation;
        features = s.overlap ? feature_overlap : 0;
      }
      changed_.notify_all();
      return send_sync(s, make_header(MessageType::device_clear_acknowledge, features)) == status::SUCCESS;
    }
    case MessageType::get_descriptors:
      if (s.version < version_2_0) break;
      return handle_get_descriptors(s, false);
    case MessageType::fatal_error:
    case MessageType::error: return peer_error(s, m);  // Error: the client discarded something of ours
    case MessageType::initialize:
    case MessageType::async_initialize:
      fatal_both(s, fatal::invalid_init_sequence, "initialization repeated on an established session");
      return false;
    default: break;
  }
  std::uint8_t code = h.type >= first_vendor_specific ? error::unrecognized_vendor : error::unrecognized_type;
  std::string text = "unexpected " + message_type_name(h.type) + " on the synchronous channel";
  return send_sync(s, make_header(MessageType::error, code), text_bytes(text)) == status::SUCCESS;
}

bool Server::peer_error(Session& s, const Message& m) {
  const bool fatal = m.header.is(MessageType::fatal_error);
  CPPVISA_LOG("hislip", "session {}: {} {} ({}) from the client: {}", s.id, fatal ? "FatalError" : "Error",
              m.header.control, fatal ? fatal_error_name(m.header.control) : error_name(m.header.control), m.text());
  return !fatal;  // nothing to undo after an Error; a FatalError ends the session
}

bool Server::wait_for_access(Session& s) {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || s.closing || s.clearing) return false;
    }
    // The device's lock, whoever took it (this server, VXI-11, ...). §6.5: sync messages of a
    // client without access stay queued until the lock is released.
    if (s.served->wait_access(s.client, ms_deadline(access_slice_ms)) == status::SUCCESS) return true;
  }
}

void Server::stop_reading(Session& s, std::unique_lock<std::mutex>& lock) {
  ++s.reading_waiters;
  while (s.reading && !s.closing && !stopping_) {
    lock.unlock();
    s.served->abort(s.client);
    lock.lock();
    changed_.wait_for(lock, std::chrono::milliseconds(abort_repeat_ms), [&] { return !s.reading; });
  }
  --s.reading_waiters;
}

status_t Server::unless_aborted_by_another(Session& s, core::Deadline deadline,
                                           const std::function<status_t()>& call) {
  for (;;) {
    status_t st = call();
    if (st != status::ERROR_ABORT || deadline.expired()) return st;
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || s.closing) return st;
    }
    std::this_thread::yield();  // the aborted wait of the other call leaves, then the abort is forgotten
  }
}

bool Server::handle_data(Session& s, const Message& m) {
  const Header& h = m.header;
  auto& device = *s.served;
  bool interrupted = false;
  bool end = h.is(MessageType::data_end);
  {
    std::unique_lock lock(mutex_);
    if (s.clearing) return true;  // discarded until DeviceClearComplete (§6.12)
    if (h.control & rmt_delivered) {
      s.rmt_expected = false;
      s.mav = false;
    }
    // A flag different from RMT-expected is an interrupted error for the instrument's parser only
    // (§6.10); nothing is sent to the client. pyvisa-py keeps the flag set, so it is tolerated.
    s.last_received_id = h.parameter;
    // Synchronized mode: the device cannot say which query its output answers, so no read may
    // run while this message goes to the device (it would take the answer to this message and
    // tag it with the previous MessageID). A read in progress is ended; in overlapped mode
    // answers are tagged by the server's counter and the read may finish first.
    s.writing = true;
    if (!s.overlap) {
      interrupted = !s.mid_message;  // a continuation of the client's message interrupts nothing
      stop_reading(s, lock);
    }
  }
  auto finish = [&](bool ok) {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      s.writing = false;
      // Only the pump waits for `writing` to end, and only when there is output for it: no
      // wake-up (a futex call, a context switch) when the answer went out already.
      wake = s.output_wanted;
    }
    if (wake) changed_.notify_all();
    return ok;
  };
  if (!wait_for_access(s)) return finish(true);
  int deferred = -1;
  {
    std::lock_guard lock(mutex_);
    std::swap(deferred, s.deferred_remote_local);
  }
  if (deferred >= 0) {  // acknowledged while another client held the lock (§6.5): applied now
    auto code = static_cast<std::uint8_t>(deferred);
    is_remote_request(code) ? device.remote(s.client, ms_deadline(options_.device_timeout_ms))
                            : device.local(s.client, ms_deadline(options_.device_timeout_ms));
  }
  // §6.10 (IVI-6.1): the previous response is still on its way when a new message
  // comes: it is dropped (its read was aborted above; the device drops its unread output as an
  // instrument does, reporting -410 where it can) and the client told with AsyncInterrupted and
  // Interrupted, carrying this message's MessageID.
  if (interrupted && device.response_pending(s.client)) {
    device.interrupt(s.client, ms_deadline(options_.device_timeout_ms));
    bool clearing = false;
    {
      std::lock_guard lock(mutex_);
      s.output_wanted = false;
      s.mav = false;
      clearing = s.clearing;
    }
    // A device clear that started meanwhile ends this transaction anyway; an AsyncInterrupted
    // after its acknowledgement would outlive it on the client.
    if (!clearing) {
      send_async(s, make_header(MessageType::async_interrupted, 0, h.parameter));
      if (send_sync(s, make_header(MessageType::interrupted, 0, h.parameter)) != status::SUCCESS) return finish(false);
    }
  }
  status_t st = status::SUCCESS;
  if (h.is(MessageType::trigger)) {
    st = device.trigger(s.client, ms_deadline(options_.device_timeout_ms));
    if (st < 0 && send_device_error(s, false, "trigger failed", st) != status::SUCCESS) return finish(false);
    return finish(true);
  }
  {
    std::lock_guard lock(mutex_);
    s.mid_message = !end;
  }
  if (!m.payload.empty() || end) {
    std::size_t count = 0;
    st = device.write(s.client, m.payload, end, count, ms_deadline(options_.device_timeout_ms));
    if (st < 0) {
      if (send_device_error(s, false, "device write failed", st) != status::SUCCESS) return finish(false);
      return finish(true);
    }
  }
  if (end) {
    bool answer_here = false;
    {
      std::lock_guard lock(mutex_);
      if (!s.clearing) {
        s.response_id = h.parameter;
        s.output_wanted = true;
        // Synchronized mode with the pump idle: this thread answers (answer_now). A busy pump may
        // still be sending an earlier chunk, which must go first; overlapped mode keeps the pump.
        if (!s.overlap && !s.pump_busy && s.async_ready && !s.closing && !stopping_) {
          s.output_wanted = false;  // the pump stays asleep
          s.reading = true;         // a device clear aborts this read as it aborts the pump's (§6.12)
          answer_here = true;
        }
      }
    }
    if (answer_here) return finish(answer_now(s));
  }
  return finish(true);
}

bool Server::answer_now(Session& s) {
  auto& device = *s.served;
  std::uint64_t generation = 0;
  std::uint32_t id = 0;
  std::uint64_t limit = 0;
  {
    std::lock_guard lock(mutex_);
    generation = s.clear_generation;
    id = s.response_id;
    limit = std::min(s.client_max, options_.max_message_size);
  }
  // What the pump would send first, read without waiting: only when the device says the answer is
  // ready (never a read "to see", nor a wait here: this thread must stay free to receive the next
  // message, which interrupts a response still coming, §6.10).
  const std::span<std::byte> buffer = s.output.for_messages_of(limit);
  server::ReadResult r;
  if (device.response_ready(s.client))
    device.read(s.client, buffer, std::nullopt, r, core::Deadline::after_ms(tmo_immediate));
  const std::size_t count = std::min(r.count, buffer.size());
  {
    std::lock_guard lock(mutex_);
    s.reading = false;
    if (s.reading_waiters > 0) changed_.notify_all();  // a device clear waits for this read to end
    if (stopping_ || s.closing) return true;  // the session ends (its sockets are shut down)
    if (generation != s.clear_generation || s.clearing) return true;  // output from before a clear
    if (count == 0 && !r.end) {
      // Not ready yet (or the read failed): the pump waits for it with the response timeout and
      // reports a device error, as for any response.
      s.output_wanted = true;
      return true;
    }
    s.mav = true;
    if (r.end) s.rmt_expected = true;
  }
  Header h = make_header(r.end ? MessageType::data_end : MessageType::data, 0, id);
  if (send_sync(s, h, std::span<const std::byte>(buffer).first(count)) != status::SUCCESS)
    return false;  // the client stopped reading or went away: the session ends
  // The rest of a long response, or further output: the pump carries on with it.
  if (!r.end || device.response_pending(s.client)) {
    std::lock_guard lock(mutex_);
    if (generation == s.clear_generation && !s.clearing) s.output_wanted = true;
  }
  return true;
}

// ---- output ----

void Server::pump(std::shared_ptr<Session> s) {
  auto& device = *s->served;
  std::span<std::byte> buffer;
  std::unique_lock lock(mutex_);
  for (;;) {
    s->pump_busy = false;
    changed_.wait(lock, [&] {
      return stopping_ || s->closing || (s->output_wanted && !s->clearing && !s->writing && s->async_ready);
    });
    s->pump_busy = true;
    if (stopping_ || s->closing) break;
    std::uint64_t generation = s->clear_generation;
    // Synchronized mode: output is tagged with the query that asked (handle_data ends a read
    // before a new message reaches the device, so an answer is never tagged with an older query).
    std::uint32_t id = s->response_id;
    // Each side limits what it sends to the other's maximum; pyvisa-py counts the header in it.
    std::uint64_t limit = std::min(s->client_max, options_.max_message_size);
    buffer = s->output.for_messages_of(limit);
    s->reading = true;
    lock.unlock();
    // Read only while the device says a response is ready or on its way: a read "to see" makes
    // many instruments report -420 Query UNTERMINATED. One read per message sent, straight into
    // the buffer the message is sent from; abort() (a new message, a clear, the end) ends it.
    server::ReadResult r;
    status_t st = status::SUCCESS;
    bool pending = device.response_pending(s->client);
    if (pending) st = device.read(s->client, buffer, std::nullopt, r, ms_deadline(options_.response_timeout_ms));
    lock.lock();
    s->reading = false;
    changed_.notify_all();  // a writer or a clear may wait for the read to end
    if (stopping_ || s->closing) break;
    if (generation != s->clear_generation || s->clearing) continue;  // output from before a clear
    if (!pending) {
      s->output_wanted = false;
      continue;
    }
    if (s->writing && !s->overlap) continue;  // a new message interrupted this response
    std::size_t count = std::min(r.count, buffer.size());
    if (count == 0 && !r.end) {
      if (st == status::ERROR_ABORT || st == status::ERROR_RSRC_LOCKED) continue;  // ended by us / wait again
      // No byte within response_timeout_ms, or a device error: this response is given up.
      s->output_wanted = false;
      if (st < 0 && st != status::ERROR_TMO) {
        lock.unlock();
        send_device_error(*s, false, "device read failed", st);
        lock.lock();
      }
      continue;
    }
    if (s->overlap) {
      id = s->server_counter;
      s->server_counter += 2;
    }
    s->mav = true;
    if (r.end) s->rmt_expected = true;
    lock.unlock();
    Header h = make_header(r.end ? MessageType::data_end : MessageType::data, 0, id);
    status_t sent = send_sync(*s, h, std::span<const std::byte>(buffer).first(count));
    if (sent != status::SUCCESS) {
      close_session(*s);  // the client stopped reading or went away
      lock.lock();
      break;
    }
    lock.lock();
  }
  s->pump_done = true;
  changed_.notify_all();
}

// ---- asynchronous channel ----

void Server::run_async(const std::shared_ptr<net::Link>& socket, IdleInput& input, MessageStream& stream,
                       const Message& init) {
  auto id = static_cast<std::uint16_t>(init.header.parameter & 0xFFFF);
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (stopping_ || it == sessions_.end() || it->second->async || it->second->closing) {
      send_fatal(*socket, fatal::invalid_init_sequence, "AsyncInitialize for an unknown session");
      return;
    }
    session = it->second;
    session->async = socket;
    session->async_active = true;
  }
  input.attach(*session);
  std::uint32_t vendor = (std::uint32_t{static_cast<unsigned char>(options_.vendor_id[0])} << 8) |
                         static_cast<unsigned char>(options_.vendor_id[1]);
  // Ready before the response goes out: a client may send on the synchronous channel as soon as
  // it has read AsyncInitializeResponse, possibly before this thread runs again.
  {
    std::lock_guard lock(mutex_);
    session->async_ready = true;
  }
  changed_.notify_all();
  std::uint8_t capability = tls_ && session->version >= version_2_0 ? secure_connection_capable : 0;
  bool ok = send_async(*session, make_header(MessageType::async_initialize_response, capability, vendor)) ==
            status::SUCCESS;
  if (!ok) {
    std::lock_guard lock(mutex_);
    session->async_ready = false;
  }
  Message m;
  while (ok) {
    status_t st = stream.next_message(m, max_async_payload, core::Deadline::never());
    if (st == status::ERROR_INV_FMT) {
      fatal_both(*session, fatal::bad_header, "poorly formed message header");
      break;
    }
    if (st == status::ERROR_TMO) {
      close_idle(*session);
      break;
    }
    if (st != status::SUCCESS) break;
    int secure = secure_async(*session, m, stream);
    if (secure == 0) secure = sasl_async(*session, m);
    ok = secure == 0 ? handle_async(*session, m) : secure > 0;
  }
  close_session(*session);  // the sync thread finishes the session
  {
    std::lock_guard lock(mutex_);
    session->async_active = false;
  }
  changed_.notify_all();
}

bool Server::handle_async(Session& s, const Message& m) {
  const Header& h = m.header;
  auto reply = [&](MessageType type, std::uint8_t control = 0, std::uint32_t parameter = 0,
                   std::span<const std::byte> payload = {}) {
    return send_async(s, make_header(type, control, parameter), payload) == status::SUCCESS;
  };
  auto error_reply = [&](std::uint8_t code, std::string_view text) {
    return reply(MessageType::error, code, 0, text_bytes(text));
  };
  if (m.oversized) return error_reply(error::message_too_large, "message too large");
  switch (static_cast<MessageType>(h.type)) {
    case MessageType::async_lock:
      if (h.control > lock::request) return error_reply(error::unrecognized_control, "bad AsyncLock control code");
      handle_lock(s, m);
      return true;
    case MessageType::async_lock_info: {
      server::LockInfo info = s.served->lock_info();
      return reply(MessageType::async_lock_info_response, info.exclusive ? 1 : 0,
                   static_cast<std::uint32_t>(std::min<std::size_t>(info.holders, 0xFFFFFFFFu)));
    }
    case MessageType::async_remote_local_control:
      if (h.control > remote_local::gtl) return error_reply(error::unrecognized_control, "bad remote/local request");
      return handle_remote_local(s, m);
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
    case MessageType::async_device_clear: return handle_device_clear(s);
    case MessageType::async_status_query: return handle_status_query(s, m);
    case MessageType::get_descriptors:
      if (s.version < version_2_0) break;
      return handle_get_descriptors(s, true);
    case MessageType::fatal_error:
    case MessageType::error: return peer_error(s, m);
    case MessageType::initialize:
    case MessageType::async_initialize:
      fatal_both(s, fatal::invalid_init_sequence, "initialization repeated on an established session");
      return false;
    default: break;
  }
  if (h.type >= first_vendor_specific) return error_reply(error::unrecognized_vendor, "unknown vendor-specific message");
  return error_reply(error::unrecognized_type, "unexpected " + message_type_name(h.type) + " on the asynchronous channel");
}

bool Server::handle_device_clear(Session& s) {
  {
    std::unique_lock lock(mutex_);
    s.clearing = true;
    s.output_wanted = false;
    s.mid_message = false;
    s.mav = false;
    ++s.clear_generation;
    // §6.12 step 2: the device call in progress ends now (the pump's read, at once, not at its
    // timeout; the sync thread's write or its wait for access).
    stop_reading(s, lock);
  }
  s.served->abort(s.client);
  changed_.notify_all();
  // Under another client's lock the clear completes for the protocol (§6.5) without clearing
  // the device, which belongs to the lock holder.
  status_t st = status::SUCCESS;
  if (s.served->may_access(s.client)) {
    auto deadline = ms_deadline(options_.device_timeout_ms);
    st = unless_aborted_by_another(s, deadline, [&] { return s.served->clear(s.client, deadline); });
  }
  bool ok = send_async(s, make_header(MessageType::async_device_clear_acknowledge,
                                      options_.prefer_overlap ? feature_overlap : 0)) == status::SUCCESS;
  // The acknowledgement has no status field: a device that could not be cleared is reported
  // after it, so that the client can still complete the transaction.
  if (ok && st < 0) ok = send_device_error(s, true, "device clear failed", st) == status::SUCCESS;
  return ok;
}

int Server::refuse_unencrypted(Session& s, const Header& h) {
  // §3.4 step 8 (IVI-6.1 2.0): encryption first, else FatalError 5 ("secure connection failed").
  fatal_both(s, fatal::secure_connection_failed,
             "this server requires a secure connection (AsyncStartTLS, StartTLS) before " + message_type_name(h.type));
  return -1;
}

int Server::secure_sync(Session& s, const Message& m, MessageStream& stream) {
  const Header& h = m.header;
  const bool capable = tls_ && s.version >= version_2_0;
  bool async_tls = false, sync_tls = false, secured = false;
  {
    std::unique_lock lock(mutex_);
    // The client sends StartTLS/EndTLS as soon as its side of the asynchronous switch is done,
    // which may be before ours (TLS 1.3: the server finishes last): wait for it.
    if (h.is(MessageType::start_tls) || h.is(MessageType::end_tls))
      wait_for_deadline(changed_, lock, ms_deadline(options_.device_timeout_ms),
                        [&] { return !s.async_switching || s.closing || stopping_; });
    async_tls = s.async_tls;
    sync_tls = s.sync_tls;
    secured = s.secured;
  }
  auto refuse = [&](std::string_view text) {
    return send_sync(s, make_header(MessageType::error, error::unidentified), text_bytes(text)) == status::SUCCESS ? 1
                                                                                                                 : -1;
  };
  if (capable && (h.is(MessageType::start_tls) || h.is(MessageType::end_tls))) {
    bool start = h.is(MessageType::start_tls);
    // The asynchronous channel switches first (AsyncStartTLS / AsyncEndTLS), then this one.
    if (start && (!async_tls || sync_tls)) return refuse("StartTLS out of order (AsyncStartTLS first, once)");
    if (!start && (async_tls || !sync_tls)) return refuse("EndTLS out of order (AsyncEndTLS first)");
    std::string why;
    status_t st;
    {
      std::lock_guard lock(mutex_);
      s.sync_switching = true;
    }
    {
      std::lock_guard send(s.sync_send);  // nothing of the pump's between the two modes
      st = start ? s.sync->start_tls(*tls_, stream.take_buffered(), ms_deadline(options_.device_timeout_ms), why)
                 : s.sync->end_tls(ms_deadline(options_.device_timeout_ms), why);
    }
    s.touch();
    {
      std::lock_guard lock(mutex_);
      s.sync_switching = false;
      if (st == status::SUCCESS) {
        s.sync_tls = start;
        if (start) s.secured = true;
      }
    }
    changed_.notify_all();
    if (st != status::SUCCESS) {
      CPPVISA_LOG("hislip", "session {}: synchronous channel {}: {}", s.id, start ? "StartTLS" : "EndTLS", why);
      return -1;  // out of step with the client: nothing more can be said on this channel
    }
    return 1;
  }
  if (must_encrypt() && !secured && !h.is(MessageType::get_descriptors) && !h.is(MessageType::error) &&
      !h.is(MessageType::fatal_error)) {
    // §3.4 step 8: encryption first (FatalError 5, "secure connection failed").
    return refuse_unencrypted(s, h);
  }
  return 0;
}

int Server::secure_async(Session& s, const Message& m, MessageStream& stream) {
  const Header& h = m.header;
  const bool capable = tls_ && s.version >= version_2_0;
  if (capable && (h.is(MessageType::async_start_tls) || h.is(MessageType::async_end_tls))) {
    bool start = h.is(MessageType::async_start_tls);
    MessageType answer = start ? MessageType::async_start_tls_response : MessageType::async_end_tls_response;
    std::uint8_t result = 1;
    bool wanted = false;
    {
      // The client's side of the last StartTLS/EndTLS may finish before ours (its close_notify or
      // Finished is answered by our last record, sent before our own call returns): its next
      // AsyncStartTLS/AsyncEndTLS may come first. Answer it for the finished state, not "already".
      std::unique_lock lock(mutex_);
      wait_for_deadline(changed_, lock, ms_deadline(options_.device_timeout_ms),
                        [&] { return !s.sync_switching || s.closing || stopping_; });
      wanted = s.output_wanted;
    }
    // An answer still to come from the device (the pump clears output_wanted only on its next
    // turn, after the last DataEnd went out).
    const bool answer_coming = wanted && s.served->response_pending(s.client);
    {
      std::lock_guard lock(mutex_);
      if (h.control & rmt_delivered) {  // carries RMT-delivered like AsyncStatusQuery (§3.6)
        s.rmt_expected = false;
        s.mav = false;
      }
      if (start ? (s.async_tls || s.sync_tls) : (!s.async_tls || options_.encryption == Options::Encryption::mandatory))
        result = 3;  // already encrypted / not encrypted / mandatory encryption refuses to end
      else if (answer_coming || s.reading || s.writing || s.mid_message)
        result = 0;  // busy: a message or a response is on its way (device clear, then again)
      s.async_switching = result == 1;
    }
    auto switched = [&](bool on) {
      {
        std::lock_guard lock(mutex_);
        s.async_switching = false;
        s.async_tls = on;
      }
      changed_.notify_all();
    };
    std::lock_guard send(s.async_send);  // the response and the switch, nothing in between
    s.touch();
    auto deadline = ms_deadline(options_.send_timeout_ms);
    if (send_message(*s.async, make_header(answer, result), std::span<const std::byte>{}, deadline) != status::SUCCESS) {
      switched(!start);
      return -1;
    }
    if (result != 1) return 1;
    std::string why;
    status_t st = start ? s.async->start_tls(*tls_, stream.take_buffered(), ms_deadline(options_.device_timeout_ms), why)
                        : s.async->end_tls(ms_deadline(options_.device_timeout_ms), why);
    if (st != status::SUCCESS) {
      CPPVISA_LOG("hislip", "session {}: asynchronous channel {}: {}", s.id, start ? "AsyncStartTLS" : "AsyncEndTLS", why);
      switched(false);
      return -1;
    }
    switched(start);
    return 1;
  }
  bool secured = false;
  {
    std::lock_guard lock(mutex_);
    secured = s.secured;
  }
  if (must_encrypt() && !secured && !h.is(MessageType::async_maximum_message_size) &&
      !h.is(MessageType::get_descriptors) && !h.is(MessageType::error) && !h.is(MessageType::fatal_error)) {
    return refuse_unencrypted(s, h);
  }
  return 0;
}

int Server::sasl_sync(Session& s, const Message& m) {
  const Header& h = m.header;
  const bool sasl_message = h.is(MessageType::get_sasl_mechanism_list) || h.is(MessageType::authentication_start) ||
                            h.is(MessageType::authentication_exchange);
  bool encrypted = false, authenticated = false;
  {
    std::lock_guard lock(mutex_);
    encrypted = s.sync_tls && s.async_tls;
    authenticated = s.authenticated;
  }
  auto sent = [](status_t st) { return st == status::SUCCESS ? 1 : -1; };
  if (sasl_message && s.version >= version_2_0) {
    if (!s.sasl) s.sasl = std::make_unique<SaslServer>(options_.sasl_users, options_.sasl_anonymous);
    if (h.is(MessageType::get_sasl_mechanism_list)) {
      // IVI-6.1 2.0: space-separated, preferred first (PLAIN only over TLS: it carries the password).
      std::string list = fmt::format("{}", fmt::join(s.sasl->mechanisms(encrypted), " "));
      return sent(send_sync(s, make_header(MessageType::get_sasl_mechanism_list_response), text_bytes(list)));
    }
    std::vector<std::byte> out;
    SaslServer::Step step = SaslServer::Step::failure;
    if (h.is(MessageType::authentication_start)) {
      {
        std::lock_guard lock(mutex_);
        s.authenticated = false;  // a new authentication replaces the previous one
      }
      step = m.oversized ? SaslServer::Step::failure : s.sasl->start(m.text(), encrypted, out);
    } else {
      step = m.oversized ? SaslServer::Step::failure : s.sasl->step(m.payload, out);
    }
    if (step == SaslServer::Step::more)
      return sent(send_sync(s, make_header(MessageType::authentication_exchange), out));
    if (step == SaslServer::Step::success) {
      {
        std::lock_guard lock(mutex_);
        s.authenticated = true;
      }
      CPPVISA_LOG("hislip", "session {}: authenticated as '{}' ({})", s.id, s.sasl->user(), s.sasl->mechanism());
      // AuthenticationResult bit 0 = success; the mechanism's last data (SCRAM's server signature).
      return sent(send_sync(s, make_header(MessageType::authentication_result, 1), out));
    }
    std::string why = m.oversized ? std::string("authentication message too long") : s.sasl->error();
    CPPVISA_LOG("hislip", "session {}: authentication ({}) failed: {}", s.id, s.sasl->mechanism(), why);
    if (why.size() > max_error_text) why.resize(max_error_text);
    return sent(send_sync(s, make_header(MessageType::authentication_result, 0, 1), text_bytes(why)));
  }
  if (must_authenticate() && !authenticated &&
      (h.is(MessageType::data) || h.is(MessageType::data_end) || h.is(MessageType::trigger))) {
    return sent(send_sync(s, make_header(MessageType::error, error::authentication_failed),
                          text_bytes("this server requires authentication (GetSaslMechanismList, AuthenticationStart) "
                                     "before " + message_type_name(h.type))));
  }
  return 0;
}

int Server::sasl_async(Session& s, const Message& m) {
  const Header& h = m.header;
  if (!must_authenticate()) return 0;
  {
    std::lock_guard lock(mutex_);
    if (s.authenticated) return 0;
  }
  if (!h.is(MessageType::async_lock) && !h.is(MessageType::async_lock_info) && !h.is(MessageType::async_status_query) &&
      !h.is(MessageType::async_remote_local_control) && !h.is(MessageType::async_device_clear))
    return 0;
  return send_async(s, make_header(MessageType::error, error::authentication_failed),
                    text_bytes("this server requires authentication (GetSaslMechanismList, AuthenticationStart) "
                               "before " + message_type_name(h.type))) == status::SUCCESS
             ? 1
             : -1;
}

bool Server::handle_get_descriptors(Session& s, bool async) {
  // IVI-6.1 2.0 defines only TLS descriptors besides vendor ones: without the secure-connection
  // capability the list is empty; with it, the TLS versions served (1.2 and 1.3, OpenSSL's).
  std::vector<Descriptor> descriptors;
  if (tls_)
    descriptors.push_back({descriptor::tls_versions, {std::byte{3}, std::byte{3}, std::byte{3}, std::byte{4}}});
  auto payload = encode_descriptors(descriptors);
  Header h = make_header(MessageType::get_descriptors_response);
  return (async ? send_async(s, h, payload) : send_sync(s, h, payload)) == status::SUCCESS;
}

bool Server::handle_status_query(Session& s, const Message& m) {
  const Header& h = m.header;
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
  // Under another client's lock the query completes normally (§6.5) without polling the
  // device, which belongs to the lock holder: only MAV is reported.
  if (s.served->may_access(s.client)) {
    auto deadline = ms_deadline(options_.device_timeout_ms);
    status_t st = unless_aborted_by_another(s, deadline, [&] { return s.served->read_stb(s.client, stb, deadline); });
    if (st < 0) return send_device_error(s, true, "status byte", st) == status::SUCCESS;
  }
  // The device's output queue lives in this server now: MAV is what the client has not read.
  stb = static_cast<std::uint8_t>((stb & ~mav_bit) | (mav ? mav_bit : 0));
  return send_async(s, make_header(MessageType::async_status_response, stb)) == status::SUCCESS;
}

bool Server::handle_remote_local(Session& s, const Message& m) {
  std::uint8_t code = m.header.control;
  if (!s.served->may_access(s.client)) {
    // §6.5 (IVI-6.1): under another client's lock remote/local is acknowledged and
    // applied after the release (here: before this client's next message reaches the device).
    {
      std::lock_guard lock(mutex_);
      s.deferred_remote_local = code;
    }
    return send_async(s, make_header(MessageType::async_remote_local_response)) == status::SUCCESS;
  }
  auto deadline = ms_deadline(options_.device_timeout_ms);
  status_t st = unless_aborted_by_another(s, deadline, [&] {
    return is_remote_request(code) ? s.served->remote(s.client, deadline) : s.served->local(s.client, deadline);
  });
  if (st < 0) return send_device_error(s, true, "remote/local control failed", st) == status::SUCCESS;
  return send_async(s, make_header(MessageType::async_remote_local_response)) == status::SUCCESS;
}

void Server::handle_lock(Session& s, const Message& m) {
  const Header& h = m.header;
  std::uint8_t result = lock::error;
  if (h.control == lock::release) {
    // The device's lock (shared with every protocol): exclusive first, then shared.
    status_t st = s.served->unlock(s.client);
    result = st == status::SUCCESS ? lock::success : st == status::SUCCESS_NESTED_SHARED ? lock::success_shared : lock::error;
  } else {
    std::string key(m.text());
    auto type = key.empty() ? server::LockType::exclusive : server::LockType::shared;
    auto deadline = core::Deadline::after_ms(h.parameter);
    // A pending lock request still completes after an abort aimed at another call of the
    // session (§6.12 step 3) unless the session ends.
    status_t st = unless_aborted_by_another(s, deadline, [&] { return s.served->lock(s.client, type, key, deadline); });
    if (st == status::SUCCESS)
      result = lock::success;
    else if (st == status::ERROR_RSRC_LOCKED || st == status::ERROR_TMO || st == status::ERROR_ABORT)
      result = lock::fail;
    else
      result = lock::error;  // a redundant request (SUCCESS_NESTED_*), or refused
  }
  send_async(s, make_header(MessageType::async_lock_response, result));
}

// ---- service requests ----

void Server::service_requested(Device* device) {
  // A device thread, perhaps inside a device hook: only the queue's own lock is taken.
  {
    std::lock_guard lock(srq_mutex_);
    if (srq_stop_) return;
    if (std::find(srq_queue_.begin(), srq_queue_.end(), device) != srq_queue_.end()) return;  // already queued
    srq_queue_.push_back(device);
  }
  srq_wake_.notify_one();
}

void Server::srq_loop() {
  std::unique_lock srq_lock(srq_mutex_);
  for (;;) {
    srq_wake_.wait(srq_lock, [&] { return srq_stop_ || !srq_queue_.empty(); });
    if (srq_stop_) return;
    Device* device = srq_queue_.front();
    srq_queue_.pop_front();
    srq_lock.unlock();
    std::vector<std::shared_ptr<Session>> targets;
    {
      std::lock_guard lock(mutex_);
      for (auto& [id, s] : sessions_)
        if (s->device == device && s->async_ready && !s->closing) targets.push_back(s);
    }
    // The status byte goes in the control code; the client still polls (AsyncStatusQuery) to
    // read and clear it, so only RQS is reported here (a serial poll would clear it).
    for (auto& s : targets) send_async(*s, make_header(MessageType::async_service_request, rqs_bit));
    targets.clear();
    srq_lock.lock();
  }
}

}  // namespace cppvisa::hislip
