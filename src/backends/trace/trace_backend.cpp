// The I/O trace backend (trace_backend.hpp).
#include "backends/trace/trace_backend.hpp"

#include <cppvisa/error.hpp>
#include <cppvisa/status.hpp>
#include <cppvisa/text.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace cppvisa::trace {
namespace {

using Args = std::vector<std::pair<std::string, std::string>>;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string show_value(const AttrValue& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return show_bytes(std::get<std::string>(v));
}

std::string attr_name(attr_id_t id) {
  if (auto* info = find_attribute(id)) return std::string(info->name);
  return fmt::format("0x{:08X}", id);
}

std::string hex(std::uint64_t v) { return fmt::format("0x{:X}", v); }

/// The start of one operation: wall-clock time for the record, steady time for its duration.
struct Start {
  std::chrono::system_clock::time_point wall = std::chrono::system_clock::now();
  std::chrono::steady_clock::time_point steady = std::chrono::steady_clock::now();
};

/// Writes records to the trace file: one write(2) per record on an O_APPEND descriptor, so that
/// threads and processes sharing the file never interleave inside a line.
class Writer {
 public:
  explicit Writer(const TraceSettings& s) : settings_(s) {
    if (s.path == "-" || s.path == "stderr") {
      fd_ = STDERR_FILENO;
    } else {
      fd_ = ::open(s.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd_ < 0)
        throw VisaIOError(status::ERROR_SYSTEM_ERROR,
                          fmt::format("(CPPVISA_TRACE: cannot open '{}': {})", s.path, std::strerror(errno)));
      owned_ = true;
    }
  }
  ~Writer() {
    if (owned_) ::close(fd_);
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void record(const Start& start, const char* op, session_t session, const std::string& resource, status_t st,
              const Args& args, std::optional<std::span<const std::byte>> data) const {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start.steady);
    auto since_epoch = std::chrono::duration_cast<std::chrono::microseconds>(start.wall.time_since_epoch());
    auto seconds = std::chrono::floor<std::chrono::seconds>(start.wall);
    std::string time = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)),
                                   static_cast<int>(since_epoch.count() % 1000000));
    std::string line;
    if (settings_.json) {
      line = fmt::format(R"({{"time":"{}","pid":{},"us":{},"op":"{}","session":{},"resource":{},"status":"{}","code":{})",
                         time, ::getpid(), micros.count(), op, session, json_quote(resource), status_name(st), st);
      for (auto& [k, v] : args) line += fmt::format(",{}:{}", json_quote(k), json_quote(v));
      if (data) {
        line += fmt::format(R"(,"length":{},"data":{})", data->size(), json_quote(show_bytes(*data, settings_.data_limit)));
      }
      line += "}\n";
    } else {
      line = fmt::format("{} pid={} us={} {} session={} rsrc={}", time, ::getpid(), micros.count(), op, hex(session),
                         resource.empty() ? "-" : resource);
      for (auto& [k, v] : args) line += fmt::format(" {}={}", k, v);
      line += fmt::format(" status={}", status_name(st));
      if (data) line += fmt::format(" length={} data={}", data->size(), show_bytes(*data, settings_.data_limit));
      line += '\n';
    }
    std::lock_guard guard(mutex_);
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // a full disk must not break the traced program's I/O
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }

 private:
  TraceSettings settings_;
  int fd_ = -1;
  bool owned_ = false;
  mutable std::mutex mutex_;
};

class TracingBackend final : public Backend {
 public:
  TracingBackend(std::shared_ptr<Backend> inner, const TraceSettings& s) : inner_(std::move(inner)), writer_(s) {}

  std::string name() const override { return inner_->name(); }
  std::string library_path() const override { return inner_->library_path(); }
  std::vector<std::string> debug_info() const override {
    auto lines = inner_->debug_info();
    lines.push_back("I/O trace: on (CPPVISA_TRACE)");
    return lines;
  }

