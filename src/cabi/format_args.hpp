// The argument list of the formatted-I/O functions (viPrintf/viScanf families): an interface so
// that the format engine works on a C va_list (VaListArgs) and, in tests, on any other source.
#pragma once

#include <cstdarg>
#include <cstdint>

namespace cppvisa::cabi {

/// Pulls the next argument of the given C type (after default argument promotions).
class ArgSource {
 public:
  virtual ~ArgSource() = default;
  virtual int next_int() = 0;
  virtual long long next_llong() = 0;
  virtual double next_double() = 0;
  virtual long double next_ldouble() = 0;
  virtual void* next_ptr() = 0;
};

/// A va_list as an ArgSource. The va_list is copied (va_copy); the caller keeps ownership of its own.
class VaListArgs final : public ArgSource {
 public:
  explicit VaListArgs(va_list ap) { va_copy(ap_, ap); }
  ~VaListArgs() override { va_end(ap_); }
  VaListArgs(const VaListArgs&) = delete;
  VaListArgs& operator=(const VaListArgs&) = delete;

  int next_int() override { return va_arg(ap_, int); }
  long long next_llong() override { return va_arg(ap_, long long); }
  double next_double() override { return va_arg(ap_, double); }
  long double next_ldouble() override { return va_arg(ap_, long double); }
  void* next_ptr() override { return va_arg(ap_, void*); }

 private:
  va_list ap_;
};

}  // namespace cppvisa::cabi
