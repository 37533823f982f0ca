// A fake message-based instrument for the LAN loopback tests (implements server::ServedDevice's hooks).
// Commands (one per message, ended by LF or END):
//   *IDN?            -> "FAKE,LAN-TEST,0,1.0\n"
//   ECHO? <text>     -> "<text>\n"
//   BLOCK? <n>       -> "#<digits><n>" + n bytes (0,1,...,255,0,... includes LF bytes) + "\n"
//   PARTS? <n>       -> n separate messages "part<i>\n"
//   SRQ              -> sets the RQS bit (0x40) of the status byte and requests service
//   SILENT?          -> no reply (a query that times out)
//   anything else    -> remembered in `log`
#pragma once

#include "server/served_device.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace cppvisa::testing {

class FakeDevice : public server::ServedDevice {
 public:
  FakeDevice() = default;
  explicit FakeDevice(Options options) : ServedDevice(options) {}

  /// Whether do_output() reports what is queued (a device that knows, like the simulated ones) or
  /// Output::unknown (a real instrument behind a bus).
  std::atomic<bool> knows_output{true};

 protected:
  server::Output do_output() override {
    if (!knows_output) return server::Output::unknown;
    std::lock_guard lock(mutex_);
    return output_.empty() ? server::Output::none : server::Output::ready;
  }

  status_t do_write(std::span<const std::byte> data, bool end, std::size_t& count, core::Deadline deadline) override {
    std::unique_lock lock(mutex_);
    count = 0;
    if (input_held_) {  // takes nothing; refuses the data when released, at its deadline, or aborted
      aborted_ = false;
      ++writes_held;
      auto released = [&] { return !input_held_ || aborted_; };
      if (ignore_deadlines)
        changed_.wait(lock, released);
      else
        changed_.wait_until(lock, deadline.when(), released);
      return aborted_ ? status::ERROR_ABORT : status::ERROR_TMO;
    }
    for (std::byte b : data) {
      input_ += static_cast<char>(b);
      if (b == std::byte{'\n'}) complete_message();
    }
    if (end && !input_.empty()) complete_message();
    count = data.size();
    bytes_written += data.size();
    return status::SUCCESS;
  }

  status_t do_read(std::span<std::byte> buffer, std::optional<std::byte> termchar, server::ReadResult& result,
                   core::Deadline deadline) override {
    std::unique_lock lock(mutex_);
    result = {};
    aborted_ = false;
    ++reads;
    ++reads_in_progress;
    changed_.notify_all();
    while (result.count < buffer.size()) {
      if (output_.empty()) {
        if (result.count > 0) break;  // return what we have (more may follow in a later read)
        auto ready = [&] { return !output_.empty() || aborted_; };
        bool woke = true;
        if (ignore_deadlines)
          changed_.wait(lock, ready);  // a misbehaving instrument: only output or an abort ends the wait
        else
          woke = changed_.wait_until(lock, deadline.when(), ready);
        if (aborted_) {
          --reads_in_progress;
          return status::ERROR_ABORT;
        }
        if (!woke) {
          --reads_in_progress;
          return status::ERROR_TMO;
        }
        continue;
      }
      auto& message = output_.front();
      std::byte b = message[offset_++];
      buffer[result.count++] = b;
      bool last = offset_ == message.size();
      if (last) {
        output_.pop_front();
        offset_ = 0;
      }
      if (last) {
        result.end = true;
        break;
      }
      if (termchar && b == *termchar) {
        result.termchar = true;
        break;
      }
    }
    if (result.end && termchar && buffer[result.count - 1] == *termchar) result.termchar = true;
    --reads_in_progress;
    return status::SUCCESS;
  }

  status_t do_read_stb(std::uint8_t& stb, core::Deadline deadline) override {
    std::unique_lock lock(mutex_);
    if (status_t st = wait_while_control_held(lock, deadline); st < 0) return st;
    stb = stb_;
    stb_ &= static_cast<std::uint8_t>(~0x40);  // RQS clears after the serial poll
    return status::SUCCESS;
  }
  status_t do_trigger(core::Deadline deadline) override {
    {
      std::unique_lock lock(mutex_);
      if (status_t st = wait_while_control_held(lock, deadline); st < 0) return st;
    }
    ++triggers;
    return status::SUCCESS;
  }
  status_t do_clear(core::Deadline deadline) override {
    std::unique_lock lock(mutex_);
    if (status_t st = wait_while_control_held(lock, deadline); st < 0) return st;
    output_.clear();
    offset_ = 0;
    input_.clear();
    ++clears;
    return status::SUCCESS;
  }
  status_t do_remote(core::Deadline) override {
    is_remote = true;
    return status::SUCCESS;
  }
  status_t do_local(core::Deadline) override {
    is_remote = false;
    return status::SUCCESS;
  }
  void do_abort() override {
    std::lock_guard lock(mutex_);
    aborted_ = true;
    changed_.notify_all();
  }

