// Attribute expressions of resource queries: tokenizer, recursive-descent parser with type
// checks, and a three-valued evaluator.
#include "core/resource_query_filter.hpp"

#include "core/ascii.hpp"

#include "core/resource_name_grammar.hpp"

#include <cppvisa/error.hpp>

#include <fmt/format.h>

#include <limits>

namespace cppvisa::detail {
namespace {

constexpr std::size_t max_filter_length = 4096;
constexpr int max_filter_nesting = 64;

[[noreturn]] void invalid(std::string_view why) {
  throw VisaIOError(status::ERROR_INV_EXPR, {}, fmt::format("in the attribute expression: {}", why));
}

/// Constants a filter may name besides attributes (visa.h values).
struct NamedConstant {
  std::string_view name;
  std::int64_t value;
};
constexpr NamedConstant constants[] = {
    {"VI_TRUE", 1},         {"VI_FALSE", 0},        {"VI_NULL", 0},          {"VI_NO_SEC_ADDR", 0xFFFF},
    {"VI_INTF_GPIB", 1},    {"VI_INTF_VXI", 2},     {"VI_INTF_GPIB_VXI", 3}, {"VI_INTF_ASRL", 4},
    {"VI_INTF_PXI", 5},     {"VI_INTF_TCPIP", 6},   {"VI_INTF_USB", 7},
};

enum class Tok : std::uint8_t { end, identifier, integer, string, eq, ne, lt, gt, le, ge, not_, and_, or_, open, close };

struct Token {
  Tok kind = Tok::end;
  std::string text;
  std::int64_t integer = 0;
  std::size_t pos = 0;
};

bool is_ident_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_ident(char c) { return is_ident_start(c) || core::is_ascii_digit(c); }

/// Integer literal: decimal or 0x hex, optionally negative; nullopt when malformed or out of range.
std::optional<std::int64_t> parse_integer(std::string_view text) {
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  const std::uint64_t limit = negative ? std::uint64_t{1} << 63 : std::numeric_limits<std::uint64_t>::max();
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    for (char c : text.substr(2)) {
      int digit;
      if (core::is_ascii_digit(c)) digit = c - '0';
      else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      else return std::nullopt;
      if (value > (limit - static_cast<unsigned>(digit)) / 16) return std::nullopt;
      value = value * 16 + static_cast<unsigned>(digit);
    }
  } else {
    for (char c : text) {
      if (!core::is_ascii_digit(c)) return std::nullopt;
      auto digit = static_cast<unsigned>(c - '0');
      if (value > (limit - digit) / 10) return std::nullopt;
      value = value * 10 + digit;
    }
  }
  // Hex literals up to 0xFFFFFFFFFFFFFFFF keep their bit pattern (U64 attributes).
  return negative ? static_cast<std::int64_t>(0 - value) : static_cast<std::int64_t>(value);
}

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    Token t;
    t.pos = i;
    auto two = s.substr(i, 2);
    if (two == "==") t.kind = Tok::eq;
    else if (two == "!=") t.kind = Tok::ne;
    else if (two == "<=") t.kind = Tok::le;
    else if (two == ">=") t.kind = Tok::ge;
    else if (two == "&&") t.kind = Tok::and_;
    else if (two == "||") t.kind = Tok::or_;
    if (t.kind != Tok::end) {
      i += 2;
      out.push_back(std::move(t));
      continue;
    }
    if (c == '<') t.kind = Tok::lt;
    else if (c == '>') t.kind = Tok::gt;
    else if (c == '!') t.kind = Tok::not_;
    else if (c == '(') t.kind = Tok::open;
    else if (c == ')') t.kind = Tok::close;
    if (t.kind != Tok::end) {
      ++i;
      out.push_back(std::move(t));
      continue;
    }
    if (c == '=') invalid(fmt::format("'=' at position {} (comparison is '==')", i));
    if (c == '&' || c == '|') invalid(fmt::format("'{}' at position {} (the operators are '&&' and '||')", c, i));
    if (is_ident_start(c)) {
      std::size_t start = i;
      while (i < s.size() && is_ident(s[i])) ++i;
      t.kind = Tok::identifier;
      t.text = std::string(s.substr(start, i - start));
    } else if (core::is_ascii_digit(c) || (c == '-' && i + 1 < s.size() && core::is_ascii_digit(s[i + 1]))) {
      std::size_t start = i++;
      while (i < s.size() && (is_ident(s[i]))) ++i;
      auto text = s.substr(start, i - start);
      auto value = parse_integer(text);
      if (!value) invalid(fmt::format("'{}' is not an integer (decimal or 0x hexadecimal, 64 bits)", printable(text)));
      t.kind = Tok::integer;
      t.integer = *value;
    } else if (c == '"' || c == '\'') {
      char quote = c;
      ++i;
      while (true) {
        if (i >= s.size()) invalid(fmt::format("a string opened at position {} is not closed", t.pos));
        char d = s[i++];
        if (d == quote) break;
        if (d == '\\') {
          if (i >= s.size()) invalid(fmt::format("a string opened at position {} is not closed", t.pos));
          d = s[i++];
        }
        t.text += d;
      }
      t.kind = Tok::string;
    } else {
      invalid(fmt::format("unexpected character '{}' at position {}", printable(std::string_view(&c, 1)), i));
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.pos = s.size();
  out.push_back(end);
  return out;
}

using Node = AttributeFilter::Node;
using Kind = AttributeFilter::Kind;
using Compare = AttributeFilter::Compare;

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::vector<Node>& nodes, bool lenient)
      : t_(std::move(tokens)), nodes_(nodes), lenient_(lenient) {}

  int parse() {
    int root = or_expr(0);
    if (peek().kind != Tok::end) invalid(fmt::format("unexpected token at position {}", peek().pos));
    return root;
  }

 private:
  const Token& peek() const { return t_[i_]; }
  const Token& next() { return t_[i_++]; }

  int add(Node n) {
    nodes_.push_back(std::move(n));
    return static_cast<int>(nodes_.size()) - 1;
  }

  int binary(Kind kind, int a, int b) {
    Node n{kind};
    n.a = a;
    n.b = b;
    return add(std::move(n));
  }

  int or_expr(int depth) {
    int left = and_expr(depth);
    while (peek().kind == Tok::or_) {
      next();
      left = binary(Kind::or_, left, and_expr(depth));
    }
    return left;
  }

  int and_expr(int depth) {
    int left = not_expr(depth);
    while (peek().kind == Tok::and_) {
      next();
      left = binary(Kind::and_, left, not_expr(depth));
    }
    return left;
  }

  int not_expr(int depth) {
    if (depth > max_filter_nesting) invalid(fmt::format("nested more than {} deep", max_filter_nesting));
    if (peek().kind == Tok::not_) {
      next();
      return binary(Kind::not_, not_expr(depth + 1), -1);
    }
    if (peek().kind == Tok::open) {
      std::size_t pos = next().pos;
      int inner = or_expr(depth + 1);
      if (peek().kind != Tok::close) invalid(fmt::format("'(' at position {} is not closed", pos));
      next();
      return inner;
    }
    return comparison();
  }

  static bool is_compare(Tok k) {
    return k == Tok::eq || k == Tok::ne || k == Tok::lt || k == Tok::gt || k == Tok::le || k == Tok::ge;
  }

  int comparison() {
    int left = operand();
    if (!is_compare(peek().kind)) {
      Node n{Kind::truthy};
      n.a = left;
      return add(std::move(n));
    }
    Tok op = next().kind;
    std::size_t op_pos = t_[i_ - 1].pos;
    int right = operand();
    coerce(left, right);
    coerce(right, left);
    const Node& a = nodes_[static_cast<std::size_t>(left)];
    const Node& b = nodes_[static_cast<std::size_t>(right)];
    if (a.is_string != b.is_string)
      invalid(fmt::format("the comparison at position {} compares an integer with a string", op_pos));
    Node n{Kind::compare};
    n.a = left;
    n.b = right;
    switch (op) {
      case Tok::eq: n.op = Compare::eq; break;
      case Tok::ne: n.op = Compare::ne; break;
      case Tok::lt: n.op = Compare::lt; break;
      case Tok::gt: n.op = Compare::gt; break;
      case Tok::le: n.op = Compare::le; break;
      default: n.op = Compare::ge; break;
    }
    if (a.is_string && n.op != Compare::eq && n.op != Compare::ne)
      invalid(fmt::format("strings can only be compared with == and != (position {})", op_pos));
    return add(std::move(n));
  }

  /// PyVISA mode: `VI_ATTR_MANF_ID == "0x0957"` (filter2 compares USB ids as strings).
  void coerce(int literal, int other) {
    Node& l = nodes_[static_cast<std::size_t>(literal)];
    const Node& o = nodes_[static_cast<std::size_t>(other)];
    if (!lenient_ || l.kind != Kind::string || o.is_string || o.kind != Kind::attribute) return;
    if (auto value = parse_integer(l.text)) {
      l.kind = Kind::integer;
      l.is_string = false;
      l.integer = *value;
    }
  }

  int operand() {
    const Token& t = next();
    Node n{Kind::integer};
    switch (t.kind) {
      case Tok::integer:
        n.integer = t.integer;
        return add(std::move(n));
      case Tok::string:
        n.kind = Kind::string;
        n.is_string = true;
        n.text = t.text;
        return add(std::move(n));
      case Tok::identifier:
        return identifier(t);
      case Tok::end:
        invalid("the expression ends where an attribute or a value was expected");
      default:
        invalid(fmt::format("an attribute or a value was expected at position {}", t.pos));
    }
  }

  int identifier(const Token& t) {
    const AttrInfo* info = find_attribute(std::string_view(t.text));
    if (!info) info = find_attribute(std::string_view(to_upper(t.text)));
    Node n{Kind::attribute};
    if (info) {
      if (info->type == AttrType::BYTES || info->type == AttrType::PTR)
        invalid(fmt::format("{} cannot be compared (not an integer or a string)", t.text));
      n.id = info->id;
      n.is_string = info->type == AttrType::STRING;
      return add(std::move(n));
    }
    for (const auto& c : constants)
      if (iequals(c.name, t.text)) {
        n.kind = Kind::integer;
        n.integer = c.value;
        return add(std::move(n));
      }
    invalid(fmt::format("unknown attribute '{}'", printable(t.text)));
  }

  std::vector<Token> t_;
  std::size_t i_ = 0;
  std::vector<Node>& nodes_;
  bool lenient_;
};

