#include "backends/sim/sim_backend.hpp"

#include "backends/sim/device.hpp"
#include "backends/sim/loader.hpp"
#include "backends/sim/random_stream.hpp"
#include "backends/sim/sim_session.hpp"
#include "core/error_detail.hpp"
#include "core/diagnostics.hpp"
#include "core/session_backend.hpp"

#include <cppvisa/error.hpp>
#include <cppvisa/resource_name.hpp>
#include <cppvisa/status.hpp>
#include <cppvisa/version.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <mutex>
#include <set>

namespace cppvisa::sim {

namespace {

// The (interface, class) pairs a simulated resource can be (PyVISA-sim has sessions for these).
const std::set<std::string>& simulated_kinds() {
  static const std::set<std::string> kinds{"ASRL INSTR", "GPIB INSTR", "TCPIP INSTR", "TCPIP SOCKET", "USB INSTR",
                                           "USB RAW"};
  return kinds;
}


class SimBackend final : public core::SessionBackend {
 public:
  explicit SimBackend(std::string path) : path_(std::move(path)), defs_(load_definitions(path_)) {
    // What loads but will fail when used, or was ignored: said now, where the user looks (stderr
    // and the debug log, as libvisa.so has no other channel; the C++ API also lists them in
    // debug_info()). Those of
    // the bundled files are deliberate and documented: only in debug_info(), so "@sim" is quiet.
    for (const auto& w : defs_.warnings) core::diagnostic("warning: " + w);
    for (const auto& r : defs_.resources) {
      ResourceName parsed;
      try {
        parsed = ResourceName::parse(r.name);
      } catch (const InvalidResourceName& e) {
        throw LoadError(r.mark, "invalid resource name '" + r.name + "': " + e.message());
      }
      std::string kind = parsed.interface_name + " " + parsed.resource_class;
      if (!simulated_kinds().count(kind))
        throw LoadError(r.mark, "resource '" + r.name + "': " + kind +
                                    " resources cannot be simulated (ASRL/GPIB/TCPIP/USB INSTR, TCPIP SOCKET, USB RAW can)");
      auto canonical = parsed.canonical();
      if (!bindings_.emplace(canonical, Binding{&r, kind}).second)
        throw LoadError(r.mark, "resource '" + r.name + "' is defined twice (as " + canonical + ")");
    }
  }
  ~SimBackend() override = default;

  std::string name() const override { return "sim"; }

  /// CPPVISA_SIM_SEED is read here, once per resource manager (random_stream.hpp). In PyVISA-sim's
  /// stream mode the resource manager's session handle is drawn first, as PyVISA-sim's
  /// open_default_resource_manager does, for ResourceManager("@sim") in the C++ API and
  /// viOpenDefaultRM in libvisa.so alike.
  status_t open_default_rm(session_t& rm) override {
    rm = 0;
    const char* env = std::getenv("CPPVISA_SIM_SEED");
    std::string why;
    auto setting = parse_seed_setting(env ? env : "", why);
    if (!setting) {
      std::string text = "CPPVISA_SIM_SEED=" + why;
      core::diagnostic(text);
      return core::fail(status::ERROR_INV_SETUP, text);
    }
    RmState state;
    state.seed = *setting;
    if (setting->mode == SeedSetting::Mode::pyvisa_sim) {
      state.stream = std::make_shared<RandomStream>(setting->seed ? *setting->seed : random_seed());
      state.rm_handle = SessionHandleLease(state.stream);
    }
    if (status_t st = core::SessionBackend::open_default_rm(rm); st < 0) return st;
    std::lock_guard g(mutex_);
    rms_[rm] = std::move(state);
    return status::SUCCESS;
  }
  std::string library_path() const override { return path_; }
  std::vector<std::string> debug_info() const override {
    std::vector<std::string> info{std::string("Version: ") + version_string, "Spec version: 1.1", "Definitions: " + path_,
            "Resources: " + std::to_string(bindings_.size())};
    for (const auto& w : defs_.warnings) info.push_back("Warning: " + w);
    for (const auto& w : defs_.bundled_warnings) info.push_back("Warning: " + w);
    return info;
  }

