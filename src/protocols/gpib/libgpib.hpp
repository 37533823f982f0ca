// gpib::Libgpib: linux-gpib's user library (libgpib.so.0, GPL, not packaged by Debian) loaded at
// run time with dlopen, never linked: the build, and every machine without it, work; GPIB names
// then fail to open with VI_ERROR_LIBRARY_NFOUND and visa-info says why. CPPVISA_LIBGPIB names
// the library to load instead (a path or a soname; the tests point it at their fake libgpib).
#pragma once

#include <cppvisa/status.hpp>

#include <cstdint>
#include <string>

namespace cppvisa::gpib {

/// ibsta, iberr and ibcntl after a call (linux-gpib's thread-local copies).
struct CallResult {
  int ibsta = 0;
  int iberr = 0;
  long count = 0;  ///< ibcntl: bytes transferred (or errno after EDVR)
  bool failed() const noexcept;
  /// VI_SUCCESS, or the VISA error for iberr (gpib_codes.hpp status_of).
  status_t status() const noexcept;
};

/// The functions of libgpib that cppvisa calls (NI-488 / linux-gpib signatures; `long` counts as
/// in linux-gpib 4, which are ABI-compatible with its older `unsigned long`).
struct LibgpibApi {
  int (*ibdev)(int board, int pad, int sad, int tmo, int send_eoi, int eos) = nullptr;
  int (*ibonl)(int ud, int online) = nullptr;
  int (*ibwrt)(int ud, const void* data, long count) = nullptr;
  int (*ibrd)(int ud, void* buffer, long count) = nullptr;
  int (*ibclr)(int ud) = nullptr;
  int (*ibtrg)(int ud) = nullptr;
  int (*ibrsp)(int ud, char* status_byte) = nullptr;
  int (*ibloc)(int ud) = nullptr;
  int (*ibtmo)(int ud, int code) = nullptr;
  int (*ibconfig)(int ud, int option, int value) = nullptr;
  int (*ibask)(int ud, int option, int* value) = nullptr;
  int (*ibwait)(int ud, int mask) = nullptr;
  int (*ibsre)(int ud, int enable) = nullptr;
  int (*ibcmd)(int ud, const void* commands, long count) = nullptr;
  int (*ibsic)(int ud) = nullptr;
  int (*ibln)(int ud, int pad, int sad, short* found) = nullptr;
  int (*ibcac)(int ud, int synchronous) = nullptr;
  int (*ibgts)(int ud, int shadow_handshake) = nullptr;
  int (*ibpct)(int ud) = nullptr;
  int (*iblines)(int ud, short* lines) = nullptr;
  void (*FindLstn)(int board, const std::uint16_t* addresses, std::uint16_t* results, int limit) = nullptr;
  int (*ThreadIbsta)() = nullptr;
  int (*ThreadIberr)() = nullptr;
  long (*ThreadIbcntl)() = nullptr;
};

class Libgpib {
 public:
  /// The loaded library, or nullptr when it cannot be loaded (then unavailable_reason() says
  /// why). A failed load is tried again on the next call (the library may be installed or
  /// CPPVISA_LIBGPIB set meanwhile); a loaded one stays loaded for the life of the process.
  static const Libgpib* get();
  /// Why get() returns nullptr (a text that lives as long as the process), or nullptr.
  static const char* unavailable_reason();

  /// Where the library was found (the file dlopen loaded).
  const std::string& path() const noexcept { return path_; }
  const LibgpibApi& api() const noexcept { return api_; }
  /// ibsta, iberr, ibcntl of the calling thread's last call.
  CallResult last() const;

 private:
  Libgpib() = default;
  std::string path_;
  LibgpibApi api_;
};

/// The library CPPVISA_LIBGPIB names, else "libgpib.so.0".
std::string libgpib_name();

}  // namespace cppvisa::gpib
