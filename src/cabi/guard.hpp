// Helpers shared by the exported vi* functions: every exception becomes a status, handles are
// routed, and C++ statuses/values are converted.
#pragma once

#include "cabi/library.hpp"
#include "core/error_detail.hpp"

#include <visa.h>

#include <cppvisa/error.hpp>
#include <cppvisa/status.hpp>

#include <new>

// Every exported function of libvisa.so (the version script keeps only these).
#define CPPVISA_C_API extern "C" __attribute__((visibility("default")))

namespace cppvisa::cabi {

/// Runs `body` and turns any exception into a VISA status (a C caller must never see one).
template <class F>
ViStatus guarded(F&& body) noexcept {
  try {
    return body();
  } catch (const VisaIOError& e) {
    return e.error_code();
  } catch (const std::bad_alloc&) {
    return VI_ERROR_ALLOC;
  } catch (...) {
    return VI_ERROR_SYSTEM_ERROR;
  }
}

/// The status for an operation of an I/O session invoked on another kind of handle:
/// VI_ERROR_INV_OBJECT for unknown handles, VI_ERROR_NSUP_OPER for RMs, find lists and events.
inline ViStatus not_a_session(const Route& r) {
  return r.kind == Route::Kind::none ? VI_ERROR_INV_OBJECT : VI_ERROR_NSUP_OPER;
}

/// Routes `vi` to an I/O session; on failure stores the status in `st` and returns false.
inline bool route_session(ViSession vi, Route& r, ViStatus& st) {
  core::clear_detail();  // a new operation: the cause of an earlier error no longer applies
  r = Library::instance().route(vi);
  if (r.kind == Route::Kind::session) return true;
  st = not_a_session(r);
  return false;
}

}  // namespace cppvisa::cabi
