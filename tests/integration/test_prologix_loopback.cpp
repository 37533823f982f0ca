// Prologix sessions of the native backend (PRLGX-TCPIP INTFC, GPIB INSTR routed through it)
// against (a) our simulated GPIB-ETHERNET adapter with fake instruments on its bus and (b)
// scripted hostile adapters in the test, on loopback.
#include "integration/binary_echo_device.hpp"
#include "integration/fake_device.hpp"
#include "integration/loopback_helpers.hpp"
#include "protocols/prologix/prologix_server.hpp"
#include "protocols/prologix/prologix_wire.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace cppvisa {
namespace {

using namespace std::chrono_literals;
using testing::BinaryEchoDevice;
using testing::bytes_of;
using testing::FakeDevice;
using testing::text_of;
using Clock = std::chrono::steady_clock;

/// The simulated adapter with instruments at GPIB addresses 5, 7, 9 (fake SCPI ones), 12
/// (binary echo) and 3 secondary 4 (fake).
struct Bus {
  std::shared_ptr<FakeDevice> d5 = std::make_shared<FakeDevice>(), d7 = std::make_shared<FakeDevice>(),
                              d9 = std::make_shared<FakeDevice>(), d3s4 = std::make_shared<FakeDevice>();
  std::shared_ptr<BinaryEchoDevice> echo = std::make_shared<BinaryEchoDevice>();
  prologix::AdapterServer server{{{5, std::nullopt, d5}, {7, std::nullopt, d7}, {9, std::nullopt, d9},
                                  {12, std::nullopt, echo}, {3, 4, d3s4}},
                                 {}};
  Bus() { EXPECT_EQ(server.start(), status::SUCCESS); }
  std::string intfc() const { return "PRLGX-TCPIP::127.0.0.1::" + std::to_string(server.port()) + "::INTFC"; }
};

using Client = testing::BackendClient;
using testing::eventually;

TEST(PrologixLoopback, GpibNamesRouteOnlyWhileTheAdapterIsOpen) {
  Bus bus;
  Client c;
  session_t instr = 0, intfc = 0;
  EXPECT_NE(c.open("GPIB0::5::INSTR", instr), status::SUCCESS);  // no adapter of board 0 yet
  ASSERT_EQ(c.open(bus.intfc(), intfc), status::SUCCESS);
  EXPECT_NE(c.open("GPIB1::5::INSTR", instr), status::SUCCESS);  // board 1 has no adapter
  ASSERT_EQ(c.open("GPIB0::5::INSTR", instr), status::SUCCESS);
  ASSERT_EQ(c.write(instr, "*IDN?\n"), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(c.read(instr, reply), status::SUCCESS);  // END: the adapter went quiet
  EXPECT_EQ(reply, "FAKE,LAN-TEST,0,1.0\n");
  ASSERT_EQ(c.write(intfc, "++ver\n"), status::SUCCESS);
  EXPECT_EQ(c.read(intfc, reply), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(reply, "Prologix GPIB-ETHERNET Controller version 01.06.06.00\r\n");
  AttrValue v;
  ASSERT_EQ(c.backend().get_attribute(instr, attr::GPIB_PRIMARY_ADDR, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 5);
  // A device with primary addressing only ignores a secondary address (IEEE 488.1): PyVISA 1.11
  // names it GPIB0::5::0::INSTR.
  session_t with_sad = 0;
  ASSERT_EQ(c.open("GPIB0::5::0::INSTR", with_sad), status::SUCCESS);
  ASSERT_EQ(c.write(with_sad, "ECHO? sad\n"), status::SUCCESS);
  EXPECT_EQ(c.read(with_sad, reply), status::SUCCESS);
  EXPECT_EQ(reply, "sad\n");
  c.backend().close(with_sad);
  c.backend().close(instr);
  c.backend().close(intfc);
  EXPECT_NE(c.open("GPIB0::5::INSTR", instr), status::SUCCESS);  // the adapter closed with its last session
}

TEST(PrologixLoopback, OneAdapterPerBoardNumber) {
  Bus first, second;
  Client c;
  session_t a = 0, again = 0, other = 0, b1 = 0, instr = 0;
  ASSERT_EQ(c.open(first.intfc(), a), status::SUCCESS);
  EXPECT_EQ(c.open(first.intfc(), again), status::SUCCESS);         // the same adapter, shared
  EXPECT_EQ(c.open(second.intfc(), other), status::ERROR_RSRC_BUSY);  // board 0 is taken
  std::string board1 = second.intfc();
  board1.insert(std::string("PRLGX-TCPIP").size(), "1");
  ASSERT_EQ(c.open(board1, b1), status::SUCCESS);
  ASSERT_EQ(c.open("GPIB1::5::INSTR", instr), status::SUCCESS);  // through the second adapter
  ASSERT_EQ(c.write(instr, "ECHO? board one\n"), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(c.read(instr, reply), status::SUCCESS);
  EXPECT_EQ(reply, "board one\n");
  EXPECT_TRUE(testing::eventually([&] { return second.d5->reads.load() > 0; }));
  EXPECT_EQ(first.d5->reads.load(), 0);
}

TEST(PrologixLoopback, TermcharSecondaryAddressAndRawIntfc) {
  Bus bus;
  Client c;
  session_t intfc = 0, instr = 0;
  ASSERT_EQ(c.open(bus.intfc(), intfc), status::SUCCESS);
  ASSERT_EQ(c.open("GPIB0::3::4::INSTR", instr), status::SUCCESS);
  ASSERT_EQ(c.set(instr, attr::TERMCHAR_EN, 1), status::SUCCESS);
  ASSERT_EQ(c.write(instr, "PARTS? 2\n"), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(c.read(instr, reply), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(reply, "part0\n");
  EXPECT_EQ(c.read(instr, reply), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(reply, "part1\n");
  // The INTFC talks to the adapter itself; the instrument session's settings come back after.
  ASSERT_EQ(c.write(intfc, "++addr\n"), status::SUCCESS);
  EXPECT_EQ(c.read(intfc, reply), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(reply, "3 100\r\n");
  ASSERT_EQ(c.write(intfc, "++auto 1\n++addr 9\n"), status::SUCCESS);
  ASSERT_EQ(c.write(instr, "ECHO? again\n"), status::SUCCESS);
  EXPECT_EQ(c.read(instr, reply), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(reply, "again\n");
  ASSERT_EQ(c.write(intfc, "++auto\n"), status::SUCCESS);
  EXPECT_EQ(c.read(intfc, reply), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(reply, "0\r\n");  // ++auto managed: back to 0 for the instrument session
  EXPECT_EQ(bus.d9->log_copy().size(), 0u);
  AttrValue v;
  ASSERT_EQ(c.backend().get_attribute(intfc, attr::GPIB_SRQ_STATE, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 0);
  EXPECT_EQ(c.backend().gpib_send_ifc(intfc), status::SUCCESS);
}

TEST(PrologixLoopback, SimulatedAdapterCommandSet) {
  // The adapter driven raw through the INTFC, as a program that speaks ++ commands would.
  Bus bus;
  Client c;
  session_t intfc = 0;
  ASSERT_EQ(c.open(bus.intfc(), intfc), status::SUCCESS);
  ASSERT_EQ(c.set(intfc, attr::TERMCHAR_EN, 0), status::SUCCESS);  // reads end when the adapter goes quiet
  std::string reply;
  auto ask = [&](std::string_view text) {
    reply.clear();
    EXPECT_EQ(c.write(intfc, text), status::SUCCESS);
    EXPECT_EQ(c.read(intfc, reply), status::SUCCESS) << text;
    return reply;
  };
  // ++eos 0 appends CR LF to data; ++eot_enable 1 / ++eot_char mark END for the host.
  EXPECT_EQ(ask("++addr 12\n++eos 0\nabc\n++eot_enable 1\n++eot_char 35\n++read eoi\n"), "abc\r\n#");
  EXPECT_EQ(text_of(bus.echo->last_message()), "abc\r\n");
  // ++read <char> stops at the character; the rest comes with the next ++read.
  EXPECT_EQ(ask("++eot_enable 0\n++eos 3\nxyz\n++read 121\n"), "xy");
  EXPECT_EQ(ask("++read eoi\n"), "z");
  // ++auto 1 reads after every data line.
  EXPECT_EQ(ask("++auto 1\nauto\n"), "auto");
  EXPECT_EQ(ask("++auto 0\n++auto\n++eos\n++eoi\n++eot_char\n++read_tmo_ms\n++mode\n"), "0\r\n3\r\n1\r\n35\r\n500\r\n1\r\n");
  // Invalid arguments and unknown commands are ignored; ++rst restores the defaults.
  EXPECT_EQ(ask("++eos 9\n++frobnicate\n++addr 31\n++addr\n"), "12\r\n");
  EXPECT_EQ(ask("++rst\n++eos\n++addr\n"), "0\r\n0\r\n");
  // ++trg with a list of addresses; ++spoll of an address; ++srq.
  EXPECT_EQ(c.write(intfc, "++trg 5 9\n"), status::SUCCESS);
  EXPECT_TRUE(testing::eventually([&] { return bus.d5->triggers.load() == 1 && bus.d9->triggers.load() == 1; }));
  EXPECT_EQ(bus.d7->triggers.load(), 0);
  bus.d9->request_service();
  EXPECT_EQ(ask("++srq\n"), "1\r\n");
  EXPECT_EQ(ask("++spoll 9\n"), "64\r\n");
  EXPECT_EQ(ask("++srq\n"), "0\r\n");
  // Device mode (++mode 0): the adapter is no controller, bus commands do nothing.
  ASSERT_EQ(c.write(intfc, "++mode 0\n++addr 12\nquiet\n++read eoi\n"), status::SUCCESS);
  EXPECT_EQ(c.read(intfc, reply), status::ERROR_TMO);
  EXPECT_NE(text_of(bus.echo->last_message()), "quiet");
}

TEST(PrologixLoopback, BinaryDataWithEveryByteValue) {
  Bus bus;
  Client c;
  session_t intfc = 0, instr = 0;
  ASSERT_EQ(c.open(bus.intfc(), intfc), status::SUCCESS);
  ASSERT_EQ(c.open("GPIB0::12::INSTR", instr), status::SUCCESS);
  std::string data = "++ver\r\n+";  // would be a command, a line end, an escape, if sent unescaped
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 256; ++i) data += static_cast<char>(i);
  data += "\x1b\r\n+";
  ASSERT_EQ(c.write(instr, data), status::SUCCESS);
  EXPECT_TRUE(eventually([&] { return !bus.echo->last_message().empty(); }));
  EXPECT_EQ(text_of(bus.echo->last_message()), data);  // the device received exactly the bytes
  std::string reply;
  ASSERT_EQ(c.read(instr, reply, data.size()), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(reply, data);  // and the adapter passes its answer on unmodified
}

TEST(PrologixLoopback, AClientThatHangsUpMidReadFreesTheDeviceAtOnce) {
  // A controller asks the (silent) device at 7 for a read with the longest ++read_tmo_ms and
  // hangs up: the adapter stops reading for it at once, and the next controller's query is
  // answered within its 1 s timeout (not after the 3 s the read would have waited).
  Bus bus;
  {
    net::Socket gone;
    ASSERT_EQ(net::connect_tcp("127.0.0.1", bus.server.port(), core::Deadline::after_ms(2000), gone), status::SUCCESS);
    const std::string ask = "++addr 7\n++read_tmo_ms 3000\n++read eoi\n";
    ASSERT_EQ(gone.send_all(bytes_of(ask), core::Deadline::after_ms(2000)), status::SUCCESS);
    std::this_thread::sleep_for(100ms);  // the adapter is in the read
  }
  Client c;
  session_t intfc = 0, instr = 0;
  ASSERT_EQ(c.open(bus.intfc(), intfc), status::SUCCESS);
  ASSERT_EQ(c.open("GPIB0::7::INSTR", instr), status::SUCCESS);
  ASSERT_EQ(c.set(instr, attr::TMO_VALUE, 1000), status::SUCCESS);
  ASSERT_EQ(c.write(instr, "*IDN?\n"), status::SUCCESS);
  std::string reply;
  EXPECT_GE(c.read(instr, reply), 0);
  EXPECT_EQ(reply, "FAKE,LAN-TEST,0,1.0\n");
}

TEST(PrologixLoopback, StatusByteTriggerClearRemoteLocalAndServiceRequest) {
  Bus bus;
  Client c;
  session_t intfc = 0, instr = 0;
  ASSERT_EQ(c.open(bus.intfc(), intfc), status::SUCCESS);
  ASSERT_EQ(c.open("GPIB0::7::INSTR", instr), status::SUCCESS);
  std::uint16_t stb = 0xFF;
  EXPECT_EQ(c.backend().read_stb(instr, stb), status::SUCCESS);
  EXPECT_EQ(stb, 0);
  EXPECT_EQ(c.backend().assert_trigger(instr, TriggerProtocol::default_), status::SUCCESS);
  EXPECT_TRUE(eventually([&] { return bus.d7->triggers.load() == 1; }));
  EXPECT_EQ(c.backend().clear(instr), status::SUCCESS);
  EXPECT_TRUE(eventually([&] { return bus.d7->clears.load() == 1; }));
  EXPECT_EQ(c.backend().gpib_control_ren(instr, RenMode::assert_llo), status::SUCCESS);
  EXPECT_TRUE(eventually([&] { return bus.d7->is_remote.load(); }));
  EXPECT_EQ(c.backend().gpib_control_ren(instr, RenMode::address_gtl), status::SUCCESS);
  EXPECT_TRUE(eventually([&] { return !bus.d7->is_remote.load(); }));
  EXPECT_EQ(bus.d5->triggers.load() + bus.d9->triggers.load(), 0);

  ASSERT_EQ(c.backend().enable_event(instr, event::service_request, 1 /* VI_QUEUE */), status::SUCCESS);
  bus.d7->request_service();
  event_type_t type = 0;
  session_t context = 0;
  ASSERT_EQ(c.backend().wait_on_event(instr, event::service_request, 5000, type, context, false), status::SUCCESS);
  EXPECT_EQ(c.backend().read_stb(instr, stb), status::SUCCESS);
  EXPECT_EQ(stb & 0x40, 0x40);  // the status byte the monitor's serial poll took
}

TEST(PrologixLoopback, ThreeInstrumentsFromThreeThreads) {
  Bus bus;
  Client c;
  session_t intfc = 0;
  ASSERT_EQ(c.open(bus.intfc(), intfc), status::SUCCESS);
  const int addresses[3] = {5, 7, 9};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int a : addresses) {
    threads.emplace_back([&, a] {
      session_t s = 0;
      if (c.open("GPIB0::" + std::to_string(a) + "::INSTR", s) != status::SUCCESS) {
        ++failures;
        return;
      }
      c.set(s, attr::TERMCHAR_EN, 1);
      for (int i = 0; i < 60; ++i) {
        std::string want = "gpib" + std::to_string(a) + "-" + std::to_string(i);
        std::string reply;
        if (c.write(s, "ECHO? " + want + "\n") != status::SUCCESS ||
            c.read(s, reply) != status::SUCCESS_TERM_CHAR || reply != want + "\n")
          ++failures;
        if (i % 10 == 0) {
          std::uint16_t stb = 0xFF;
          if (c.backend().read_stb(s, stb) != status::SUCCESS || stb != 0) ++failures;
        }
      }
      c.backend().close(s);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(bus.d5->log_copy().empty() && bus.d7->log_copy().empty() && bus.d9->log_copy().empty());
}

TEST(PrologixLoopback, HundredMegabyteWaveform) {
  Bus bus;
  Client c;
  session_t intfc = 0, instr = 0;
  ASSERT_EQ(c.open(bus.intfc(), intfc), status::SUCCESS);
  ASSERT_EQ(c.open("GPIB0::5::INSTR", instr), status::SUCCESS);
  ASSERT_EQ(c.set(instr, attr::TMO_VALUE, 60000), status::SUCCESS);
  constexpr std::size_t n = 100'000'000;
  ASSERT_EQ(c.write(instr, "BLOCK? " + std::to_string(n) + "\n"), status::SUCCESS);
  const std::string header = "#9100000000";
  std::vector<std::byte> buffer(header.size() + n + 1);
  // A long transfer may pause longer than the adapter's quiet gap: read until every byte came.
  ASSERT_EQ(c.set(instr, attr::SUPPRESS_END_EN, 1), status::SUCCESS);
  auto start = Clock::now();
  std::size_t got = 0;
  status_t st = status::SUCCESS;
  std::size_t count = 0;
  st = c.backend().read(instr, buffer, count);
  got = count;
  auto seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(st, status::SUCCESS_MAX_CNT);
  ASSERT_EQ(got, buffer.size());
  EXPECT_EQ(text_of(std::span(buffer).first(header.size())), header);
  bool ok = true;
  for (std::size_t i = 0; i < n && ok; ++i) ok = buffer[header.size() + i] == static_cast<std::byte>(i & 0xFF);
  EXPECT_TRUE(ok);
  EXPECT_EQ(buffer.back(), std::byte{'\n'});
  std::printf("[ prologix ] 100 MB in %.2f s (%.0f MB/s)\n", seconds, 100.0 / seconds);
}

/// A scripted adapter.
struct ScriptedAdapter : testing::ScriptedPeer {
  using ScriptedPeer::ScriptedPeer;
  std::string intfc() const { return "PRLGX-TCPIP::127.0.0.1::" + std::to_string(port()) + "::INTFC"; }
};

TEST(PrologixHostile, AdapterThatNeverAnswersFailsTheOpenWithinItsTimeout) {
  ScriptedAdapter peer([](net::Socket& s) { ScriptedAdapter::expect(s, "never", 15000); });
  Client c;
  session_t intfc = 0;
  auto start = Clock::now();
  // The open timeout (at least 5 s for the connection and the adapter's first answer).
  EXPECT_EQ(c.open(peer.intfc(), intfc, 2000), status::ERROR_TMO);
  EXPECT_LT(Clock::now() - start, 9s);
}

TEST(PrologixHostile, SilenceGarbageAndHangUp) {
  std::atomic<bool> done{false};
  ScriptedAdapter peer([&](net::Socket& s) {
    ScriptedAdapter::expect(s, "++ver\n");
    ScriptedAdapter::send(s, "Prologix GPIB-ETHERNET Controller version 01.06.06.00\r\n");
    ScriptedAdapter::expect(s, "++read eoi\n");  // 1: no answer at all
    ScriptedAdapter::expect(s, "++spoll 5\n");    // 2: not a status byte
    ScriptedAdapter::send(s, "garbage\r\n");
    ScriptedAdapter::expect(s, "++spoll 5\n");    // 3: a flood without a line end
    ScriptedAdapter::send(s, std::string(1000, 'x'));
    ScriptedAdapter::expect(s, "++read eoi\n");  // 4: hang up mid-answer
    ScriptedAdapter::send(s, "1.23");
    s.close();
    done = true;
  });
  Client c;
  session_t intfc = 0, instr = 0;
  ASSERT_EQ(c.open(peer.intfc(), intfc), status::SUCCESS);
  ASSERT_EQ(c.open("GPIB0::5::INSTR", instr), status::SUCCESS);
  ASSERT_EQ(c.set(instr, attr::TMO_VALUE, 300), status::SUCCESS);
  std::string reply;
  auto start = Clock::now();
  EXPECT_EQ(c.read(instr, reply), status::ERROR_TMO);
  EXPECT_LT(Clock::now() - start, 2s);
  // viTerminate from another thread ends a blocked read.
  ASSERT_EQ(c.set(instr, attr::TMO_VALUE, 20000), status::SUCCESS);
  std::thread aborter([&] {
    std::this_thread::sleep_for(200ms);
    c.backend().terminate(instr, 0, 0);
  });
  start = Clock::now();
  EXPECT_EQ(c.read(instr, reply), status::ERROR_ABORT);
  EXPECT_LT(Clock::now() - start, 5s);
  aborter.join();
  ASSERT_EQ(c.set(instr, attr::TMO_VALUE, 300), status::SUCCESS);
  std::uint16_t stb = 0;
  EXPECT_EQ(c.backend().read_stb(instr, stb), status::ERROR_IO);
  EXPECT_EQ(c.backend().read_stb(instr, stb), status::ERROR_IO);
  ASSERT_EQ(c.set(instr, attr::TMO_VALUE, 2000), status::SUCCESS);
  ASSERT_EQ(c.set(instr, attr::SUPPRESS_END_EN, 1), status::SUCCESS);
  start = Clock::now();
  EXPECT_EQ(c.read(instr, reply), status::ERROR_CONN_LOST);
  EXPECT_EQ(reply, "1.23");
  EXPECT_LT(Clock::now() - start, 3s);
  EXPECT_EQ(c.write(instr, "*IDN?\n"), status::ERROR_CONN_LOST);
}

}  // namespace
}  // namespace cppvisa

namespace cppvisa {
namespace {

TEST(PrologixHostile, AnAnswerInPiecesEndsAtItsTerminationCharacter) {
  // The adapter's TCP stack may send an answer in many segments: the read ends at the
  // termination character in whichever segment it comes (VI_SUCCESS_TERM_CHAR), not at the quiet
  // gap after it (which would be END, VI_SUCCESS), and not later when more bytes follow at once.
  std::atomic<bool> stop{false};
  ScriptedAdapter peer([&](net::Socket& s) {
    s.set_nodelay(true);  // each piece its own segment at once (no Nagle wait for an ACK)
    ScriptedAdapter::expect(s, "++ver\n");
    ScriptedAdapter::send(s, "Prologix GPIB-ETHERNET Controller version 01.06.06.00\r\n");
    ScriptedAdapter::expect(s, "++read eoi\n");
    for (const char* piece : {"1", ".2", "5\n"}) {
      ScriptedAdapter::send(s, piece);
      std::this_thread::sleep_for(1ms);
    }
    ScriptedAdapter::expect(s, "++read eoi\n");
    for (const char* piece : {"4", ".5", "6\n"}) {
      ScriptedAdapter::send(s, piece);
      std::this_thread::sleep_for(1ms);
    }
    // Then a stream that never goes quiet (another message on its way).
    while (!stop) {
      ScriptedAdapter::send(s, "x");
      std::this_thread::sleep_for(5ms);
    }
  });
  struct Stop {
    std::atomic<bool>& flag;
    ~Stop() { flag = true; }  // before the peer is joined, whatever the test's outcome
  } stopper{stop};
  Client c;
  session_t intfc = 0, instr = 0;
  ASSERT_EQ(c.open(peer.intfc(), intfc), status::SUCCESS);
  ASSERT_EQ(c.open("GPIB0::5::INSTR", instr), status::SUCCESS);
  ASSERT_EQ(c.set(instr, attr::TMO_VALUE, 2000), status::SUCCESS);
  ASSERT_EQ(c.set(instr, attr::TERMCHAR_EN, 1), status::SUCCESS);
  std::string reply;
  EXPECT_EQ(c.read(instr, reply), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(reply, "1.25\n");
  auto start = Clock::now();
  EXPECT_EQ(c.read(instr, reply), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(reply, "4.56\n");
  EXPECT_LT(Clock::now() - start, 1500ms);  // not at the timeout's end
}

TEST(PrologixHostile, AWriteCutByItsTimeoutEndsItsLineBeforeTheNextCommand) {
  std::atomic<bool> cut{false};
  std::vector<std::string> events;
  ScriptedAdapter peer([&](net::Socket& s) {
    ScriptedAdapter::expect(s, "++ver\n");
    ScriptedAdapter::send(s, "Prologix GPIB-ETHERNET Controller version 01.06.06.00\r\n");
    while (!cut) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // reads nothing meanwhile
    // Now take everything, as the adapter's parser does.
    prologix::HostParser parser;
    std::array<std::byte, 65536> b;
    auto until = core::Deadline::after_ms(10000);
    bool polled = false;
    while (!polled) {
      std::size_t n = 0;
      if (s.recv_some(b, until, n) != status::SUCCESS) break;
      parser.feed(std::span(b).first(n), [&](const prologix::HostParser::Event& e) {
        if (e.kind == prologix::HostParser::Event::data_end) events.push_back("end");
        if (e.kind == prologix::HostParser::Event::command) {
          events.push_back(std::string(e.text));
          polled = polled || e.text == "++spoll 5";
        }
      });
    }
    ScriptedAdapter::send(s, "16\r\n");
  });
  Client c;
  session_t intfc = 0, instr = 0;
  ASSERT_EQ(c.open(peer.intfc(), intfc), status::SUCCESS);
  ASSERT_EQ(c.open("GPIB0::5::INSTR", instr), status::SUCCESS);
  ASSERT_EQ(c.set(instr, attr::TMO_VALUE, 300), status::SUCCESS);
  // Escapes everywhere, so that the cut may fall between an escape and its byte.
  std::string big(64u << 20, '+');
  std::size_t n = 0;
  EXPECT_EQ(c.backend().write(instr, testing::bytes_of(big), n), status::ERROR_TMO);
  EXPECT_LT(n, big.size());
  cut = true;
  ASSERT_EQ(c.set(instr, attr::TMO_VALUE, 10000), status::SUCCESS);
  std::uint16_t stb = 0;
  EXPECT_EQ(c.backend().read_stb(instr, stb), status::SUCCESS);
  EXPECT_EQ(stb, 16);
  // The cut data line ended ("end") before the serial poll was read as a command.
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[events.size() - 2], "end");
  EXPECT_EQ(events.back(), "++spoll 5");
}

}  // namespace
}  // namespace cppvisa
