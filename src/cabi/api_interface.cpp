// Interface-specific operations (GPIB, USB, VXI, PXI) and register-based / memory I/O.
// GPIB and USB calls go to the backend; register access, memory mapping, shared memory and the
// VXI/PXI trigger and signal calls are not served by any cppvisa backend: a valid object gets
// VI_ERROR_NSUP_OPER (VPP-4.3: "operation not supported by this object"), a stale one
// VI_ERROR_INV_OBJECT, and nothing is ever dereferenced.
#include "cabi/guard.hpp"

#include <span>

using namespace cppvisa;
using namespace cppvisa::cabi;

namespace {

ViStatus unsupported(ViObject vi) {
  Route r = Library::instance().route(vi);
  return r.kind == Route::Kind::none ? VI_ERROR_INV_OBJECT : VI_ERROR_NSUP_OPER;
}

}  // namespace

CPPVISA_C_API ViStatus viGpibControlREN(ViSession vi, ViUInt16 mode) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (mode > VI_GPIB_REN_ADDRESS_GTL) return VI_ERROR_INV_MODE;
    return r.backend->gpib_control_ren(vi, static_cast<RenMode>(mode));
  });
}

CPPVISA_C_API ViStatus viGpibControlATN(ViSession vi, ViUInt16 mode) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (mode > VI_GPIB_ATN_ASSERT_IMMEDIATE) return VI_ERROR_INV_MODE;
    return r.backend->gpib_control_atn(vi, mode);
  });
}

CPPVISA_C_API ViStatus viGpibSendIFC(ViSession vi) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    return r.backend->gpib_send_ifc(vi);
  });
}

CPPVISA_C_API ViStatus viGpibCommand(ViSession vi, ViConstBuf cmd, ViUInt32 cnt, ViPUInt32 retCnt) {
  return guarded([&]() -> ViStatus {
    if (retCnt) *retCnt = 0;
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (cmd == nullptr && cnt > 0) return VI_ERROR_INV_PARAMETER;
    std::size_t count = 0;
    st = r.backend->gpib_command(vi, std::as_bytes(std::span(cmd, cnt)), count);
    if (retCnt) *retCnt = static_cast<ViUInt32>(count);
    return st;
  });
}

CPPVISA_C_API ViStatus viGpibPassControl(ViSession vi, ViUInt16 primAddr, ViUInt16 secAddr) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    return r.backend->gpib_pass_control(vi, primAddr, secAddr);
  });
}

CPPVISA_C_API ViStatus viUsbControlOut(ViSession vi, ViInt16 bmRequestType, ViInt16 bRequest, ViUInt16 wValue,
                                       ViUInt16 wIndex, ViUInt16 wLength, ViConstBuf buf) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (buf == nullptr && wLength > 0) return VI_ERROR_INV_PARAMETER;
    return r.backend->usb_control_out(vi, bmRequestType, bRequest, wValue, wIndex,
                                      std::as_bytes(std::span(buf, wLength)));
  });
}

CPPVISA_C_API ViStatus viUsbControlIn(ViSession vi, ViInt16 bmRequestType, ViInt16 bRequest, ViUInt16 wValue,
                                      ViUInt16 wIndex, ViUInt16 wLength, ViPBuf buf, ViPUInt16 retCnt) {
  return guarded([&]() -> ViStatus {
    if (retCnt) *retCnt = 0;
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (buf == nullptr && wLength > 0) return VI_ERROR_INV_PARAMETER;
    std::size_t count = 0;
    st = r.backend->usb_control_in(vi, bmRequestType, bRequest, wValue, wIndex,
                                   std::as_writable_bytes(std::span(buf, wLength)), count);
    if (retCnt) *retCnt = static_cast<ViUInt16>(count);
    return st;
  });
}

CPPVISA_C_API ViStatus viVxiCommandQuery(ViSession vi, ViUInt16, ViUInt32, ViPUInt32) {
  return guarded([&] { return unsupported(vi); });
}
CPPVISA_C_API ViStatus viAssertUtilSignal(ViSession vi, ViUInt16) { return guarded([&] { return unsupported(vi); }); }
CPPVISA_C_API ViStatus viAssertIntrSignal(ViSession vi, ViInt16, ViUInt32) {
  return guarded([&] { return unsupported(vi); });
}
CPPVISA_C_API ViStatus viMapTrigger(ViSession vi, ViInt16, ViInt16, ViUInt16) {
  return guarded([&] { return unsupported(vi); });
}
CPPVISA_C_API ViStatus viUnmapTrigger(ViSession vi, ViInt16, ViInt16) { return guarded([&] { return unsupported(vi); }); }
CPPVISA_C_API ViStatus viPxiReserveTriggers(ViSession vi, ViInt16, ViAInt16, ViAInt16, ViPInt16) {
  return guarded([&] { return unsupported(vi); });
}

// ---- register-based access ----
#define CPPVISA_IN_OUT(bits, offset_type, suffix)                                                          \
  CPPVISA_C_API ViStatus viIn##bits##suffix(ViSession vi, ViUInt16, offset_type, ViPUInt##bits) {         \
    return guarded([&] { return unsupported(vi); });                                                      \
  }                                                                                                       \
  CPPVISA_C_API ViStatus viOut##bits##suffix(ViSession vi, ViUInt16, offset_type, ViUInt##bits) {         \
    return guarded([&] { return unsupported(vi); });                                                      \
  }                                                                                                       \
  CPPVISA_C_API ViStatus viMoveIn##bits##suffix(ViSession vi, ViUInt16, offset_type, ViBusSize, ViAUInt##bits) { \
    return guarded([&] { return unsupported(vi); });                                                      \
  }                                                                                                       \
  CPPVISA_C_API ViStatus viMoveOut##bits##suffix(ViSession vi, ViUInt16, offset_type, ViBusSize, ViAUInt##bits) { \
    return guarded([&] { return unsupported(vi); });                                                      \
  }