  std::vector<std::string> list_resources(session_t) override {
    std::vector<std::string> out;
    for (const auto& [name, b] : bindings_) out.push_back(name);
    return out;
  }

  std::unique_ptr<core::Session> create_session(session_t rm, const ResourceName& name, status_t& st) override {
    auto it = find_binding(name);
    if (it == bindings_.end()) {
      std::vector<std::string> known;
      for (const auto& [n, b] : bindings_) known.push_back(n);
      st = core::fail(status::ERROR_RSRC_NFOUND,
                      fmt::format("{} is not among the simulated resources of {} ({})", name.canonical(), path_,
                                  fmt::join(known, ", ")));
      return nullptr;
    }
    std::shared_ptr<Device> device;
    std::shared_ptr<RandomStream> stream;
    {
      std::lock_guard g(mutex_);
      auto& rm_state = rms_[rm];
      stream = rm_state.stream;
      auto& slot = rm_state.devices[it->first];
      if (!slot) {
        // A seed in the file gives the instrument its own stream; else CPPVISA_SIM_SEED decides.
        const auto& def = it->second.def->device;
        std::optional<std::uint64_t> seed;
        std::shared_ptr<RandomStream> shared;
        if (!def->seed && rm_state.seed.mode == SeedSetting::Mode::per_instrument) seed = rm_state.seed.seed;
        if (!def->seed) shared = rm_state.stream;
        slot = std::make_shared<Device>(def, it->second.eom_key, it->second.def->channel_ids, seed, std::move(shared));
      }
      device = slot;
    }
    st = status::SUCCESS;
    // PyVISA-sim draws the session handle once the resource is found (its open's _register).
    return std::make_unique<SimSession>(name, std::move(device), SessionHandleLease(std::move(stream)));
  }

  void resource_manager_closed(session_t rm) override {
    std::lock_guard g(mutex_);
    rms_.erase(rm);
  }

 private:
  struct Binding {
    const ResourceDef* def;
    std::string eom_key;
  };
  // The binding of a resource name. Compatibility rule: GPIB "primary::0" with no instrument at
  // secondary address 0 is the instrument at the primary address alone. PyVISA 1.11.3 (Debian's)
  // rewrites "GPIB0::8::INSTR" to "GPIB0::8::0::INSTR" before viOpen (its resource-name
  // canonicalisation fills in secondary address 0; fixed in later PyVISA), so without this rule it
  // could open no simulated GPIB instrument.
  std::map<std::string, Binding>::const_iterator find_binding(const ResourceName& name) const {
    auto it = bindings_.find(name.canonical());
    if (it != bindings_.end() || name.interface_type != InterfaceType::gpib || name.resource_class != "INSTR" ||
        name.secondary_address() != 0 || !name.primary_address())
      return it;
    return bindings_.find(ResourceName::parse("GPIB" + name.board + "::" + std::to_string(*name.primary_address()) +
                                              "::INSTR")
                              .canonical());
  }
  std::string path_;
  Definitions defs_;
  std::map<std::string, Binding> bindings_;
  // Per resource manager: the seed setting, PyVISA-sim's stream and handle (that mode only), the
  // instruments.
  struct RmState {
    SeedSetting seed;
    std::shared_ptr<RandomStream> stream;
    SessionHandleLease rm_handle;
    std::map<std::string, std::shared_ptr<Device>> devices;
  };
  std::mutex mutex_;
  std::map<session_t, RmState> rms_;
};

}  // namespace

std::shared_ptr<Backend> make_backend(std::string_view yaml_path_or_empty) {
  std::string path = yaml_path_or_empty.empty() ? default_definitions_path() : std::string(yaml_path_or_empty);
  try {
    return std::make_shared<SimBackend>(path);
  } catch (const LoadError& e) {
    throw VisaIOError(status::ERROR_LIBRARY_NFOUND, {}, std::string("cannot load the simulation file: ") + e.what());
  }
}

}  // namespace cppvisa::sim
