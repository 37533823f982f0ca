#include "protocols/gpib/libgpib.hpp"

#include "protocols/gpib/gpib_codes.hpp"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <mutex>
#include <set>

namespace cppvisa::gpib {
namespace {

std::mutex g_mutex;
const Libgpib* g_loaded = nullptr;     // never unloaded
const char* g_reason = nullptr;        // why the last attempt failed
std::set<std::string> g_reasons;       // interned texts (unavailable_reason() outlives calls)

const char* intern(std::string text) { return g_reasons.insert(std::move(text)).first->c_str(); }

}  // namespace

bool CallResult::failed() const noexcept { return (ibsta & sta::ERR) != 0; }

status_t CallResult::status() const noexcept { return failed() ? status_of(ibsta, iberr) : status::SUCCESS; }

std::string libgpib_name() {
  if (const char* env = std::getenv("CPPVISA_LIBGPIB"); env && *env) return env;
  return "libgpib.so.0";
}

CallResult Libgpib::last() const {
  return CallResult{api_.ThreadIbsta(), api_.ThreadIberr(), api_.ThreadIbcntl()};
}

const Libgpib* Libgpib::get() {
  std::lock_guard guard(g_mutex);
  if (g_loaded) return g_loaded;
  const std::string name = libgpib_name();
  void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    g_reason = intern(name + " not found (" + (why ? why : "dlopen failed") +
                      "); install linux-gpib or set CPPVISA_LIBGPIB to its path");
    return nullptr;
  }
  auto* lib = new Libgpib;
  std::string missing;
  auto bind = [&](const char* symbol, auto& fn) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle, symbol));
    if (!fn) missing += (missing.empty() ? "" : ", ") + std::string(symbol);
  };
  LibgpibApi& a = lib->api_;
  bind("ibdev", a.ibdev);
  bind("ibonl", a.ibonl);
  bind("ibwrt", a.ibwrt);
  bind("ibrd", a.ibrd);
  bind("ibclr", a.ibclr);
  bind("ibtrg", a.ibtrg);
  bind("ibrsp", a.ibrsp);
  bind("ibloc", a.ibloc);
  bind("ibtmo", a.ibtmo);
  bind("ibconfig", a.ibconfig);
  bind("ibask", a.ibask);
  bind("ibwait", a.ibwait);
  bind("ibsre", a.ibsre);
  bind("ibcmd", a.ibcmd);
  bind("ibsic", a.ibsic);
  bind("ibln", a.ibln);
  bind("ibcac", a.ibcac);
  bind("ibgts", a.ibgts);
  bind("ibpct", a.ibpct);
  bind("iblines", a.iblines);
  bind("FindLstn", a.FindLstn);
  bind("ThreadIbsta", a.ThreadIbsta);
  bind("ThreadIberr", a.ThreadIberr);
  bind("ThreadIbcntl", a.ThreadIbcntl);
  std::string where = name;
  link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && *map->l_name) where = map->l_name;
  if (!missing.empty()) {
    delete lib;
    dlclose(handle);
    g_reason = intern(where + " is not a usable libgpib (lacks " + missing + ")");
    return nullptr;
  }
  lib->path_ = where;
  g_reason = nullptr;
  g_loaded = lib;
  return g_loaded;
}

const char* Libgpib::unavailable_reason() {
  if (get()) return nullptr;
  std::lock_guard guard(g_mutex);
  return g_reason;
}

}  // namespace cppvisa::gpib
