// The output side of VISA formatted I/O (viPrintf, viSPrintf and their viV* forms).
#pragma once

#include "cabi/format_args.hpp"

#include <cppvisa/types.hpp>

#include <string>
#include <string_view>

namespace cppvisa::cabi {

/// Formats `fmt` with `args` into `out` (appended), VISA's conversions included (format_spec.hpp).
/// `flush_with_end` is set when the formatted data must be sent now with END: the format ends
/// with a line feed, or it contained an indefinite block (%B) (VPP-4.3.2 viPrintf).
/// Returns VI_SUCCESS, VI_ERROR_INV_FMT, VI_ERROR_NSUP_FMT or VI_ERROR_USER_BUF (null data pointer).
status_t format_print(std::string_view fmt, ArgSource& args, std::string& out, bool& flush_with_end);

}  // namespace cppvisa::cabi
