// Resource manager operations: viOpenDefaultRM, viFindRsrc, viFindNext, viParseRsrc(Ex), viOpen, viClose.
#include "cabi/async_io.hpp"
#include "cabi/guard.hpp"
#include "cabi/io_events.hpp"

#include <cppvisa/resource_info.hpp>

#include <algorithm>

using namespace cppvisa;
using namespace cppvisa::cabi;

namespace {

// Closes a session on its backend and forgets its C-layer state; waiters on its events wake up.
// viClose also ends the session's asynchronous jobs (VPP-4.3: closing terminates them): the
// queued ones complete aborted, the backend's close aborts the transfer in progress, and it has
// returned (so no longer touches the caller's buffer) when viClose does.
ViStatus close_session(const std::shared_ptr<SessionState>& s) {
  cancel_async_jobs(*s);
  ViStatus st = s->backend->close(s->handle);
  wait_async_jobs(*s);
  io_close(*s);
  return st;
}

}  // namespace

CPPVISA_C_API ViStatus viOpenDefaultRM(ViPSession vi) {
  return guarded([&]() -> ViStatus {
    if (vi == nullptr) return VI_ERROR_INV_PARAMETER;
    *vi = VI_NULL;
    std::vector<std::shared_ptr<Backend>> backends;
    if (ViStatus st = Library::instance().backends(backends); st < 0) return st;
    auto rm = std::make_shared<RmState>();
    for (auto& b : backends) {
      session_t part = 0;
      ViStatus st = b->open_default_rm(part);
      if (st < 0) {
        for (auto& [opened, h] : rm->parts) opened->close(h);
        return st;
      }
      rm->parts.emplace_back(b, part);
    }
    *vi = Library::instance().add_rm(rm);
    return VI_SUCCESS;
  });
}

CPPVISA_C_API ViStatus viFindRsrc(ViSession sesn, ViConstString expr, ViPFindList findList, ViPUInt32 retCnt,
                                  ViChar desc[]) {
  return guarded([&]() -> ViStatus {
    if (findList) *findList = VI_NULL;
    if (retCnt) *retCnt = 0;
    Route r = Library::instance().route(sesn);
    if (r.kind != Route::Kind::rm) return r.kind == Route::Kind::none ? VI_ERROR_INV_OBJECT : VI_ERROR_NSUP_OPER;
    std::string expression = expr ? expr : "?*";  // LibreVisa treats VI_NULL like "?*"
    std::vector<std::string> merged;
    ViStatus first_error = VI_SUCCESS;
    for (auto& [backend, part] : r.rm->parts) {
      std::vector<std::string> names;
      ViStatus st = backend->find_resources(part, expression, names);
      if (st == VI_ERROR_INV_EXPR) return st;
      if (st < 0) {
        if (st != VI_ERROR_RSRC_NFOUND && first_error == VI_SUCCESS) first_error = st;
        continue;
      }
      for (auto& n : names)
        if (std::find(merged.begin(), merged.end(), n) == merged.end()) merged.push_back(std::move(n));
    }
    if (merged.empty()) return first_error < 0 ? first_error : VI_ERROR_RSRC_NFOUND;
    copy_out(desc, merged.front());
    if (retCnt) *retCnt = static_cast<ViUInt32>(merged.size());
    if (findList) {
      auto list = std::make_shared<FindList>();
      list->rm = sesn;
      list->names = std::move(merged);
      *findList = Library::instance().add_find_list(list);
    }
    return VI_SUCCESS;
  });
}

CPPVISA_C_API ViStatus viFindNext(ViFindList vi, ViChar desc[]) {
  return guarded([&]() -> ViStatus {
    Route r = Library::instance().route(vi);
    if (r.kind != Route::Kind::find_list) return r.kind == Route::Kind::none ? VI_ERROR_INV_OBJECT : VI_ERROR_NSUP_OPER;
    if (desc == nullptr) return VI_ERROR_INV_PARAMETER;
    std::lock_guard lock(r.find_list->mutex);
    if (r.find_list->next >= r.find_list->names.size()) return VI_ERROR_RSRC_NFOUND;
    copy_out(desc, r.find_list->names[r.find_list->next++]);
    return VI_SUCCESS;
  });
}

namespace {

// viParseRsrcEx on each backend in turn: the first that knows the name answers.
ViStatus parse_on_backends(ViSession rm_handle, ViConstRsrc name, ResourceInfo& info) {
  Route r = Library::instance().route(rm_handle);
  if (r.kind != Route::Kind::rm) return r.kind == Route::Kind::none ? VI_ERROR_INV_OBJECT : VI_ERROR_NSUP_OPER;
  if (name == nullptr) return VI_ERROR_INV_PARAMETER;
  ViStatus first = VI_ERROR_RSRC_NFOUND;
  bool have_first = false;
  for (auto& [backend, part] : r.rm->parts) {
    ResourceInfo candidate;
    ViStatus st = backend->parse_resource(part, name, candidate);
    if (st >= 0) {
      info = std::move(candidate);
      return st;
    }
    if (!have_first) {
      first = st;
      have_first = true;
    }
  }
  return first;
}

}  // namespace

