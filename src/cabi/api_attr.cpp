// Attributes and status descriptions: viGetAttribute, viSetAttribute, viStatusDesc.
// viGetAttribute writes exactly the attribute's native width (attributes.def), viSetAttribute
// truncates the 64-bit ViAttrState to it (PyVISA 1.11.3 zero-extends -1); cppvisa's writable string
// attributes (VI_ATTR_CPPVISA_*) take a `const char*` in it.
#include "cabi/guard.hpp"
#include "core/error_detail.hpp"

#include <cppvisa/attributes.hpp>
#include <cppvisa/version.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <variant>

using namespace cppvisa;
using namespace cppvisa::cabi;

namespace {

/// Longest value viSetAttribute takes for a writable string attribute (a path, a fingerprint,
/// credentials): a bound on how far a pointer from the caller is read.
constexpr std::size_t max_string_attribute = 4096;

/// The caller's buffer for a string attribute in viGetAttribute (ViChar[256], NUL included).
constexpr std::size_t visa_string_buffer = 256;

// Writes an attribute value into the caller's memory with the attribute's C width.
ViStatus write_value(const AttrInfo& info, const AttrValue& value, void* out) {
  if (info.type == AttrType::STRING || info.type == AttrType::BYTES) {
    std::string text;
    if (auto* s = std::get_if<std::string>(&value)) text = *s;
    else text = std::to_string(std::get<std::int64_t>(value));
    if (info.type == AttrType::STRING) {
      // viGetAttribute has no size argument: by VISA convention a string attribute is read into
      // the caller's ViChar[256] (NI-VISA's documentation, PyVISA's ctypes wrapper), so nothing
      // longer is ever written there. A value that does not fit (cppvisa's writable strings take
      // up to 4096 bytes: a long CA file path from viSetAttribute or the resource options) is
      // VI_ERROR_USER_BUF ("the user buffer cannot be accessed for the required size"), never a
      // cut one: a truncated path names another file. The buffer gets "" so that a caller
      // ignoring the status reads no stale or partial text; the C++ API returns the whole value.
      if (text.size() >= visa_string_buffer) {
        copy_out(static_cast<char*>(out), std::string());
        return core::fail(VI_ERROR_USER_BUF,
                          fmt::format("{} is {} bytes long; viGetAttribute's ViChar[{}] holds {} and the NUL "
                                      "(read it whole through the C++ API)",
                                      info.name, text.size(), visa_string_buffer, visa_string_buffer - 1));
      }
      copy_out(static_cast<char*>(out), text);
    } else {
      // byte arrays (USB_RECV_INTR_DATA, TCPIP_SERVER_CERT): the caller sized the buffer from the
      // companion size attribute
      std::memcpy(out, text.data(), text.size());
    }
    return VI_SUCCESS;
  }
  auto* number = std::get_if<std::int64_t>(&value);
  if (number == nullptr) return VI_ERROR_NSUP_ATTR;
  std::int64_t v = *number;
  switch (info.type) {
    case AttrType::U8: { auto x = static_cast<std::uint8_t>(v); std::memcpy(out, &x, sizeof x); break; }
    case AttrType::U16: case AttrType::I16: case AttrType::BOOL: {
      auto x = static_cast<std::uint16_t>(v);
      std::memcpy(out, &x, sizeof x);
      break;
    }
    case AttrType::U32: case AttrType::I32: { auto x = static_cast<std::uint32_t>(v); std::memcpy(out, &x, sizeof x); break; }
    case AttrType::U64: case AttrType::PTR: { auto x = static_cast<std::uint64_t>(v); std::memcpy(out, &x, sizeof x); break; }
    default: return VI_ERROR_NSUP_ATTR;
  }
  return VI_SUCCESS;
}

// Attributes of an IO_COMPLETION event context (served by the C layer).
ViStatus io_event_attribute(const IoEvent& ev, ViAttr attr, AttrValue& value) {
  switch (attr) {
    case VI_ATTR_EVENT_TYPE: value = std::int64_t{VI_EVENT_IO_COMPLETION}; return VI_SUCCESS;
    case VI_ATTR_STATUS: value = std::int64_t{ev.status}; return VI_SUCCESS;
    case VI_ATTR_JOB_ID: value = std::int64_t{ev.job_id}; return VI_SUCCESS;
    case VI_ATTR_BUFFER: value = static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(ev.buffer)); return VI_SUCCESS;
    case VI_ATTR_RET_COUNT_32: case VI_ATTR_RET_COUNT_64: value = static_cast<std::int64_t>(ev.count); return VI_SUCCESS;
    case VI_ATTR_OPER_NAME: value = ev.operation; return VI_SUCCESS;
    default: return VI_ERROR_NSUP_ATTR;
  }
}

