// detail::SessionLink: what a Resource and its ResourceManager share about one open session.
#pragma once

#include <cppvisa/backend.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>

namespace cppvisa {
class Resource;
}

namespace cppvisa::detail {

/// The resources a manager has opened (so that closing the manager closes them).
struct RmRegistry {
  std::mutex mutex;
  std::set<Resource*> resources;
  bool open = true;
};

struct SessionLink {
  std::shared_ptr<Backend> backend;
  session_t session = 0;
  std::atomic<bool> open{true};
  std::weak_ptr<RmRegistry> registry;
};

}  // namespace cppvisa::detail
