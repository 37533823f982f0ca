// The native backend through the public API: every protocol it routes to (HiSLIP and serial here;
// raw socket and VXI-11 have their own loopback tests) chosen from the resource name; the
// transport table (rows, an unavailable row); viTerminate on a raw socket blocked in a read.
#include "backends/native/native_backend.hpp"
#include "protocols/hislip/hislip_server.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/serial/serial_session.hpp"
#include "server/served_device.hpp"

#include <cppvisa/cppvisa.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <condition_variable>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

using namespace cppvisa;

namespace {

/// An instrument that answers "*IDN?" and echoes anything else as "echo:<text>".
class EchoDevice : public server::ServedDevice {
 protected:
  // It answers commands too (not only queries): it says when output is waiting.
  server::Output do_output() override {
    std::lock_guard g(m_);
    return output_.empty() ? server::Output::none : server::Output::ready;
  }
  status_t do_write(std::span<const std::byte> data, bool end, std::size_t& count, core::Deadline) override {
    std::lock_guard g(m_);
    pending_.append(reinterpret_cast<const char*>(data.data()), data.size());
    count = data.size();
    if (end) {
      while (!pending_.empty() && (pending_.back() == '\n' || pending_.back() == '\r')) pending_.pop_back();
      output_ += pending_ == "*IDN?" ? "CPPVISA,ECHO,0,1\n" : "echo:" + pending_ + "\n";
      pending_.clear();
      cv_.notify_all();
    }
    return status::SUCCESS;
  }
  status_t do_read(std::span<std::byte> buffer, std::optional<std::byte>, server::ReadResult& r,
                   core::Deadline deadline) override {
    std::unique_lock g(m_);
    auto ready = [&] { return !output_.empty(); };
    if (!ready() && !cv_.wait_until(g, deadline.when(), ready)) return status::ERROR_TMO;
    r.count = std::min(buffer.size(), output_.size());
    std::memcpy(buffer.data(), output_.data(), r.count);
    output_.erase(0, r.count);
    r.end = output_.empty();
    return status::SUCCESS;
  }
  status_t do_read_stb(std::uint8_t& stb, core::Deadline) override {
    std::lock_guard g(m_);
    stb = output_.empty() ? 0 : 0x10;
    return status::SUCCESS;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::string pending_, output_;
};

}  // namespace

TEST(NativeBackend, HislipInstrumentsAreOpenedByName) {
  hislip::Server server;
  server.add_device("hislip0", std::make_shared<EchoDevice>());
  ASSERT_EQ(server.start(), status::SUCCESS);
  ResourceManager rm("@native");
  auto name = "TCPIP::127.0.0.1::hislip0," + std::to_string(server.port()) + "::INSTR";
  auto inst = rm.open<TCPIPInstrument>(name);
  EXPECT_EQ(inst->get_int_attribute(attr::TCPIP_IS_HISLIP), 1);
  inst->set_read_termination("\n");
  inst->set_write_termination("\n");
  EXPECT_EQ(inst->query("*IDN?"), "CPPVISA,ECHO,0,1");
  EXPECT_EQ(inst->query("hello"), "echo:hello");
  server.stop();
}

TEST(NativeBackend, TerminateAbortsAHislipReadAndTheStreamStaysInSync) {
  hislip::Server server;
  server.add_device("hislip0", std::make_shared<EchoDevice>());
  ASSERT_EQ(server.start(), status::SUCCESS);
  ResourceManager rm("@native");
  auto inst = rm.open<TCPIPInstrument>("TCPIP::127.0.0.1::hislip0," + std::to_string(server.port()) + "::INSTR");
  inst->set_read_termination("\n");
  inst->set_write_termination("\n");
  inst->set_timeout(20000);
  auto backend = rm.backend();
  EXPECT_EQ(backend->terminate(inst->session(), 0, 0), status::SUCCESS);  // nothing in progress
  std::chrono::steady_clock::time_point asked;
  std::thread aborter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    asked = std::chrono::steady_clock::now();
    EXPECT_EQ(backend->terminate(inst->session(), 0, 0), status::SUCCESS);
  });
  char buf[64];
  std::size_t n = 0;
  status_t st = backend->read(inst->session(), std::as_writable_bytes(std::span(buf)), n);  // nothing asked
  auto returned = std::chrono::steady_clock::now();
  aborter.join();
  EXPECT_EQ(st, status::ERROR_ABORT);
  EXPECT_LT(returned - asked, std::chrono::milliseconds(2000));  // far from the 20 s timeout
  EXPECT_EQ(inst->query("*IDN?"), "CPPVISA,ECHO,0,1");
  EXPECT_EQ(inst->query("hello"), "echo:hello");
  server.stop();
}

