// GPIB over linux-gpib against the fake libgpib (tests/support/fake_libgpib): the native backend
// loads it through CPPVISA_LIBGPIB, the same dlopen path as the real library. Every call the
// transport makes (ibdev/ibwrt/ibrd, EOI and EOS, ibclr, ibtrg, ibrsp, ibloc, REN, ibtmo, ibwait
// for SRQ, ibcmd, ibsic, ibcac/ibgts, ibpct, iblines, ibask/ibconfig, FindLstn), timeouts,
// errors (ENOL, ECIC, ESAC, ENEB, EABO), secondary addresses and PyVISA's "::0" spelling.
#include "backends/native/native_backend.hpp"
#include "protocols/gpib/libgpib.hpp"

#include <cppvisa/cppvisa.hpp>

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace cppvisa;
using namespace std::chrono_literals;

namespace {

/// The fake's control functions (resolved in the library the transport loaded).
struct Fake {
  void (*reset)() = nullptr;
  void (*set_board)(int, int, int, int) = nullptr;
  void (*set_stalled)(int, int, int, int) = nullptr;
  int (*instrument)(int, int, int, const char*) = nullptr;
  int (*board)(int, const char*) = nullptr;
  long (*commands)(int, unsigned char*, long) = nullptr;
  int (*last_descriptor)(const char*) = nullptr;
  int (*open_descriptors)() = nullptr;
  void (*bus_commands)(int, const unsigned char*, long) = nullptr;
};

class Gpib : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { setenv("CPPVISA_LIBGPIB", CPPVISA_FAKE_LIBGPIB, 1); }