CPPVISA_IN_OUT(8, ViBusAddress, )
CPPVISA_IN_OUT(16, ViBusAddress, )
CPPVISA_IN_OUT(32, ViBusAddress, )
CPPVISA_IN_OUT(64, ViBusAddress, )
CPPVISA_IN_OUT(8, ViBusAddress64, Ex)
CPPVISA_IN_OUT(16, ViBusAddress64, Ex)
CPPVISA_IN_OUT(32, ViBusAddress64, Ex)
CPPVISA_IN_OUT(64, ViBusAddress64, Ex)
#undef CPPVISA_IN_OUT

CPPVISA_C_API ViStatus viMove(ViSession vi, ViUInt16, ViBusAddress, ViUInt16, ViUInt16, ViBusAddress, ViUInt16, ViBusSize) {
  return guarded([&] { return unsupported(vi); });
}
CPPVISA_C_API ViStatus viMoveAsync(ViSession vi, ViUInt16, ViBusAddress, ViUInt16, ViUInt16, ViBusAddress, ViUInt16,
                                   ViBusSize, ViPJobId jobId) {
  if (jobId) *jobId = VI_NULL;
  return guarded([&] { return unsupported(vi); });
}
CPPVISA_C_API ViStatus viMoveEx(ViSession vi, ViUInt16, ViBusAddress64, ViUInt16, ViUInt16, ViBusAddress64, ViUInt16,
                                ViBusSize) {
  return guarded([&] { return unsupported(vi); });
}
CPPVISA_C_API ViStatus viMoveAsyncEx(ViSession vi, ViUInt16, ViBusAddress64, ViUInt16, ViUInt16, ViBusAddress64,
                                     ViUInt16, ViBusSize, ViPJobId jobId) {
  if (jobId) *jobId = VI_NULL;
  return guarded([&] { return unsupported(vi); });
}

CPPVISA_C_API ViStatus viMapAddress(ViSession vi, ViUInt16, ViBusAddress, ViBusSize, ViBoolean, ViAddr, ViPAddr address) {
  if (address) *address = nullptr;
  return guarded([&] { return unsupported(vi); });
}
CPPVISA_C_API ViStatus viMapAddressEx(ViSession vi, ViUInt16, ViBusAddress64, ViBusSize, ViBoolean, ViAddr,
                                      ViPAddr address) {
  if (address) *address = nullptr;
  return guarded([&] { return unsupported(vi); });
}
CPPVISA_C_API ViStatus viUnmapAddress(ViSession vi) {
  return guarded([&]() -> ViStatus {
    Route r = Library::instance().route(vi);
    if (r.kind == Route::Kind::none) return VI_ERROR_INV_OBJECT;
    return r.kind == Route::Kind::session ? VI_ERROR_WINDOW_NMAPPED : VI_ERROR_NSUP_OPER;
  });
}

// viPeek/viPoke have no status (VPP-4.3): without a mapped window there is nothing to access;
// a peek yields 0 and the address is never dereferenced.
CPPVISA_C_API void viPeek8(ViSession, ViAddr, ViPUInt8 val8) { if (val8) *val8 = 0; }
CPPVISA_C_API void viPoke8(ViSession, ViAddr, ViUInt8) {}
CPPVISA_C_API void viPeek16(ViSession, ViAddr, ViPUInt16 val16) { if (val16) *val16 = 0; }
CPPVISA_C_API void viPoke16(ViSession, ViAddr, ViUInt16) {}
CPPVISA_C_API void viPeek32(ViSession, ViAddr, ViPUInt32 val32) { if (val32) *val32 = 0; }
CPPVISA_C_API void viPoke32(ViSession, ViAddr, ViUInt32) {}
CPPVISA_C_API void viPeek64(ViSession, ViAddr, ViPUInt64 val64) { if (val64) *val64 = 0; }
CPPVISA_C_API void viPoke64(ViSession, ViAddr, ViUInt64) {}

CPPVISA_C_API ViStatus viMemAlloc(ViSession vi, ViBusSize, ViPBusAddress offset) {
  if (offset) *offset = 0;
  return guarded([&] { return unsupported(vi); });
}
CPPVISA_C_API ViStatus viMemFree(ViSession vi, ViBusAddress) { return guarded([&] { return unsupported(vi); }); }
CPPVISA_C_API ViStatus viMemAllocEx(ViSession vi, ViBusSize, ViPBusAddress64 offset) {
  if (offset) *offset = 0;
  return guarded([&] { return unsupported(vi); });
}
CPPVISA_C_API ViStatus viMemFreeEx(ViSession vi, ViBusAddress64) { return guarded([&] { return unsupported(vi); }); }

// Some programs link against viGetDefaultRM, which visa.h defines as a macro (LibreVisa exports it).
#undef viGetDefaultRM
CPPVISA_C_API ViStatus viGetDefaultRM(ViPSession vi) { return viOpenDefaultRM(vi); }
