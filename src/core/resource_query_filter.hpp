// The attribute part of a resource query: `VI_ATTR_MANF_ID == 0x0957 && VI_ATTR_MODEL_CODE != 0x0101`
// (VPP-4.3 §4.4.2.1.1). Compiled once into a small tree, evaluated per resource with
// three-valued logic: a comparison with an attribute the resource lacks is "unknown", and a
// resource matches only when the whole expression is true.
#pragma once

#include <cppvisa/attributes.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::detail {

class AttributeFilter {
 public:
  using Lookup = std::function<std::optional<AttrValue>(attr_id_t)>;

  /// Compiles the text between the braces. `lenient_strings` (PyVISA mode) lets an integer
  /// attribute be compared with a quoted number ("0x0957"), as PyVISA's filter2 requires.
  /// @throws VisaIOError(VI_ERROR_INV_EXPR).
  AttributeFilter(std::string_view text, bool lenient_strings);

  /// True when the expression holds for the attributes `lookup` gives (each looked up once).
  bool evaluate(const Lookup& lookup) const;
  /// True when the expression is empty ("{}"): everything matches.
  bool empty() const noexcept { return root_ < 0; }

  enum class Kind : std::uint8_t { or_, and_, not_, compare, truthy, attribute, integer, string };
  enum class Compare : std::uint8_t { eq, ne, lt, gt, le, ge };
  struct Node {
    explicit Node(Kind k) : kind(k) {}
    Kind kind;
    Compare op = Compare::eq;
    int a = -1;
    int b = -1;
    attr_id_t id = 0;       ///< Kind::attribute
    bool is_string = false;  ///< value type of an operand
    std::int64_t integer = 0;
    std::string text;
  };

 private:
  std::vector<Node> nodes_;
  int root_ = -1;
};

}  // namespace cppvisa::detail