  void SetUp() override {
    ASSERT_NE(gpib::Libgpib::get(), nullptr) << gpib::Libgpib::unavailable_reason();
    void* h = dlopen(CPPVISA_FAKE_LIBGPIB, RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(h, nullptr) << "the transport did not load the fake";
    bind(h, "fake_gpib_reset", fake.reset);
    bind(h, "fake_gpib_set_board", fake.set_board);
    bind(h, "fake_gpib_set_stalled", fake.set_stalled);
    bind(h, "fake_gpib_instrument", fake.instrument);
    bind(h, "fake_gpib_board", fake.board);
    bind(h, "fake_gpib_commands", fake.commands);
    bind(h, "fake_gpib_last_descriptor", fake.last_descriptor);
    bind(h, "fake_gpib_open_descriptors", fake.open_descriptors);
    bind(h, "fake_gpib_bus_commands", fake.bus_commands);
    dlclose(h);
    fake.reset();
    ASSERT_GE(backend.open_default_rm(rm), 0);
  }
  void TearDown() override {
    if (rm) backend.close(rm);
  }
  template <class Fn>
  static void bind(void* h, const char* name, Fn& fn) {
    fn = reinterpret_cast<Fn>(dlsym(h, name));
    ASSERT_NE(fn, nullptr) << name;
  }

  session_t open(const std::string& name, status_t expect = status::SUCCESS) {
    session_t s = 0;
    EXPECT_EQ(backend.open(rm, name, AccessMode::no_lock, 0, s), expect) << name;
    return s;
  }
  status_t write(session_t s, std::string_view text) {
    std::size_t n = 0;
    status_t st = backend.write(s, std::as_bytes(std::span(text.data(), text.size())), n);
    if (st >= 0) {
      EXPECT_EQ(n, text.size());
    }
    return st;
  }
  /// viRead of up to `size` bytes; the status in `st`.
  std::string read(session_t s, status_t& st, std::size_t size = 4096) {
    std::vector<std::byte> buf(size);
    std::size_t n = 0;
    st = backend.read(s, buf, n);
    return std::string(reinterpret_cast<const char*>(buf.data()), n);
  }
  std::string query(session_t s, std::string_view text) {
    EXPECT_EQ(write(s, text), status::SUCCESS);
    status_t st = 0;
    std::string r = read(s, st);
    EXPECT_GE(st, 0) << text;
    return r;
  }
  void set(session_t s, attr_id_t id, std::int64_t v, status_t expect = status::SUCCESS) {
    EXPECT_EQ(backend.set_attribute(s, id, AttrValue{v}), expect) << id;
  }
  std::int64_t get(session_t s, attr_id_t id) {
    AttrValue v;
    EXPECT_EQ(backend.get_attribute(s, id, v), status::SUCCESS) << id;
    auto* i = std::get_if<std::int64_t>(&v);
    return i ? *i : -999;
  }
  std::vector<std::uint8_t> commands(int board) {
    std::vector<std::uint8_t> out(256);
    long n = fake.commands(board, out.data(), static_cast<long>(out.size()));
    out.resize(static_cast<std::size_t>(std::min<long>(n, 256)));
    return out;
  }

  Fake fake;
  native::NativeBackend backend;
  session_t rm = 0;
};

TEST_F(Gpib, QueryEndsOnEoi) {
  session_t s = open("GPIB0::5::INSTR");
  EXPECT_EQ(write(s, "*IDN?\n"), status::SUCCESS);
  status_t st = 0;
  EXPECT_EQ(read(s, st), "FAKE,GPIB0::5,0,1.0\n");
  EXPECT_EQ(st, status::SUCCESS);  // END (EOI) with the last byte
  EXPECT_EQ(fake.last_descriptor("end_normal"), 0) << "END must mean EOI only";
  EXPECT_EQ(get(s, attr::GPIB_PRIMARY_ADDR), 5);
  EXPECT_EQ(get(s, attr::GPIB_SECONDARY_ADDR), 0xFFFF);
  EXPECT_EQ(backend.close(s), status::SUCCESS);
  EXPECT_EQ(fake.open_descriptors(), 0) << "close must ibonl the descriptor";
}

TEST_F(Gpib, TermcharMapsToEosAndIsToldFromEoi) {
  session_t s = open("GPIB0::5::INSTR");
  set(s, attr::TERMCHAR, '\n');
  set(s, attr::TERMCHAR_EN, 1);
  set(s, attr::TMO_VALUE, 200);
  EXPECT_EQ(write(s, "NOEOI abc\nxyz"), status::SUCCESS);
  status_t st = 0;
  EXPECT_EQ(read(s, st), "abc\n");
  EXPECT_EQ(st, status::SUCCESS_TERM_CHAR);  // stopped by EOS, not by the talker's EOI
  EXPECT_EQ(fake.last_descriptor("eos_rd"), 1);
  EXPECT_EQ(fake.last_descriptor("eos_char"), '\n');
  EXPECT_EQ(fake.last_descriptor("eos_cmp"), 1);
  // "xyz" never gets END: the read times out with the bytes it has.
  EXPECT_EQ(read(s, st), "xyz");
  EXPECT_EQ(st, status::ERROR_TMO);
  // Termchar off: the EOS mode is dropped, a read goes to EOI.
  set(s, attr::TERMCHAR_EN, 0);
  EXPECT_EQ(write(s, "ECHO a\nb\nc"), status::SUCCESS);
  EXPECT_EQ(read(s, st), "a\nb\nc");
  EXPECT_EQ(st, status::SUCCESS);
  EXPECT_EQ(fake.last_descriptor("eos_rd"), 0);
}

TEST_F(Gpib, BinaryDataAndCountLimitedReads) {
  session_t s = open("GPIB0::5::INSTR");
  std::string payload;
  for (int i = 0; i < 256; ++i) payload.push_back(static_cast<char>(i));
  EXPECT_EQ(write(s, "ECHO " + payload), status::SUCCESS);
  status_t st = 0;
  EXPECT_EQ(read(s, st), payload);
  EXPECT_EQ(st, status::SUCCESS);
  // 100000 bytes read 4096 at a time: MAX_CNT until the last piece, which carries END.
  EXPECT_EQ(write(s, "BIG 100000"), status::SUCCESS);
  std::string all;
  for (int guard = 0; guard < 100; ++guard) {
    all += read(s, st, 4096);
    if (st != status::SUCCESS_MAX_CNT) break;
  }
  EXPECT_EQ(st, status::SUCCESS);
  ASSERT_EQ(all.size(), 100000u);
  for (std::size_t i = 0; i < all.size(); ++i)
    if (static_cast<unsigned char>(all[i]) != i % 251) FAIL() << "byte " << i;
}

TEST_F(Gpib, SendEndMapsToEoi) {
  session_t s = open("GPIB0::5::INSTR");
  set(s, attr::SEND_END_EN, 0);
  EXPECT_EQ(write(s, "*IDN?\n"), status::SUCCESS);  // the instrument takes the LF as the end
  EXPECT_EQ(fake.last_descriptor("eot"), 0);
  status_t st = 0;
  EXPECT_EQ(read(s, st), "FAKE,GPIB0::5,0,1.0\n");
  set(s, attr::SEND_END_EN, 1);
  EXPECT_EQ(query(s, "EOI?"), "0\n");  // the previous message came without EOI
  EXPECT_EQ(query(s, "EOI?"), "1\n");
  EXPECT_EQ(fake.last_descriptor("eot"), 1);
}

TEST_F(Gpib, TimeoutIsTheNearestLongerTValueAndReturnsInTime) {
  session_t s = open("GPIB0::9::INSTR");  // the silent one
  set(s, attr::TMO_VALUE, 150);
  EXPECT_EQ(write(s, "*IDN?\n"), status::SUCCESS);
  const auto start = std::chrono::steady_clock::now();
  status_t st = 0;
  EXPECT_EQ(read(s, st), "");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(st, status::ERROR_TMO);
  EXPECT_EQ(fake.last_descriptor("tmo"), 10);  // T300ms: the shortest T-value >= 150 ms
  EXPECT_GE(took, 140ms);
  EXPECT_LT(took, 3s);
  set(s, attr::TMO_VALUE, 1000);
  EXPECT_EQ(write(s, "x"), status::SUCCESS);
  EXPECT_EQ(fake.last_descriptor("tmo"), 11);  // T1s exactly
}

TEST_F(Gpib, ErrorsMapToVisaStatuses) {
  // ENOL: nobody listens at address 20.
  session_t absent = open("GPIB0::20::INSTR");
  EXPECT_EQ(write(absent, "*IDN?\n"), status::ERROR_NLISTENERS);
  // EABO with TIMO: a device that never accepts the bytes.
  session_t s = open("GPIB0::5::INSTR");
  set(s, attr::TMO_VALUE, 100);
  fake.set_stalled(0, 5, 0, 1);
  EXPECT_EQ(write(s, "*IDN?\n"), status::ERROR_TMO);
  fake.set_stalled(0, 5, 0, 0);
  // ECIC: the board gave control away.
  fake.set_board(0, 1, 0, 1);
  EXPECT_EQ(write(s, "*IDN?\n"), status::ERROR_NCIC);
  std::uint16_t stb = 0;
  EXPECT_EQ(backend.read_stb(s, stb), status::ERROR_NCIC);
  // ESAC: REN belongs to the system controller.
  fake.set_board(0, 1, 1, 0);
  EXPECT_EQ(backend.gpib_control_ren(s, RenMode::assert_), status::ERROR_NSYS_CNTLR);
  // ENEB: no board 3.
  open("GPIB3::5::INSTR", status::ERROR_INTF_NUM_NCONFIG);
  open("GPIB3::INTFC", status::ERROR_INTF_NUM_NCONFIG);
  // A board number linux-gpib cannot have.
  open("GPIB16::5::INSTR", status::ERROR_INTF_NUM_NCONFIG);
  // The fake cannot abort a synchronous call: viTerminate says so.
  EXPECT_EQ(backend.terminate(s, 0, 0), status::ERROR_NSUP_OPER);
}

TEST_F(Gpib, ClearTriggerAndStatusByte) {
  session_t s = open("GPIB0::5::INSTR");
  EXPECT_EQ(write(s, "*IDN?\n"), status::SUCCESS);
  EXPECT_EQ(backend.clear(s), status::SUCCESS);  // SDC: the pending answer is gone
  EXPECT_EQ(fake.instrument(0, 5, 0, "clears"), 1);
  EXPECT_EQ(backend.assert_trigger(s, TriggerProtocol::default_), status::SUCCESS);
  EXPECT_EQ(fake.instrument(0, 5, 0, "triggers"), 1);
  EXPECT_EQ(query(s, "TRG?"), "1\n");
  EXPECT_EQ(backend.assert_trigger(s, static_cast<TriggerProtocol>(1)), status::ERROR_INV_PROT);
  std::uint16_t stb = 0xFFFF;
  EXPECT_EQ(backend.read_stb(s, stb), status::SUCCESS);
  EXPECT_EQ(stb, 0);
}

TEST_F(Gpib, ServiceRequestIsTheVisaEvent) {
  session_t s = open("GPIB0::11::INSTR");
  ASSERT_EQ(backend.enable_event(s, event::service_request, static_cast<std::uint16_t>(EventMechanism::queue)),
            status::SUCCESS);
  EXPECT_EQ(write(s, "SRQ 50"), status::SUCCESS);
  event_type_t type = 0;
  session_t ctx = 0;
  EXPECT_EQ(backend.wait_on_event(s, event::service_request, 5000, type, ctx, false), status::SUCCESS);
  EXPECT_EQ(type, event::service_request);
  std::uint16_t stb = 0;
  EXPECT_EQ(backend.read_stb(s, stb), status::SUCCESS);  // the automatic poll's byte, kept
  EXPECT_EQ(stb, 0x41);
  EXPECT_EQ(fake.instrument(0, 11, 0, "srq_pending"), 0);
  // One request, one event.
  EXPECT_EQ(backend.wait_on_event(s, event::service_request, 300, type, ctx, false), status::ERROR_TMO);
  // A second request after the poll: a second event.
  EXPECT_EQ(write(s, "SRQ 10"), status::SUCCESS);
  EXPECT_EQ(backend.wait_on_event(s, event::service_request, 5000, type, ctx, false), status::SUCCESS);
  EXPECT_EQ(backend.close(s), status::SUCCESS);
  EXPECT_EQ(fake.open_descriptors(), 0) << "the monitor's descriptor must be closed too";
}

TEST_F(Gpib, ServiceRequestMonitorOutlivesLostControl) {
  session_t s = open("GPIB0::11::INSTR");
  ASSERT_EQ(backend.enable_event(s, event::service_request, static_cast<std::uint16_t>(EventMechanism::queue)),
            status::SUCCESS);
  fake.set_board(0, 1, 0, 1);  // not controller-in-charge: the monitor's ibwait fails (ECIC)
  std::this_thread::sleep_for(300ms);
  fake.set_board(0, 1, 1, 1);
  EXPECT_EQ(write(s, "SRQ 10"), status::SUCCESS);
  event_type_t type = 0;
  session_t ctx = 0;
  EXPECT_EQ(backend.wait_on_event(s, event::service_request, 5000, type, ctx, false), status::SUCCESS);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(backend.close(s), status::SUCCESS);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);  // the monitor stops within its period
}

