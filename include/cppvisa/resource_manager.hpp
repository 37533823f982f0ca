/// @file resource_manager.hpp
/// @brief ResourceManager: lists and opens resources through a backend (PyVISA's ResourceManager).
///
/// @code
///   cppvisa::ResourceManager rm("@sim");
///   for (auto& name : rm.list_resources()) std::cout << name << "\n";
///   auto inst = rm.open<cppvisa::MessageBasedResource>("ASRL1::INSTR");
///   inst->set_read_termination("\n");
///   std::cout << inst->query("?IDN") << "\n";
/// @endcode
#pragma once

#include <cppvisa/backend.hpp>
#include <cppvisa/resource.hpp>
#include <cppvisa/resource_info.hpp>
#include <cppvisa/resource_query.hpp>
#include <cppvisa/resources.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cppvisa {

/// How to open a resource (PyVISA's open_resource arguments).
struct OpenOptions {
  AccessMode access_mode = AccessMode::no_lock;  ///< no_lock, exclusive_lock or shared_lock, optionally | load_config
  /// When access_mode asks for a lock: how long to wait for it (ms); 0 = fail at once. The native
  /// and sim backends also bound connecting with it (never below 5000 ms).
  std::uint32_t open_timeout = tmo_immediate;
  /// Properties applied after opening, in order, by PyVISA name ("timeout", "read_termination",
  /// "baud_rate", ...). Names are checked before the session is opened.
  std::vector<std::pair<std::string, PropertyValue>> properties;
};

/// The resource manager. Closing it (or destroying it) closes every resource it opened.
/// Thread safety: every member except the destructor may be called from several threads at once;
/// close() closes the resources opened here as Resource::close() does (waking their waiters).
/// last_status() is the status of the call that finished last, from any thread.
class CPPVISA_API ResourceManager {
 public:
  /// Opens a resource manager on the backend named by `specification` (see open_backend()).
  /// @throws VisaIOError when the backend cannot be opened.
  explicit ResourceManager(std::string_view specification = {});
  /// A resource manager on a backend object.
  explicit ResourceManager(std::shared_ptr<Backend> backend);
  ~ResourceManager();
  ResourceManager(const ResourceManager&) = delete;
  ResourceManager& operator=(const ResourceManager&) = delete;

  /// The backend this manager opens resources with
  const std::shared_ptr<Backend>& backend() const noexcept { return backend_; }
  /// The RM session. @throws InvalidSession after close().
  session_t session() const;
  status_t last_status() const noexcept { return last_status_.load(std::memory_order_relaxed); }  ///< the status of the last call (warnings included)

  /// Canonical names of the resources matching a VISA resource expression (default "?*::INSTR").
  /// No match gives an empty list. @throws VisaIOError (VI_ERROR_INV_EXPR) for a bad expression.
  std::vector<std::string> list_resources(std::string_view query = "?*::INSTR");
  /// Non-throwing list_resources(): VISA errors go to `ec`. @throws InvalidSession after close().
  std::vector<std::string> list_resources(std::string_view query, std::error_code& ec);
  /// name -> ResourceInfo for every listed resource.
  std::map<std::string, ResourceInfo> list_resources_info(std::string_view query = "?*::INSTR");
  /// Parses a name or alias (through the backend). @throws VisaIOError (VI_ERROR_INV_RSRC_NAME).
  ResourceInfo resource_info(std::string_view name);
  /// Non-throwing resource_info(): VISA errors go to `ec`. @throws InvalidSession after close().
  ResourceInfo resource_info(std::string_view name, std::error_code& ec);

  /// viOpen of `name` (a resource name or alias); returns the class its name calls for
  /// (TCPIPInstrument, SerialInstrument...), then applies options.properties.
  /// @throws InvalidSession after close(); VisaIOError (VI_ERROR_INV_RSRC_NAME, VI_ERROR_RSRC_NFOUND,
  /// VI_ERROR_RSRC_LOCKED / VI_ERROR_TMO for a lock not granted within open_timeout, ...); Error for
  /// an unknown property name (checked before opening) or a bad property value.
  std::unique_ptr<Resource> open_resource(std::string_view name, const OpenOptions& options = {});
  /// open_resource() with VISA errors in `ec` (returns null then); still throws InvalidSession and
  /// Error as open_resource().
  std::unique_ptr<Resource> open_resource(std::string_view name, const OpenOptions& options, std::error_code& ec);
  /// Opens a resource as class T (T must match the resource: a MessageBasedResource for message-based
  /// resources, or a base class of the chosen class). @throws Error when the class does not fit.
  template <class T>
  std::unique_ptr<T> open(std::string_view name, const OpenOptions& options = {}) {
    auto r = open_resource(name, options);
    if (auto* t = dynamic_cast<T*>(r.get())) {
      r.release();
      return std::unique_ptr<T>(t);
    }
    throw_class_mismatch(name, r->class_name());
  }
  /// viOpen without wrapping: returns the session (to close with Backend::close) and the status
  /// (warnings included); `open_timeout` in ms. @throws InvalidSession after close(); VisaIOError.
  std::pair<session_t, status_t> open_bare_resource(std::string_view name, AccessMode mode = AccessMode::no_lock,
                                                   std::uint32_t open_timeout = tmo_immediate);
  /// Resources opened by this manager that are still open.
  std::vector<Resource*> list_opened_resources() const;

  /// Closes every resource opened here, then the RM session. Safe to call twice.
  void close() noexcept;

 private:
  [[noreturn]] static void throw_class_mismatch(std::string_view name, std::string_view cls);
  std::unique_ptr<Resource> make_resource(const ResourceInfo& info, std::shared_ptr<detail::SessionLink> link,
                                          std::string name);
  friend class Resource;
  void forget(Resource* r) noexcept;
  struct State;
  std::shared_ptr<Backend> backend_;
  std::shared_ptr<State> state_;
  mutable std::atomic<status_t> last_status_{0};
};

}  // namespace cppvisa
