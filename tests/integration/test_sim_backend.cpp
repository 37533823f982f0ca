// The sim backend through the Backend interface (as ResourceManager and libvisa.so use it): open,
// read/write with END and termination rules, timeouts, read_stb, clear, trigger, locks between
// sessions, service-request events, state per resource manager, a 10 M-point waveform block
// read in chunks, serial attributes and load errors.
#include "backends/sim/loader.hpp"
#include "backends/sim/sim_backend.hpp"
#include "backends/sim/waveform.hpp"
#include "core/session_backend.hpp"

#include <cppvisa/error.hpp>
#include <cppvisa/status.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/source_tree.hpp"

using cppvisa::testing::source_path;

namespace cppvisa {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class SimBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend = sim::make_backend(source_path("data/sim/default.yaml"));
    ASSERT_EQ(backend->open_default_rm(rm), status::SUCCESS);
  }
  void TearDown() override {
    if (rm) backend->close(rm);
  }
  session_t open(const std::string& name, session_t in_rm = 0) {
    session_t s = 0;
    EXPECT_EQ(backend->open(in_rm ? in_rm : rm, name, AccessMode::no_lock, 0, s), status::SUCCESS) << name;
    return s;
  }
  status_t write(session_t s, const std::string& text) {
    std::size_t count = 0;
    auto st = backend->write(s, std::as_bytes(std::span(text.data(), text.size())), count);
    EXPECT_EQ(count, text.size());
    return st;
  }
  // One viRead of up to `max` bytes.
  std::pair<status_t, std::string> read(session_t s, std::size_t max = 4096) {
    std::string buf(max, '\0');
    std::size_t count = 0;
    auto st = backend->read(s, std::as_writable_bytes(std::span(buf.data(), buf.size())), count);
    buf.resize(count);
    return {st, buf};
  }
  std::string query(session_t s, const std::string& text) {
    EXPECT_EQ(write(s, text), status::SUCCESS);
    auto [st, reply] = read(s);
    EXPECT_EQ(st, status::SUCCESS) << text << ": " << status_name(st);
    return reply;
  }
  void set(session_t s, attr_id_t id, std::int64_t v, status_t expected = status::SUCCESS) {
    EXPECT_EQ(backend->set_attribute(s, id, AttrValue(v)), expected) << id;
  }

  std::shared_ptr<Backend> backend;
  session_t rm = 0;
};

