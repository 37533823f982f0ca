// A served device that answers every message (ended by END) with the message itself, byte for
// byte: binary data, line ends and all. For the Prologix and VICP loopback tests.
#pragma once

#include "server/served_device.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

namespace cppvisa::testing {

class BinaryEchoDevice : public server::ServedDevice {
 public:
  /// The last complete message received.
  std::vector<std::byte> last_message() {
    std::lock_guard lock(mutex_);
    return last_;
  }

 protected:
  server::Output do_output() override {
    std::lock_guard lock(mutex_);
    return output_.empty() ? server::Output::none : server::Output::ready;
  }
  status_t do_write(std::span<const std::byte> data, bool end, std::size_t& count, core::Deadline) override {
    std::lock_guard lock(mutex_);
    input_.insert(input_.end(), data.begin(), data.end());
    count = data.size();
    if (end) {
      last_ = input_;
      output_.push_back(std::move(input_));
      input_.clear();
      changed_.notify_all();
    }
    return status::SUCCESS;
  }
  status_t do_read(std::span<std::byte> buffer, std::optional<std::byte> termchar, server::ReadResult& result,
                   core::Deadline deadline) override {
    std::unique_lock lock(mutex_);
    result = {};
    if (!changed_.wait_until(lock, deadline.when(), [&] { return !output_.empty() || aborted_; })) return status::ERROR_TMO;
    if (aborted_) {
      aborted_ = false;
      return status::ERROR_ABORT;
    }
    auto& m = output_.front();
    while (result.count < buffer.size() && offset_ < m.size()) {
      std::byte b = m[offset_++];
      buffer[result.count++] = b;
      if (termchar && b == *termchar) {
        result.termchar = true;
        break;
      }
    }
    if (offset_ == m.size()) {
      result.end = true;
      output_.pop_front();
      offset_ = 0;
    }
    return status::SUCCESS;
  }
  status_t do_clear(core::Deadline) override {
    std::lock_guard lock(mutex_);
    output_.clear();
    input_.clear();
    offset_ = 0;
    return status::SUCCESS;
  }
  void do_abort() override {
    std::lock_guard lock(mutex_);
    aborted_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::byte> input_, last_;
  std::deque<std::vector<std::byte>> output_;
  std::size_t offset_ = 0;
  bool aborted_ = false;
};

}  // namespace cppvisa::testing
