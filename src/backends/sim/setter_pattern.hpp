// sim::SetterPattern: the parsing side of PEP 3101 used by property setters, with the grammar of
// the `stringparser` library that PyVISA-sim uses: the whole message must
// match; literal text is compared exactly; each field accepts what its type accepts:
//   {} {:s}      any text (shortest first)          -> str
//   {:d}         [-]?[0-9]+                          -> int   ("+1" is rejected)
//   {:f} {:.3f}  [-]?[0-9]+\.?[0-9]+                 -> float (needs two digits: "5" is rejected)
//   {:e} {:E}    as f, then optional e[-+]?[0-9]+ (E for {:E})
//   {:g} {:G}    as f, then optional [eE][-+]?[0-9]+
//   {:x} {:o} {:b}  [-]? and digits of the base      -> int
//   {:%}         [0-9]+\.?[0-9]+%                    -> float / 100
// Width, precision and alignment in a field's spec are ignored (as stringparser does).
// Named fields ("{ch_id}") capture text. Matching is bounded (no regex engine, no recursion
// proportional to the message length), so any message is safe.
#pragma once

#include "backends/sim/value.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::sim {

class SetterPattern {
 public:
  struct Match {
    std::vector<Value> values;                    ///< positional fields, in order
    std::map<std::string, std::string> named;     ///< named fields (e.g. ch_id)
  };

  /// @throws FormatError (py_format.hpp) for an unusable pattern.
  static SetterPattern parse(std::string_view pattern);
  std::optional<Match> match(std::string_view message) const;

  std::size_t positional_count() const noexcept;
  bool has_named(std::string_view name) const noexcept;
  const std::string& text() const noexcept { return text_; }

 private:
  struct Segment {
    std::string literal;  // literal text before the field (or the trailing text)
    bool field = false;
    std::string name;     // empty for a positional field
    char type = 's';
  };
  bool match_from(std::size_t seg, std::string_view msg, std::size_t pos, Match& m, long& budget) const;
  std::vector<Segment> segments_;
  std::string text_;
};

}  // namespace cppvisa::sim
