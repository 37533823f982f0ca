// HiSLIP wire format (IVI-6.1 rev 1.1 / 2.0, protocol versions 1.0, 1.1 and 2.0): the 16-byte
// message header, message types, error codes, MessageID rules, and a message stream that frames
// messages from any byte input with strict bounds.
//
// Hand-written: the header is 16 fixed bytes read for every message (small and hot).
// A peer controls a 64-bit payload length: nothing here sizes a buffer from it beyond the limit
// the caller gives; longer payloads are skipped (MessageStream::next_message) or streamed
// (read_payload) so that the stream stays in sync.
#pragma once

#include "core/deadline.hpp"

#include <cppvisa/status.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::hislip {

inline constexpr std::uint16_t default_port = 4880;  ///< IANA port for HiSLIP
inline constexpr std::size_t header_size = 16;
/// Protocol versions (major in the high byte, minor in the low byte; IVI-6.1 §6.1: the version
/// travels in the upper 16 bits of Initialize and InitializeResponse).
inline constexpr std::uint16_t version_1_0 = 0x0100;
inline constexpr std::uint16_t version_1_1 = 0x0101;
inline constexpr std::uint16_t version_2_0 = 0x0200;
/// The highest version cppvisa speaks: what the client offers and the server accepts by default.
inline constexpr std::uint16_t protocol_version = version_2_0;
/// The version two peers speak: the highest version cppvisa knows (1.0, 1.1, 2.0) that is at
/// most both `offered` and `ours` (a 1.5 offer gets 1.1, a 3.0 offer 2.0). 0 when below 1.0.
std::uint16_t negotiate_version(std::uint16_t offered, std::uint16_t ours) noexcept;
/// "1.0", "2.0", "0.9".
std::string version_name(std::uint16_t version);
/// The first MessageID a client uses after initialization and after every device clear (§3.5).
inline constexpr std::uint32_t initial_message_id = 0xFFFFFF00u;
/// "Last sent" MessageID before anything was sent (initial_message_id - 2).
inline constexpr std::uint32_t no_message_id = 0xFFFFFEFEu;
/// Data from a server that does not know which client message it answers.
inline constexpr std::uint32_t unknown_message_id = 0xFFFFFFFFu;
/// Longest sub-address in Initialize (IVI-6.1 §6.1: 256 characters).
inline constexpr std::size_t max_sub_address = 256;
/// Longest Error/FatalError text kept (the rest is skipped).
inline constexpr std::size_t max_error_text = 1024;
/// The largest asynchronous-channel payload either side accepts: lock strings, sizes, error texts.
inline constexpr std::uint64_t max_async_payload = 4096;

/// Message types (IVI-6.1 Table 4).
enum class MessageType : std::uint8_t {
  initialize = 0,
  initialize_response = 1,
  fatal_error = 2,
  error = 3,
  async_lock = 4,
  async_lock_response = 5,
  data = 6,
  data_end = 7,
  device_clear_complete = 8,
  device_clear_acknowledge = 9,
  async_remote_local_control = 10,
  async_remote_local_response = 11,
  trigger = 12,
  interrupted = 13,
  async_interrupted = 14,
  async_maximum_message_size = 15,
  async_maximum_message_size_response = 16,
  async_initialize = 17,
  async_initialize_response = 18,
  async_device_clear = 19,
  async_service_request = 20,
  async_status_query = 21,
  async_status_response = 22,
  async_device_clear_acknowledge = 23,
  async_lock_info = 24,
  async_lock_info_response = 25,
  get_descriptors = 26,
  get_descriptors_response = 27,
  start_tls = 28,
  async_start_tls = 29,
  async_start_tls_response = 30,
  end_tls = 31,
  async_end_tls = 32,
  async_end_tls_response = 33,
  get_sasl_mechanism_list = 34,
  get_sasl_mechanism_list_response = 35,
  authentication_start = 36,
  authentication_exchange = 37,
  authentication_result = 38,
};
inline constexpr std::uint8_t first_vendor_specific = 128;

/// A readable name ("DataEnd", "VendorSpecific(200)", "Reserved(50)").
std::string message_type_name(std::uint8_t type);

/// FatalError codes (the connection closes after one).
namespace fatal {
inline constexpr std::uint8_t unidentified = 0;
inline constexpr std::uint8_t bad_header = 1;
inline constexpr std::uint8_t channels_not_established = 2;
inline constexpr std::uint8_t invalid_init_sequence = 3;
inline constexpr std::uint8_t too_many_clients = 4;
inline constexpr std::uint8_t secure_connection_failed = 5;
}  // namespace fatal

/// Error codes (non-fatal: the errant message is discarded).
namespace error {
inline constexpr std::uint8_t unidentified = 0;
inline constexpr std::uint8_t unrecognized_type = 1;
inline constexpr std::uint8_t unrecognized_control = 2;
inline constexpr std::uint8_t unrecognized_vendor = 3;
inline constexpr std::uint8_t message_too_large = 4;
inline constexpr std::uint8_t authentication_failed = 5;
}  // namespace error

