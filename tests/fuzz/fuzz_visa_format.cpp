// libFuzzer target: libvisa.so's formatted-I/O engine (viPrintf formats, viScanf formats and the
// device bytes viScanf parses). Input: a format string, a NUL byte, then the bytes to scan.
// The engine lives in src/cabi (built with libvisa.so, not with the library objects the fuzz
// targets link), so its sources are compiled into this target directly.
#include "cabi/format_print.cpp"
#include "cabi/format_scan.cpp"
#include "cabi/format_spec.cpp"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

// Arguments for any format: small counts, and one zeroed scratch area for every pointer (large
// enough for anything the bounded input can produce: at most 16 bytes per input byte).
class FuzzArgs final : public cppvisa::cabi::ArgSource {
 public:
  explicit FuzzArgs(std::vector<unsigned char>& scratch) : scratch_(scratch) {}
  int next_int() override { return 3; }
  long long next_llong() override { return 3; }
  double next_double() override { return 1.5; }
  long double next_ldouble() override { return 1.5; }
  void* next_ptr() override {
    // `#` counts point here too: keep a small capacity in the first word
    std::int32_t cap = 64;
    std::memcpy(scratch_.data(), &cap, sizeof cap);
    return scratch_.data();
  }

 private:
  std::vector<unsigned char>& scratch_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  const char* begin = reinterpret_cast<const char*>(data);
  const void* nul = std::memchr(data, 0, size);
  std::size_t fmt_len = nul ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - data) : size;
  std::string fmt(begin, fmt_len);
  std::string input = nul ? std::string(begin + fmt_len + 1, size - fmt_len - 1) : std::string();

  std::vector<unsigned char> scratch(16 * 4096 + 4096, 0);
  {
    FuzzArgs args(scratch);
    cppvisa::cabi::ReadBuffer buffer;
    buffer.data = input;
    cppvisa::cabi::format_scan(fmt, args, buffer, cppvisa::cabi::RefillFn{});
  }
  // viPrintf reads the caller's arrays as long as the format says: only counts from the
  // arguments (3) keep that inside the scratch area, so formats with literal counts are skipped.
  bool literal_count = false;
  for (std::size_t i = 0; i < fmt.size(); ++i)
    if (std::isdigit(static_cast<unsigned char>(fmt[i])) && (i == 0 || fmt[i - 1] != '@')) literal_count = true;
  if (!literal_count) {
    std::fill(scratch.begin(), scratch.end(), 0);
    FuzzArgs args(scratch);
    std::string out;
    bool flush = false;
    cppvisa::cabi::format_print(fmt, args, out, flush);
  }
  return 0;
}
