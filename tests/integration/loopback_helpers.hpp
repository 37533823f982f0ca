// Helpers of the Prologix and VICP loopback tests: a native backend with a resource manager and
// text I/O on its sessions, a wait for effects that have no acknowledgement, and a scripted peer
// that accepts one connection.
#pragma once

#include "backends/native/native_backend.hpp"
#include "integration/fake_device.hpp"
#include "protocols/net/socket.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace cppvisa::testing {

/// Waits (up to 5 s) until `done`; for effects a protocol does not acknowledge.
inline bool eventually(const std::function<bool()>& done) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

class BackendClient {
 public:
  BackendClient() : backend_(native::make_backend()) { EXPECT_EQ(backend_->open_default_rm(rm_), status::SUCCESS); }
  ~BackendClient() { backend_->close(rm_); }
  status_t open(const std::string& name, session_t& s, std::uint32_t timeout = 2000) {
    return backend_->open(rm_, name, AccessMode::no_lock, timeout, s);
  }
  status_t write(session_t s, std::string_view text) {
    std::size_t n = 0;
    return backend_->write(s, bytes_of(text), n);
  }
  status_t read(session_t s, std::string& out, std::size_t size = 1 << 16) {
    std::vector<std::byte> buffer(size);
    std::size_t n = 0;
    status_t st = backend_->read(s, buffer, n);
    out = text_of(std::span(buffer).first(n));
    return st;
  }
  status_t set(session_t s, attr_id_t id, std::int64_t v) { return backend_->set_attribute(s, id, v); }
  Backend& backend() { return *backend_; }

 private:
  std::shared_ptr<Backend> backend_;
  session_t rm_ = 0;
};

/// A peer on 127.0.0.1:<free port> that accepts one connection and runs `script` on it.
class ScriptedPeer {
 public:
  explicit ScriptedPeer(std::function<void(net::Socket&)> script) {
    EXPECT_EQ(listener_.open("127.0.0.1", 0), status::SUCCESS);
    thread_ = std::thread([this, script = std::move(script)] {
      net::Socket s;
      if (listener_.accept(s, core::Deadline::after_ms(10000)) != status::SUCCESS) return;
      script(s);
    });
  }
  ~ScriptedPeer() { thread_.join(); }
  std::uint16_t port() const { return listener_.port(); }

  /// Reads until `text` has arrived (or `ms`); what came.
  static std::string expect(net::Socket& s, std::string_view text, std::uint32_t ms = 5000) {
    std::string seen;
    auto until = core::Deadline::after_ms(ms);
    while (seen.find(text) == std::string::npos) {
      std::array<std::byte, 4096> b;
      std::size_t n = 0;
      if (s.recv_some(b, until, n) != status::SUCCESS) break;
      seen += text_of(std::span(b).first(n));
    }
    return seen;
  }
  static void send(net::Socket& s, std::string_view bytes) { s.send_all(bytes_of(bytes), core::Deadline::after_ms(2000)); }

 private:
  net::TcpListener listener_;
  std::thread thread_;
};

}  // namespace cppvisa::testing
