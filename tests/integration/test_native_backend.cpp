// The native backend through the public API: every protocol it routes to (HiSLIP and serial here;
// raw socket and VXI-11 have their own loopback tests) chosen from the resource name.
#include "protocols/hislip/hislip_server.hpp"
#include "server/served_device.hpp"

#include <cppvisa/cppvisa.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <condition_variable>
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
    rm.open_resource("GPIB::5::INSTR");
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_RSRC_NFOUND);
  }
}