TEST(NativeBackend, SerialPortsAreOpenedByPath) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  std::string slave = ptsname(master);
  ResourceManager rm("@native");
  auto port = rm.open<SerialInstrument>("ASRL" + slave + "::INSTR");
  port->set_write_termination("\n");
  port->write("MEAS?");
  char buf[64];
  std::string got;
  while (got.find('\n') == std::string::npos) {
    ssize_t n = ::read(master, buf, sizeof buf);
    ASSERT_GT(n, 0);
    got.append(buf, static_cast<std::size_t>(n));
  }
  EXPECT_EQ(got, "MEAS?\n");
  ASSERT_EQ(::write(master, "1.25\n", 5), 5);
  port->set_read_termination("\n");
  EXPECT_EQ(port->read(), "1.25");
  port->close();
  ::close(master);
}

TEST(NativeBackend, UnknownInterfacesAreNotFound) {
  ResourceManager rm("@native");
  try {
    rm.open_resource("VXI::1::INSTR");  // no row opens VXI
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_RSRC_NFOUND);
  }
}

TEST(NativeBackend, TransportTableHasOneRowPerProtocol) {
  auto rows = native::builtin_transports();
  std::vector<std::string> names;
  for (const auto& t : rows) {
    bool machine_dependent = false;
    ASSERT_NE(t.name, nullptr);
    ASSERT_NE(t.resources, nullptr);
    ASSERT_NE(t.opens, nullptr);   // mandatory
    ASSERT_NE(t.create, nullptr);  // mandatory
    // GPIB needs libgpib at run time: usable or not, depending on the machine.
    if (std::string(t.name) == "GPIB (linux-gpib)") machine_dependent = true;
#ifdef CPPVISA_HAVE_LIBUSB
    if (!machine_dependent) {
      EXPECT_EQ(t.unavailable_reason(), nullptr) << t.name;
    }
#else
    if (!machine_dependent && std::string(t.name) != "USBTMC / USB RAW") {
      EXPECT_EQ(t.unavailable_reason(), nullptr) << t.name;
    }
#endif
    names.push_back(t.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"raw socket", "HiSLIP", "VXI-11", "serial", "USBTMC / USB RAW", "VICP",
                                             "Prologix adapter", "GPIB via Prologix", "GPIB (linux-gpib)"}));
  {
    std::error_code ec;
    auto usb = ResourceName::parse("USB::0x0957::0x1796::MY123::INSTR", ec);
    ASSERT_TRUE(usb);
    const native::Transport* t = native::find_transport(rows, *usb);
    ASSERT_NE(t, nullptr);
    EXPECT_STREQ(t->name, "USBTMC / USB RAW");
  }
  auto row = [&](const char* text) {
    std::error_code ec;
    auto name = ResourceName::parse(text, ec);
    const native::Transport* t = name ? native::find_transport(rows, *name) : nullptr;
    return std::string(t ? t->name : "none");
  };
  EXPECT_EQ(row("TCPIP::10.0.0.1::5025::SOCKET"), "raw socket");
  EXPECT_EQ(row("TCPIP::10.0.0.1::hislip0::INSTR"), "HiSLIP");
  EXPECT_EQ(row("TCPIP::10.0.0.1::inst0::INSTR"), "VXI-11");
  EXPECT_EQ(row("ASRL/dev/ttyS0::INSTR"), "serial");
  EXPECT_EQ(row("VICP::10.0.0.1::INSTR"), "VICP");
  EXPECT_EQ(row("PRLGX-TCPIP::10.0.0.1::INTFC"), "Prologix adapter");
  EXPECT_EQ(row("PRLGX-ASRL::/dev/ttyUSB0::INTFC"), "Prologix adapter");
  EXPECT_EQ(row("GPIB::5::INSTR"), "GPIB (linux-gpib)");  // "GPIB via Prologix" only while an adapter of board 0 is open
  EXPECT_EQ(row("GPIB1::INTFC"), "GPIB (linux-gpib)");
  auto info = native::NativeBackend().debug_info();
  for (const char* n : {"raw socket", "HiSLIP", "VXI-11", "serial"})
    EXPECT_TRUE(std::any_of(info.begin(), info.end(), [&](const std::string& l) { return l.rfind(n, 0) == 0; })) << n;
}

