// gpib::SrqMonitor: a thread that watches for service requests and calls back once per request.
// - For a device (INSTR): it waits with ibwait(RQS) on a descriptor of its own with a short
//   timeout, so the session's descriptor keeps its own; RQS comes from linux-gpib's automatic
//   serial poll, whose status byte stays queued for the session's next ibrsp (viReadSTB).
// - For a board (INTFC): the board's descriptor is the session's too (its timeout is not the
//   monitor's to change), so the monitor looks at SRQI (ibwait with an empty mask returns at
//   once) every 20 ms and reports each time the SRQ line goes from unasserted to asserted (a
//   request polled away and made again within one period is not seen: docs/gpib.md).
#pragma once

#include "protocols/gpib/libgpib.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace cppvisa::gpib {

class SrqMonitor {
 public:
  /// Watches the device (board, pad, sad) through a descriptor of its own.
  SrqMonitor(const Libgpib& lib, int board, int pad, int sad, std::function<void()> on_request);
  /// Watches the SRQ line of `board`.
  SrqMonitor(const Libgpib& lib, int board, std::function<void()> on_request);
  /// Stops the thread (within one wait period, 100 ms) and closes its descriptor.
  ~SrqMonitor();
  SrqMonitor(const SrqMonitor&) = delete;
  SrqMonitor& operator=(const SrqMonitor&) = delete;

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
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;  // ends the board monitor's pause at once
  std::thread thread_;
};

}  // namespace cppvisa::gpib