enum class Truth : std::uint8_t { no, yes, unknown };

Truth truth(bool b) { return b ? Truth::yes : Truth::no; }

class Evaluator {
 public:
  Evaluator(const std::vector<Node>& nodes, const AttributeFilter::Lookup& lookup) : nodes_(nodes), lookup_(lookup) {}

  Truth eval(int index) {
    const Node& n = nodes_[static_cast<std::size_t>(index)];
    switch (n.kind) {
      case Kind::or_: {
        Truth a = eval(n.a);
        if (a == Truth::yes) return Truth::yes;
        Truth b = eval(n.b);
        if (b == Truth::yes) return Truth::yes;
        return (a == Truth::unknown || b == Truth::unknown) ? Truth::unknown : Truth::no;
      }
      case Kind::and_: {
        Truth a = eval(n.a);
        if (a == Truth::no) return Truth::no;
        Truth b = eval(n.b);
        if (b == Truth::no) return Truth::no;
        return (a == Truth::unknown || b == Truth::unknown) ? Truth::unknown : Truth::yes;
      }
      case Kind::not_: {
        Truth a = eval(n.a);
        return a == Truth::unknown ? a : truth(a == Truth::no);
      }
      case Kind::truthy: {
        auto v = value(n.a);
        if (!v) return Truth::unknown;
        if (auto* i = std::get_if<std::int64_t>(&*v)) return truth(*i != 0);
        return truth(!std::get<std::string>(*v).empty());
      }
      case Kind::compare:
        return compare(n);
      default:
        return Truth::unknown;
    }
  }

