#include "protocols/gpib/srq_monitor.hpp"

#include "protocols/gpib/gpib_codes.hpp"

namespace cppvisa::gpib {
namespace {
constexpr int kT100ms = 9;  // the wait period: how long stopping may take
}

SrqMonitor::SrqMonitor(const Libgpib& lib, int board, int pad, int sad, std::function<void()> on_request)
    : lib_(lib), on_request_(std::move(on_request)) {
  ud_ = lib_.api().ibdev(board, pad, sad, kT100ms, 1, 0);
  if (ud_ < 0) {
    status_ = lib_.last().status();
    return;
  }
  thread_ = std::thread([this] { run(); });
}

SrqMonitor::~SrqMonitor() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (ud_ >= 0) lib_.api().ibonl(ud_, 0);
}

void SrqMonitor::run() {
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

}  // namespace cppvisa::gpib