 public:
  /// Requests service from outside (as a front-panel event would).
  void request_service() {
    {
      std::lock_guard lock(mutex_);
      stb_ |= 0x40;
    }
    service_requested();
  }
  /// An instrument that takes no input while held: do_write() accepts nothing and waits until
  /// release_input(), its deadline (unless it ignores deadlines) or an abort, then refuses the data.
  void hold_input() {
    std::lock_guard lock(mutex_);
    input_held_ = true;
  }
  void release_input() {
    std::lock_guard lock(mutex_);
    input_held_ = false;
    changed_.notify_all();
  }
  /// An instrument that does not answer serial polls, triggers or clears while held: they wait
  /// until release_control(), their deadline (unless it ignores deadlines) or an abort, then fail.
  void hold_control() {
    std::lock_guard lock(mutex_);
    control_held_ = true;
  }
  void release_control() {
    std::lock_guard lock(mutex_);
    control_held_ = false;
    changed_.notify_all();
  }
  /// Waits until a read is blocked in the device (for abort tests; no sleeps).
  bool wait_for_blocked_read(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return reads_in_progress > 0; });
  }
  std::vector<std::string> log_copy() {
    std::lock_guard lock(mutex_);
    return log;
  }
  void queue_output(std::string text) {
    std::lock_guard lock(mutex_);
    push(text);
  }

  std::atomic<int> triggers{0}, clears{0};
  /// do_read() calls so far (a server must not read when no response is on its way).
  std::atomic<int> reads{0};
  /// do_write() calls that met a held input.
  std::atomic<int> writes_held{0};
  std::atomic<bool> ignore_deadlines{false};
  std::atomic<bool> is_remote{false};
  std::atomic<std::size_t> bytes_written{0};
  int reads_in_progress = 0;  // guarded by mutex_
  std::vector<std::string> log;  // guarded by mutex_

 private:
  status_t wait_while_control_held(std::unique_lock<std::mutex>& lock, core::Deadline deadline) {
    if (!control_held_) return status::SUCCESS;
    aborted_ = false;
    auto released = [&] { return !control_held_ || aborted_; };
    if (ignore_deadlines)
      changed_.wait(lock, released);
    else
      changed_.wait_until(lock, deadline.when(), released);
    if (aborted_) return status::ERROR_ABORT;
    return status::ERROR_TMO;  // released or timed out: this one is not answered
  }
  void push(const std::string& text) {
    std::vector<std::byte> m(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) m[i] = static_cast<std::byte>(text[i]);
    output_.push_back(std::move(m));
    changed_.notify_all();
  }
  void complete_message() {
    std::string m = input_;
    input_.clear();
    while (!m.empty() && (m.back() == '\n' || m.back() == '\r')) m.pop_back();
    if (m == "*IDN?") {
      push("FAKE,LAN-TEST,0,1.0\n");
    } else if (m.rfind("ECHO? ", 0) == 0) {
      push(m.substr(6) + "\n");
    } else if (m.rfind("BLOCK? ", 0) == 0) {
      std::size_t n = std::stoul(m.substr(7));
      std::string digits = std::to_string(n);
      std::string block = "#" + std::to_string(digits.size()) + digits;
      for (std::size_t i = 0; i < n; ++i) block += static_cast<char>(i & 0xFF);
      push(block + "\n");
    } else if (m.rfind("PARTS? ", 0) == 0) {
      int n = std::stoi(m.substr(7));
      for (int i = 0; i < n; ++i) push("part" + std::to_string(i) + "\n");
    } else if (m == "SRQ") {
      stb_ |= 0x40;
      service_requested();  // listeners must not block (the servers queue)
    } else if (m == "SILENT?") {
    } else {
      log.push_back(m);
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::string input_;
  std::deque<std::vector<std::byte>> output_;
  std::size_t offset_ = 0;
  std::uint8_t stb_ = 0;
  bool aborted_ = false;
  bool input_held_ = false;
  bool control_held_ = false;
};

inline std::span<const std::byte> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline std::string text_of(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace cppvisa::testing
