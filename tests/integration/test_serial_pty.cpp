// Serial sessions (ASRL INSTR) against pseudo-terminals: the session opens the slave as
// `ASRL/dev/pts/N::INSTR`, the test plays the instrument on the master side.
#include "protocols/serial/input_queue.hpp"
#include "protocols/serial/line_settings.hpp"
#include "protocols/serial/port_names.hpp"
#include "protocols/serial/serial_session.hpp"
#include "support/process_stats.hpp"
#include "support/pty.hpp"
#include "support/serial_test_backend.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace cppvisa {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr std::int64_t kEndNone = 0, kEndLastBit = 1, kEndTermchar = 2, kEndBreak = 3;

using cppvisa::testing::Pty;

class SerialPty : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pty.ok()) << "no pseudo-terminals here";
    ASSERT_EQ(backend.open_default_rm(rm), status::SUCCESS);
  }
  void TearDown() override { backend.close(rm); }

  session_t open(const Pty& p, status_t expected = status::SUCCESS) {
    session_t s = 0;
    EXPECT_EQ(backend.open(rm, p.resource(), AccessMode::no_lock, 0, s), expected);
    return s;
  }
  status_t set(session_t s, attr_id_t id, std::int64_t v) { return backend.set_attribute(s, id, AttrValue{v}); }
  std::int64_t get(session_t s, attr_id_t id) {
    AttrValue v;
    EXPECT_EQ(backend.get_attribute(s, id, v), status::SUCCESS) << "attribute " << std::hex << id;
    auto* i = std::get_if<std::int64_t>(&v);
    return i ? *i : -999;
  }
  status_t write(session_t s, std::string_view data, std::size_t* count = nullptr) {
    std::size_t n = 0;
    status_t st = backend.write(s, std::as_bytes(std::span(data.data(), data.size())), n);
    if (count) *count = n;
    return st;
  }
  status_t read(session_t s, std::size_t max, std::string& out) {
    std::string buf(max, '\0');
    std::size_t n = 0;
    status_t st = backend.read(s, std::as_writable_bytes(std::span(buf.data(), buf.size())), n);
    out = buf.substr(0, n);
    return st;
  }
  /// Waits until the session sees at least `n` received bytes (VI_ATTR_ASRL_AVAIL_NUM).
  bool await_available(session_t s, std::int64_t n) {
    auto until = clock_type::now() + 5s;
    while (clock_type::now() < until) {
      if (get(s, attr::ASRL_AVAIL_NUM) >= n) return true;
      std::this_thread::sleep_for(1ms);
    }
    return false;
  }

  Pty pty;
  testing::SerialTestBackend backend;
  session_t rm = 0;
};

