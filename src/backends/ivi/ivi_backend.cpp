#include "backends/ivi/ivi_backend.hpp"

#include <cppvisa/error.hpp>
#include <cppvisa/status.hpp>

#include <dlfcn.h>
#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

namespace cppvisa::ivi {
namespace {

// The C ABI on LP64 Linux (visatype.h): ViSession/ViStatus/ViAttr 32 bits, ViAttrState 64 bits,
// ViBoolean 16 bits, ViEventType 32 bits, ViAddr a pointer.
using ViStatus = std::int32_t;
using ViSession = std::uint32_t;
using ViUInt32 = std::uint32_t;
using ViUInt16 = std::uint16_t;
using ViAttrState = std::uint64_t;

struct Api {
  ViStatus (*viOpenDefaultRM)(ViSession*) = nullptr;
  ViStatus (*viFindRsrc)(ViSession, const char*, ViSession*, ViUInt32*, char*) = nullptr;
  ViStatus (*viFindNext)(ViSession, char*) = nullptr;
  ViStatus (*viParseRsrcEx)(ViSession, const char*, ViUInt16*, ViUInt16*, char*, char*, char*) = nullptr;
  ViStatus (*viOpen)(ViSession, const char*, ViUInt32, ViUInt32, ViSession*) = nullptr;
  ViStatus (*viClose)(ViSession) = nullptr;
  ViStatus (*viGetAttribute)(ViSession, ViUInt32, void*) = nullptr;
  ViStatus (*viSetAttribute)(ViSession, ViUInt32, ViAttrState) = nullptr;
  ViStatus (*viRead)(ViSession, unsigned char*, ViUInt32, ViUInt32*) = nullptr;
  ViStatus (*viWrite)(ViSession, const unsigned char*, ViUInt32, ViUInt32*) = nullptr;
  ViStatus (*viReadSTB)(ViSession, ViUInt16*) = nullptr;
  ViStatus (*viClear)(ViSession) = nullptr;
  ViStatus (*viAssertTrigger)(ViSession, ViUInt16) = nullptr;
  ViStatus (*viFlush)(ViSession, ViUInt16) = nullptr;
  ViStatus (*viLock)(ViSession, ViUInt32, ViUInt32, const char*, char*) = nullptr;
  ViStatus (*viUnlock)(ViSession) = nullptr;
  ViStatus (*viEnableEvent)(ViSession, ViUInt32, ViUInt16, ViUInt32) = nullptr;
  ViStatus (*viDisableEvent)(ViSession, ViUInt32, ViUInt16) = nullptr;
  ViStatus (*viDiscardEvents)(ViSession, ViUInt32, ViUInt16) = nullptr;
  ViStatus (*viWaitOnEvent)(ViSession, ViUInt32, ViUInt32, ViUInt32*, ViSession*) = nullptr;
  ViStatus (*viInstallHandler)(ViSession, ViUInt32, EventHandlerFn, void*) = nullptr;
  ViStatus (*viUninstallHandler)(ViSession, ViUInt32, EventHandlerFn, void*) = nullptr;
  ViStatus (*viGpibControlREN)(ViSession, ViUInt16) = nullptr;
  ViStatus (*viGpibControlATN)(ViSession, ViUInt16) = nullptr;
  ViStatus (*viGpibCommand)(ViSession, const unsigned char*, ViUInt32, ViUInt32*) = nullptr;
  ViStatus (*viGpibPassControl)(ViSession, ViUInt16, ViUInt16) = nullptr;
  ViStatus (*viGpibSendIFC)(ViSession) = nullptr;
  ViStatus (*viUsbControlOut)(ViSession, std::int16_t, std::int16_t, ViUInt16, ViUInt16, ViUInt16,
                              const unsigned char*) = nullptr;
  ViStatus (*viUsbControlIn)(ViSession, std::int16_t, std::int16_t, ViUInt16, ViUInt16, ViUInt16, unsigned char*,
                             ViUInt16*) = nullptr;
  ViStatus (*viTerminate)(ViSession, ViUInt16, ViUInt32) = nullptr;
};

class IviBackend final : public Backend {
 public:
  explicit IviBackend(std::string path) : path_(std::move(path)) {
    handle_ = dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw VisaIOError(status::ERROR_LIBRARY_NFOUND, {}, dlerror());
    bind("viOpenDefaultRM", api_.viOpenDefaultRM, true);
    bind("viOpen", api_.viOpen, true);
    bind("viClose", api_.viClose, true);
    bind("viFindRsrc", api_.viFindRsrc);
    bind("viFindNext", api_.viFindNext);
    bind("viParseRsrcEx", api_.viParseRsrcEx);
    bind("viGetAttribute", api_.viGetAttribute);
    bind("viSetAttribute", api_.viSetAttribute);
    bind("viRead", api_.viRead);
    bind("viWrite", api_.viWrite);
    bind("viReadSTB", api_.viReadSTB);
    bind("viClear", api_.viClear);
    bind("viAssertTrigger", api_.viAssertTrigger);
    bind("viFlush", api_.viFlush);
    bind("viLock", api_.viLock);
    bind("viUnlock", api_.viUnlock);
    bind("viEnableEvent", api_.viEnableEvent);
    bind("viDisableEvent", api_.viDisableEvent);
    bind("viDiscardEvents", api_.viDiscardEvents);
    bind("viWaitOnEvent", api_.viWaitOnEvent);
    bind("viInstallHandler", api_.viInstallHandler);
    bind("viUninstallHandler", api_.viUninstallHandler);
    bind("viGpibControlREN", api_.viGpibControlREN);
    bind("viGpibControlATN", api_.viGpibControlATN);
    bind("viGpibCommand", api_.viGpibCommand);
    bind("viGpibPassControl", api_.viGpibPassControl);
    bind("viGpibSendIFC", api_.viGpibSendIFC);
    bind("viUsbControlOut", api_.viUsbControlOut);
    bind("viUsbControlIn", api_.viUsbControlIn);
    bind("viTerminate", api_.viTerminate);
  }
  ~IviBackend() override {
    // The vendor library stays loaded: handler threads of some vendors outlive viClose.
  }

