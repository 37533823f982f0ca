#include "protocols/usbtmc/usbtmc_wire.hpp"

#include <cstring>

namespace cppvisa::usbtmc {
namespace {

std::array<std::byte, header_size> out_header(std::uint8_t id, std::uint8_t tag, std::uint32_t size,
                                               std::uint8_t attributes, std::uint8_t byte9) noexcept {
  std::array<std::byte, header_size> h{};
  h[0] = std::byte{id};
  h[1] = std::byte{tag};
  h[2] = static_cast<std::byte>(~tag);
  store_le32(&h[4], size);
  h[8] = std::byte{attributes};
  h[9] = std::byte{byte9};
  return h;
}

std::uint8_t byte_u8(std::byte b) noexcept { return static_cast<std::uint8_t>(b); }

}  // namespace

std::array<std::byte, header_size> dev_dep_msg_out_header(std::uint8_t tag, std::uint32_t size, bool eom) noexcept {
  return out_header(msg::dev_dep_msg_out, tag, size, eom ? 0x01 : 0x00, 0);
}

void append_dev_dep_msg_out(std::vector<std::byte>& out, std::uint8_t tag, std::span<const std::byte> data,
                            bool eom) {
  auto h = dev_dep_msg_out_header(tag, static_cast<std::uint32_t>(data.size()), eom);
  out.insert(out.end(), h.begin(), h.end());
  out.insert(out.end(), data.begin(), data.end());
  out.insert(out.end(), padding(data.size()), std::byte{0});
}

std::array<std::byte, header_size> request_dev_dep_msg_in(std::uint8_t tag, std::uint32_t max_size,
                                                         std::optional<std::byte> termchar) noexcept {
  // bmTransferAttributes D1 = TermCharEnabled, byte 9 = TermChar (USBTMC 1.0 Table 4).
  return out_header(msg::request_dev_dep_msg_in, tag, max_size, termchar ? 0x02 : 0x00,
                    termchar ? byte_u8(*termchar) : 0);
}

std::array<std::byte, header_size> trigger_message(std::uint8_t tag) noexcept {
  return out_header(msg::trigger, tag, 0, 0, 0);
}

std::string_view to_string(HeaderError e) noexcept {
  switch (e) {
    case HeaderError::none: return "no error";
    case HeaderError::truncated: return "Bulk-IN header shorter than 12 bytes";
    case HeaderError::wrong_msg_id: return "Bulk-IN header with an unexpected MsgID";
    case HeaderError::bad_tag_inverse: return "Bulk-IN header whose bTagInverse is not ~bTag";
    case HeaderError::wrong_tag: return "Bulk-IN header answering another request (wrong bTag)";
    case HeaderError::oversize: return "Bulk-IN TransferSize larger than requested";
    case HeaderError::reserved_bits: return "Bulk-IN header with a non-zero reserved byte";
  }
  return "unknown";
}

HeaderError parse_bulk_in_header(std::span<const std::byte> data, std::uint8_t expected_tag, std::uint32_t requested,
                                 BulkInHeader& out, const HeaderChecks& checks) noexcept {
  if (data.size() < header_size) return HeaderError::truncated;
  BulkInHeader h;
  h.msg_id = byte_u8(data[0]);
  h.tag = byte_u8(data[1]);
  h.transfer_size = load_le32(&data[4]);
  h.eom = (byte_u8(data[8]) & 0x01) != 0;
  h.termchar = (byte_u8(data[8]) & 0x02) != 0;
  if (checks.check_msg_id && h.msg_id != checks.expected_msg_id) return HeaderError::wrong_msg_id;
  if (byte_u8(data[2]) != static_cast<std::uint8_t>(~h.tag)) return HeaderError::bad_tag_inverse;
  if (checks.check_tag && h.tag != expected_tag) return HeaderError::wrong_tag;
  if (checks.check_reserved && byte_u8(data[3]) != 0) return HeaderError::reserved_bits;
  // USBTMC 1.0 §3.3.1.1: "The device must not send more than TransferSize of the request".
  if (h.transfer_size > requested) return HeaderError::oversize;
  out = h;
  return HeaderError::none;
}

status_t parse_capabilities(std::span<const std::byte> data, Capabilities& out) noexcept {
  if (data.size() < 6 || byte_u8(data[0]) != ctrl_status::success) return status::ERROR_IO;
  Capabilities c;
  c.bcd_usbtmc = static_cast<std::uint16_t>(byte_u8(data[2]) | byte_u8(data[3]) << 8);
  c.indicator_pulse = (byte_u8(data[4]) & 0x04) != 0;
  c.talk_only = (byte_u8(data[4]) & 0x02) != 0;
  c.listen_only = (byte_u8(data[4]) & 0x01) != 0;
  c.termchar = (byte_u8(data[5]) & 0x01) != 0;
  if (data.size() >= 16) {
    c.has_usb488 = true;
    c.bcd_usb488 = static_cast<std::uint16_t>(byte_u8(data[12]) | byte_u8(data[13]) << 8);
    const std::uint8_t ifc = byte_u8(data[14]), dev = byte_u8(data[15]);
    c.usb4882 = (ifc & 0x04) != 0;
    c.ren_control = (ifc & 0x02) != 0;
    c.trigger = (ifc & 0x01) != 0;
    c.scpi = (dev & 0x08) != 0;
    c.sr1 = (dev & 0x04) != 0;
    c.rl1 = (dev & 0x02) != 0;
    c.dt1 = (dev & 0x01) != 0;
  }
  out = c;
  return status::SUCCESS;
}

bool parse_initiate(std::span<const std::byte> data, InitiateResponse& out) noexcept {
  if (data.size() < 2) return false;
  out.status = byte_u8(data[0]);
  out.tag = byte_u8(data[1]);
  return true;
}

bool parse_check_abort(std::span<const std::byte> data, CheckAbortResponse& out) noexcept {
  if (data.size() < 8) return false;
  out.status = byte_u8(data[0]);
  out.more_data = (byte_u8(data[1]) & 0x01) != 0;
  out.nbytes = load_le32(&data[4]);
  return true;
}

bool parse_check_clear(std::span<const std::byte> data, CheckClearResponse& out) noexcept {
  if (data.size() < 2) return false;
  out.status = byte_u8(data[0]);
  out.more_data = (byte_u8(data[1]) & 0x01) != 0;
  return true;
}

bool parse_status_byte(std::span<const std::byte> data, StatusByteResponse& out) noexcept {
  if (data.size() < 3) return false;
  out.status = byte_u8(data[0]);
  out.tag = byte_u8(data[1]);
  out.stb = byte_u8(data[2]);
  return true;
}

bool parse_notification(std::span<const std::byte> data, Notification& out) noexcept {
  if (data.size() < 2) return false;
  const std::uint8_t b1 = byte_u8(data[0]);
  out = Notification{};
  out.stb = byte_u8(data[1]);
  if (b1 == 0x81) {
    out.kind = Notification::srq;
  } else if ((b1 & 0x80) && (b1 & 0x7F) >= 2) {
    out.kind = Notification::status_byte;
    out.tag = b1 & 0x7F;
  } else {
    out.kind = Notification::other;
  }
  return true;
}

}  // namespace cppvisa::usbtmc