double elapsed_ms(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

// ---------------------------------------------------------------------------------------------
// Names

TEST(SerialNames, DevicePaths) {
  auto path = [](const char* name) { return serial::device_path(ResourceName::parse(name)); };
  EXPECT_EQ(path("ASRL1::INSTR"), "/dev/ttyS0");
  EXPECT_EQ(path("ASRL4::INSTR"), "/dev/ttyS3");
  EXPECT_EQ(path("ASRLCOM2::INSTR"), "/dev/ttyS1");
  EXPECT_EQ(path("ASRL/dev/ttyUSB0::INSTR"), "/dev/ttyUSB0");
  EXPECT_EQ(path("ASRL/dev/serial/by-id/usb-FTDI_X-if00-port0::INSTR"), "/dev/serial/by-id/usb-FTDI_X-if00-port0");
  EXPECT_EQ(path("ASRLttyACM1::INSTR"), "/dev/ttyACM1");
  EXPECT_EQ(path("ASRL0::INSTR"), std::nullopt);
  EXPECT_EQ(path("ASRL::INSTR"), std::nullopt);
  EXPECT_EQ(serial::resource_name_for("/dev/ttyS0"), "ASRL1::INSTR");
  EXPECT_EQ(serial::resource_name_for("/dev/ttyUSB3"), "ASRL/dev/ttyUSB3::INSTR");
}

TEST(SerialNames, ListedPortsAreAsrlNamesOfExistingDevices) {
  for (const auto& name : serial::list_ports()) {
    auto parsed = ResourceName::parse(name);
    EXPECT_EQ(parsed.interface_type, InterfaceType::asrl) << name;
    EXPECT_EQ(parsed.resource_class, "INSTR") << name;
    EXPECT_EQ(parsed.canonical(), name);
    auto path = serial::device_path(parsed);
    ASSERT_TRUE(path) << name;
    EXPECT_EQ(::access(path->c_str(), F_OK), 0) << name;
  }
}

TEST(SerialNames, MakeSessionRefusesOtherResources) {
  status_t st = status::SUCCESS;
  EXPECT_EQ(serial::make_session(ResourceName::parse("GPIB0::1::INSTR"), st), nullptr);
  EXPECT_EQ(st, status::ERROR_NSUP_OPER);
  EXPECT_EQ(serial::make_session(ResourceName::parse("ASRL0::INSTR"), st), nullptr);
  EXPECT_EQ(st, status::ERROR_RSRC_NFOUND);
  EXPECT_NE(serial::make_session(ResourceName::parse("ASRL/dev/ttyUSB9::INSTR"), st), nullptr);
  EXPECT_EQ(st, status::SUCCESS);
}

TEST_F(SerialPty, MissingDeviceAndNonTerminalAreNotFound) {
  session_t s = 0;
  EXPECT_EQ(backend.open(rm, "ASRL/dev/cppvisa-no-such-port::INSTR", AccessMode::no_lock, 0, s),
            status::ERROR_RSRC_NFOUND);
  EXPECT_EQ(backend.open(rm, "ASRL/dev/null::INSTR", AccessMode::no_lock, 0, s), status::ERROR_RSRC_NFOUND);
}

// ---------------------------------------------------------------------------------------------
// The input queue (error marks cannot be produced through a pty: the terminal escapes a data 0xFF)

std::vector<std::byte> bytes(std::string_view text) {
  auto b = std::as_bytes(std::span(text.data(), text.size()));
  return {b.begin(), b.end()};
}

std::string take_all(serial::InputQueue& q, const serial::EndRule& rule, status_t& st, bool& end,
                     std::size_t room = 100) {
  std::vector<std::byte> buf(room);
  std::size_t n = 0;
  st = q.take(buf, rule, n, end);
  return std::string(reinterpret_cast<const char*>(buf.data()), n);
}

TEST(SerialInputQueue, MarkedCharactersBecomeErrorsThenTheReplacement) {
  serial::InputQueue q;
  serial::InputQueue::Options options;
  options.replace_char = std::byte{'?'};
  serial::EndRule rule;  // TERMCHAR '\n'
  q.decode(bytes(std::string("ab\xff\x00zc\xff\xff" "d\n", 10)), status::ERROR_ASRL_PARITY, options);
  status_t st = 0;
  bool end = false;
  EXPECT_EQ(take_all(q, rule, st, end), "ab");
  EXPECT_EQ(st, status::SUCCESS);
  EXPECT_FALSE(end);
  EXPECT_EQ(take_all(q, rule, st, end), "");
  EXPECT_EQ(st, status::ERROR_ASRL_PARITY);
  EXPECT_EQ(take_all(q, rule, st, end), "?c\xff" "d\n");
  EXPECT_EQ(st, status::SUCCESS);
  EXPECT_TRUE(end);
  EXPECT_TRUE(q.empty());
}

TEST(SerialInputQueue, SequencesCutBetweenReadsAreCompleted) {
  serial::InputQueue q;
  serial::InputQueue::Options options;
  serial::EndRule rule;
  rule.mode = SerialTermination::none;
  q.decode(bytes("x\xff"), status::ERROR_ASRL_FRAMING, options);
  EXPECT_EQ(q.size(), 1u);
  q.decode(bytes(std::string("\x00", 1)), status::ERROR_ASRL_FRAMING, options);
  q.decode(bytes("Qy\xff"), status::ERROR_ASRL_FRAMING, options);
  q.decode(bytes("\xff"), status::ERROR_ASRL_FRAMING, options);
  status_t st = 0;
  bool end = false;
  EXPECT_EQ(take_all(q, rule, st, end), "x");
  EXPECT_EQ(take_all(q, rule, st, end), "");
  EXPECT_EQ(st, status::ERROR_ASRL_FRAMING);
  EXPECT_EQ(take_all(q, rule, st, end), std::string("\0y\xff", 3));
  EXPECT_EQ(st, status::SUCCESS);
}

TEST(SerialInputQueue, OverrunMarksDiscardNullAndClear) {
  serial::InputQueue q;
  serial::InputQueue::Options options;
  options.discard_null = true;
  serial::EndRule rule;
  rule.mode = SerialTermination::last_bit;
  q.decode(bytes(std::string("a\0b", 3)), status::ERROR_ASRL_PARITY, options);
  q.mark_error(status::ERROR_ASRL_OVERRUN);
  q.decode(bytes("c\xE4" "e"), status::ERROR_ASRL_PARITY, options);
  status_t st = 0;
  bool end = false;
  EXPECT_EQ(take_all(q, rule, st, end, 1), "a");  // room for one byte
  EXPECT_EQ(st, status::SUCCESS);
  EXPECT_EQ(take_all(q, rule, st, end), "b");
  EXPECT_EQ(take_all(q, rule, st, end), "");
  EXPECT_EQ(st, status::ERROR_ASRL_OVERRUN);
  EXPECT_EQ(take_all(q, rule, st, end), "c\xE4");  // LAST_BIT: 0xE4 carries END
  EXPECT_TRUE(end);
  q.decode(bytes("\xff"), status::ERROR_ASRL_PARITY, options);
  q.clear();
  q.decode(bytes(std::string("\x00z", 2)), status::ERROR_ASRL_PARITY, options);  // no stale escape
  EXPECT_EQ(take_all(q, rule, st, end), "z");
  EXPECT_EQ(st, status::SUCCESS);
}

// ---------------------------------------------------------------------------------------------
// Opening and line settings

TEST_F(SerialPty, OpenPutsThePortInRawModeWithDefaultSettings) {
  session_t s = open(pty);
  termios t{};
  // Mode ioctls on a pty master act on its slave.
  ASSERT_EQ(::tcgetattr(pty.master(), &t), 0);
  EXPECT_EQ(::cfgetospeed(&t), B9600);
  EXPECT_EQ(t.c_cflag & CSIZE, static_cast<tcflag_t>(CS8));
  EXPECT_EQ(t.c_cflag & (PARENB | CSTOPB | CRTSCTS), 0u);
  EXPECT_EQ(t.c_lflag & (ICANON | ECHO | ISIG), 0u);
  EXPECT_EQ(t.c_oflag & OPOST, 0u);
  EXPECT_EQ(t.c_iflag & (IXON | ICRNL), 0u);
  EXPECT_EQ(get(s, attr::ASRL_BAUD), 9600);
  EXPECT_EQ(get(s, attr::ASRL_END_IN), kEndTermchar);
  EXPECT_EQ(get(s, attr::ASRL_END_OUT), kEndNone);
}

TEST_F(SerialPty, SettingsAreAppliedToTheTerminal) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::ASRL_BAUD, 19200), status::SUCCESS);
  ASSERT_EQ(set(s, attr::ASRL_PARITY, static_cast<std::int64_t>(Parity::even)), status::SUCCESS);
  ASSERT_EQ(set(s, attr::ASRL_DATA_BITS, 7), status::SUCCESS);
  ASSERT_EQ(set(s, attr::ASRL_STOP_BITS, static_cast<std::int64_t>(StopBits::two)), status::SUCCESS);
  ASSERT_EQ(set(s, attr::ASRL_FLOW_CNTRL, static_cast<std::int64_t>(FlowControl::xon_xoff)), status::SUCCESS);
  ASSERT_EQ(set(s, attr::ASRL_XON_CHAR, 0x05), status::SUCCESS);
  termios t{};
  ASSERT_EQ(::tcgetattr(pty.master(), &t), 0);
  EXPECT_EQ(::cfgetospeed(&t), B19200);
  EXPECT_EQ(::cfgetispeed(&t), B19200);
  // A pty forces CS8 without parity (drivers/tty/pty.c), so the character format is checked
  // through termios_flags() below; the rest is the kernel's copy.
  EXPECT_NE(t.c_cflag & CSTOPB, 0u);
  EXPECT_NE(t.c_iflag & IXON, 0u);
  EXPECT_NE(t.c_iflag & IXOFF, 0u);
  EXPECT_EQ(t.c_cc[VSTART], 0x05);
  EXPECT_EQ(t.c_cc[VSTOP], 0x13);
  EXPECT_EQ(get(s, attr::ASRL_BAUD), 19200);
  EXPECT_EQ(get(s, attr::ASRL_PARITY), 2);
  EXPECT_EQ(get(s, attr::ASRL_DATA_BITS), 7);

  ASSERT_EQ(set(s, attr::ASRL_FLOW_CNTRL, static_cast<std::int64_t>(FlowControl::rts_cts)), status::SUCCESS);
  ASSERT_EQ(::tcgetattr(pty.master(), &t), 0);
  EXPECT_NE(t.c_cflag & CRTSCTS, 0u);
  EXPECT_EQ(t.c_iflag & IXON, 0u);
  ASSERT_EQ(set(s, attr::ASRL_STOP_BITS, static_cast<std::int64_t>(StopBits::one)), status::SUCCESS);
  ASSERT_EQ(::tcgetattr(pty.master(), &t), 0);
  EXPECT_EQ(t.c_cflag & CSTOPB, 0u);
}

