#include "protocols/net/address_filter.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>

namespace cppvisa::net {

namespace {

// Longer than any numeric address with a prefix ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128"
// is 49 characters): anything beyond is rejected before it is copied.
constexpr std::size_t max_entry_length = 64;

constexpr std::array<std::uint8_t, 12> mapped_prefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

bool is_address_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':';
}

// The entry as it can be shown in an error text: quoted, non-printable bytes escaped.
std::string quoted(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "'";
  for (char c : text.substr(0, max_entry_length)) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && c != '\'' && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xF];
    }
  }
  if (text.size() > max_entry_length) out += "...";
  return out + "'";
}

void set_error(std::string* error, std::string_view entry, std::string_view why) {
  if (error) *error = quoted(entry) + ": " + std::string(why);
}

// Whether the first `prefix` bits of a and b agree.
bool same_prefix(const std::uint8_t* a, const std::uint8_t* b, unsigned prefix) {
  unsigned full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a, b, full) != 0) return false;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

// Clears every bit after the first `prefix` of `bytes` (of `size` bytes).
void mask_host_bits(std::uint8_t* bytes, std::size_t size, unsigned prefix) {
  for (std::size_t i = 0; i < size; ++i) {
    unsigned bit = static_cast<unsigned>(i) * 8;
    if (bit >= prefix) {
      bytes[i] = 0;
    } else if (prefix - bit < 8) {
      bytes[i] &= static_cast<std::uint8_t>(0xFF << (8 - (prefix - bit)));
    }
  }
}

}  // namespace

// ---- IpAddress ----

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > max_entry_length) return std::nullopt;
  for (char c : text)
    if (!is_address_char(c)) return std::nullopt;  // also keeps NULs away from inet_pton
  std::string z(text);
  std::uint8_t raw[16];
  if (z.find(':') == std::string::npos) {
    if (::inet_pton(AF_INET, z.c_str(), raw) != 1) return std::nullopt;
    return from_bytes(raw, 4);
  }
  if (::inet_pton(AF_INET6, z.c_str(), raw) != 1) return std::nullopt;
  return from_bytes(raw, 16);
}

std::optional<IpAddress> IpAddress::from_bytes(const std::uint8_t* bytes, std::size_t size) {
  IpAddress a;
  if (size == 4) {
    std::memcpy(a.bytes_.data(), mapped_prefix.data(), mapped_prefix.size());
    std::memcpy(a.bytes_.data() + 12, bytes, 4);
    a.v4_ = true;
    return a;
  }
  if (size != 16) return std::nullopt;
  std::memcpy(a.bytes_.data(), bytes, 16);
  a.v4_ = std::memcmp(bytes, mapped_prefix.data(), mapped_prefix.size()) == 0;
  return a;
}

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (v4_)
    ::inet_ntop(AF_INET, bytes_.data() + 12, text, sizeof text);
  else
    ::inet_ntop(AF_INET6, bytes_.data(), text, sizeof text);
  return text;
}

// ---- Network ----

