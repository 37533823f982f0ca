#include "backends/native/native_backend.hpp"

#include "core/error_detail.hpp"
#include "protocols/oncrpc/portmapper.hpp"

#include <fmt/format.h>

#include <string>

namespace cppvisa::native {

NativeBackend::NativeBackend(std::span<const Transport> table) : table_(table.begin(), table.end()) {}
NativeBackend::~NativeBackend() = default;

std::vector<std::string> NativeBackend::debug_info() const {
  std::vector<std::string> lines{"cppvisa native backend (built-in protocol stacks)"};
  for (const auto& t : table_) {
    std::string line = std::string(t.name ? t.name : "?") + ": " + (t.resources ? t.resources : "");
    if (const char* why = t.unavailable_reason()) line += " -- unavailable: " + std::string(why);
    else if (const char* detail = t.detail ? t.detail() : nullptr) line += " -- " + std::string(detail);
    lines.push_back(std::move(line));
  }
  lines.push_back("VXI-11 portmapper port: " + std::to_string(oncrpc::portmapper_port()) +
                  " (CPPVISA_PORTMAPPER_PORT overrides 111)");
  return lines;
}

std::vector<std::string> NativeBackend::list_resources(session_t rm) { return list_resources(rm, "?*::INSTR"); }

std::vector<std::string> NativeBackend::list_resources(session_t, std::string_view expression) {
  std::vector<std::string> names;
  const ListRequest request{expression};
  for (const auto& t : table_) {
    if (!t.list || t.unavailable_reason()) continue;
    auto found = t.list(request);
    names.insert(names.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  }
  return names;
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
