#include "protocols/vxi11/vxi11_server.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <chrono>
#include <climits>
#include <limits>
#include <optional>
#include <utility>

namespace cppvisa::vxi11 {

using oncrpc::CallContext;
using oncrpc::ProcResult;
using oncrpc::XdrReader;
using oncrpc::XdrWriter;

struct Vxi11Server::Device {
  std::string name;
  std::shared_ptr<server::ServedDevice> device;
  std::size_t listener = 0;  // service-request listener id while serving (0: none)
};

struct Vxi11Server::Link {
  std::int32_t lid = 0;
  Device* device = nullptr;
  std::uint64_t connection = 0;
  std::optional<net::IpAddress> address;  // the client's (for the per-address limit)
  server::ClientId client = 0;  // this link as a client of the device
  bool ready = false;           // create_link finished (guarded by mutex_)
  bool in_progress = false;     // an abortable call runs (guarded by mutex_)
  bool aborted = false;         // device_abort arrived during that call (guarded by mutex_)
  bool srq_enabled = false;     // guarded by mutex_
  std::vector<std::byte> srq_handle;
};

struct Vxi11Server::IntrChannel {
  std::mutex send_mutex;
  oncrpc::RpcClient client{4096};
};

namespace {

std::string normalize_device_name(std::string_view name) {
  std::string out;
  for (char c : name)
    if (!std::isspace(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

core::Deadline timeout_deadline(std::uint32_t ms) {
  return ms == 0xFFFFFFFFu ? core::Deadline::never() : core::Deadline::after_ms(ms);
}

constexpr std::uint32_t intr_send_timeout_ms = 1000;
constexpr std::uint32_t intr_connect_timeout_ms = 2000;

}  // namespace

Vxi11Server::Vxi11Server() : Vxi11Server(Options{}) {}

namespace {
oncrpc::RpcServer::Options channel_options(const Vxi11Server::Options& o, std::size_t max_record_size) {
  auto rpc = oncrpc::RpcServer::Options::bounded(max_record_size, o.max_connections);
  rpc.max_per_address = o.max_per_address;
  rpc.allow = o.allow;
  rpc.idle_timeout_ms = o.idle_timeout_ms;
  return rpc;
}
}  // namespace

Vxi11Server::Vxi11Server(Options options)
    : options_(std::move(options)),
      core_(channel_options(options_, std::max<std::size_t>(options_.max_recv_size, 1024) + 65536)),
      abort_(channel_options(options_, 4096)) {
  options_.max_recv_size = std::max<std::uint32_t>(options_.max_recv_size, 1024);  // VXI-11 B.6.3: at least 1024
  options_.max_read_size = std::max<std::uint32_t>(options_.max_read_size, 1);
  core_.add_program(core_program, program_version, program_version,
                    [this](const CallContext& c, XdrReader& a, XdrWriter& r) { return core_dispatch(c, a, r); });
  core_.on_disconnect([this](std::uint64_t id) { connection_closed(id); });
  abort_.add_program(async_program, program_version, program_version,
                     [this](const CallContext& c, XdrReader& a, XdrWriter& r) { return abort_dispatch(c, a, r); });
}

Vxi11Server::~Vxi11Server() { stop(); }

void Vxi11Server::add_device(std::string name, std::shared_ptr<server::ServedDevice> device) {
  auto d = std::make_unique<Device>();
  d->name = normalize_device_name(name);
  d->device = std::move(device);
  std::lock_guard lock(mutex_);
  devices_[d->name] = std::move(d);
}

status_t Vxi11Server::start() {
  status_t st = core_.listen_tcp(options_.host, options_.core_port);
  if (st != status::SUCCESS) return st;
  st = abort_.listen_tcp(options_.host, options_.abort_port);
  if (st != status::SUCCESS) return st;
  std::vector<Device*> devices;
  {
    std::lock_guard lock(mutex_);
    running_ = true;
    for (auto& [name, d] : devices_) devices.push_back(d.get());
  }
  for (Device* d : devices) {
    // The listener only queues (devices call it from their own threads and it must not block).
    d->listener = d->device->add_service_request_listener([queue = srq_, d] {
      std::lock_guard lock(queue->mutex);
      if (queue->stopping || queue->devices.size() >= 64) return;  // bounded: a storm coalesces
      queue->devices.push_back(d);
      queue->wake.notify_one();
    });
  }
  srq_thread_ = std::thread([this] { srq_loop(); });
  core_.start();
  abort_.start();
  return status::SUCCESS;
}

void Vxi11Server::abort_calls_in_progress() {
  // ServedDevice::abort() ends a call or wait the client is in; one that arrives just before the
  // link's call reaches the device finds nothing to end, so this repeats until no call is left
  // (new calls are refused once stopping_ is set). Bounded: a device that ignores its aborts
  // still ends each call at its own deadline.
  for (int round = 0; round < 100; ++round) {
    std::vector<std::pair<std::shared_ptr<server::ServedDevice>, server::ClientId>> busy;
    {
      std::lock_guard lock(mutex_);
      for (auto& [lid, link] : links_)
        if (link->in_progress) busy.emplace_back(link->device->device, link->client);
    }
    if (busy.empty()) return;
    for (auto& [device, client] : busy) device->abort(client);
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::milliseconds(50), [&] {
      return std::none_of(links_.begin(), links_.end(), [](auto& l) { return l.second->in_progress; });
    });
  }
}

void Vxi11Server::stop() {
  std::vector<Device*> devices;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    if (running_)
      for (auto& [name, d] : devices_) devices.push_back(d.get());
  }
  abort_calls_in_progress();
  {
    std::lock_guard lock(srq_->mutex);
    srq_->stopping = true;
  }
  srq_->wake.notify_all();
  if (portmapper_) portmapper_->unset(core_program, program_version);
  abort_.stop();
  core_.stop();  // each connection's end closes its links (connection_closed)
  if (srq_thread_.joinable()) srq_thread_.join();
  for (Device* d : devices)
    if (d->listener) d->device->remove_service_request_listener(std::exchange(d->listener, 0));
  std::map<std::int32_t, std::shared_ptr<Link>> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(links_);
    intr_channels_.clear();
  }
  for (auto& [lid, link] : left) link->device->device->close_client(link->client);
}

void Vxi11Server::register_with(oncrpc::PortmapperServer& portmapper) {
  portmapper_ = &portmapper;
  portmapper.unset(core_program, program_version);
  portmapper.set(oncrpc::Mapping{core_program, program_version, oncrpc::pmap::ipproto_tcp, core_port()});
}

std::size_t Vxi11Server::link_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(links_.begin(), links_.end(), [](auto& l) { return l.second->ready; }));
}

