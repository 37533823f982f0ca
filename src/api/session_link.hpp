// detail::SessionLink: what a Resource and its ResourceManager share about one open session.
#pragma once

#include <cppvisa/backend.hpp>

#include <atomic>
#include <cstddef>
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
  /// MessageBasedResource::read_raw's receive buffer, kept between reads (guarded by the
  /// resource's serialise() lock): a reply is received here, uninitialised, and only its bytes
  /// are copied out, instead of zero-filling a chunk-sized vector per read.
  std::unique_ptr<std::byte[]> read_scratch;
  std::size_t read_scratch_size = 0;
};

}  // namespace cppvisa::detail
