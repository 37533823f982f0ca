// Formatted I/O: viPrintf, viSPrintf, viScanf, viSScanf, viQueryf and their viV* forms, over the
// format engine (format_print / format_scan) and the session's buffers (buffered_io).
#include "cabi/buffered_io.hpp"
#include "cabi/format_print.hpp"
#include "cabi/format_scan.hpp"
#include "cabi/guard.hpp"

#include <cppvisa/attributes.hpp>

#include <chrono>
#include <cstring>
#include <variant>

using namespace cppvisa;
using namespace cppvisa::cabi;

namespace {

ViStatus print_to_session(SessionState& s, ViConstString fmt, ArgSource& args) {
  std::string out;
  bool flush_with_end = false;
  if (ViStatus st = format_print(fmt, args, out, flush_with_end); st < 0) return st;
  if (ViStatus st = buffered_write(s, out); st < 0) return st;
  if (flush_with_end || s.write_oper_mode == VI_FLUSH_ON_ACCESS) {
    // A new command goes out: what is left of an already complete reply (e.g. the line feed
    // after "%[^\n]") belongs to the previous exchange and would be misread as the new answer.
    if (s.read_buffer.message_complete) s.read_buffer.clear();
    return flush_write_buffer(s, true);
  }
  return VI_SUCCESS;
}

ViStatus scan_from_session(SessionState& s, ViConstString fmt, ArgSource& args) {
  // The reads of one viScanf together take at most the timeout (a trickling device cannot
  // stretch them).
  auto deadline = std::chrono::steady_clock::time_point::max();
  AttrValue tmo;
  if (s.backend->get_attribute(s.handle, attr::TMO_VALUE, tmo) >= 0 && std::holds_alternative<std::int64_t>(tmo) &&
      static_cast<std::uint32_t>(std::get<std::int64_t>(tmo)) != tmo_infinite)
    deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::get<std::int64_t>(tmo));
  RefillFn refill = [&s, deadline](ReadBuffer& b) { return refill_read_buffer(s, b, deadline); };
  BlockDevice device = block_device(s, deadline);
  ViStatus st = format_scan(fmt, args, s.read_buffer, refill, nullptr, &device);
  // VI_FLUSH_ON_ACCESS: the read buffer is discarded at the end of every viScanf.
  if (s.read_oper_mode == VI_FLUSH_ON_ACCESS) s.read_buffer.clear();
  return st;
}

ViStatus vprintf_impl(ViSession vi, ViConstString fmt, va_list ap) {
  Route r;
  ViStatus st;
  if (!route_session(vi, r, st)) return st;
  if (fmt == nullptr) return VI_ERROR_INV_PARAMETER;
  VaListArgs args(ap);
  std::lock_guard lock(r.session->io_mutex);
  return print_to_session(*r.session, fmt, args);
}

ViStatus vsprintf_impl(ViSession vi, ViPBuf buf, ViConstString fmt, va_list ap) {
  Route r;
  ViStatus st;
  if (!route_session(vi, r, st)) return st;
  if (buf == nullptr || fmt == nullptr) return VI_ERROR_INV_PARAMETER;
  VaListArgs args(ap);
  std::string out;
  bool flush_with_end = false;
  if (st = format_print(fmt, args, out, flush_with_end); st < 0) return st;
  // The caller's buffer must hold the result; VISA gives no size (as sprintf).
  std::memcpy(buf, out.data(), out.size());
  buf[out.size()] = '\0';
  return VI_SUCCESS;
}

ViStatus vscanf_impl(ViSession vi, ViConstString fmt, va_list ap) {
  Route r;
  ViStatus st;
  if (!route_session(vi, r, st)) return st;
  if (fmt == nullptr) return VI_ERROR_INV_PARAMETER;
  VaListArgs args(ap);
  std::lock_guard lock(r.session->io_mutex);
  return scan_from_session(*r.session, fmt, args);
}

