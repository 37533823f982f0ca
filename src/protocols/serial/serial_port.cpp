#include "protocols/serial/serial_port.hpp"

#include "core/error_detail.hpp"
#include "core/log.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <grp.h>
#include <linux/serial.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

namespace cppvisa::serial {
namespace {

// Ports this process has open, by the device's real path (ASRL1::INSTR and ASRL/dev/ttyS0::INSTR
// share one). Weak: the port closes with its last session.
std::mutex registry_mutex;
std::map<std::string, std::weak_ptr<Port>> registry;

// The status for an open() error of `path`, with the OS's reason (and the fix, for permissions)
// recorded as its cause.
status_t open_error(int err, const std::string& path) {
  status_t st = status::ERROR_RSRC_NFOUND;  // ENOENT, ENXIO, ENODEV, EIO (no UART behind ttyS<N>)...
  switch (err) {
    case EACCES: case EPERM: st = status::ERROR_NPERMISSION; break;
    case EBUSY: case EWOULDBLOCK: st = status::ERROR_RSRC_BUSY; break;
    case ENOMEM: st = status::ERROR_ALLOC; break;
    default: break;
  }
  std::string text = fmt::format("{}: {}", path, std::strerror(err));
  if (err == EACCES || err == EPERM) {
    // The fix: join the group that may read and write the device (dialout on Debian); when its
    // group may not, joining it would not help.
    struct stat info {};
    std::string owner = "dialout";
    bool group_rw = true;
    if (::stat(path.c_str(), &info) == 0) {
      if (const struct group* g = ::getgrgid(info.st_gid)) owner = g->gr_name;
      group_rw = (info.st_mode & (S_IRGRP | S_IWGRP)) == (S_IRGRP | S_IWGRP);
    }
    if (group_rw)
      text += fmt::format(" (the device belongs to group '{}': `sudo usermod -aG {} $USER`, then log in again)",
                          owner, owner);
    else
      text += fmt::format(" (its mode {:04o} lets no group read and write it: a udev rule giving it to group "
                          "'dialout' with mode 0660 would)",
                          info.st_mode & 07777);
  }
  core::fail(st, std::move(text));
  return st;
}

// Holds a DeadlineLock for a scope.
class Hold {
 public:
  Hold(DeadlineLock& lock, core::Deadline deadline) : lock_(lock), held_(lock.lock_until(deadline)) {}
  ~Hold() {
    if (held_) lock_.unlock();
  }
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;
  explicit operator bool() const noexcept { return held_; }

 private:
  DeadlineLock& lock_;
  bool held_;
};

// poll() on `fd` for `events` and on `cancel_fd` (when >= 0). Returns poll's result; `cancelled`
// is true when cancel_fd is readable (checked first: an abort wins over data).
int poll_with_cancel(pollfd& p, int cancel_fd, int timeout_ms, bool& cancelled) {
  pollfd fds[2] = {p, {cancel_fd, POLLIN, 0}};
  int r = ::poll(fds, cancel_fd >= 0 ? 2 : 1, timeout_ms);
  p.revents = fds[0].revents;
  cancelled = r > 0 && cancel_fd >= 0 && (fds[1].revents & POLLIN);
  return r;
}

}  // namespace

bool DeadlineLock::lock_until(core::Deadline deadline) {
  std::unique_lock guard(mutex_);
  auto free = [this] { return !held_; };
  if (deadline.infinite()) released_.wait(guard, free);
  else if (!released_.wait_until(guard, deadline.when(), free)) return false;
  held_ = true;
  return true;
}

void DeadlineLock::unlock() {
  {
    std::lock_guard guard(mutex_);
    held_ = false;
  }
  released_.notify_one();
}

std::shared_ptr<Port> Port::acquire(const std::string& path, status_t& st, bool& first) {
  first = false;
  char resolved[PATH_MAX];
  if (!::realpath(path.c_str(), resolved)) {
    st = open_error(errno, path);
    return nullptr;
  }
  std::string device = resolved;
  std::lock_guard guard(registry_mutex);
  if (auto it = registry.find(device); it != registry.end()) {
    if (auto port = it->second.lock(); port && !port->lost()) {
      st = status::SUCCESS;
      return port;
    }
  }
  int fd = ::open(device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    st = open_error(errno, device);
    return nullptr;
  }
  if (!::isatty(fd)) {
    ::close(fd);
    st = core::fail(status::ERROR_RSRC_NFOUND, fmt::format("{}: not a serial port (not a tty)", device));
    return nullptr;
  }
  // TIOCEXCL keeps other opens out (except root's); flock() catches cooperating programs
  // (pyserial with exclusive=True, lock-aware tools) and root.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    st = err == EWOULDBLOCK ? core::fail(status::ERROR_RSRC_BUSY, fmt::format("{}: in use by another program", device))
                            : open_error(err, device);
    return nullptr;
  }
  ::ioctl(fd, TIOCEXCL);
  std::shared_ptr<Port> port(new Port(fd, device));
  registry[device] = port;
  CPPVISA_LOG("serial", "opened {} (for {})", device, path);
  // Forget entries of ports that have closed.
  std::erase_if(registry, [](const auto& entry) { return entry.second.expired(); });
  first = true;
  st = status::SUCCESS;
  return port;
}

