#include "protocols/prologix/prologix_link.hpp"

#include "protocols/prologix/prologix_wire.hpp"
#include "protocols/serial/serial_port.hpp"

#include <array>

namespace cppvisa::prologix {

namespace {

class TcpLink : public Link {
 public:
  explicit TcpLink(net::Socket s) : socket_(std::move(s)) {}
  status_t send(std::span<const std::byte> data, core::Deadline deadline, const net::Waker* cancel,
                std::size_t& sent) override {
    return socket_.send_all(data, deadline, &sent, cancel);
  }
  status_t receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count,
                   const net::Waker* cancel) override {
    return socket_.recv_some(buffer, deadline, count, cancel);
  }
  void discard_input() override {
    std::array<std::byte, 4096> scratch;
    std::size_t n = 0;
    while (socket_.recv_available(scratch, n) == status::SUCCESS && n > 0) {
    }
  }
  void shutdown() override { socket_.shutdown(); }

 private:
  net::Socket socket_;
};

class SerialLink : public Link {
 public:
  explicit SerialLink(std::shared_ptr<serial::Port> port) : port_(std::move(port)) {}
  status_t send(std::span<const std::byte> data, core::Deadline deadline, const net::Waker* cancel,
                std::size_t& sent) override {
    return port_->write(data, deadline, sent, cancel ? cancel->fd() : -1);
  }
  status_t receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count,
                   const net::Waker* cancel) override {
    bool end = false;
    serial::EndRule none;
    none.mode = SerialTermination::none;
    return port_->receive(buffer, none, deadline, count, end, cancel ? cancel->fd() : -1);
  }
  void discard_input() override { port_->discard_input(core::Deadline::after_ms(100)); }
  void shutdown() override {}

 private:
  std::shared_ptr<serial::Port> port_;
};

}  // namespace

std::unique_ptr<Link> connect_link(const ResourceName& intfc, core::Deadline deadline, status_t& st) {
  if (intfc.interface_type == InterfaceType::prlgx_tcpip) {
    std::string host = intfc.host_address();
    std::uint16_t port = intfc.port().value_or(default_port);
    net::Socket s;
    st = net::connect_tcp(host, port, deadline, s);
    if (st != status::SUCCESS) {
      if (st != status::ERROR_TMO) st = status::ERROR_RSRC_NFOUND;
      return nullptr;
    }
    s.set_nodelay(true);
    return std::make_unique<TcpLink>(std::move(s));
  }
  if (intfc.interface_type == InterfaceType::prlgx_asrl) {
    auto device = intfc.field("serial_device");
    if (!device || device->empty()) {
      st = status::ERROR_INV_RSRC_NAME;
      return nullptr;
    }
    bool first = false;
    auto port = serial::Port::acquire(std::string(*device), st, first);
    if (!port) return nullptr;
    // The GPIB-USB's FTDI chip ignores the rate; 115200 8N1 without flow control as PyVISA-py.
    st = port->update_settings([](serial::LineSettings& s) {
      s = serial::LineSettings{};
      s.baud = 115200;
    });
    if (st < 0) return nullptr;
    return std::make_unique<SerialLink>(std::move(port));
  }
  st = status::ERROR_INV_RSRC_NAME;
  return nullptr;
}

}  // namespace cppvisa::prologix