TEST(SerialLineSettings, CharacterFormatFlags) {
  serial::LineSettings s;
  auto parity_bits = [&](Parity p) {
    s.parity = p;
    return serial::termios_flags(s).cflag & (PARENB | PARODD | CMSPAR);
  };
  EXPECT_EQ(parity_bits(Parity::none), 0u);
  EXPECT_EQ(parity_bits(Parity::odd), static_cast<std::uint32_t>(PARENB | PARODD));
  EXPECT_EQ(parity_bits(Parity::even), static_cast<std::uint32_t>(PARENB));
  EXPECT_EQ(parity_bits(Parity::mark), static_cast<std::uint32_t>(PARENB | PARODD | CMSPAR));
  EXPECT_EQ(parity_bits(Parity::space), static_cast<std::uint32_t>(PARENB | CMSPAR));
  const std::uint32_t sizes[] = {CS5, CS6, CS7, CS8};
  for (int bits = 5; bits <= 8; ++bits) {
    s.data_bits = bits;
    EXPECT_EQ(serial::termios_flags(s).cflag & CSIZE, sizes[bits - 5]) << bits;
  }
  auto f = serial::termios_flags(s);
  EXPECT_NE(f.iflag & PARMRK, 0u);
  EXPECT_NE(f.iflag & INPCK, 0u);
  EXPECT_EQ(f.lflag, 0u);
  EXPECT_EQ(f.oflag, 0u);
  EXPECT_NE(f.cflag & CLOCAL, 0u);
  EXPECT_EQ(serial::check_line_settings(s), status::SUCCESS);
  s.baud = 0;
  EXPECT_EQ(serial::check_line_settings(s), status::ERROR_NSUP_ATTR_STATE);
}

TEST_F(SerialPty, NonStandardBaudRateUsesBother) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::ASRL_BAUD, 250000), status::SUCCESS);
  auto line = serial::read_line_settings(pty.master());
  ASSERT_TRUE(line);
  EXPECT_EQ(line->baud, 250000u);
  EXPECT_EQ(get(s, attr::ASRL_BAUD), 250000);
}