Port::Port(int fd, std::string device) : fd_(fd), device_(std::move(device)) {
  serial_icounter_struct c{};
  if (::ioctl(fd_, TIOCGICOUNT, &c) == 0) {
    frame_errors_ = c.frame;
    parity_errors_ = c.parity;
    overruns_ = c.overrun + c.buf_overrun;
  } else {
    have_counters_ = false;
  }
}

Port::~Port() {
  stop_ = true;
  rewatch_.wake();
  if (watcher_.joinable()) watcher_.join();
  ::ioctl(fd_, TIOCNXCL);
  ::close(fd_);
}

status_t Port::hang_up() {
  if (!lost_.exchange(true)) {
    // Let the device be opened again (a USB adapter plugged back in) while sessions still hold
    // this descriptor: drop the exclusive lock now.
    ::flock(fd_, LOCK_UN);
    ::ioctl(fd_, TIOCNXCL);
  }
  return status::ERROR_CONN_LOST;
}

status_t Port::errno_status(int err) {
  switch (err) {
    case EIO: case ENXIO: case ENODEV: case EPIPE: case EBADF: return hang_up();
    default: return status::ERROR_IO;
  }
}

status_t Port::fill(core::Deadline deadline, int cancel_fd) {
  std::byte raw[4096];
  pollfd p{fd_, POLLIN, 0};
  for (;;) {
    if (lost_) return status::ERROR_CONN_LOST;
    bool cancelled = false;
    int r = poll_with_cancel(p, cancel_fd, deadline.poll_ms(), cancelled);
    if (r < 0) {
      if (errno == EINTR) continue;
      return errno_status(errno);
    }
    if (cancelled) return status::ERROR_ABORT;
    if (r == 0) return status::ERROR_TMO;
    if (p.revents & POLLNVAL) return hang_up();
    ssize_t n = ::read(fd_, raw, sizeof raw);
    if (n > 0) {
      InputQueue::Options options;
      status_t marked = status::ERROR_ASRL_FRAMING;
      {
        std::lock_guard guard(config_mutex_);
        options = options_;
        if (settings_.parity != Parity::none) marked = status::ERROR_ASRL_PARITY;
      }
      serial_icounter_struct c{};
      if (have_counters_ && ::ioctl(fd_, TIOCGICOUNT, &c) == 0) {
        // The counters tell which error a marked character had, and reveal overruns, which
        // the line discipline does not mark in the data.
        if (c.overrun + c.buf_overrun != overruns_) input_.mark_error(status::ERROR_ASRL_OVERRUN);
        if (c.frame != frame_errors_) marked = status::ERROR_ASRL_FRAMING;
        else if (c.parity != parity_errors_) marked = status::ERROR_ASRL_PARITY;
        overruns_ = c.overrun + c.buf_overrun;
        frame_errors_ = c.frame;
        parity_errors_ = c.parity;
      }
      const std::size_t before = input_.size();
      input_.decode(std::span<const std::byte>(raw, static_cast<std::size_t>(n)), marked, options);
      queued_ = input_.size();
      if (input_.size() > before) {
        std::vector<std::byte> received;
        input_.copy_tail(input_.size() - before, received);
        PortActivity activity;
        activity.received = received;
        notify(activity);
      }
      return status::SUCCESS;
    }
    // With VMIN 1 and O_NONBLOCK, 0 means the line hung up (a closed pty master, a modem hang-up).
    if (n == 0) return hang_up();
    if (errno == EINTR || errno == EAGAIN) {
      if (p.revents & (POLLHUP | POLLERR)) return hang_up();
      continue;
    }
    return errno_status(errno);
  }
}

status_t Port::receive(std::span<std::byte> buffer, const EndRule& rule, core::Deadline deadline, std::size_t& count,
                       bool& end, int cancel_fd) {
  count = 0;
  end = false;
  Hold hold(read_lock_, deadline);
  if (!hold) return status::ERROR_TMO;  // another session is reading the port
  for (;;) {
    if (!input_.empty()) {
      status_t st = input_.take(buffer, rule, count, end);
      queued_ = input_.size();
      if (st < 0 || count > 0) return st;
    }
    if (status_t st = fill(deadline, cancel_fd); st < 0) return st;
  }
}