TEST_F(Gpib, SecondaryAddresses) {
  session_t three = open("GPIB0::7::3::INSTR");
  EXPECT_EQ(query(three, "*IDN?"), "FAKE,GPIB0::7::3,0,1.0\n");
  EXPECT_EQ(get(three, attr::GPIB_SECONDARY_ADDR), 3);
  session_t zero = open("GPIB0::7::0::INSTR");
  EXPECT_EQ(query(zero, "*IDN?"), "FAKE,GPIB0::7::0,0,1.0\n");
  EXPECT_EQ(get(zero, attr::GPIB_SECONDARY_ADDR), 0);
  // The extended-address device does not listen to its primary address alone.
  session_t primary = open("GPIB0::7::INSTR");
  EXPECT_EQ(write(primary, "*IDN?"), status::ERROR_NLISTENERS);
  // PyVISA 1.11 spells GPIB0::5::INSTR "GPIB0::5::0::INSTR": nobody at secondary 0 -> none.
  session_t pyvisa = open("GPIB0::5::0::INSTR");
  EXPECT_EQ(query(pyvisa, "*IDN?"), "FAKE,GPIB0::5,0,1.0\n");
  EXPECT_EQ(get(pyvisa, attr::GPIB_SECONDARY_ADDR), 0xFFFF);
  // Changing the address applies it to the descriptor (ibconfig PAD/SAD).
  set(three, attr::GPIB_SECONDARY_ADDR, 0);
  EXPECT_EQ(get(three, attr::GPIB_SECONDARY_ADDR), 0);
  EXPECT_EQ(query(three, "*IDN?"), "FAKE,GPIB0::7::0,0,1.0\n");
  set(three, attr::GPIB_PRIMARY_ADDR, 5);
  set(three, attr::GPIB_SECONDARY_ADDR, 0xFFFF);
  EXPECT_EQ(get(three, attr::GPIB_PRIMARY_ADDR), 5);
  EXPECT_EQ(get(three, attr::GPIB_SECONDARY_ADDR), 0xFFFF);
  EXPECT_EQ(query(three, "*IDN?"), "FAKE,GPIB0::5,0,1.0\n");
  set(three, attr::GPIB_SECONDARY_ADDR, 31, status::ERROR_NSUP_ATTR_STATE);
}

