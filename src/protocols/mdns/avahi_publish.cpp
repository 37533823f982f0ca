#include "protocols/mdns/avahi_publish.hpp"

#ifdef CPPVISA_HAVE_AVAHI
#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/error.h>
#include <avahi-common/strlst.h>
#include <avahi-common/thread-watch.h>
#endif

#include <condition_variable>
#include <mutex>

namespace cppvisa::mdns {

#ifdef CPPVISA_HAVE_AVAHI

// The daemon's answers arrive on Avahi's own thread (AvahiThreadedPoll), which also keeps the
// entry group alive for as long as the services are published.
struct AvahiPublisher::Impl {
  AvahiThreadedPoll* poll = nullptr;
  AvahiClient* client = nullptr;
  std::mutex mutex;
  std::condition_variable changed;
  AvahiEntryGroupState state = AVAHI_ENTRY_GROUP_UNCOMMITED;
  std::string error, host;

  static void on_group(AvahiEntryGroup* group, AvahiEntryGroupState state, void* data) {
    auto& self = *static_cast<Impl*>(data);
    std::lock_guard guard(self.mutex);
    self.state = state;
    if (state == AVAHI_ENTRY_GROUP_COLLISION)
      self.error = "another host on the link publishes a service of the same name";
    else if (state == AVAHI_ENTRY_GROUP_FAILURE)
      self.error = avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(group)));
    self.changed.notify_all();
  }

  ~Impl() {
    if (poll) avahi_threaded_poll_stop(poll);
    if (client) avahi_client_free(client);  // frees the entry group: the services are withdrawn
    if (poll) avahi_threaded_poll_free(poll);
  }
};

bool AvahiPublisher::connect() {
  auto& d = *impl_;
  if (d.client) return true;
  if (!d.poll) d.poll = avahi_threaded_poll_new();
  if (!d.poll) return false;
  int error = 0;
  // Without AVAHI_CLIENT_NO_FAIL the client fails at once when no daemon is on the bus.
  d.client = avahi_client_new(avahi_threaded_poll_get(d.poll), AvahiClientFlags(0), nullptr, nullptr, &error);
  if (d.client && avahi_client_get_state(d.client) != AVAHI_CLIENT_S_RUNNING) {
    avahi_client_free(d.client);
    d.client = nullptr;
  }
  if (!d.client) return false;
  if (const char* h = avahi_client_get_host_name(d.client)) d.host = h;
  return true;
}

bool AvahiPublisher::publish(const std::vector<Service>& services, core::Deadline deadline) {
  auto& d = *impl_;
  if (!connect()) {
    d.error = "no Avahi daemon answers";
    return false;
  }
  AvahiEntryGroup* group = avahi_entry_group_new(d.client, Impl::on_group, &d);
  if (!group) {
    d.error = avahi_strerror(avahi_client_errno(d.client));
    return false;
  }
  for (const auto& s : services) {
    AvahiStringList* txt = nullptr;
    for (auto it = s.txt.rbegin(); it != s.txt.rend(); ++it) txt = avahi_string_list_add(txt, it->c_str());
    const int st = avahi_entry_group_add_service_strlst(group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                                        AvahiPublishFlags(0), s.instance.c_str(), s.type.c_str(),
                                                        nullptr, nullptr, s.port, txt);
    avahi_string_list_free(txt);
    if (st < 0) {
      d.error = "service " + s.instance + "." + s.type + ": " + avahi_strerror(st);
      return false;
    }
  }
  if (const int st = avahi_entry_group_commit(group); st < 0) {
    d.error = avahi_strerror(st);
    return false;
  }
  if (avahi_threaded_poll_start(d.poll) < 0) {
    d.error = "Avahi's event thread did not start";
    return false;
  }
  std::unique_lock lock(d.mutex);
  d.changed.wait_until(lock, deadline.when(), [&] {
    return d.state == AVAHI_ENTRY_GROUP_ESTABLISHED || d.state == AVAHI_ENTRY_GROUP_COLLISION ||
           d.state == AVAHI_ENTRY_GROUP_FAILURE;
  });
  if (d.state == AVAHI_ENTRY_GROUP_ESTABLISHED) return true;
  if (d.error.empty()) d.error = "the Avahi daemon did not establish the services in time";
  return false;
}

#else

struct AvahiPublisher::Impl {
  std::string error, host;
};

bool AvahiPublisher::connect() { return false; }

bool AvahiPublisher::publish(const std::vector<Service>&, core::Deadline) {
  impl_->error = "this build has no Avahi client library";
  return false;
}

#endif  // CPPVISA_HAVE_AVAHI

AvahiPublisher::AvahiPublisher() : impl_(std::make_unique<Impl>()) {}
AvahiPublisher::~AvahiPublisher() = default;
const std::string& AvahiPublisher::error() const noexcept { return impl_->error; }
const std::string& AvahiPublisher::host_label() const noexcept { return impl_->host; }

}  // namespace cppvisa::mdns
