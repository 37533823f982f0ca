#include "backends/native/native_backend.hpp"

#include "core/error_detail.hpp"
#include "protocols/oncrpc/portmapper.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>

#include <fmt/format.h>

#include <string>
#include <thread>

namespace cppvisa::native {

NativeBackend::NativeBackend(std::span<const Transport> table, std::span<const LanEnumerator> lan)
    : table_(table.begin(), table.end()), lan_(lan.begin(), lan.end()) {
  for (std::size_t i = 0; i < table_.size() + lan_.size(); ++i) busy_.push_back(std::make_shared<std::atomic<bool>>(false));
}
NativeBackend::~NativeBackend() = default;

std::vector<std::string> NativeBackend::debug_info() const {
  std::vector<std::string> lines{"cppvisa native backend (built-in protocol stacks)"};
  for (const auto& t : table_) {
    std::string line = std::string(t.name ? t.name : "?") + ": " + (t.resources ? t.resources : "");
    if (const char* why = t.unavailable_reason()) line += " -- unavailable: " + std::string(why);
    else if (const char* detail = t.detail ? t.detail() : nullptr) line += " -- " + std::string(detail);
    lines.push_back(std::move(line));
  }
  const auto options = discovery_options();
  for (const auto& e : lan_)
    lines.push_back(std::string("LAN discovery: ") + e.name + (options.lan ? "" : " -- off (CPPVISA_DISCOVERY=off)"));
  lines.push_back("Listing deadline " + std::to_string(options.deadline.count()) + " ms, cache " +
                  std::to_string(options.cache_lifetime.count()) +
                  " ms (CPPVISA_DISCOVERY_TIMEOUT_MS, CPPVISA_LIST_CACHE_MS)");
  lines.push_back("VXI-11 portmapper port: " + std::to_string(oncrpc::portmapper_port()) +
                  " (CPPVISA_PORTMAPPER_PORT overrides 111)");
  return lines;
}

std::vector<std::string> NativeBackend::list_resources(session_t rm) { return list_resources(rm, "?*::INSTR"); }

namespace {

// What the enumerators of one listing share: each runs on a thread of its own and keeps, in its
// slot, the last report of what it found (a LAN enumerator reports as it goes, a row's list hook
// once, when it returns); the listing waits for all of them or the deadline, whichever comes first,
// and takes the slots as they are then. A thread still running at the deadline keeps the state
// alive and its later reports are dropped.
struct Gathering {
  std::mutex mutex;
  std::condition_variable done;
  std::vector<std::vector<core::Discovered>> slots;
  std::size_t running = 0;
};

using Job = std::function<std::vector<core::Discovered>(const core::Progress&)>;

// `busy` is the enumerator's own flag: set while a run of it has not returned, so that an
// enumerator stuck past its deadline (a list hook blocked in a driver) is not started again by
// every later listing, piling up threads; its findings are missing until it returns.
void run_on_thread(const std::shared_ptr<Gathering>& g, const std::shared_ptr<std::atomic<bool>>& busy, Job job) {
  if (busy->exchange(true)) return;
  std::size_t slot = 0;
  {
    std::lock_guard guard(g->mutex);
    slot = g->slots.size();
    g->slots.emplace_back();
    ++g->running;
  }
  auto body = [g, busy, slot, job = std::move(job)] {
    auto report = [&g, slot](const std::vector<core::Discovered>& found) {
      std::lock_guard guard(g->mutex);
      g->slots[slot] = found;
    };
    try {
      report(job(report));
    } catch (const std::exception&) {
      // An enumerator that fails keeps what it reported; the others' findings stand.
    }
    busy->store(false);
    std::lock_guard guard(g->mutex);
    --g->running;
    g->done.notify_all();
  };
  try {
    std::thread(body).detach();
  } catch (const std::system_error&) {
    body();  // no thread to be had: run it here
  }
}

}  // namespace

std::vector<core::Discovered> NativeBackend::enumerate(std::string_view expression, bool lan,
                                                       core::Deadline deadline) const {
  auto g = std::make_shared<Gathering>();
  for (std::size_t i = 0; i < table_.size(); ++i) {
    const auto& t = table_[i];
    if (!t.list || t.unavailable_reason()) continue;
    run_on_thread(g, busy_[i], [list = t.list, e = std::string(expression), name = std::string(t.name)](const core::Progress&) {
      std::vector<core::Discovered> out;
      for (auto& n : list(ListRequest{e})) {
        core::Discovered d;
        d.name = std::move(n);
        d.found_by = name;
        out.push_back(std::move(d));
      }
      return out;
    });
  }
  if (lan) {
    // The LAN enumerators stop a little before the listing's deadline so their answers count.
    const auto lan_deadline = core::Deadline::at(deadline.when() - std::chrono::milliseconds(5));
    for (std::size_t i = 0; i < lan_.size(); ++i)
      if (const auto find = lan_[i].find)
        run_on_thread(g, busy_[table_.size() + i], [find, lan_deadline](const core::Progress& progress) {
          return find(lan_deadline, progress);
        });
  }
  std::unique_lock lock(g->mutex);
  g->done.wait_until(lock, deadline.when(), [&] { return g->running == 0; });
  std::vector<core::Discovered> found;
  for (auto& slot : g->slots) found.insert(found.end(), slot.begin(), slot.end());
  return merge_findings(std::move(found));
}

std::vector<std::string> NativeBackend::list_resources(session_t, std::string_view expression) {
  const auto options = discovery_options();
  const bool lan = options.lan && !lan_.empty() && expression_may_match_tcpip(expression);
  const bool raw = ListRequest{expression}.names_class("RAW");
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard guard(listing_mutex_);
    for (const auto& l : listings_)
      if (l.options == options && l.raw == raw && (l.lan || !lan) && now - l.when < options.cache_lifetime)
        return l.names;
  }
  auto found = enumerate(expression, lan, core::Deadline::at(now + options.deadline));
  Listing listing{now, options, lan, raw, {}};
  std::lock_guard guard(listing_mutex_);
  // What the latest LAN listing found: an instrument no longer found is forgotten (the map stays
  // as large as one listing, however long the process lists a changing network).
  if (lan) found_.clear();
  for (auto& d : found) {
    listing.names.push_back(d.name);
    if (lan && d.name.starts_with("TCPIP")) found_[d.name] = std::move(d);
  }
  std::erase_if(listings_, [&](const Listing& l) { return l.lan == lan && l.raw == raw; });
  listings_.push_back(listing);
  return listing.names;
}