TEST_F(Gpib, RemoteEnableAndLocal) {
  session_t s = open("GPIB0::5::INSTR");
  EXPECT_EQ(get(s, attr::GPIB_REN_STATE), 0);
  EXPECT_EQ(backend.gpib_control_ren(s, RenMode::assert_address), status::SUCCESS);
  EXPECT_EQ(fake.board(0, "ren"), 1);
  EXPECT_EQ(fake.instrument(0, 5, 0, "remote"), 1);
  EXPECT_EQ(get(s, attr::GPIB_REN_STATE), 1);
  auto sent = commands(0);
  ASSERT_GE(sent.size(), 2u);
  EXPECT_EQ(sent[0], 0x3F);       // UNL
  EXPECT_EQ(sent[1], 0x20 | 5);   // LAD 5
  EXPECT_EQ(backend.gpib_control_ren(s, RenMode::assert_llo), status::SUCCESS);
  EXPECT_EQ(fake.instrument(0, 5, 0, "lockout"), 1);
  EXPECT_EQ(backend.gpib_control_ren(s, RenMode::address_gtl), status::SUCCESS);  // ibloc
  EXPECT_EQ(fake.instrument(0, 5, 0, "remote"), 0);
  EXPECT_EQ(fake.board(0, "ren"), 1);
  EXPECT_EQ(backend.gpib_control_ren(s, RenMode::deassert_gtl), status::SUCCESS);
  EXPECT_EQ(fake.board(0, "ren"), 0);
  EXPECT_EQ(fake.instrument(0, 5, 0, "lockout"), 0);
  EXPECT_EQ(backend.gpib_control_ren(s, RenMode::assert_address_llo), status::SUCCESS);
  EXPECT_EQ(fake.instrument(0, 5, 0, "remote"), 1);
  EXPECT_EQ(fake.instrument(0, 5, 0, "lockout"), 1);
  EXPECT_EQ(backend.gpib_control_ren(s, RenMode::deassert), status::SUCCESS);
  EXPECT_EQ(fake.instrument(0, 5, 0, "remote"), 0);
  EXPECT_EQ(backend.gpib_control_ren(s, static_cast<RenMode>(9)), status::ERROR_INV_MODE);
}

