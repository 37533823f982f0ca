#include "protocols/hislip/hislip_wire.hpp"

#include <algorithm>
#include <cstring>
#include <initializer_list>

namespace cppvisa::hislip {

namespace {

constexpr const char* type_names[] = {
    "Initialize",
    "InitializeResponse",
    "FatalError",
    "Error",
    "AsyncLock",
    "AsyncLockResponse",
    "Data",
    "DataEnd",
    "DeviceClearComplete",
    "DeviceClearAcknowledge",
    "AsyncRemoteLocalControl",
    "AsyncRemoteLocalResponse",
    "Trigger",
    "Interrupted",
    "AsyncInterrupted",
    "AsyncMaximumMessageSize",
    "AsyncMaximumMessageSizeResponse",
    "AsyncInitialize",
    "AsyncInitializeResponse",
    "AsyncDeviceClear",
    "AsyncServiceRequest",
    "AsyncStatusQuery",
    "AsyncStatusResponse",
    "AsyncDeviceClearAcknowledge",
    "AsyncLockInfo",
    "AsyncLockInfoResponse",
    "GetDescriptors",
    "GetDescriptorsResponse",
    "StartTLS",
    "AsyncStartTLS",
    "AsyncStartTLSResponse",
    "EndTLS",
    "AsyncEndTLS",
    "AsyncEndTLSResponse",
    "GetSaslMechanismList",
    "GetSaslMechanismListResponse",
    "AuthenticationStart",
    "AuthenticationExchange",
    "AuthenticationResult",
};
constexpr std::size_t known_types = sizeof(type_names) / sizeof(type_names[0]);

void put_be(std::byte* out, std::uint64_t value, int bytes) noexcept {
  for (int i = bytes - 1; i >= 0; --i) {
    out[i] = static_cast<std::byte>(value & 0xFF);
    value >>= 8;
  }
}

std::uint64_t get_be(const std::byte* in, int bytes) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(in[i]);
  return v;
}

}  // namespace

std::string message_type_name(std::uint8_t type) {
  if (type < known_types) return type_names[type];
  if (type >= first_vendor_specific) return "VendorSpecific(" + std::to_string(type) + ")";
  return "Reserved(" + std::to_string(type) + ")";
}

void encode_header(const Header& h, std::span<std::byte, header_size> out) noexcept {
  out[0] = std::byte{'H'};
  out[1] = std::byte{'S'};
  out[2] = std::byte{h.type};
  out[3] = std::byte{h.control};
  put_be(out.data() + 4, h.parameter, 4);
  put_be(out.data() + 8, h.length, 8);
}

std::array<std::byte, header_size> encode_header(const Header& h) noexcept {
  std::array<std::byte, header_size> out{};
  encode_header(h, std::span<std::byte, header_size>(out));
  return out;
}

bool decode_header(std::span<const std::byte, header_size> in, Header& h) noexcept {
  if (in[0] != std::byte{'H'} || in[1] != std::byte{'S'}) return false;
  h.type = std::to_integer<std::uint8_t>(in[2]);
  h.control = std::to_integer<std::uint8_t>(in[3]);
  h.parameter = static_cast<std::uint32_t>(get_be(in.data() + 4, 4));
  h.length = get_be(in.data() + 8, 8);
  return true;
}

bool is_async_type(std::uint8_t type) noexcept {
  switch (static_cast<MessageType>(type)) {
    case MessageType::async_lock:
    case MessageType::async_lock_response:
    case MessageType::async_remote_local_control:
    case MessageType::async_remote_local_response:
    case MessageType::async_interrupted:
    case MessageType::async_maximum_message_size:
    case MessageType::async_maximum_message_size_response:
    case MessageType::async_initialize:
    case MessageType::async_initialize_response:
    case MessageType::async_device_clear:
    case MessageType::async_service_request:
    case MessageType::async_status_query:
    case MessageType::async_status_response:
    case MessageType::async_device_clear_acknowledge:
    case MessageType::async_lock_info:
    case MessageType::async_lock_info_response:
    case MessageType::async_start_tls:
    case MessageType::async_start_tls_response:
    case MessageType::async_end_tls:
    case MessageType::async_end_tls_response: return true;
    default: return false;
  }
}

bool parse_initialize(const Message& m, InitializeRequest& out) {
  if (!m.header.is(MessageType::initialize) || m.oversized || m.payload.size() > max_sub_address) return false;
  out.version = static_cast<std::uint16_t>(m.header.parameter >> 16);
  out.vendor.assign(1, static_cast<char>((m.header.parameter >> 8) & 0xFF));
  out.vendor += static_cast<char>(m.header.parameter & 0xFF);
  std::string_view text = m.text();
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) return false;
  out.sub_address.assign(text);
  return true;
}

