// Serial events (NI-VISA VI_EVENT_ASRL_*) on ASRL INSTR sessions over pseudo-terminals: the test
// plays the instrument on the master side. CHAR and TERMCHAR come from real bytes on the pty.
// A pty has no modem lines and no break counter (TIOCGICOUNT and TIOCMGET fail on it), so the
// line events (CTS, DSR, DCD, RI, BREAK) are driven by a stand-in for the driver's counters
// (Port::set_line_probe); the port's watcher, the change detection and the delivery are the real ones.
#include "cabi/library.hpp"
#include "protocols/serial/serial_port.hpp"
#include "support/pty.hpp"
#include "support/serial_test_backend.hpp"

#include <cppvisa/resource_manager.hpp>

#include <visa.h>

#include <gtest/gtest.h>

#include <sys/ioctl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cppvisa {
namespace {

using namespace std::chrono_literals;
using cppvisa::testing::Pty;

constexpr auto kQueue = static_cast<std::uint16_t>(EventMechanism::queue);
constexpr auto kHandler = static_cast<std::uint16_t>(EventMechanism::handler);

class SerialEvents : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pty.ok()) << "no pseudo-terminals here";
    ASSERT_EQ(backend.open_default_rm(rm), status::SUCCESS);
    ASSERT_EQ(backend.open(rm, pty.resource(), AccessMode::no_lock, 0, s), status::SUCCESS);
  }
  void TearDown() override { backend.close(rm); }

  /// The next queued event of `type` (event::all_enabled: any), 0 when none came within `ms`.
  event_type_t next(event_type_t type, std::uint32_t ms = 5000) {
    event_type_t got = 0;
    session_t ctx = 0;
    return backend.wait_on_event(s, type, ms, got, ctx, false) >= 0 ? got : 0;
  }
  std::string read(std::size_t max = 100) {
    std::string buf(max, '\0');
    std::size_t n = 0;
    EXPECT_GE(backend.read(s, std::as_writable_bytes(std::span(buf.data(), buf.size())), n), 0);
    return buf.substr(0, n);
  }

  Pty pty;
  testing::SerialTestBackend backend;
  session_t rm = 0, s = 0;
};

TEST_F(SerialEvents, CharArrivesWithoutTakingTheBytes) {
  ASSERT_EQ(backend.enable_event(s, event::asrl_char, kQueue), status::SUCCESS);
  pty.send("hello\n");
  EXPECT_EQ(next(event::asrl_char), event::asrl_char);
  // The bytes stay for viRead (the watcher moved them to the port's queue, not to the event).
  EXPECT_EQ(read(), "hello\n");
  // No byte, no event.
  EXPECT_EQ(next(event::asrl_char, 100), 0u);
  pty.send("x");
  EXPECT_EQ(next(event::asrl_char), event::asrl_char);
}

TEST_F(SerialEvents, TermcharOncePerTerminationCharacter) {
  ASSERT_EQ(backend.set_attribute(s, attr::TERMCHAR, AttrValue{std::int64_t{'\r'}}), status::SUCCESS);
  ASSERT_EQ(backend.enable_event(s, event::asrl_termchar, kQueue), status::SUCCESS);
  pty.send("no termchar\n");
  EXPECT_EQ(next(event::asrl_termchar, 200), 0u);
  pty.send("one\rtwo\r");
  EXPECT_EQ(next(event::asrl_termchar), event::asrl_termchar);
  EXPECT_EQ(next(event::asrl_termchar), event::asrl_termchar);
  EXPECT_EQ(next(event::asrl_termchar, 100), 0u);
  EXPECT_EQ(read(), "no termchar\none\r");  // END_IN TERMCHAR: up to the '\r'
}

TEST_F(SerialEvents, BytesTakenByAReadInProgressStillRaiseTheEvents) {
  ASSERT_EQ(backend.enable_event(s, event::asrl_termchar, kQueue), status::SUCCESS);
  std::string got;
  std::thread reader([&] { got = read(); });
  std::this_thread::sleep_for(50ms);  // the read is usually waiting on the port by now
  pty.send("answer\n");
  reader.join();
  EXPECT_EQ(got, "answer\n");
  EXPECT_EQ(next(event::asrl_termchar), event::asrl_termchar);
}

TEST_F(SerialEvents, EverySessionOfThePortSeesTheBytes) {
  session_t other = 0;
  ASSERT_EQ(backend.open(rm, pty.resource(), AccessMode::no_lock, 0, other), status::SUCCESS);
  ASSERT_EQ(backend.enable_event(s, event::asrl_char, kQueue), status::SUCCESS);
  ASSERT_EQ(backend.enable_event(other, event::asrl_char, kQueue), status::SUCCESS);
  pty.send("z");
  EXPECT_EQ(next(event::asrl_char), event::asrl_char);
  event_type_t got = 0;
  session_t ctx = 0;
  EXPECT_EQ(backend.wait_on_event(other, event::asrl_char, 5000, got, ctx, false), status::SUCCESS);
  // Closing one session stops its events; the other goes on.
  EXPECT_EQ(backend.close(other), status::SUCCESS);
  pty.send("y");
  EXPECT_EQ(next(event::asrl_char), event::asrl_char);
}

