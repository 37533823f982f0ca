// Locating the data directory from the library's own path: dladdr(3) on a function of this
// module gives its file; the relative path from the library (or bin) directory to the data
// directory is fixed at configure time (CPPVISA_LIB_TO_DATA, CPPVISA_BIN_TO_DATA), so a moved
// prefix keeps working.
#include "core/install_paths.hpp"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace cppvisa::core {

namespace {

bool dir_exists(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

fs::path canonical_or_same(const fs::path& p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(p, ec);
  return ec ? p : c;
}

// Whether `p` lies strictly below the directory `dir` (both canonical).
bool is_below(const fs::path& p, const fs::path& dir) {
  auto rel = p.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

std::string module_directory() {
  Dl_info info{};
  link_map* map = nullptr;
  if (dladdr1(reinterpret_cast<void*>(&module_directory), &info, reinterpret_cast<void**>(&map),
              RTLD_DL_LINKMAP) == 0) {
    return {};
  }
  fs::path file;
  if (map && map->l_name && map->l_name[0] != '\0') {
    file = map->l_name;  // a shared object: the path the loader opened
  } else {
    // The main program (l_name is empty and dli_fname is argv[0], maybe without a directory).
    std::error_code ec;
    file = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return {};
  }
  return canonical_or_same(fs::absolute(file)).parent_path().string();
}

std::string data_directory() {
  if (const char* env = std::getenv("CPPVISA_DATA_DIR"); env && *env) return env;
  const fs::path module = module_directory();
  fs::path installed;
  if (!module.empty()) {
#ifdef CPPVISA_LIB_TO_DATA
    installed = (module / CPPVISA_LIB_TO_DATA).lexically_normal();
    if (dir_exists(installed)) return installed.string();
#endif
#ifdef CPPVISA_BIN_TO_DATA
    if (auto from_bin = (module / CPPVISA_BIN_TO_DATA).lexically_normal(); dir_exists(from_bin)) {
      return from_bin.string();
    }
#endif
  }
#if defined(CPPVISA_BUILD_TREE) && defined(CPPVISA_SOURCE_DATA_DIR)
  // A module still in its build tree uses the source tree's data (nothing is copied there).
  if (!module.empty() && is_below(module, canonical_or_same(CPPVISA_BUILD_TREE)) &&
      dir_exists(CPPVISA_SOURCE_DATA_DIR)) {
    return CPPVISA_SOURCE_DATA_DIR;
  }
#endif
  return installed.empty() ? fs::path("share/cppvisa").string() : installed.string();
}

}  // namespace cppvisa::core