 private:
  Truth compare(const Node& n) {
    auto a = value(n.a);
    auto b = value(n.b);
    if (!a || !b) return Truth::unknown;
    if (auto* x = std::get_if<std::int64_t>(&*a)) {
      std::int64_t y = std::get<std::int64_t>(*b);
      switch (n.op) {
        case Compare::eq: return truth(*x == y);
        case Compare::ne: return truth(*x != y);
        case Compare::lt: return truth(*x < y);
        case Compare::gt: return truth(*x > y);
        case Compare::le: return truth(*x <= y);
        case Compare::ge: return truth(*x >= y);
      }
    }
    bool equal = std::get<std::string>(*a) == std::get<std::string>(*b);
    return truth(n.op == Compare::eq ? equal : !equal);
  }

  /// An operand's value; nullopt when the resource lacks the attribute or gives the wrong type.
  std::optional<AttrValue> value(int index) {
    const Node& n = nodes_[static_cast<std::size_t>(index)];
    if (n.kind == Kind::integer) return AttrValue(n.integer);
    if (n.kind == Kind::string) return AttrValue(n.text);
    for (const auto& [id, cached] : cache_)
      if (id == n.id) return cached;
    std::optional<AttrValue> v = lookup_ ? lookup_(n.id) : std::nullopt;
    if (v && std::holds_alternative<std::string>(*v) != n.is_string) v.reset();
    cache_.emplace_back(n.id, v);
    return v;
  }

  const std::vector<Node>& nodes_;
  const AttributeFilter::Lookup& lookup_;
  std::vector<std::pair<attr_id_t, std::optional<AttrValue>>> cache_;
};

}  // namespace

AttributeFilter::AttributeFilter(std::string_view text, bool lenient_strings) {
  if (text.size() > max_filter_length)
    invalid(fmt::format("longer than {} characters", max_filter_length));
  auto tokens = tokenize(text);
  if (tokens.size() == 1) return;  // "{}": no condition
  root_ = Parser(std::move(tokens), nodes_, lenient_strings).parse();
}

bool AttributeFilter::evaluate(const Lookup& lookup) const {
  if (root_ < 0) return true;
  return Evaluator(nodes_, lookup).eval(root_) == Truth::yes;
}

}  // namespace cppvisa::detail