// ---- dispatch ----

ProcResult Vxi11Server::core_dispatch(const CallContext& call, XdrReader& args, XdrWriter& results) {
  switch (call.header.proc) {
    case proc::create_link: {
      CreateLinkParms p;
      if (!decode(args, p)) return ProcResult::garbage_args;
      CreateLinkResp r;
      r.error = create_link(call, p, r.lid);
      r.abort_port = abort_port();
      r.max_recv_size = options_.max_recv_size;
      encode(results, r);
      return ProcResult::reply;
    }
    case proc::device_write: {
      DeviceWriteParms p;
      // Decode with a generous bound so that an oversize write gets error 5, as the spec asks.
      if (!decode(args, p, std::numeric_limits<std::uint32_t>::max())) return ProcResult::garbage_args;
      DeviceWriteResp r;
      r.error = device_write(p, r.size);
      encode(results, r);
      return ProcResult::reply;
    }
    case proc::device_read: {
      DeviceReadParms p;
      if (!decode(args, p)) return ProcResult::garbage_args;
      device_read(p, results);
      return ProcResult::reply;
    }
    case proc::device_readstb: {
      DeviceGenericParms p;
      if (!decode(args, p)) return ProcResult::garbage_args;
      DeviceReadStbResp r;
      r.error = device_generic(call.header.proc, p, &r.stb);
      encode(results, r);
      return ProcResult::reply;
    }
    case proc::device_trigger:
    case proc::device_clear:
    case proc::device_remote:
    case proc::device_local: {
      DeviceGenericParms p;
      if (!decode(args, p)) return ProcResult::garbage_args;
      results.put_i32(device_generic(call.header.proc, p, nullptr));
      return ProcResult::reply;
    }
    case proc::device_lock: {
      DeviceLockParms p;
      if (!decode(args, p)) return ProcResult::garbage_args;
      results.put_i32(device_lock(p));
      return ProcResult::reply;
    }
    case proc::device_unlock:
    case proc::destroy_link: {
      std::int32_t lid = args.get_i32();
      if (!args.done()) return ProcResult::garbage_args;
      results.put_i32(call.header.proc == proc::device_unlock ? device_unlock(lid) : destroy_link(lid));
      return ProcResult::reply;
    }
    case proc::device_enable_srq: {
      DeviceEnableSrqParms p;
      if (!decode(args, p)) return ProcResult::garbage_args;
      results.put_i32(enable_srq(p));
      return ProcResult::reply;
    }
    case proc::device_docmd: {
      DeviceDocmdParms p;
      if (!decode(args, p, options_.max_recv_size)) return ProcResult::garbage_args;
      std::lock_guard lock(mutex_);
      results.put_i32(find_link(p.lid) ? err::not_supported : err::invalid_link);
      results.put_opaque({});
      return ProcResult::reply;
    }
    case proc::create_intr_chan: {
      DeviceRemoteFunc f;
      if (!decode(args, f)) return ProcResult::garbage_args;
      results.put_i32(create_intr_chan(call, f));
      return ProcResult::reply;
    }
    case proc::destroy_intr_chan:
      if (!args.done()) return ProcResult::garbage_args;
      results.put_i32(destroy_intr_chan(call.connection_id));
      return ProcResult::reply;
    default:
      return ProcResult::proc_unavail;
  }
}