TEST_F(Gpib, AttributesReachTheDescriptor) {
  session_t s = open("GPIB0::5::INSTR");
  set(s, attr::GPIB_UNADDR_EN, 1);
  EXPECT_EQ(fake.last_descriptor("unaddr"), 1);
  set(s, attr::GPIB_READDR_EN, 0);
  EXPECT_EQ(fake.last_descriptor("readdr"), 0);
}

TEST_F(Gpib, InterfaceCommandsIfcAtnAndPassControl) {
  session_t b = open("GPIB0::INTFC");
  const std::uint8_t bytes[] = {0x3F, 0x20 | 5, 0x04};  // UNL, LAD 5, SDC
  std::size_t n = 0;
  EXPECT_EQ(backend.gpib_command(b, std::as_bytes(std::span(bytes)), n), status::SUCCESS);
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(commands(0), std::vector<std::uint8_t>(std::begin(bytes), std::end(bytes)));
  EXPECT_EQ(fake.instrument(0, 5, 0, "clears"), 1);
  EXPECT_EQ(get(b, attr::GPIB_ADDR_STATE), 0);

  EXPECT_EQ(backend.gpib_control_atn(b, 1), status::SUCCESS);
  EXPECT_EQ(fake.board(0, "atn"), 1);
  EXPECT_EQ(get(b, attr::GPIB_ATN_STATE), 1);
  EXPECT_EQ(backend.gpib_control_atn(b, 0), status::SUCCESS);
  EXPECT_EQ(get(b, attr::GPIB_ATN_STATE), 0);
  EXPECT_EQ(backend.gpib_control_atn(b, 3), status::SUCCESS);
  EXPECT_EQ(backend.gpib_control_atn(b, 2), status::SUCCESS);
  EXPECT_EQ(backend.gpib_control_atn(b, 7), status::ERROR_INV_MODE);
  EXPECT_EQ(get(b, attr::GPIB_NDAC_STATE), 1);
  EXPECT_EQ(get(b, attr::GPIB_SRQ_STATE), 0);

  EXPECT_EQ(get(b, attr::GPIB_CIC_STATE), 1);
  EXPECT_EQ(backend.gpib_pass_control(b, 20, 0xFFFF), status::ERROR_NLISTENERS);
  EXPECT_EQ(backend.gpib_pass_control(b, 31, 0xFFFF), status::ERROR_INV_PARAMETER);
  EXPECT_EQ(backend.gpib_pass_control(b, 5, 0xFFFF), status::SUCCESS);
  EXPECT_EQ(fake.board(0, "controller"), 5);
  EXPECT_EQ(get(b, attr::GPIB_CIC_STATE), 0);
  EXPECT_EQ(backend.gpib_command(b, std::as_bytes(std::span(bytes)), n), status::ERROR_NCIC);
  EXPECT_EQ(backend.gpib_send_ifc(b), status::SUCCESS);  // the system controller takes it back
  EXPECT_EQ(fake.board(0, "ifc"), 1);
  EXPECT_EQ(get(b, attr::GPIB_CIC_STATE), 1);

  EXPECT_EQ(get(b, attr::GPIB_SYS_CNTRL_STATE), 1);
  set(b, attr::GPIB_SYS_CNTRL_STATE, 0);
  EXPECT_EQ(fake.board(0, "sc"), 0);
  EXPECT_EQ(backend.gpib_send_ifc(b), status::ERROR_NSYS_CNTLR);
  set(b, attr::GPIB_SYS_CNTRL_STATE, 1);

  EXPECT_EQ(get(b, attr::GPIB_PRIMARY_ADDR), 0);
  set(b, attr::GPIB_PRIMARY_ADDR, 2);
  EXPECT_EQ(fake.board(0, "pad"), 2);
  EXPECT_EQ(get(b, attr::GPIB_SECONDARY_ADDR), 0xFFFF);
  EXPECT_EQ(get(b, attr::GPIB_HS488_CBL_LEN), -1);  // the fake board has no HS488
  set(b, attr::DEV_STATUS_BYTE, 0x41);
  EXPECT_EQ(fake.board(0, "rsv"), 0x41);

  EXPECT_EQ(backend.gpib_control_ren(b, RenMode::assert_llo), status::SUCCESS);
  EXPECT_EQ(fake.board(0, "ren"), 1);
  EXPECT_EQ(fake.instrument(0, 9, 0, "lockout"), 1);
  EXPECT_EQ(get(b, attr::GPIB_REN_STATE), 1);
  EXPECT_EQ(backend.gpib_control_ren(b, RenMode::assert_address), status::ERROR_INV_MODE);
  EXPECT_EQ(backend.gpib_control_ren(b, RenMode::deassert), status::SUCCESS);
  EXPECT_EQ(fake.board(0, "ren"), 0);

  // Board 1 has nobody on its bus: command bytes find no listener.
  session_t empty = open("GPIB1::INTFC");
  EXPECT_EQ(backend.gpib_command(empty, std::as_bytes(std::span(bytes)), n), status::ERROR_NLISTENERS);
}