  status_t open_default_rm(session_t& rm) override {
    Start t;
    status_t st = inner_->open_default_rm(rm);
    if (st >= 0) remember(rm, "RM");
    emit(t, "viOpenDefaultRM", st >= 0 ? rm : 0, st, {{"backend", inner_->name()}});
    return st;
  }
  status_t find_resources(session_t rm, std::string_view expression, std::vector<std::string>& names) override {
    Start t;
    status_t st = inner_->find_resources(rm, expression, names);
    Args args{{"expr", show_bytes(expression)}};
    if (st >= 0) args.emplace_back("found", std::to_string(names.size()));
    emit(t, "viFindRsrc", rm, st, args);
    return st;
  }
  status_t parse_resource(session_t rm, std::string_view name, ResourceInfo& info) override {
    Start t;
    status_t st = inner_->parse_resource(rm, name, info);
    emit(t, "viParseRsrcEx", rm, st, {{"name", show_bytes(name)}});
    return st;
  }
  status_t open(session_t rm, std::string_view name, AccessMode mode, std::uint32_t open_timeout,
                session_t& session) override {
    Start t;
    status_t st = inner_->open(rm, name, mode, open_timeout, session);
    if (st >= 0) remember(session, std::string(name));
    emit(t, "viOpen", rm, st,
         {{"name", std::string(name)}, {"mode", std::to_string(static_cast<unsigned>(mode))},
          {"open_timeout", std::to_string(open_timeout)}, {"vi", st >= 0 ? hex(session) : "-"}});
    return st;
  }
  status_t close(session_t object) override {
    Start t;
    std::string resource = resource_of(object);
    status_t st = inner_->close(object);
    if (st >= 0) forget(object);
    writer_.record(t, "viClose", object, resource, st, {}, std::nullopt);
    return st;
  }

  status_t get_attribute(session_t object, attr_id_t id, AttrValue& value) override {
    Start t;
    status_t st = inner_->get_attribute(object, id, value);
    Args args{{"attr", attr_name(id)}};
    if (st >= 0) args.emplace_back("value", show_value(value));
    emit(t, "viGetAttribute", object, st, args);
    return st;
  }
  status_t set_attribute(session_t object, attr_id_t id, const AttrValue& value) override {
    Start t;
    status_t st = inner_->set_attribute(object, id, value);
    emit(t, "viSetAttribute", object, st, {{"attr", attr_name(id)}, {"value", show_value(value)}});
    return st;
  }

  status_t read(session_t session, std::span<std::byte> buffer, std::size_t& count) override {
    Start t;
    count = 0;
    status_t st = inner_->read(session, buffer, count);
    emit(t, "viRead", session, st, {{"max", std::to_string(buffer.size())}},
         buffer.first(std::min(count, buffer.size())));
    return st;
  }
  status_t write(session_t session, std::span<const std::byte> data, std::size_t& count) override {
    Start t;
    count = 0;
    status_t st = inner_->write(session, data, count);
    emit(t, "viWrite", session, st, {{"count", std::to_string(count)}}, data);
    return st;
  }
  status_t read_stb(session_t session, std::uint16_t& stb) override {
    Start t;
    status_t st = inner_->read_stb(session, stb);
    emit(t, "viReadSTB", session, st, {{"stb", st >= 0 ? std::to_string(stb) : "-"}});
    return st;
  }
  status_t clear(session_t session) override { return simple("viClear", session, [&] { return inner_->clear(session); }); }
  status_t assert_trigger(session_t session, TriggerProtocol protocol) override {
    Start t;
    status_t st = inner_->assert_trigger(session, protocol);
    emit(t, "viAssertTrigger", session, st, {{"protocol", std::to_string(static_cast<int>(protocol))}});
    return st;
  }
  status_t flush(session_t session, std::uint16_t mask) override {
    Start t;
    status_t st = inner_->flush(session, mask);
    emit(t, "viFlush", session, st, {{"mask", hex(mask)}});
    return st;
  }

  status_t lock(session_t session, AccessMode type, std::uint32_t timeout, std::string_view requested_key,
                std::string& access_key) override {
    Start t;
    status_t st = inner_->lock(session, type, timeout, requested_key, access_key);
    emit(t, "viLock", session, st,
         {{"type", std::to_string(static_cast<unsigned>(type))}, {"timeout", std::to_string(timeout)},
          {"key", show_bytes(st >= 0 ? std::string_view(access_key) : requested_key)}});
    return st;
  }
  status_t unlock(session_t session) override { return simple("viUnlock", session, [&] { return inner_->unlock(session); }); }

