// DNS messages (RFC 1035 §4) as mDNS/DNS-SD uses them (RFC 6762, RFC 6763): a codec for the
// handful of record types discovery needs (PTR, SRV, TXT, A, AAAA; others are kept as opaque).
//
// Hand-written rather than a library (Avahi is a daemon's client, not a parser of our own
// datagrams, and a resolver library would pull in far more): the codec is small, and the parser
// reads bytes any host on the link may send, so every step is bounded here: names follow at most
// `max_pointer_jumps` compression pointers, each pointing strictly before the label that uses it
// (no loops), names stop at 255 bytes (RFC 1035 §2.3.4), lengths are checked against the datagram,
// and a message yields at most `max_records` records whatever its header claims.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::mdns {

namespace rr_type {
inline constexpr std::uint16_t a = 1;
inline constexpr std::uint16_t ptr = 12;
inline constexpr std::uint16_t txt = 16;
inline constexpr std::uint16_t aaaa = 28;
inline constexpr std::uint16_t srv = 33;
inline constexpr std::uint16_t any = 255;
}  // namespace rr_type

inline constexpr std::uint16_t class_in = 1;
/// RFC 6762 §5.4: in a question, the top bit of the class asks for a unicast response; §10.2: in
/// a record, it is the cache-flush bit. Neither is part of the class.
inline constexpr std::uint16_t class_top_bit = 0x8000;
/// RFC 6762 §17: an mDNS message is at most 9000 bytes.
inline constexpr std::size_t max_message_size = 9000;
/// At most this many questions + records are decoded from one message; the rest is ignored.
inline constexpr std::size_t max_records = 512;
inline constexpr std::size_t max_pointer_jumps = 32;
inline constexpr std::size_t max_name_length = 255;
/// QR bit (response) and AA bit of the header flags.
inline constexpr std::uint16_t flag_response = 0x8000;
inline constexpr std::uint16_t flag_authoritative = 0x0400;

/// A domain name is kept as text: labels joined by '.', a '.' or '\' inside a label escaped with
/// '\' (DNS-SD instance names may contain dots, RFC 6763 §4.3). Compare with same_name().
bool same_name(std::string_view a, std::string_view b) noexcept;
/// One label escaped for the text form.
std::string escape_label(std::string_view label);
/// The first label of a name, unescaped (a DNS-SD instance's name for people).
std::string first_label(std::string_view name);

struct Question {
  std::string name;
  std::uint16_t type = 0;
  std::uint16_t klass = class_in;  ///< with class_top_bit for a unicast-response question
};

struct Record {
  std::string name;
  std::uint16_t type = 0;
  std::uint16_t klass = class_in;  ///< with class_top_bit when the cache-flush bit is set
  std::uint32_t ttl = 0;
  std::string target;              ///< PTR: the pointed name; SRV: the target host
  std::uint16_t priority = 0, weight = 0, port = 0;  ///< SRV
  std::vector<std::string> txt;    ///< TXT: the character strings ("key=value")
  std::array<std::uint8_t, 16> address{};  ///< A (first 4 bytes) / AAAA
  std::vector<std::uint8_t> rdata; ///< other types: the raw data (encode only writes it for them)
};

struct Message {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;
  std::vector<Question> questions;
  std::vector<Record> answers;     ///< answer, authority and additional sections together
};

/// Decodes a message; false when it is malformed (nothing of it should be used then). Records of
/// a class other than IN are skipped; records past max_records are ignored.
bool decode(std::span<const std::byte> data, Message& out);

/// Encodes a message (no name compression; the sections: questions, then every record as an
/// answer). Names are text as above.
std::vector<std::byte> encode(const Message& message);

/// Encodes `message` over as many messages as its records need, each at most `limit` bytes and
/// each with the message's id, flags and questions (RFC 6762 §17: an answer that does not fit one
/// packet goes out in several); a record that does not fit even alone is left out.
std::vector<std::vector<std::byte>> encode_in_parts(const Message& message, std::size_t limit);

/// The value of `key` (case-insensitive, RFC 6763 §6.4) in TXT strings, or empty.
std::string txt_value(const std::vector<std::string>& txt, std::string_view key);

}  // namespace cppvisa::mdns
