// prologix::Link: the byte pipe to a Prologix adapter: TCP (GPIB-ETHERNET, PRLGX-TCPIP) or a
// serial device (GPIB-USB's FTDI port, PRLGX-ASRL). The adapter's framing lives above it.
#pragma once

#include "core/deadline.hpp"
#include "protocols/net/socket.hpp"

#include <cppvisa/resource_name.hpp>
#include <cppvisa/status.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace cppvisa::prologix {

class Link {
 public:
  virtual ~Link() = default;
  /// Sends everything. VI_ERROR_TMO, VI_ERROR_CONN_LOST, VI_ERROR_ABORT (`cancel` woken);
  /// `sent` gets the bytes sent, also on error.
  virtual status_t send(std::span<const std::byte> data, core::Deadline deadline, const net::Waker* cancel,
                        std::size_t& sent) = 0;
  /// Receives 1..buffer.size() bytes. VI_ERROR_TMO with nothing, VI_ERROR_CONN_LOST, VI_ERROR_ABORT.
  virtual status_t receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count,
                           const net::Waker* cancel) = 0;
  /// Drops whatever was received and not read.
  virtual void discard_input() = 0;
  /// Makes calls blocked in other threads return (the link is closing).
  virtual void shutdown() = 0;
};

/// Connects the link a PRLGX-TCPIP or PRLGX-ASRL INTFC name says: TCP to host:port (1234 by
/// default; VI_ERROR_RSRC_NFOUND when refused or unknown, VI_ERROR_TMO at the deadline), or the
/// serial device in raw mode at 115200 baud (VI_ERROR_RSRC_NFOUND, VI_ERROR_RSRC_BUSY,
/// VI_ERROR_NPERMISSION as for ASRL).
std::unique_ptr<Link> connect_link(const ResourceName& intfc, core::Deadline deadline, status_t& st);

}  // namespace cppvisa::prologix