TEST_F(Gpib, InterfaceServiceRequestIsTheSrqLine) {
  session_t b = open("GPIB0::INTFC");
  session_t dev = open("GPIB0::11::INSTR");
  ASSERT_EQ(backend.enable_event(b, event::service_request, static_cast<std::uint16_t>(EventMechanism::queue)),
            status::SUCCESS);
  EXPECT_EQ(get(b, attr::GPIB_SRQ_STATE), 0);
  EXPECT_EQ(write(dev, "SRQ 30"), status::SUCCESS);
  event_type_t type = 0;
  session_t ctx = 0;
  EXPECT_EQ(backend.wait_on_event(b, event::service_request, 5000, type, ctx, false), status::SUCCESS);
  EXPECT_EQ(get(b, attr::GPIB_SRQ_STATE), 1);
  // The line stays asserted until the device is polled: no second event meanwhile.
  EXPECT_EQ(backend.wait_on_event(b, event::service_request, 200, type, ctx, false), status::ERROR_TMO);
  std::uint16_t stb = 0;
  EXPECT_EQ(backend.read_stb(dev, stb), status::SUCCESS);
  EXPECT_EQ(stb, 0x41);
  EXPECT_EQ(get(b, attr::GPIB_SRQ_STATE), 0);
  // Asked again well after the monitor (20 ms period) saw the line go low: a second event.
  EXPECT_EQ(write(dev, "SRQ 200"), status::SUCCESS);
  EXPECT_EQ(backend.wait_on_event(b, event::service_request, 5000, type, ctx, false), status::SUCCESS);
}

