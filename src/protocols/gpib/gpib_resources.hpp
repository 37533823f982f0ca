// gpib resources: the native transport table's hooks for GPIB over linux-gpib.
#pragma once

#include "core/session.hpp"

#include <cppvisa/resource_name.hpp>
#include <cppvisa/status.hpp>

#include <memory>
#include <string>
#include <vector>

namespace cppvisa::gpib {

/// A new, unconnected session for GPIB INSTR or INTFC; VI_ERROR_NSUP_OPER for other names,
/// VI_ERROR_INTF_NUM_NCONFIG for a board number beyond linux-gpib's 16.
std::unique_ptr<core::Session> make_session(const ResourceName& name, status_t& st);

/// "GPIB<b>::INTFC" for each board that answers, and its listeners (FindLstn over primary
/// addresses 0..30 but the board's own, secondary addresses where a primary one is silent).
std::vector<std::string> list_resources();

/// nullptr when libgpib is loaded, else why not (a text that lives as long as the process).
const char* unavailable();
/// Where libgpib was found ("libgpib: /usr/local/lib/libgpib.so.0"), or nullptr.
const char* found_at();

}  // namespace cppvisa::gpib
