#include "core/reactor.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace cppvisa::core {

Reactor::Reactor(bool own_thread) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || event_fd_ < 0) {
    int err = errno;
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    if (event_fd_ >= 0) ::close(event_fd_);
    throw std::runtime_error(std::string("the asynchronous I/O reactor cannot start: ") + std::strerror(err));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = event_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &ev);
  if (own_thread) thread_ = std::thread([this] { run(); });
}

Reactor::~Reactor() {
  {
    std::lock_guard guard(mutex_);
    stop_ = true;
  }
  if (thread_.joinable()) {
    interrupt();
    thread_.join();
  }
  ::close(epoll_fd_);
  ::close(event_fd_);
}

Reactor& Reactor::shared() {
  static Reactor* reactor = new Reactor(true);  // never destroyed: a watch may be pending at exit
  return *reactor;
}

void Reactor::interrupt() {
  // One write per wait is enough: the waiter drains the eventfd and clears the flag.
  if (woken_.exchange(true, std::memory_order_acq_rel)) return;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

void Reactor::arm(int fd) {
  // One-shot: a descriptor reports once per arming, so a burst of bytes wakes one waiter once,
  // and a descriptor nobody waits on costs nothing. It stays registered after its report (MOD
  // re-arms it: one system call per wait, not an ADD and a DEL).
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0) return;
  if (errno == ENOENT && ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0) return;
  // Refused (a closed descriptor, or not pollable): its waiters fire at once and the I/O call
  // they make reports the cause.
  for (auto token : by_fd_[fd]) fire_now_.push_back(token);
}

void Reactor::unlink(std::uint64_t token, const Watch& w) {
  if (!w.deadline.infinite()) {
    auto [b, e] = by_deadline_.equal_range(w.deadline.when());
    for (auto d = b; d != e; ++d)
      if (d->second == token) {
        by_deadline_.erase(d);
        break;
      }
  }
  if (auto it = by_fd_.find(w.fd); it != by_fd_.end()) {
    std::erase(it->second, token);
    if (it->second.empty()) by_fd_.erase(it);
  }
}

std::uint64_t Reactor::watch(int fd, Deadline deadline, Callback callback) {
  bool wake = false;
  std::uint64_t token;
  {
    std::lock_guard guard(mutex_);
    token = next_token_++;
    watches_.emplace(token, Watch{fd, deadline, std::move(callback)});
    auto& tokens = by_fd_[fd];
    tokens.push_back(token);
    if (!deadline.infinite()) {
      // The waiter sleeps until the earliest deadline: wake it when this one comes first.
      wake = by_deadline_.empty() || deadline.when() < by_deadline_.begin()->first;
      by_deadline_.emplace(deadline.when(), token);
    }
    std::size_t refused = fire_now_.size();
    if (tokens.size() == 1) arm(fd);  // a descriptor already armed for another watch stays armed
    wake = wake || fire_now_.size() != refused;
  }
  if (wake) interrupt();
  return token;
}

bool Reactor::cancel(std::uint64_t token) {
  std::lock_guard guard(mutex_);
  auto it = watches_.find(token);
  if (it == watches_.end()) return false;
  // The descriptor may stay armed: a report nobody waits for is ignored.
  unlink(token, it->second);
  watches_.erase(it);
  return true;
}

void Reactor::quiesce() {
  std::unique_lock guard(mutex_);
  if (!dispatching_) return;
  const auto round = round_;
  round_done_.wait(guard, [&] { return round_ != round; });
}

std::size_t Reactor::watching() const {
  std::lock_guard guard(mutex_);
  return watches_.size();
}

void Reactor::run() {
  for (;;) {
    {
      std::lock_guard guard(mutex_);
      if (stop_) return;
    }
    run_once(-1);
  }
}

std::size_t Reactor::run_once(int max_wait_ms) {
  epoll_event events[256];
  int timeout = max_wait_ms;
  {
    std::lock_guard guard(mutex_);
    if (stop_) return 0;
    if (!fire_now_.empty()) {
      timeout = 0;
    } else if (!by_deadline_.empty()) {
      int until = Deadline::at(by_deadline_.begin()->first).poll_ms();
      timeout = timeout < 0 ? until : std::min(timeout, until);
    }
  }
  int n = ::epoll_wait(epoll_fd_, events, 256, timeout);
  if (n < 0) n = 0;  // EINTR or a transient failure: look at the deadlines again
  auto& due = due_;
  {
    std::lock_guard guard(mutex_);
    if (stop_) return 0;
    auto take = [&](std::uint64_t token, Fired why) {
      auto it = watches_.find(token);
      if (it == watches_.end()) return;
      due.emplace_back(std::move(it->second.callback), why);
      unlink(token, it->second);
      watches_.erase(it);
    };
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == event_fd_) {
        // Cleared before draining: an interrupt() from now on writes again (none is lost).
        woken_.store(false, std::memory_order_release);
        std::uint64_t v;
        while (::read(event_fd_, &v, sizeof v) > 0) {
        }
        continue;
      }
      auto it = by_fd_.find(fd);
      if (it == by_fd_.end()) continue;  // its watch was cancelled: the report is nobody's
      std::vector<std::uint64_t> tokens = std::move(it->second);
      by_fd_.erase(it);
      for (auto token : tokens) take(token, Fired::readable);
    }
    for (auto token : fire_now_) take(token, Fired::readable);
    fire_now_.clear();
    const auto now = Deadline::clock::now();
    while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
      auto token = by_deadline_.begin()->second;
      if (!watches_.count(token)) {
        by_deadline_.erase(by_deadline_.begin());
        continue;
      }
      take(token, Fired::deadline);  // also erases its by_deadline_ entry
    }
    dispatching_ = !due.empty();
  }
  const std::size_t fired = due.size();
  for (auto& [callback, why] : due) {
    try {
      callback(why);
    } catch (...) {
      // a callback reports its own errors; none may stop the reactor
    }
  }
  due.clear();
  if (fired) {
    std::lock_guard guard(mutex_);
    dispatching_ = false;
    ++round_;
    round_done_.notify_all();
  }
  return fired;
}

}  // namespace cppvisa::core
