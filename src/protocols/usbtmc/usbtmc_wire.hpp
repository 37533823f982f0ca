// usbtmc wire: the framing of USBTMC 1.0 and its USB488 subclass (USB-IF "Universal Serial Bus
// Test and Measurement Class" 1.0 and "USB488 Subclass" 1.0).
//
// Hand-written because it is small and hot (every transfer): 12-byte Bulk-OUT / Bulk-IN headers,
// all multi-byte fields little-endian, 4-byte alignment padding after the data, the class
// control requests and their responses, and the USB488 interrupt-IN notifications. Every parser
// of device bytes here checks what the Linux usbtmc driver checks and more, and reports a reason;
// nothing here allocates more than the caller asks for.
#pragma once

#include <cppvisa/status.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace cppvisa::usbtmc {

/// Size of every Bulk-OUT and Bulk-IN header (USBTMC 1.0 §3.2, §3.3).
inline constexpr std::size_t header_size = 12;

/// MsgID values (USBTMC 1.0 Table 2; USB488 Table 2).
namespace msg {
inline constexpr std::uint8_t dev_dep_msg_out = 1;
inline constexpr std::uint8_t request_dev_dep_msg_in = 2;
inline constexpr std::uint8_t dev_dep_msg_in = 2;
inline constexpr std::uint8_t vendor_specific_out = 126;
inline constexpr std::uint8_t request_vendor_specific_in = 127;
inline constexpr std::uint8_t vendor_specific_in = 127;
inline constexpr std::uint8_t trigger = 128;  // USB488 §3.2.1.1
}  // namespace msg

/// Class-specific bRequest codes (USBTMC 1.0 Table 15; USB488 Table 9).
namespace request {
inline constexpr std::uint8_t initiate_abort_bulk_out = 1;
inline constexpr std::uint8_t check_abort_bulk_out_status = 2;
inline constexpr std::uint8_t initiate_abort_bulk_in = 3;
inline constexpr std::uint8_t check_abort_bulk_in_status = 4;
inline constexpr std::uint8_t initiate_clear = 5;
inline constexpr std::uint8_t check_clear_status = 6;
inline constexpr std::uint8_t get_capabilities = 7;
inline constexpr std::uint8_t indicator_pulse = 64;
inline constexpr std::uint8_t read_status_byte = 128;  // USB488
inline constexpr std::uint8_t ren_control = 160;       // USB488
inline constexpr std::uint8_t go_to_local = 161;       // USB488
inline constexpr std::uint8_t local_lockout = 162;     // USB488
}  // namespace request

/// USBTMC_status values of control responses (USBTMC 1.0 Table 16; USB488 Table 10).
namespace ctrl_status {
inline constexpr std::uint8_t success = 0x01;
inline constexpr std::uint8_t pending = 0x02;
inline constexpr std::uint8_t interrupt_in_busy = 0x20;  // USB488
inline constexpr std::uint8_t failed = 0x80;
inline constexpr std::uint8_t transfer_not_in_progress = 0x81;
inline constexpr std::uint8_t split_not_in_progress = 0x82;
inline constexpr std::uint8_t split_in_progress = 0x83;
}  // namespace ctrl_status

/// bmRequestType of the class requests: device-to-host, class, to the interface or the endpoint.
inline constexpr std::uint8_t request_type_in_interface = 0xA1;
inline constexpr std::uint8_t request_type_in_endpoint = 0xA2;

/// The USB standard request CLEAR_FEATURE(ENDPOINT_HALT) (USB 2.0 §9.4.1).
inline constexpr std::uint8_t std_request_clear_feature = 1;
inline constexpr std::uint16_t feature_endpoint_halt = 0;

/// Interface class codes (USBTMC 1.0 §4.2.1.1 / USB488 §4.2.2).
inline constexpr std::uint8_t interface_class = 0xFE;
inline constexpr std::uint8_t interface_subclass = 0x03;
inline constexpr std::uint8_t protocol_usbtmc = 0x00;
inline constexpr std::uint8_t protocol_usb488 = 0x01;

