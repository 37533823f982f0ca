// The state behind libvisa.so (see library.hpp).
#include "cabi/library.hpp"

#include "core/error_detail.hpp"
#include "core/diagnostics.hpp"
#include "core/handles.hpp"

#include <cppvisa/error.hpp>
#include <cppvisa/status.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace cppvisa::cabi {

session_t new_handle() { return core::allocate_handle(); }

void copy_out(char* dest, const std::string& text) {
  if (dest == nullptr) return;
  std::size_t n = std::min<std::size_t>(text.size(), 255);
  std::memcpy(dest, text.data(), n);
  dest[n] = '\0';
}

namespace {

// Opens one backend into `out`; the exception becomes a status. With `report`, the reason also
// goes to the user (core::diagnostic: stderr and the debug log): a status alone
// (VI_ERROR_LIBRARY_NFOUND at viOpenDefaultRM) cannot say which file is missing or which line of
// it is wrong, and the C API has no other channel.
status_t open_into(const std::string& spec, std::vector<std::shared_ptr<Backend>>& out, bool report) {
  auto say = [&](const char* what) {
    if (report) core::diagnostic(what);
  };
  try {
    out.push_back(open_backend(spec));
    return status::SUCCESS;
  } catch (const VisaIOError& e) {
    say(e.what());
    return core::fail(e.error_code(), fmt::format("backend '{}': {}", spec, e.detail().empty() ? e.what() : e.detail()));
  } catch (const std::bad_alloc&) {
    say("out of memory opening a backend");
    return status::ERROR_ALLOC;
  } catch (const std::exception& e) {
    say(e.what());
    return core::fail(status::ERROR_LIBRARY_NFOUND, fmt::format("backend '{}': {}", spec, e.what()));
  }
}

}  // namespace

Library& Library::instance() {
  // Never destroyed: handlers and backends may still run while static destructors do.
  static Library* library = new Library();
  return *library;
}

status_t Library::backends(std::vector<std::shared_ptr<Backend>>& out) {
  std::lock_guard lock(mutex_);
  if (!backends_opened_) {
    backends_opened_ = true;
    backends_status_ = status::SUCCESS;
    // CPPVISA_SIM: a PyVISA-sim YAML file, or "default" for the bundled instruments. They were
    // asked for by name, so failing to load them is an error (a typo must not go unnoticed); the
    // native backend is served whenever it opens.
    if (const char* sim = std::getenv("CPPVISA_SIM"); sim != nullptr && *sim != '\0') {
      std::string spec = std::string(sim) == "default" ? std::string("@sim") : std::string(sim) + "@sim";
      backends_status_ = open_into(spec, backends_, true);
    }
    if (backends_status_ >= 0) {
      status_t native = open_into("@native", backends_, backends_.empty());
      if (backends_.empty()) backends_status_ = native < 0 ? native : status::ERROR_LIBRARY_NFOUND;
    }
    if (backends_status_ < 0) backends_.clear();
  }
  out = backends_;
  return backends_status_;
}

void Library::set_backends(std::vector<std::shared_ptr<Backend>> backends) {
  std::lock_guard lock(mutex_);
  rms_.clear();
  find_lists_.clear();
  sessions_.clear();
  io_events_.clear();
  backends_ = std::move(backends);
  backends_opened_ = true;
  backends_status_ = backends_.empty() ? status::ERROR_LIBRARY_NFOUND : status::SUCCESS;
}

Route Library::route(session_t handle) {
  Route r;
  if (handle == 0) return r;
  std::vector<std::shared_ptr<Backend>> backends;
  {
    std::lock_guard lock(mutex_);
    if (auto it = sessions_.find(handle); it != sessions_.end()) {
      r.kind = Route::Kind::session;
      r.session = it->second;
      r.backend = it->second->backend;
      return r;
    }
    if (auto it = rms_.find(handle); it != rms_.end()) {
      r.kind = Route::Kind::rm;
      r.rm = it->second;
      return r;
    }
    if (auto it = find_lists_.find(handle); it != find_lists_.end()) {
      r.kind = Route::Kind::find_list;
      r.find_list = it->second;
      return r;
    }
    if (auto it = io_events_.find(handle); it != io_events_.end()) {
      r.kind = Route::Kind::io_event;
      r.io_event = it->second;
      return r;
    }
    backends = backends_;
  }
  // Event contexts handed out by a backend (viWaitOnEvent, handlers): ask who owns the handle.
  for (auto& b : backends) {
    if (b->owns(handle)) {
      r.kind = Route::Kind::backend_object;
      r.backend = b;
      return r;
    }
  }
  return r;
}

session_t Library::add_rm(std::shared_ptr<RmState> rm) {
  rm->handle = new_handle();
  std::lock_guard lock(mutex_);
  rms_[rm->handle] = rm;
  return rm->handle;
}

std::shared_ptr<SessionState> Library::add_session(session_t handle, session_t rm, std::shared_ptr<Backend> backend) {
  auto s = std::make_shared<SessionState>();
  s->handle = handle;
  s->rm = rm;
  s->backend = std::move(backend);
  std::lock_guard lock(mutex_);
  sessions_[handle] = s;
  if (auto it = rms_.find(rm); it != rms_.end()) it->second->sessions.insert(handle);
  return s;
}

session_t Library::add_find_list(std::shared_ptr<FindList> list) {
  list->handle = new_handle();
  std::lock_guard lock(mutex_);
  find_lists_[list->handle] = list;
  if (auto it = rms_.find(list->rm); it != rms_.end()) it->second->find_lists.insert(list->handle);
  return list->handle;
}

session_t Library::add_io_event(std::shared_ptr<IoEvent> event) {
  event->handle = new_handle();
  std::lock_guard lock(mutex_);
  io_events_[event->handle] = event;
  return event->handle;
}

void Library::remove_session(session_t handle) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(handle);
  if (it == sessions_.end()) return;
  if (auto rm = rms_.find(it->second->rm); rm != rms_.end()) rm->second->sessions.erase(handle);
  sessions_.erase(it);
  // event contexts of the session's completed jobs go with it
  std::erase_if(io_events_, [handle](const auto& kv) { return kv.second->session == handle; });
}

void Library::remove_find_list(session_t handle) {
  std::lock_guard lock(mutex_);
  auto it = find_lists_.find(handle);
  if (it == find_lists_.end()) return;
  if (auto rm = rms_.find(it->second->rm); rm != rms_.end()) rm->second->find_lists.erase(handle);
  find_lists_.erase(it);
}

void Library::remove_io_event(session_t handle) {
  std::lock_guard lock(mutex_);
  io_events_.erase(handle);
}

std::vector<std::shared_ptr<SessionState>> Library::remove_rm(session_t handle) {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<SessionState>> children;
  auto it = rms_.find(handle);
  if (it == rms_.end()) return children;
  for (session_t s : it->second->sessions) {
    if (auto si = sessions_.find(s); si != sessions_.end()) {
      children.push_back(si->second);
      std::erase_if(io_events_, [s](const auto& kv) { return kv.second->session == s; });
      sessions_.erase(si);
    }
  }
  for (session_t f : it->second->find_lists) find_lists_.erase(f);
  rms_.erase(it);
  return children;
}

std::uint32_t Library::next_job_id() {
  std::lock_guard lock(mutex_);
  if (++next_job_ == 0) ++next_job_;
  return next_job_;
}

}  // namespace cppvisa::cabi
