// visa-info: cppvisa's version, the backends available with their libraries, and the resources
// each finds (like pyvisa-info), with what LAN discovery told of each instrument (how it was found,
// its identity) and, with --identify, the instruments' own *IDN? answers.
#include <cppvisa/cppvisa.hpp>
#include <cppvisa/resource_manager.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <sys/utsname.h>

#include <algorithm>
#include <future>
#include <iostream>

namespace {

// The instrument's *IDN? answer, or why there is none.
std::string identify(cppvisa::ResourceManager& rm, const std::string& name) {
  try {
    cppvisa::OpenOptions options;
    options.properties.emplace_back("timeout", 1000.0);
    // SCPI instruments (IEEE 488.2 §7.5) take LF as the message terminator; PyVISA's default CR LF
    // leaves a stray CR some of them reject.
    options.properties.emplace_back("write_termination", std::string("\n"));
    options.properties.emplace_back("read_termination", std::string("\n"));
    auto r = rm.open_resource(name, options);
    auto* mb = dynamic_cast<cppvisa::MessageBasedResource*>(r.get());
    if (!mb) return "(not message-based)";
    auto idn = mb->query("*IDN?");
    while (!idn.empty() && (idn.back() == '\n' || idn.back() == '\r')) idn.pop_back();
    return idn;
  } catch (const std::exception& e) {
    return std::string("(") + e.what() + ")";
  }
}

void print_resource(cppvisa::ResourceManager& rm, const std::string& name, const std::string& idn) {
  fmt::print("         {}\n", name);
  cppvisa::ResourceInfo info;
  try {
    info = rm.resource_info(name);
  } catch (const std::exception&) {
    return;
  }
  if (!info.found_by.empty()) fmt::print("            found by: {}\n", info.found_by);
  if (!info.manufacturer.empty() || !info.model.empty())
    fmt::print("            identity: {} {}{}\n", info.manufacturer, info.model,
               info.serial_number.empty() ? "" : " (serial " + info.serial_number + ")");
  if (!idn.empty()) fmt::print("            *IDN?: {}\n", idn);
}

void print_backend(const std::string& spec, const std::string& label, const std::string& query, bool ask_idn) {
  fmt::print("   {}:\n", label);
  try {
    auto backend = cppvisa::open_backend(spec);
    for (auto& line : backend->debug_info()) fmt::print("      {}\n", line);
    cppvisa::ResourceManager rm(backend);
    auto names = rm.list_resources(query);
    if (names.empty()) {
      fmt::print("      Resources: none found\n");
    } else {
      fmt::print("      Resources:\n");
      // Asked of up to 16 resources at once: an instrument that does not answer costs its timeout
      // once per batch, and a long listing does not start a thread per resource.
      constexpr std::size_t batch = 16;
      for (std::size_t first = 0; first < names.size(); first += batch) {
        std::vector<std::future<std::string>> idns;
        const std::size_t end = std::min(names.size(), first + batch);
        for (std::size_t i = first; i < end; ++i)
          idns.push_back(std::async(ask_idn ? std::launch::async : std::launch::deferred,
                                    [&rm, n = names[i], ask_idn] { return ask_idn ? identify(rm, n) : std::string(); }));
        for (std::size_t i = first; i < end; ++i) print_resource(rm, names[i], idns[i - first].get());
      }
    }
  } catch (const std::exception& e) {
    fmt::print("      Could not instantiate backend\n      -> {}\n", e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Print cppvisa's version, its backends and the resources they find."};
  std::string query = "?*";
  std::vector<std::string> backends;
  app.add_option("-q,--query", query, "VISA resource expression to list (default: every resource)");
  app.add_option("-b,--backend", backends, "backend specifications to show (default: every available backend)");
  bool no_discovery = false, ask_idn = false;
  int discovery_ms = -1;
  app.add_flag("--no-discovery", no_discovery, "no LAN discovery (as CPPVISA_DISCOVERY=off)");
  app.add_option("--discovery-timeout", discovery_ms, "deadline of the listing in ms (CPPVISA_DISCOVERY_TIMEOUT_MS)")
      ->check(CLI::Range(0, 600000));
  app.add_flag("--identify", ask_idn, "ask every listed instrument *IDN? (opens each one)");
  CLI11_PARSE(app, argc, argv);
  auto options = cppvisa::discovery_options();
  if (no_discovery) options.lan = false;
  if (discovery_ms >= 0) options.deadline = std::chrono::milliseconds(discovery_ms);
  cppvisa::set_discovery_options(options);

  utsname u{};
  uname(&u);
  fmt::print("Machine Details:\n   Platform ID:    {} {} {}\n   Processor:      {}\n\n", u.sysname, u.release,
             u.version, u.machine);
  fmt::print("cppvisa Version: {}\n\n", cppvisa::version_string);
  fmt::print("Backends:\n");
  if (backends.empty()) {
    for (auto& name : cppvisa::list_backends()) print_backend("@" + name, name, query, ask_idn);
  } else {
    for (auto& spec : backends) print_backend(spec, spec, query, ask_idn);
  }
  return 0;
}