status_t Port::write(std::span<const std::byte> data, core::Deadline deadline, std::size_t& written, int cancel_fd) {
  written = 0;
  Hold hold(write_lock_, deadline);
  if (!hold) return status::ERROR_TMO;
  while (written < data.size()) {
    if (lost_) return status::ERROR_CONN_LOST;
    ssize_t n = ::write(fd_, data.data() + written, data.size() - written);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return errno_status(errno);
    // The output queue is full (slow line, flow control, transmission suspended): wait.
    pollfd p{fd_, POLLOUT, 0};
    bool cancelled = false;
    int r = poll_with_cancel(p, cancel_fd, deadline.poll_ms(), cancelled);
    if (r < 0 && errno != EINTR) return errno_status(errno);
    if (cancelled) return status::ERROR_ABORT;
    if (r == 0) return status::ERROR_TMO;
    if (r > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) && !(p.revents & POLLOUT)) return hang_up();
  }
  return status::SUCCESS;
}

status_t Port::drain(core::Deadline deadline, int cancel_fd) {
  // tcdrain() could block for as long as flow control holds the data; poll the queue instead.
  const auto step = std::chrono::milliseconds(2);
  for (;;) {
    if (lost_) return status::ERROR_CONN_LOST;
    int queued = 0;
    if (::ioctl(fd_, TIOCOUTQ, &queued) != 0) return errno_status(errno);
    bool empty = queued == 0;
    unsigned int lsr = 0;
    if (empty && ::ioctl(fd_, TIOCSERGETLSR, &lsr) == 0) empty = (lsr & TIOCSER_TEMT) != 0;  // the UART's FIFO too
    if (empty) return status::SUCCESS;
    if (deadline.expired()) return status::ERROR_TMO;
    if (cancel_fd < 0) {
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(step, deadline.remaining()));
      continue;
    }
    pollfd c{cancel_fd, POLLIN, 0};
    int wait_ms = static_cast<int>(std::min<std::chrono::milliseconds>(step, deadline.remaining()).count());
    if (::poll(&c, 1, wait_ms) > 0 && (c.revents & POLLIN)) return status::ERROR_ABORT;
  }
}

status_t Port::send_break(std::chrono::milliseconds length, core::Deadline deadline, int cancel_fd) {
  Hold hold(write_lock_, deadline);
  if (!hold) return status::ERROR_TMO;
  if (status_t st = drain(deadline, cancel_fd); st < 0) return st;
  if (::ioctl(fd_, TIOCSBRK) != 0) return errno_status(errno);
  std::this_thread::sleep_for(length);
  if (::ioctl(fd_, TIOCCBRK) != 0) return errno_status(errno);
  return status::SUCCESS;
}

status_t Port::discard_input(core::Deadline deadline) {
  Hold hold(read_lock_, deadline);
  if (!hold) return status::ERROR_TMO;
  input_.clear();
  queued_ = 0;
  if (lost_) return status::ERROR_CONN_LOST;
  if (::tcflush(fd_, TCIFLUSH) != 0) return errno_status(errno);
  return status::SUCCESS;
}

status_t Port::discard_output() {
  if (lost_) return status::ERROR_CONN_LOST;
  if (::tcflush(fd_, TCOFLUSH) != 0) return errno_status(errno);
  return status::SUCCESS;
}

status_t Port::update_settings(const std::function<void(LineSettings&)>& change) {
  std::lock_guard guard(config_mutex_);
  if (lost_) return status::ERROR_CONN_LOST;
  LineSettings wanted = settings_;
  change(wanted);
  status_t st = apply_line_settings(fd_, wanted);
  if (st < 0) {
    apply_line_settings(fd_, settings_);  // the driver may have taken part of it
    return st;
  }
  settings_ = wanted;
  return status::SUCCESS;
}

LineSettings Port::settings() const {
  std::lock_guard guard(config_mutex_);
  return settings_;
}

void Port::set_input_options(const InputQueue::Options& options) {
  std::lock_guard guard(config_mutex_);
  options_ = options;
}

std::optional<std::size_t> Port::available() const {
  if (lost_) return std::nullopt;
  int pending = 0;
  if (::ioctl(fd_, FIONREAD, &pending) != 0) return std::nullopt;
  return static_cast<std::size_t>(std::max(pending, 0)) + queued_.load();
}

std::optional<int> Port::modem_lines() const {
  int bits = 0;
  if (lost_ || ::ioctl(fd_, TIOCMGET, &bits) != 0) return std::nullopt;
  return bits;
}

