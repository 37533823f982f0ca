#include "protocols/gpib/event_monitor.hpp"

#include "protocols/gpib/gpib_codes.hpp"

#include <chrono>

namespace cppvisa::gpib {
namespace {
constexpr int kT100ms = 9;  // the device monitor's ibwait timeout: how long stopping may take
constexpr auto kDevicePeriod = std::chrono::milliseconds(100);
constexpr auto kBoardPeriod = std::chrono::milliseconds(20);
}  // namespace

EventMonitor::EventMonitor(const Libgpib& lib, int board, int pad, int sad, std::function<void()> on_request)
    : lib_(lib), on_request_(std::move(on_request)) {
  ud_ = lib_.api().ibdev(board, pad, sad, kT100ms, 1, 0);
  if (ud_ < 0) {
    status_ = lib_.last().status();
    return;
  }
  own_descriptor_ = true;
  thread_ = std::thread([this] { watch_device(); });
}

EventMonitor::EventMonitor(const Libgpib& lib, int board, std::function<void(int before, int now)> on_change)
    : lib_(lib), ud_(board), on_change_(std::move(on_change)) {
  thread_ = std::thread([this] { watch_board(); });
}

EventMonitor::~EventMonitor() {
  {
    std::lock_guard guard(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (own_descriptor_) lib_.api().ibonl(ud_, 0);
}

bool EventMonitor::pause(std::chrono::milliseconds period) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, period, [this] { return stop_.load(); });
}

void EventMonitor::watch_device() {
  bool reported = false;  // the pending request was reported; wait until it is polled away
  while (!stop_) {
    if (reported) {
      if (!pause(kDevicePeriod)) break;
      lib_.api().ibwait(ud_, 0);  // the status now, without waiting
      const CallResult r = lib_.last();
      reported = !r.failed() && (r.ibsta & sta::RQS) != 0;
      continue;
    }
    lib_.api().ibwait(ud_, sta::RQS | sta::TIMO);  // a timeout is no error: TIMO without ERR
    const CallResult r = lib_.last();
    if (stop_) break;
    if (r.failed()) {
      // Not controller-in-charge, board offline...: try again a period later, no busy loop.
      if (!pause(kDevicePeriod)) break;
      continue;
    }
    if (r.ibsta & sta::RQS) {
      reported = true;
      on_request_();
    }
  }
}

void EventMonitor::watch_board() {
  constexpr int received = sta::DCAS | sta::DTAS;  // the board as a device was cleared / triggered
  constexpr int watched = sta::SRQI | sta::CIC | sta::TACS | sta::LACS | received;
  int before = -1;
  do {
    const int ibsta = lib_.api().ibwait(ud_, 0);  // the status now, without waiting
    if (lib_.last().failed()) continue;            // board offline...: try again next period
    int now = ibsta & watched;
    if (before < 0) before = now & ~(sta::SRQI | received);
    if (now != before) on_change_(before, now);
    if (now & received) {
      // DCAS and DTAS stay set until an ibwait for them (linux-gpib clears the DTAS/DCAS bits
      // of the wait mask as it returns): acknowledge, so that the next clear or trigger is seen
      // as a new one. CMPL in the mask (set: cppvisa starts no asynchronous I/O) makes it
      // return at once even if an I/O call cleared the bits meanwhile.
      lib_.api().ibwait(ud_, (now & received) | sta::CMPL);
      now &= ~received;
    }
    before = now;
  } while (pause(kBoardPeriod));
}

}  // namespace cppvisa::gpib
