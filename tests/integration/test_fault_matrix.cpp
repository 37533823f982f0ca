// Issue #12 point 4: the fault matrix. SOCKET, VXI-11, HiSLIP, VICP and Prologix-over-TCP clients
// (the native backend, as libvisa.so uses it) reach visa-serve's gateway serving a simulated
// instrument (for Prologix, on the bus of its simulated GPIB-ETHERNET adapter) through
// testing::FaultProxy, which damages the instrument's answer to *IDN?: delayed, split into 1-byte
// segments, stalled, reset, truncated, corrupted in its framing or data, duplicated; and
// (RequestFaultMatrix) the request: split, delayed, stalled, reset, truncated, its framing corrupted. Every case
// asserts the exact outcome -- the right data, or the documented VISA status within the timeout
// + 10% (docs/reliability.md has the table) -- that memory stays bounded (RSS measured), and
// that the session (or a new one) works afterwards. One CTest entry per case: they run in parallel.
#include "backends/native/native_backend.hpp"
#include "support/fault_proxy.hpp"
#include "support/process_stats.hpp"

#include <cppvisa/backend.hpp>
#include <cppvisa/gateway.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>

namespace cppvisa {
namespace {

using testing::Fault;
using testing::FaultProxy;
using Clock = std::chrono::steady_clock;

constexpr const char* idn = "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n";
constexpr std::uint32_t timeout_ms = 1000;
constexpr std::size_t max_rss_growth_kb = 32 * 1024;

enum class Proto { socket, vxi11, hislip, vicp, prologix };

// Where the framing sits in each protocol's answer (the corrupt cases aim at it).
// VXI-11: RPC record mark (4 bytes: last-fragment bit + length, RFC 5531 §11), then the reply.
// HiSLIP: 16-byte header, "HS" prologue first, payload length in bytes 8..15 (IVI-6.1 §2.5).
// VICP: 8-byte header, operation bits first, payload length in bytes 4..7 (docs/vicp.md).
// Prologix: none; the device's bytes as they are, a line feed last.
struct Case {
  const char* name;
  Fault fault;
};

std::string text(std::span<const std::byte> b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

struct Outcome {
  status_t status;
  std::optional<std::string> data;  ///< the exact bytes read, when they are determined
  bool reopen = false;              ///< the connection is gone: the test opens a new session
};

// VICP (docs/vicp.md): every answer block is an 8-byte header (operation bits, version 1, the
// sequence number of the query, reserved 0, payload length big-endian) and its payload; the
// instrument echoes the query's sequence number (VICP 1a), so blocks of an older answer are
// dropped by the client.
Outcome expected_vicp(const std::string& name) {
  const std::string right = idn;
  if (name == "none" || name == "delay" || name == "split") return {status::SUCCESS, right};
  // The copy is a second block numbered as the first: the next query's answer has a new number,
  // so the copy is dropped (after viClear as well).
  if (name == "duplicate") return {status::SUCCESS, right};
  // Header and a few payload bytes in 1 s: VI_ERROR_TMO with those bytes (checked below); the
  // rest keeps trickling for seconds, so a new session is the way on.
  if (name == "trickle") return {status::ERROR_TMO, std::nullopt, true};
  // 5 of the header's 8 bytes: VI_ERROR_TMO, nothing read; the partial header is kept (no
  // desynchronisation) and viClear drops the answer when it comes.
  if (name == "stall") return {status::ERROR_TMO, std::string()};
  if (name == "reset" || name == "truncate") return {status::ERROR_CONN_LOST, std::string(), true};
  // The operation byte without the DATA bit (every instrument block carries it): not VICP, the
  // stream is out of step: VI_ERROR_IO and the connection is closed.
  if (name == "corrupt_frame") return {status::ERROR_IO, std::string(), true};
  // The length's top byte: the block announces 4 GB. Nothing is allocated from it (payloads go
  // into the caller's buffer): the answer's bytes are data and the termination character ends
  // the read; the rest of that block never comes, so the stream is out of step: a new session.
  if (name == "corrupt_length") return {status::SUCCESS_TERM_CHAR, right, true};
  return {status::ERROR_SYSTEM_ERROR, std::nullopt};
}

// Prologix (docs/prologix.md): the adapter streams the device's bytes after "++read eoi" without
// any framing and without telling where END was: a read ends at the termination character, or
// with END when the adapter has been quiet for 20 ms (Adapter::quiet_ms).
Outcome expected_prologix(const std::string& name) {
  const std::string right = idn;
  if (name == "none" || name == "delay" || name == "split" || name == "duplicate")
    return {status::SUCCESS_TERM_CHAR, right};
  // A byte every 80 ms: the adapter is quiet after the first byte, which is the message (END;
  // a client thread held up past the next byte reads two: checked below); the rest keeps
  // trickling in for seconds: a new connection.
  if (name == "trickle") return {status::SUCCESS, std::nullopt, true};
  // 5 bytes, then quiet: the message ends there (END). The rest, when the stall ends, cannot be
  // told from data (checked below): a new connection, so that the next query's answer is its own.
  if (name == "stall") return {status::SUCCESS, std::string(idn, 5), true};
  if (name == "reset" || name == "truncate") return {status::ERROR_CONN_LOST, std::string(idn, 5), true};
  std::string bad = idn;
  if (name == "corrupt_frame") {  // the first byte: data
    bad[0] = static_cast<char>(~bad[0]);
    return {status::SUCCESS_TERM_CHAR, bad};
  }
  if (name == "corrupt_length") {
    // The only thing that ends a message, the line feed: the read ends with END at the quiet gap.
    bad.back() = static_cast<char>(~bad.back());
    return {status::SUCCESS, bad};
  }
  return {status::ERROR_SYSTEM_ERROR, std::nullopt};
}

// The documented outcome of each case (docs/reliability.md, "Fault matrix").
Outcome expected(Proto p, const std::string& name) {
  if (p == Proto::vicp) return expected_vicp(name);
  if (p == Proto::prologix) return expected_prologix(name);
  std::string bad_first = idn;
  bad_first[0] = static_cast<char>(~bad_first[0]);
  const std::string right = idn;
  if (name == "none" || name == "delay" || name == "split")
    return {p == Proto::socket ? status::SUCCESS_TERM_CHAR : status::SUCCESS, right};
  if (name == "duplicate") {
    // A raw socket has no framing: the copy is more data (read at the next read). VXI-11 skips
    // the copy of a reply by its xid; HiSLIP drops a DataEnd whose MessageID is not the query's.
    return {p == Proto::socket ? status::SUCCESS_TERM_CHAR : status::SUCCESS, right};
  }
  if (name == "trickle") {
    // One byte every 80 ms: the answer would take ~3 s. The deadline is the call's, not a
    // byte's: VI_ERROR_TMO within the timeout + 10%, with what arrived (a socket returns the
    // bytes; VXI-11 and HiSLIP get no whole reply/message in time).
    // VXI-11 and HiSLIP: the connection is still busy delivering the stale answer for seconds;
    // a new session is the way on (viClear would wait behind it).
    return {status::ERROR_TMO, p == Proto::socket ? std::nullopt : std::optional<std::string>(std::string()),
            p != Proto::socket};
  }
  if (name == "stall") {
    // 5 bytes of the answer (socket), or of the frame (VXI-11 record mark + 1; HiSLIP header):
    // VI_ERROR_TMO with what arrived as data.
    return {status::ERROR_TMO, p == Proto::socket ? std::optional<std::string>("CPPVI") : std::string()};
  }
  if (name == "reset" || name == "truncate")
    return {status::ERROR_CONN_LOST, p == Proto::socket ? std::optional<std::string>("CPPVI") : std::string(), true};
  if (name == "corrupt_frame") {
    // A raw socket cannot tell: the data is what arrived. VXI-11: the record mark says "not the
    // last fragment" and a length beyond any reply we accept: VI_ERROR_IO, the connection is
    // closed. HiSLIP: no "HS" prologue: the client closes the session (VI_ERROR_CONN_LOST).
    if (p == Proto::socket) return {status::SUCCESS_TERM_CHAR, bad_first};
    return {p == Proto::vxi11 ? status::ERROR_IO : status::ERROR_CONN_LOST, std::string(), true};
  }
  if (name == "corrupt_length") {
    // Socket: a data byte. VXI-11: the record mark's length (16 MB, last fragment): over the
    // 4 MiB + 4 KiB reply bound, VI_ERROR_IO before anything is allocated. HiSLIP: the payload
    // length's top byte (2^63 and more): the answer's bytes are data and the termination
    // character ends the read; the "rest" of that message never comes, so the stream is out of
    // step: a new session.
    std::string bad_sixth = idn;
    bad_sixth[5] = static_cast<char>(~bad_sixth[5]);
    if (p == Proto::socket) return {status::SUCCESS_TERM_CHAR, bad_sixth};
    if (p == Proto::vxi11) return {status::ERROR_IO, std::string(), true};
    return {status::SUCCESS_TERM_CHAR, right, true};
  }
  return {status::ERROR_SYSTEM_ERROR, std::nullopt};
}

std::vector<Case> cases(Proto p = Proto::socket) {
  // Where each protocol's length sits in the answer (the corrupt_length case aims at it).
  // Prologix has no length: the message's last byte (its line feed) is what ends it.
  const std::size_t length_at = p == Proto::socket ? 5
                                : p == Proto::vxi11 ? 1
                                : p == Proto::vicp  ? 4
                                : p == Proto::prologix ? std::strlen(idn) - 1
                                                      : 8;
  return {
      {"none", Fault::none()},
      {"delay", Fault::make_delay(100)},
      {"split", Fault::make_split()},
      {"trickle", Fault::make_trickle(80)},
      {"stall", Fault::make_stall(5)},
      {"reset", Fault::make_reset(5)},
      {"truncate", Fault::make_truncate(5)},
      {"corrupt_frame", Fault::make_corrupt({0})},
      {"corrupt_length", Fault::make_corrupt({length_at})},
      {"duplicate", Fault::make_duplicate(0)},
  };
}

class FaultMatrix : public ::testing::TestWithParam<std::tuple<Proto, std::string>> {
 protected:
  void SetUp() override {
    GatewayOptions o;
    o.resources = {"TCPIP::sim-scope::INSTR"};
    switch (proto()) {
      case Proto::socket: o.socket = GatewayAddress{}; break;
      case Proto::vxi11: o.vxi11 = GatewayAddress{}; break;
      case Proto::hislip: o.hislip = GatewayAddress{}; break;
      case Proto::vicp: o.vicp = GatewayAddress{}; break;
      case Proto::prologix:
        // The simulated scope at GPIB address 7 on the bus of the gateway's Prologix adapter.
        o.resources = {"GPIB0::7::INSTR"};
        o.prologix = GatewayAddress{};
        break;
    }
    o.response_hold_ms = 300;
    gateway = std::make_unique<Gateway>(open_backend("@sim"), o);
    gateway->start();
    // Prologix: the adapter and the instrument on its bus, on one port.
    ASSERT_EQ(gateway->endpoints().size(), proto() == Proto::prologix ? 2u : 1u);
    proxy = std::make_unique<FaultProxy>(gateway->endpoints().front().port);
    ASSERT_NE(proxy->port(), 0);
    const std::string port = std::to_string(proxy->port());
    switch (proto()) {
      case Proto::socket: resource = "TCPIP::127.0.0.1::" + port + "::SOCKET"; break;
      case Proto::vxi11: resource = "TCPIP::127.0.0.1:" + port + "::inst0::INSTR"; break;
      case Proto::hislip: resource = "TCPIP::127.0.0.1::hislip0," + port + "::INSTR"; break;
      case Proto::vicp: resource = "VICP::127.0.0.1:" + port + "::INSTR"; break;
      case Proto::prologix:
        adapter = "PRLGX-TCPIP::127.0.0.1::" + port + "::INTFC";
        resource = "GPIB0::7::INSTR";
        break;
    }
    backend = native::make_backend();
    ASSERT_EQ(backend->open_default_rm(rm), status::SUCCESS);
    open_session();
  }
  void TearDown() override {
    if (backend) {
      if (session) backend->close(session);
      if (intfc) backend->close(intfc);
      backend->close(rm);
    }
    if (proxy) proxy->stop();
    if (gateway) gateway->stop();
  }
  Proto proto() const { return std::get<0>(GetParam()); }
  void open_session() {
    // A GPIB name routes through the Prologix adapter while its INTFC session is open.
    if (!adapter.empty() && !intfc) {
      ASSERT_EQ(backend->open(rm, adapter, AccessMode::no_lock, 2000, intfc), status::SUCCESS) << adapter;
    }
    ASSERT_EQ(backend->open(rm, resource, AccessMode::no_lock, 2000, session), status::SUCCESS) << resource;
    ASSERT_EQ(backend->set_attribute(session, attr::TMO_VALUE, std::int64_t{timeout_ms}), status::SUCCESS);
    ASSERT_EQ(backend->set_attribute(session, attr::TERMCHAR_EN, std::int64_t{1}), status::SUCCESS);
  }
  status_t write(std::string_view command) {
    std::size_t n = 0;
    return backend->write(session, std::as_bytes(std::span(command.data(), command.size())), n);
  }
  status_t read(std::string& out) {
    std::vector<std::byte> buffer(65536);
    std::size_t n = 0;
    status_t st = backend->read(session, buffer, n);
    out = text(std::span(buffer).first(n));
    return st;
  }

  std::unique_ptr<Gateway> gateway;
  std::unique_ptr<FaultProxy> proxy;
  /// A new session (and, for Prologix, a new connection to the adapter: closing the INSTR
  /// session alone keeps the adapter's connection while the INTFC session is open).
  void reopen() {
    backend->close(session);
    session = 0;
    if (intfc) backend->close(intfc);
    intfc = 0;
    open_session();
  }

  std::string resource;
  std::string adapter;  ///< Prologix: the adapter's INTFC name
  std::shared_ptr<Backend> backend;
  session_t rm = 0, session = 0, intfc = 0;
};

TEST_P(FaultMatrix, AnswerThroughTheFault) {
  const std::string name = std::get<1>(GetParam());
  Fault fault;
  for (auto& c : cases(proto()))
    if (c.name == name) fault = c.fault;
  const Outcome want = expected(proto(), name);
  auto before = testing::process_stats();

  // Armed before the write (the simulated instrument answers at once): VXI-11's device_write
  // reply passes first, unchanged (record mark 4 + RPC reply header 24 + error and size 8).
  proxy->arm(fault.skipping(proto() == Proto::vxi11 ? 36 : 0));
  ASSERT_EQ(write("*IDN?\n"), status::SUCCESS);
  auto start = Clock::now();
  std::string got;
  status_t st = read(got);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  proxy->disarm();

  EXPECT_EQ(st, want.status) << status_name(st) << " instead of " << status_name(want.status);
  if (want.data) {
    EXPECT_EQ(got, *want.data);
  }
  EXPECT_LE(elapsed, timeout_ms + timeout_ms / 10);
  if (want.status == status::ERROR_TMO) {
    EXPECT_GE(elapsed, timeout_ms - 1);
  }
  auto after = testing::process_stats();
  EXPECT_LT(after.rss_kb, before.rss_kb + max_rss_growth_kb) << "RSS " << before.rss_kb << " -> " << after.rss_kb << " kB";

  if (name == "trickle" && proto() == Proto::vicp) {
    EXPECT_GE(got.size(), 1u);  // about 12 bytes in 1 s, 8 of them the header
    EXPECT_EQ(got, std::string(idn).substr(0, got.size()));
  }
  if (name == "trickle" && proto() == Proto::prologix) {
    EXPECT_GE(got.size(), 1u);
    EXPECT_LE(got.size(), 3u);  // the first byte, ended by the quiet gap (not the whole answer)
    EXPECT_EQ(got, std::string(idn).substr(0, got.size()));
    EXPECT_LT(elapsed, 500);  // at the quiet gap, not at the timeout
  }
  if (name == "trickle" && proto() == Proto::socket) {
    EXPECT_GE(got.size(), 5u);  // about 12 bytes in 1 s
    EXPECT_EQ(got, std::string(idn).substr(0, got.size()));
  }
  if (name == "stall" && proto() == Proto::prologix) {
    // Nor has Prologix: the rest of the answer, when the stall ends, is the next read's data.
    EXPECT_EQ(read(got), status::SUCCESS_TERM_CHAR);
    EXPECT_EQ(got, std::string(idn).substr(5));
  }
  if ((name == "stall" || name == "trickle") && proto() == Proto::socket) {
    // A raw socket has no framing: viClear discards what has arrived, and the rest of a stalled
    // answer that comes later is read as data (docs/reliability.md).
    const std::size_t had = got.size();
    std::string rest;
    status_t st2 = status::SUCCESS;
    for (int i = 0; i < 10 && rest.size() + had < std::strlen(idn); ++i) {  // a trickle comes in pieces
      st2 = read(got);
      rest += got;
    }
    EXPECT_EQ(st2, status::SUCCESS_TERM_CHAR);
    EXPECT_EQ(rest, std::string(idn).substr(had));
  }
  if (name == "duplicate" && proto() == Proto::socket) {
    // The copy is data on a raw socket: the next read returns it.
    EXPECT_EQ(read(got), status::SUCCESS_TERM_CHAR);
    EXPECT_EQ(got, idn);
  }
  // Usable again: viClear on the session (a stall leaves the rest of the answer on its way), or
  // a new session when the connection is gone. The server kept serving.
  if (want.reopen) {
    reopen();
  } else {
    EXPECT_EQ(backend->clear(session), status::SUCCESS);
  }
  ASSERT_EQ(write("*IDN?\n"), status::SUCCESS);
  status_t again = read(got);
  EXPECT_GE(again, 0) << status_name(again);
  EXPECT_EQ(got, idn);
}

// The same faults on the request: what the client sends the gateway (*IDN? in the protocol's
// framing) is damaged. The first call that fails (the write, or the read of an answer that does
// not come) gives the documented status within the timeout + 10%; the gateway goes on serving: a
// new session answers.
class RequestFaultMatrix : public FaultMatrix {};

struct RequestOutcome {
  status_t status;          ///< of the first call that fails (SUCCESS: none does, the answer is right)
  bool reopen = false;
};

RequestOutcome expected_for_request(Proto p, const std::string& name) {
  if (name == "split" || name == "delay") return {status::SUCCESS};
  if (name == "reset" || name == "truncate") return {status::ERROR_CONN_LOST, true};
  if (name == "stall") return {status::ERROR_TMO, true};  // the request arrives later, or never
  if (name == "corrupt_frame") {
    // SOCKET: "*IDN?" becomes "\xD5IDN?", a command the instrument does not know: no answer.
    // VXI-11: the record mark (not last fragment, 2 GB): the server closes the connection.
    // HiSLIP: no "HS" prologue: the server sends FatalError and closes.
    // VICP: a header version other than 1: the server closes the connection.
    // Prologix: "++addr 7" becomes a data line for no listener; "*IDN?" goes nowhere: no answer.
    if (p == Proto::socket || p == Proto::prologix) return {status::ERROR_TMO, true};
    return {status::ERROR_CONN_LOST, true};
  }
  return {status::ERROR_SYSTEM_ERROR};
}

std::vector<Case> request_cases(Proto p = Proto::socket) {
  // VICP: the header's version byte (the operation byte is all bits and would be a valid, if
  // strange, request: CLEAR, SERIALPOLL and the mode bits).
  const std::size_t frame_at = p == Proto::vicp ? 1 : 0;
  return {
      {"split", Fault::make_split().to_server()},
      {"delay", Fault::make_delay(100).to_server()},
      {"stall", Fault::make_stall(3).to_server()},
      {"reset", Fault::make_reset(3).to_server()},
      {"truncate", Fault::make_truncate(3).to_server()},
      {"corrupt_frame", Fault::make_corrupt({frame_at}).to_server()},
  };
}

TEST_P(RequestFaultMatrix, RequestThroughTheFault) {
  const std::string name = std::get<1>(GetParam());
  Fault fault;
  for (auto& c : request_cases(proto()))
    if (c.name == name) fault = c.fault;
  const RequestOutcome want = expected_for_request(proto(), name);
  auto before = testing::process_stats();
  proxy->arm(fault);
  auto start = Clock::now();
  status_t st = write("*IDN?\n");
  std::string got;
  if (st >= 0) {
    start = Clock::now();
    st = read(got);
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  proxy->disarm();
  if (want.status == status::SUCCESS) {
    EXPECT_GE(st, 0) << status_name(st);
    EXPECT_EQ(got, idn);
  } else {
    EXPECT_EQ(st, want.status) << status_name(st) << " instead of " << status_name(want.status);
  }
  EXPECT_LE(elapsed, timeout_ms + timeout_ms / 10);
  if (want.status == status::ERROR_TMO) {
    EXPECT_GE(elapsed, timeout_ms - 1);
  }
  auto after = testing::process_stats();
  EXPECT_LT(after.rss_kb, before.rss_kb + max_rss_growth_kb) << "RSS " << before.rss_kb << " -> " << after.rss_kb << " kB";
  if (want.reopen) reopen();
  ASSERT_EQ(write("*IDN?\n"), status::SUCCESS);
  status_t again = read(got);
  EXPECT_GE(again, 0) << status_name(again);
  EXPECT_EQ(got, idn);
}

std::string case_name(const ::testing::TestParamInfo<FaultMatrix::ParamType>& info) {
  const char* p[] = {"Socket", "Vxi11", "Hislip", "Vicp", "Prologix"};
  return std::string(p[static_cast<int>(std::get<0>(info.param))]) + "_" + std::get<1>(info.param);
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (auto& c : cases()) names.push_back(c.name);
  return names;
}

std::vector<std::string> request_case_names() {
  std::vector<std::string> names;
  for (auto& c : request_cases()) names.push_back(c.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Lan, RequestFaultMatrix,
                         ::testing::Combine(::testing::Values(Proto::socket, Proto::vxi11, Proto::hislip, Proto::vicp, Proto::prologix),
                                            ::testing::ValuesIn(request_case_names())),
                         case_name);

INSTANTIATE_TEST_SUITE_P(Lan, FaultMatrix,
                         ::testing::Combine(::testing::Values(Proto::socket, Proto::vxi11, Proto::hislip, Proto::vicp, Proto::prologix),
                                            ::testing::ValuesIn(case_names())),
                         case_name);

}  // namespace
}  // namespace cppvisa