  std::string name() const override { return "ivi"; }
  std::string library_path() const override { return path_; }
  std::vector<std::string> debug_info() const override {
    std::vector<std::string> out{"Library: " + path_};
    ViSession rm = 0;
    if (api_.viOpenDefaultRM(&rm) >= 0) {
      AttrValue v;
      auto* self = const_cast<IviBackend*>(this);
      if (self->get_attribute(rm, attr::RSRC_MANF_NAME, v) >= 0 && std::holds_alternative<std::string>(v))
        out.push_back("Vendor: " + std::get<std::string>(v));
      if (self->get_attribute(rm, attr::RSRC_IMPL_VERSION, v) >= 0 && std::holds_alternative<std::int64_t>(v))
        out.push_back(fmt::format("Impl. Version: {}", std::get<std::int64_t>(v)));
      if (self->get_attribute(rm, attr::RSRC_SPEC_VERSION, v) >= 0 && std::holds_alternative<std::int64_t>(v))
        out.push_back(fmt::format("Spec. Version: {}", std::get<std::int64_t>(v)));
      api_.viClose(rm);
    }
    return out;
  }

  status_t open_default_rm(session_t& rm) override { return api_.viOpenDefaultRM(&rm); }

  status_t find_resources(session_t rm, std::string_view expression, std::vector<std::string>& names) override {
    if (!api_.viFindRsrc || !api_.viFindNext) return status::ERROR_NSUP_OPER;
    std::string expr(expression);
    ViSession list = 0;
    ViUInt32 count = 0;
    std::array<char, 257> buf{};
    names.clear();
    status_t st = api_.viFindRsrc(rm, expr.c_str(), &list, &count, buf.data());
    if (st < 0) return st;
    names.emplace_back(buf.data());
    for (ViUInt32 i = 1; i < count; ++i) {
      buf.fill(0);
      if (api_.viFindNext(list, buf.data()) < 0) break;
      names.emplace_back(buf.data());
    }
    if (list) api_.viClose(list);
    return status::SUCCESS;
  }

  status_t parse_resource(session_t rm, std::string_view name, ResourceInfo& info) override {
    if (!api_.viParseRsrcEx) return status::ERROR_NSUP_OPER;
    std::string n(name);
    ViUInt16 type = 0, board = 0;
    std::array<char, 257> cls{}, expanded{}, alias{};
    status_t st = api_.viParseRsrcEx(rm, n.c_str(), &type, &board, cls.data(), expanded.data(), alias.data());
    if (st < 0) return st;
    info.interface_type = static_cast<InterfaceType>(type);
    info.interface_board_number = board;
    info.resource_class = cls.data();
    info.resource_name = expanded.data();
    info.alias = alias.data();
    return st;
  }

  status_t open(session_t rm, std::string_view name, AccessMode mode, std::uint32_t timeout, session_t& s) override {
    std::string n(name);
    return api_.viOpen(rm, n.c_str(), static_cast<ViUInt32>(mode), timeout, &s);
  }
  status_t close(session_t object) override { return api_.viClose(object); }

