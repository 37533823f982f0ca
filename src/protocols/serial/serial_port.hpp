// serial::Port: one open serial device, shared by every session of this process that opens it
// (a second process gets VI_ERROR_RSRC_BUSY). Non-blocking I/O with poll() bounded by deadlines.
#pragma once

#include "core/deadline.hpp"
#include "protocols/serial/input_queue.hpp"
#include "protocols/serial/line_settings.hpp"
#include "protocols/serial/line_watch.hpp"
#include "protocols/net/socket.hpp"

#include <cppvisa/status.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>

namespace cppvisa::serial {

/// A lock whose acquisition gives up at a deadline (std::timed_mutex's try_lock_until goes
/// through pthread_mutex_clocklock, which ThreadSanitizer does not see).
class DeadlineLock {
 public:
  /// Takes the lock, or returns false when `deadline` passes first.
  bool lock_until(core::Deadline deadline);
  void unlock();

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  bool held_ = false;
};

class Port {
 public:
  /// Opens the device at `path` (O_NOCTTY|O_NONBLOCK, TIOCEXCL and an exclusive flock() so that
  /// other processes, root included, get VI_ERROR_RSRC_BUSY), or returns the port this process
  /// already has open for the same device (`first` false). Errors: VI_ERROR_RSRC_NFOUND (no such
  /// device, not a terminal, no UART behind it), VI_ERROR_NPERMISSION, VI_ERROR_RSRC_BUSY.
  static std::shared_ptr<Port> acquire(const std::string& path, status_t& st, bool& first);
  ~Port();
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  /// Waits (until `deadline`) for input, then takes up to `buffer.size()` bytes, stopping after a
  /// byte that carries END under `rule` (`end` true). VI_ERROR_TMO with nothing taken; an
  /// error mark (VI_ERROR_ASRL_PARITY/FRAMING/OVERRUN) when it is next; VI_ERROR_CONN_LOST when
  /// the device hung up or vanished. `cancel_fd` (an eventfd such as net::Waker's, -1 for none):
  /// when it becomes readable while waiting for input, VI_ERROR_ABORT (Session::abort).
  status_t receive(std::span<std::byte> buffer, const EndRule& rule, core::Deadline deadline, std::size_t& count,
                   bool& end, int cancel_fd = -1);
  /// Writes all of `data` unless the deadline passes (or `cancel_fd` is signalled: VI_ERROR_ABORT)
  /// first; `written` counts the bytes taken.
  status_t write(std::span<const std::byte> data, core::Deadline deadline, std::size_t& written, int cancel_fd = -1);
  /// Waits until the output queue is transmitted (VI_ERROR_TMO if flow control holds it).
  status_t drain(core::Deadline deadline, int cancel_fd = -1);
  /// Transmits what is queued, then holds the line in break for `length`.
  status_t send_break(std::chrono::milliseconds length, core::Deadline deadline, int cancel_fd = -1);
  /// Discards received bytes: the kernel's input queue and ours.
  status_t discard_input(core::Deadline deadline);
  /// Discards bytes written but not transmitted.
  status_t discard_output();

  /// Changes the line settings under the port's configuration lock and applies them; nothing
  /// changes when the driver refuses (the status of apply_line_settings()).
  status_t update_settings(const std::function<void(LineSettings&)>& change);
  LineSettings settings() const;
  void set_input_options(const InputQueue::Options& options);

  /// Bytes received and not yet taken (kernel queue + ours; the kernel's count includes PARMRK
  /// doubling of 0xFF bytes). nullopt when the device is gone.
  std::optional<std::size_t> available() const;
  /// TIOCMGET bits, nullopt when the driver has no modem lines (pseudo-terminals).
  std::optional<int> modem_lines() const;
  /// Sets (`on`) or clears TIOCM_* output lines; VI_ERROR_NSUP_ATTR_STATE without modem lines.
  status_t set_modem_lines(int bits, bool on);
  /// Asserts or releases a break (TIOCSBRK / TIOCCBRK).
  status_t set_break(bool on);
  /// Suspends or resumes transmission (tcflow TCOOFF / TCOON).
  status_t set_transmit(bool on);

  bool lost() const noexcept { return lost_.load(); }
  const std::string& device() const noexcept { return device_; }

  // ---- activity for the serial events ----
  static constexpr unsigned kWatchData = 1;   ///< read input as it arrives (CHAR, TERMCHAR events)
  static constexpr unsigned kWatchLines = 2;  ///< poll the modem lines and the break counter
  /// A session with serial events enabled.
  struct Listener {
    /// Called with each batch of bytes received (by any session's read, or by the watcher) and
    /// with line changes, on the thread that noticed, under the port's listener mutex (the
    /// listener only queues events: it must not call the port).
    std::function<void(const PortActivity&)> notify;
    /// What the listener wants watched now (kWatch* bits); asked on each round of the watcher.
    std::function<unsigned()> wants;
  };
  /// Adds a listener (starting the watcher thread on first use); returns its id.
  int add_listener(Listener listener);
  /// Removes a listener; when it returns, the listener is not being called and will not be.
  void remove_listener(int id);
  /// Tells the watcher that the listeners' wants changed (an event was enabled).
  void rewatch() noexcept { rewatch_.wake(); }
  /// Replaces how the watcher reads the lines (default read_line_status). For tests: a
  /// pseudo-terminal has no modem lines and no break counter, so a test stands in for the driver.
  void set_line_probe(LineProbe probe);
  /// The port this process has open for `path` (after realpath), or null.
  static std::shared_ptr<Port> find(const std::string& path);

 private:
  Port(int fd, std::string device);
  status_t fill(core::Deadline deadline, int cancel_fd);  // read_lock_ held
  void notify(const PortActivity& activity);
  void watch();  // the watcher thread
  status_t hang_up();                       // marks the port lost; returns VI_ERROR_CONN_LOST
  status_t errno_status(int err);

  const int fd_;
  const std::string device_;
  DeadlineLock read_lock_;   // the input queue and reading from fd_
  DeadlineLock write_lock_;  // one writer at a time, so messages do not interleave
  InputQueue input_;
  std::atomic<std::size_t> queued_{0};  // input_.size(), readable without read_lock_
  mutable std::mutex config_mutex_;
  LineSettings settings_;
  InputQueue::Options options_;
  std::atomic<bool> lost_{false};
  bool have_counters_ = true;  // TIOCGICOUNT works (real UARTs, most USB adapters)
  int frame_errors_ = 0, parity_errors_ = 0, overruns_ = 0;

  std::mutex listeners_mutex_;  // listeners_, next_listener_, probe_; held while notifying
  std::map<int, Listener> listeners_;
  int next_listener_ = 1;
  LineProbe probe_ = read_line_status;
  net::Waker rewatch_;  // wakes the watcher: wants changed, or stopping
  std::atomic<bool> stop_{false};
  std::thread watcher_;
};

}  // namespace cppvisa::serial
