// UsbtmcSession against the USBTMC/USB488 device model (tests/support/usbtmc_device_model.hpp)
// behind the transport interface: queries, split writes, one request per block, leftovers kept,
// zero-length packets, TermChar, a 100 MB reply, lying headers with bounded memory, a device that
// never answers (timeouts kept, abort so the next command works), Bulk-OUT abort, clear, status
// byte over interrupt-IN and control, SRQ as VI_EVENT_SERVICE_REQ through a SessionBackend,
// REN/GTL/LLO, trigger, indicator pulse, vendor control transfers, unplug.
#include "protocols/usbtmc/usbtmc_quirks.hpp"
#include "protocols/usbtmc/usbtmc_session.hpp"
#include "core/session_backend.hpp"
#include "support/process_stats.hpp"
#include "support/usbtmc_device_model.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace cppvisa::usbtmc {
namespace {

using testing::ModelReply;
using testing::ModelTransport;
using testing::UsbtmcDeviceModel;
using clock_type = std::chrono::steady_clock;

constexpr const char* kName = "USB0::0x0957::0x1796::MY123::INSTR";

TransportOpener opener_for(std::shared_ptr<UsbtmcDeviceModel> model) {
  return [model](const ResourceName&, core::Deadline, status_t& st) -> std::unique_ptr<UsbTransport> {
    st = status::SUCCESS;
    return std::make_unique<ModelTransport>(model);
  };
}

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

class UsbtmcModel : public ::testing::Test {
 protected:
  void open(UsbtmcDeviceModel::Config config = {}, SessionOptions options = {}) {
    model = std::make_shared<UsbtmcDeviceModel>(config);
    session = std::make_unique<UsbtmcSession>(ResourceName::parse(kName), opener_for(model), options);
    ASSERT_EQ(session->connect(core::Deadline::after_ms(1000)), status::SUCCESS);
  }
  void TearDown() override {
    if (session) session->disconnect();
  }
  status_t send(std::string_view text, std::uint32_t ms = 2000) {
    std::size_t n = 0;
    status_t st = session->write(bytes(text), n, core::Deadline::after_ms(ms));
    if (st >= 0) {
      EXPECT_EQ(n, text.size());
    }
    return st;
  }
  status_t receive(std::string& out, std::size_t size = 4096, std::uint32_t ms = 2000) {
    std::vector<std::byte> buf(size);
    std::size_t n = 0;
    status_t st = session->read(buf, n, core::Deadline::after_ms(ms));
    out.assign(reinterpret_cast<const char*>(buf.data()), n);
    return st;
  }
  std::string query(std::string_view text) {
    EXPECT_EQ(send(text), status::SUCCESS);
    std::string out;
    EXPECT_EQ(receive(out), status::SUCCESS);
    return out;
  }
  void expect_clean_host() {
    auto s = model->stats();
    EXPECT_EQ(s.tag_errors, 0u);
    EXPECT_EQ(s.padding_errors, 0u);
  }

