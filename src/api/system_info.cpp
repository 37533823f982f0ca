// system_info(): the report of visa-info and `visa info`.
#include <cppvisa/system_info.hpp>

#include <cppvisa/backend.hpp>
#include <cppvisa/resource_manager.hpp>
#include <cppvisa/text.hpp>
#include <cppvisa/version.hpp>

#include <sys/utsname.h>

namespace cppvisa {
namespace {

BackendReport report(const std::string& spec, std::string_view query) {
  BackendReport r;
  r.specification = spec;
  try {
    auto backend = open_backend(spec);
    r.available = true;
    r.details = backend->debug_info();
    ResourceManager rm(backend);
    std::error_code ec;
    r.resources = rm.list_resources(query, ec);
    if (ec && ec != make_error_code(status::ERROR_RSRC_NFOUND)) r.list_error = VisaIOError(to_status(ec)).what();
  } catch (const std::exception& e) {
    r.error = error_cause(e);
  }
  return r;
}

}  // namespace

SystemInfo system_info(std::string_view query, const std::vector<std::string>& specifications) {
  SystemInfo info;
  utsname u{};
  if (uname(&u) == 0) {
    info.platform = std::string(u.sysname) + " " + u.release + " " + u.version;
    info.processor = u.machine;
  }
  info.version = version_string;
  if (specifications.empty()) {
    for (auto& name : list_backends()) info.backends.push_back(report("@" + name, query));
  } else {
    for (auto& spec : specifications) info.backends.push_back(report(spec, query));
  }
  return info;
}

}  // namespace cppvisa
