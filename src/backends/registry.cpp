// The backend registry: open_backend() chooses and caches a backend from a PyVISA-style
// specification (PyVISA's documentation): "[argument]@backend", a bare path meaning the ivi backend.
#include <cppvisa/backend.hpp>
#include <cppvisa/error.hpp>
#include <cppvisa/status.hpp>

#include "backends/ivi/ivi_backend.hpp"
#include "backends/native/native_backend.hpp"
#include "backends/sim/sim_backend.hpp"
#include "backends/trace/trace_backend.hpp"
#include "core/log.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>

namespace cppvisa {
namespace {

using Factory = std::function<std::shared_ptr<Backend>(const std::string& argument)>;

struct BuiltIn {
  const char* name;
  Factory make;
};

std::shared_ptr<Backend> make_ivi(const std::string& argument) {
  if (!argument.empty()) return ivi::make_backend(argument);
  auto found = ivi::find_vendor_libraries();
  if (found.empty()) throw VisaIOError(status::ERROR_LIBRARY_NFOUND, {}, "no vendor VISA library is installed");
  return ivi::make_backend(found.front());
}

// The backends compiled in, in the order visa-info shows them.
const std::vector<BuiltIn>& builtins() {
  static const std::vector<BuiltIn> list = {
      {"native", [](const std::string&) { return native::make_backend(); }},
      {"sim", [](const std::string& argument) { return sim::make_backend(argument); }},
      {"ivi", make_ivi},
  };
  return list;
}

std::string canonical_backend_name(std::string name) {
  if (name == "py") return "native";  // PyVISA-py's name: our native backend plays its part
  return name;
}

std::string getenv_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

std::vector<std::string> list_backends() {
  std::vector<std::string> out;
  for (auto& b : builtins()) out.emplace_back(b.name);
  return out;
}

std::shared_ptr<Backend> open_backend(std::string_view specification) {
  std::string spec(specification);
  const char* source = "given by the program";
  if (spec.empty()) {
    spec = getenv_or_empty("CPPVISA_LIBRARY");
    source = "from CPPVISA_LIBRARY";
  }
  if (spec.empty()) {
    spec = getenv_or_empty("PYVISA_LIBRARY");
    source = "from PYVISA_LIBRARY";
  }

  std::string argument, name;
  if (auto at = spec.rfind('@'); at != std::string::npos) {
    argument = spec.substr(0, at);
    name = canonical_backend_name(spec.substr(at + 1));
    if (name.empty()) throw VisaIOError(status::ERROR_LIBRARY_NFOUND, {}, fmt::format("no backend named in '{}'", spec));
  } else if (!spec.empty()) {
    argument = spec;
    name = "ivi";  // a bare path is a VISA shared library
  } else {
    // Nothing named: a vendor VISA library when one is installed, else our native backend.
    name = ivi::find_vendor_libraries().empty() ? "native" : "ivi";
    source = name == "ivi" ? "nothing named; a vendor VISA library is installed" : "nothing named; no vendor VISA library";
  }

  static std::mutex mutex;
  static std::map<std::pair<std::string, std::string>, std::weak_ptr<Backend>> cache;
  std::lock_guard guard(mutex);
  auto key = std::make_pair(name, argument);
  if (auto cached = cache[key].lock()) return cached;
  for (auto& b : builtins()) {
    if (name != b.name) continue;
    CPPVISA_LOG("backend", "opening @{}{} ({})", name, argument.empty() ? "" : " with '" + argument + "'", source);
    auto backend = b.make(argument);
    CPPVISA_LOG("backend", "@{}: {}", name, backend->library_path());
    // CPPVISA_TRACE: every operation of this backend recorded (read once; nothing wrapped when unset).
    if (auto* trace = trace::settings_from_environment()) backend = trace::make_tracing_backend(backend, *trace);
    cache[key] = backend;
    return backend;
  }
  throw VisaIOError(status::ERROR_LIBRARY_NFOUND, {},
                    fmt::format("unknown backend '@{}'; available: {}", name, fmt::join(list_backends(), ", ")));
}

}  // namespace cppvisa