TEST_F(SerialPty, InvalidSettingsAreRefusedAndNotStored) {
  session_t s = open(pty);
  EXPECT_EQ(set(s, attr::ASRL_BAUD, 0), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(set(s, attr::ASRL_DATA_BITS, 9), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(set(s, attr::ASRL_DATA_BITS, 4), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(set(s, attr::ASRL_PARITY, 7), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(set(s, attr::ASRL_STOP_BITS, 12), status::ERROR_NSUP_ATTR_STATE);
  // 1.5 stop bits exist for 5-bit characters only (termios has one "two stop bits" flag).
  EXPECT_EQ(set(s, attr::ASRL_STOP_BITS, 15), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(set(s, attr::ASRL_FLOW_CNTRL, static_cast<std::int64_t>(FlowControl::dtr_dsr)), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(set(s, attr::ASRL_END_IN, 3), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(set(s, attr::ASRL_END_OUT, 4), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(set(s, attr::ASRL_WIRE_MODE, 0), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(set(s, attr::IO_PROT, 2), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(get(s, attr::ASRL_BAUD), 9600);
  EXPECT_EQ(get(s, attr::ASRL_DATA_BITS), 8);
  EXPECT_EQ(get(s, attr::ASRL_PARITY), 0);
  EXPECT_EQ(get(s, attr::ASRL_STOP_BITS), 10);
  EXPECT_EQ(get(s, attr::ASRL_FLOW_CNTRL), 0);
  termios t{};
  ASSERT_EQ(::tcgetattr(pty.master(), &t), 0);
  EXPECT_EQ(::cfgetospeed(&t), B9600);
  EXPECT_EQ(t.c_cflag & CSIZE, static_cast<tcflag_t>(CS8));
  // 1.5 stop bits with 5 data bits is fine, and then 8 data bits is not.
  ASSERT_EQ(set(s, attr::ASRL_DATA_BITS, 5), status::SUCCESS);
  EXPECT_EQ(set(s, attr::ASRL_STOP_BITS, 15), status::SUCCESS);
  EXPECT_EQ(set(s, attr::ASRL_DATA_BITS, 8), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(get(s, attr::ASRL_WIRE_MODE), 128);
  EXPECT_EQ(set(s, attr::ASRL_WIRE_MODE, 128), status::SUCCESS);
}

TEST_F(SerialPty, ModemLinesOfAPseudoTerminalAreUnknown) {
  session_t s = open(pty);
  // A pty has no modem lines: states are unknown and cannot be driven.
  EXPECT_EQ(get(s, attr::ASRL_CTS_STATE), -1);
  EXPECT_EQ(get(s, attr::ASRL_DSR_STATE), -1);
  EXPECT_EQ(get(s, attr::ASRL_DCD_STATE), -1);
  EXPECT_EQ(get(s, attr::ASRL_RI_STATE), -1);
  EXPECT_EQ(set(s, attr::ASRL_DTR_STATE, 1), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(set(s, attr::ASRL_RTS_STATE, -1), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(set(s, attr::ASRL_DCD_STATE, 1), status::ERROR_NSUP_ATTR_STATE);
  AttrValue v;
  EXPECT_EQ(backend.get_attribute(s, attr::ASRL_CONNECTED, v), status::ERROR_NSUP_ATTR);
}

// ---------------------------------------------------------------------------------------------
// Writing

TEST_F(SerialPty, WriteWithEndOutNoneSendsTheBytesAsGiven) {
  session_t s = open(pty);
  std::size_t n = 0;
  ASSERT_EQ(write(s, "*IDN?", &n), status::SUCCESS);
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(pty.receive(5), "*IDN?");
  std::string binary("\x00\xff\x0a\x0d", 4);
  ASSERT_EQ(write(s, binary), status::SUCCESS);
  EXPECT_EQ(pty.receive(4), binary);
  EXPECT_TRUE(pty.idle_for(50ms));
}

TEST_F(SerialPty, WriteWithEndOutTermcharAppendsItWhenSendEnd) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::ASRL_END_OUT, kEndTermchar), status::SUCCESS);
  std::size_t n = 0;
  ASSERT_EQ(write(s, "MEAS?", &n), status::SUCCESS);
  EXPECT_EQ(n, 5u);  // the appended termination character is not the caller's
  EXPECT_EQ(pty.receive(6), "MEAS?\n");
  ASSERT_EQ(set(s, attr::TERMCHAR, '\r'), status::SUCCESS);
  ASSERT_EQ(write(s, "A"), status::SUCCESS);
  EXPECT_EQ(pty.receive(2), "A\r");
  ASSERT_EQ(set(s, attr::SEND_END_EN, 0), status::SUCCESS);
  ASSERT_EQ(write(s, "B"), status::SUCCESS);
  EXPECT_EQ(pty.receive(1), "B");
  EXPECT_TRUE(pty.idle_for(50ms));
}

TEST_F(SerialPty, WriteWithEndOutLastBitMarksTheLastCharacter) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::ASRL_END_OUT, kEndLastBit), status::SUCCESS);
  ASSERT_EQ(write(s, "AB\xC3"), status::SUCCESS);
  EXPECT_EQ(pty.receive(3), "AB\xC3");  // top bit cleared on A, B (already), set on the last
  ASSERT_EQ(write(s, "\xC1" "B"), status::SUCCESS);
  EXPECT_EQ(pty.receive(2), "A\xC2");
  ASSERT_EQ(set(s, attr::SEND_END_EN, 0), status::SUCCESS);
  ASSERT_EQ(write(s, "\xC1" "B"), status::SUCCESS);
  EXPECT_EQ(pty.receive(2), "AB");  // message continues: no END anywhere
  ASSERT_EQ(set(s, attr::SEND_END_EN, 1), status::SUCCESS);
  ASSERT_EQ(set(s, attr::ASRL_DATA_BITS, 7), status::SUCCESS);
  ASSERT_EQ(write(s, "\x7F\x01"), status::SUCCESS);
  EXPECT_EQ(pty.receive(2), "\x3F\x41");  // 7 data bits: the END bit is 0x40
}

TEST_F(SerialPty, WriteWithEndOutBreakSendsABreakAfterTheData) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::ASRL_END_OUT, kEndBreak), status::SUCCESS);
  ASSERT_EQ(set(s, attr::ASRL_BREAK_LEN, 60), status::SUCCESS);
  auto start = clock_type::now();
  ASSERT_EQ(write(s, "GO"), status::SUCCESS);
  EXPECT_GE(elapsed_ms(start), 55.0);  // the break is held for BREAK_LEN
  EXPECT_EQ(pty.receive(2), "GO");
  ASSERT_EQ(set(s, attr::SEND_END_EN, 0), status::SUCCESS);
  ASSERT_EQ(write(s, "NO"), status::SUCCESS);
  EXPECT_EQ(pty.receive(2), "NO");
  EXPECT_EQ(set(s, attr::ASRL_BREAK_LEN, 501), status::ERROR_NSUP_ATTR_STATE);
}

TEST_F(SerialPty, WriteTimesOutWhenTheLineDoesNotTakeData) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::TMO_VALUE, 300), status::SUCCESS);
  std::string big(4 << 20, 'x');  // far more than a pty buffers; the instrument reads nothing
  std::size_t n = 0;
  auto start = clock_type::now();
  EXPECT_EQ(write(s, big, &n), status::ERROR_TMO);
  double ms = elapsed_ms(start);
  EXPECT_GE(ms, 290.0);
  EXPECT_LT(ms, 5000.0);
  EXPECT_LT(n, big.size());
}

TEST_F(SerialPty, AllowTransmitFalseHoldsOutput) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::TMO_VALUE, 200), status::SUCCESS);
  ASSERT_EQ(set(s, attr::ASRL_ALLOW_TRANSMIT, 0), status::SUCCESS);
  EXPECT_EQ(write(s, "held"), status::ERROR_TMO);
  EXPECT_TRUE(pty.idle_for(50ms));
  ASSERT_EQ(set(s, attr::ASRL_ALLOW_TRANSMIT, 1), status::SUCCESS);
  ASSERT_EQ(write(s, "go"), status::SUCCESS);
  std::string got = pty.receive(2);
  EXPECT_EQ(got.substr(got.size() >= 2 ? got.size() - 2 : 0), "go");
}