// Attributes the C layer keeps for an I/O session; VI_ERROR_NSUP_ATTR means "ask the backend".
ViStatus session_attribute(SessionState& s, ViAttr attr, AttrValue& value) {
  switch (attr) {
    case VI_ATTR_RM_SESSION: value = std::int64_t{s.rm}; return VI_SUCCESS;
    case VI_ATTR_RD_BUF_SIZE: { std::lock_guard l(s.io_mutex); value = std::int64_t{s.read_buffer_size}; return VI_SUCCESS; }
    case VI_ATTR_WR_BUF_SIZE: { std::lock_guard l(s.io_mutex); value = std::int64_t{s.write_buffer_size}; return VI_SUCCESS; }
    case VI_ATTR_RD_BUF_OPER_MODE: { std::lock_guard l(s.io_mutex); value = std::int64_t{s.read_oper_mode}; return VI_SUCCESS; }
    case VI_ATTR_WR_BUF_OPER_MODE: { std::lock_guard l(s.io_mutex); value = std::int64_t{s.write_oper_mode}; return VI_SUCCESS; }
    default: return VI_ERROR_NSUP_ATTR;
  }
}

// What a resource manager reports when its backends do not say.
ViStatus rm_fallback_attribute(ViAttr attr, AttrValue& value) {
  switch (attr) {
    case VI_ATTR_RM_SESSION: value = std::int64_t{VI_NULL}; return VI_SUCCESS;
    case VI_ATTR_RSRC_NAME: value = std::string(); return VI_SUCCESS;
    case VI_ATTR_RSRC_CLASS: value = std::string(); return VI_SUCCESS;
    case VI_ATTR_RSRC_MANF_NAME: value = std::string(manufacturer_name); return VI_SUCCESS;
    case VI_ATTR_RSRC_SPEC_VERSION: value = std::int64_t{VI_SPEC_VERSION}; return VI_SUCCESS;
    case VI_ATTR_RSRC_LOCK_STATE: value = std::int64_t{VI_NO_LOCK}; return VI_SUCCESS;
    case VI_ATTR_RSRC_IMPL_VERSION: value = std::int64_t{implementation_version}; return VI_SUCCESS;
    case VI_ATTR_MAX_QUEUE_LENGTH: value = std::int64_t{50}; return VI_SUCCESS;
    default: return VI_ERROR_NSUP_ATTR;
  }
}

}  // namespace

CPPVISA_C_API ViStatus viGetAttribute(ViObject vi, ViAttr attrName, void* attrValue) {
  return guarded([&]() -> ViStatus {
    Route r = Library::instance().route(vi);
    if (r.kind == Route::Kind::none) return VI_ERROR_INV_OBJECT;
    if (attrValue == nullptr) return VI_ERROR_INV_PARAMETER;
    // The width of the value is known only for attributes of the table.
    const AttrInfo* info = find_attribute(attrName);
    if (info == nullptr) return VI_ERROR_NSUP_ATTR;
    AttrValue value;
    ViStatus st = VI_ERROR_NSUP_ATTR;
    switch (r.kind) {
      case Route::Kind::rm:
        // The resource manager describes libvisa.so itself (pyvisa-info shows these).
        if (attrName == VI_ATTR_RM_SESSION || attrName == VI_ATTR_RSRC_MANF_NAME ||
            attrName == VI_ATTR_RSRC_IMPL_VERSION || attrName == VI_ATTR_RSRC_SPEC_VERSION) {
          st = rm_fallback_attribute(attrName, value);
        } else {
          const auto& [backend, part] = r.rm->parts.front();
          st = backend->get_attribute(part, attrName, value);
          if (st < 0 && rm_fallback_attribute(attrName, value) == VI_SUCCESS) st = VI_SUCCESS;
        }
        break;
      case Route::Kind::find_list: return VI_ERROR_NSUP_ATTR;
      case Route::Kind::io_event: st = io_event_attribute(*r.io_event, attrName, value); break;
      case Route::Kind::session:
        st = session_attribute(*r.session, attrName, value);
        if (st == VI_ERROR_NSUP_ATTR) st = r.backend->get_attribute(vi, attrName, value);
        break;
      case Route::Kind::backend_object: st = r.backend->get_attribute(vi, attrName, value); break;
      case Route::Kind::none: return VI_ERROR_INV_OBJECT;
    }
    if (st < 0) return st;
    ViStatus written = write_value(*info, value, attrValue);
    return written < 0 ? written : st;
  });
}

