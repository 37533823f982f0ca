// system_info(): the report of visa-info and `visa info`.
#include <cppvisa/system_info.hpp>

#include <cppvisa/backend.hpp>
#include <cppvisa/message_based.hpp>
#include <cppvisa/resource_manager.hpp>
#include <cppvisa/text.hpp>
#include <cppvisa/version.hpp>

#include <fmt/format.h>

#include <sys/utsname.h>

#include <algorithm>
#include <future>

namespace cppvisa {
namespace {

// The instrument's *IDN? answer, or why there is none.
std::string identify_one(ResourceManager& rm, const std::string& name) {
  try {
    OpenOptions options;
    options.properties.emplace_back("timeout", 1000.0);
    // SCPI instruments (IEEE 488.2 §7.5) take LF as the message terminator; PyVISA's default CR LF
    // leaves a stray CR some of them reject.
    options.properties.emplace_back("write_termination", std::string("\n"));
    options.properties.emplace_back("read_termination", std::string("\n"));
    auto r = rm.open_resource(name, options);
    auto* mb = dynamic_cast<MessageBasedResource*>(r.get());
    if (!mb) return "(not message-based)";
    auto idn = mb->query("*IDN?");
    while (!idn.empty() && (idn.back() == '\n' || idn.back() == '\r')) idn.pop_back();
    return idn;
  } catch (const std::exception& e) {
    return "(" + error_cause(e) + ")";
  }
}

// What discovery told of each resource and, with `identify`, its *IDN? answer.
void describe(ResourceManager& rm, BackendReport& r, bool identify) {
  for (const auto& n : r.resources) {
    ResourceReport f;
    f.name = n;
    try {
      auto info = rm.resource_info(n);
      f.found_by = info.found_by;
      f.identity = info.manufacturer;
      if (!info.model.empty()) f.identity += (f.identity.empty() ? "" : " ") + info.model;
      if (!info.serial_number.empty()) f.identity += " (serial " + info.serial_number + ")";
    } catch (const std::exception&) {
      // a name the backend lists but cannot parse: nothing more to say of it
    }
    r.found.push_back(std::move(f));
  }
  if (!identify) return;
  // Up to 16 at once: an instrument that does not answer costs its timeout once per batch, and a
  // long listing does not start a thread per resource.
  constexpr std::size_t batch = 16;
  for (std::size_t first = 0; first < r.found.size(); first += batch) {
    std::vector<std::future<std::string>> idns;
    const std::size_t end = std::min(r.found.size(), first + batch);
    for (std::size_t i = first; i < end; ++i)
      idns.push_back(std::async(std::launch::async, [&rm, n = r.found[i].name] { return identify_one(rm, n); }));
    for (std::size_t i = first; i < end; ++i) r.found[i].idn = idns[i - first].get();
  }
}

BackendReport report(const std::string& spec, std::string_view query, bool identify) {
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
    describe(rm, r, identify);
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

SystemInfo system_info(std::string_view query, const std::vector<std::string>& specifications, bool identify) {
  SystemInfo info;
  utsname u{};
  if (uname(&u) == 0) {
    info.platform = std::string(u.sysname) + " " + u.release + " " + u.version;
    info.processor = u.machine;
  }
  info.version = version_string;
  if (specifications.empty()) {
    for (auto& name : list_backends()) info.backends.push_back(report("@" + name, query, identify));
  } else {
    for (auto& spec : specifications) info.backends.push_back(report(spec, query, identify));
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
      for (std::size_t i = 0; i < b.resources.size(); ++i) {
        out += fmt::format("         {}\n", b.resources[i]);
        if (i >= b.found.size()) continue;
        const auto& f = b.found[i];
        if (!f.found_by.empty()) out += fmt::format("            found by: {}\n", f.found_by);
        if (!f.identity.empty()) out += fmt::format("            identity: {}\n", f.identity);
        if (!f.idn.empty()) out += fmt::format("            *IDN?: {}\n", f.idn);
      }
    }
  }
  return out;
}

std::string to_json(const SystemInfo& info) {
  std::string backends;
  for (auto& b : info.backends) {
    if (!backends.empty()) backends += ",";
    std::string found;
    for (const auto& f : b.found)
      found += fmt::format(R"({}{{"name":{},"found_by":{},"identity":{},"idn":{}}})", found.empty() ? "" : ",",
                           json_quote(f.name), json_or_null(f.found_by), json_or_null(f.identity), json_or_null(f.idn));
    backends += fmt::format(
        R"({{"backend":{},"available":{},"error":{},"details":{},"resources":{},"found":[{}],"list_error":{}}})",
        json_quote(b.specification), b.available ? "true" : "false", json_or_null(b.error), json_list(b.details),
        json_list(b.resources), found, json_or_null(b.list_error));
  }
  return fmt::format(R"({{"platform":{},"processor":{},"version":{},"backends":[{}]}})", json_quote(info.platform),
                     json_quote(info.processor), json_quote(info.version), backends);
}

}  // namespace cppvisa