// ---------------------------------------------------------------------------------------------
// Reading

TEST_F(SerialPty, ReadEndsAtTheTermcharInTermcharEndModeWithoutTermcharEn) {
  session_t s = open(pty);
  EXPECT_EQ(get(s, attr::TERMCHAR_EN), 0);
  pty.send("one\ntwo\nthree");
  std::string got;
  EXPECT_EQ(read(s, 100, got), status::SUCCESS);  // END (the termchar) ends the read
  EXPECT_EQ(got, "one\n");
  EXPECT_EQ(read(s, 100, got), status::SUCCESS);
  EXPECT_EQ(got, "two\n");
  ASSERT_EQ(set(s, attr::TERMCHAR, '\r'), status::SUCCESS);
  pty.send(" and\rfour\r");
  EXPECT_EQ(read(s, 100, got), status::SUCCESS);
  EXPECT_EQ(got, "three and\r");
  EXPECT_EQ(read(s, 100, got), status::SUCCESS);
  EXPECT_EQ(got, "four\r");
}

TEST_F(SerialPty, SuppressEndReadsPastTheTermchar) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::SUPPRESS_END_EN, 1), status::SUCCESS);
  pty.send("a\nbc");
  std::string got;
  EXPECT_EQ(read(s, 4, got), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(got, "a\nbc");
}

TEST_F(SerialPty, TermcharEnWithEndInNoneKeepsTheRestForTheNextRead) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::ASRL_END_IN, kEndNone), status::SUCCESS);
  ASSERT_EQ(set(s, attr::TERMCHAR_EN, 1), status::SUCCESS);
  ASSERT_EQ(set(s, attr::TMO_VALUE, 300), status::SUCCESS);
  pty.send("abc\ndef\nghi");
  ASSERT_TRUE(await_available(s, 11));
  std::string got;
  EXPECT_EQ(read(s, 100, got), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(got, "abc\n");
  EXPECT_EQ(read(s, 100, got), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(got, "def\n");
  EXPECT_EQ(read(s, 100, got), status::ERROR_TMO);  // no END, no termchar: the rest at the timeout
  EXPECT_EQ(got, "ghi");
}

TEST_F(SerialPty, EndInNoneWithoutTermcharEndsOnCountOnly) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::ASRL_END_IN, kEndNone), status::SUCCESS);
  ASSERT_EQ(set(s, attr::TMO_VALUE, 200), status::SUCCESS);
  pty.send("12\n45\n");
  std::string got;
  EXPECT_EQ(read(s, 4, got), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(got, "12\n4");
  EXPECT_EQ(read(s, 10, got), status::ERROR_TMO);
  EXPECT_EQ(got, "5\n");
}

TEST_F(SerialPty, LastBitEndModeEndsOnTheTopDataBit) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::ASRL_END_IN, kEndLastBit), status::SUCCESS);
  pty.send("ab\xE3zz\n\xB0");
  std::string got;
  EXPECT_EQ(read(s, 100, got), status::SUCCESS);
  EXPECT_EQ(got, "ab\xE3");
  EXPECT_EQ(read(s, 100, got), status::SUCCESS);  // '\n' is no END in LAST_BIT mode
  EXPECT_EQ(got, "zz\n\xB0");
  // 7 data bits: 0x40 is the top data bit.
  ASSERT_EQ(set(s, attr::ASRL_DATA_BITS, 7), status::SUCCESS);
  pty.send("\x21\x41\x22");
  EXPECT_EQ(read(s, 100, got), status::SUCCESS);
  EXPECT_EQ(got, "\x21\x41");
}

TEST_F(SerialPty, CountWalksThroughAMessageAndEndWinsOnTheLastByte) {
  session_t s = open(pty);
  pty.send("hey\n");
  std::string got, all;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(read(s, 1, got), status::SUCCESS_MAX_CNT);
    all += got;
  }
  EXPECT_EQ(read(s, 1, got), status::SUCCESS);  // END on the last byte wins over MAX_CNT
  all += got;
  EXPECT_EQ(all, "hey\n");
  pty.send("ok\n");
  EXPECT_EQ(read(s, 3, got), status::SUCCESS);
  EXPECT_EQ(got, "ok\n");
}