ProcResult Vxi11Server::abort_dispatch(const CallContext& call, XdrReader& args, XdrWriter& results) {
  if (call.header.proc != proc::device_abort) return ProcResult::proc_unavail;
  std::int32_t lid = args.get_i32();
  if (!args.done()) return ProcResult::garbage_args;
  results.put_i32(device_abort(lid));
  return ProcResult::reply;
}


// ---- links ----

std::shared_ptr<Vxi11Server::Link> Vxi11Server::find_link(std::int32_t lid) const {
  auto it = links_.find(lid);
  if (it == links_.end() || !it->second->ready) return nullptr;
  return it->second;
}

std::int32_t Vxi11Server::create_link(const CallContext& call, const CreateLinkParms& p, std::int32_t& lid) {
  lid = 0;
  std::shared_ptr<Link> link;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return err::out_of_resources;
    auto it = devices_.find(normalize_device_name(p.device));
    if (it == devices_.end()) return err::not_accessible;
    if (links_.size() >= options_.max_links) return err::out_of_resources;
    auto on_connection = std::count_if(links_.begin(), links_.end(),
                                       [&](auto& l) { return l.second->connection == call.connection_id; });
    if (static_cast<std::size_t>(on_connection) >= options_.max_links_per_connection) return err::out_of_resources;
    auto address = net::IpAddress::parse(net::strip_brackets(call.peer.host));
    auto from_address =
        std::count_if(links_.begin(), links_.end(), [&](auto& l) { return l.second->address == address; });
    if (static_cast<std::size_t>(from_address) >= options_.max_links_per_address) return err::out_of_resources;
    while (links_.count(next_lid_)) next_lid_ = next_lid_ == INT32_MAX ? 1 : next_lid_ + 1;
    link = std::make_shared<Link>();
    link->lid = next_lid_;
    next_lid_ = next_lid_ == INT32_MAX ? 1 : next_lid_ + 1;
    link->device = it->second.get();
    link->connection = call.connection_id;
    link->address = address;
    link->client = server::new_client_id();
    link->ready = !p.lock_device;
    link->in_progress = p.lock_device;  // the lock wait ends at stop()
    links_[link->lid] = link;           // counts against the limits while it waits for the lock
  }
  if (p.lock_device) {
    // Wait for the device's lock up to lock_timeout; no link is created when it cannot be had.
    status_t st = link->device->device->lock(link->client, server::LockType::exclusive, {},
                                             timeout_deadline(p.lock_timeout));
    bool failed = false;
    {
      std::lock_guard lock(mutex_);
      link->in_progress = false;
      failed = st < 0 || stopping_;
      if (failed)
        links_.erase(link->lid);
      else
        link->ready = true;
    }
    changed_.notify_all();
    if (failed) {
      link->device->device->close_client(link->client);  // releases a lock granted as stop() began
      return err::locked;
    }
  }
  lid = link->lid;
  return err::none;
}

