// HiSLIP Interrupted / AsyncInterrupted (IVI-6.1 §6.10) and Error / FatalError both ways: our
// client against scripted servers (every order of the two interrupt messages, Errors of every
// class with their VISA statuses, a FatalError's text reaching the caller, messages the client
// does not take answered with Error, a poorly formed header answered with FatalError 1), and
// our client against our server (a new query interrupting a slow answer).
#include "core/error_detail.hpp"
#include "integration/fake_device.hpp"
#include "integration/hislip_raw_peer.hpp"
#include "protocols/hislip/hislip_client.hpp"
#include "protocols/hislip/hislip_server.hpp"

#include <gtest/gtest.h>

namespace cppvisa {
namespace {

using hislip::make_header;
using hislip::MessageType;
using testing::bytes_of;
using testing::ScriptedServer;
using testing::text_of;

constexpr std::uint32_t first_id = hislip::initial_message_id;

core::Deadline in_ms(std::uint32_t ms) { return core::Deadline::after_ms(ms); }

struct Reader {
  hislip::Client& c;
  status_t st = status::SUCCESS;
  std::string operator()(std::uint32_t ms = 5000) {
    std::vector<std::byte> buffer(256);
    std::size_t n = 0;
    st = c.read(buffer, n, core::ReadTermination{}, in_ms(ms));
    return text_of(std::span(buffer).first(n));
  }
};

status_t send(hislip::Client& c, std::string_view text, std::uint32_t ms = 5000) {
  std::size_t n = 0;
  return c.write(bytes_of(text), true, n, in_ms(ms));
}

TEST(HislipClientInterrupted, AsyncInterruptedFirstDropsDataUntilInterrupted) {
  ScriptedServer server([&](ScriptedServer& s) {
    s.expect_sync(MessageType::data_end, "Q1\n");
    s.expect_sync(MessageType::data_end, "Q2\n");
    s.send_async(make_header(MessageType::async_interrupted, 0, first_id + 2));
    // Let the client's reader take AsyncInterrupted before the sync channel goes on: the client
    // says so by asking the status byte (its async requests go after it in the channel's order).
    s.expect_async(MessageType::async_status_query);
    s.send_async(make_header(MessageType::async_status_response, 0));
    s.send_sync(make_header(MessageType::data, 0, hislip::unknown_message_id), "old answer, ");
    s.send_sync(make_header(MessageType::data_end, 0, first_id), "end of it\n");
    s.send_sync(make_header(MessageType::interrupted, 0, first_id + 2));
    s.send_sync(make_header(MessageType::data_end, 0, first_id + 2), "A2\n");
  });
  hislip::Client c;
  ASSERT_EQ(c.open({"127.0.0.1", server.port(), "hislip0"}, in_ms(5000)), status::SUCCESS);
  ASSERT_EQ(send(c, "Q1\n"), status::SUCCESS);
  ASSERT_EQ(send(c, "Q2\n"), status::SUCCESS);
  std::uint8_t stb = 0;
  ASSERT_EQ(c.read_stb(stb, in_ms(5000)), status::SUCCESS);
  Reader read{c};
  EXPECT_EQ(read(), "A2\n");
  EXPECT_EQ(read.st, status::SUCCESS);
  EXPECT_EQ(server.verdict(), "");
}

TEST(HislipClientInterrupted, InterruptedFirstHoldsTheNextMessageUntilAsyncInterrupted) {
  std::promise<void> go;
  auto go_seen = go.get_future();
  ScriptedServer server([&](ScriptedServer& s) {
    s.expect_sync(MessageType::data_end, "Q1\n");
    s.send_sync(make_header(MessageType::interrupted, 0, first_id));
    s.send_sync(make_header(MessageType::data_end, 0, first_id), "A1\n");
    go_seen.wait_for(std::chrono::seconds(10));  // the client tried to send Q2 and could not
    s.send_async(make_header(MessageType::async_interrupted, 0, first_id));
    hislip::Message m = s.expect_sync(MessageType::data_end, "Q2\n");
    s.check(m.header.parameter == first_id + 2, "Q2's MessageID (the refused attempt used none)");
    s.send_sync(make_header(MessageType::data_end, 0, first_id + 2), "A2\n");
  });
  hislip::Client c;
  ASSERT_EQ(c.open({"127.0.0.1", server.port(), "hislip0"}, in_ms(5000)), status::SUCCESS);
  ASSERT_EQ(send(c, "Q1\n"), status::SUCCESS);
  Reader read{c};
  EXPECT_EQ(read(), "A1\n");
  // §6.10: after Interrupted alone nothing is sent until AsyncInterrupted.
  core::clear_detail();
  EXPECT_EQ(send(c, "Q2\n", 300), status::ERROR_TMO);
  EXPECT_NE(core::detail_for(status::ERROR_TMO).find("AsyncInterrupted"), std::string::npos);
  go.set_value();
  EXPECT_EQ(send(c, "Q2\n"), status::SUCCESS);
  EXPECT_EQ(read(), "A2\n");
  EXPECT_EQ(server.verdict(), "");
}

TEST(HislipClientInterrupted, InterruptedInTheMiddleOfAReadRestartsIt) {
  ScriptedServer server([&](ScriptedServer& s) {
    s.expect_sync(MessageType::data_end, "Q1\n");
    s.send_async(make_header(MessageType::async_interrupted, 0, first_id));
    s.send_sync(make_header(MessageType::data, 0, hislip::unknown_message_id), "part of an older answer ");
    s.send_sync(make_header(MessageType::interrupted, 0, first_id));
    s.send_sync(make_header(MessageType::data_end, 0, first_id), "A1\n");
  });
  hislip::Client c;
  ASSERT_EQ(c.open({"127.0.0.1", server.port(), "hislip0"}, in_ms(5000)), status::SUCCESS);
  ASSERT_EQ(send(c, "Q1\n"), status::SUCCESS);
  // Whether the reader thread has taken AsyncInterrupted when the Data arrives or not, the bytes
  // of the interrupted answer never reach the caller.
  Reader read{c};
  EXPECT_EQ(read(), "A1\n");
  EXPECT_EQ(server.verdict(), "");
}

TEST(HislipClientErrors, ErrorsFromTheServerHaveTheirStatusesAndTexts) {
  ScriptedServer server([&](ScriptedServer& s) {
    s.expect_sync(MessageType::data_end, "Q1\n");
    s.send_sync(make_header(MessageType::error, hislip::error::unrecognized_vendor), "no such thing");
    s.expect_sync(MessageType::data_end, "Q2\n");
    s.send_sync(make_header(MessageType::error, 200), "device-defined trouble");
    s.expect_async(MessageType::async_status_query);
    s.send_async(make_header(MessageType::error, hislip::error::authentication_failed), "who are you");
    s.expect_async(MessageType::async_lock_info);
    s.send_async(make_header(MessageType::error, hislip::error::message_too_large));
    s.expect_sync(MessageType::data_end, "Q3\n");
    s.send_sync(make_header(MessageType::data_end, 0, first_id + 4), "A3\n");
  });
  hislip::Client c;
  ASSERT_EQ(c.open({"127.0.0.1", server.port(), "hislip0"}, in_ms(5000)), status::SUCCESS);
  Reader read{c};
  ASSERT_EQ(send(c, "Q1\n"), status::SUCCESS);
  core::clear_detail();
  read();
  EXPECT_EQ(read.st, status::ERROR_NSUP_OPER);
  EXPECT_NE(core::detail_for(status::ERROR_NSUP_OPER).find("no such thing"), std::string::npos);
  ASSERT_EQ(send(c, "Q2\n"), status::SUCCESS);
  read();
  EXPECT_EQ(read.st, status::ERROR_IO);
  EXPECT_NE(core::detail_for(status::ERROR_IO).find("device-defined 200"), std::string::npos);
  std::uint8_t stb = 0;
  EXPECT_EQ(c.read_stb(stb, in_ms(5000)), status::ERROR_NPERMISSION);
  EXPECT_NE(core::detail_for(status::ERROR_NPERMISSION).find("who are you"), std::string::npos);
  bool exclusive = false;
  std::uint32_t holders = 0;
  EXPECT_EQ(c.lock_info(exclusive, holders, in_ms(5000)), status::ERROR_IO);
  EXPECT_NE(core::detail_for(status::ERROR_IO).find("message too large"), std::string::npos);
  ASSERT_EQ(send(c, "Q3\n"), status::SUCCESS);  // the session goes on
  EXPECT_EQ(read(), "A3\n");
  EXPECT_EQ(server.verdict(), "");
}

TEST(HislipClientErrors, UnexpectedMessagesAreAnsweredWithError) {
  ScriptedServer server([&](ScriptedServer& s) {
    s.send_async(hislip::Header{60, 0, 0, 0});                         // reserved type
    hislip::Message m = s.expect_async(MessageType::error);
    s.check(m.header.control == hislip::error::unrecognized_type, "Error 1 for a reserved type");
    s.send_async(make_header(MessageType::async_lock));                // a client's message
    m = s.expect_async(MessageType::error);
    s.check(m.header.control == hislip::error::unrecognized_type, "Error 1 for AsyncLock from a server");
    s.expect_sync(MessageType::data_end, "Q1\n");
    s.send_sync(hislip::Header{200, 0, 0, 3}, "abc");                  // vendor-specific
    m = s.expect_sync(MessageType::error);
    s.check(m.header.control == hislip::error::unrecognized_vendor, "Error 3 for a vendor-specific message");
    s.send_sync(make_header(MessageType::data_end, 0, first_id), "A1\n");
  });
  hislip::Client c;
  ASSERT_EQ(c.open({"127.0.0.1", server.port(), "hislip0"}, in_ms(5000)), status::SUCCESS);
  ASSERT_EQ(send(c, "Q1\n"), status::SUCCESS);
  Reader read{c};
  EXPECT_EQ(read(), "A1\n");
  EXPECT_EQ(server.verdict(), "");
}

TEST(HislipClientErrors, AFatalErrorsTextReachesEveryLaterCall) {
  ScriptedServer server([&](ScriptedServer& s) {
    s.expect_sync(MessageType::data_end, "Q1\n");
    s.send_async(make_header(MessageType::fatal_error, 200), "instrument overheated");
  });
  hislip::Client c;
  ASSERT_EQ(c.open({"127.0.0.1", server.port(), "hislip0"}, in_ms(5000)), status::SUCCESS);
  ASSERT_EQ(send(c, "Q1\n"), status::SUCCESS);
  Reader read{c};
  core::clear_detail();
  read();
  EXPECT_EQ(read.st, status::ERROR_CONN_LOST);
  EXPECT_NE(core::detail_for(status::ERROR_CONN_LOST).find("instrument overheated"), std::string::npos)
      << core::detail_for(status::ERROR_CONN_LOST);
  core::clear_detail();
  EXPECT_EQ(send(c, "Q2\n"), status::ERROR_CONN_LOST);
  EXPECT_NE(core::detail_for(status::ERROR_CONN_LOST).find("FatalError 200"), std::string::npos);
  EXPECT_EQ(server.verdict(), "");
}

TEST(HislipClientErrors, APoorlyFormedHeaderIsFatalError1OnBothChannels) {
  ScriptedServer server([&](ScriptedServer& s) {
    s.expect_sync(MessageType::data_end, "Q1\n");
    s.sync.send_all(bytes_of("XX is not a HiSLIP header"), in_ms(2000));
    hislip::Message m;
    s.check(s.next_sync(m) && m.header.is(MessageType::fatal_error) && m.header.control == hislip::fatal::bad_header,
            "FatalError 1 on sync");
    s.check(s.next_async(m) && m.header.is(MessageType::fatal_error) && m.header.control == hislip::fatal::bad_header,
            "FatalError 1 on async");
  });
  hislip::Client c;
  ASSERT_EQ(c.open({"127.0.0.1", server.port(), "hislip0"}, in_ms(5000)), status::SUCCESS);
  ASSERT_EQ(send(c, "Q1\n"), status::SUCCESS);
  Reader read{c};
  read();
  EXPECT_EQ(read.st, status::ERROR_CONN_LOST);
  EXPECT_EQ(server.verdict(), "");
}

/// Our client against our server: a new query while the answer to the previous one is held by
/// a slow instrument gets only its own answer (the server interrupts, the client follows).
class SlowDevice : public testing::FakeDevice {
 public:
  std::atomic<int> reads{0};

