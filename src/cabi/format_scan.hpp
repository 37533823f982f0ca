// The input side of VISA formatted I/O (viScanf, viSScanf and their viV* forms).
#pragma once

#include "cabi/format_args.hpp"
#include "core/block_reader.hpp"

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
  bool end_seen = true;           ///< the last refill ended with END (not the termination character)

  bool empty() const noexcept { return pos >= data.size(); }
  void clear() noexcept {
    data.clear();
    pos = 0;
    message_complete = true;
    end_seen = true;
  }
};

/// Reads more bytes from the device into `buffer.data` (which the caller has emptied) and sets
/// `buffer.message_complete`. Returns the read's status (errors stop the scan).
using RefillFn = std::function<status_t(ReadBuffer& buffer)>;

/// The device behind a session's read buffer, for binary blocks (`%b`, `%B`): their data follow
/// the block header's length whatever the termination character (core::read_block, the same
/// implementation as the C++ API's read_binary_values).
struct BlockDevice {
  core::BlockReadFn read;                  ///< one viRead of the session (bounded by the call's deadline)
  std::function<void()> before_data;      ///< core::BlockSpec::before_data (e.g. termination character off)
  std::function<void()> after_block;      ///< called after every block read (e.g. termination character back on)
  bool termchar_ends_indefinite = false;  ///< core::BlockSpec::termchar_ends_indefinite
};

/// Parses `buffer` (refilled through `refill` when given) with the format, storing through the
/// pointers in `args`. A conversion that does not match stops the scan with VI_SUCCESS (as C's
/// scanf: the remaining arguments are left untouched); a format error gives VI_ERROR_INV_FMT /
/// VI_ERROR_NSUP_FMT; a failed refill gives the read's error (e.g. VI_ERROR_TMO).
/// `assigned`, when given, receives the number of conversions stored. `device`, when given,
/// reads the data of binary blocks; without it (viSScanf) a block must be whole in `buffer`.
/// A block cut short is an error (VI_ERROR_INV_LENGTH or the read's error), never VI_SUCCESS.
status_t format_scan(std::string_view fmt, ArgSource& args, ReadBuffer& buffer, const RefillFn& refill,
                     int* assigned = nullptr, const BlockDevice* device = nullptr);

}  // namespace cppvisa::cabi