std::int32_t Vxi11Server::destroy_link(std::int32_t lid) {
  std::shared_ptr<Link> link;
  {
    std::lock_guard lock(mutex_);
    link = find_link(lid);
    if (!link) return err::invalid_link;
    links_.erase(lid);
  }
  // Releases the link's lock, ends a call of it still in progress (from another connection using
  // its lid) and discards its unread output before the device's next client.
  link->device->device->close_client(link->client);
  return err::none;
}

void Vxi11Server::connection_closed(std::uint64_t connection_id) {
  std::shared_ptr<IntrChannel> channel;
  std::vector<std::shared_ptr<Link>> gone;
  {
    std::lock_guard lock(mutex_);
    for (auto it = links_.begin(); it != links_.end();) {
      if (it->second->connection == connection_id) {
        gone.push_back(it->second);
        it = links_.erase(it);
      } else {
        ++it;
      }
    }
    auto ch = intr_channels_.find(connection_id);
    if (ch != intr_channels_.end()) {
      channel = ch->second;
      intr_channels_.erase(ch);
    }
  }
  // Locks die with the connection (VXI-11 B.6.9), and so does its unread output.
  for (auto& link : gone) link->device->device->close_client(link->client);
  if (channel) {
    std::lock_guard send(channel->send_mutex);
    channel->client.close();
  }
}

std::int32_t Vxi11Server::begin_operation(std::int32_t lid, std::int32_t flags, std::uint32_t lock_timeout,
                                          std::shared_ptr<Link>& link) {
  {
    std::lock_guard lock(mutex_);
    link = find_link(lid);
    if (!link) return err::invalid_link;
    if (stopping_) return err::abort;
    link->aborted = false;
    link->in_progress = true;
  }
  auto& device = *link->device->device;
  if (!device.may_access(link->client)) {
    // Another client of the device (this server's, or another protocol's) holds a lock.
    if (!(flags & flag::waitlock)) {
      end_operation(*link);
      return err::locked;
    }
    status_t st = device.wait_access(link->client, timeout_deadline(lock_timeout));
    if (st < 0) {
      end_operation(*link);
      return status_to_error(st);  // RSRC_LOCKED: 11, ABORT: 23
    }
  }
  if (abort_requested(*link)) {
    end_operation(*link);
    return err::abort;
  }
  return err::none;
}

bool Vxi11Server::abort_requested(const Link& link) const {
  std::lock_guard lock(mutex_);
  return link.aborted || stopping_;
}

void Vxi11Server::end_operation(Link& link) {
  {
    std::lock_guard lock(mutex_);
    link.in_progress = false;
  }
  changed_.notify_all();
}

std::int32_t Vxi11Server::device_write(const DeviceWriteParms& p, std::uint32_t& size) {
  size = 0;
  std::shared_ptr<Link> link;
  std::int32_t e = begin_operation(p.lid, p.flags, p.lock_timeout, link);
  if (e != err::none) return e;
  if (p.data.size() > options_.max_recv_size) {  // VXI-11 B.6.12: nothing is transferred
    end_operation(*link);
    return err::parameter;
  }
  std::size_t count = 0;
  status_t st = status::SUCCESS;
  if (!p.data.empty() || (p.flags & flag::end))
    st = link->device->device->write(link->client, p.data, (p.flags & flag::end) != 0, count,
                                     timeout_deadline(p.io_timeout));
  size = static_cast<std::uint32_t>(std::min<std::size_t>(count, p.data.size()));
  end_operation(*link);
  return status_to_error(st);
}