TEST_F(SimBackendTest, ListsTheBundledResources) {
  std::vector<std::string> names;
  ASSERT_EQ(backend->find_resources(rm, "?*", names), status::SUCCESS);
  EXPECT_EQ(names.size(), 26u);
  for (const char* n : {"ASRL1::INSTR", "USB0::0x1111::0x2222::0x1234::0::INSTR", "TCPIP0::localhost::inst0::INSTR",
                        "TCPIP0::localhost::10001::SOCKET", "GPIB0::8::INSTR", "USB0::0x1111::0x2222::0x4445::0::RAW",
                        "TCPIP0::localhost:2222::inst0::INSTR", "GPIB0::10::INSTR", "ASRL5::INSTR"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  ASSERT_EQ(backend->find_resources(rm, "GPIB?*INSTR", names), status::SUCCESS);
  EXPECT_EQ(names.size(), 6u);
  EXPECT_EQ(backend->find_resources(rm, "VXI?*", names), status::ERROR_RSRC_NFOUND);
  EXPECT_EQ(backend->name(), "sim");
  EXPECT_EQ(backend->library_path(), source_path("data/sim/default.yaml"));
}

TEST_F(SimBackendTest, OpenUnknownOrMalformed) {
  session_t s = 0;
  EXPECT_EQ(backend->open(rm, "GPIB0::30::INSTR", AccessMode::no_lock, 0, s), status::ERROR_RSRC_NFOUND);
  // The cause names the file and what it defines (a typo is the usual reason).
  EXPECT_NE(last_error_detail().find("GPIB0::30::INSTR is not among the simulated resources of"), std::string::npos)
      << last_error_detail();
  EXPECT_NE(last_error_detail().find("GPIB0::8::INSTR"), std::string::npos) << last_error_detail();
  EXPECT_EQ(backend->open(rm, "USB0::0x1111::0x2222::0x1234::INSTR", AccessMode::no_lock, 0, s), status::SUCCESS);
  backend->close(s);
  // Lookup is on the canonical name: decimal ids are another resource.
  EXPECT_EQ(backend->open(rm, "USB0::4369::8738::0x1234::INSTR", AccessMode::no_lock, 0, s), status::ERROR_RSRC_NFOUND);
  EXPECT_EQ(backend->open(rm, "NOT A NAME", AccessMode::no_lock, 0, s), status::ERROR_INV_RSRC_NAME);
}

TEST_F(SimBackendTest, QueriesOnEveryInterface) {
  auto asrl = open("ASRL1::INSTR");
  EXPECT_EQ(query(asrl, "?IDN\r\n"), "LSG Serial #1234\n");
  auto gpib = open("GPIB::8::INSTR");
  EXPECT_EQ(query(gpib, "?IDN\n"), "LSG Serial #1234\n");
  auto sock = open("TCPIP::localhost::10001::SOCKET");
  EXPECT_EQ(query(sock, "?FREQ\n"), "100.00\n");
  auto usb_raw = open("USB::0x1111::0x2222::0x4445::RAW");  // no USB RAW eom: LF/LF
  EXPECT_EQ(query(usb_raw, "?IDN\n"), "LSG Serial #1234\n");
  auto tcp = open("TCPIP::localhost:3333::INSTR");
  EXPECT_EQ(query(tcp, "BOGUS\n"), "INVALID_COMMAND\n");
  AttrValue v;
  ASSERT_EQ(backend->get_attribute(gpib, attr::GPIB_PRIMARY_ADDR, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 8);
  ASSERT_EQ(backend->get_attribute(sock, attr::TCPIP_PORT, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 10001);
}

TEST_F(SimBackendTest, ReadTerminationAndMaxCount) {
  auto gpib = open("GPIB::8::INSTR");
  ASSERT_EQ(write(gpib, "?IDN\n"), status::SUCCESS);
  auto [st1, part1] = read(gpib, 4);
  EXPECT_EQ(st1, status::SUCCESS_MAX_CNT);
  EXPECT_EQ(part1, "LSG ");
  set(gpib, attr::TERMCHAR, ' ');
  set(gpib, attr::TERMCHAR_EN, 1);
  auto [st2, part2] = read(gpib);
  EXPECT_EQ(st2, status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(part2, "Serial ");
  auto [st3, part3] = read(gpib);
  EXPECT_EQ(st3, status::SUCCESS);
  EXPECT_EQ(part3, "#1234\n");
}

TEST_F(SimBackendTest, SerialEndInFollowsTheTerminationCharacter) {
  auto asrl = open("ASRL1::INSTR");
  ASSERT_EQ(write(asrl, "?IDN\r\n"), status::SUCCESS);
  set(asrl, attr::TERMCHAR, '#');  // VI_ASRL_END_TERMCHAR (the default END_IN): '#' ends the read
  auto [st, first] = read(asrl);
  EXPECT_EQ(st, status::SUCCESS);
  EXPECT_EQ(first, "LSG Serial #");
  set(asrl, attr::ASRL_END_IN, 0);  // VI_ASRL_END_NONE: the read ends at the count or the timeout
  set(asrl, attr::TMO_VALUE, 100);
  auto [st2, rest] = read(asrl);
  EXPECT_EQ(st2, status::ERROR_TMO);
  EXPECT_EQ(rest, "1234\n");
}

TEST_F(SimBackendTest, QueryWithoutAnswerTimesOut) {
  auto s = open("GPIB::8::INSTR");
  set(s, attr::TMO_VALUE, 200);
  ASSERT_EQ(write(s, "*RST\n"), status::SUCCESS);
  auto start = std::chrono::steady_clock::now();
  auto [st, data] = read(s);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(st, status::ERROR_TMO);
  EXPECT_TRUE(data.empty());
  EXPECT_GE(elapsed, 190ms);
  EXPECT_LT(elapsed, 10s);
}

TEST_F(SimBackendTest, SlowQueryAnswersAfterItsDelay) {
  auto scope = open("TCPIP::sim-scope::INSTR");
  set(scope, attr::TMO_VALUE, 50);
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(write(scope, ":ACQ:SLOW?\n"), status::SUCCESS);
  auto early = read(scope);  // answered after 500 ms: this read times out
  if (std::chrono::steady_clock::now() - start < 450ms) {
    EXPECT_EQ(early.first, status::ERROR_TMO);
  }
  if (early.first == status::ERROR_TMO) {
    set(scope, attr::TMO_VALUE, 5000);
    early = read(scope);
  }
  EXPECT_EQ(early.first, status::SUCCESS);
  EXPECT_EQ(early.second, "1\n");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 450ms);
}

TEST_F(SimBackendTest, TerminateUnblocksAReadOnASlowReply) {
  auto scope = open("TCPIP::sim-scope::INSTR");
  // Nothing in progress: terminate succeeds and leaves the next operation alone.
  EXPECT_EQ(backend->terminate(scope, 0, 0), status::SUCCESS);
  EXPECT_EQ(query(scope, "*IDN?\n"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
  set(scope, attr::TMO_VALUE, 20000);
  ASSERT_EQ(write(scope, ":ACQ:SLOW?\n"), status::SUCCESS);  // answered after 500 ms
  auto other = open("TCPIP::sim-scope::INSTR");              // another session on the same device
  std::chrono::steady_clock::time_point asked;
  std::thread aborter([&] {
    std::this_thread::sleep_for(100ms);
    asked = std::chrono::steady_clock::now();
    EXPECT_EQ(backend->terminate(scope, 0, 0), status::SUCCESS);
  });
  auto [st, data] = read(scope);
  auto returned = std::chrono::steady_clock::now();
  aborter.join();
  EXPECT_EQ(st, status::ERROR_ABORT);
  EXPECT_TRUE(data.empty());
  EXPECT_LT(returned - asked, 2000ms);  // within 10% of the 20 s timeout of the request
  // The abort belonged to that read: the next one gets the slow reply.
  auto [st2, reply] = read(scope);
  EXPECT_EQ(st2, status::SUCCESS);
  EXPECT_EQ(reply, "1\n");
  EXPECT_EQ(query(other, "*IDN?\n"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
  EXPECT_EQ(backend->terminate(rm, 0, 0), status::ERROR_INV_OBJECT);
}

TEST_F(SimBackendTest, OutputStateWithoutReading) {
  auto* sb = dynamic_cast<core::SessionBackend*>(backend.get());
  ASSERT_NE(sb, nullptr);
  auto scope = open("GPIB::7::INSTR");
  core::OutputState state = core::OutputState::unknown;
  ASSERT_EQ(sb->output_state(scope, state), status::SUCCESS);
  EXPECT_EQ(state, core::OutputState::none);
  ASSERT_EQ(write(scope, ":ACQ:SLOW?\n"), status::SUCCESS);
  ASSERT_EQ(sb->output_state(scope, state), status::SUCCESS);
  EXPECT_EQ(state, core::OutputState::pending);
  ASSERT_EQ(write(scope, "*IDN?\n"), status::SUCCESS);  // interrupts the slow query
  ASSERT_EQ(sb->output_state(scope, state), status::SUCCESS);
  EXPECT_EQ(state, core::OutputState::ready);
  auto [st, part] = read(scope, 5);
  EXPECT_EQ(st, status::SUCCESS_MAX_CNT);
  ASSERT_EQ(sb->output_state(scope, state), status::SUCCESS);
  EXPECT_EQ(state, core::OutputState::ready);  // the rest is in the session's reader
  EXPECT_EQ(part, "CPPVI");
  EXPECT_EQ(read(scope).second, "SA,SIMSCOPE-1000,SIM0001,1.0\n");
  ASSERT_EQ(sb->output_state(scope, state), status::SUCCESS);
  EXPECT_EQ(state, core::OutputState::none);
  EXPECT_EQ(sb->output_state(rm, state), status::ERROR_INV_OBJECT);
}

TEST_F(SimBackendTest, EndTerminatesAProgramMessageExceptOnSockets) {
  auto gpib = open("GPIB::7::INSTR");
  EXPECT_EQ(query(gpib, "*IDN?"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");  // END, no NL
  auto tcp = open("TCPIP::sim-scope::INSTR");
  EXPECT_EQ(query(tcp, "*IDN?"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
  set(tcp, attr::SEND_END_EN, 0);  // without END the message goes on in the next write
  ASSERT_EQ(write(tcp, "*IDN"), status::SUCCESS);
  set(tcp, attr::SEND_END_EN, 1);
  EXPECT_EQ(query(tcp, "?"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
  auto sock = open("TCPIP::sim-scope::4000::SOCKET");  // a socket has no END: NL only
  set(sock, attr::TMO_VALUE, 100);
  ASSERT_EQ(write(sock, "*IDN?"), status::SUCCESS);
  EXPECT_EQ(read(sock).first, status::ERROR_TMO);
  set(sock, attr::TMO_VALUE, 2000);
  EXPECT_EQ(query(sock, "\n"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
}

TEST_F(SimBackendTest, AQueryThatTimedOutDoesNotShiftTheNextAnswers) {
  auto scope = open("TCPIP::sim-scope::INSTR");
  set(scope, attr::TMO_VALUE, 50);
  ASSERT_EQ(write(scope, ":ACQ:SLOW?\n"), status::SUCCESS);  // answered after 500 ms
  auto start = std::chrono::steady_clock::now();
  auto late = read(scope);
  if (std::chrono::steady_clock::now() - start < 400ms) {
    EXPECT_EQ(late.first, status::ERROR_TMO);
  }
  if (late.first != status::ERROR_TMO) GTEST_SKIP() << "this thread was held up past the delay";
  std::this_thread::sleep_for(600ms);  // the late answer is now ready, unread
  set(scope, attr::TMO_VALUE, 2000);
  EXPECT_EQ(query(scope, "*IDN?\n"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");  // not the late "1"
  EXPECT_EQ(query(scope, ":SYST:ERR?\n"), "-410,\"Query INTERRUPTED\"\n");
  EXPECT_EQ(query(scope, ":SYST:ERR?\n"), "0,\"No error\"\n");
}

TEST_F(SimBackendTest, ReadStbClearTriggerFlush) {
  auto scope = open("GPIB::7::INSTR");
  std::uint16_t stb = 0xFF;
  ASSERT_EQ(backend->read_stb(scope, stb), status::SUCCESS);
  EXPECT_EQ(stb, 0);
  ASSERT_EQ(write(scope, "*IDN?\n"), status::SUCCESS);
  ASSERT_EQ(backend->read_stb(scope, stb), status::SUCCESS);
  EXPECT_EQ(stb, 0x10);  // message available
  ASSERT_EQ(backend->clear(scope), status::SUCCESS);
  ASSERT_EQ(backend->read_stb(scope, stb), status::SUCCESS);
  EXPECT_EQ(stb, 0);
  set(scope, attr::TMO_VALUE, 100);
  // The scope raises a query error on a read with nothing to read (and sends nothing).
  EXPECT_EQ(read(scope).first, status::ERROR_TMO);
  EXPECT_EQ(query(scope, ":SYST:ERR?\n"), "-420,\"Query UNTERMINATED\"\n");
  EXPECT_EQ(query(scope, "*ESR?\n"), "4\n");
  EXPECT_EQ(backend->assert_trigger(scope, TriggerProtocol::default_), status::SUCCESS);  // *TRG: no reply
  EXPECT_EQ(backend->assert_trigger(scope, TriggerProtocol::on), status::ERROR_INV_PROT);
  EXPECT_EQ(backend->flush(scope, buffer::read_buf_discard), status::SUCCESS);
  EXPECT_EQ(query(scope, "*IDN?\n"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
}

TEST_F(SimBackendTest, ServiceRequestEvent) {
  auto scope = open("TCPIP::sim-scope::INSTR");
  ASSERT_EQ(backend->enable_event(scope, event::service_request, 1 /* VI_QUEUE */), status::SUCCESS);
  ASSERT_EQ(write(scope, "*SRE 16\n"), status::SUCCESS);  // request service on MAV
  event_type_t type = 0;
  session_t ctx = 0;
  EXPECT_EQ(backend->wait_on_event(scope, event::service_request, 0, type, ctx, false), status::ERROR_TMO);
  ASSERT_EQ(write(scope, ":WAV:POIN?\n"), status::SUCCESS);
  ASSERT_EQ(backend->wait_on_event(scope, event::service_request, 2000, type, ctx, false), status::SUCCESS);
  EXPECT_EQ(type, event::service_request);
  std::uint16_t stb = 0;
  ASSERT_EQ(backend->read_stb(scope, stb), status::SUCCESS);
  EXPECT_EQ(stb, 0x50);  // RQS + MAV
  EXPECT_EQ(read(scope).second, "10000\n");
  ASSERT_EQ(backend->read_stb(scope, stb), status::SUCCESS);
  EXPECT_EQ(stb, 0);
}

TEST_F(SimBackendTest, ServiceRequestWhenASlowReplyIsReady) {
  auto scope = open("GPIB::7::INSTR");
  ASSERT_EQ(backend->enable_event(scope, event::service_request, 1 /* VI_QUEUE */), status::SUCCESS);
  ASSERT_EQ(write(scope, "*SRE 16\n"), status::SUCCESS);
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(write(scope, ":ACQ:SLOW?\n"), status::SUCCESS);  // answered after 500 ms
  std::uint16_t stb = 0xFF;
  ASSERT_EQ(backend->read_stb(scope, stb), status::SUCCESS);
  if (std::chrono::steady_clock::now() - start < 400ms) {
    EXPECT_EQ(stb, 0);  // not ready yet
  }
  event_type_t type = 0;
  session_t ctx = 0;
  ASSERT_EQ(backend->wait_on_event(scope, event::service_request, 10000, type, ctx, false), status::SUCCESS);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 450ms);
  ASSERT_EQ(backend->read_stb(scope, stb), status::SUCCESS);
  EXPECT_EQ(stb, 0x50);
  EXPECT_EQ(read(scope).second, "1\n");
}

TEST_F(SimBackendTest, RandomSeedFromTheEnvironment) {
  ::setenv("CPPVISA_SIM_SEED", "42", 1);
  session_t rm2 = 0;
  ASSERT_EQ(backend->open_default_rm(rm2), status::SUCCESS);
  auto dmm = open("GPIB::5::INSTR", rm2);
  ::unsetenv("CPPVISA_SIM_SEED");
  EXPECT_EQ(query(dmm, ":READ?\n"), "6.71\n");  // Python: random.seed(42); "%.2f" % uniform(0, 10.5)
  EXPECT_EQ(query(dmm, ":SCAN?\n"), "0.26, 2.89, 2.34, 7.73, 7.11\n");
  backend->close(rm2);
}

// CPPVISA_SIM_SEED=pyvisa-sim:42: PyVISA-sim's stream. The numbers are Python's (/usr/bin/python3):
//   random.seed(42); rm = randint(1000000, 9999999); s1 = randint(...)  # viOpenDefaultRM, viOpen
//   '%.2f' % uniform(0, 10.5) -> 7.79; 5 more -> 2.57, 1.47, 1.08, 7.78, 5.73; uniform(-5, 5) -> 0.90
//   s2 = randint(...); uniform(0, 10.5) -> 0.31; uniform(0, 10.5) -> 2.30
// (PyVISA-sim's own test suite expects 7.79 / 2.57, 1.47, 1.08, 7.78, 5.73 / 0.90.)
TEST_F(SimBackendTest, PyvisaSimStreamSharedByTheResourceManager) {
  ::setenv("CPPVISA_SIM_SEED", "pyvisa-sim:42", 1);
  session_t rm2 = 0;
  status_t opened = backend->open_default_rm(rm2);
  ::unsetenv("CPPVISA_SIM_SEED");
  ASSERT_EQ(opened, status::SUCCESS);
  auto dmm = open("GPIB0::5::INSTR", rm2);
  // A resource that does not exist draws nothing (PyVISA-sim returns before _register).
  session_t none = 0;
  EXPECT_EQ(backend->open(rm2, "GPIB0::29::INSTR", AccessMode::no_lock, 0, none), status::ERROR_RSRC_NFOUND);
  EXPECT_EQ(query(dmm, ":READ?\n"), "7.79\n");
  EXPECT_EQ(query(dmm, ":SCAN?\n"), "2.57, 1.47, 1.08, 7.78, 5.73\n");
  EXPECT_EQ(query(dmm, ":VOLT:IMM:AMPL?\n"), "0.90\n");
  // Another instrument: its open draws a handle, then both draw from the one stream.
  auto other = open("ASRL5::INSTR", rm2);
  EXPECT_EQ(query(other, ":READ?\r\n"), "0.31\n");
  EXPECT_EQ(query(dmm, ":READ?\n"), "2.30\n");
  backend->close(rm2);
  // Another resource manager starts its own stream from the seed.
  ::setenv("CPPVISA_SIM_SEED", "pyvisa-sim:42", 1);
  session_t rm3 = 0;
  opened = backend->open_default_rm(rm3);
  ::unsetenv("CPPVISA_SIM_SEED");
  ASSERT_EQ(opened, status::SUCCESS);
  EXPECT_EQ(query(open("ASRL5::INSTR", rm3), ":READ?\r\n"), "7.79\n");
  backend->close(rm3);
}

TEST_F(SimBackendTest, BadSeedSettingIsRefused) {
  ::setenv("CPPVISA_SIM_SEED", "pyvisa-sim:x", 1);
  session_t rm2 = 0;
  status_t st = backend->open_default_rm(rm2);
  ::unsetenv("CPPVISA_SIM_SEED");
  EXPECT_EQ(st, status::ERROR_INV_SETUP);
  EXPECT_EQ(rm2, 0u);
}

TEST_F(SimBackendTest, LocksBetweenTwoSessions) {
  auto a = open("GPIB::9::INSTR");
  auto b = open("GPIB::9::INSTR");
  std::string key;
  ASSERT_EQ(backend->lock(a, AccessMode::exclusive_lock, 0, {}, key), status::SUCCESS);
  std::size_t count = 0;
  std::string msg = "*IDN?\n";
  EXPECT_EQ(backend->write(b, std::as_bytes(std::span(msg.data(), msg.size())), count), status::ERROR_RSRC_LOCKED);
  EXPECT_EQ(backend->lock(b, AccessMode::exclusive_lock, 0, {}, key), status::ERROR_RSRC_LOCKED);
  // b waits for the lock while a releases it.
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    backend->unlock(a);
  });
  EXPECT_EQ(backend->lock(b, AccessMode::exclusive_lock, 5000, {}, key), status::SUCCESS);
  releaser.join();
  // Sessions on one resource share the instrument: b's question, a's answer (once b unlocks).
  EXPECT_EQ(write(b, "*IDN?\n"), status::SUCCESS);
  EXPECT_EQ(backend->unlock(b), status::SUCCESS);
  EXPECT_EQ(read(a).second, "SCPI,MOCK,VERSION_1.0\n");
}

TEST_F(SimBackendTest, EachResourceManagerHasItsOwnInstruments) {
  auto s1 = open("ASRL1::INSTR");
  EXPECT_EQ(query(s1, "!FREQ 12.30\r\n"), "OK\n");
  EXPECT_EQ(query(s1, "?FREQ\r\n"), "12.30\n");
  session_t rm2 = 0;
  ASSERT_EQ(backend->open_default_rm(rm2), status::SUCCESS);
  auto s2 = open("ASRL1::INSTR", rm2);
  EXPECT_EQ(query(s2, "?FREQ\r\n"), "100.00\n");
  // Closing a session keeps the state; closing the resource manager drops it.
  backend->close(s1);
  s1 = open("ASRL1::INSTR");
  EXPECT_EQ(query(s1, "?FREQ\r\n"), "12.30\n");
  backend->close(rm);
  ASSERT_EQ(backend->open_default_rm(rm), status::SUCCESS);
  s1 = open("ASRL1::INSTR");
  EXPECT_EQ(query(s1, "?FREQ\r\n"), "100.00\n");
  backend->close(rm2);
}

TEST_F(SimBackendTest, TenMillionPointWaveformReadInChunks) {
  auto scope = open("TCPIP::sim-scope::4000::SOCKET");
  EXPECT_EQ(write(scope, ":WAV:POIN 10000000\n"), status::SUCCESS);
  EXPECT_EQ(query(scope, ":WAV:POIN?\n"), "10000000\n");
  ASSERT_EQ(write(scope, "CURV?\n"), status::SUCCESS);
  const std::string header = "#810000000";
  std::string chunk_buf(1 << 20, '\0');
  std::uint64_t total = 0, sample_index = 0, mismatches = 0;
  status_t st = status::SUCCESS_MAX_CNT;
  std::string head;
  char last = 0;
  while (st == status::SUCCESS_MAX_CNT) {
    std::size_t count = 0;
    st = backend->read(scope, std::as_writable_bytes(std::span(chunk_buf.data(), chunk_buf.size())), count);
    ASSERT_TRUE(st == status::SUCCESS || st == status::SUCCESS_MAX_CNT) << status_name(st);
    for (std::size_t i = 0; i < count; ++i, ++total) {
      if (total < header.size()) {
        head.push_back(chunk_buf[i]);
      } else if (total < header.size() + 10000000) {
        auto expected = static_cast<std::int8_t>(sim::WaveformMessage::sample(sample_index++, 1, 1000));
        if (static_cast<std::int8_t>(chunk_buf[i]) != expected) ++mismatches;
      }
      last = chunk_buf[i];
    }
  }
  EXPECT_EQ(st, status::SUCCESS);  // END with the last byte
  EXPECT_EQ(head, header);
  EXPECT_EQ(total, header.size() + 10000000 + 1);
  EXPECT_EQ(sample_index, 10000000u);
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(last, '\n');
  EXPECT_EQ(query(scope, "*IDN?\n"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
}

TEST_F(SimBackendTest, SerialAttributesAreValidated) {
  auto asrl = open("ASRL2::INSTR");
  set(asrl, attr::ASRL_BAUD, 115200);
  set(asrl, attr::ASRL_BAUD, 0, status::ERROR_NSUP_ATTR_STATE);
  set(asrl, attr::ASRL_DATA_BITS, 7);
  set(asrl, attr::ASRL_DATA_BITS, 9, status::ERROR_NSUP_ATTR_STATE);
  set(asrl, attr::ASRL_PARITY, 2);
  set(asrl, attr::ASRL_PARITY, 7, status::ERROR_NSUP_ATTR_STATE);
  set(asrl, attr::ASRL_STOP_BITS, 20);
  set(asrl, attr::ASRL_STOP_BITS, 12, status::ERROR_NSUP_ATTR_STATE);
  set(asrl, attr::ASRL_FLOW_CNTRL, 2);
  set(asrl, attr::ASRL_END_IN, 5, status::ERROR_NSUP_ATTR_STATE);
  AttrValue v;
  ASSERT_EQ(backend->get_attribute(asrl, attr::ASRL_BAUD, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 115200);
  auto gpib = open("GPIB::9::INSTR");
  set(gpib, attr::ASRL_BAUD, 9600, status::ERROR_NSUP_ATTR);
  ASSERT_EQ(backend->get_attribute(asrl, attr::ASRL_AVAIL_NUM, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 0);
  EXPECT_EQ(write(asrl, "*IDN?\r\n"), status::SUCCESS);
  ASSERT_EQ(backend->get_attribute(asrl, attr::ASRL_AVAIL_NUM, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 22);  // "SCPI,MOCK,VERSION_1.0\n"
  EXPECT_EQ(read(asrl).second, "SCPI,MOCK,VERSION_1.0\n");
  // END_OUT = TERMCHAR appends the termination character: the device sees "*IDN?\r\n".
  set(asrl, attr::ASRL_END_OUT, 2);
  set(asrl, attr::TERMCHAR, '\n');
  EXPECT_EQ(query(asrl, "*IDN?\r"), "SCPI,MOCK,VERSION_1.0\n");
}

// The message of the VisaIOError make_backend throws for `text`.
std::string backend_error(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("cppvisa_sim_backend_" + std::to_string(::getpid()) + ".yaml");
  { std::ofstream(path) << text; }
  std::string message = "loaded";
  try {
    sim::make_backend(path.string());
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_LIBRARY_NFOUND);
    message = e.what();
  }
  std::filesystem::remove(path);
  return message;
}

TEST(SimBackendLoad, DefaultFileAndErrors) {
  auto bundled = sim::make_backend("");
  EXPECT_EQ(bundled->library_path(), sim::default_definitions_path());
  const std::string dev = "spec: \"1.1\"\ndevices:\n  d:\n    dialogues: [{q: A, r: B}]\nresources:\n";
  EXPECT_THAT(backend_error(dev + "  GPIB::8::INSTR: {device: d}\n  GPIB0::8::INSTR: {device: d}\n"),
              HasSubstr(".yaml:7:3: resource 'GPIB0::8::INSTR' is defined twice (as GPIB0::8::INSTR)"));
  EXPECT_THAT(backend_error(dev + "  GPIB0::INTFC: {device: d}\n"),
              HasSubstr(".yaml:6:3: resource 'GPIB0::INTFC': GPIB INTFC resources cannot be simulated"));
  EXPECT_THAT(backend_error(dev + "  NOT::A::NAME: {device: d}\n"), HasSubstr(".yaml:6:3: invalid resource name 'NOT::A::NAME'"));
  EXPECT_THAT(backend_error(dev + "  ASRL1::INSTR: {device: e}\n"), HasSubstr(".yaml:6:26: resource 'ASRL1::INSTR': no device named 'e'"));
  EXPECT_THAT(backend_error("spec: [\n"), HasSubstr("YAML syntax error"));
  try {
    sim::make_backend("/nonexistent/sim.yaml");
    ADD_FAILURE() << "loaded";
  } catch (const VisaIOError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot open the simulation file '/nonexistent/sim.yaml'"));
  }
}

}  // namespace
}  // namespace cppvisa