TEST_F(SerialPty, ReadTimesOutNearTheTimeoutWithThePartialData) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::TMO_VALUE, 300), status::SUCCESS);
  std::string got = "x";
  auto start = clock_type::now();
  EXPECT_EQ(read(s, 100, got), status::ERROR_TMO);
  double ms = elapsed_ms(start);
  EXPECT_GE(ms, 295.0);
  EXPECT_LT(ms, 5000.0);
  EXPECT_EQ(got, "");
  pty.send("part");
  start = clock_type::now();
  EXPECT_EQ(read(s, 100, got), status::ERROR_TMO);
  EXPECT_GE(elapsed_ms(start), 295.0);
  EXPECT_EQ(got, "part");
}

// Issue #12 point 2: the timeout is the call's, exact to 10%, while the instrument trickles bytes
// without ever ending the message, and for a write the line does not take; usable afterwards.
TEST_F(SerialPty, TimeoutIsExactForATrickleAndAWriteTheLineDoesNotTake) {
  session_t s = open(pty);
  for (std::int64_t timeout_ms : {1000, 2000}) {
    SCOPED_TRACE("timeout " + std::to_string(timeout_ms) + " ms");
    ASSERT_EQ(set(s, attr::TMO_VALUE, timeout_ms), status::SUCCESS);
    std::atomic<bool> stop{false};
    std::thread trickle([&] {
      while (!stop) {
        pty.send("x");
        std::this_thread::sleep_for(20ms);
      }
    });
    std::string got;
    auto start = clock_type::now();
    EXPECT_EQ(read(s, 1 << 20, got), status::ERROR_TMO);
    double ms = elapsed_ms(start);
    stop = true;
    trickle.join();
    EXPECT_GE(ms, timeout_ms - 1.0);
    EXPECT_LE(ms, timeout_ms * 1.1);
    EXPECT_GE(got.size(), 10u);  // ~50 bytes came; they are the read's
    EXPECT_EQ(got, std::string(got.size(), 'x'));

    std::string big(4 << 20, 'w');  // the instrument reads nothing
    std::size_t n = 0;
    start = clock_type::now();
    EXPECT_EQ(write(s, big, &n), status::ERROR_TMO);
    ms = elapsed_ms(start);
    EXPECT_GE(ms, timeout_ms - 1.0);
    EXPECT_LE(ms, timeout_ms * 1.1);
    EXPECT_LT(n, big.size());

    ASSERT_EQ(backend.clear(s), status::SUCCESS);  // discards the trickled bytes left
    pty.receive(big.size(), 300ms);                 // the instrument drains what reached it
    pty.send("ok\n");
    EXPECT_EQ(read(s, 100, got), status::SUCCESS);
    EXPECT_EQ(got, "ok\n");
  }
}

// Issue #12 point 5: 10 000 open/close cycles (every 100th with a query) leave no descriptor,
// thread or heap byte behind (/proc/self, mallinfo2; as test_open_close_cycles.cpp for LAN).
TEST_F(SerialPty, OpenCloseCyclesLeaveNothingBehind) {
  auto cycle = [&](bool query) {
    session_t s = open(pty);
    ASSERT_NE(s, 0u);
    if (query) {
      pty.send("pong\n");
      std::string got;
      ASSERT_EQ(read(s, 100, got), status::SUCCESS);
      ASSERT_EQ(got, "pong\n");
    }
    ASSERT_EQ(backend.close(s), status::SUCCESS);
  };
  for (int i = 0; i < 200; ++i) ASSERT_NO_FATAL_FAILURE(cycle(i % 10 == 0));
  auto before = testing::process_stats();
  constexpr std::size_t n = 10000;
  for (std::size_t i = 0; i < n; ++i) ASSERT_NO_FATAL_FAILURE(cycle(i % 100 == 0));
  auto after = testing::process_stats();
  EXPECT_EQ(after.fds, before.fds);
  EXPECT_EQ(after.threads, before.threads);
  EXPECT_LT(after.heap_bytes, before.heap_bytes + n * 16) << before.heap_bytes << " -> " << after.heap_bytes;
  std::printf("[ cycles   ] %zu serial open/close: fds %zu -> %zu, threads %zu -> %zu, heap %zu -> %zu B\n", n,
              before.fds, after.fds, before.threads, after.threads, before.heap_bytes, after.heap_bytes);
}

TEST_F(SerialPty, ImmediateTimeoutReadsWhatIsAlreadyThere) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::TMO_VALUE, 0), status::SUCCESS);
  std::string got;
  EXPECT_EQ(read(s, 10, got), status::ERROR_TMO);
  pty.send("now\n");
  ASSERT_TRUE(await_available(s, 4));
  EXPECT_EQ(read(s, 10, got), status::SUCCESS);
  EXPECT_EQ(got, "now\n");
}

TEST_F(SerialPty, DataBytes0xFFAndNulPassThroughUnlessNulIsDiscarded) {
  session_t s = open(pty);
  std::string data("\xff\x00\xff\xff\x01\n", 6);
  pty.send(data);
  std::string got;
  EXPECT_EQ(read(s, 100, got), status::SUCCESS);
  EXPECT_EQ(got, data);  // the terminal's PARMRK escaping of 0xFF is undone
  ASSERT_EQ(set(s, attr::ASRL_DISCARD_NULL, 1), status::SUCCESS);
  pty.send(std::string("a\0b\0\n", 5));
  EXPECT_EQ(read(s, 100, got), status::SUCCESS);
  EXPECT_EQ(got, "ab\n");
}