TEST(NativeBackend, ListRequestNamesAClassOnlyWhenTheExpressionDoes) {
  EXPECT_TRUE((native::ListRequest{"?*::RAW"}.names_class("RAW")));
  EXPECT_TRUE((native::ListRequest{"usb?*raw"}.names_class("RAW")));
  EXPECT_FALSE((native::ListRequest{"?*"}.names_class("RAW")));
  EXPECT_FALSE((native::ListRequest{"?*::INSTR"}.names_class("RAW")));
  EXPECT_FALSE((native::ListRequest{"RA"}.names_class("RAW")));
}

TEST(NativeBackend, TheExpressionReachesTheRows) {
  static std::string seen;
  static const native::Transport table[] = {
      {
          .name = "USB test",
          .resources = "USB::vid::pid::serial::RAW",
          .opens = [](const ResourceName& n) { return n.interface_type == InterfaceType::usb; },
          .create = [](const ResourceName&, status_t& st) -> std::unique_ptr<core::Session> {
            st = status::ERROR_RSRC_NFOUND;
            return nullptr;
          },
          .list = [](const native::ListRequest& r) {
            seen = std::string(r.expression);
            std::vector<std::string> names{"USB0::0x1234::0x0001::A::0::INSTR"};
            if (r.names_class("RAW")) names.push_back("USB0::0x1234::0x0002::B::0::RAW");
            return names;
          },
      },
  };
  native::NativeBackend backend(table);
  session_t rm = 0;
  ASSERT_EQ(backend.open_default_rm(rm), status::SUCCESS);
  std::vector<std::string> names;
  ASSERT_EQ(backend.find_resources(rm, "?*::RAW", names), status::SUCCESS);
  EXPECT_EQ(seen, "?*::RAW");
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0], "USB0::0x1234::0x0002::B::0::RAW");
  ASSERT_EQ(backend.find_resources(rm, "?*", names), status::SUCCESS);
  EXPECT_EQ(names.size(), 1u) << "RAW only when asked";
  EXPECT_EQ(backend.close(rm), status::SUCCESS);
}