  status_t get_attribute(session_t object, attr_id_t id, AttrValue& value) override {
    if (!api_.viGetAttribute) return status::ERROR_NSUP_OPER;
    const AttrInfo* info = find_attribute(id);
    // Strings are up to 256 bytes; integers are written at their native width: zeroed storage
    // of 256 bytes takes either, then the value is read at the attribute's width.
    alignas(8) std::array<unsigned char, 320> buf{};
    status_t st = api_.viGetAttribute(object, id, buf.data());
    if (st < 0) return st;
    AttrType t = info ? info->type : AttrType::U32;
    if (t == AttrType::STRING || t == AttrType::BYTES) {
      buf[256] = 0;
      value = std::string(reinterpret_cast<const char*>(buf.data()));
      return st;
    }
    std::uint64_t raw = 0;
    std::memcpy(&raw, buf.data(), std::min<std::size_t>(attr_type_size(t), sizeof raw));
    value = normalize_attr_integer(t, raw);
    return st;
  }

  status_t set_attribute(session_t object, attr_id_t id, const AttrValue& value) override {
    if (!api_.viSetAttribute) return status::ERROR_NSUP_OPER;
    auto* i = std::get_if<std::int64_t>(&value);
    if (!i) return status::ERROR_NSUP_ATTR_STATE;  // string attributes are read-only in VISA
    return api_.viSetAttribute(object, id, static_cast<ViAttrState>(*i));
  }

  status_t read(session_t s, std::span<std::byte> buffer, std::size_t& count) override {
    // viRead takes a 32-bit count: larger buffers are read by the caller's loop.
    ViUInt32 n = 0;
    auto want = static_cast<ViUInt32>(std::min<std::size_t>(buffer.size(), 0xFFFFFFFFu));
    status_t st = api_.viRead(s, reinterpret_cast<unsigned char*>(buffer.data()), want, &n);
    count = n;
    return st;
  }
  status_t write(session_t s, std::span<const std::byte> data, std::size_t& count) override {
    ViUInt32 n = 0;
    auto want = static_cast<ViUInt32>(std::min<std::size_t>(data.size(), 0xFFFFFFFFu));
    status_t st = api_.viWrite(s, reinterpret_cast<const unsigned char*>(data.data()), want, &n);
    count = n;
    return st;
  }
  status_t read_stb(session_t s, std::uint16_t& stb) override { return call(api_.viReadSTB, s, &stb); }
  status_t clear(session_t s) override { return call(api_.viClear, s); }
  status_t assert_trigger(session_t s, TriggerProtocol p) override {
    return call(api_.viAssertTrigger, s, static_cast<ViUInt16>(p));
  }
  status_t flush(session_t s, std::uint16_t mask) override { return call(api_.viFlush, s, mask); }
  status_t lock(session_t s, AccessMode type, std::uint32_t timeout, std::string_view requested_key,
                std::string& key) override {
    if (!api_.viLock) return status::ERROR_NSUP_OPER;
    std::string req(requested_key);
    std::array<char, 257> granted{};
    status_t st = api_.viLock(s, static_cast<ViUInt32>(type), timeout, req.empty() ? nullptr : req.c_str(),
                              type == AccessMode::shared_lock ? granted.data() : nullptr);
    key = granted.data();
    return st;
  }
  status_t unlock(session_t s) override { return call(api_.viUnlock, s); }
  status_t enable_event(session_t s, event_type_t t, std::uint16_t m) override {
    return call(api_.viEnableEvent, s, t, m, ViUInt32{0});
  }
  status_t disable_event(session_t s, event_type_t t, std::uint16_t m) override { return call(api_.viDisableEvent, s, t, m); }
  status_t discard_events(session_t s, event_type_t t, std::uint16_t m) override {
    return call(api_.viDiscardEvents, s, t, m);
  }
  status_t wait_on_event(session_t s, event_type_t t, std::uint32_t timeout, event_type_t& out, session_t& ctx,
                         bool want_context) override {
    if (!api_.viWaitOnEvent) return status::ERROR_NSUP_OPER;
    ctx = 0;
    return api_.viWaitOnEvent(s, t, timeout, &out, want_context ? &ctx : nullptr);
  }
  status_t install_handler(session_t s, event_type_t t, EventHandlerFn h, void* user) override {
    return call(api_.viInstallHandler, s, t, h, user);
  }
  status_t uninstall_handler(session_t s, event_type_t t, EventHandlerFn h, void* user) override {
    return call(api_.viUninstallHandler, s, t, h, user);
  }
  status_t gpib_control_ren(session_t s, RenMode mode) override {
    return call(api_.viGpibControlREN, s, static_cast<ViUInt16>(mode));
  }
  status_t gpib_control_atn(session_t s, std::uint16_t mode) override { return call(api_.viGpibControlATN, s, mode); }
  status_t gpib_command(session_t s, std::span<const std::byte> data, std::size_t& count) override {
    ViUInt32 n = 0;
    status_t st = call(api_.viGpibCommand, s, reinterpret_cast<const unsigned char*>(data.data()),
                       static_cast<ViUInt32>(data.size()), &n);
    count = n;
    return st;
  }
  status_t gpib_pass_control(session_t s, std::uint16_t p, std::uint16_t sa) override {
    return call(api_.viGpibPassControl, s, p, sa);
  }
  status_t gpib_send_ifc(session_t s) override { return call(api_.viGpibSendIFC, s); }
  status_t usb_control_out(session_t s, std::int16_t rt, std::int16_t rq, std::uint16_t v, std::uint16_t i,
                           std::span<const std::byte> data) override {
    return call(api_.viUsbControlOut, s, rt, rq, v, i, static_cast<ViUInt16>(data.size()),
                reinterpret_cast<const unsigned char*>(data.data()));
  }
  status_t usb_control_in(session_t s, std::int16_t rt, std::int16_t rq, std::uint16_t v, std::uint16_t i,
                          std::span<std::byte> buffer, std::size_t& count) override {
    ViUInt16 n = 0;
    status_t st = call(api_.viUsbControlIn, s, rt, rq, v, i, static_cast<ViUInt16>(std::min<std::size_t>(buffer.size(), 0xFFFF)),
                       reinterpret_cast<unsigned char*>(buffer.data()), &n);
    count = n;
    return st;
  }
  status_t terminate(session_t s, std::uint16_t degree, std::uint32_t job) override {
    return call(api_.viTerminate, s, degree, job);
  }
  bool owns(session_t object) const override {
    // A vendor library does not tell which handles are live; ask for an attribute every object has.
    if (!api_.viGetAttribute || object == 0) return false;
    alignas(8) std::array<unsigned char, 320> buf{};
    return api_.viGetAttribute(object, attr::RSRC_MANF_ID, buf.data()) != status::ERROR_INV_OBJECT;
  }