void Vxi11Server::device_read(const DeviceReadParms& p, XdrWriter& results) {
  // Device_ReadResp: error, reason, data<>. The device reads straight into the reply's trailing
  // opaque: with the connection's store (RpcServer) the data are neither zero-filled before the
  // read nor copied after it (the reply leaves gathered: header, data, padding).
  const std::size_t start = results.size();
  results.put_i32(err::none);  // error and reason: written once the read is over
  results.put_i32(0);
  auto reply = [&](std::int32_t error, std::int32_t reasons) {
    results.put_u32_at(start, static_cast<std::uint32_t>(error));
    results.put_u32_at(start + 4, static_cast<std::uint32_t>(reasons));
  };
  std::shared_ptr<Link> link;
  std::int32_t e = begin_operation(p.lid, p.flags, p.lock_timeout, link);
  if (e != err::none) {
    results.put_opaque({});
    return reply(e, 0);
  }
  if (p.request_size == 0) {  // REQCNT is "also the condition used if requestSize = 0" (VXI-11)
    end_operation(*link);
    results.put_opaque({});
    return reply(err::none, reason::reqcnt);
  }
  std::size_t capacity = std::min<std::size_t>(p.request_size, options_.max_read_size);
  std::span<std::byte> buffer = results.begin_trailing_opaque(capacity);
  std::optional<std::byte> termchar;
  if (p.flags & flag::termchrset) termchar = std::byte{p.term_char};
  server::ReadResult r;
  status_t st = link->device->device->read(link->client, buffer, termchar, r, timeout_deadline(p.io_timeout));
  end_operation(*link);
  r.count = std::min(r.count, capacity);
  results.end_trailing_opaque(r.count);
  std::int32_t reasons = 0;
  if (st >= 0) {
    if (r.count == p.request_size) reasons |= reason::reqcnt;
    if (r.termchar && termchar) reasons |= reason::chr;
    if (r.end) reasons |= reason::end;
  }
  reply(status_to_error(st), reasons);
}

std::int32_t Vxi11Server::device_generic(std::uint32_t procedure, const DeviceGenericParms& p, std::uint8_t* stb) {
  std::shared_ptr<Link> link;
  std::int32_t e = begin_operation(p.lid, p.flags, p.lock_timeout, link);
  if (e != err::none) return e;
  auto& device = *link->device->device;
  const server::ClientId client = link->client;
  auto deadline = timeout_deadline(p.io_timeout);
  status_t st = status::ERROR_NSUP_OPER;
  switch (procedure) {
    case proc::device_readstb: st = device.read_stb(client, *stb, deadline); break;
    case proc::device_trigger: st = device.trigger(client, deadline); break;
    case proc::device_clear: st = device.clear(client, deadline); break;
    case proc::device_remote: st = device.remote(client, deadline); break;
    case proc::device_local: st = device.local(client, deadline); break;
    default: break;
  }
  end_operation(*link);
  return status_to_error(st);
}

std::int32_t Vxi11Server::device_lock(const DeviceLockParms& p) {
  std::shared_ptr<Link> link;
  {
    std::lock_guard lock(mutex_);
    link = find_link(p.lid);
    if (!link) return err::invalid_link;
    if (stopping_) return err::abort;
    link->aborted = false;
    link->in_progress = true;  // device_lock is abortable (error 23)
  }
  auto& device = *link->device->device;
  // Without waitlock the lock is tried once (a deadline already due).
  auto deadline = (p.flags & flag::waitlock) ? timeout_deadline(p.lock_timeout) : core::Deadline::after_ms(0);
  status_t st = abort_requested(*link) ? status::ERROR_ABORT
                                       : device.lock(link->client, server::LockType::exclusive, {}, deadline);
  end_operation(*link);
  // "This link already has the lock" is error 11 as well (B.6.9); the device says NESTED.
  if (st == status::SUCCESS_NESTED_EXCLUSIVE || st == status::SUCCESS_NESTED_SHARED) return err::locked;
  return status_to_error(st);  // SUCCESS: 0, RSRC_LOCKED: 11, ABORT: 23
}

std::int32_t Vxi11Server::device_unlock(std::int32_t lid) {
  std::shared_ptr<Link> link;
  {
    std::lock_guard lock(mutex_);
    link = find_link(lid);
    if (!link) return err::invalid_link;
  }
  auto& device = *link->device->device;
  if (!device.holds_lock(link->client, server::LockType::exclusive)) return err::no_lock;
  return device.unlock(link->client) == status::SUCCESS ? err::none : err::no_lock;
}

