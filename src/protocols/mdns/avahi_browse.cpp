#include "protocols/mdns/avahi_browse.hpp"

#ifdef CPPVISA_HAVE_AVAHI

#include "protocols/mdns/mdns_browse.hpp"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/address.h>
#include <avahi-common/simple-watch.h>
#include <avahi-common/strlst.h>

#include <net/if.h>

#include <cstring>
#include <memory>

namespace cppvisa::mdns {
namespace {

// What one browse gathers: every resolved instance as the records a DNS-SD answer carries (PTR,
// SRV, TXT, A/AAAA), so that the same resources_from_records names them as a query of our own.
struct Browse {
  AvahiClient* client = nullptr;
  std::vector<Received> records;
  const core::Progress* progress = nullptr;
};

void add_resolved(Browse& b, AvahiIfIndex interface, const char* name, const char* type, const char* domain,
                  const char* host, const AvahiAddress* address, std::uint16_t port, AvahiStringList* txt) {
  if (b.records.size() + 4 > max_kept_records) return;
  const std::string service = std::string(type) + "." + domain;
  const std::string instance = escape_label(name) + "." + service;
  char address_text[AVAHI_ADDRESS_STR_MAX] = {};
  avahi_address_snprint(address_text, sizeof address_text, address);
  // A link-local IPv6 address with the zone it was found on (RFC 6874), as a query of our own gives.
  std::string text = address_text;
  char zone[IF_NAMESIZE] = {};
  if (address->proto == AVAHI_PROTO_INET6 && address->data.ipv6.address[0] == 0xFE &&
      (address->data.ipv6.address[1] & 0xC0) == 0x80 && interface > 0 &&
      if_indextoname(static_cast<unsigned>(interface), zone))
    text += std::string("%") + zone;

  Received ptr{{}, text};
  ptr.record.name = service;
  ptr.record.type = rr_type::ptr;
  ptr.record.target = instance;
  Received srv{{}, text};
  srv.record.name = instance;
  srv.record.type = rr_type::srv;
  srv.record.target = host;
  srv.record.port = port;
  Received txt_record{{}, text};
  txt_record.record.name = instance;
  txt_record.record.type = rr_type::txt;
  for (AvahiStringList* s = txt; s; s = avahi_string_list_get_next(s))
    txt_record.record.txt.emplace_back(reinterpret_cast<const char*>(avahi_string_list_get_text(s)),
                                       avahi_string_list_get_size(s));
  Received addr{{}, text};
  addr.record.name = host;
  addr.record.type = address->proto == AVAHI_PROTO_INET ? rr_type::a : rr_type::aaaa;
  std::memcpy(addr.record.address.data(), &address->data,
              address->proto == AVAHI_PROTO_INET ? sizeof address->data.ipv4 : sizeof address->data.ipv6);
  for (auto* r : {&ptr, &srv, &txt_record, &addr}) b.records.push_back(std::move(*r));
  if (*b.progress) {
    auto found = resources_from_records(b.records);
    for (auto& d : found) d.found_by += " (Avahi)";
    (*b.progress)(found);
  }
}

void on_resolved(AvahiServiceResolver* r, AvahiIfIndex interface, AvahiProtocol, AvahiResolverEvent event, const char* name,
                 const char* type, const char* domain, const char* host, const AvahiAddress* address,
                 std::uint16_t port, AvahiStringList* txt, AvahiLookupResultFlags, void* data) {
  if (event == AVAHI_RESOLVER_FOUND && name && type && domain && host && address)
    add_resolved(*static_cast<Browse*>(data), interface, name, type, domain, host, address, port, txt);
  avahi_service_resolver_free(r);
}

void on_browsed(AvahiServiceBrowser*, AvahiIfIndex interface, AvahiProtocol protocol, AvahiBrowserEvent event,
                const char* name, const char* type, const char* domain, AvahiLookupResultFlags, void* data) {
  auto& b = *static_cast<Browse*>(data);
  if (event != AVAHI_BROWSER_NEW) return;
  // An IPv4 and an IPv6 address of each instance: the resource is named by the IPv4 one when
  // there is one (a link-local IPv6 address names nothing without its zone).
  for (AvahiProtocol address : {AVAHI_PROTO_INET, AVAHI_PROTO_INET6})
    avahi_service_resolver_new(b.client, interface, protocol, name, type, domain, address, AvahiLookupFlags(0),
                               on_resolved, &b);
}

}  // namespace

bool avahi_browse(core::Deadline deadline, const core::Progress& progress, std::vector<core::Discovered>& found) {
  found.clear();
  std::unique_ptr<AvahiSimplePoll, decltype(&avahi_simple_poll_free)> poll(avahi_simple_poll_new(),
                                                                           avahi_simple_poll_free);
  if (!poll) return false;
  Browse b;
  b.progress = &progress;
  int error = 0;
  // Without AVAHI_CLIENT_NO_FAIL the client fails at once when no daemon is on the bus.
  std::unique_ptr<AvahiClient, decltype(&avahi_client_free)> client(
      avahi_client_new(avahi_simple_poll_get(poll.get()), AvahiClientFlags(0), nullptr, nullptr, &error),
      avahi_client_free);
  if (!client || avahi_client_get_state(client.get()) != AVAHI_CLIENT_S_RUNNING) return false;
  b.client = client.get();
  bool browsing = false;
  for (auto type : instrument_service_types()) {
    const std::string bare(type.substr(0, type.size() - std::string_view(".local").size()));
    browsing |= avahi_service_browser_new(b.client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, bare.c_str(), nullptr,
                                          AvahiLookupFlags(0), on_browsed, &b) != nullptr;
  }
  if (!browsing) return false;
  while (!deadline.expired())
    if (avahi_simple_poll_iterate(poll.get(), deadline.poll_ms()) != 0) break;
  found = resources_from_records(b.records);
  for (auto& d : found) d.found_by += " (Avahi)";
  // Browsers and resolvers still open are freed with the client.
  return true;
}

}  // namespace cppvisa::mdns

#else

namespace cppvisa::mdns {

bool avahi_browse(core::Deadline, const core::Progress&, std::vector<core::Discovered>& found) {
  found.clear();
  return false;
}

}  // namespace cppvisa::mdns

#endif  // CPPVISA_HAVE_AVAHI