 protected:
  // The first answer is being prepared, not ready (the server reads at once only what is ready).
  server::Output do_output() override {
    return reads == 0 ? server::Output::pending : FakeDevice::do_output();
  }
  status_t do_read(std::span<std::byte> buffer, std::optional<std::byte> termchar, server::ReadResult& result,
                   core::Deadline deadline) override {
    if (reads++ == 0) {  // the first answer is slow: the read waits until aborted (or its deadline)
      std::unique_lock lock(mutex_);
      cv_.wait_until(lock, deadline.when(), [&] { return aborted_; });
      aborted_ = false;
      result = {};
      return status::ERROR_ABORT;
    }
    return FakeDevice::do_read(buffer, termchar, result, deadline);
  }
  void do_abort() override {
    {
      std::lock_guard lock(mutex_);
      aborted_ = true;
    }
    cv_.notify_all();
    FakeDevice::do_abort();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool aborted_ = false;
};

TEST(HislipInterruptedLoopback, ANewQueryGetsOnlyItsOwnAnswer) {
  hislip::Server server;
  auto device = std::make_shared<SlowDevice>();
  server.add_device("hislip0", device);
  ASSERT_EQ(server.start(), status::SUCCESS);
  hislip::Client c;
  ASSERT_EQ(c.open({"127.0.0.1", server.port(), "hislip0"}, in_ms(5000)), status::SUCCESS);
  ASSERT_EQ(send(c, "ECHO? first\n"), status::SUCCESS);
  Reader read{c};
  read(200);  // the slow answer does not come
  EXPECT_EQ(read.st, status::ERROR_TMO);
  ASSERT_EQ(send(c, "ECHO? second\n"), status::SUCCESS);
  EXPECT_EQ(read(), "second\n");
  ASSERT_EQ(send(c, "ECHO? third\n"), status::SUCCESS);  // the interrupt pair was matched: sending goes on
  EXPECT_EQ(read(), "third\n");
  server.stop();
}

}  // namespace
}  // namespace cppvisa