std::int32_t Vxi11Server::device_abort(std::int32_t lid) {
  std::shared_ptr<Link> link;
  {
    std::lock_guard lock(mutex_);
    link = find_link(lid);
    if (!link) return err::invalid_link;
    if (!link->in_progress) return err::none;  // only in-progress calls are aborted (B.6.x device_abort)
    link->aborted = true;
  }
  link->device->device->abort(link->client);
  return err::none;
}

// ---- service requests ----

std::int32_t Vxi11Server::enable_srq(const DeviceEnableSrqParms& p) {
  std::lock_guard lock(mutex_);
  auto link = find_link(p.lid);
  if (!link) return err::invalid_link;
  link->srq_enabled = p.enable;
  link->srq_handle.assign(p.handle.begin(), p.handle.end());
  return err::none;
}

std::int32_t Vxi11Server::create_intr_chan(const CallContext& call, const DeviceRemoteFunc& f) {
  {
    std::lock_guard lock(mutex_);
    if (intr_channels_.count(call.connection_id)) return err::channel_established;
  }
  if (f.prog_family != family_tcp) return err::not_supported;
  if (f.prog_num != intr_program || f.prog_vers != program_version || f.host_port == 0 || f.host_port > 65535)
    return err::parameter;
  in_addr addr{};
  addr.s_addr = htonl(f.host_addr);
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &addr, text, sizeof text);
  // Only back to the caller: a server that connects wherever a client says scans ports for it.
  // (hostAddr is an IPv4 u32, VXI-11 B.6.1: an IPv6 client cannot have an interrupt channel.)
  auto peer = net::IpAddress::parse(net::strip_brackets(call.peer.host));
  if (!peer || peer != net::IpAddress::parse(text)) return err::parameter;
  auto channel = std::make_shared<IntrChannel>();
  if (channel->client.connect(text, static_cast<std::uint16_t>(f.host_port),
                              core::Deadline::after_ms(intr_connect_timeout_ms)) != status::SUCCESS)
    return err::no_channel;
  std::lock_guard lock(mutex_);
  if (intr_channels_.count(call.connection_id)) return err::channel_established;
  intr_channels_[call.connection_id] = std::move(channel);
  return err::none;
}

std::int32_t Vxi11Server::destroy_intr_chan(std::uint64_t connection_id) {
  std::shared_ptr<IntrChannel> channel;
  {
    std::lock_guard lock(mutex_);
    auto it = intr_channels_.find(connection_id);
    if (it == intr_channels_.end()) return err::no_channel;
    channel = it->second;
    intr_channels_.erase(it);
  }
  std::lock_guard send(channel->send_mutex);
  channel->client.close();
  return err::none;
}

void Vxi11Server::srq_loop() {
  for (;;) {
    std::vector<std::pair<std::shared_ptr<IntrChannel>, std::vector<std::byte>>> targets;
    const Device* device = nullptr;
    {
      std::unique_lock lock(srq_->mutex);
      srq_->wake.wait(lock, [&] { return srq_->stopping || !srq_->devices.empty(); });
      if (srq_->stopping) return;
      device = srq_->devices.front();
      srq_->devices.pop_front();
    }
    {
      std::lock_guard lock(mutex_);
      for (auto& [lid, link] : links_) {
        if (link->device != device || !link->ready || !link->srq_enabled) continue;
        auto ch = intr_channels_.find(link->connection);
        if (ch != intr_channels_.end()) targets.emplace_back(ch->second, link->srq_handle);
      }
    }
    for (auto& [channel, handle] : targets) {
      std::lock_guard send(channel->send_mutex);
      if (!channel->client.connected()) continue;
      // device_intr_srq is one-way: the client sends no reply and we must not wait for one.
      channel->client.begin_call(intr_program, program_version, proc::device_intr_srq).put_opaque(handle);
      channel->client.send_oneway(core::Deadline::after_ms(intr_send_timeout_ms));
    }
  }
}

}  // namespace cppvisa::vxi11