  status_t enable_event(session_t session, event_type_t type, std::uint16_t mechanism) override {
    Start t;
    status_t st = inner_->enable_event(session, type, mechanism);
    emit(t, "viEnableEvent", session, st, {{"event", hex(type)}, {"mechanism", std::to_string(mechanism)}});
    return st;
  }
  status_t disable_event(session_t session, event_type_t type, std::uint16_t mechanism) override {
    Start t;
    status_t st = inner_->disable_event(session, type, mechanism);
    emit(t, "viDisableEvent", session, st, {{"event", hex(type)}, {"mechanism", std::to_string(mechanism)}});
    return st;
  }
  status_t discard_events(session_t session, event_type_t type, std::uint16_t mechanism) override {
    Start t;
    status_t st = inner_->discard_events(session, type, mechanism);
    emit(t, "viDiscardEvents", session, st, {{"event", hex(type)}, {"mechanism", std::to_string(mechanism)}});
    return st;
  }
  status_t wait_on_event(session_t session, event_type_t type, std::uint32_t timeout, event_type_t& out_type,
                         session_t& context, bool want_context) override {
    Start t;
    status_t st = inner_->wait_on_event(session, type, timeout, out_type, context, want_context);
    emit(t, "viWaitOnEvent", session, st,
         {{"event", hex(type)}, {"timeout", std::to_string(timeout)}, {"received", st >= 0 ? hex(out_type) : "-"}});
    return st;
  }
  status_t install_handler(session_t session, event_type_t type, EventHandlerFn handler, void* user_handle) override {
    Start t;
    status_t st = inner_->install_handler(session, type, handler, user_handle);
    emit(t, "viInstallHandler", session, st, {{"event", hex(type)}});
    return st;
  }
  status_t uninstall_handler(session_t session, event_type_t type, EventHandlerFn handler, void* user_handle) override {
    Start t;
    status_t st = inner_->uninstall_handler(session, type, handler, user_handle);
    emit(t, "viUninstallHandler", session, st, {{"event", hex(type)}});
    return st;
  }

  status_t gpib_control_ren(session_t session, RenMode mode) override {
    Start t;
    status_t st = inner_->gpib_control_ren(session, mode);
    emit(t, "viGpibControlREN", session, st, {{"mode", std::to_string(static_cast<int>(mode))}});
    return st;
  }
  status_t gpib_control_atn(session_t session, std::uint16_t mode) override {
    Start t;
    status_t st = inner_->gpib_control_atn(session, mode);
    emit(t, "viGpibControlATN", session, st, {{"mode", std::to_string(mode)}});
    return st;
  }
  status_t gpib_command(session_t session, std::span<const std::byte> data, std::size_t& count) override {
    Start t;
    count = 0;
    status_t st = inner_->gpib_command(session, data, count);
    emit(t, "viGpibCommand", session, st, {{"count", std::to_string(count)}}, data);
    return st;
  }
  status_t gpib_pass_control(session_t session, std::uint16_t primary, std::uint16_t secondary) override {
    Start t;
    status_t st = inner_->gpib_pass_control(session, primary, secondary);
    emit(t, "viGpibPassControl", session, st, {{"primary", std::to_string(primary)}, {"secondary", std::to_string(secondary)}});
    return st;
  }
  status_t gpib_send_ifc(session_t session) override {
    return simple("viGpibSendIFC", session, [&] { return inner_->gpib_send_ifc(session); });
  }
  status_t usb_control_out(session_t session, std::int16_t request_type, std::int16_t request, std::uint16_t value,
                           std::uint16_t index, std::span<const std::byte> data) override {
    Start t;
    status_t st = inner_->usb_control_out(session, request_type, request, value, index, data);
    emit(t, "viUsbControlOut", session, st, usb_args(request_type, request, value, index), data);
    return st;
  }
  status_t usb_control_in(session_t session, std::int16_t request_type, std::int16_t request, std::uint16_t value,
                          std::uint16_t index, std::span<std::byte> buffer, std::size_t& count) override {
    Start t;
    count = 0;
    status_t st = inner_->usb_control_in(session, request_type, request, value, index, buffer, count);
    emit(t, "viUsbControlIn", session, st, usb_args(request_type, request, value, index),
         buffer.first(std::min(count, buffer.size())));
    return st;
  }
  status_t terminate(session_t session, std::uint16_t degree, std::uint32_t job_id) override {
    Start t;
    status_t st = inner_->terminate(session, degree, job_id);
    emit(t, "viTerminate", session, st, {{"job", std::to_string(job_id)}});
    return st;
  }