 private:
  template <class Fn>
  void bind(const char* symbol, Fn& fn, bool required = false) {
    fn = reinterpret_cast<Fn>(dlsym(handle_, symbol));
    if (!fn && required)
      throw VisaIOError(status::ERROR_LIBRARY_NFOUND, {}, fmt::format("{} does not export {}", path_, symbol));
  }
  template <class Fn, class... Args>
  static status_t call(Fn fn, Args... args) {
    return fn ? fn(args...) : status::ERROR_NSUP_OPER;
  }

  std::string path_;
  void* handle_ = nullptr;
  Api api_;
};

// cppvisa's own libvisa.so carries this marker string (src/cabi/marker.cpp): it is not a vendor
// library, and choosing it as the default would route cppvisa through itself.
bool is_cppvisa_library(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  static constexpr std::string_view marker = "cppvisa-libvisa-marker";
  std::string window;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    // Keep the tail of the previous block so that a marker across two blocks is found.
    window.erase(0, window.size() > marker.size() ? window.size() - marker.size() : 0);
    window.append(buf, static_cast<std::size_t>(in.gcount()));
    if (window.find(marker) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::shared_ptr<Backend> make_backend(const std::string& path) { return std::make_shared<IviBackend>(path); }

std::vector<std::string> find_vendor_libraries() {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto consider = [&](const std::string& p) {
    std::error_code ec;
    auto real = std::filesystem::weakly_canonical(p, ec).string();
    if (ec || !std::filesystem::exists(real) || !seen.insert(real).second) return;
    if (is_cppvisa_library(real)) return;
    out.push_back(real);
  };
  // The ld.so cache first, as PyVISA's ctypes.util.find_library does.
  for (const char* lib : {"visa", "visa32", "visa64"}) {
    std::string needle = fmt::format("lib{}.so", lib);
    if (FILE* pipe = popen("/sbin/ldconfig -p 2>/dev/null", "r")) {
      char line[1024];
      while (std::fgets(line, sizeof line, pipe)) {
        std::string l(line);
        auto pos = l.find(needle);
        auto arrow = l.find("=> ");
        if (pos == std::string::npos || arrow == std::string::npos || l.find("x86-64") == std::string::npos) continue;
        std::string p = l.substr(arrow + 3);
        while (!p.empty() && (p.back() == '\n' || p.back() == ' ')) p.pop_back();
        if (l.compare(pos, needle.size() + 1, needle + ".") == 0 || l.compare(pos, needle.size() + 1, needle + " ") == 0)
          consider(p);
      }
      pclose(pipe);
    }
  }
  return out;
}

}  // namespace cppvisa::ivi
