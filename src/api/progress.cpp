// Progress of long reads at a terminal (progress.hpp).
#include <cppvisa/progress.hpp>

#include <fmt/format.h>

#include <cstdio>

#include <unistd.h>

namespace cppvisa {

std::string progress_line(std::size_t done, std::size_t total, double seconds) {
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;  // bytes/s
  std::string line = fmt::format("{:.1f} MB", static_cast<double>(done) / 1e6);
  if (total > 0)
    line += fmt::format(" of {:.1f} MB ({:.0f}%)", static_cast<double>(total) / 1e6,
                        100.0 * static_cast<double>(done) / static_cast<double>(total));
  line += fmt::format(", {:.1f} MB/s", rate / 1e6);
  if (total > done && rate > 0) line += fmt::format(", {:.1f} s left", static_cast<double>(total - done) / rate);
  return line;
}

TerminalProgress::TerminalProgress()
    : tty_(::isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()), last_(start_) {}

TerminalProgress::~TerminalProgress() {
  if (shown_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
}

ReadProgress TerminalProgress::callback() {
  if (!tty_) return nullptr;
  start_ = last_ = std::chrono::steady_clock::now();
  return [this](std::size_t done, std::size_t total) { update(done, total); };
}

void TerminalProgress::update(std::size_t done, std::size_t total) {
  using namespace std::chrono;
  auto now = steady_clock::now();
  if (now - start_ < milliseconds(500) || (shown_ && now - last_ < milliseconds(100))) return;
  last_ = now;
  shown_ = true;
  // \r and "erase to the end of the line" (ECMA-48 EL, CSI K): the line is redrawn in place.
  std::fputs(("\r\033[K" + progress_line(done, total, duration<double>(now - start_).count())).c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace cppvisa
