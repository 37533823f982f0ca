// The native backend's listing with LAN enumerators of the test's own (no network): every
// enumerator in parallel within one deadline, the cache, LAN discovery off, only expressions that
// can match TCPIP names, and what the findings add to viParseRsrcEx.
#include "backends/native/native_backend.hpp"

#include <cppvisa/cppvisa.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace cppvisa;

namespace {

std::atomic<int> g_fast_calls{0};

std::vector<core::Discovered> fast(core::Deadline, const core::Progress&) {
  ++g_fast_calls;
  core::Discovered d;
  d.name = "TCPIP0::10.250.9.2::hislip0::INSTR";
  d.found_by = "mDNS _hislip._tcp";
  d.manufacturer = "ACME";
  d.model = "SC-1";
  core::Discovered b;
  b.name = "TCPIP0::10.250.9.2::inst0::INSTR";
  b.found_by = "VXI-11 broadcast";
  return {d, b};
}

std::atomic<int> g_slow_calls{0};

std::vector<core::Discovered> slow(core::Deadline, const core::Progress&) {
  ++g_slow_calls;
  std::this_thread::sleep_for(std::chrono::seconds(3));  // ignores its deadline: the listing must not
  core::Discovered d;
  d.name = "TCPIP0::10.250.9.3::inst0::INSTR";
  return {d};
}

// Reports a finding at once, then returns long after the deadline (as a thread of a loaded machine
// may): what it reported before the deadline is listed.
std::vector<core::Discovered> late(core::Deadline, const core::Progress& progress) {
  core::Discovered d;
  d.name = "TCPIP0::10.250.9.4::5025::SOCKET";
  d.found_by = "mDNS _scpi-raw._tcp";
  progress({d});
  std::this_thread::sleep_for(std::chrono::seconds(3));
  core::Discovered e;
  e.name = "TCPIP0::10.250.9.5::5025::SOCKET";
  return {d, e};
}

const native::Transport kRows[] = {
    {
        .name = "serial test",
        .resources = "ASRL::INSTR",
        .opens = [](const ResourceName& n) { return n.interface_type == InterfaceType::asrl; },
        .create = [](const ResourceName&, status_t& st) -> std::unique_ptr<core::Session> {
          st = status::ERROR_RSRC_NFOUND;
          return nullptr;
        },
        .list = [](const native::ListRequest&) { return std::vector<std::string>{"ASRL/dev/ttyS7::INSTR"}; },
    },
};
const native::LanEnumerator kLan[] = {{"fast", fast}, {"slow", slow}, {"late", late}};

struct Options {
  explicit Options(DiscoveryOptions o) { set_discovery_options(o); }
  ~Options() { set_discovery_options(discovery_options_from_environment()); }
};

DiscoveryOptions options(bool lan, int deadline_ms, int cache_ms) {
  DiscoveryOptions o;
  o.lan = lan;
  o.deadline = std::chrono::milliseconds(deadline_ms);
  o.cache_lifetime = std::chrono::milliseconds(cache_ms);
  return o;
}

TEST(NativeDiscovery, EveryEnumeratorWithinOneDeadlineMergedAndCached) {
  Options scope(options(true, 300, 60000));
  native::NativeBackend backend(kRows, kLan);
  session_t rm = 0;
  ASSERT_EQ(backend.open_default_rm(rm), status::SUCCESS);
  g_fast_calls = 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> names;
  ASSERT_EQ(backend.find_resources(rm, "?*::INSTR", names), status::SUCCESS);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500)) << "the slow enumerator was awaited";
  EXPECT_EQ(names, (std::vector<std::string>{"ASRL/dev/ttyS7::INSTR", "TCPIP0::10.250.9.2::hislip0::INSTR",
                                             "TCPIP0::10.250.9.2::inst0::INSTR"}));
  EXPECT_EQ(g_fast_calls, 1);
  ASSERT_EQ(backend.find_resources(rm, "TCPIP?*", names), status::SUCCESS);
  EXPECT_EQ(names, (std::vector<std::string>{"TCPIP0::10.250.9.2::hislip0::INSTR", "TCPIP0::10.250.9.2::inst0::INSTR",
                                             "TCPIP0::10.250.9.4::5025::SOCKET"}))
      << "the late enumerator's report before the deadline counts, what it returned after does not";
  EXPECT_EQ(g_fast_calls, 1) << "the cached listing is reused";

  ResourceInfo info;
  ASSERT_EQ(backend.parse_resource(rm, "TCPIP::10.250.9.2::inst0::INSTR", info), status::SUCCESS);
  EXPECT_EQ(info.found_by, "VXI-11 broadcast");
  EXPECT_EQ(info.manufacturer, "ACME") << "the host's identity, from its mDNS finding";
  ASSERT_EQ(backend.parse_resource(rm, "ASRL/dev/ttyS7::INSTR", info), status::SUCCESS);
  EXPECT_EQ(info.found_by, "");
  EXPECT_EQ(backend.close(rm), status::SUCCESS);
}

