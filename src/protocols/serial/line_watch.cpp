#include "protocols/serial/line_watch.hpp"

#include <linux/serial.h>
#include <sys/ioctl.h>

#include <algorithm>

namespace cppvisa::serial {

bool read_line_status(int fd, LineStatus& status) {
  status = LineStatus{};
  serial_icounter_struct c{};
  if (::ioctl(fd, TIOCGICOUNT, &c) == 0) {
    status.counters = true;
    status.cts = c.cts;
    status.dsr = c.dsr;
    status.dcd = c.dcd;
    status.ri = c.rng;
    status.breaks = c.brk;
  }
  int bits = 0;
  if (::ioctl(fd, TIOCMGET, &bits) == 0) {
    status.levels_known = true;
    status.levels = bits;
  }
  return status.counters || status.levels_known;
}

PortActivity line_changes(const LineStatus& before, const LineStatus& now, int cap) {
  PortActivity a;
  if (before.counters && now.counters) {
    auto diff = [cap](int was, int is) { return is == was ? 0 : is > was ? std::min(is - was, cap) : 1; };
    a.cts = diff(before.cts, now.cts);
    a.dsr = diff(before.dsr, now.dsr);
    a.dcd = diff(before.dcd, now.dcd);
    a.ri = diff(before.ri, now.ri);
    a.breaks = diff(before.breaks, now.breaks);
    return a;
  }
  if (before.levels_known && now.levels_known) {
    const int changed = before.levels ^ now.levels;
    a.cts = (changed & TIOCM_CTS) ? 1 : 0;
    a.dsr = (changed & TIOCM_DSR) ? 1 : 0;
    a.dcd = (changed & TIOCM_CAR) ? 1 : 0;
    a.ri = (changed & TIOCM_RNG) ? 1 : 0;
  }
  return a;
}

}  // namespace cppvisa::serial
