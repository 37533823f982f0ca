#include "backends/sim/sim_backend.hpp"

#include "backends/sim/device.hpp"
#include "backends/sim/loader.hpp"
#include "backends/sim/sim_session.hpp"
#include "core/session_backend.hpp"

#include <cppvisa/error.hpp>
#include <cppvisa/resource_name.hpp>
#include <cppvisa/status.hpp>
#include <cppvisa/version.hpp>

#include <cctype>
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

// PyVISA's canonical form of a TCPIP name whose host address contains ':' (PyVISA-sim's default
// file has "TCPIP::localhost:2222::INSTR"; PyVISA takes any text as a host). Used when the core
// parser rejects such a host, so that the resource is listed under the name PyVISA-sim lists.
std::optional<std::pair<std::string, std::string>> pyvisa_tcpip_canonical(const std::string& name) {
  std::vector<std::string> parts;
  for (std::size_t b = 0;;) {
    auto e = name.find("::", b);
    parts.push_back(name.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 2;
  }
  if (parts.size() < 2 || parts[0].rfind("TCPIP", 0) != 0) return std::nullopt;
  std::string board = parts[0].substr(5);
  if (board.empty()) board = "0";
  if (board.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  std::string cls = parts.back();
  for (auto& c : cls) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (cls == "SOCKET" && parts.size() == 4)
    return std::make_pair("TCPIP" + board + "::" + parts[1] + "::" + parts[2] + "::SOCKET", std::string("TCPIP SOCKET"));
  if (cls != "INSTR") parts.push_back("INSTR");
  if (parts.size() == 3) return std::make_pair("TCPIP" + board + "::" + parts[1] + "::inst0::INSTR", std::string("TCPIP INSTR"));
  if (parts.size() == 4) return std::make_pair("TCPIP" + board + "::" + parts[1] + "::" + parts[2] + "::INSTR", std::string("TCPIP INSTR"));
  return std::nullopt;
}

class SimBackend final : public core::SessionBackend {
 public:
  explicit SimBackend(std::string path) : path_(std::move(path)), defs_(load_definitions(path_)) {
    for (const auto& r : defs_.resources) {
      ResourceName parsed;
      try {
        parsed = ResourceName::parse(r.name);
      } catch (const InvalidResourceName& e) {
        auto fallback = pyvisa_tcpip_canonical(r.name);
        if (!fallback) throw LoadError(r.mark, "invalid resource name '" + r.name + "': " + e.message());
        // Listed under PyVISA's canonical name; opening needs the core parser to accept it.
        bindings_.emplace(fallback->first, Binding{&r, fallback->second});
        unparsable_.push_back(fallback->first);
        continue;
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
  std::string library_path() const override { return path_; }
  std::vector<std::string> debug_info() const override {
    std::vector<std::string> out{std::string("Version: ") + version_string, "Spec version: 1.1",
                                 "Definitions: " + path_, "Resources: " + std::to_string(bindings_.size())};
    for (const auto& n : unparsable_) out.push_back("Listed but not openable (host name with ':'): " + n);
    return out;
  }

  std::vector<std::string> list_resources(session_t) override {
    std::vector<std::string> out;
    for (const auto& [name, b] : bindings_) out.push_back(name);
    return out;
  }

  std::unique_ptr<core::Session> create_session(session_t rm, const ResourceName& name, status_t& st) override {
    auto it = bindings_.find(name.canonical());
    if (it == bindings_.end()) {
      st = status::ERROR_RSRC_NFOUND;
      return nullptr;
    }
    std::shared_ptr<Device> device;
    {
      std::lock_guard g(mutex_);
      auto& slot = devices_[rm][it->first];
      if (!slot) slot = std::make_shared<Device>(it->second.def->device, it->second.eom_key, it->second.def->channel_ids);
      device = slot;
    }
    st = status::SUCCESS;
    return std::make_unique<SimSession>(name, std::move(device));
  }

  void resource_manager_closed(session_t rm) override {
    std::lock_guard g(mutex_);
    devices_.erase(rm);
  }

 private:
  struct Binding {
    const ResourceDef* def;
    std::string eom_key;
  };
  std::string path_;
  Definitions defs_;
  std::map<std::string, Binding> bindings_;
  std::vector<std::string> unparsable_;
  std::mutex mutex_;
  std::map<session_t, std::map<std::string, std::shared_ptr<Device>>> devices_;  // per resource manager
};

}  // namespace

std::shared_ptr<Backend> make_backend(std::string_view yaml_path_or_empty) {
  std::string path = yaml_path_or_empty.empty() ? default_definitions_path() : std::string(yaml_path_or_empty);
  try {
    return std::make_shared<SimBackend>(path);
  } catch (const LoadError& e) {
    throw VisaIOError(status::ERROR_LIBRARY_NFOUND, std::string("cannot load the simulation file: ") + e.what());
  }
}

}  // namespace cppvisa::sim
