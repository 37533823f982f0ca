#include "protocols/gpib/srq_monitor.hpp"

#include "protocols/gpib/gpib_codes.hpp"

#include <chrono>

namespace cppvisa::gpib {
namespace {
constexpr int kT100ms = 9;  // the device monitor's wait period: how long stopping may take
constexpr auto kBoardPeriod = std::chrono::milliseconds(20);
}  // namespace

SrqMonitor::SrqMonitor(const Libgpib& lib, int board, int pad, int sad, std::function<void()> on_request)
    : lib_(lib), on_request_(std::move(on_request)) {
  ud_ = lib_.api().ibdev(board, pad, sad, kT100ms, 1, 0);
  if (ud_ < 0) {
    status_ = lib_.last().status();
    return;
  }
  own_descriptor_ = true;
  thread_ = std::thread([this] { watch_device(); });
}

SrqMonitor::SrqMonitor(const Libgpib& lib, int board, std::function<void()> on_request)
    : lib_(lib), ud_(board), on_request_(std::move(on_request)) {
  thread_ = std::thread([this] { watch_board(); });
}

SrqMonitor::~SrqMonitor() {
  {
    std::lock_guard guard(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (own_descriptor_) lib_.api().ibonl(ud_, 0);
}

void SrqMonitor::watch_device() {
  bool reported = false;  // the pending request was reported; wait until it is polled away
  while (!stop_) {
    lib_.api().ibwait(ud_, reported ? sta::TIMO : (sta::RQS | sta::TIMO));
    const CallResult r = lib_.last();
    if (stop_) break;
    if (r.failed() && !(r.ibsta & sta::TIMO)) {
      // The descriptor went bad (board offline...): no busy loop, try again after a period.
      lib_.api().ibwait(ud_, sta::TIMO);
      continue;
    }
    if (reported) {
      lib_.api().ibwait(ud_, 0);  // the current status, without waiting
      reported = (lib_.last().ibsta & sta::RQS) != 0;
      continue;
    }
    if (r.ibsta & sta::RQS) {
      reported = true;
      on_request_();
    }
  }
}

void SrqMonitor::watch_board() {
  bool asserted = false;
  std::unique_lock lock(mutex_);
  while (!stop_) {
    lock.unlock();
    const int ibsta = lib_.api().ibwait(ud_, 0);  // the status now, without waiting
    const bool ok = !lib_.last().failed();
    const bool now = ok && (ibsta & sta::SRQI) != 0;
    if (now && !asserted) on_request_();
    asserted = now;
    lock.lock();
    wake_.wait_for(lock, kBoardPeriod, [this] { return stop_.load(); });
  }
}

}  // namespace cppvisa::gpib
