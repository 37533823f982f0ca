// vicp::VicpSession: VICP[board]::host[:port]::INSTR, a Teledyne LeCroy oscilloscope over VICP
// (docs/vicp.md).
// - connect with the open timeout to port 1861 (or the port after the host), TCP_NODELAY;
// - write: one block per viWrite (split at 1 GiB), EOI on the last block when
//   VI_ATTR_SEND_END_EN, REMOTE/LOCKOUT bits as set by viGpibControlREN, VICP 1a sequence
//   numbers (the instrument echoes them: blocks of an older response are dropped, so that a new
//   query never reads the answer of one interrupted before);
// - read: through core::MessageReader; payloads go straight into the caller's buffer (a block's
//   header is read, then up to the rest of its payload into the buffer); END = the EOI bit of
//   the block whose last byte was read; a header that is not VICP (version, DATA bit) means the
//   stream is out of step: VI_ERROR_IO and the connection is closed (later calls:
//   VI_ERROR_CONN_LOST). A partial header or payload at a timeout is kept: no desynchronisation;
// - viClear: a CLEAR block; unread and in-flight response blocks are dropped;
// - viReadSTB: VICP 1a out-of-band request ('S' as TCP urgent data, the status byte comes back
//   as urgent data) once the instrument has shown 1a sequence numbers, else the VICP 1 in-band
//   request (a SERIALPOLL block; unread output is discarded first, the answer is the next block;
//   the next message is numbered anew, so that a late status byte is dropped as an old block);
// - service requests: SRQ blocks (payload "1") raise VI_EVENT_SERVICE_REQ; while the event is
//   enabled, a monitor thread also takes them when no read is in progress;
// - viGpibControlREN: REMOTE / LOCKOUT bits (sent at once in an empty block);
// - abort() (viTerminate) wakes a blocked call: VI_ERROR_ABORT.
#pragma once

#include "core/message_reader.hpp"
#include "core/session.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/vicp/vicp_wire.hpp"

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

namespace cppvisa::vicp {

class VicpSession : public core::Session {
 public:
  explicit VicpSession(const ResourceName& name);
  ~VicpSession() override;

  status_t connect(core::Deadline deadline) override;
  void disconnect() override;
  status_t read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) override;
  status_t write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) override;
  status_t read_stb(std::uint16_t& stb, core::Deadline deadline) override;
  status_t clear(core::Deadline deadline) override;
  status_t flush(std::uint16_t mask, core::Deadline deadline) override;
  status_t gpib_control_ren(RenMode mode, core::Deadline deadline) override;
  void event_enabled(event_type_t type) override;
  status_t abort() override;
  core::OutputState output_state() override;

 protected:
  void attribute_changed(attr_id_t id, const AttrValue& value) override;

 private:
  class Source;
  // Receive side (rx_mutex_ held).
  status_t next_block(core::Deadline deadline, bool wait);  // until a data block with payload is current
  status_t skip_pending(core::Deadline deadline);
  status_t broken(status_t st);
  void drop_current_response();
  // Send side (rx_mutex_ held too: the sequence state is shared with the receive side).
  status_t send_block(std::uint8_t bits, std::span<const std::byte> payload, core::Deadline deadline);
  std::uint8_t mode_bits() const noexcept;
  status_t serial_poll_oob(std::uint8_t& stb, core::Deadline deadline);
  status_t serial_poll_in_band(std::uint8_t& stb, core::Deadline deadline);
  void monitor();

  net::Socket socket_;
  core::MessageReader reader_;
  std::unique_ptr<Source> source_;
  std::mutex rx_mutex_;
  std::array<std::byte, header_size> header_{};
  std::size_t header_have_ = 0;
  std::uint64_t block_left_ = 0;  // payload bytes of the current block not yet read
  bool block_eoi_ = false;
  std::uint64_t skip_ = 0;        // payload bytes to drop (a stale block, an SRQ block)
  bool srq_flag_next_ = false;    // the next skipped byte is an SRQ block's flag
  std::atomic<bool> v1a_{false};  // the instrument numbers its blocks (VICP 1a)
  std::optional<std::uint8_t> expected_;  // sequence of the response wanted (nullopt: any)
  bool drop_numbered_ = false;            // after a clear: every numbered block is stale
  std::atomic<bool> lost_{false};
  // Send side (the backend's io mutex serialises operations).
  std::uint8_t next_seq_ = 1;
  bool remote_ = false, lockout_ = false;
  // SRQ monitor.
  std::thread monitor_;
  net::Waker monitor_stop_;
  net::Waker waker_;  // abort()
  core::AbortGate gate_{[this] { waker_.wake(); }, [this] { waker_.reset(); }};
};

}  // namespace cppvisa::vicp