status_t Port::set_modem_lines(int bits, bool on) {
  if (lost_) return status::ERROR_CONN_LOST;
  if (::ioctl(fd_, on ? TIOCMBIS : TIOCMBIC, &bits) == 0) return status::SUCCESS;
  if (errno == ENOTTY || errno == EINVAL) return status::ERROR_NSUP_ATTR_STATE;  // no modem lines
  return errno_status(errno);
}

status_t Port::set_break(bool on) {
  if (lost_) return status::ERROR_CONN_LOST;
  if (::ioctl(fd_, on ? TIOCSBRK : TIOCCBRK) == 0) return status::SUCCESS;
  if (errno == ENOTTY || errno == EINVAL) return status::ERROR_NSUP_ATTR_STATE;
  return errno_status(errno);
}

status_t Port::set_transmit(bool on) {
  if (lost_) return status::ERROR_CONN_LOST;
  if (::tcflow(fd_, on ? TCOON : TCOOFF) == 0) return status::SUCCESS;
  return errno_status(errno);
}

// ---- activity for the serial events ----

std::shared_ptr<Port> Port::find(const std::string& path) {
  char resolved[PATH_MAX];
  if (!::realpath(path.c_str(), resolved)) return nullptr;
  std::lock_guard guard(registry_mutex);
  auto it = registry.find(resolved);
  return it == registry.end() ? nullptr : it->second.lock();
}

int Port::add_listener(Listener listener) {
  std::lock_guard guard(listeners_mutex_);
  int id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  if (!watcher_.joinable()) watcher_ = std::thread([this] { watch(); });
  rewatch_.wake();
  return id;
}

void Port::remove_listener(int id) {
  std::lock_guard guard(listeners_mutex_);  // waits for a notification in progress
  listeners_.erase(id);
}

void Port::set_line_probe(LineProbe probe) {
  std::lock_guard guard(listeners_mutex_);
  probe_ = std::move(probe);
  rewatch_.wake();
}

void Port::notify(const PortActivity& activity) {
  std::lock_guard guard(listeners_mutex_);
  for (auto& [id, l] : listeners_) l.notify(activity);
}

// The watcher: while a listener wants data, input is taken from the driver as it arrives (into
// the port's queue, where reads find it: the CHAR event leaves the bytes to viRead); while one
// wants lines, the lines are read every kLinePeriod and changes reported. Reads by sessions go on
// as before: a read holding the read lock takes (and reports) the input itself.
void Port::watch() {
  constexpr int kLinePeriodMs = 10;
  constexpr int kBusyRetryMs = 5;         // a read holds the read lock: it will take the input
  constexpr std::size_t kQueueLimit = 1 << 20;  // input nobody reads stays in the driver past this
  constexpr int kFullRetryMs = 100;
  LineStatus last;
  bool have_last = false, lines_silent = false;
  for (;;) {
    unsigned wants = 0;
    LineProbe probe;
    {
      std::lock_guard guard(listeners_mutex_);
      for (auto& [id, l] : listeners_) wants |= l.wants();
      probe = probe_;
    }
    if (stop_) return;
    if (!(wants & kWatchLines)) have_last = false;  // a change while nobody watched is not reported later
    const bool full = queued_.load() >= kQueueLimit;
    const bool data = (wants & kWatchData) && !lost_ && !full;
    const bool lines = (wants & kWatchLines) && !lost_ && !lines_silent;
    // Full: look again later (a read drains the queue without telling the watcher).
    const int timeout = lines ? kLinePeriodMs : ((wants & kWatchData) && full && !lost_) ? kFullRetryMs : -1;
    pollfd fds[2] = {{rewatch_.fd(), POLLIN, 0}, {fd_, static_cast<short>(data ? POLLIN : 0), 0}};
    int r = ::poll(fds, 2, timeout);
    if (r < 0 && errno != EINTR) return;
    if (fds[0].revents & POLLIN) {
      rewatch_.reset();
      lines_silent = false;  // a new probe or listener: try the lines again
      continue;
    }
    if (data && (fds[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) {
      if (read_lock_.lock_until(core::Deadline::after_ms(0))) {
        (void)fill(core::Deadline::after_ms(0), -1);  // reports what it read; marks a hang-up
        read_lock_.unlock();
      } else {
        pollfd w{rewatch_.fd(), POLLIN, 0};
        ::poll(&w, 1, kBusyRetryMs);
      }
    }
    if (lines) {
      LineStatus now;
      if (!probe || !probe(fd_, now)) {
        lines_silent = true;  // this driver tells nothing (a pseudo-terminal): stop polling
        have_last = false;
        continue;
      }
      if (have_last) {
        PortActivity activity = line_changes(last, now);
        if (activity.any_line_change()) notify(activity);
      }
      last = now;
      have_last = true;
    }
  }
}

}  // namespace cppvisa::serial
