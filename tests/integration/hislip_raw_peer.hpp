// Helpers of the HiSLIP loopback tests: one channel opened by hand (RawPeer), a whole session
// opened by hand (RawSession), to send any message and see every message the server sends, a
// scripted server (ScriptedServer) and a backend of HiSLIP sessions only (HislipOnlyBackend).
#pragma once

#include "core/session_backend.hpp"
#include "protocols/hislip/hislip_channel.hpp"
#include "protocols/hislip/hislip_session.hpp"
#include "protocols/hislip/hislip_wire.hpp"
#include "protocols/net/socket.hpp"
#include "integration/fake_device.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <string>
#include <string_view>
#include <thread>

namespace cppvisa::testing {

/// A backend that opens only HiSLIP sessions (hislip::make_session), for the VISA-level tests.
class HislipOnlyBackend : public core::SessionBackend {
 public:
  std::string name() const override { return "hislip-test"; }
  std::string library_path() const override { return "built-in"; }
  std::vector<std::string> list_resources(session_t) override { return {}; }
  std::unique_ptr<core::Session> create_session(session_t, const ResourceName& name, status_t& st) override {
    return hislip::make_session(name, st);
  }
};

/// One TCP connection to a HiSLIP server, messages sent and received by hand (2 s each).
class RawPeer {
 public:
  explicit RawPeer(std::uint16_t port) : input(socket), stream(input) {
    EXPECT_EQ(net::connect_tcp("127.0.0.1", port, core::Deadline::after_ms(2000), socket), status::SUCCESS);
  }
  status_t send(const hislip::Header& h, std::string_view payload = {}) {
    return hislip::send_message(socket, h, payload, core::Deadline::after_ms(2000));
  }
  status_t send_raw(std::string_view bytes) { return socket.send_all(bytes_of(bytes), core::Deadline::after_ms(2000)); }
  /// The next message (2 s at most).
  status_t next(hislip::Message& m) { return stream.next_message(m, 4096, core::Deadline::after_ms(2000)); }

  net::Socket socket;
  hislip::SocketInput input;
  hislip::MessageStream stream;
};

/// Both channels of a session opened by hand, offering protocol `version`.
struct RawSession {
  RawSession(std::uint16_t port, std::string_view sub, std::uint16_t version = hislip::version_1_0)
      : sync(port), async(port) {
    using hislip::MessageType;
    EXPECT_EQ(sync.send(hislip::make_header(MessageType::initialize, 0, hislip::initialize_parameter(version, "XX")), sub),
              status::SUCCESS);
    hislip::Message m;
    EXPECT_EQ(sync.next(m), status::SUCCESS);
    EXPECT_TRUE(hislip::parse_initialize_response(m.header, init));
    EXPECT_EQ(async.send(hislip::make_header(MessageType::async_initialize, 0, init.session_id)), status::SUCCESS);
    EXPECT_EQ(async.next(m), status::SUCCESS);
    EXPECT_TRUE(m.header.is(MessageType::async_initialize_response));
    async_init = m.header;
  }
  RawPeer sync, async;
  hislip::InitializeResult init;
  hislip::Header async_init;
};

/// The server side of one session, scripted by a test: accepts both channels of one client,
/// answers its initialization (version 2.0, SessionID 7, a 1 MB maximum), then runs the script,
/// then waits until the client closes. Checks record the first problem: verdict() after the script.
class ScriptedServer {
 public:
  /// `async_init_control`: the control code of AsyncInitializeResponse (1: secure connections).
  explicit ScriptedServer(std::function<void(ScriptedServer&)> script, std::uint8_t async_init_control = 0)
      : sync_in(sync), async_in(async), sync_stream(sync_in), async_stream(async_in),
        async_init_control_(async_init_control) {
    EXPECT_EQ(listener_.open("127.0.0.1", 0), status::SUCCESS);
    thread_ = std::thread([this, script = std::move(script)] {
      if (initialize()) script(*this);
      done_.set_value(problem_);
      hislip::Message m;
      while (sync_stream.next_message(m, 1 << 20, core::Deadline::after_ms(10000)) == status::SUCCESS) {
      }
    });
  }
  ~ScriptedServer() {
    sync.shutdown();
    async.shutdown();
    thread_.join();
  }
  std::uint16_t port() const noexcept { return listener_.port(); }
  /// The first failed check ("" when all passed), once the script has ended (10 s at most).
  std::string verdict() {
    auto f = done_.get_future();
    if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return "script did not end";
    return f.get();
  }

  void check(bool ok, const std::string& what) {
    if (!ok && problem_.empty()) problem_ = what;
  }
  bool next_sync(hislip::Message& m) { return sync_stream.next_message(m, 1 << 20, soon()) == status::SUCCESS; }
  bool next_async(hislip::Message& m) { return async_stream.next_message(m, 1 << 20, soon()) == status::SUCCESS; }
  void send_sync(const hislip::Header& h, std::string_view payload = {}) { hislip::send_message(sync, h, payload, soon()); }
  void send_async(const hislip::Header& h, std::string_view payload = {}) {
    hislip::send_message(async, h, payload, soon());
  }
  /// The next sync message, checked to be of `type` (payload `text` unless null).
  hislip::Message expect_sync(hislip::MessageType type, const char* text = nullptr) {
    hislip::Message m;
    check(next_sync(m) && m.header.is(type) && (!text || m.text() == text),
          "expected " + hislip::message_type_name(static_cast<std::uint8_t>(type)) + " on sync, got " +
              hislip::message_type_name(m.header.type) + " '" + std::string(m.text()) + "'");
    return m;
  }
  hislip::Message expect_async(hislip::MessageType type) {
    hislip::Message m;
    check(next_async(m) && m.header.is(type), "expected " + hislip::message_type_name(static_cast<std::uint8_t>(type)) +
                                                  " on async, got " + hislip::message_type_name(m.header.type));
    return m;
  }

  net::Socket sync, async;
  hislip::SocketInput sync_in, async_in;
  hislip::MessageStream sync_stream, async_stream;

 private:
  static core::Deadline soon() { return core::Deadline::after_ms(5000); }
  bool initialize() {
    using hislip::MessageType;
    if (listener_.accept(sync, soon()) != status::SUCCESS) return check(false, "no sync connection"), false;
    hislip::Message m;
    if (!next_sync(m) || !m.header.is(MessageType::initialize)) return check(false, "Initialize"), false;
    send_sync(hislip::make_header(MessageType::initialize_response, 0, (std::uint32_t{hislip::version_2_0} << 16) | 7));
    if (listener_.accept(async, soon()) != status::SUCCESS) return check(false, "no async connection"), false;
    if (!next_async(m) || !m.header.is(MessageType::async_initialize)) return check(false, "AsyncInitialize"), false;
    send_async(hislip::make_header(MessageType::async_initialize_response, async_init_control_, 0x5859));
    if (!next_async(m) || !m.header.is(MessageType::async_maximum_message_size))
      return check(false, "AsyncMaximumMessageSize"), false;
    auto size = hislip::encode_u64(1u << 20);
    hislip::send_message(async, hislip::make_header(MessageType::async_maximum_message_size_response), size, soon());
    return true;
  }
  std::uint8_t async_init_control_;
  net::TcpListener listener_;
  std::thread thread_;
  std::promise<std::string> done_;
  std::string problem_;
};

}  // namespace cppvisa::testing
