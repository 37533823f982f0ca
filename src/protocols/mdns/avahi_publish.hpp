// Publishing DNS-SD services through a running Avahi daemon (its client library, over D-Bus): the
// host's one mDNS responder then announces them, probes their names and answers for them (RFC
// 6762 §8), beside everything else the host publishes. Compiled with CPPVISA_HAVE_AVAHI; without
// it, or with no daemon answering, AvahiPublisher::start says so and the caller answers by itself
// (mdns_responder.hpp).
#pragma once

#include "core/deadline.hpp"
#include "protocols/mdns/mdns_responder.hpp"

#include <memory>
#include <string>
#include <vector>

namespace cppvisa::mdns {

class AvahiPublisher {
 public:
  AvahiPublisher();
  ~AvahiPublisher();  ///< withdraws the services
  AvahiPublisher(const AvahiPublisher&) = delete;
  AvahiPublisher& operator=(const AvahiPublisher&) = delete;

  /// Connects to the daemon; false when this build has no Avahi or no daemon answers (publish
  /// otherwise, then).
  bool connect();
  /// The daemon's host name as one label ("name" of "name.local"), once connected.
  const std::string& host_label() const noexcept;
  /// Publishes `services` on every interface and protocol under the daemon's host name, and waits
  /// until the daemon has established them (its probing takes about a second) or `deadline`;
  /// false, with error() saying why, when it did not.
  bool publish(const std::vector<Service>& services, core::Deadline deadline);
  /// Why publish() failed.
  const std::string& error() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cppvisa::mdns
