// The regular-expression part of a resource query, compiled to a small NFA program and run as a
// Pike VM (all threads in lock step), so matching costs O(pattern x name) whatever the pattern:
// no backtracking, no exponential blow-up.
#pragma once

#include <bitset>
#include <cstdint>
#include <string_view>
#include <vector>

namespace cppvisa::detail {

/// Which syntax a pattern is written in.
enum class RegexDialect : std::uint8_t {
  visa,    ///< VPP-4.3 §4.4.2: ? * + [list] [^list] | (exp) \c, every other character literal
  python,  ///< Python `re` syntax (what PyVISA's rname.filter hands to re.match), less back references
};

/// Longest pattern accepted and deepest nesting of parentheses (both also bound the program size).
inline constexpr std::size_t max_pattern_length = 4096;
inline constexpr int max_nesting = 64;

/// A compiled pattern. Matching is case-insensitive (ASCII letters).
class NameRegex {
 public:
  /// Compiles `pattern`. @throws VisaIOError(VI_ERROR_INV_EXPR) with the reason.
  NameRegex(std::string_view pattern, RegexDialect dialect);

  /// Whether the whole text matches.
  bool full_match(std::string_view text) const { return run(text, false); }
  /// Whether some prefix of the text matches (Python's re.match).
  bool prefix_match(std::string_view text) const { return run(text, true); }

  enum class Op : std::uint8_t { character, any, any_but_newline, set, split, jump, assertion, match };
  enum class Assertion : std::uint8_t { line_start, line_end, text_start, text_end, word_boundary, not_word_boundary };
  struct Instruction {
    Instruction(Op o, unsigned char c = 0) : op(o), ch(c) {}
    Op op;
    unsigned char ch = 0;  ///< Op::character: the lower-cased character
    Assertion assertion = Assertion::text_start;
    int x = 0;             ///< split/jump target; set index
    int y = 0;             ///< split's second target
  };

 private:
  bool run(std::string_view text, bool prefix) const;
  bool holds(Assertion a, std::string_view text, std::size_t pos) const;

  std::vector<Instruction> program_;
  std::vector<std::bitset<256>> sets_;
};

}  // namespace cppvisa::detail