std::optional<Network> Network::parse(std::string_view text, std::string* error) {
  if (text.empty()) {
    set_error(error, text, "empty (expected ADDR/PREFIX, e.g. 192.168.1.0/24 or fd00::/8)");
    return std::nullopt;
  }
  if (text.size() > max_entry_length) {
    set_error(error, text, "too long for a numeric address with a prefix length");
    return std::nullopt;
  }
  auto slash = text.find('/');
  std::string_view addr_text = text.substr(0, slash);
  std::optional<std::string_view> prefix_text;
  if (slash != std::string_view::npos) prefix_text = text.substr(slash + 1);

  if (addr_text.empty()) {
    set_error(error, text, "missing address before '/'");
    return std::nullopt;
  }
  if (addr_text.front() == '[') {
    set_error(error, text, "write IPv6 addresses without brackets (e.g. fd00::/8)");
    return std::nullopt;
  }
  for (char c : addr_text) {
    if (c == '%') {
      set_error(error, text, "zone ids (%...) are not supported in an allow list");
      return std::nullopt;
    }
    if (!is_address_char(c)) {
      set_error(error, text, "not a numeric IPv4 or IPv6 address (host names are not accepted)");
      return std::nullopt;
    }
  }
  auto address = IpAddress::parse(addr_text);
  if (!address) {
    set_error(error, text, addr_text.find(':') == std::string_view::npos ? "not a valid IPv4 address"
                                                                          : "not a valid IPv6 address");
    return std::nullopt;
  }
  // A mapped IPv4 address written in IPv6 form counts in IPv6 bits (96 + the IPv4 prefix).
  const bool written_v6 = addr_text.find(':') != std::string_view::npos;
  const unsigned max_prefix = written_v6 ? 128 : 32;
  unsigned prefix = max_prefix;
  if (prefix_text) {
    if (prefix_text->empty()) {
      set_error(error, text, "missing prefix length after '/'");
      return std::nullopt;
    }
    if (prefix_text->size() > 3) {
      set_error(error, text, "prefix length must be 0.." + std::to_string(max_prefix));
      return std::nullopt;
    }
    prefix = 0;
    for (char c : *prefix_text) {
      if (c < '0' || c > '9') {
        set_error(error, text, "prefix length must be a decimal number 0.." + std::to_string(max_prefix));
        return std::nullopt;
      }
      prefix = prefix * 10 + static_cast<unsigned>(c - '0');
    }
    if (prefix > max_prefix) {
      set_error(error, text, "prefix length must be 0.." + std::to_string(max_prefix));
      return std::nullopt;
    }
  }
  // Work in 16-byte form: an IPv4 prefix p covers bits 96 + p of the mapped address.
  unsigned prefix16 = written_v6 ? prefix : 96 + prefix;
  std::array<std::uint8_t, 16> masked = address->bytes16();
  mask_host_bits(masked.data(), masked.size(), prefix16);
  // A network whose address is IPv4-mapped always has prefix16 >= 96 here (a shorter prefix
  // would clear bits of the ::ffff: marker, caught as host bits): it is the IPv4 network.
  auto as_network = [](const std::array<std::uint8_t, 16>& bytes, unsigned bits) {
    Network n;
    n.address = *IpAddress::from_bytes(bytes.data(), bytes.size());
    n.prefix = n.address.is_v4() ? bits - 96 : bits;
    return n;
  };
  if (masked != address->bytes16()) {
    // Refused rather than masked: "10.0.0.1/8" is more often a typo than a way to write 10.0.0.0/8.
    set_error(error, text, "host bits are set (did you mean " + as_network(masked, prefix16).to_string() + "?)");
    return std::nullopt;
  }
  return as_network(masked, prefix16);
}

bool Network::contains(const IpAddress& peer) const noexcept {
  if (address.is_v4()) return peer.is_v4() && same_prefix(address.bytes16().data() + 12, peer.bytes16().data() + 12, prefix);
  // An IPv6 network: IPv4 peers take part in their mapped form (so ::/0 is everyone).
  return same_prefix(address.bytes16().data(), peer.bytes16().data(), prefix);
}

std::string Network::to_string() const {
  if (address.is_v4()) return address.to_string() + "/" + std::to_string(prefix);
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, address.bytes16().data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(prefix);
}

// ---- AddressFilter ----

bool AddressFilter::add(std::string_view entry, std::string* error) {
  auto n = Network::parse(entry, error);
  if (!n) return false;
  networks_.push_back(*n);
  return true;
}

bool AddressFilter::allows(const IpAddress& peer) const noexcept {
  if (networks_.empty()) return true;
  for (const Network& n : networks_)
    if (n.contains(peer)) return true;
  return false;
}

bool AddressFilter::allows(std::string_view peer_host) const {
  if (networks_.empty()) return true;
  auto peer = IpAddress::parse(peer_host);
  return peer && allows(*peer);
}

std::string AddressFilter::to_string() const {
  std::string out;
  for (const Network& n : networks_) {
    if (!out.empty()) out += ", ";
    out += n.to_string();
  }
  return out;
}

}  // namespace cppvisa::net
