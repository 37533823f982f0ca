// usbtmc resources for the native backend's transport table: sessions for USB INSTR names and
// the list of USBTMC interfaces present (docs/usb.md).
#pragma once

#include "core/session.hpp"

#include <cppvisa/resource_name.hpp>
#include <cppvisa/status.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::usbtmc {

/// A new, unconnected session for a `USB[board]::vid::pid::serial[::iface]::INSTR` (UsbtmcSession)
/// or `::RAW` (UsbRawSession) name, or nullptr with `st`: VI_ERROR_NSUP_OPER for other interfaces
/// or classes and when built without libusb; VI_ERROR_RSRC_NFOUND when no such device is present.
/// connect() opens the device (VI_ERROR_NPERMISSION naming the udev rule, VI_ERROR_RSRC_BUSY).
std::unique_ptr<core::Session> make_session(const ResourceName& name, status_t& st);

/// Canonical INSTR names of the USBTMC interfaces present now, found in sysfs without opening
/// any device; with `raw`, every other interface as RAW too (for `?*::RAW` searches). Empty when
/// built without libusb.
std::vector<std::string> list_resources(bool raw);
/// list_resources(false): what a transport table's lister calls.
std::vector<std::string> list_resources();

/// Whether USB sessions are available in this build.
bool available() noexcept;
/// Why not, when they are not (for visa-info); empty when available.
std::string_view availability() noexcept;

}  // namespace cppvisa::usbtmc
