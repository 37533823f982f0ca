// net::AddressFilter: the networks a server accepts clients from ("--allow ADDR/PREFIX").
//
// Entries are numeric CIDR networks, IPv4 ("192.168.0.0/16") or IPv6 ("fd00::/8"); a bare
// address is a single host (/32 or /128). An IPv4 address and its IPv4-mapped IPv6 form
// (::ffff:a.b.c.d, RFC 4291 §2.5.5.2, what a dual-stack listener on "::" reports for IPv4
// clients) are the same address here, both as entries and as peers.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::net {

/// A numeric IP address. IPv4-mapped IPv6 addresses are stored as IPv4.
class IpAddress {
 public:
  /// Parses a numeric address ("10.0.0.1", "::1", "::ffff:10.0.0.1"). No names, brackets or
  /// zone ids. std::nullopt when malformed.
  static std::optional<IpAddress> parse(std::string_view text);
  /// From raw network-order bytes (4 for IPv4, 16 for IPv6; anything else gives std::nullopt).
  static std::optional<IpAddress> from_bytes(const std::uint8_t* bytes, std::size_t size);

  bool is_v4() const noexcept { return v4_; }
  /// The address as 16 bytes: IPv4 in its IPv4-mapped IPv6 form.
  const std::array<std::uint8_t, 16>& bytes16() const noexcept { return bytes_; }
  /// Canonical text: dotted quad for IPv4, RFC 5952 form for IPv6.
  std::string to_string() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};  // IPv4 as ::ffff:a.b.c.d
  bool v4_ = false;
};

/// One network: an address and a prefix length (0..32 for IPv4, 0..128 for IPv6).
struct Network {
  IpAddress address;   ///< the network address (no host bits set)
  unsigned prefix = 0;

  /// Parses "ADDR/PREFIX" or a bare "ADDR". On failure returns std::nullopt and, when `error`
  /// is given, says why (e.g. "'10.0.0.1/8': host bits are set (did you mean 10.0.0.0/8?)").
  /// An IPv4-mapped IPv6 network with prefix >= 96 becomes the IPv4 network it covers.
  static std::optional<Network> parse(std::string_view text, std::string* error = nullptr);
  /// Whether `peer` is inside. An IPv6 network also contains the IPv4 addresses whose mapped
  /// form it covers ("::/0" is everyone); an IPv4 network contains no native IPv6 address.
  bool contains(const IpAddress& peer) const noexcept;
  /// Canonical "ADDR/PREFIX" (parse() of it gives this network back).
  std::string to_string() const;

  friend bool operator==(const Network&, const Network&) = default;
};

/// An allow list. Empty allows everyone; otherwise a peer must be inside one of the networks.
class AddressFilter {
 public:
  /// Adds one "ADDR/PREFIX" or "ADDR" entry. False (filter unchanged) when malformed, with the
  /// reason in `error` when given.
  bool add(std::string_view entry, std::string* error = nullptr);
  /// Adds a network already parsed.
  void add(const Network& network) { networks_.push_back(network); }

  bool empty() const noexcept { return networks_.empty(); }
  const std::vector<Network>& networks() const noexcept { return networks_; }

  /// Whether a client at `peer` may connect.
  bool allows(const IpAddress& peer) const noexcept;
  /// The same for a numeric host as net::Endpoint holds it. A host that is not a numeric
  /// address is refused unless the filter is empty.
  bool allows(std::string_view peer_host) const;

  /// The entries in canonical form, comma separated ("" when empty).
  std::string to_string() const;

 private:
  std::vector<Network> networks_;
};

}  // namespace cppvisa::net