/// Bulk-OUT bTag: 1..255, incremented for every Bulk-OUT header, 255 wraps to 1, never 0
/// (USBTMC 1.0 §3.2 Table 1: "The Host must set bTag such that 1<=bTag<=255").
class TagCounter {
 public:
  /// The next tag (the first call returns 1).
  std::uint8_t next() noexcept {
    last_ = last_ == 255 ? 1 : static_cast<std::uint8_t>(last_ + 1);
    return last_;
  }
  /// The tag most recently returned (0 before the first).
  std::uint8_t last() const noexcept { return last_; }

 private:
  std::uint8_t last_ = 0;
};

/// READ_STATUS_BYTE bTag: 2..127 (USB488 §4.3.1.1: 1 would be the SRQ notification code).
class StbTagCounter {
 public:
  std::uint8_t next() noexcept {
    last_ = (last_ < 2 || last_ >= 127) ? 2 : static_cast<std::uint8_t>(last_ + 1);
    return last_;
  }

 private:
  std::uint8_t last_ = 0;
};

/// Bytes of alignment padding after `n` data bytes (the transfer is a multiple of 4; USBTMC 1.0 §3.2).
constexpr std::size_t padding(std::size_t n) noexcept { return (4 - n % 4) % 4; }

/// Appends one DEV_DEP_MSG_OUT transfer to `out`: header (bTag, ~bTag, TransferSize = data size,
/// EOM when `eom`), data, 0-3 zero bytes. data.size() must be below 2^32.
void append_dev_dep_msg_out(std::vector<std::byte>& out, std::uint8_t tag, std::span<const std::byte> data, bool eom);
/// The header alone of a DEV_DEP_MSG_OUT transfer.
std::array<std::byte, header_size> dev_dep_msg_out_header(std::uint8_t tag, std::uint32_t size, bool eom) noexcept;
/// REQUEST_DEV_DEP_MSG_IN: up to `max_size` bytes; with `termchar`, TermCharEnabled and TermChar
/// (only when GET_CAPABILITIES says the device supports it, USBTMC 1.0 §3.2.1.2 Table 4).
std::array<std::byte, header_size> request_dev_dep_msg_in(std::uint8_t tag, std::uint32_t max_size,
                                                         std::optional<std::byte> termchar) noexcept;
/// The USB488 TRIGGER message (USB488 §3.2.1.1 Table 3).
std::array<std::byte, header_size> trigger_message(std::uint8_t tag) noexcept;

/// Why a Bulk-IN header was refused.
enum class HeaderError {
  none,
  truncated,        ///< fewer than 12 bytes in the first packet
  wrong_msg_id,     ///< MsgID not DEV_DEP_MSG_IN (or VENDOR_SPECIFIC_IN when that was asked)
  bad_tag_inverse,  ///< bTagInverse is not the one's complement of bTag
  wrong_tag,        ///< bTag is not the request's
  oversize,         ///< TransferSize larger than the request asked for
  reserved_bits,    ///< byte 3 not zero (reserved) — only reported in strict mode
};
std::string_view to_string(HeaderError e) noexcept;

/// A parsed Bulk-IN header (USBTMC 1.0 §3.3.1 Table 9).
struct BulkInHeader {
  std::uint8_t msg_id = 0;
  std::uint8_t tag = 0;
  std::uint32_t transfer_size = 0;  ///< data bytes in this transfer, excluding header and padding
  bool eom = false;                 ///< D0: the last data byte ends the message
  bool termchar = false;            ///< D1: the last data byte is the termination character
};

/// How strict the parser is (quirks of real devices relax it, see usbtmc_quirks.hpp).
struct HeaderChecks {
  bool check_tag = true;        ///< refuse a bTag different from the request's
  bool check_msg_id = true;     ///< refuse a MsgID other than `expected_msg_id`
  bool check_reserved = false;  ///< refuse a non-zero reserved byte 3
  std::uint8_t expected_msg_id = msg::dev_dep_msg_in;
};

/// Parses the Bulk-IN header at the start of `data` (the first packet of a transfer) answering a
/// request with `expected_tag` for at most `requested` bytes. Returns HeaderError::none and
/// fills `out` when every check passes.
HeaderError parse_bulk_in_header(std::span<const std::byte> data, std::uint8_t expected_tag, std::uint32_t requested,
                                 BulkInHeader& out, const HeaderChecks& checks = {}) noexcept;