TEST_F(Gpib, InterfaceEventsForControlTalkAndListen) {
  session_t b = open("GPIB0::INTFC");
  for (event_type_t t : {event::gpib_controller_in_charge, event::gpib_talk, event::gpib_listen})
    ASSERT_EQ(backend.enable_event(b, t, static_cast<std::uint16_t>(EventMechanism::queue)), status::SUCCESS);
  event_type_t type = 0;
  session_t ctx = 0;
  auto cic_event = [&]() -> std::int64_t {
    if (backend.wait_on_event(b, event::gpib_controller_in_charge, 5000, type, ctx, true) != status::SUCCESS)
      return -1;
    const std::int64_t state = get(ctx, attr::GPIB_RECV_CIC_STATE);
    backend.close(ctx);
    return state;
  };
  std::this_thread::sleep_for(60ms);  // the monitor's first reading: CIC, not addressed
  EXPECT_EQ(backend.gpib_pass_control(b, 5, 0xFFFF), status::SUCCESS);
  EXPECT_EQ(cic_event(), 0);
  EXPECT_EQ(backend.gpib_send_ifc(b), status::SUCCESS);
  EXPECT_EQ(cic_event(), 1);
  const std::uint8_t listen[] = {0x3F, 0x20 | 0};  // UNL, LAD of the board itself
  std::size_t n = 0;
  EXPECT_EQ(backend.gpib_command(b, std::as_bytes(std::span(listen)), n), status::SUCCESS);
  EXPECT_EQ(backend.wait_on_event(b, event::gpib_listen, 5000, type, ctx, false), status::SUCCESS);
  const std::uint8_t talk[] = {0x40 | 0};  // TAD of the board
  EXPECT_EQ(backend.gpib_command(b, std::as_bytes(std::span(talk)), n), status::SUCCESS);
  EXPECT_EQ(backend.wait_on_event(b, event::gpib_talk, 5000, type, ctx, false), status::SUCCESS);
  EXPECT_EQ(get(b, attr::GPIB_ADDR_STATE), 1);  // VI_GPIB_TALKER
  // An INSTR session has none of these events.
  session_t dev = open("GPIB0::5::INSTR");
  EXPECT_LT(backend.enable_event(dev, event::gpib_talk, static_cast<std::uint16_t>(EventMechanism::queue)), 0);
}

// VI_EVENT_CLEAR and VI_EVENT_TRIG on GPIB INTFC (VPP-4.3): the board, acting as a device, is
// cleared (DCL, or SDC while addressed to listen) or triggered (GET while addressed to listen) by
// another controller on the bus; the status bits DCAS/DTAS carry it (acknowledged after each).
TEST_F(Gpib, InterfaceEventsForClearAndTriggerReceived) {
  fake.set_board(0, 1, 0, 1);  // another controller is in charge
  session_t b = open("GPIB0::INTFC");
  ASSERT_EQ(backend.enable_event(b, event::clear, static_cast<std::uint16_t>(EventMechanism::queue)), status::SUCCESS);
  ASSERT_EQ(backend.enable_event(b, event::trig, static_cast<std::uint16_t>(EventMechanism::queue)), status::SUCCESS);
  event_type_t type = 0;
  session_t ctx = 0;
  auto bus = [&](std::initializer_list<unsigned char> bytes) {
    std::vector<unsigned char> v(bytes);
    fake.bus_commands(0, v.data(), static_cast<long>(v.size()));
  };
  // Not addressed: an SDC and a GET are for other devices.
  bus({0x3F, 0x25, 0x04, 0x08});  // UNL, LAD 5, SDC, GET
  EXPECT_EQ(backend.wait_on_event(b, event::all_enabled, 300, type, ctx, false), status::ERROR_TMO);
  bus({0x3F, 0x20 | 0, 0x04});  // UNL, LAD of the board, SDC
  ASSERT_EQ(backend.wait_on_event(b, event::all_enabled, 5000, type, ctx, false), status::SUCCESS);
  EXPECT_EQ(type, event::clear);
  bus({0x08});  // GET, still addressed
  ASSERT_EQ(backend.wait_on_event(b, event::trig, 5000, type, ctx, true), status::SUCCESS);
  EXPECT_EQ(get(ctx, attr::RECV_TRIG_ID), -1);  // VI_TRIG_SW
  backend.close(ctx);
  // A second clear is a new event (the first was acknowledged), also the universal DCL.
  bus({0x3F, 0x14});  // UNL, DCL
  EXPECT_EQ(backend.wait_on_event(b, event::clear, 5000, type, ctx, false), status::SUCCESS);
  EXPECT_EQ(backend.wait_on_event(b, event::all_enabled, 200, type, ctx, false), status::ERROR_TMO);
  // INSTR sessions do not receive clears or triggers.
  fake.set_board(0, 1, 1, 1);
  session_t dev = open("GPIB0::5::INSTR");
  EXPECT_EQ(backend.enable_event(dev, event::clear, static_cast<std::uint16_t>(EventMechanism::queue)),
            status::ERROR_INV_EVENT);
}

