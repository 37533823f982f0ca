// native::Transport: the native backend's table of protocols, one row per way of reaching an
// instrument (raw socket, VXI-11, HiSLIP, serial, USB, VICP, Prologix, GPIB). The backend
// opens a name with the first row whose `opens` accepts it, lists what the rows' `list` hooks
// find, and shows every row (and why an unavailable one cannot be used) in debug_info.
// Modelled on libsigrok's driver/transport tables (a name plus hooks, optional ones null) and on
// PyVISA-py's `register_unavailable` (a session class that is known but cannot be used, with the
// reason, e.g. a missing dependency, reported when it is asked for).
#pragma once

#include "core/session.hpp"

#include <cppvisa/resource_name.hpp>
#include <cppvisa/status.hpp>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::native {

/// What a listing asks for: the viFindRsrc expression, so that a row can skip work the
/// expression cannot use.
struct ListRequest {
  std::string_view expression = "?*::INSTR";
  /// Whether the expression names the resource class `cls` (case-insensitively). Classes that
  /// cost something to list, or that would flood a listing (every USB device as RAW), are listed
  /// only when named, as in `?*::RAW` or `USB?*RAW`.
  bool names_class(std::string_view cls) const;
};

struct Transport {
  /// Mandatory: the protocol's name for people ("raw socket", "VXI-11", ...).
  const char* name = nullptr;
  /// Mandatory: the names it opens, for people ("TCPIP INSTR (::hislipN)").
  const char* resources = nullptr;
  /// Mandatory: whether this row opens `name` (its interface type, class and name fields).
  bool (*opens)(const ResourceName& name) = nullptr;
  /// Mandatory: a new, unconnected session for a name `opens` accepted, or nullptr with `st`
  /// set (VI_ERROR_RSRC_NFOUND, VI_ERROR_INV_RSRC_NAME ...).
  std::unique_ptr<core::Session> (*create)(const ResourceName& name, status_t& st) = nullptr;
  /// Optional (nullptr: none): canonical names of this transport's resources present on this
  /// machine now (serial ports, USB instruments, GPIB boards and listeners); LAN instruments need
  /// discovery and list nothing here. The backend filters by the expression afterwards.
  std::vector<std::string> (*list)(const ListRequest& request) = nullptr;
  /// Optional (nullptr: always usable): returns nullptr when the transport is usable, else why
  /// not (e.g. "libusb-1.0 not found"). Opening a name of an unavailable row fails with
  /// VI_ERROR_LIBRARY_NFOUND; debug_info shows the reason.
  const char* (*unavailable)() = nullptr;
  /// Optional (nullptr: nothing to add): a line for debug_info when the row is usable, e.g. where
  /// a library loaded at run time was found.
  const char* (*detail)() = nullptr;

  /// The reason this row cannot be used, or nullptr.
  const char* unavailable_reason() const { return unavailable ? unavailable() : nullptr; }
};

/// The built-in rows, in the order they are tried (HiSLIP before VXI-11: both are TCPIP INSTR;
/// "GPIB via Prologix" before any other GPIB row: it takes GPIB<n> INSTR names only while a
/// Prologix adapter of board n is open).
std::span<const Transport> builtin_transports();

/// The first row of `table` that opens `name`, or nullptr.
const Transport* find_transport(std::span<const Transport> table, const ResourceName& name);

}  // namespace cppvisa::native