std::uint32_t initialize_parameter(std::uint16_t version, std::string_view vendor) noexcept {
  std::uint32_t a = vendor.size() > 0 ? static_cast<unsigned char>(vendor[0]) : 0;
  std::uint32_t b = vendor.size() > 1 ? static_cast<unsigned char>(vendor[1]) : 0;
  return (std::uint32_t{version} << 16) | (a << 8) | b;
}

namespace {
std::string code_name(std::uint8_t code, std::initializer_list<const char*> names) {
  if (code < names.size()) return names.begin()[code];
  return (code >= 128 ? "device-defined " : "reserved ") + std::to_string(code);
}
}  // namespace

std::string fatal_error_name(std::uint8_t code) {
  return code_name(code, {"unidentified error", "poorly formed message header",
                          "attempt to use connection without both channels established",
                          "invalid initialization sequence",
                          "server refused connection due to maximum number of clients exceeded",
                          "secure connection failed"});
}

std::string error_name(std::uint8_t code) {
  return code_name(code, {"unidentified error", "unrecognized message type", "unrecognized control code",
                          "unrecognized vendor defined message", "message too large", "authentication failed"});
}

status_t error_status(std::uint8_t code) noexcept {
  switch (code) {
    case error::unrecognized_type:
    case error::unrecognized_control:
    case error::unrecognized_vendor: return status::ERROR_NSUP_OPER;
    case error::authentication_failed: return status::ERROR_NPERMISSION;
    default: return status::ERROR_IO;
  }
}

std::uint16_t negotiate_version(std::uint16_t offered, std::uint16_t ours) noexcept {
  std::uint16_t limit = std::min(offered, ours);
  for (std::uint16_t v : {version_2_0, version_1_1, version_1_0})
    if (v <= limit) return v;
  return 0;
}

std::string version_name(std::uint16_t version) {
  return std::to_string(version >> 8) + "." + std::to_string(version & 0xFF);
}

bool parse_initialize_response(const Header& h, InitializeResult& out) noexcept {
  if (!h.is(MessageType::initialize_response)) return false;
  out.prefer_overlap = (h.control & feature_overlap) != 0;
  out.encryption_mandatory = (h.control & feature_encryption_mandatory) != 0;
  out.initial_encryption = (h.control & feature_initial_encryption) != 0;
  out.version = static_cast<std::uint16_t>(h.parameter >> 16);
  out.session_id = static_cast<std::uint16_t>(h.parameter & 0xFFFF);
  return true;
}

std::optional<std::uint64_t> parse_maximum_message_size(const Message& m) noexcept {
  if (m.oversized || m.payload.size() != 8) return std::nullopt;
  return get_be(m.payload.data(), 8);
}

std::array<std::byte, 8> encode_u64(std::uint64_t value) noexcept {
  std::array<std::byte, 8> out{};
  put_be(out.data(), value, 8);
  return out;
}

std::array<std::byte, 4> encode_u32(std::uint32_t value) noexcept {
  std::array<std::byte, 4> out{};
  put_be(out.data(), value, 4);
  return out;
}