/// GET_CAPABILITIES response (USBTMC 1.0 §4.2.1.8 Table 37; USB488 §4.2.2 Table 8).
struct Capabilities {
  std::uint16_t bcd_usbtmc = 0;
  bool indicator_pulse = false;  ///< interface caps D2
  bool talk_only = false;        ///< interface caps D1
  bool listen_only = false;      ///< interface caps D0
  bool termchar = false;         ///< device caps D0: can end a Bulk-IN transfer on TermChar
  bool has_usb488 = false;       ///< the response had the USB488 part (>= 16 bytes)
  std::uint16_t bcd_usb488 = 0;
  bool usb4882 = false;          ///< USB488 interface caps D2: a USB488.2 interface
  bool ren_control = false;      ///< USB488 interface caps D1: REN_CONTROL, GO_TO_LOCAL, LOCAL_LOCKOUT
  bool trigger = false;          ///< USB488 interface caps D0: TRIGGER
  bool scpi = false;             ///< USB488 device caps D3
  bool sr1 = false;              ///< USB488 device caps D2: service request capable
  bool rl1 = false;              ///< USB488 device caps D1: remote/local
  bool dt1 = false;              ///< USB488 device caps D0: device trigger
};

/// Parses a GET_CAPABILITIES response. VI_SUCCESS; VI_ERROR_IO when shorter than the 6 bytes of
/// the USBTMC part or USBTMC_status is not SUCCESS. Bits are read where the USB488 spec puts
/// them (bytes 14 and 15, as the Linux driver and pyvisa-py; python-usbtmc reads byte 4).
status_t parse_capabilities(std::span<const std::byte> data, Capabilities& out) noexcept;

/// Responses to the abort/clear/status control requests, checked for length.
struct InitiateResponse {   ///< INITIATE_ABORT_BULK_OUT/IN: status, bTag
  std::uint8_t status = 0;
  std::uint8_t tag = 0;
};
struct CheckAbortResponse {  ///< CHECK_ABORT_BULK_OUT/IN_STATUS: status, [bmAbortBulkIn], NBYTES
  std::uint8_t status = 0;
  bool more_data = false;  ///< Bulk-IN only: bmAbortBulkIn D0 (the FIFO still holds data)
  std::uint32_t nbytes = 0;
};
struct CheckClearResponse {  ///< CHECK_CLEAR_STATUS: status, bmClear
  std::uint8_t status = 0;
  bool more_data = false;  ///< bmClear D0: the Bulk-IN FIFO holds data to drain
};
struct StatusByteResponse {  ///< USB488 READ_STATUS_BYTE: status, bTag, STB
  std::uint8_t status = 0;
  std::uint8_t tag = 0;
  std::uint8_t stb = 0;
};

/// Each returns false when `data` is shorter than the response's length.
bool parse_initiate(std::span<const std::byte> data, InitiateResponse& out) noexcept;
bool parse_check_abort(std::span<const std::byte> data, CheckAbortResponse& out) noexcept;
bool parse_check_clear(std::span<const std::byte> data, CheckClearResponse& out) noexcept;
bool parse_status_byte(std::span<const std::byte> data, StatusByteResponse& out) noexcept;

/// A USB488 interrupt-IN notification (USB488 §3.4): 0x81 = SRQ with the STB, 0x80|bTag = the
/// answer to READ_STATUS_BYTE bTag (2..127). Others (vendor-specific, bit 7 clear) are `other`.
struct Notification {
  enum Kind { srq, status_byte, other } kind = other;
  std::uint8_t tag = 0;  ///< for status_byte
  std::uint8_t stb = 0;
};
/// Parses an interrupt-IN packet; false when shorter than 2 bytes.
bool parse_notification(std::span<const std::byte> data, Notification& out) noexcept;

/// Little-endian helpers.
inline std::uint32_t load_le32(const std::byte* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
inline void store_le32(std::byte* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}

}  // namespace cppvisa::usbtmc