  std::shared_ptr<UsbtmcDeviceModel> model;
  std::unique_ptr<UsbtmcSession> session;
};

TEST_F(UsbtmcModel, QueryAndAttributes) {
  open();
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
  auto s = model->stats();
  EXPECT_EQ(s.requests, 1u);
  ASSERT_EQ(s.messages.size(), 1u);
  EXPECT_EQ(s.messages[0], "*IDN?\n");
  expect_clean_host();
  AttrValue v;
  ASSERT_EQ(session->get_attribute(attr::MANF_ID, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 0x0957);
  ASSERT_EQ(session->get_attribute(attr::MODEL_CODE, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 0x1796);
  ASSERT_EQ(session->get_attribute(attr::USB_SERIAL_NUM, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::string>(v), "MY123");
  ASSERT_EQ(session->get_attribute(attr::MANF_NAME, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::string>(v), "Keysight Model");
  ASSERT_EQ(session->get_attribute(attr::USB_PROTOCOL, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 1);
  ASSERT_EQ(session->get_attribute(attr::IS_4882_COMPLIANT, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 1);
  ASSERT_EQ(session->get_attribute(attr::USB_MAX_INTR_SIZE, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 2);
  EXPECT_TRUE(session->capabilities().termchar);
  EXPECT_TRUE(session->capabilities().trigger);
}

TEST_F(UsbtmcModel, LongWriteIsSplitWithEomOnTheLastTransferOnly) {
  SessionOptions o;
  o.max_out_payload = 1000;
  open({}, o);
  std::string big(2500, 'a');
  big += "\n";
  ASSERT_EQ(send(big), status::SUCCESS);
  auto s = model->stats();
  EXPECT_EQ(s.bulk_out_transfers, 3u);
  ASSERT_EQ(s.messages.size(), 1u) << "one message: EOM only on the last transfer";
  EXPECT_EQ(s.bytes_out, big.size());
  expect_clean_host();
  // Without SEND_END_EN the message stays open until a write with END.
  ASSERT_EQ(session->set_attribute(attr::SEND_END_EN, std::int64_t{0}), status::SUCCESS);
  ASSERT_EQ(send("*ID"), status::SUCCESS);
  EXPECT_EQ(model->stats().messages.size(), 1u);
  ASSERT_EQ(session->set_attribute(attr::SEND_END_EN, std::int64_t{1}), status::SUCCESS);
  ASSERT_EQ(send("N?\n"), status::SUCCESS);
  ASSERT_EQ(model->stats().messages.size(), 2u);
  EXPECT_EQ(model->stats().messages[1], "*IDN?\n");
}

TEST_F(UsbtmcModel, LeftoversStayForTheNextReadWithOneRequest) {
  open();
  std::string reply;
  for (int i = 0; i < 100; ++i) reply += static_cast<char>('A' + i % 26);
  model->queue_reply(ModelReply::text(reply));
  std::string got, part;
  for (int i = 0; i < 9; ++i) {
    ASSERT_EQ(receive(part, 10), status::SUCCESS_MAX_CNT) << i;
    got += part;
  }
  ASSERT_EQ(receive(part, 10), status::SUCCESS);  // END on the last byte wins over a full buffer
  got += part;
  EXPECT_EQ(got, reply);
  EXPECT_EQ(model->stats().requests, 1u) << "small reads do not become one request each";
  EXPECT_EQ(model->stats().max_request, SessionOptions{}.min_request);
}

TEST_F(UsbtmcModel, MessagesWithoutEomTakeSeveralRequests) {
  UsbtmcDeviceModel::Config c;
  c.max_transfer = 1000;  // the device sends at most 1000 bytes per transfer
  open(c);
  model->queue_reply(ModelReply::pattern(4500));
  std::string got;
  ASSERT_EQ(receive(got, 10000), status::SUCCESS);
  ASSERT_EQ(got.size(), 4500u);
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(std::byte(got[i]), ModelReply::pattern_byte(i)) << i;
  EXPECT_EQ(model->stats().requests, 5u);
  expect_clean_host();
}

TEST_F(UsbtmcModel, ZeroLengthPacketAfterATransferOfExactlyTheBufferSize) {
  SessionOptions o;
  o.rx_buffer = 4096;  // 8 packets of 512
  open({}, o);
  // 12 + 4084 = 4096: the transfer fills the host buffer exactly; the device's ZLP comes after.
  model->queue_reply(ModelReply::pattern(4084));
  std::string got;
  ASSERT_EQ(receive(got, 8192), status::SUCCESS);
  EXPECT_EQ(got.size(), 4084u);
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n") << "the ZLP was not taken for a header";
  // A reply whose transfer is a multiple of the packet size but smaller than the buffer.
  model->queue_reply(ModelReply::pattern(500));  // 512 bytes with header
  ASSERT_EQ(receive(got, 8192), status::SUCCESS);
  EXPECT_EQ(got.size(), 500u);
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
  expect_clean_host();
}

TEST_F(UsbtmcModel, EmptyMessage) {
  open();
  model->queue_reply(ModelReply::text(""));
  std::string got = "x";
  EXPECT_EQ(receive(got), status::SUCCESS);
  EXPECT_EQ(got, "");
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
}

TEST_F(UsbtmcModel, TermCharFoundByTheHostInOneRequestByDefault) {
  open();
  ASSERT_EQ(session->set_attribute(attr::TERMCHAR_EN, std::int64_t{1}), status::SUCCESS);
  // A binary block full of termination bytes: one request brings all, the reader splits it.
  std::string block = "#3200";
  for (int i = 0; i < 200; ++i) block += (i % 3) ? '\n' : 'x';
  block += "\n";
  model->queue_reply(ModelReply::text(block));
  std::string all, got;
  int reads = 0;
  status_t st = status::SUCCESS_TERM_CHAR;
  while (st == status::SUCCESS_TERM_CHAR && reads < 1000) {
    st = receive(got);
    all += got;
    ++reads;
  }
  EXPECT_EQ(st, status::SUCCESS);
  EXPECT_EQ(all, block);
  EXPECT_GT(reads, 100);
  auto s = model->stats();
  EXPECT_EQ(s.requests, 1u) << "one REQUEST_DEV_DEP_MSG_IN for the whole message";
  ASSERT_EQ(s.termchars.size(), 1u);
  EXPECT_FALSE(s.termchars[0].has_value());
}

TEST_F(UsbtmcModel, QuirkKnownByIdnIsAppliedAfterAskingIdnAtOpen) {
  std::vector<QuirkRow> rows;
  std::string error;
  ASSERT_TRUE(parse_quirk_overrides("0x0957:*~Model Scope=accept_wrong_tag", rows, error)) << error;
  SessionOptions o;
  apply_identity_quirks(0, identity_quirks_for(0x0957, 0x1796, rows), o);
  open({}, o);
  EXPECT_EQ(session->identity(), "Keysight,Model Scope,MY123,1.0");
  ASSERT_FALSE(model->stats().messages.empty());
  EXPECT_EQ(model->stats().messages[0], "*IDN?\n");
  model->configure([](auto& c) { c.wrong_tag = true; });
  EXPECT_EQ(query("ECHO hi\n"), "hi\n") << "the row's flag is in force";
}

TEST_F(UsbtmcModel, QuirkKnownByIdnIsNotAppliedToAnotherModel) {
  std::vector<QuirkRow> rows;
  std::string error;
  ASSERT_TRUE(parse_quirk_overrides("0x0957:0x1796~Other Meter=accept_wrong_tag", rows, error)) << error;
  SessionOptions o;
  apply_identity_quirks(0, identity_quirks_for(0x0957, 0x1796, rows), o);
  open({}, o);
  model->configure([](auto& c) { c.wrong_tag = true; });
  ASSERT_EQ(send("ECHO hi\n"), status::SUCCESS);
  std::string got;
  EXPECT_EQ(receive(got), status::ERROR_IO);
}

TEST_F(UsbtmcModel, NoIdnQueryWithoutARowKnownByIdn) {
  open();
  EXPECT_TRUE(session->identity().empty());
  EXPECT_TRUE(model->stats().messages.empty()) << "nothing is sent at open";
}

TEST_F(UsbtmcModel, TermCharGoesInTheRequestWhenAskedAndTheDeviceSupportsIt) {
  SessionOptions o;
  o.termchar_in_request = true;
  open({}, o);
  ASSERT_EQ(session->set_attribute(attr::TERMCHAR_EN, std::int64_t{1}), status::SUCCESS);
  model->queue_reply(ModelReply::text("one\ntwo\n"));
  std::string got;
  EXPECT_EQ(receive(got), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(got, "one\n");
  EXPECT_EQ(receive(got), status::SUCCESS);
  EXPECT_EQ(got, "two\n");
  auto s = model->stats();
  ASSERT_EQ(s.termchars.size(), 2u);
  EXPECT_EQ(s.termchars[0], std::byte{'\n'});
}

TEST_F(UsbtmcModel, NoTermCharInTheRequestWhenTheDeviceCannot) {
  UsbtmcDeviceModel::Config c;
  c.termchar_capable = false;
  SessionOptions o;
  o.termchar_in_request = true;
  open(c, o);
  ASSERT_EQ(session->set_attribute(attr::TERMCHAR_EN, std::int64_t{1}), status::SUCCESS);
  model->queue_reply(ModelReply::text("one\ntwo\n"));
  std::string got;
  EXPECT_EQ(receive(got), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(got, "one\n");
  EXPECT_EQ(receive(got), status::SUCCESS) << "the rest was kept by the reader";
  EXPECT_EQ(got, "two\n");
  auto s = model->stats();
  ASSERT_EQ(s.termchars.size(), 1u);
  EXPECT_FALSE(s.termchars[0].has_value());
}

TEST_F(UsbtmcModel, HundredMegabyteReply) {
  open();
  constexpr std::size_t size = 100u << 20;
  model->queue_reply(ModelReply::pattern(size));
  std::vector<std::byte> buf(size + 16);
  std::size_t n = 0;
  ASSERT_EQ(session->read(buf, n, core::Deadline::after_ms(60000)), status::SUCCESS);
  ASSERT_EQ(n, size);
  for (std::size_t i = 0; i < size; i += 4093) ASSERT_EQ(buf[i], ModelReply::pattern_byte(i)) << i;
  EXPECT_EQ(buf[size - 1], ModelReply::pattern_byte(size - 1));
  auto s = model->stats();
  EXPECT_EQ(s.requests, 1u) << "one request for the whole block";
  EXPECT_EQ(session->counters().bulk_in_transfers, size / (1u << 20) + 1);
}

TEST_F(UsbtmcModel, HundredMegabytesInSmallChunksStillFewRequests) {
  open();
  constexpr std::size_t size = 100u << 20;
  model->queue_reply(ModelReply::pattern(size));
  std::vector<std::byte> buf(20 * 1024);  // PyVISA's default chunk
  std::size_t total = 0;
  status_t st = status::SUCCESS_MAX_CNT;
  while (st == status::SUCCESS_MAX_CNT) {
    std::size_t n = 0;
    st = session->read(buf, n, core::Deadline::after_ms(10000));
    ASSERT_GE(st, 0);
    ASSERT_EQ(buf[0], ModelReply::pattern_byte(total));
    total += n;
  }
  EXPECT_EQ(st, status::SUCCESS);
  EXPECT_EQ(total, size);
  EXPECT_EQ(model->stats().requests, (size + SessionOptions{}.min_request - 1) / SessionOptions{}.min_request);
}

class LyingDevice : public UsbtmcModel, public ::testing::WithParamInterface<int> {};

TEST_P(LyingDevice, IsAnErrorThenTheNextQueryWorks) {
  open();
  model->configure([](UsbtmcDeviceModel::Config& c) {
    switch (GetParam()) {
      case 0: c.wrong_tag = true; break;
      case 1: c.truncated_header = true; break;
      case 2: c.lie_size = true; break;
    }
  });
  ASSERT_EQ(send("*IDN?\n"), status::SUCCESS);
  std::string got;
  EXPECT_EQ(receive(got, 1 << 20), status::ERROR_IO);
  EXPECT_TRUE(got.empty());
  model->configure([](UsbtmcDeviceModel::Config& c) { c = UsbtmcDeviceModel::Config{}; });
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
  // The device had sent the whole refused transfer already, so the abort finds nothing in
  // progress (TRANSFER_NOT_IN_PROGRESS) but is still asked for.
  EXPECT_EQ(session->counters().aborts_in, 1u) << "the refused transfer was aborted";
}
INSTANTIATE_TEST_SUITE_P(Faults, LyingDevice, ::testing::Values(0, 1, 2));

TEST_F(UsbtmcModel, ExtraBytesAfterThePaddingAreDiscarded) {
  UsbtmcDeviceModel::Config c;
  c.extra_bytes = true;
  open(c);
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
}

TEST_F(UsbtmcModel, RigolHeaderlessContinuationNeedsItsQuirk) {
  UsbtmcDeviceModel::Config c;
  c.split_without_header = 1000;  // 1012-byte first transfer, then 1000-byte transfers, no headers
  open(c);
  model->queue_reply(ModelReply::pattern(5000));
  std::string got;
  EXPECT_EQ(receive(got, 10000), status::ERROR_IO) << "a short transfer is an error without the quirk";
  SessionOptions o;
  o.headerless_continuation = true;
  open(c, o);
  model->queue_reply(ModelReply::pattern(5000));
  ASSERT_EQ(receive(got, 10000), status::SUCCESS);
  ASSERT_EQ(got.size(), 5000u);
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(std::byte(got[i]), ModelReply::pattern_byte(i)) << i;
  EXPECT_EQ(model->stats().requests, 1u) << "no second request mid-message";
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
}

TEST_F(UsbtmcModel, WrongTagAcceptedAsAQuirk) {
  UsbtmcDeviceModel::Config c;
  c.wrong_tag = true;
  SessionOptions o;
  o.accept_wrong_tag = true;
  open(c, o);
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
}

TEST_F(UsbtmcModel, DeviceThatNeverAnswersTimesOutOnTimeThenRecovers) {
  UsbtmcDeviceModel::Config c;
  c.never_answer = true;
  open(c);
  ASSERT_EQ(send("*IDN?\n"), status::SUCCESS);
  std::string got;
  auto t0 = clock_type::now();
  EXPECT_EQ(receive(got, 4096, 200), status::ERROR_TMO);
  auto took = clock_type::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(190));
  EXPECT_LT(took, std::chrono::milliseconds(1500)) << "generous bound";
  model->configure([](UsbtmcDeviceModel::Config& cfg) { cfg.never_answer = false; });
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
  EXPECT_EQ(model->stats().aborts_in, 1u);
  EXPECT_EQ(session->counters().aborts_in, 1u);
}

TEST_F(UsbtmcModel, TimeoutMidMessageAbortsTheRest) {
  UsbtmcDeviceModel::Config c;
  c.max_transfer = 100;
  open(c);
  model->queue_reply(ModelReply::pattern(300));
  std::string got;
  ASSERT_EQ(receive(got, 50), status::SUCCESS_MAX_CNT);
  model->configure([](UsbtmcDeviceModel::Config& cfg) { cfg.never_answer = true; });
  // 50 bytes left in the first transfer, then a second request the device never answers.
  EXPECT_EQ(receive(got, 4096, 100), status::ERROR_TMO);
  EXPECT_EQ(got.size(), 50u) << "the bytes received before the timeout are returned";
  model->configure([](UsbtmcDeviceModel::Config& cfg) { cfg = UsbtmcDeviceModel::Config{}; });
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
}

TEST_F(UsbtmcModel, WriteTimeoutAbortsBulkOutThenTheNextCommandWorks) {
  open();
  model->block_bulk_out();
  auto t0 = clock_type::now();
  EXPECT_EQ(send("*IDN?\n", 150), status::ERROR_TMO);
  EXPECT_LT(clock_type::now() - t0, std::chrono::milliseconds(1500));
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
  auto s = model->stats();
  EXPECT_EQ(s.aborts_out, 1u);
  EXPECT_GE(s.clear_halts, 1u) << "Bulk-OUT halt cleared after the abort";
}

// Issue #12 point 2: the status comes within the timeout + 10% (the abort a timeout needs runs at
// the next call, inside that call's own deadline), for a read and for a write; usable afterwards.
TEST_F(UsbtmcModel, TimeoutIsExactForReadAndWrite) {
  for (std::uint32_t ms : {1000u, 2000u}) {
    SCOPED_TRACE("timeout " + std::to_string(ms) + " ms");
    open();
    model->configure([](UsbtmcDeviceModel::Config& cfg) { cfg.never_answer = true; });
    ASSERT_EQ(send("*IDN?\n"), status::SUCCESS);
    std::string got;
    auto t0 = clock_type::now();
    EXPECT_EQ(receive(got, 4096, ms), status::ERROR_TMO);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
    EXPECT_GE(took, ms - 1);
    EXPECT_LE(took, ms + ms / 10);
    model->configure([](UsbtmcDeviceModel::Config& cfg) { cfg.never_answer = false; });
    EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");

    model->block_bulk_out();
    t0 = clock_type::now();
    EXPECT_EQ(send("*IDN?\n", ms), status::ERROR_TMO);
    took = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
    EXPECT_GE(took, ms - 1);
    EXPECT_LE(took, ms + ms / 10);
    EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
    session->disconnect();
    session.reset();
  }
}

// Issue #12 point 5: 10 000 connect/disconnect cycles of a session (every 100th with a query)
// leave no descriptor, thread (the interrupt-IN reader) or heap byte behind.
TEST_F(UsbtmcModel, OpenCloseCyclesLeaveNothingBehind) {
  auto cycle = [&](bool query_too) {
    ASSERT_NO_FATAL_FAILURE(open());
    if (query_too) {
      ASSERT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
    }
    session->disconnect();
    session.reset();
    model.reset();
  };
  for (int i = 0; i < 200; ++i) ASSERT_NO_FATAL_FAILURE(cycle(i % 10 == 0));
  auto before = cppvisa::testing::process_stats();
  const std::size_t n = cppvisa::testing::open_close_cycles();
  for (std::size_t i = 0; i < n; ++i) ASSERT_NO_FATAL_FAILURE(cycle(i % 100 == 0));
  auto after = cppvisa::testing::process_stats();
  EXPECT_EQ(after.fds, before.fds);
  EXPECT_EQ(after.threads, before.threads);
  EXPECT_LT(after.heap_bytes, before.heap_bytes + n * 16) << before.heap_bytes << " -> " << after.heap_bytes;
  std::printf("[ cycles   ] %zu USBTMC connect/disconnect: fds %zu -> %zu, threads %zu -> %zu, heap %zu -> %zu B\n", n,
              before.fds, after.fds, before.threads, after.threads, before.heap_bytes, after.heap_bytes);
}

TEST_F(UsbtmcModel, ClearDiscardsEverythingAndDrains) {
  open();
  model->queue_reply(ModelReply::pattern(10000));
  std::string got;
  ASSERT_EQ(receive(got, 100), status::SUCCESS_MAX_CNT);
  ASSERT_EQ(session->clear(core::Deadline::after_ms(2000)), status::SUCCESS);
  auto s = model->stats();
  EXPECT_EQ(s.clears, 1u);
  EXPECT_GE(s.clear_halts, 1u);
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n") << "nothing of the old reply is left";
  // A clear while a request is waiting for data.
  ASSERT_EQ(send("NOTHING\n"), status::SUCCESS);
  EXPECT_EQ(receive(got, 100, 50), status::ERROR_TMO);
  ASSERT_EQ(session->clear(core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
  expect_clean_host();
}

TEST_F(UsbtmcModel, StatusByteOverInterruptIn) {
  open();
  model->set_stb(0x10);
  std::uint16_t stb = 0;
  ASSERT_EQ(session->read_stb(stb, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(stb, 0x10);
  for (int i = 0; i < 200; ++i) {  // tags wrap 127 -> 2
    model->set_stb(static_cast<std::uint8_t>(i & 0x3F));
    ASSERT_EQ(session->read_stb(stb, core::Deadline::after_ms(2000)), status::SUCCESS);
    ASSERT_EQ(stb, i & 0x3F);
  }
}

TEST_F(UsbtmcModel, StatusByteInTheControlResponseWithoutInterruptEndpoint) {
  UsbtmcDeviceModel::Config c;
  c.info.interrupt_in = 0;
  open(c);
  model->set_stb(0x22);
  std::uint16_t stb = 0;
  ASSERT_EQ(session->read_stb(stb, core::Deadline::after_ms(2000)), status::SUCCESS);
  EXPECT_EQ(stb, 0x22);
}

TEST_F(UsbtmcModel, PlainUsbtmcHasNoUsb488Operations) {
  UsbtmcDeviceModel::Config c;
  c.usb488 = false;
  c.info.interface_protocol = 0;
  open(c);
  std::uint16_t stb = 0;
  EXPECT_EQ(session->read_stb(stb, core::Deadline::after_ms(100)), status::ERROR_NSUP_OPER);
  EXPECT_EQ(session->assert_trigger(TriggerProtocol::default_, core::Deadline::after_ms(100)), status::ERROR_NSUP_OPER);
  EXPECT_EQ(session->gpib_control_ren(RenMode::assert_, core::Deadline::after_ms(100)), status::ERROR_NSUP_OPER);
  EXPECT_EQ(query("*IDN?\n"), "Keysight,Model Scope,MY123,1.0\n");
}

TEST_F(UsbtmcModel, TriggerRenIndicator) {
  open();
  ASSERT_EQ(session->assert_trigger(TriggerProtocol::default_, core::Deadline::after_ms(1000)), status::SUCCESS);
  EXPECT_EQ(session->assert_trigger(TriggerProtocol::sync, core::Deadline::after_ms(1000)), status::ERROR_INV_PROT);
  EXPECT_EQ(model->stats().triggers, 1u);
  ASSERT_EQ(session->gpib_control_ren(RenMode::assert_llo, core::Deadline::after_ms(1000)), status::SUCCESS);
  EXPECT_TRUE(model->stats().ren);
  EXPECT_TRUE(model->stats().llo);
  ASSERT_EQ(session->gpib_control_ren(RenMode::deassert, core::Deadline::after_ms(1000)), status::SUCCESS);
  EXPECT_FALSE(model->stats().ren);
  ASSERT_EQ(session->indicator_pulse(core::Deadline::after_ms(1000)), status::SUCCESS);
  EXPECT_EQ(model->stats().indicator_pulses, 1u);
  expect_clean_host();
}

TEST_F(UsbtmcModel, VendorControlTransfers) {
  open();
  const std::string data = "vendor";
  ASSERT_EQ(session->usb_control_out(0x41, 0x01, 0, 0, bytes(data), core::Deadline::after_ms(1000)), status::SUCCESS);
  std::vector<std::byte> buf(16);
  std::size_t n = 0;
  ASSERT_EQ(session->usb_control_in(0xC1, 0x02, 0, 0, buf, n, core::Deadline::after_ms(1000)), status::SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), n), data);
  EXPECT_EQ(session->usb_control_in(0xC1, 0x55, 0, 0, buf, n, core::Deadline::after_ms(1000)), status::ERROR_IO)
      << "a stalled request";
  EXPECT_EQ(session->usb_control_in(0x41, 0x02, 0, 0, buf, n, core::Deadline::after_ms(1000)),
            status::ERROR_INV_PARAMETER) << "an OUT request type on control_in";
  EXPECT_EQ(session->usb_control_out(0xC1, 0x01, 0, 0, bytes(data), core::Deadline::after_ms(1000)),
            status::ERROR_INV_PARAMETER);
}

TEST_F(UsbtmcModel, UnplugGivesConnectionLost) {
  open();
  ASSERT_EQ(send("*IDN?\n"), status::SUCCESS);
  std::string got;
  ASSERT_EQ(receive(got, 10), status::SUCCESS_MAX_CNT);
  model->unplug();
  // The rest of that reply had already reached the host: it is not lost.
  EXPECT_EQ(receive(got), status::SUCCESS);
  EXPECT_EQ(got, "odel Scope,MY123,1.0\n");
  EXPECT_EQ(receive(got), status::ERROR_CONN_LOST);
  EXPECT_EQ(send("*IDN?\n"), status::ERROR_CONN_LOST);
  std::uint16_t stb = 0;
  EXPECT_EQ(session->read_stb(stb, core::Deadline::after_ms(100)), status::ERROR_CONN_LOST);
}

TEST_F(UsbtmcModel, UnplugWhileWaitingForAReply) {
  UsbtmcDeviceModel::Config c;
  c.never_answer = true;
  open(c);
  ASSERT_EQ(send("*IDN?\n"), status::SUCCESS);
  std::thread pull([m = model] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    m->unplug();
  });
  std::string got;
  auto t0 = clock_type::now();
  EXPECT_EQ(receive(got, 4096, 5000), status::ERROR_CONN_LOST);
  EXPECT_LT(clock_type::now() - t0, std::chrono::milliseconds(2000));
  pull.join();
}

// ---- SRQ through a SessionBackend: the event path the C++ and C APIs use ----

class ModelBackend : public core::SessionBackend {
 public:
  explicit ModelBackend(std::shared_ptr<UsbtmcDeviceModel> m) : model_(std::move(m)) {}
  std::vector<std::string> list_resources(session_t) override { return {kName}; }
  std::unique_ptr<core::Session> create_session(session_t, const ResourceName& name, status_t& st) override {
    st = status::SUCCESS;
    return std::make_unique<UsbtmcSession>(name, opener_for(model_));
  }
  std::string name() const override { return "usbtmc-model"; }
  std::string library_path() const override { return "test"; }

 private:
  std::shared_ptr<UsbtmcDeviceModel> model_;
};

TEST(UsbtmcModelBackend, ServiceRequestFromInterruptInIsAnEvent) {
  auto model = std::make_shared<UsbtmcDeviceModel>();
  ModelBackend backend(model);
  session_t rm = 0, s = 0;
  ASSERT_EQ(backend.open_default_rm(rm), status::SUCCESS);
  ASSERT_EQ(backend.open(rm, kName, AccessMode::no_lock, 1000, s), status::SUCCESS);
  ASSERT_EQ(backend.enable_event(s, event::service_request, static_cast<std::uint16_t>(EventMechanism::queue)),
            status::SUCCESS);
  model->request_service(0x01);
  event_type_t type = 0;
  session_t context = 0;
  ASSERT_EQ(backend.wait_on_event(s, event::service_request, 2000, type, context, false), status::SUCCESS);
  EXPECT_EQ(type, event::service_request);
  std::uint16_t stb = 0;
  ASSERT_EQ(backend.read_stb(s, stb), status::SUCCESS);
  EXPECT_EQ(stb, 0x41) << "RQS with the device's status";
  ASSERT_EQ(backend.read_stb(s, stb), status::SUCCESS);
  EXPECT_EQ(stb, 0x01) << "RQS cleared by the serial poll";
  std::size_t n = 0;
  ASSERT_EQ(backend.write(s, bytes("*IDN?\n"), n), status::SUCCESS);
  std::vector<std::byte> buf(256);
  ASSERT_EQ(backend.read(s, buf, n), status::SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), n), "Keysight,Model Scope,MY123,1.0\n");
  EXPECT_EQ(backend.close(s), status::SUCCESS);
  EXPECT_EQ(backend.close(rm), status::SUCCESS);
}

}  // namespace
}  // namespace cppvisa::usbtmc