std::vector<std::byte> encode_descriptors(std::span<const Descriptor> descriptors) {
  std::vector<std::byte> out;
  for (const Descriptor& d : descriptors) {
    std::size_t n = std::min<std::size_t>(d.data.size(), 0xFFFF);
    std::byte head[3];
    put_be(head, n, 2);
    head[2] = std::byte{d.type};
    out.insert(out.end(), head, head + 3);
    out.insert(out.end(), d.data.begin(), d.data.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return out;
}

bool parse_descriptors(std::span<const std::byte> payload, std::vector<Descriptor>& out) {
  out.clear();
  std::size_t pos = 0;
  while (pos < payload.size()) {
    if (payload.size() - pos < 3) return false;
    auto n = static_cast<std::size_t>(get_be(payload.data() + pos, 2));
    Descriptor d;
    d.type = std::to_integer<std::uint8_t>(payload[pos + 2]);
    pos += 3;
    if (payload.size() - pos < n) return false;
    d.data.assign(payload.begin() + static_cast<std::ptrdiff_t>(pos), payload.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    out.push_back(std::move(d));
  }
  return true;
}

// ---- MessageStream ----

MessageStream::MessageStream(ByteInput& input, std::size_t read_ahead)
    : input_(input), buffer_(std::max<std::size_t>(read_ahead, header_size)) {}

status_t MessageStream::fill(core::Deadline deadline) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (end_ == buffer_.size()) {  // compact (only a partial header can be at the end)
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  std::size_t n = 0;
  status_t st = input_.recv_some(std::span(buffer_).subspan(end_), deadline, n);
  if (st != status::SUCCESS) return st;
  end_ += n;
  return status::SUCCESS;
}

status_t MessageStream::skip_payload(core::Deadline deadline) {
  while (payload_left_ > 0) {
    std::size_t avail = end_ - begin_;
    if (avail == 0) {
      if (status_t st = fill(deadline); st != status::SUCCESS) return st;
      continue;
    }
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(avail, payload_left_));
    begin_ += n;
    payload_left_ -= n;
  }
  return status::SUCCESS;
}

status_t MessageStream::next_header(Header& header, core::Deadline deadline) {
  if (status_t st = skip_payload(deadline); st != status::SUCCESS) return st;
  while (end_ - begin_ < header_size) {
    if (status_t st = fill(deadline); st != status::SUCCESS) return st;
  }
  if (!decode_header(std::span<const std::byte, header_size>(buffer_.data() + begin_, header_size), header))
    return status::ERROR_INV_FMT;
  begin_ += header_size;
  payload_left_ = header.length;
  return status::SUCCESS;
}

status_t MessageStream::read_payload(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count) {
  count = 0;
  if (payload_left_ == 0 || buffer.empty()) return status::SUCCESS;
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), payload_left_));
  std::size_t avail = end_ - begin_;
  if (avail > 0) {
    count = std::min(avail, want);
    std::memcpy(buffer.data(), buffer_.data() + begin_, count);
    begin_ += count;
  } else {
    // Straight into the caller's buffer, never past this payload (the next header stays unread).
    status_t st = input_.recv_some(buffer.first(want), deadline, count);
    if (st != status::SUCCESS) return st;
  }
  payload_left_ -= count;
  return status::SUCCESS;
}

std::vector<std::byte> MessageStream::take_buffered() {
  std::vector<std::byte> out(buffer_.begin() + static_cast<std::ptrdiff_t>(begin_),
                             buffer_.begin() + static_cast<std::ptrdiff_t>(end_));
  begin_ = end_ = 0;
  return out;
}

status_t MessageStream::next_message(Message& m, std::uint64_t max_payload, core::Deadline deadline) {
  m.payload.clear();
  m.oversized = false;
  if (status_t st = next_header(m.header, deadline); st != status::SUCCESS) return st;
  if (m.header.length > max_payload) {
    m.oversized = true;
    return skip_payload(deadline);
  }
  m.payload.resize(static_cast<std::size_t>(m.header.length));
  std::size_t done = 0;
  while (done < m.payload.size()) {
    std::size_t n = 0;
    status_t st = read_payload(std::span(m.payload).subspan(done), deadline, n);
    if (st != status::SUCCESS) return st;
    done += n;
  }
  return status::SUCCESS;
}

// ---- MessageAssembler ----

void MessageAssembler::feed(std::span<const std::byte> bytes) {
  if (broken_) return;
  // Skip what belongs to an oversized payload before it is stored.
  if (skip_ > 0 && begin_ == buffer_.size()) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, bytes.size()));
    skip_ -= n;
    bytes = bytes.subspan(n);
  }
  if (begin_ == buffer_.size()) {
    buffer_.clear();
    begin_ = 0;
  } else if (begin_ > 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(begin_));
    begin_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

MessageAssembler::Next MessageAssembler::next(Message& m) {
  if (broken_) return Next::bad_header;
  if (skip_ > 0) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, buffer_.size() - begin_));
    begin_ += n;
    skip_ -= n;
    if (skip_ > 0) return Next::more;
  }
  const std::size_t avail = buffer_.size() - begin_;
  if (avail < header_size) return Next::more;
  Header h;
  if (!decode_header(std::span<const std::byte, header_size>(buffer_.data() + begin_, header_size), h)) {
    broken_ = true;
    return Next::bad_header;
  }
  m.header = h;
  m.payload.clear();
  m.oversized = h.length > max_payload_;
  if (m.oversized) {
    begin_ += header_size;
    skip_ = h.length;
    return Next::message;
  }
  if (avail - header_size < h.length) return Next::more;
  const auto first = buffer_.begin() + static_cast<std::ptrdiff_t>(begin_ + header_size);
  m.payload.assign(first, first + static_cast<std::ptrdiff_t>(h.length));
  begin_ += header_size + static_cast<std::size_t>(h.length);
  return Next::message;
}

std::vector<std::byte> MessageAssembler::take_buffered() {
  std::vector<std::byte> out(buffer_.begin() + static_cast<std::ptrdiff_t>(begin_), buffer_.end());
  buffer_.clear();
  begin_ = 0;
  return out;
}

}  // namespace cppvisa::hislip