TEST_F(SerialPty, AvailNumCountsReceivedBytes) {
  session_t s = open(pty);
  EXPECT_EQ(get(s, attr::ASRL_AVAIL_NUM), 0);
  pty.send("12345\n");
  ASSERT_TRUE(await_available(s, 6));
  EXPECT_EQ(get(s, attr::ASRL_AVAIL_NUM), 6);
  std::string got;
  ASSERT_EQ(read(s, 2, got), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(get(s, attr::ASRL_AVAIL_NUM), 4);
}

// ---------------------------------------------------------------------------------------------
// Clear and flush

TEST_F(SerialPty, ClearDiscardsInput) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::TMO_VALUE, 100), status::SUCCESS);
  pty.send("stale\nreply\n");
  ASSERT_TRUE(await_available(s, 12));
  std::string got;
  ASSERT_EQ(read(s, 3, got), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(backend.clear(s), status::SUCCESS);
  EXPECT_EQ(get(s, attr::ASRL_AVAIL_NUM), 0);
  EXPECT_EQ(read(s, 100, got), status::ERROR_TMO);
  EXPECT_EQ(got, "");
  pty.send("fresh\n");
  EXPECT_EQ(read(s, 100, got), status::SUCCESS);
  EXPECT_EQ(got, "fresh\n");
  EXPECT_TRUE(pty.idle_for(50ms));  // nothing sent to the instrument (IO_PROT normal)
}

TEST_F(SerialPty, FlushDiscardsLeftoversAndReceivedInput) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::TMO_VALUE, 100), status::SUCCESS);
  ASSERT_EQ(set(s, attr::ASRL_END_IN, kEndNone), status::SUCCESS);
  ASSERT_EQ(set(s, attr::TERMCHAR_EN, 1), status::SUCCESS);
  pty.send("a\nb\n");
  ASSERT_TRUE(await_available(s, 4));
  std::string got;
  ASSERT_EQ(read(s, 100, got), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(got, "a\n");
  EXPECT_EQ(backend.flush(s, buffer::read_buf_discard), status::SUCCESS);
  EXPECT_EQ(read(s, 100, got), status::ERROR_TMO);
  EXPECT_EQ(got, "");

  pty.send("old\n");
  ASSERT_TRUE(await_available(s, 4));
  EXPECT_EQ(backend.flush(s, buffer::io_in_buf_discard), status::SUCCESS);
  EXPECT_EQ(read(s, 100, got), status::ERROR_TMO);
  EXPECT_EQ(backend.flush(s, buffer::write_buf | buffer::io_out_buf_discard), status::SUCCESS);
  EXPECT_EQ(backend.flush(s, 0), status::ERROR_INV_MASK);
  EXPECT_EQ(backend.flush(s, 0x100), status::ERROR_INV_MASK);
}

// ---------------------------------------------------------------------------------------------
// 488.2 strings: trigger, status byte, clear

TEST_F(SerialPty, TriggerAndStatusByteNeed4882Strings) {
  session_t s = open(pty);
  std::uint16_t stb = 0;
  EXPECT_EQ(backend.assert_trigger(s, TriggerProtocol::default_), status::ERROR_NSUP_OPER);
  EXPECT_EQ(backend.read_stb(s, stb), status::ERROR_NSUP_OPER);
  ASSERT_EQ(set(s, attr::IO_PROT, 4), status::SUCCESS);
  EXPECT_EQ(backend.assert_trigger(s, TriggerProtocol::default_), status::SUCCESS);
  EXPECT_EQ(pty.receive(5), "*TRG\n");
  EXPECT_EQ(backend.assert_trigger(s, TriggerProtocol::on), status::ERROR_INV_PROT);

  auto instrument = std::async(std::launch::async, [&] {
    std::string q = pty.receive(6);
    if (q == "*STB?\n") pty.send("+66\r\n");
    return q;
  });
  EXPECT_EQ(backend.read_stb(s, stb), status::SUCCESS);
  EXPECT_EQ(stb, 66);
  EXPECT_EQ(instrument.get(), "*STB?\n");

  EXPECT_EQ(backend.clear(s), status::SUCCESS);
  EXPECT_EQ(pty.receive(5), "*CLS\n");
}

TEST_F(SerialPty, StatusByteReplyThatIsNotANumberIsAnError) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::IO_PROT, 4), status::SUCCESS);
  pty.send("what?\n");
  std::uint16_t stb = 0;
  EXPECT_EQ(backend.read_stb(s, stb), status::ERROR_IO);
}

// ---------------------------------------------------------------------------------------------
// Hang-up, exclusivity, several sessions

TEST_F(SerialPty, HangUpDuringAReadIsAnErrorNotAHang) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::TMO_VALUE, 20000), status::SUCCESS);
  auto start = clock_type::now();
  auto reader = std::async(std::launch::async, [&] {
    std::string got;
    return read(s, 100, got);
  });
  pty.close_master();
  EXPECT_EQ(reader.get(), status::ERROR_CONN_LOST);
  EXPECT_LT(elapsed_ms(start), 10000.0);
  EXPECT_EQ(write(s, "x"), status::ERROR_CONN_LOST);
  std::string got;
  EXPECT_EQ(read(s, 10, got), status::ERROR_CONN_LOST);
  EXPECT_EQ(backend.close(s), status::SUCCESS);
}

TEST_F(SerialPty, HangUpBeforeAWriteIsAnError) {
  session_t s = open(pty);
  ASSERT_EQ(set(s, attr::TMO_VALUE, 20000), status::SUCCESS);
  pty.close_master();
  auto start = clock_type::now();
  EXPECT_EQ(write(s, "hello\n"), status::ERROR_CONN_LOST);
  EXPECT_LT(elapsed_ms(start), 10000.0);
}