TEST_F(SerialEvents, InputNobodyReadsIsBoundedAndNothingIsLost) {
  // With CHAR enabled the watcher takes input as it comes, up to 1 MiB unread; past that it
  // leaves input in the driver (flow control of the line), and takes it again once read.
  ASSERT_EQ(backend.enable_event(s, event::asrl_char, kQueue), status::SUCCESS);
  ASSERT_EQ(backend.set_attribute(s, attr::ASRL_END_IN, AttrValue{std::int64_t{0}}), status::SUCCESS);  // NONE
  std::string data(1536 * 1024, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 23);
  std::thread sender([&] { pty.send(data); });  // blocks while the line is held
  auto avail = [&] {
    AttrValue v;
    EXPECT_EQ(backend.get_attribute(s, attr::ASRL_AVAIL_NUM, v), status::SUCCESS);
    return std::get<std::int64_t>(v);
  };
  for (int i = 0; i < 2000 && avail() < (1 << 20); ++i) std::this_thread::sleep_for(5ms);
  ASSERT_GE(avail(), 1 << 20) << "the watcher took the input nobody read";
  std::this_thread::sleep_for(200ms);
  // Held at the limit (plus one driver read and the pty's own buffer), not the whole 1.5 MiB.
  EXPECT_LT(avail(), (1 << 20) + 256 * 1024);
  std::string got;
  while (got.size() < data.size()) {
    std::string chunk(64 * 1024, '\0');
    std::size_t n = 0;
    status_t st = backend.read(s, std::as_writable_bytes(std::span(chunk.data(), chunk.size())), n);
    ASSERT_TRUE(st >= 0 || st == status::ERROR_TMO) << st;
    got.append(chunk, 0, n);
    if (st == status::ERROR_TMO && n == 0) break;
  }
  sender.join();
  EXPECT_TRUE(got == data) << got.size() << " bytes of " << data.size();
  backend.discard_events(s, event::asrl_char, kQueue);
  pty.send("x");
  EXPECT_EQ(next(event::asrl_char), event::asrl_char);
}

/// A stand-in for the driver's line counters (a pty has none).
struct FakeLines {
  std::mutex mutex;
  serial::LineStatus status;
  bool counters = true;
  std::atomic<int> reads{0};  // readings the watcher took
  /// Waits until the watcher took two more readings (so a change made now is seen as one).
  void settle() {
    const int target = reads + 2;
    for (int i = 0; i < 1000 && reads < target; ++i) std::this_thread::sleep_for(5ms);
  }
  /// The probe keeps the stand-in alive: the port (and its watcher) may outlive the test body.
  static serial::LineProbe probe(std::shared_ptr<FakeLines> self) {
    return [self](int, serial::LineStatus& out) {
      std::lock_guard guard(self->mutex);
      ++self->reads;
      out = self->status;
      out.counters = self->counters;
      out.levels_known = true;
      return true;
    };
  }
  template <class Fn>
  void change(Fn fn) {
    std::lock_guard guard(mutex);
    fn(status);
  }
};

TEST_F(SerialEvents, ModemLineChangesAndBreaksFromTheDriverCounters) {
  auto port = serial::Port::find(pty.slave());
  ASSERT_NE(port, nullptr);
  auto shared_lines = std::make_shared<FakeLines>();
  FakeLines& lines = *shared_lines;
  port->set_line_probe(FakeLines::probe(shared_lines));
  for (auto t : {event::asrl_cts, event::asrl_dsr, event::asrl_dcd, event::asrl_ri, event::asrl_break})
    ASSERT_EQ(backend.enable_event(s, t, kQueue), status::SUCCESS);
  lines.settle();  // the watcher's first reading is the reference
  EXPECT_EQ(next(event::all_enabled, 100), 0u) << "no change yet";
  lines.change([](serial::LineStatus& l) { l.cts += 1; });
  EXPECT_EQ(next(event::all_enabled), event::asrl_cts);
  lines.change([](serial::LineStatus& l) { l.dsr += 1; });
  EXPECT_EQ(next(event::all_enabled), event::asrl_dsr);
  lines.change([](serial::LineStatus& l) { l.dcd += 1; });
  EXPECT_EQ(next(event::all_enabled), event::asrl_dcd);
  lines.change([](serial::LineStatus& l) { l.ri += 1; });
  EXPECT_EQ(next(event::all_enabled), event::asrl_ri);
  lines.change([](serial::LineStatus& l) { l.breaks += 1; });
  EXPECT_EQ(next(event::all_enabled), event::asrl_break);
  // A pulse shorter than the polling period (two changes counted) is two events.
  lines.change([](serial::LineStatus& l) { l.cts += 2; });
  EXPECT_EQ(next(event::asrl_cts), event::asrl_cts);
  EXPECT_EQ(next(event::asrl_cts), event::asrl_cts);
  EXPECT_EQ(next(event::all_enabled, 100), 0u);
  // A driver without counters: the levels tell (one event per line that changed).
  lines.change([](serial::LineStatus&) {});
  {
    std::lock_guard guard(lines.mutex);
    lines.counters = false;
  }
  lines.settle();
  lines.change([](serial::LineStatus& l) { l.levels ^= TIOCM_CTS | TIOCM_RNG; });
  std::vector<event_type_t> got{next(event::all_enabled), next(event::all_enabled)};
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<event_type_t>{event::asrl_cts, event::asrl_ri}));
}