status_t NativeBackend::parse_resource(session_t rm, std::string_view name, ResourceInfo& info) {
  status_t st = SessionBackend::parse_resource(rm, name, info);
  if (st < 0) return st;
  std::lock_guard guard(listing_mutex_);
  if (auto it = found_.find(info.resource_name); it != found_.end()) {
    info.found_by = it->second.found_by;
    info.manufacturer = it->second.manufacturer;
    info.model = it->second.model;
    info.serial_number = it->second.serial_number;
  }
  return st;
}

std::unique_ptr<core::Session> NativeBackend::create_session(session_t, const ResourceName& name, status_t& st) {
  const Transport* t = find_transport(table_, name);
  if (!t || !t->create) {
    st = core::fail(status::ERROR_RSRC_NFOUND,
                    fmt::format("no transport of the native backend opens {} resources (see visa-info)",
                                name.canonical()));
    return nullptr;
  }
  if (const char* why = t->unavailable_reason()) {
    // Known but unusable here (PyVISA-py's register_unavailable): the reason is the cause.
    st = core::fail(status::ERROR_LIBRARY_NFOUND,
                    fmt::format("{} needs the {} transport, which this build or machine lacks: {}", name.canonical(),
                                t->name ? t->name : "?", why));
    return nullptr;
  }
  return t->create(name, st);
}

std::shared_ptr<Backend> make_backend() { return std::make_shared<NativeBackend>(); }

}  // namespace cppvisa::native
