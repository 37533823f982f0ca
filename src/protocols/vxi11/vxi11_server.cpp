#include "protocols/vxi11/vxi11_server.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <limits>

namespace cppvisa::vxi11 {

using oncrpc::CallContext;
using oncrpc::ProcResult;
using oncrpc::XdrReader;
using oncrpc::XdrWriter;

struct Vxi11Server::Device {
  std::string name;
  std::shared_ptr<server::ServedDevice> device;
  std::optional<std::int32_t> lock_owner;  // lid holding the VXI-11 lock (guarded by mutex_)
};

struct Vxi11Server::Link {
  std::int32_t lid = 0;
  Device* device = nullptr;
  std::uint64_t connection = 0;
  bool in_progress = false;  // guarded by mutex_
  bool aborted = false;      // guarded by mutex_
  bool srq_enabled = false;  // guarded by mutex_
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

Vxi11Server::Vxi11Server(Options options)
    : options_(std::move(options)),
      core_(oncrpc::RpcServer::Options::bounded(std::max<std::size_t>(options_.max_recv_size, 1024) + 65536,
                                                options_.max_connections)),
      abort_(oncrpc::RpcServer::Options::bounded(4096, options_.max_connections)) {
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
    // The handler only queues (devices call it from their own threads and it must not block).
    d->device->set_service_request_handler([queue = srq_, d] {
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

void Vxi11Server::stop() {
  std::vector<std::shared_ptr<server::ServedDevice>> busy, all;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [lid, link] : links_)
      if (link->in_progress) busy.push_back(link->device->device);
    if (running_)
      for (auto& [name, d] : devices_) all.push_back(d->device);
  }
  // Devices are called without mutex_: their SRQ handlers run under their own locks.
  changed_.notify_all();
  for (auto& d : busy) d->abort();
  {
    std::lock_guard lock(srq_->mutex);
    srq_->stopping = true;
  }
  srq_->wake.notify_all();
  if (portmapper_) portmapper_->unset(core_program, program_version);
  abort_.stop();
  core_.stop();
  if (srq_thread_.joinable()) srq_thread_.join();
  for (auto& d : all) d->set_service_request_handler({});
  std::lock_guard lock(mutex_);
  links_.clear();
  intr_channels_.clear();
}

void Vxi11Server::register_with(oncrpc::PortmapperServer& portmapper) {
  portmapper_ = &portmapper;
  portmapper.unset(core_program, program_version);
  portmapper.set(oncrpc::Mapping{core_program, program_version, oncrpc::pmap::ipproto_tcp, core_port()});
}

std::size_t Vxi11Server::link_count() const {
  std::lock_guard lock(mutex_);
  return links_.size();
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
      results.put_i32(links_.count(p.lid) ? err::not_supported : err::invalid_link);
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

std::int32_t Vxi11Server::create_link(const CallContext& call, const CreateLinkParms& p, std::int32_t& lid) {
  lid = 0;
  std::unique_lock lock(mutex_);
  auto it = devices_.find(normalize_device_name(p.device));
  if (it == devices_.end()) return err::not_accessible;
  if (links_.size() >= options_.max_links) return err::out_of_resources;
  Device* device = it->second.get();
  while (links_.count(next_lid_)) ++next_lid_;
  auto link = std::make_shared<Link>();
  link->lid = next_lid_++;
  link->device = device;
  link->connection = call.connection_id;
  if (p.lock_device) {
    // Wait for the lock up to lock_timeout; no link is created when it cannot be had.
    auto deadline = timeout_deadline(p.lock_timeout);
    bool got = changed_.wait_until(lock, deadline.when(), [&] { return stopping_ || !device->lock_owner; });
    if (!got || stopping_) return err::locked;
    device->lock_owner = link->lid;
  }
  links_[link->lid] = link;
  lid = link->lid;
  return err::none;
}

std::int32_t Vxi11Server::destroy_link(std::int32_t lid) {
  std::lock_guard lock(mutex_);
  auto it = links_.find(lid);
  if (it == links_.end()) return err::invalid_link;
  Device* device = it->second->device;
  if (device->lock_owner == lid) device->lock_owner.reset();
  links_.erase(it);
  changed_.notify_all();
  return err::none;
}

void Vxi11Server::connection_closed(std::uint64_t connection_id) {
  std::shared_ptr<IntrChannel> channel;
  {
    std::lock_guard lock(mutex_);
    for (auto it = links_.begin(); it != links_.end();) {
      if (it->second->connection == connection_id) {
        Device* device = it->second->device;
        if (device->lock_owner == it->first) device->lock_owner.reset();  // locks die with the connection
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
  changed_.notify_all();
  if (channel) {
    std::lock_guard send(channel->send_mutex);
    channel->client.close();
  }
}

std::int32_t Vxi11Server::begin_operation(std::int32_t lid, std::int32_t flags, std::uint32_t lock_timeout,
                                          std::shared_ptr<Link>& link) {
  std::unique_lock lock(mutex_);
  auto it = links_.find(lid);
  if (it == links_.end()) return err::invalid_link;
  link = it->second;
  Device* device = link->device;
  link->aborted = false;
  link->in_progress = true;
  auto accessible = [&] { return !device->lock_owner || *device->lock_owner == lid; };
  if (!accessible()) {
    if (!(flags & flag::waitlock)) {
      link->in_progress = false;
      return err::locked;
    }
    auto deadline = timeout_deadline(lock_timeout);
    bool ok = changed_.wait_until(lock, deadline.when(), [&] { return stopping_ || link->aborted || accessible(); });
    if (stopping_ || link->aborted || !ok) {
      std::int32_t e = link->aborted ? err::abort : err::locked;
      link->in_progress = false;
      return e;
    }
  }
  return err::none;
}

void Vxi11Server::end_operation(Link& link) {
  std::lock_guard lock(mutex_);
  link.in_progress = false;
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
    st = link->device->device->write(p.data, (p.flags & flag::end) != 0, count, timeout_deadline(p.io_timeout));
  size = static_cast<std::uint32_t>(count);
  end_operation(*link);
  return status_to_error(st);
}

void Vxi11Server::device_read(const DeviceReadParms& p, XdrWriter& results) {
  auto& out = results.bytes();
  const std::size_t start = out.size();
  auto reply = [&](std::int32_t error, std::int32_t reason, std::size_t count) {
    // Layout: error, reason, data length, data, padding. The data were read in place.
    out.resize(start + 12 + count);
    out.insert(out.end(), (4 - (count & 3)) & 3, std::byte{0});
    std::vector<std::byte> head;
    XdrWriter w(head);
    w.put_i32(error);
    w.put_i32(reason);
    w.put_u32(static_cast<std::uint32_t>(count));
    std::copy(head.begin(), head.end(), out.begin() + static_cast<std::ptrdiff_t>(start));
  };
  std::shared_ptr<Link> link;
  std::int32_t e = begin_operation(p.lid, p.flags, p.lock_timeout, link);
  if (e != err::none) return reply(e, 0, 0);
  if (p.request_size == 0) {  // REQCNT is "also the condition used if requestSize = 0" (protocols.md §2.4)
    end_operation(*link);
    return reply(err::none, reason::reqcnt, 0);
  }
  std::size_t capacity = std::min<std::size_t>(p.request_size, options_.max_read_size);
  out.resize(start + 12 + capacity);
  std::span<std::byte> buffer(out.data() + start + 12, capacity);
  std::optional<std::byte> termchar;
  if (p.flags & flag::termchrset) termchar = std::byte{p.term_char};
  server::ReadResult r;
  status_t st = link->device->device->read(buffer, termchar, r, timeout_deadline(p.io_timeout));
  end_operation(*link);
  r.count = std::min(r.count, capacity);
  std::int32_t reasons = 0;
  if (st >= 0) {
    if (r.count == p.request_size) reasons |= reason::reqcnt;
    if (r.termchar && termchar) reasons |= reason::chr;
    if (r.end) reasons |= reason::end;
  }
  reply(status_to_error(st), reasons, r.count);
}

std::int32_t Vxi11Server::device_generic(std::uint32_t procedure, const DeviceGenericParms& p, std::uint8_t* stb) {
  std::shared_ptr<Link> link;
  std::int32_t e = begin_operation(p.lid, p.flags, p.lock_timeout, link);
  if (e != err::none) return e;
  auto& device = *link->device->device;
  auto deadline = timeout_deadline(p.io_timeout);
  status_t st = status::ERROR_NSUP_OPER;
  switch (procedure) {
    case proc::device_readstb: st = device.read_stb(*stb, deadline); break;
    case proc::device_trigger: st = device.trigger(deadline); break;
    case proc::device_clear: st = device.clear(deadline); break;
    case proc::device_remote: st = device.remote(deadline); break;
    case proc::device_local: st = device.local(deadline); break;
    default: break;
  }
  end_operation(*link);
  return status_to_error(st);
}

std::int32_t Vxi11Server::device_lock(const DeviceLockParms& p) {
  std::unique_lock lock(mutex_);
  auto it = links_.find(p.lid);
  if (it == links_.end()) return err::invalid_link;
  auto link = it->second;
  Device* device = link->device;
  if (device->lock_owner == p.lid) return err::locked;  // "this link already has the lock" is error 11 too
  if (device->lock_owner) {
    if (!(p.flags & flag::waitlock)) return err::locked;
    link->aborted = false;
    link->in_progress = true;
    auto deadline = timeout_deadline(p.lock_timeout);
    bool ok = changed_.wait_until(lock, deadline.when(),
                                  [&] { return stopping_ || link->aborted || !device->lock_owner; });
    link->in_progress = false;
    if (link->aborted) return err::abort;
    if (!ok || stopping_ || !links_.count(p.lid)) return err::locked;
  }
  device->lock_owner = p.lid;
  return err::none;
}

std::int32_t Vxi11Server::device_unlock(std::int32_t lid) {
  std::lock_guard lock(mutex_);
  auto it = links_.find(lid);
  if (it == links_.end()) return err::invalid_link;
  Device* device = it->second->device;
  if (device->lock_owner != lid) return err::no_lock;
  device->lock_owner.reset();
  changed_.notify_all();
  return err::none;
}

std::int32_t Vxi11Server::device_abort(std::int32_t lid) {
  std::shared_ptr<server::ServedDevice> device;
  {
    std::lock_guard lock(mutex_);
    auto it = links_.find(lid);
    if (it == links_.end()) return err::invalid_link;
    if (!it->second->in_progress) return err::none;  // only in-progress calls are aborted
    it->second->aborted = true;
    device = it->second->device->device;
  }
  changed_.notify_all();
  device->abort();
  return err::none;
}

// ---- service requests ----

std::int32_t Vxi11Server::enable_srq(const DeviceEnableSrqParms& p) {
  std::lock_guard lock(mutex_);
  auto it = links_.find(p.lid);
  if (it == links_.end()) return err::invalid_link;
  it->second->srq_enabled = p.enable;
  it->second->srq_handle.assign(p.handle.begin(), p.handle.end());
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
        if (link->device != device || !link->srq_enabled) continue;
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