/// "poorly formed message header" ... (IVI-6.1 Table 7); "device-defined 200", "reserved 9".
std::string fatal_error_name(std::uint8_t code);
/// "unrecognized message type" ... (IVI-6.1 Table 8); "device-defined 200", "reserved 9".
std::string error_name(std::uint8_t code);
/// The VISA status of an Error a peer sent about something we sent: unrecognized type, control
/// code or vendor message -> VI_ERROR_NSUP_OPER (the peer does not do it); authentication failed
/// -> VI_ERROR_NPERMISSION; anything else (unidentified, too large, device-defined) -> VI_ERROR_IO.
status_t error_status(std::uint8_t code) noexcept;

/// Control-code bits.
inline constexpr std::uint8_t rmt_delivered = 0x01;   ///< Data, DataEnd, Trigger, AsyncStatusQuery
inline constexpr std::uint8_t feature_overlap = 0x01;  ///< InitializeResponse, device-clear features
/// 2.0, InitializeResponse and device-clear features: the server requires encryption.
inline constexpr std::uint8_t feature_encryption_mandatory = 0x02;
/// 2.0, InitializeResponse and device-clear features: encryption before any other traffic.
inline constexpr std::uint8_t feature_initial_encryption = 0x04;
/// 2.0, AsyncInitializeResponse control code: the server offers secure connections.
inline constexpr std::uint8_t secure_connection_capable = 0x01;

/// AsyncLock control codes and AsyncLockResponse values.
namespace lock {
inline constexpr std::uint8_t release = 0;
inline constexpr std::uint8_t request = 1;
inline constexpr std::uint8_t fail = 0;               ///< request: timed out
inline constexpr std::uint8_t success = 1;            ///< request granted / exclusive released
inline constexpr std::uint8_t success_shared = 2;     ///< shared lock released
inline constexpr std::uint8_t error = 3;              ///< redundant request / nothing to release
}  // namespace lock

/// AsyncRemoteLocalControl request codes (IVI-6.1 §6.13; VISA viGpibControlREN modes 0..6).
namespace remote_local {
inline constexpr std::uint8_t disable_remote = 0;
inline constexpr std::uint8_t enable_remote = 1;
inline constexpr std::uint8_t disable_remote_gtl = 2;
inline constexpr std::uint8_t enable_remote_goto_remote = 3;
inline constexpr std::uint8_t enable_remote_llo = 4;
inline constexpr std::uint8_t enable_remote_goto_remote_llo = 5;
inline constexpr std::uint8_t gtl = 6;
}  // namespace remote_local

/// The 16-byte header: "HS", type, control code, message parameter, payload length (big-endian).
struct Header {
  std::uint8_t type = 0;
  std::uint8_t control = 0;
  std::uint32_t parameter = 0;
  std::uint64_t length = 0;

  MessageType message_type() const noexcept { return static_cast<MessageType>(type); }
  bool is(MessageType t) const noexcept { return type == static_cast<std::uint8_t>(t); }
};

/// A header for `type` (the payload length is set by whoever sends the payload).
inline Header make_header(MessageType type, std::uint8_t control = 0, std::uint32_t parameter = 0,
                          std::uint64_t length = 0) {
  return Header{static_cast<std::uint8_t>(type), control, parameter, length};
}

void encode_header(const Header& h, std::span<std::byte, header_size> out) noexcept;
std::array<std::byte, header_size> encode_header(const Header& h) noexcept;
/// Decodes permissively (any type, any control code, any length) so that a receiver can skip
/// what it does not want; false only when the prologue is not "HS" (FatalError 1).
bool decode_header(std::span<const std::byte, header_size> in, Header& h) noexcept;

/// Whether `type` travels on the asynchronous channel (IVI-6.1 Table 4, with DeviceClearAcknowledge
/// on the synchronous channel as every implementation does).
bool is_async_type(std::uint8_t type) noexcept;

/// A whole message whose payload fitted the receiver's limit.
struct Message {
  Header header;
  std::vector<std::byte> payload;
  bool oversized = false;  ///< the payload exceeded the limit and was skipped (payload empty)

  std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(payload.data()), payload.size()};
  }
};

// ---- typed views of messages (validation of peer input) ----

/// Initialize (client -> server): version, vendor ID, sub-address.
struct InitializeRequest {
  std::uint16_t version = 0;
  std::string vendor;        ///< 2 characters
  std::string sub_address;   ///< may be empty (the default device)
};
/// False when not an Initialize, the sub-address is too long or not printable ASCII.
bool parse_initialize(const Message& m, InitializeRequest& out);
/// The Initialize parameter: version << 16 | vendor ID (2 ASCII characters).
std::uint32_t initialize_parameter(std::uint16_t version, std::string_view vendor) noexcept;

/// InitializeResponse (server -> client).
struct InitializeResult {
  bool prefer_overlap = false;
  bool encryption_mandatory = false;  ///< 2.0 (control bit 1)
  bool initial_encryption = false;    ///< 2.0 (control bit 2)
  std::uint16_t version = 0;
  std::uint16_t session_id = 0;
};
bool parse_initialize_response(const Header& h, InitializeResult& out) noexcept;

