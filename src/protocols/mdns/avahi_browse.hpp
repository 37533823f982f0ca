// mDNS/DNS-SD browsing through a running Avahi daemon (its client library, over D-Bus): the daemon
// shares one cache and one querier with every program of the host (RFC 6762 §5.2 continuous
// querying), so a daemon that already knows the instruments answers at once. Compiled with
// CPPVISA_HAVE_AVAHI (Debian: libavahi-client-dev); without it, or with no daemon answering,
// avahi_browse says so and the caller queries by itself (mdns_browse.hpp).
#pragma once

#include "core/deadline.hpp"
#include "core/discovered.hpp"

#include <vector>

namespace cppvisa::mdns {

/// Browses the instrument service types (instrument_service_types()) through the Avahi daemon and
/// resolves each instance (SRV, TXT, A and AAAA) until `deadline`, reporting the resources found
/// so far to `progress` (when given). False, with nothing found, when this build has no Avahi or
/// no daemon answers.
bool avahi_browse(core::Deadline deadline, const core::Progress& progress, std::vector<core::Discovered>& found);

}  // namespace cppvisa::mdns
