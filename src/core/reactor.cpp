#include "core/reactor.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace cppvisa::core {

Reactor::Reactor() {
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
  thread_ = std::thread([this] { run(); });
}

Reactor::~Reactor() {
  {
    std::lock_guard guard(mutex_);
    stop_ = true;
  }
  wake_thread();
  thread_.join();
  ::close(epoll_fd_);
  ::close(event_fd_);
}

Reactor& Reactor::shared() {
  static Reactor* reactor = new Reactor();  // never destroyed: a pool job may park until exit
  return *reactor;
}

void Reactor::wake_thread() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

void Reactor::arm(int fd) {
  // One-shot: a descriptor reports once per arming, so a burst of bytes wakes one waiter once,
  // and a descriptor nobody waits on costs nothing.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0) return;
  if (errno == ENOENT && ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0) return;
  // Refused (a closed descriptor, or not pollable): its waiters fire at once and the I/O call
  // they make reports the cause.
  for (auto token : by_fd_[fd]) fire_now_.push_back(token);
}

void Reactor::forget_fd(int fd) {
  auto it = by_fd_.find(fd);
  if (it == by_fd_.end() || !it->second.empty()) return;
  by_fd_.erase(it);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);  // EBADF/ENOENT when already gone: fine
}

std::uint64_t Reactor::watch(int fd, Deadline deadline, Callback callback) {
  bool wake = false;
  std::uint64_t token;
  {
    std::lock_guard guard(mutex_);
    token = next_token_++;
    watches_.emplace(token, Watch{fd, deadline, std::move(callback)});
    by_fd_[fd].insert(token);
    if (!deadline.infinite()) {
      // The thread sleeps until the earliest deadline: wake it when this one comes first.
      wake = by_deadline_.empty() || deadline.when() < by_deadline_.begin()->first;
      by_deadline_.emplace(deadline.when(), token);
    }
    std::size_t refused = fire_now_.size();
    arm(fd);
    wake = wake || fire_now_.size() != refused;
  }
  if (wake) wake_thread();
  return token;
}

bool Reactor::cancel(std::uint64_t token) {
  std::lock_guard guard(mutex_);
  auto it = watches_.find(token);
  if (it == watches_.end()) return false;
  const Watch& w = it->second;
  if (!w.deadline.infinite()) {
    auto [b, e] = by_deadline_.equal_range(w.deadline.when());
    for (auto d = b; d != e; ++d)
      if (d->second == token) {
        by_deadline_.erase(d);
        break;
      }
  }
  int fd = w.fd;
  by_fd_[fd].erase(token);
  forget_fd(fd);
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
  std::vector<epoll_event> events(256);
  std::vector<std::pair<Callback, Fired>> due;
  for (;;) {
    int timeout = -1;
    {
      std::lock_guard guard(mutex_);
      if (stop_) return;
      if (!fire_now_.empty()) timeout = 0;
      else if (!by_deadline_.empty()) timeout = Deadline::at(by_deadline_.begin()->first).poll_ms();
    }
    int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0 && errno != EINTR) n = 0;  // EINTR or a transient failure: look at the deadlines again
    {
      std::lock_guard guard(mutex_);
      if (stop_) return;
      auto take = [&](std::uint64_t token, Fired why) {
        auto it = watches_.find(token);
        if (it == watches_.end()) return;
        due.emplace_back(std::move(it->second.callback), why);
        if (!it->second.deadline.infinite()) {
          auto [b, e] = by_deadline_.equal_range(it->second.deadline.when());
          for (auto d = b; d != e; ++d)
            if (d->second == token) {
              by_deadline_.erase(d);
              break;
            }
        }
        by_fd_[it->second.fd].erase(token);
        watches_.erase(it);
      };
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == event_fd_) {
          std::uint64_t v;
          while (::read(event_fd_, &v, sizeof v) > 0) {
          }
          continue;
        }
        auto it = by_fd_.find(fd);
        if (it == by_fd_.end()) continue;
        std::set<std::uint64_t> tokens = std::move(it->second);
        it->second.clear();
        for (auto token : tokens) take(token, Fired::readable);
        forget_fd(fd);
      }
      for (auto token : fire_now_) {
        if (auto it = watches_.find(token); it != watches_.end()) {
          int fd = it->second.fd;
          take(token, Fired::readable);
          forget_fd(fd);
        }
      }
      fire_now_.clear();
      dispatching_ = !due.empty();
      const auto now = Deadline::clock::now();
      while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
        auto token = by_deadline_.begin()->second;
        auto it = watches_.find(token);
        if (it == watches_.end()) {
          by_deadline_.erase(by_deadline_.begin());
          continue;
        }
        int fd = it->second.fd;
        take(token, Fired::deadline);  // also erases its by_deadline_ entry
        forget_fd(fd);
      }
    }
    for (auto& [callback, why] : due) {
      try {
        callback(why);
      } catch (...) {
        // a callback reports its own errors; none may stop the reactor
      }
    }
    due.clear();
    {
      std::lock_guard guard(mutex_);
      if (dispatching_) {
        dispatching_ = false;
        ++round_;
        round_done_.notify_all();
      }
    }
  }
}

}  // namespace cppvisa::core
