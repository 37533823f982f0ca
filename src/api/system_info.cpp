// system_info(): the report of visa-info and `visa info`.
#include <cppvisa/system_info.hpp>

#include <cppvisa/backend.hpp>
#include <cppvisa/resource_manager.hpp>
#include <cppvisa/text.hpp>
#include <cppvisa/version.hpp>

#include <fmt/format.h>

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

std::string json_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + json_quote(items[i]);
  return out + "]";
}

std::string json_or_null(const std::string& text) { return text.empty() ? "null" : json_quote(text); }

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

std::string to_text(const SystemInfo& info) {
  std::string out = fmt::format("Machine Details:\n   Platform ID:    {}\n   Processor:      {}\n\n", info.platform,
                                info.processor);
  out += fmt::format("cppvisa Version: {}\n\nBackends:\n", info.version);
  for (auto& b : info.backends) {
    out += fmt::format("   {}:\n", b.specification.starts_with('@') ? b.specification.substr(1) : b.specification);
    if (!b.available) {
      out += fmt::format("      Could not instantiate backend\n      -> {}\n", b.error);
      continue;
    }
    for (auto& line : b.details) out += fmt::format("      {}\n", line);
    if (!b.list_error.empty()) {
      out += fmt::format("      Resources: could not list\n      -> {}\n", b.list_error);
    } else if (b.resources.empty()) {
      out += "      Resources: none found\n";
    } else {
      out += "      Resources:\n";
      for (auto& n : b.resources) out += fmt::format("         {}\n", n);
    }
  }
  return out;
}

std::string to_json(const SystemInfo& info) {
  std::string backends;
  for (auto& b : info.backends) {
    if (!backends.empty()) backends += ",";
    backends += fmt::format(R"({{"backend":{},"available":{},"error":{},"details":{},"resources":{},"list_error":{}}})",
                            json_quote(b.specification), b.available ? "true" : "false", json_or_null(b.error),
                            json_list(b.details), json_list(b.resources), json_or_null(b.list_error));
  }
  return fmt::format(R"({{"platform":{},"processor":{},"version":{},"backends":[{}]}})", json_quote(info.platform),
                     json_quote(info.processor), json_quote(info.version), backends);
}

}  // namespace cppvisa
