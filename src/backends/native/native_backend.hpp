// The `native` backend: cppvisa's own protocol stacks, as core::Session classes, chosen through
// the transport table (transports.hpp): TCPIP SOCKET (raw socket), TCPIP INSTR over HiSLIP or
// VXI-11, ASRL INSTR (serial). viTerminate is core::SessionBackend's: Session::abort() of the
// session (each protocol's session says what it can abort).
#pragma once

#include "backends/native/lan_discovery.hpp"
#include "backends/native/transports.hpp"
#include "core/session_backend.hpp"

#include <cppvisa/discovery.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <vector>

namespace cppvisa::native {

class NativeBackend : public core::SessionBackend {
 public:
  /// A backend over `table` and the LAN enumerators `lan` (the built-in ones by default; tests
  /// pass their own).
  explicit NativeBackend(std::span<const Transport> table = builtin_transports(),
                         std::span<const LanEnumerator> lan = builtin_lan_enumerators());
  ~NativeBackend() override;

  std::string name() const override { return "native"; }
  std::string library_path() const override { return "built-in"; }
  /// One line per transport row ("<name>: <resources>", and "unavailable: <why>").
  std::vector<std::string> debug_info() const override;

  /// What the available rows' `list` hooks find for `?*::INSTR`.
  std::vector<std::string> list_resources(session_t rm) override;
  /// What the available rows' `list` hooks and, when LAN discovery is on and the expression can
  /// match TCPIP names, the LAN enumerators find for `expression` (unfiltered): all of them in
  /// parallel, within discovery_options().deadline, merged, reused for its cache_lifetime.
  std::vector<std::string> list_resources(session_t rm, std::string_view expression) override;
  /// viParseRsrcEx, with what LAN discovery found of the resource (found_by, identity).
  status_t parse_resource(session_t rm, std::string_view name, ResourceInfo& info) override;
  /// The session of the first row that opens `name`: VI_ERROR_LIBRARY_NFOUND when that row is
  /// unavailable, VI_ERROR_RSRC_NFOUND when no row opens it.
  std::unique_ptr<core::Session> create_session(session_t rm, const ResourceName& name, status_t& st) override;

 private:
  struct Listing {
    std::chrono::steady_clock::time_point when;
    DiscoveryOptions options;
    bool lan = false;  // LAN enumerators ran
    bool raw = false;  // USB RAW asked for
    std::vector<std::string> names;
  };
  std::vector<core::Discovered> enumerate(std::string_view expression, bool lan, core::Deadline deadline) const;

  std::vector<Transport> table_;
  std::vector<LanEnumerator> lan_;
  // Per table row, then per LAN enumerator: a run of it has not returned yet (shared with its thread).
  std::vector<std::shared_ptr<std::atomic<bool>>> busy_;
  std::mutex listing_mutex_;
  std::vector<Listing> listings_;                 // at most one per (lan, raw)
  std::map<std::string, core::Discovered> found_;  // what the latest LAN listing told of each name
};

/// A new native backend.
std::shared_ptr<Backend> make_backend();

}  // namespace cppvisa::native
