// termios2 lives in <asm/termbits.h>, which cannot be mixed with glibc's <termios.h>: this file
// is the only one that talks termios to the kernel, by ioctl.
#include "protocols/serial/line_settings.hpp"

#include <asm/ioctls.h>
#include <asm/termbits.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstdlib>

namespace cppvisa::serial {
namespace {

struct StandardRate {
  std::uint32_t rate;
  unsigned code;
};

constexpr StandardRate kStandardRates[] = {
    {50, B50},         {75, B75},           {110, B110},         {134, B134},         {150, B150},
    {200, B200},       {300, B300},         {600, B600},         {1200, B1200},       {1800, B1800},
    {2400, B2400},     {4800, B4800},       {9600, B9600},       {19200, B19200},     {38400, B38400},
    {57600, B57600},   {115200, B115200},   {230400, B230400},   {460800, B460800},   {500000, B500000},
    {576000, B576000}, {921600, B921600},   {1000000, B1000000}, {1152000, B1152000}, {1500000, B1500000},
    {2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000}, {3500000, B3500000}, {4000000, B4000000},
};

status_t errno_status(int err) {
  switch (err) {
    case EIO: case ENXIO: case ENODEV: return status::ERROR_CONN_LOST;
    case EINVAL: return status::ERROR_NSUP_ATTR_STATE;
    default: return status::ERROR_IO;
  }
}

// Unix98 pty slaves (devices.txt: majors 136-143) take any rate but force CS8 without parity:
// there is no line whose format could differ.
bool is_pseudo_terminal(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) return false;
  unsigned m = major(st.st_rdev);
  return m >= 136 && m <= 143;
}

}  // namespace

status_t check_line_settings(const LineSettings& s) {
  if (s.baud == 0) return status::ERROR_NSUP_ATTR_STATE;
  if (s.data_bits < 5 || s.data_bits > 8) return status::ERROR_NSUP_ATTR_STATE;
  switch (s.parity) {
    case Parity::none: case Parity::odd: case Parity::even: case Parity::mark: case Parity::space: break;
    default: return status::ERROR_NSUP_ATTR_STATE;
  }
  switch (s.stop_bits) {
    case StopBits::one: case StopBits::two: break;
    case StopBits::one_and_a_half:
      if (s.data_bits != 5) return status::ERROR_NSUP_ATTR_STATE;
      break;
    default: return status::ERROR_NSUP_ATTR_STATE;
  }
  const auto known = static_cast<std::uint16_t>(FlowControl::xon_xoff) | static_cast<std::uint16_t>(FlowControl::rts_cts);
  if (s.flow & ~known) return status::ERROR_NSUP_ATTR_STATE;  // DTR/DSR: no termios flag on Linux
  return status::SUCCESS;
}

TermiosFlags termios_flags(const LineSettings& s, bool keep_hupcl) {
  TermiosFlags f;
  f.iflag = IGNBRK | INPCK | PARMRK;  // errors arrive as \377 \0 c; a data \377 as \377 \377
  if (s.flow & static_cast<std::uint16_t>(FlowControl::xon_xoff)) f.iflag |= IXON | IXOFF;
  f.cflag = CREAD | CLOCAL | (keep_hupcl ? HUPCL : 0);
  switch (s.data_bits) {
    case 5: f.cflag |= CS5; break;
    case 6: f.cflag |= CS6; break;
    case 7: f.cflag |= CS7; break;
    default: f.cflag |= CS8; break;
  }
  if (s.stop_bits != StopBits::one) f.cflag |= CSTOPB;
  switch (s.parity) {
    case Parity::odd: f.cflag |= PARENB | PARODD; break;
    case Parity::even: f.cflag |= PARENB; break;
    case Parity::mark: f.cflag |= PARENB | CMSPAR | PARODD; break;
    case Parity::space: f.cflag |= PARENB | CMSPAR; break;
    default: break;
  }
  if (s.flow & static_cast<std::uint16_t>(FlowControl::rts_cts)) f.cflag |= CRTSCTS;
  return f;
}

status_t apply_line_settings(int fd, const LineSettings& s) {
  if (status_t st = check_line_settings(s); st < 0) return st;
  termios2 t{};
  if (ioctl(fd, TCGETS2, &t) != 0) return errno_status(errno);

  const TermiosFlags flags = termios_flags(s, (t.c_cflag & HUPCL) != 0);
  t.c_iflag = flags.iflag;
  t.c_oflag = flags.oflag;
  t.c_cflag = flags.cflag;
  t.c_lflag = flags.lflag;

  unsigned code = BOTHER;
  for (const auto& r : kStandardRates)
    if (r.rate == s.baud) code = r.code;
  t.c_cflag |= code;  // input speed bits (CIBAUD) left 0: input rate = output rate
  t.c_ispeed = s.baud;
  t.c_ospeed = s.baud;

  for (auto& c : t.c_cc) c = 0;
  t.c_cc[VMIN] = 1;  // with O_NONBLOCK: EAGAIN when empty, 0 only at hang-up
  t.c_cc[VTIME] = 0;
  t.c_cc[VSTART] = s.xon;
  t.c_cc[VSTOP] = s.xoff;

  if (ioctl(fd, TCSETS2, &t) != 0) return errno_status(errno);
  // tcsetattr succeeds when any change was taken: read the rate back (drivers may round it).
  termios2 back{};
  if (ioctl(fd, TCGETS2, &back) != 0) return errno_status(errno);
  const long long diff = std::llabs(static_cast<long long>(back.c_ospeed) - static_cast<long long>(s.baud));
  if (diff * 100 > static_cast<long long>(s.baud) * 3) return status::ERROR_NSUP_ATTR_STATE;
  if (is_pseudo_terminal(fd)) return status::SUCCESS;
  if ((back.c_cflag & CSIZE) != (t.c_cflag & CSIZE) || (back.c_cflag & (PARENB | PARODD | CMSPAR)) !=
                                                             (t.c_cflag & (PARENB | PARODD | CMSPAR)))
    return status::ERROR_NSUP_ATTR_STATE;
  return status::SUCCESS;
}

std::optional<LineSettings> read_line_settings(int fd) {
  termios2 t{};
  if (ioctl(fd, TCGETS2, &t) != 0) return std::nullopt;
  LineSettings s;
  s.baud = t.c_ospeed;
  switch (t.c_cflag & CSIZE) {
    case CS5: s.data_bits = 5; break;
    case CS6: s.data_bits = 6; break;
    case CS7: s.data_bits = 7; break;
    default: s.data_bits = 8; break;
  }
  if (!(t.c_cflag & PARENB)) s.parity = Parity::none;
  else if (t.c_cflag & CMSPAR) s.parity = (t.c_cflag & PARODD) ? Parity::mark : Parity::space;
  else s.parity = (t.c_cflag & PARODD) ? Parity::odd : Parity::even;
  if (t.c_cflag & CSTOPB) s.stop_bits = s.data_bits == 5 ? StopBits::one_and_a_half : StopBits::two;
  s.flow = 0;
  if (t.c_iflag & IXON) s.flow |= static_cast<std::uint16_t>(FlowControl::xon_xoff);
  if (t.c_cflag & CRTSCTS) s.flow |= static_cast<std::uint16_t>(FlowControl::rts_cts);
  s.xon = t.c_cc[VSTART];
  s.xoff = t.c_cc[VSTOP];
  return s;
}

}  // namespace cppvisa::serial