/// The 8-byte big-endian size of AsyncMaximumMessageSize(/Response); nullopt when malformed.
std::optional<std::uint64_t> parse_maximum_message_size(const Message& m) noexcept;

/// One descriptor of GetDescriptorsResponse (2.0): {u16 length N, u8 type, N bytes}.
struct Descriptor {
  std::uint8_t type = 0;  ///< 0 TLS versions, 1 TLS information, 2 TLS last error, 128+ vendor
  std::vector<std::byte> data;
};
/// Descriptor types (IVI-6.1 2.0 §6.2).
namespace descriptor {
inline constexpr std::uint8_t tls_versions = 0;
inline constexpr std::uint8_t tls_information = 1;
inline constexpr std::uint8_t tls_last_error = 2;
}  // namespace descriptor
/// The payload of GetDescriptorsResponse.
std::vector<std::byte> encode_descriptors(std::span<const Descriptor> descriptors);
/// False when a descriptor's length runs past the payload.
bool parse_descriptors(std::span<const std::byte> payload, std::vector<Descriptor>& out);
std::array<std::byte, 8> encode_u64(std::uint64_t value) noexcept;
/// 4 bytes big-endian (the MessageID payload of AsyncStartTLS / AsyncEndTLS).
std::array<std::byte, 4> encode_u32(std::uint32_t value) noexcept;

/// The byte source a MessageStream reads from (a socket, or memory in tests and fuzzing).
class ByteInput {
 public:
  virtual ~ByteInput() = default;
  /// Receives 1..buffer.size() bytes; ERROR_TMO, ERROR_CONN_LOST (peer closed), ERROR_ABORT...
  virtual status_t recv_some(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count) = 0;
};

/// Frames HiSLIP messages from a ByteInput. A timeout never loses sync: a partly received header
/// stays buffered, a partly read payload continues with the next read_payload().
class MessageStream {
 public:
  explicit MessageStream(ByteInput& input, std::size_t read_ahead = 16 * 1024);

  /// Skips what is left of the current payload, then waits for the next header.
  /// Returns SUCCESS, the input's error, or ERROR_INV_FMT when the prologue is wrong (the stream
  /// is then unusable: send FatalError 1 and close).
  status_t next_header(Header& header, core::Deadline deadline);
  /// Payload bytes of the current message not read yet.
  std::uint64_t payload_left() const noexcept { return payload_left_; }
  /// Reads 1..min(buffer.size(), payload_left()) payload bytes (0 when payload_left() is 0).
  status_t read_payload(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count);
  /// Discards the rest of the current payload.
  status_t skip_payload(core::Deadline deadline);
  /// next_header + the whole payload when it is at most `max_payload` bytes, else the payload is
  /// skipped and `m.oversized` set. Not resumable after a timeout in the middle of the payload:
  /// use it without a deadline (server channels, the client's async reader) or close on timeout.
  status_t next_message(Message& m, std::uint64_t max_payload, core::Deadline deadline);
  /// Takes the bytes read ahead past the current message (the start of a TLS handshake that
  /// followed StartTLS): the stream forgets them. Only between messages (payload_left() == 0).
  std::vector<std::byte> take_buffered();

 private:
  status_t fill(core::Deadline deadline);  // receives more bytes into the read-ahead buffer
  ByteInput& input_;
  std::vector<std::byte> buffer_;
  std::size_t begin_ = 0, end_ = 0;  // unread bytes are buffer_[begin_, end_)
  std::uint64_t payload_left_ = 0;
};

/// Assembles messages from bytes as they arrive, for a reader that must never wait for the rest of
/// a message: the client's asynchronous channel is read in core::Reactor callbacks, where a server
/// that trickles a message must hold no thread. Hand-written beside MessageStream (which pulls from
/// a blocking input) because it is the same small framing turned inside out.
/// Memory: the bytes of one partial message (at most header_size + max_payload) plus what the
/// last feed() brought; a payload longer than `max_payload` is skipped as it arrives, never stored.
class MessageAssembler {
 public:
  explicit MessageAssembler(std::uint64_t max_payload) : max_payload_(max_payload) {}

  /// What next() found.
  enum class Next {
    message,     ///< `m` holds the next message (oversized: header only, its payload is skipped)
    more,        ///< no whole message yet: feed() more bytes
    bad_header,  ///< the prologue is not "HS": the stream is out of step (FatalError 1, close)
  };
  /// Takes bytes received from the channel.
  void feed(std::span<const std::byte> bytes);
  /// The next whole message, in order. After bad_header every later call says bad_header too.
  Next next(Message& m);
  /// Takes the bytes received past the last message returned (the start of a TLS handshake that
  /// followed AsyncStartTLSResponse). Only between messages, with no oversized payload being skipped.
  std::vector<std::byte> take_buffered();

 private:
  std::uint64_t max_payload_;
  std::vector<std::byte> buffer_;
  std::size_t begin_ = 0;   // buffer_[begin_, size) not consumed yet
  std::uint64_t skip_ = 0;  // payload bytes of an oversized message still to drop
  bool broken_ = false;
};

}  // namespace cppvisa::hislip
