// server::ServedDevice: what a protocol server (VXI-11, raw socket, later HiSLIP/USBTMC gadgets)
// needs from the instrument it puts on the network. VISA-shaped and minimal: the src/server
// adapter implements it over any cppvisa session; tests implement it with a fake device.
//
// Threading: a server may call read() and write() of one device from different threads (several
// clients, or one connection reading while another writes); implementations serialise as their
// instrument requires. abort() may be called from any thread while another call is blocked.
#pragma once

#include "core/deadline.hpp"

#include <cppvisa/status.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

namespace cppvisa::server {

/// Why a ServedDevice::read() stopped (several may be true).
struct ReadResult {
  std::size_t count = 0;   ///< bytes stored in the buffer
  bool end = false;        ///< the last byte stored carries END (end of a message)
  bool termchar = false;   ///< the last byte stored is the requested termination character
};

class ServedDevice {
 public:
  virtual ~ServedDevice() = default;

  /// Writes bytes to the instrument; `end`: the last byte ends the message (EOI/END).
  /// `count` = bytes accepted, also on error. Returns SUCCESS, ERROR_TMO, ERROR_ABORT, ERROR_IO...
  virtual status_t write(std::span<const std::byte> data, bool end, std::size_t& count, core::Deadline deadline) = 0;

  /// Reads up to buffer.size() bytes of instrument output. Stops after END, after `termchar`
  /// (when given), or when the buffer is full; bytes after the stop stay in the device for the next
  /// read. On ERROR_TMO (nothing more came before the deadline) `result.count` holds the bytes
  /// stored so far. A deadline already due means "return what is available now".
  virtual status_t read(std::span<std::byte> buffer, std::optional<std::byte> termchar, ReadResult& result,
                        core::Deadline deadline) = 0;

  /// The IEEE 488.2 status byte (serial poll). Default: ERROR_NSUP_OPER.
  virtual status_t read_stb(std::uint8_t& stb, core::Deadline deadline);
  /// Group execute trigger. Default: ERROR_NSUP_OPER.
  virtual status_t trigger(core::Deadline deadline);
  /// Device clear (discards pending input/output). Default: ERROR_NSUP_OPER.
  virtual status_t clear(core::Deadline deadline);
  /// Remote / local (GPIB REN / GTL). Default: ERROR_NSUP_OPER.
  virtual status_t remote(core::Deadline deadline);
  virtual status_t local(core::Deadline deadline);

  /// Makes a read() or write() blocked in another thread return ERROR_ABORT soon. Default: nothing
  /// (the blocked call then ends at its deadline).
  virtual void abort() {}

  /// Installs the function to call when the instrument requests service (SRQ); an empty function
  /// removes it. One handler per device; a later call replaces the earlier one. The handler may be
  /// called from any thread and must not block. Default: the device never requests service.
  virtual void set_service_request_handler(std::function<void()> handler);

  /// A human-readable description (e.g. the resource served), for logs and visa-serve's output.
  virtual std::string description() const { return {}; }
};

inline status_t ServedDevice::read_stb(std::uint8_t&, core::Deadline) { return status::ERROR_NSUP_OPER; }
inline status_t ServedDevice::trigger(core::Deadline) { return status::ERROR_NSUP_OPER; }
inline status_t ServedDevice::clear(core::Deadline) { return status::ERROR_NSUP_OPER; }
inline status_t ServedDevice::remote(core::Deadline) { return status::ERROR_NSUP_OPER; }
inline status_t ServedDevice::local(core::Deadline) { return status::ERROR_NSUP_OPER; }
inline void ServedDevice::set_service_request_handler(std::function<void()>) {}

}  // namespace cppvisa::server
