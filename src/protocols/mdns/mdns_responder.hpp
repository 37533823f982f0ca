// An mDNS/DNS-SD responder of our own (RFC 6762, RFC 6763) for the services a gateway serves: it
// answers PTR, SRV, TXT and A/AAAA questions about them on every multicast interface, IPv4 and
// IPv6, with the addresses of the interface the question came in on; by unicast to a query's
// source port when that is not 5353 (RFC 6762 §6.7, legacy unicast: one-shot queriers such as
// cppvisa's own browse), by multicast otherwise (Avahi, Bonjour, liblxi through them). It announces
// every record when it starts (twice, one second apart, RFC 6762 §8.3) and says goodbye (TTL 0,
// §10.1) when it stops, so that caches learn and forget the gateway at once. It does not probe
// (§8.1): the gateway uses it only when no Avahi daemon answers (avahi_publish.hpp), and its names
// are the host's own and the instances' names that include it.
#pragma once

#include <cppvisa/status.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cppvisa::mdns {

/// One advertised service instance.
struct Service {
  std::string type;      ///< "_hislip._tcp", "_vxi-11._tcp", "_scpi-raw._tcp" ...
  std::string instance;  ///< the instance's name for people (one label; may contain dots and spaces)
  std::uint16_t port = 0;
  std::vector<std::string> txt;  ///< "key=value" strings (RFC 6763 §6)
};

class Responder {
 public:
  Responder();
  ~Responder();
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  /// Starts answering for `services` under the host name `host` (one label; ".local" is added):
  /// binds UDP 5353 (shared with other responders: SO_REUSEADDR/SO_REUSEPORT) on IPv4 and IPv6 and
  /// joins the mDNS groups on every multicast interface. ERROR_IO when neither family can bind.
  status_t start(std::string host, std::vector<Service> services);
  void stop();
  /// The host name advertised ("name.local").
  const std::string& host_name() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// This machine's host name as one DNS label (the part before the first dot; "cppvisa" when none).
std::string local_host_label();

}  // namespace cppvisa::mdns