CPPVISA_C_API ViStatus viSetAttribute(ViObject vi, ViAttr attrName, ViAttrState attrValue) {
  return guarded([&]() -> ViStatus {
    Route r = Library::instance().route(vi);
    if (r.kind == Route::Kind::none) return VI_ERROR_INV_OBJECT;
    const AttrInfo* info = find_attribute(attrName);
    if (info == nullptr) return VI_ERROR_NSUP_ATTR;
    AttrValue value;
    if (info->type == AttrType::STRING || info->type == AttrType::BYTES) {
      // The standard's string and byte-array attributes (0xBFFF....) are never settable (VPP-4.3
      // §3.3). cppvisa's writable string attributes (VI_ATTR_CPPVISA_TLS_CA_FILE, ...) take the
      // address of a NUL-terminated string in ViAttrState (VI_NULL = ""), read here and copied.
      if (info->read_only || info->type == AttrType::BYTES) return VI_ERROR_ATTR_READONLY;
      const char* text = reinterpret_cast<const char*>(static_cast<std::uintptr_t>(attrValue));
      const std::size_t length = text ? ::strnlen(text, max_string_attribute + 1) : 0;
      if (length > max_string_attribute)
        return core::fail(VI_ERROR_NSUP_ATTR_STATE,
                          fmt::format("{}: longer than {} bytes (or not NUL-terminated)", info->name,
                                      max_string_attribute));
      value = std::string(text ? text : "", length);
    } else {
      value = normalize_attr_integer(info->type, attrValue);
    }
    const auto* number = std::get_if<std::int64_t>(&value);
    const std::int64_t v = number ? *number : 0;
    switch (r.kind) {
      case Route::Kind::rm: {
        if (attrName == VI_ATTR_RM_SESSION) return VI_ERROR_ATTR_READONLY;
        ViStatus result = VI_SUCCESS;
        bool first = true;
        for (auto& [backend, part] : r.rm->parts) {
          ViStatus st = backend->set_attribute(part, attrName, value);
          if (first) result = st;
          first = false;
        }
        return result;
      }
      case Route::Kind::find_list: return VI_ERROR_NSUP_ATTR;
      case Route::Kind::io_event: return io_event_attribute(*r.io_event, attrName, value) == VI_SUCCESS
                                             ? VI_ERROR_ATTR_READONLY : VI_ERROR_NSUP_ATTR;
      case Route::Kind::backend_object: return r.backend->set_attribute(vi, attrName, value);
      case Route::Kind::session: break;
      case Route::Kind::none: return VI_ERROR_INV_OBJECT;
    }
    SessionState& s = *r.session;
    switch (attrName) {
      case VI_ATTR_RM_SESSION: case VI_ATTR_RD_BUF_SIZE: case VI_ATTR_WR_BUF_SIZE: return VI_ERROR_ATTR_READONLY;
      case VI_ATTR_RD_BUF_OPER_MODE: {
        if (v != VI_FLUSH_ON_ACCESS && v != VI_FLUSH_DISABLE) return VI_ERROR_NSUP_ATTR_STATE;
        std::lock_guard l(s.io_mutex);
        s.read_oper_mode = static_cast<std::uint16_t>(v);
        return VI_SUCCESS;
      }
      case VI_ATTR_WR_BUF_OPER_MODE: {
        if (v != VI_FLUSH_ON_ACCESS && v != VI_FLUSH_WHEN_FULL) return VI_ERROR_NSUP_ATTR_STATE;
        std::lock_guard l(s.io_mutex);
        s.write_oper_mode = static_cast<std::uint16_t>(v);
        return VI_SUCCESS;
      }
      default: break;
    }
    ViStatus st = r.backend->set_attribute(vi, attrName, value);
    if (st >= 0 && attrName == VI_ATTR_MAX_QUEUE_LENGTH) {
      std::lock_guard l(s.event_mutex);
      s.max_queue_length = static_cast<std::uint32_t>(v);
    }
    return st;
  });
}

CPPVISA_C_API ViStatus viStatusDesc(ViObject vi, ViStatus status, ViChar desc[]) {
  (void)vi;  // any object, even VI_NULL or a stale handle (programs call it after a failed viOpen)
  return guarded([&]() -> ViStatus {
    if (desc == nullptr) return VI_ERROR_INV_PARAMETER;
    // The cause of this thread's last error, when it is this status (docs/errors.md), within the
    // 256 characters VISA gives the buffer.
    std::string text = status_description(status);
    if (std::string cause = core::detail_for(status); !cause.empty() && status < 0) text += " (" + cause + ")";
    copy_out(desc, text);
    return find_status(status) ? VI_SUCCESS : VI_WARN_UNKNOWN_STATUS;
  });
}