TEST(NativeBackend, AnUnavailableRowFailsToOpenAndSaysWhy) {
  static const native::Transport table[] = {
      {
          .name = "GPIB test",
          .resources = "GPIB::n::INSTR",
          .opens = [](const ResourceName& n) { return n.interface_type == InterfaceType::gpib; },
          .create = [](const ResourceName&, status_t& st) -> std::unique_ptr<core::Session> {
            st = status::ERROR_SYSTEM_ERROR;  // never called: the row is unavailable
            return nullptr;
          },
          .list = [](const native::ListRequest&) { return std::vector<std::string>{"GPIB0::1::INSTR"}; },
          .unavailable = [] { return "linux-gpib not found"; },
      },
      {
          .name = "listed",
          .resources = "ASRL::INSTR",
          .opens = [](const ResourceName& n) { return n.interface_type == InterfaceType::asrl; },
          .create = [](const ResourceName& n, status_t& st) { return serial::make_session(n, st); },
          .list = [](const native::ListRequest&) { return std::vector<std::string>{"ASRL99::INSTR"}; },
      },
  };
  native::NativeBackend backend(table);
  session_t rm = 0;
  ASSERT_EQ(backend.open_default_rm(rm), status::SUCCESS);
  session_t s = 0;
  EXPECT_EQ(backend.open(rm, "GPIB::1::INSTR", AccessMode::no_lock, 0, s), status::ERROR_LIBRARY_NFOUND);
  EXPECT_EQ(backend.open(rm, "TCPIP::127.0.0.1::5025::SOCKET", AccessMode::no_lock, 0, s), status::ERROR_RSRC_NFOUND);
  auto info = backend.debug_info();
  EXPECT_TRUE(std::any_of(info.begin(), info.end(), [](const std::string& l) {
    return l.find("GPIB test") != std::string::npos && l.find("unavailable: linux-gpib not found") != std::string::npos;
  }));
  std::vector<std::string> names;
  ASSERT_EQ(backend.find_resources(rm, "?*", names), status::SUCCESS);
  EXPECT_EQ(names, std::vector<std::string>{"ASRL99::INSTR"});  // not the unavailable row's
  backend.close(rm);
}

TEST(NativeBackend, TerminateAbortsARawSocketReadOnASilentServer) {
  net::TcpListener listener;
  ASSERT_EQ(listener.open("127.0.0.1", 0), status::SUCCESS);
  auto backend = native::make_backend();
  auto* sb = dynamic_cast<core::SessionBackend*>(backend.get());
  ASSERT_NE(sb, nullptr);
  session_t rm = 0;
  ASSERT_EQ(backend->open_default_rm(rm), status::SUCCESS);
  session_t s = 0;
  ASSERT_EQ(backend->open(rm, "TCPIP::127.0.0.1::" + std::to_string(listener.port()) + "::SOCKET",
                          AccessMode::no_lock, 0, s),
            status::SUCCESS);
  net::Socket peer;  // the instrument: accepts and says nothing
  ASSERT_EQ(listener.accept(peer, core::Deadline::after_ms(5000)), status::SUCCESS);
  EXPECT_EQ(backend->terminate(s, 0, 0), status::SUCCESS);  // nothing in progress: no effect
  core::OutputState state = core::OutputState::none;
  ASSERT_EQ(sb->output_state(s, state), status::SUCCESS);
  EXPECT_EQ(state, core::OutputState::unknown);
  ASSERT_EQ(backend->set_attribute(s, attr::TMO_VALUE, AttrValue{std::int64_t{20000}}), status::SUCCESS);
  std::chrono::steady_clock::time_point asked;
  std::thread aborter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    asked = std::chrono::steady_clock::now();
    EXPECT_EQ(backend->terminate(s, 0, 0), status::SUCCESS);
  });
  char buf[64];
  std::size_t n = 0;
  status_t st = backend->read(s, std::as_writable_bytes(std::span(buf)), n);
  auto returned = std::chrono::steady_clock::now();
  aborter.join();
  EXPECT_EQ(st, status::ERROR_ABORT);
  EXPECT_EQ(n, 0u);
  EXPECT_LT(returned - asked, std::chrono::milliseconds(2000));  // far from the 20 s timeout
  // The session goes on: the next read gets what the instrument sends.
  const char reply[] = "1.25\n";
  ASSERT_EQ(peer.send_all(std::as_bytes(std::span(reply, 5)), core::Deadline::after_ms(5000)), status::SUCCESS);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    ASSERT_EQ(sb->output_state(s, state), status::SUCCESS);
  } while (state != core::OutputState::ready && std::chrono::steady_clock::now() < until);
  EXPECT_EQ(state, core::OutputState::ready);
  ASSERT_EQ(backend->set_attribute(s, attr::TERMCHAR_EN, AttrValue{std::int64_t{1}}), status::SUCCESS);
  EXPECT_EQ(backend->read(s, std::as_writable_bytes(std::span(buf)), n), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(std::string(buf, n), "1.25\n");
  backend->close(rm);
}
