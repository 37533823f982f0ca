// gpib::SrqMonitor: a thread that waits (ibwait RQS) for one device to request service and
// calls back once per request. It has its own device descriptor with a short timeout, so the
// session's descriptor keeps its own; RQS comes from linux-gpib's automatic serial poll, whose
// status byte stays queued for the session's next ibrsp (viReadSTB).
#pragma once

#include "protocols/gpib/libgpib.hpp"

#include <atomic>
#include <functional>
#include <thread>

namespace cppvisa::gpib {

class SrqMonitor {
 public:
  /// Opens a descriptor for (board, pad, sad) and starts waiting; `on_request` runs on the
  /// monitor's thread for each service request (once until the request is polled away).
  SrqMonitor(const Libgpib& lib, int board, int pad, int sad, std::function<void()> on_request);
  /// Stops the thread (within one wait period, 100 ms) and closes the descriptor.
  ~SrqMonitor();
  SrqMonitor(const SrqMonitor&) = delete;
  SrqMonitor& operator=(const SrqMonitor&) = delete;

  /// VI_SUCCESS, or why the descriptor could not be opened (then nothing is monitored).
  status_t status() const noexcept { return status_; }

 private:
  void run();
  const Libgpib& lib_;
  int ud_ = -1;
  status_t status_ = status::SUCCESS;
  std::function<void()> on_request_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace cppvisa::gpib
