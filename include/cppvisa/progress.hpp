/// @file progress.hpp
/// @brief Progress of long reads shown to a person at a terminal (the tools' `ReadProgress`).
#pragma once

#include <cppvisa/export.hpp>
#include <cppvisa/message_based.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace cppvisa {

/// One progress line for a read of `done` bytes of `total` (0: unknown) after `seconds`:
/// "58.5 MB of 100.0 MB (58%), 116.9 MB/s, 0.4 s left" (MB = 10^6 bytes).
CPPVISA_API std::string progress_line(std::size_t done, std::size_t total, double seconds);

/// Progress of long reads on the standard error, when it is a terminal: progress_line() on one
/// line, redrawn at most 10 times a second from half a second into the transfer (short ones show
/// nothing) and erased when the object goes. Not a terminal: nothing at all. Use one per read:
/// @code
///   std::vector<std::byte> reply;
///   {
///     cppvisa::TerminalProgress progress;
///     reply = cppvisa::read_reply(inst, progress.callback());
///   }  // the line is gone before the reply is printed
/// @endcode
class CPPVISA_API TerminalProgress {
 public:
  TerminalProgress();
  ~TerminalProgress();
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;
  /// The callback for read_reply() and BinaryReadOptions::progress (empty when stderr is not a
  /// terminal); it refers to this object, which must outlive the read.
  ReadProgress callback();

 private:
  void update(std::size_t done, std::size_t total);
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace cppvisa