TEST_F(Gpib, SessionsOnOneBoardFromSeveralThreads) {
  // Each thread has its own instrument and checks its own answers: libgpib's status is
  // thread-local (ThreadIbsta...), so one thread's error never shows in another's result.
  const char* names[] = {"GPIB0::5::INSTR", "GPIB0::7::0::INSTR", "GPIB0::7::3::INSTR", "GPIB0::20::INSTR"};
  std::vector<session_t> sessions;
  for (const char* n : names) sessions.push_back(open(n));
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string text = "ECHO " + std::to_string(t) + ":" + std::to_string(i);
        std::size_t n = 0;
        if (backend.write(sessions[t], std::as_bytes(std::span(text.data(), text.size())), n) != status::SUCCESS)
          ++bad;
        std::vector<std::byte> buf(64);
        if (backend.read(sessions[t], buf, n) != status::SUCCESS ||
            std::string(reinterpret_cast<const char*>(buf.data()), n) != text.substr(5))
          ++bad;
      }
    });
  }
  threads.emplace_back([&] {  // a fourth keeps failing with ENOL meanwhile
    for (int i = 0; i < 200; ++i) {
      std::size_t n = 0;
      if (backend.write(sessions[3], std::as_bytes(std::span("x", 1)), n) != status::ERROR_NLISTENERS) ++bad;
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad, 0);
}

TEST_F(Gpib, ListsBoardsAndListeners) {
  std::vector<std::string> names;
  ASSERT_EQ(backend.find_resources(rm, "GPIB?*", names), status::SUCCESS);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"GPIB0::11::INSTR", "GPIB0::5::INSTR", "GPIB0::7::0::INSTR",
                                             "GPIB0::7::3::INSTR", "GPIB0::9::INSTR", "GPIB0::INTFC",
                                             "GPIB1::INTFC"}));
}

TEST_F(Gpib, DebugInfoSaysWhereLibgpibWasFound) {
  auto info = backend.debug_info();
  const std::string where = std::string("libgpib: ") + gpib::Libgpib::get()->path();
  EXPECT_NE(where.find("fakegpib"), std::string::npos);
  EXPECT_TRUE(std::any_of(info.begin(), info.end(), [&](const std::string& l) {
    return l.rfind("GPIB (linux-gpib)", 0) == 0 && l.find(where) != std::string::npos;
  }));
}

TEST_F(Gpib, ThroughThePublicApi) {
  ResourceManager manager(std::make_shared<native::NativeBackend>());
  auto inst = manager.open<GPIBInstrument>("GPIB0::11::INSTR");
  EXPECT_EQ(inst->query("*IDN?"), "FAKE,GPIB0::11,0,1.0\n");
  EXPECT_EQ(inst->primary_address(), 11);
  inst->write("SRQ 20");
  inst->wait_for_srq(5000);
  EXPECT_EQ(inst->read_stb(), 0);  // wait_for_srq polled the request away
}

}  // namespace
