// Fuzz target for the USBTMC Bulk-IN path: the header parser alone (tag and requested size from
// the input), then a whole UsbtmcSession reading from a transport whose Bulk-IN transfers are the
// fuzz bytes cut into transfers of input-chosen sizes (headers that lie, wrong tags, truncated
// headers, short and zero-length transfers). Invariants: no crash, no read past the buffer,
// memory bounded by the session's fixed receive buffer whatever TransferSize says.
//
// Input layout: byte 0 = expected tag, bytes 1-4 = requested size (LE), byte 5 = caller buffer
// size / 16, byte 6 = transfer size seed, rest = the device's Bulk-IN bytes.
#include "protocols/usbtmc/usbtmc_session.hpp"
#include "protocols/usbtmc/usbtmc_wire.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

using namespace cppvisa;
using namespace cppvisa::usbtmc;

namespace {

class FuzzTransport : public UsbTransport {
 public:
  FuzzTransport(std::span<const std::byte> data, std::uint8_t seed) : data_(data), seed_(seed | 1) {
    info_.bulk_in = 0x81;
    info_.bulk_out = 0x02;
    info_.bulk_in_max_packet = 64;
    info_.bulk_out_max_packet = 64;
  }
  const UsbDeviceInfo& info() const override { return info_; }
  status_t bulk_out(std::uint8_t, std::span<const std::byte> d, core::Deadline, std::size_t& sent) override {
    sent = d.size();
    return status::SUCCESS;
  }
  status_t bulk_in(std::uint8_t, std::span<std::byte> buffer, core::Deadline, std::size_t& received) override {
    received = 0;
    if (pos_ >= data_.size()) return status::ERROR_TMO;
    seed_ = seed_ * 1103515245u + 12345u;
    std::size_t n = std::min({buffer.size(), data_.size() - pos_, std::size_t{(seed_ >> 16) % 300}});
    std::memcpy(buffer.data(), data_.data() + pos_, n);
    pos_ += n;
    received = n;
    return status::SUCCESS;
  }
  status_t control_in(std::uint8_t, std::uint8_t req, std::uint16_t, std::uint16_t, std::span<std::byte> buffer,
                      core::Deadline, std::size_t& received) override {
    received = 0;
    if (req == request::get_capabilities && buffer.size() >= 6) {
      const std::uint8_t caps[] = {1, 0, 0, 1, 0, 1};
      std::memcpy(buffer.data(), caps, 6);
      received = 6;
      return status::SUCCESS;
    }
    if (buffer.size() >= 2) {
      buffer[0] = std::byte{ctrl_status::transfer_not_in_progress};
      received = std::min<std::size_t>(buffer.size(), 8);
      std::memset(buffer.data() + 1, 0, received - 1);
    }
    return status::SUCCESS;
  }
  status_t control_out(std::uint8_t, std::uint8_t, std::uint16_t, std::uint16_t, std::span<const std::byte>,
                       core::Deadline) override {
    return status::SUCCESS;
  }
  status_t clear_halt(std::uint8_t, core::Deadline) override { return status::SUCCESS; }

 private:
  std::span<const std::byte> data_;
  std::size_t pos_ = 0;
  std::uint32_t seed_;
  UsbDeviceInfo info_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
  if (size < 7) return 0;
  auto data = std::as_bytes(std::span(raw, size));
  BulkInHeader h;
  const std::uint8_t tag = raw[0];
  const std::uint32_t requested = load_le32(&data[1]);
  HeaderError e = parse_bulk_in_header(data.subspan(7), tag, requested, h);
  if (e == HeaderError::none && (h.transfer_size > requested || h.tag != tag)) std::abort();

  auto device = data.subspan(7);
  const std::uint8_t seed = raw[6];
  ResourceName name = ResourceName::parse("USB0::0x0957::0x1796::FUZZ::INSTR");
  SessionOptions options;
  options.min_request = 256;
  options.rx_buffer = 128;
  options.accept_wrong_tag = (seed & 0x80) != 0;
  UsbtmcSession session(
      name,
      [&](const ResourceName&, core::Deadline, status_t& st) -> std::unique_ptr<UsbTransport> {
        st = status::SUCCESS;
        return std::make_unique<FuzzTransport>(device, seed);
      },
      options);
  if (session.connect(core::Deadline::after_ms(0)) < 0) return 0;
  std::vector<std::byte> buffer(std::size_t{raw[5]} * 16 + 1);
  for (int i = 0; i < 16; ++i) {
    std::size_t count = 0;
    status_t st = session.read(buffer, count, core::Deadline::after_ms(0));
    if (count > buffer.size()) std::abort();
    if (st == status::ERROR_TMO && count == 0) break;
  }
  session.disconnect();
  return 0;
}