CPPVISA_C_API ViStatus viParseRsrc(ViSession rmSesn, ViConstRsrc rsrcName, ViPUInt16 intfType, ViPUInt16 intfNum) {
  return guarded([&]() -> ViStatus {
    ResourceInfo info;
    ViStatus st = parse_on_backends(rmSesn, rsrcName, info);
    if (st < 0) return st;
    if (intfType) *intfType = static_cast<ViUInt16>(static_cast<std::int32_t>(info.interface_type));
    if (intfNum) *intfNum = static_cast<ViUInt16>(info.interface_board_number.value_or(0));
    return st;
  });
}

CPPVISA_C_API ViStatus viParseRsrcEx(ViSession rmSesn, ViConstRsrc rsrcName, ViPUInt16 intfType, ViPUInt16 intfNum,
                                     ViChar rsrcClass[], ViChar expandedUnaliasedName[], ViChar aliasIfExists[]) {
  return guarded([&]() -> ViStatus {
    ResourceInfo info;
    ViStatus st = parse_on_backends(rmSesn, rsrcName, info);
    if (st < 0) return st;
    if (intfType) *intfType = static_cast<ViUInt16>(static_cast<std::int32_t>(info.interface_type));
    if (intfNum) *intfNum = static_cast<ViUInt16>(info.interface_board_number.value_or(0));
    copy_out(rsrcClass, info.resource_class);
    copy_out(expandedUnaliasedName, info.resource_name);
    copy_out(aliasIfExists, info.alias);
    return st;
  });
}

CPPVISA_C_API ViStatus viOpen(ViSession sesn, ViConstRsrc name, ViAccessMode mode, ViUInt32 timeout, ViPSession vi) {
  return guarded([&]() -> ViStatus {
    if (vi) *vi = VI_NULL;
    Route r = Library::instance().route(sesn);
    if (r.kind != Route::Kind::rm) return r.kind == Route::Kind::none ? VI_ERROR_INV_OBJECT : VI_ERROR_NSUP_OPER;
    if (vi == nullptr || name == nullptr) return VI_ERROR_INV_PARAMETER;
    // VPP-4.3 viOpen: VI_NO_LOCK, VI_EXCLUSIVE_LOCK, VI_LOAD_CONFIG (OR-able); VI_SHARED_LOCK is
    // passed on for PyVISA's AccessModes.shared_lock, but never together with an exclusive lock.
    if ((mode & ~static_cast<ViAccessMode>(VI_EXCLUSIVE_LOCK | VI_SHARED_LOCK | VI_LOAD_CONFIG)) != 0 ||
        (mode & (VI_EXCLUSIVE_LOCK | VI_SHARED_LOCK)) == (VI_EXCLUSIVE_LOCK | VI_SHARED_LOCK))
      return VI_ERROR_INV_ACC_MODE;
    // The first backend that knows the resource opens it (sim before native).
    ViStatus result = VI_ERROR_RSRC_NFOUND;
    bool have_result = false;
    for (auto& [backend, part] : r.rm->parts) {
      session_t handle = 0;
      ViStatus st = backend->open(part, name, static_cast<AccessMode>(mode), timeout, handle);
      if (st >= 0) {
        Library::instance().add_session(handle, sesn, backend);
        *vi = handle;
        return st;
      }
      if (!have_result || (result == VI_ERROR_RSRC_NFOUND && st != VI_ERROR_INV_RSRC_NAME)) result = st;
      have_result = true;
      if (st != VI_ERROR_RSRC_NFOUND && st != VI_ERROR_INV_RSRC_NAME && st != VI_ERROR_NSUP_OPER) break;
    }
    return result;
  });
}

CPPVISA_C_API ViStatus viClose(ViObject vi) {
  return guarded([&]() -> ViStatus {
    if (vi == VI_NULL) return VI_WARN_NULL_OBJECT;
    auto& lib = Library::instance();
    Route r = lib.route(vi);
    switch (r.kind) {
      case Route::Kind::none: return VI_ERROR_INV_OBJECT;
      case Route::Kind::find_list: lib.remove_find_list(vi); return VI_SUCCESS;
      case Route::Kind::io_event: lib.remove_io_event(vi); return VI_SUCCESS;
      case Route::Kind::backend_object: return r.backend->close(vi);
      case Route::Kind::session: {
        lib.remove_session(vi);
        ViStatus st = close_session(r.session);
        return st == VI_ERROR_INV_OBJECT ? VI_SUCCESS : st;
      }
      case Route::Kind::rm: {
        // Closing a resource manager closes every session and find list opened through it.
        for (auto& s : lib.remove_rm(vi)) close_session(s);
        ViStatus result = VI_SUCCESS;
        for (auto& [backend, part] : r.rm->parts) {
          ViStatus st = backend->close(part);
          if (st < 0 && result >= 0) result = st;
        }
        return result;
      }
    }
    return VI_ERROR_INV_OBJECT;
  });
}