TEST(NativeDiscovery, NoCacheListsAgainButAnEnumeratorStillRunningIsNotStartedAgain) {
  Options scope(options(true, 100, 0));
  native::NativeBackend backend(kRows, kLan);
  session_t rm = 0;
  ASSERT_EQ(backend.open_default_rm(rm), status::SUCCESS);
  g_fast_calls = 0;
  g_slow_calls = 0;
  std::vector<std::string> names;
  ASSERT_EQ(backend.find_resources(rm, "?*::INSTR", names), status::SUCCESS);
  ASSERT_EQ(backend.find_resources(rm, "?*::INSTR", names), status::SUCCESS);
  EXPECT_EQ(g_fast_calls, 2);
  EXPECT_EQ(g_slow_calls, 1) << "the slow enumerator (3 s) was started again while its first run went on";
  EXPECT_EQ(backend.close(rm), status::SUCCESS);
}

TEST(NativeDiscovery, OffOrAnExpressionWithoutTcpipSendsNothing) {
  native::NativeBackend backend(kRows, kLan);
  session_t rm = 0;
  ASSERT_EQ(backend.open_default_rm(rm), status::SUCCESS);
  g_fast_calls = 0;
  std::vector<std::string> names;
  {
    Options scope(options(false, 100, 0));
    ASSERT_EQ(backend.find_resources(rm, "?*::INSTR", names), status::SUCCESS);
    EXPECT_EQ(names, std::vector<std::string>{"ASRL/dev/ttyS7::INSTR"});
  }
  {
    Options scope(options(true, 100, 0));
    ASSERT_EQ(backend.find_resources(rm, "ASRL?*::INSTR", names), status::SUCCESS);
    EXPECT_EQ(names, std::vector<std::string>{"ASRL/dev/ttyS7::INSTR"});
  }
  EXPECT_EQ(g_fast_calls, 0);
  EXPECT_EQ(backend.close(rm), status::SUCCESS);
}

TEST(NativeDiscovery, TheEnvironmentTurnsDiscoveryOff) {
  ::setenv("CPPVISA_DISCOVERY", "off", 1);
  ::setenv("CPPVISA_DISCOVERY_TIMEOUT_MS", "250", 1);
  ::setenv("CPPVISA_LIST_CACHE_MS", "0", 1);
  auto o = discovery_options_from_environment();
  EXPECT_FALSE(o.lan);
  EXPECT_EQ(o.deadline, std::chrono::milliseconds(250));
  EXPECT_EQ(o.cache_lifetime, std::chrono::milliseconds(0));
  ::setenv("CPPVISA_DISCOVERY", "off", 1);  // as CTest sets it for these tests
  ::unsetenv("CPPVISA_DISCOVERY_TIMEOUT_MS");
  ::unsetenv("CPPVISA_LIST_CACHE_MS");
}

}  // namespace
