// prologix::Adapter: one open Prologix adapter (a PRLGX-TCPIP or PRLGX-ASRL INTFC), shared by the
// INTFC sessions and by every GPIB<board>::pad[::sad]::INSTR session routed through it.
//
// - Registered by board number while open: GPIB<n> INSTR names reach the adapter of board n
//   (as PyVISA-py routes them). A second INTFC with the same board and another address is
//   refused (VI_ERROR_RSRC_BUSY).
// - One transfer at a time: every operation takes the adapter for its duration (waiting at most
//   until its own deadline: VI_ERROR_TMO), so that address switching (++addr, sent only when the
//   target changes), the settings it depends on (++eoi, ++read_tmo_ms, ++auto 0) and the bytes
//   of the transfer never interleave between threads or sessions.
// - The adapter's settings are managed: set at open (++mode 1, ++auto 0, ++eoi 1, ++eos 3,
//   ++eot_enable 0; ++ver checks it answers) and re-sent after a raw write through the INTFC
//   (which may have changed any of them).
// - Reads: the first read of a response sends "++read eoi"; the adapter then streams the device's
//   bytes until EOI. Prologix does not tell the host where EOI was (data is passed unmodified),
//   so a read ends at the termination character (VI_ATTR_TERMCHAR_EN), when the buffer is full
//   (VI_SUCCESS_MAX_CNT, the rest follows in the next read without a new ++read), or, unless
//   VI_ATTR_SUPPRESS_END_EN, with END when the adapter has sent everything and nothing follows
//   for quiet_ms. A response left unread when another instrument is used is discarded.
// - Service requests: while a session listens, a monitor polls ++srq every srq_poll_ms (only
//   when the adapter is idle) and serial-polls the listening instruments when SRQ is asserted.
#pragma once

#include "core/message_reader.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/prologix/prologix_link.hpp"
#include "protocols/serial/serial_port.hpp"

#include <cppvisa/resource_name.hpp>
#include <cppvisa/status.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace cppvisa::prologix {

/// A GPIB instrument behind the adapter (one per INSTR session).
struct Target {
  int primary = 0;
  std::optional<int> secondary;
  std::uint64_t id = 0;  ///< unique per session (new_target_id())
};
std::uint64_t new_target_id() noexcept;

class Adapter {
 public:
  static constexpr std::uint32_t quiet_ms = 20;
  static constexpr std::uint32_t srq_poll_ms = 100;

  /// The adapter an INTFC name opens: the one already open for this name, or a new connection
  /// configured within `deadline`. Errors: the link's (VI_ERROR_RSRC_NFOUND ...), VI_ERROR_TMO /
  /// VI_ERROR_IO / VI_ERROR_CONN_LOST when it does not answer ++ver properly, VI_ERROR_RSRC_BUSY
  /// when the board number is taken by another adapter.
  static std::shared_ptr<Adapter> open(const ResourceName& intfc, core::Deadline deadline, status_t& st);
  /// The open adapter of board `board`, or nullptr.
  static std::shared_ptr<Adapter> find(int board);

  ~Adapter();
  Adapter(const Adapter&) = delete;
  Adapter& operator=(const Adapter&) = delete;

  int board() const noexcept { return board_; }
  const std::string& version() const noexcept { return version_; }
  const std::string& intfc_name() const noexcept { return name_; }

  // ---- instrument operations (each takes the adapter for its duration) ----
  /// Sends `data` to the target (escaped; EOI with the last byte when `eoi`).
  status_t write(const Target& t, std::span<const std::byte> data, bool eoi, std::size_t& count,
                 core::Deadline deadline, const net::Waker* cancel);
  /// Reads the target's response (see the file comment for where a read ends).
  status_t read(const Target& t, core::MessageReader& reader, std::span<std::byte> buffer, std::size_t& count,
                const core::ReadTermination& term, core::Deadline deadline, const net::Waker* cancel);
  /// Sends an adapter command (e.g. "++clr") for the target (nullptr: no addressing).
  status_t command(const Target* t, std::string_view text, core::Deadline deadline, const net::Waker* cancel);
  /// Sends a command and reads its one-line reply. VI_ERROR_IO for an over-long line.
  status_t query(const Target* t, std::string_view text, std::string& reply, core::Deadline deadline,
                 const net::Waker* cancel);
  /// Serial poll (++spoll): VI_ERROR_IO when the reply is not a number 0..255.
  status_t serial_poll(const Target& t, std::uint8_t& stb, core::Deadline deadline, const net::Waker* cancel);

  // ---- the INTFC's raw access (the user talks to the adapter itself) ----
  status_t raw_write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline,
                     const net::Waker* cancel);
  status_t raw_read(core::MessageReader& reader, std::span<std::byte> buffer, std::size_t& count,
                    const core::ReadTermination& term, core::Deadline deadline, const net::Waker* cancel);
  /// Drops received bytes not yet read.
  status_t discard_input(core::Deadline deadline);

  // ---- service requests ----
  /// Calls `on_srq` (from the monitor thread) when the target's serial poll shows RQS; the
  /// status byte polled is passed on. Returns an id for remove_srq_listener.
  std::uint64_t add_srq_listener(const Target& t, std::function<void(std::uint8_t)> on_srq);
  void remove_srq_listener(std::uint64_t id);

 private:
  Adapter(std::string name, int board, std::unique_ptr<Link> link);
  class Source;
  struct Held;
  status_t configure(core::Deadline deadline);  // mode, auto, eoi, eos, eot, ver
  // Under the adapter's lock:
  status_t send_text(std::string_view text, core::Deadline deadline, const net::Waker* cancel);
  /// Sends bytes after closing a data line cut by an earlier failure.
  status_t send_bytes(std::span<const std::byte> bytes, core::Deadline deadline, const net::Waker* cancel,
                      std::size_t& sent);
  status_t select(const Target* t, core::Deadline deadline, const net::Waker* cancel);
  status_t drain_stale(core::Deadline deadline, const net::Waker* cancel);
  status_t read_reply(std::string& reply, core::Deadline deadline, const net::Waker* cancel);
  status_t ensure_settings(core::Deadline deadline, const net::Waker* cancel);
  status_t failed(status_t st);
  void monitor();

  const std::string name_;
  const int board_;
  std::unique_ptr<Link> link_;
  std::string version_;
  serial::DeadlineLock lock_;
  // Adapter state as last set (guarded by lock_).
  bool settings_known_ = false;        // ++auto 0 / ++eos 3 / ++eot_enable 0 / ++mode 1 in force
  std::optional<std::pair<int, int>> address_;  // (pad, sad or -1)
  std::optional<bool> eoi_;
  std::optional<std::uint32_t> read_tmo_;
  std::uint64_t streaming_ = 0;         // target whose ++read may still be sending (unknown_stream: a read failed)
  std::string close_line_;              // ends a data line cut by a failed send, before anything else
  std::atomic<bool> lost_{false};
  // SRQ monitor.
  std::mutex srq_mutex_;
  std::mutex callback_mutex_;  // held while a listener is called (remove_srq_listener waits for it)
  std::condition_variable srq_changed_;
  struct Listener {
    Target target;
    std::function<void(std::uint8_t)> on_srq;
  };
  std::map<std::uint64_t, Listener> listeners_;
  std::uint64_t next_listener_ = 1;
  bool stopping_ = false;
  std::thread monitor_;
};

}  // namespace cppvisa::prologix
