// gpib::EventMonitor: a thread that watches the bus for what VISA reports as events.
// - For a device (INSTR): it waits with ibwait(RQS) on a descriptor of its own with a short
//   timeout, so the session's descriptor keeps its own; RQS comes from linux-gpib's automatic
//   serial poll, whose status byte stays queued for the session's next ibrsp (viReadSTB). One
//   callback per request: the next comes after the request was polled away.
// - For a board (INTFC): the board's descriptor is the session's too (its timeout is not the
//   monitor's to change), so the monitor reads the board's ibsta (ibwait with an empty mask
//   returns at once) every 20 ms and calls back when SRQI, CIC, TACS or LACS changed, or DCAS or
//   DTAS were set (then acknowledged with an ibwait for them, which clears them). A change
//   undone within one period is not seen (docs/gpib.md).
#pragma once

#include "protocols/gpib/libgpib.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace cppvisa::gpib {

class EventMonitor {
 public:
  /// Watches the device (board, pad, sad) through a descriptor of its own.
  EventMonitor(const Libgpib& lib, int board, int pad, int sad, std::function<void()> on_request);
  /// Watches the status of `board`: `on_change(before, now)` with the ibsta bits SRQI, CIC,
  /// TACS, LACS, DCAS and DTAS, when one of them changed (DCAS and DTAS: when set). The first reading is compared with the board's
  /// state at start, SRQI counted as unasserted (a request already pending is reported).
  EventMonitor(const Libgpib& lib, int board, std::function<void(int before, int now)> on_change);
  /// Stops the thread (within one wait period, 100 ms) and closes its descriptor.
  ~EventMonitor();
  EventMonitor(const EventMonitor&) = delete;
  EventMonitor& operator=(const EventMonitor&) = delete;

  /// VI_SUCCESS, or why the descriptor could not be opened (then nothing is monitored).
  status_t status() const noexcept { return status_; }

 private:
  /// Waits `period` or until stopped; false when stopped.
  bool pause(std::chrono::milliseconds period);
  void watch_device();
  void watch_board();
  const Libgpib& lib_;
  int ud_ = -1;
  bool own_descriptor_ = false;
  status_t status_ = status::SUCCESS;
  std::function<void()> on_request_;
  std::function<void(int, int)> on_change_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;  // ends a pause at once
  std::thread thread_;
};

}  // namespace cppvisa::gpib
