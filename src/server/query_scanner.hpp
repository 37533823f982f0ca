// server::QueryScanner: tells whether a program message is a query, fed in pieces as a protocol
// delivers it. IEEE 488.2 §7.3.3: a query message unit's header ends with '?'; §7.7.5/§7.7.6:
// string data ('...' or "...", a doubled quote inside) and arbitrary block data (#<n><len>... or
// #0...NL^END) may hold any byte, '?' included, and are skipped. Small and hot (every byte a
// gateway writes goes through it), so written by hand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace cppvisa::server {

class QueryScanner {
 public:
  /// Scans the next bytes of the current program message.
  void feed(std::span<const std::byte> data) noexcept;
  /// Whether a query header was seen since the last reset().
  bool saw_query() const noexcept { return query_; }
  /// Starts a new program message.
  void reset() noexcept { *this = QueryScanner{}; }

 private:
  enum class State : std::uint8_t { code, string, hash, block_digits, block_data, indefinite };
  State state_ = State::code;
  char quote_ = 0;
  bool query_ = false;
  std::uint8_t digits_left_ = 0;
  std::uint64_t block_left_ = 0;
};

}  // namespace cppvisa::server