ViStatus vsscanf_impl(ViSession vi, ViConstBuf buf, ViConstString fmt, va_list ap) {
  Route r;
  ViStatus st;
  if (!route_session(vi, r, st)) return st;
  if (buf == nullptr || fmt == nullptr) return VI_ERROR_INV_PARAMETER;
  VaListArgs args(ap);
  ReadBuffer input;
  input.data.assign(reinterpret_cast<const char*>(buf));
  return format_scan(fmt, args, input, RefillFn{});
}

ViStatus vqueryf_impl(ViSession vi, ViConstString wfmt, ViConstString rfmt, va_list ap) {
  Route r;
  ViStatus st;
  if (!route_session(vi, r, st)) return st;
  if (wfmt == nullptr || rfmt == nullptr) return VI_ERROR_INV_PARAMETER;
  // One argument list: the write format takes its arguments first, the read format the rest.
  VaListArgs args(ap);
  std::lock_guard lock(r.session->io_mutex);
  SessionState& s = *r.session;
  if (st = print_to_session(s, wfmt, args); st < 0) return st;
  if (st = flush_write_buffer(s, true); st < 0) return st;  // the query is sent before reading
  return scan_from_session(s, rfmt, args);
}

}  // namespace

CPPVISA_C_API ViStatus viVPrintf(ViSession vi, ViConstString writeFmt, ViVAList params) {
  return guarded([&] { return vprintf_impl(vi, writeFmt, params); });
}

CPPVISA_C_API ViStatus viPrintf(ViSession vi, ViConstString writeFmt, ...) {
  va_list ap;
  va_start(ap, writeFmt);
  ViStatus st = guarded([&] { return vprintf_impl(vi, writeFmt, ap); });
  va_end(ap);
  return st;
}

CPPVISA_C_API ViStatus viVSPrintf(ViSession vi, ViPBuf buf, ViConstString writeFmt, ViVAList parms) {
  return guarded([&] { return vsprintf_impl(vi, buf, writeFmt, parms); });
}

CPPVISA_C_API ViStatus viSPrintf(ViSession vi, ViPBuf buf, ViConstString writeFmt, ...) {
  va_list ap;
  va_start(ap, writeFmt);
  ViStatus st = guarded([&] { return vsprintf_impl(vi, buf, writeFmt, ap); });
  va_end(ap);
  return st;
}

CPPVISA_C_API ViStatus viVScanf(ViSession vi, ViConstString readFmt, ViVAList params) {
  return guarded([&] { return vscanf_impl(vi, readFmt, params); });
}

CPPVISA_C_API ViStatus viScanf(ViSession vi, ViConstString readFmt, ...) {
  va_list ap;
  va_start(ap, readFmt);
  ViStatus st = guarded([&] { return vscanf_impl(vi, readFmt, ap); });
  va_end(ap);
  return st;
}

CPPVISA_C_API ViStatus viVSScanf(ViSession vi, ViConstBuf buf, ViConstString readFmt, ViVAList parms) {
  return guarded([&] { return vsscanf_impl(vi, buf, readFmt, parms); });
}

CPPVISA_C_API ViStatus viSScanf(ViSession vi, ViConstBuf buf, ViConstString readFmt, ...) {
  va_list ap;
  va_start(ap, readFmt);
  ViStatus st = guarded([&] { return vsscanf_impl(vi, buf, readFmt, ap); });
  va_end(ap);
  return st;
}

CPPVISA_C_API ViStatus viVQueryf(ViSession vi, ViConstString writeFmt, ViConstString readFmt, ViVAList params) {
  return guarded([&] { return vqueryf_impl(vi, writeFmt, readFmt, params); });
}

CPPVISA_C_API ViStatus viQueryf(ViSession vi, ViConstString writeFmt, ViConstString readFmt, ...) {
  va_list ap;
  va_start(ap, readFmt);
  ViStatus st = guarded([&] { return vqueryf_impl(vi, writeFmt, readFmt, ap); });
  va_end(ap);
  return st;
}
