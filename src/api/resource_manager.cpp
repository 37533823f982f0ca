#include <cppvisa/resource_manager.hpp>

#include "api/session_link.hpp"

#include <cppvisa/status.hpp>

#include <fmt/format.h>

namespace cppvisa {

struct ResourceManager::State {
  session_t rm = 0;
  std::shared_ptr<detail::RmRegistry> registry = std::make_shared<detail::RmRegistry>();
};

ResourceManager::ResourceManager(std::string_view specification) : ResourceManager(open_backend(specification)) {}

ResourceManager::ResourceManager(std::shared_ptr<Backend> backend)
    : backend_(std::move(backend)), state_(std::make_shared<State>()) {
  if (!backend_) throw VisaIOError(status::ERROR_LIBRARY_NFOUND, "(no backend)");
  session_t rm = 0;
  status_t st = backend_->open_default_rm(rm);
  last_status_ = st;
  if (st < 0) throw VisaIOError(st, "(opening the default resource manager)");
  state_->rm = rm;
}

ResourceManager::~ResourceManager() { close(); }

session_t ResourceManager::session() const {
  if (!state_->registry->open) throw InvalidSession();
  return state_->rm;
}

void ResourceManager::close() noexcept {
  auto& reg = *state_->registry;
  std::vector<Resource*> resources;
  {
    std::lock_guard guard(reg.mutex);
    if (!reg.open) return;
    reg.open = false;
    resources.assign(reg.resources.begin(), reg.resources.end());
    reg.resources.clear();
  }
  // Closing the RM session closes its sessions in the backend; the resources only learn it.
  for (Resource* r : resources) r->link_->open = false;
  try {
    backend_->close(state_->rm);
  } catch (...) {
  }
}

void ResourceManager::forget(Resource* r) noexcept {
  std::lock_guard guard(state_->registry->mutex);
  state_->registry->resources.erase(r);
}

std::vector<std::string> ResourceManager::list_resources(std::string_view query, std::error_code& ec) {
  std::vector<std::string> names;
  status_t st = backend_->find_resources(session(), query, names);
  last_status_ = st;
  if (st == status::ERROR_RSRC_NFOUND) return {};
  ec = make_error_code(st);
  return names;
}

std::vector<std::string> ResourceManager::list_resources(std::string_view query) {
  std::error_code ec;
  auto names = list_resources(query, ec);
  throw_if(ec, "(list_resources)");
  return names;
}

std::map<std::string, ResourceInfo> ResourceManager::list_resources_info(std::string_view query) {
  std::map<std::string, ResourceInfo> out;
  for (auto& name : list_resources(query)) out.emplace(name, resource_info(name));
  return out;
}

ResourceInfo ResourceManager::resource_info(std::string_view name, std::error_code& ec) {
  ResourceInfo info;
  status_t st = backend_->parse_resource(session(), name, info);
  last_status_ = st;
  ec = make_error_code(st);
  return info;
}

ResourceInfo ResourceManager::resource_info(std::string_view name) {
  std::error_code ec;
  auto info = resource_info(name, ec);
  throw_if(ec, fmt::format("(resource name '{}')", name).c_str());
  return info;
}

std::pair<session_t, status_t> ResourceManager::open_bare_resource(std::string_view name, AccessMode mode,
                                                                   std::uint32_t open_timeout) {
  session_t s = 0;
  status_t st = backend_->open(session(), name, mode, open_timeout, s);
  last_status_ = st;
  if (st < 0) throw VisaIOError(st, fmt::format("(opening '{}')", name));
  return {s, st};
}

void ResourceManager::throw_class_mismatch(std::string_view name, std::string_view cls) {
  throw Error(fmt::format("'{}' opened as {}, which is not the class requested", name, cls));
}

std::unique_ptr<Resource> ResourceManager::make_resource(const ResourceInfo& info,
                                                         std::shared_ptr<detail::SessionLink> link, std::string name) {
  const std::string& rc = info.resource_class;
  auto make = [&]<class T>() { return std::unique_ptr<Resource>(new T(*this, link, name)); };
  switch (info.interface_type) {
    case InterfaceType::gpib:
      if (rc == "INSTR") return make.operator()<GPIBInstrument>();
      if (rc == "INTFC") return make.operator()<GPIBInterface>();
      break;
    case InterfaceType::asrl:
      if (rc == "INSTR") return make.operator()<SerialInstrument>();
      break;
    case InterfaceType::prlgx_asrl:
      return make.operator()<PrlgxASRLIntfc>();
    case InterfaceType::tcpip:
      if (rc == "INSTR") return make.operator()<TCPIPInstrument>();
      if (rc == "SOCKET") return make.operator()<TCPIPSocket>();
      break;
    case InterfaceType::vicp:
      return make.operator()<VICPInstrument>();
    case InterfaceType::prlgx_tcpip:
      return make.operator()<PrlgxTCPIPIntfc>();
    case InterfaceType::usb:
      if (rc == "INSTR") return make.operator()<USBInstrument>();
      if (rc == "RAW") return make.operator()<USBRaw>();
      break;
    case InterfaceType::rsnrp:
      return make.operator()<MessageBasedResource>();
    case InterfaceType::vxi: case InterfaceType::pxi: case InterfaceType::gpib_vxi:
      return make.operator()<RegisterBasedResource>();
    default:
      break;
  }
  return std::unique_ptr<Resource>(new Resource(*this, link, name));
}

std::unique_ptr<Resource> ResourceManager::open_resource(std::string_view name, const OpenOptions& options,
                                                         std::error_code& ec) {
  ResourceInfo info = resource_info(name, ec);
  if (ec) return nullptr;
  auto link = std::make_shared<detail::SessionLink>();
  link->backend = backend_;
  link->open = false;
  link->registry = state_->registry;
  // Aliases keep the name as given; other names are canonical (PyVISA normalises names).
  std::string shown = !info.alias.empty() && info.alias == name ? std::string(name) : info.resource_name;
  auto resource = make_resource(info, link, shown);
  // Property names are checked before the session is opened, as PyVISA checks its keyword arguments.
  for (auto& [prop, value] : options.properties) {
    if (!resource->has_property(prop)) {
      last_status_ = status::ERROR_NSUP_ATTR;
      throw Error(fmt::format("'{}' is not a valid attribute for type {}", prop, resource->class_name()));
    }
  }
  session_t s = 0;
  status_t st = backend_->open(session(), name, options.access_mode, options.open_timeout, s);
  last_status_ = st;
  ec = make_error_code(st);
  if (ec) return nullptr;
  link->session = s;
  link->open = true;
  {
    std::lock_guard guard(state_->registry->mutex);
    state_->registry->resources.insert(resource.get());
  }
  for (auto& [prop, value] : options.properties) resource->set_property(prop, value);
  return resource;
}

std::unique_ptr<Resource> ResourceManager::open_resource(std::string_view name, const OpenOptions& options) {
  std::error_code ec;
  auto resource = open_resource(name, options, ec);
  throw_if(ec, fmt::format("(opening '{}')", name).c_str());
  return resource;
}

std::vector<Resource*> ResourceManager::list_opened_resources() const {
  std::lock_guard guard(state_->registry->mutex);
  std::vector<Resource*> out;
  for (Resource* r : state_->registry->resources)
    if (r->is_open()) out.push_back(r);
  return out;
}

}  // namespace cppvisa
