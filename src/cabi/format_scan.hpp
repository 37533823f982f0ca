// The input side of VISA formatted I/O (viScanf, viSScanf and their viV* forms).
#pragma once

#include "cabi/format_args.hpp"

#include <cppvisa/types.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace cppvisa::cabi {

/// The bytes a scan works on: the session's formatted-I/O read buffer, or a user string.
struct ReadBuffer {
  std::string data;               ///< received bytes
  std::size_t pos = 0;            ///< the next byte to parse
  bool message_complete = true;   ///< the last refill ended with END or the termination character

  bool empty() const noexcept { return pos >= data.size(); }
  void clear() noexcept {
    data.clear();
    pos = 0;
    message_complete = true;
  }
};

/// Reads more bytes from the device into `buffer.data` (which the caller has emptied) and sets
/// `buffer.message_complete`. Returns the read's status (errors stop the scan).
using RefillFn = std::function<status_t(ReadBuffer& buffer)>;

/// Parses `buffer` (refilled through `refill` when given) with the format, storing through the
/// pointers in `args`. A conversion that does not match stops the scan with VI_SUCCESS (as C's
/// scanf: the remaining arguments are left untouched); a format error gives VI_ERROR_INV_FMT /
/// VI_ERROR_NSUP_FMT; a failed refill gives the read's error (e.g. VI_ERROR_TMO).
/// `assigned`, when given, receives the number of conversions stored.
status_t format_scan(std::string_view fmt, ArgSource& args, ReadBuffer& buffer, const RefillFn& refill,
                     int* assigned = nullptr);

}  // namespace cppvisa::cabi
