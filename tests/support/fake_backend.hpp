// An in-memory backend for tests of the C++ API and the session framework: each resource is a
// scripted device whose responses the test controls.
#pragma once

#include "core/message_reader.hpp"
#include "core/session.hpp"
#include "core/session_backend.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <cstring>
#include <string>

namespace cppvisa::testing {

/// A scripted device: what is written is recorded; `respond` turns a complete message into replies.
struct FakeBackendDevice {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::pair<std::string, bool>> output;  // (bytes, END after them)
  std::vector<std::string> messages;                // complete messages written
  std::string partial;                              // written without END yet
  std::function<std::vector<std::string>(const std::string&)> respond;
  std::uint16_t stb = 0;
  int clears = 0, triggers = 0;
  bool lost = false;  ///< the connection is gone: reads past `output` give VI_ERROR_CONN_LOST

  /// Loses the connection once what was pushed has been read (a peer hanging up).
  void hang_up() {
    std::lock_guard g(mutex);
    lost = true;
    changed.notify_all();
  }

  void push(std::string data, bool end = true) {
    std::lock_guard g(mutex);
    output.emplace_back(std::move(data), end);
    changed.notify_all();
  }
};

class FakeSession : public core::Session, private core::ByteSource {
 public:
  FakeSession(const ResourceName& name, std::shared_ptr<FakeBackendDevice> dev)
      : Session(name, {event::service_request, event::clear, event::trig}), dev_(std::move(dev)) {}

  status_t write(std::span<const std::byte> data, std::size_t& count, core::Deadline) override {
    std::vector<std::string> replies;
    {
      std::lock_guard g(dev_->mutex);
      dev_->partial.append(reinterpret_cast<const char*>(data.data()), data.size());
      count = data.size();
      if (!send_end()) return status::SUCCESS;
      dev_->messages.push_back(dev_->partial);
      if (dev_->respond) replies = dev_->respond(dev_->partial);
      dev_->partial.clear();
      for (auto& r : replies) dev_->output.emplace_back(r, true);
      dev_->changed.notify_all();
    }
    return status::SUCCESS;
  }
  status_t read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) override {
    return reader_.read(*this, buffer, count, read_termination(), deadline);
  }
  status_t read_stb(std::uint16_t& stb, core::Deadline) override {
    std::lock_guard g(dev_->mutex);
    stb = dev_->stb;
    return status::SUCCESS;
  }
  status_t clear(core::Deadline) override {
    reader_.discard();
    std::lock_guard g(dev_->mutex);
    dev_->output.clear();
    ++dev_->clears;
    return status::SUCCESS;
  }
  status_t assert_trigger(TriggerProtocol, core::Deadline) override {
    std::lock_guard g(dev_->mutex);
    ++dev_->triggers;
    return status::SUCCESS;
  }
  status_t flush(std::uint16_t mask, core::Deadline) override {
    if (mask & (buffer::read_buf_discard | buffer::io_in_buf_discard | buffer::read_buf)) reader_.discard();
    return status::SUCCESS;
  }
  /// Raises a service request (as a device asserting SRQ).
  void request_service() { raise_event(std::make_shared<core::Event>(event::service_request)); }

 private:
  status_t receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) override {
    std::unique_lock g(dev_->mutex);
    auto ready = [&] { return !dev_->output.empty() || dev_->lost; };
    if (deadline.infinite()) dev_->changed.wait(g, ready);
    else if (!dev_->changed.wait_until(g, deadline.when(), ready)) return status::ERROR_TMO;
    if (dev_->output.empty()) return status::ERROR_CONN_LOST;
    auto& [data, e] = dev_->output.front();
    count = std::min(buffer.size(), data.size());
    std::memcpy(buffer.data(), data.data(), count);
    data.erase(0, count);
    end = false;
    if (data.empty()) {
      end = e;
      dev_->output.pop_front();
    }
    return status::SUCCESS;
  }
  std::shared_ptr<FakeBackendDevice> dev_;
  core::MessageReader reader_;
};

class FakeBackend : public core::SessionBackend {
 public:
  std::string name() const override { return "fake"; }
  std::string library_path() const override { return "in-memory"; }
  /// Adds a device under its canonical name.
  std::shared_ptr<FakeBackendDevice> add(const std::string& name) {
    auto canonical = ResourceName::parse(name).canonical();
    auto dev = std::make_shared<FakeBackendDevice>();
    std::lock_guard g(mutex_);
    devices_[canonical] = dev;
    return dev;
  }
  std::vector<std::string> list_resources(session_t) override {
    std::lock_guard g(mutex_);
    std::vector<std::string> out;
    for (auto& [n, d] : devices_) out.push_back(n);
    return out;
  }
  std::unique_ptr<core::Session> create_session(session_t, const ResourceName& name, status_t& st) override {
    std::lock_guard g(mutex_);
    auto it = devices_.find(name.canonical());
    if (it == devices_.end()) {
      st = status::ERROR_RSRC_NFOUND;
      return nullptr;
    }
    auto s = std::make_unique<FakeSession>(name, it->second);
    last_session = s.get();
    return s;
  }
  FakeSession* last_session = nullptr;

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<FakeBackendDevice>> devices_;
};

}  // namespace cppvisa::testing
