// testing::ServedGateway: simulated instruments served by cppvisa::Gateway on loopback over raw
// socket, VXI-11 and HiSLIP (free ports), each endpoint's resource name by protocol, and resources
// opened on it line by line. The server side of the gateway, thread-safety and asynchronous C API
// tests. (Name it cppvisa::testing::... where `using namespace cppvisa` would make gtest's
// `testing` ambiguous.)
#pragma once

#include <cppvisa/gateway.hpp>
#include <cppvisa/message_based.hpp>
#include <cppvisa/resource_manager.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

namespace cppvisa::testing {

/// Options serving `resource` over raw socket, VXI-11 and HiSLIP on free loopback ports.
inline GatewayOptions every_protocol(std::string resource) {
  GatewayOptions o;
  o.resources = {std::move(resource)};
  o.socket = GatewayAddress{};
  o.vxi11 = GatewayAddress{};
  o.hislip = GatewayAddress{};
  return o;
}

/// A gateway over `@sim` (or another backend specification, e.g. "file.yaml@sim"), started with
/// the given options.
class ServedGateway {
 public:
  void start(GatewayOptions options, const std::string& backend = "@sim") {
    gateway_ = std::make_unique<Gateway>(open_backend(backend), std::move(options));
    gateway_->start();
    for (const auto& e : gateway_->endpoints()) names_[e.protocol] = e.resource;
  }
  Gateway& gateway() { return *gateway_; }
  /// The resource name of the endpoint serving `protocol` ("socket", "vxi11", "hislip").
  const std::string& name(const std::string& protocol) const { return names_.at(protocol); }

 private:
  std::unique_ptr<Gateway> gateway_;
  std::map<std::string, std::string> names_;
};

/// `name` opened on `rm` with `timeout_ms`, "\n" ending what is read and what is written.
inline std::unique_ptr<MessageBasedResource> open_lines(ResourceManager& rm, const std::string& name,
                                                         std::uint32_t timeout_ms) {
  auto r = rm.open<MessageBasedResource>(name);
  r->set_timeout(timeout_ms);
  r->set_read_termination("\n");
  r->set_write_termination("\n");
  return r;
}

}  // namespace cppvisa::testing