TEST_F(SerialEvents, OnlyEnabledLineEventsAreRaised) {
  auto port = serial::Port::find(pty.slave());
  ASSERT_NE(port, nullptr);
  auto shared_lines = std::make_shared<FakeLines>();
  FakeLines& lines = *shared_lines;
  port->set_line_probe(FakeLines::probe(shared_lines));
  ASSERT_EQ(backend.enable_event(s, event::asrl_dcd, kQueue), status::SUCCESS);
  lines.settle();
  lines.change([](serial::LineStatus& l) { l.cts += 1; l.dcd += 1; });
  EXPECT_EQ(next(event::all_enabled), event::asrl_dcd);
  EXPECT_EQ(next(event::all_enabled, 150), 0u);
}

TEST_F(SerialEvents, APseudoTerminalHasNoLineEventsButKeepsItsData) {
  // The real probe: a pty answers neither TIOCGICOUNT nor TIOCMGET, so the watcher stops polling
  // the lines (no event, no error) while CHAR still works.
  for (auto t : {event::asrl_cts, event::asrl_break, event::asrl_char})
    ASSERT_EQ(backend.enable_event(s, t, kQueue), status::SUCCESS);
  EXPECT_EQ(next(event::all_enabled, 150), 0u);
  pty.send("k");
  EXPECT_EQ(next(event::all_enabled), event::asrl_char);
  EXPECT_EQ(read(1), "k");
}

// Handlers run on the library's event thread with the session's context; through the C++ API.
TEST(SerialEventsCpp, HandlerOfTheCppApiSeesTermchar) {
  Pty pty;
  ASSERT_TRUE(pty.ok());
  ResourceManager rm(std::make_shared<testing::SerialTestBackend>());
  auto r = rm.open_resource(pty.resource());
  std::atomic<int> calls{0};
  std::atomic<event_type_t> type{0};
  r->install_handler(event::asrl_termchar, [&](event_type_t t, const std::map<attr_id_t, AttrValue>&) {
    type = t;
    ++calls;
  });
  r->enable_event(event::asrl_termchar, EventMechanism::handler);
  pty.send("line\n");
  for (int i = 0; i < 500 && calls == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(type.load(), event::asrl_termchar);
}

// Through libvisa's C API: viEnableEvent / viWaitOnEvent with NI's VI_EVENT_ASRL_* values.
TEST(SerialEventsCApi, WaitOnTermcharThenReadTheLine) {
  Pty pty;
  ASSERT_TRUE(pty.ok());
  cabi::Library::instance().set_backends({std::make_shared<testing::SerialTestBackend>()});
  ViSession rm = VI_NULL, s = VI_NULL;
  ASSERT_EQ(viOpenDefaultRM(&rm), VI_SUCCESS);
  ASSERT_EQ(viOpen(rm, pty.resource().c_str(), VI_NULL, VI_NULL, &s), VI_SUCCESS);
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_ASRL_TERMCHAR, VI_QUEUE, VI_NULL), VI_SUCCESS);
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_ASRL_CHAR, VI_QUEUE, VI_NULL), VI_SUCCESS);
  pty.send("22.5\n");
  ViEventType type = 0;
  ViEvent ctx = VI_NULL;
  ASSERT_GE(viWaitOnEvent(s, VI_EVENT_ASRL_TERMCHAR, 5000, &type, &ctx), VI_SUCCESS);
  EXPECT_EQ(type, static_cast<ViEventType>(VI_EVENT_ASRL_TERMCHAR));
  ViEventType in_context = 0;
  EXPECT_EQ(viGetAttribute(ctx, VI_ATTR_EVENT_TYPE, &in_context), VI_SUCCESS);
  EXPECT_EQ(in_context, type);
  viClose(ctx);
  ASSERT_GE(viWaitOnEvent(s, VI_EVENT_ASRL_CHAR, 5000, &type, VI_NULL), VI_SUCCESS);
  char buf[32] = {};
  ViUInt32 n = 0;
  EXPECT_EQ(viRead(s, reinterpret_cast<ViPBuf>(buf), sizeof buf, &n), VI_SUCCESS);
  EXPECT_EQ(std::string(buf, n), "22.5\n");
  // USB interrupts are not serial events.
  EXPECT_EQ(viEnableEvent(s, VI_EVENT_USB_INTR, VI_QUEUE, VI_NULL), VI_ERROR_INV_EVENT);
  viClose(s);
  viClose(rm);
  cabi::Library::instance().set_backends({});
}

}  // namespace
}  // namespace cppvisa