TEST_F(SerialPty, AnotherOpenerHoldingTheLockMakesTheResourceBusy) {
  int other = ::open(pty.slave().c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(other, 0);
  ASSERT_EQ(::flock(other, LOCK_EX | LOCK_NB), 0);  // as another process (or pyserial) would
  open(pty, status::ERROR_RSRC_BUSY);
  ::close(other);
  session_t s = open(pty);
  EXPECT_NE(s, 0u);
}

TEST_F(SerialPty, SessionsOfOneProcessShareThePort) {
  session_t a = open(pty);
  session_t b = open(pty);
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);
  ASSERT_EQ(set(a, attr::ASRL_BAUD, 38400), status::SUCCESS);
  EXPECT_EQ(get(b, attr::ASRL_BAUD), 38400);  // a global attribute
  termios t{};
  ASSERT_EQ(::tcgetattr(pty.master(), &t), 0);
  EXPECT_EQ(::cfgetospeed(&t), B38400);
  ASSERT_EQ(set(b, attr::ASRL_END_OUT, kEndTermchar), status::SUCCESS);
  EXPECT_EQ(get(a, attr::ASRL_END_OUT), kEndNone);  // a local one
  ASSERT_EQ(write(a, "A"), status::SUCCESS);
  ASSERT_EQ(write(b, "B"), status::SUCCESS);
  EXPECT_EQ(pty.receive(3), "AB\n");
  pty.send("for a\nfor b\n");
  std::string got;
  EXPECT_EQ(read(a, 100, got), status::SUCCESS);
  EXPECT_EQ(got, "for a\n");
  EXPECT_EQ(read(b, 100, got), status::SUCCESS);
  EXPECT_EQ(got, "for b\n");
  // Closing one keeps the port open for the other.
  EXPECT_EQ(backend.close(a), status::SUCCESS);
  ASSERT_EQ(write(b, "C"), status::SUCCESS);
  EXPECT_EQ(pty.receive(2), "C\n");
}

TEST_F(SerialPty, SessionsOnSeveralPortsWorkConcurrently) {
  constexpr int kPorts = 3, kRounds = 50;
  std::vector<std::unique_ptr<Pty>> ptys;
  std::vector<session_t> sessions;
  for (int i = 0; i < kPorts; ++i) {
    ptys.push_back(std::make_unique<Pty>());
    ASSERT_TRUE(ptys.back()->ok());
    sessions.push_back(open(*ptys.back()));
    ASSERT_EQ(set(sessions.back(), attr::ASRL_END_OUT, kEndTermchar), status::SUCCESS);
  }
  std::vector<std::future<int>> instruments, clients;
  for (int i = 0; i < kPorts; ++i) {
    instruments.push_back(std::async(std::launch::async, [&, i] {
      int answered = 0;
      for (int r = 0; r < kRounds; ++r) {
        std::string q = ptys[i]->receive(std::to_string(r).size() + 2);
        if (q.empty()) break;
        ptys[i]->send("port" + std::to_string(i) + ":" + q);
        ++answered;
      }
      return answered;
    }));
    clients.push_back(std::async(std::launch::async, [&, i] {
      int ok = 0;
      for (int r = 0; r < kRounds; ++r) {
        std::string q = std::to_string(r) + "?";
        if (write(sessions[i], q) != status::SUCCESS) break;
        std::string got;
        if (read(sessions[i], 100, got) == status::SUCCESS && got == "port" + std::to_string(i) + ":" + q + "\n") ++ok;
      }
      return ok;
    }));
  }
  for (int i = 0; i < kPorts; ++i) {
    EXPECT_EQ(clients[i].get(), kRounds);
    EXPECT_EQ(instruments[i].get(), kRounds);
  }
}

TEST_F(SerialPty, TerminateAbortsABlockedReadAndOnlyThatRead) {
  session_t s = open(pty);
  ASSERT_NE(s, 0u);
  // Nothing in progress: no effect on the next read.
  EXPECT_EQ(backend.terminate(s, 0, 0), status::SUCCESS);
  ASSERT_EQ(set(s, attr::TMO_VALUE, 20000), status::SUCCESS);
  clock_type::time_point asked;
  std::thread aborter([&] {
    std::this_thread::sleep_for(100ms);
    asked = clock_type::now();
    EXPECT_EQ(backend.terminate(s, 0, 0), status::SUCCESS);
  });
  std::string got;
  status_t st = read(s, 64, got);
  auto returned = clock_type::now();
  aborter.join();
  EXPECT_EQ(st, status::ERROR_ABORT);
  EXPECT_TRUE(got.empty());
  EXPECT_LT(returned - asked, 2000ms);  // far from the 20 s timeout
  // The next read is not aborted.
  ASSERT_EQ(set(s, attr::TMO_VALUE, 5000), status::SUCCESS);
  pty.send("1.25\n");
  EXPECT_EQ(read(s, 64, got), status::SUCCESS);
  EXPECT_EQ(got, "1.25\n");
}

TEST_F(SerialPty, OutputStateIsReadyWhenInputWaits) {
  session_t s = open(pty);
  ASSERT_NE(s, 0u);
  core::OutputState state = core::OutputState::none;
  ASSERT_EQ(backend.output_state(s, state), status::SUCCESS);
  EXPECT_EQ(state, core::OutputState::unknown);
  pty.send("12");
  ASSERT_TRUE(await_available(s, 2));
  ASSERT_EQ(backend.output_state(s, state), status::SUCCESS);
  EXPECT_EQ(state, core::OutputState::ready);
  ASSERT_EQ(set(s, attr::ASRL_END_IN, kEndNone), status::SUCCESS);
  std::string got;
  EXPECT_EQ(read(s, 2, got), status::SUCCESS_MAX_CNT);
  ASSERT_EQ(backend.output_state(s, state), status::SUCCESS);
  EXPECT_EQ(state, core::OutputState::unknown);
}

TEST_F(SerialPty, ListResourcesThroughTheBackend) {
  std::vector<std::string> names;
  status_t st = backend.find_resources(rm, "?*", names);
  EXPECT_TRUE(st == status::SUCCESS || st == status::ERROR_RSRC_NFOUND);
  EXPECT_EQ(names, serial::list_ports());
}

}  // namespace
}  // namespace cppvisa