  // Not a VISA call (nothing to trace): the wrapped backend's descriptor, so that asynchronous
  // reads of a traced session wait without a thread too.
  int input_fd(session_t session) override { return inner_->input_fd(session); }
  // An asynchronous read's steps: each that stored bytes or ended the read is traced as viRead
  // (a step that only found the answer not there yet is no VISA call).
  status_t read_step(session_t session, std::span<std::byte> buffer, std::size_t& count, ReadStep& step) override {
    Start t;
    count = 0;
    status_t st = inner_->read_step(session, buffer, count, step);
    if (step.wait_fd < 0 || count > 0)
      emit(t, "viRead", session, st, {{"max", std::to_string(buffer.size())}},
           buffer.first(std::min(count, buffer.size())));
    return st;
  }
  bool owns(session_t object) const override { return inner_->owns(object); }

 private:
  static Args usb_args(std::int16_t request_type, std::int16_t request, std::uint16_t value, std::uint16_t index) {
    return {{"bmRequestType", hex(static_cast<std::uint16_t>(request_type))},
            {"bRequest", std::to_string(request)}, {"wValue", hex(value)}, {"wIndex", hex(index)}};
  }

  template <class F>
  status_t simple(const char* op, session_t session, F&& call) {
    Start t;
    status_t st = call();
    emit(t, op, session, st, {});
    return st;
  }

  void emit(const Start& t, const char* op, session_t session, status_t st, const Args& args,
            std::optional<std::span<const std::byte>> data = std::nullopt) {
    writer_.record(t, op, session, resource_of(session), st, args, data);
  }

  void remember(session_t s, std::string name) {
    std::lock_guard guard(mutex_);
    resources_[s] = std::move(name);
  }
  void forget(session_t s) {
    std::lock_guard guard(mutex_);
    resources_.erase(s);
  }
  std::string resource_of(session_t s) const {
    std::lock_guard guard(mutex_);
    auto it = resources_.find(s);
    return it == resources_.end() ? std::string() : it->second;
  }

  std::shared_ptr<Backend> inner_;
  Writer writer_;
  mutable std::mutex mutex_;
  std::map<session_t, std::string> resources_;
};

}  // namespace

const TraceSettings* settings_from_environment() {
  static const std::optional<TraceSettings> settings = []() -> std::optional<TraceSettings> {
    const char* path = std::getenv("CPPVISA_TRACE");
    if (path == nullptr || *path == '\0') return std::nullopt;
    TraceSettings s;
    s.path = path;
    const char* format = std::getenv("CPPVISA_TRACE_FORMAT");
    if (format != nullptr && *format != '\0') s.json = std::string_view(format) == "json";
    else s.json = ends_with(s.path, ".jsonl") || ends_with(s.path, ".json");
    if (const char* limit = std::getenv("CPPVISA_TRACE_DATA"); limit != nullptr && *limit != '\0') {
      char* end = nullptr;
      unsigned long long n = std::strtoull(limit, &end, 10);
      if (end != limit && *end == '\0') s.data_limit = static_cast<std::size_t>(n);
    }
    return s;
  }();
  return settings ? &*settings : nullptr;
}

std::shared_ptr<Backend> make_tracing_backend(std::shared_ptr<Backend> inner, const TraceSettings& settings) {
  return std::make_shared<TracingBackend>(std::move(inner), settings);
}

}  // namespace cppvisa::trace
