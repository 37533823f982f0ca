// Resource-query regular expressions: parser (VISA and Python dialects) -> syntax tree ->
// Thompson NFA program -> Pike VM. Hand-written because neither dialect is std::regex's, and
// std::regex backtracks (exponential on patterns such as (a*)*b).
#include "core/resource_query_regex.hpp"

#include <cppvisa/error.hpp>

#include <fmt/format.h>

#include <string>

namespace cppvisa::detail {
namespace {

using Instruction = NameRegex::Instruction;
using Op = NameRegex::Op;
using Assertion = NameRegex::Assertion;

unsigned char fold(unsigned char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c + 32) : c; }
bool is_word(unsigned char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

[[noreturn]] void invalid(std::string_view pattern, std::size_t pos, std::string_view why) {
  throw VisaIOError(status::ERROR_INV_EXPR, {},
                    fmt::format("in '{}' at position {}: {}", std::string(pattern.substr(0, 200)), pos, why));
}

struct RegexNode {
  enum class Kind : std::uint8_t { empty, literal, any, any_but_newline, set, concat, alternation, star, plus, assertion };
  explicit RegexNode(Kind k) : kind(k) {}
  Kind kind;
  unsigned char ch = 0;
  int set = 0;
  Assertion assertion = Assertion::text_start;
  std::vector<int> kids;
};

/// Recursive-descent parser of both dialects into a tree of Nodes (depth bounded by max_nesting).
class RegexParser {
 public:
  RegexParser(std::string_view pattern, RegexDialect dialect, std::vector<std::bitset<256>>& sets)
      : p_(pattern), dialect_(dialect), sets_(sets) {}

  int parse() {
    int root = alternation(0);
    if (pos_ < p_.size()) invalid(p_, pos_, "unbalanced ')'");
    return root;
  }
  std::vector<RegexNode> nodes;

 private:
  bool python() const { return dialect_ == RegexDialect::python; }
  bool at_end() const { return pos_ >= p_.size(); }
  char peek() const { return p_[pos_]; }

  int add(RegexNode n) {
    nodes.push_back(std::move(n));
    return static_cast<int>(nodes.size()) - 1;
  }

  int alternation(int depth) {
    if (depth > max_nesting) invalid(p_, pos_, fmt::format("more than {} nested groups", max_nesting));
    RegexNode alt{RegexNode::Kind::alternation};
    alt.kids.push_back(sequence(depth));
    while (!at_end() && peek() == '|') {
      ++pos_;
      alt.kids.push_back(sequence(depth));
    }
    if (alt.kids.size() == 1) return alt.kids[0];
    return add(std::move(alt));
  }

  int sequence(int depth) {
    RegexNode seq{RegexNode::Kind::concat};
    std::size_t start = pos_;
    while (!at_end() && peek() != '|' && peek() != ')') {
      char c = peek();
      if (c == '*' || c == '+') invalid(p_, pos_, fmt::format("'{}' follows nothing it could repeat", c));
      int atom = this->atom(depth);
      bool repeatable = nodes[atom].kind != RegexNode::Kind::assertion;
      int quantifiers = 0;
      while (!at_end() && (peek() == '*' || peek() == '+')) {
        if (!repeatable) invalid(p_, pos_, "an anchor cannot be repeated");
        // Python rejects a second quantifier ("multiple repeat"; from 3.11 '*+' is possessive,
        // which this matcher does not implement). In the VISA dialect 'a**' is simply 'a*'.
        if (python() && quantifiers > 0) invalid(p_, pos_, "multiple repeat");
        RegexNode::Kind kind = peek() == '*' ? RegexNode::Kind::star : RegexNode::Kind::plus;
        ++pos_;
        if (quantifiers++ > 0) {
          // x** = x*+ = x+* = x*, x++ = x+: merged, so that a run of quantifiers cannot nest deeply.
          if (kind == RegexNode::Kind::star) nodes[static_cast<std::size_t>(atom)].kind = RegexNode::Kind::star;
          continue;
        }
        RegexNode rep{kind};
        rep.kids.push_back(atom);
        atom = add(std::move(rep));
      }
      seq.kids.push_back(atom);
    }
    if (seq.kids.empty()) {
      // VPP-4.3's grammar has no empty expression; Python accepts "a|" and "()".
      if (!python()) invalid(p_, start, at_end() && start == 0 ? "empty expression" : "empty alternative or group");
      return add(RegexNode{RegexNode::Kind::empty});
    }
    if (seq.kids.size() == 1) return seq.kids[0];
    return add(std::move(seq));
  }

  int literal(unsigned char c) {
    RegexNode n{RegexNode::Kind::literal};
    n.ch = fold(c);
    return add(std::move(n));
  }

  int atom(int depth) {
    char c = p_[pos_++];
    switch (c) {
      case '(': {
        std::size_t open = pos_ - 1;
        int inner = alternation(depth + 1);
        if (at_end() || peek() != ')') invalid(p_, open, "'(' without a closing ')'");
        ++pos_;
        return inner;
      }
      case '[':
        return set();
      case '\\':
        return escape();
      case '?':
        if (!python()) return add(RegexNode{RegexNode::Kind::any});
        invalid(p_, pos_ - 1, "unexpected '?'");  // never reached: PyVISA turns '?' into '.'
      case '.':
        if (python()) return add(RegexNode{RegexNode::Kind::any_but_newline});
        return literal('.');  // VPP-4.3: '.' is an ordinary character
      case '^':
        if (python()) return assertion(Assertion::line_start);
        return literal('^');
      case '$':
        if (python()) return assertion(Assertion::line_end);
        return literal('$');
      default:
        return literal(static_cast<unsigned char>(c));
    }
  }

  int assertion(Assertion a) {
    RegexNode n{RegexNode::Kind::assertion};
    n.assertion = a;
    return add(std::move(n));
  }

  /// A Python class escape (\d \w \s and negations) as a set; false when `e` is not one.
  static bool class_escape(char e, std::bitset<256>& out) {
    std::bitset<256> s;
    switch (fold(static_cast<unsigned char>(e))) {
      case 'd':
        for (int c = '0'; c <= '9'; ++c) s.set(c);
        break;
      case 'w':
        for (int c = 0; c < 128; ++c)
          if (is_word(static_cast<unsigned char>(c))) s.set(c);
        break;
      case 's':
        for (char c : std::string_view(" \t\n\r\f\v")) s.set(static_cast<unsigned char>(c));
        break;
      default:
        return false;
    }
    if (e >= 'A' && e <= 'Z') s.flip();
    out |= s;
    return true;
  }

  /// A Python character escape (\n \t \x41 \0 and escaped punctuation); throws for bad escapes.
  unsigned char python_char_escape(char e) {
    auto hex = [](char h) -> int {
      if (h >= '0' && h <= '9') return h - '0';
      h = static_cast<char>(fold(static_cast<unsigned char>(h)));
      if (h >= 'a' && h <= 'f') return h - 'a' + 10;
      return -1;
    };
    switch (e) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'f': return '\f';
      case 'v': return '\v';
      case 'a': return '\a';
      case '0': {
        int value = 0;
        for (int i = 0; i < 2 && !at_end() && peek() >= '0' && peek() <= '7'; ++i) value = value * 8 + (p_[pos_++] - '0');
        return static_cast<unsigned char>(value);
      }
      case 'x': {
        if (pos_ + 2 > p_.size() || hex(p_[pos_]) < 0 || hex(p_[pos_ + 1]) < 0) invalid(p_, pos_, "bad \\x escape");
        int value = hex(p_[pos_]) * 16 + hex(p_[pos_ + 1]);
        pos_ += 2;
        return static_cast<unsigned char>(value);
      }
      default:
        break;
    }
    if (e >= '1' && e <= '9') invalid(p_, pos_ - 1, "back references are not supported");
    if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z'))
      invalid(p_, pos_ - 1, fmt::format("bad escape \\{}", e));
    return static_cast<unsigned char>(e);
  }

  int escape() {
    if (at_end()) invalid(p_, pos_ - 1, "'\\' at the end of the expression");
    char e = p_[pos_++];
    if (!python()) return literal(static_cast<unsigned char>(e));  // VPP-4.3: \c is the literal c
    switch (e) {
      case 'A': return assertion(Assertion::text_start);
      case 'Z': return assertion(Assertion::text_end);
      case 'b': return assertion(Assertion::word_boundary);
      case 'B': return assertion(Assertion::not_word_boundary);
      default: break;
    }
    std::bitset<256> s;
    if (class_escape(e, s)) return add_set(s, false);
    return literal(python_char_escape(e));
  }

  int add_set(std::bitset<256> s, bool negate) {
    // Case-insensitive: a letter in the list stands for both cases (then negation, as Python does).
    for (int c = 'a'; c <= 'z'; ++c)
      if (s.test(c) || s.test(c - 32)) {
        s.set(c);
        s.set(c - 32);
      }
    if (negate) s.flip();
    sets_.push_back(s);
    RegexNode n{RegexNode::Kind::set};
    n.set = static_cast<int>(sets_.size()) - 1;
    return add(std::move(n));
  }

  /// One member of a list: a character, or (Python) a class escape added to `s` (returns -1).
  int set_member(std::bitset<256>& s) {
    char c = p_[pos_++];
    if (c != '\\') return static_cast<unsigned char>(c);
    if (at_end()) invalid(p_, pos_ - 1, "'[' without a closing ']'");
    char e = p_[pos_++];
    if (!python()) return static_cast<unsigned char>(e);
    if (e == 'b') return '\b';  // inside a Python class \b is the backspace character
    if (class_escape(e, s)) return -1;
    return python_char_escape(e);
  }

  int set() {
    std::size_t open = pos_ - 1;
    bool negate = !at_end() && peek() == '^';
    if (negate) ++pos_;
    std::bitset<256> s;
    bool first = true;
    while (true) {
      if (at_end()) invalid(p_, open, "'[' without a closing ']'");
      if (peek() == ']' && !(first && python())) break;  // Python: a ']' first in the list is literal
      first = false;
      int low = set_member(s);
      bool range = pos_ + 1 < p_.size() && peek() == '-' && p_[pos_ + 1] != ']';
      if (low < 0 && range) invalid(p_, pos_, "a class escape cannot start a range");
      if (range) {
        ++pos_;
        int high = set_member(s);
        if (high < 0) invalid(p_, pos_ - 1, "a class escape cannot end a range");
        if (high < low) invalid(p_, pos_ - 1, "a range whose end comes before its start");
        for (int c = low; c <= high; ++c) s.set(static_cast<std::size_t>(c));
      } else if (low >= 0) {
        s.set(static_cast<std::size_t>(low));
      }
    }
    ++pos_;  // ']'
    if (s.none() && !python()) invalid(p_, open, "an empty list '[]'");
    return add_set(s, negate);
  }

  std::string_view p_;
  RegexDialect dialect_;
  std::vector<std::bitset<256>>& sets_;
  std::size_t pos_ = 0;
};

/// Thompson construction.
class CodeGenerator {
 public:
  CodeGenerator(const std::vector<RegexNode>& nodes, std::vector<Instruction>& program) : nodes_(nodes), prog_(program) {}

  void emit(int index) {
    const RegexNode& n = nodes_[static_cast<std::size_t>(index)];
    switch (n.kind) {
      case RegexNode::Kind::empty:
        break;
      case RegexNode::Kind::literal:
        prog_.push_back({Op::character, n.ch});
        break;
      case RegexNode::Kind::any:
        prog_.push_back({Op::any});
        break;
      case RegexNode::Kind::any_but_newline:
        prog_.push_back({Op::any_but_newline});
        break;
      case RegexNode::Kind::set: {
        Instruction i{Op::set};
        i.x = n.set;
        prog_.push_back(i);
        break;
      }
      case RegexNode::Kind::assertion: {
        Instruction i{Op::assertion};
        i.assertion = n.assertion;
        prog_.push_back(i);
        break;
      }
      case RegexNode::Kind::concat:
        for (int kid : n.kids) emit(kid);
        break;
      case RegexNode::Kind::alternation: {
        std::vector<std::size_t> jumps;
        for (std::size_t k = 0; k + 1 < n.kids.size(); ++k) {
          std::size_t split = prog_.size();
          prog_.push_back({Op::split});
          prog_[split].x = static_cast<int>(split + 1);
          emit(n.kids[k]);
          jumps.push_back(prog_.size());
          prog_.push_back({Op::jump});
          prog_[split].y = static_cast<int>(prog_.size());
        }
        emit(n.kids.back());
        for (auto j : jumps) prog_[j].x = static_cast<int>(prog_.size());
        break;
      }
      case RegexNode::Kind::star: {
        std::size_t split = prog_.size();
        prog_.push_back({Op::split});
        prog_[split].x = static_cast<int>(split + 1);
        emit(n.kids[0]);
        Instruction back{Op::jump};
        back.x = static_cast<int>(split);
        prog_.push_back(back);
        prog_[split].y = static_cast<int>(prog_.size());
        break;
      }
      case RegexNode::Kind::plus: {
        std::size_t start = prog_.size();
        emit(n.kids[0]);
        Instruction again{Op::split};
        again.x = static_cast<int>(start);
        again.y = static_cast<int>(prog_.size() + 1);
        prog_.push_back(again);
        break;
      }
    }
  }

 private:
  const std::vector<RegexNode>& nodes_;
  std::vector<Instruction>& prog_;
};

}  // namespace

NameRegex::NameRegex(std::string_view pattern, RegexDialect dialect) {
  if (pattern.size() > max_pattern_length)
    throw VisaIOError(status::ERROR_INV_EXPR, {},
                      fmt::format("the expression is longer than {} characters", max_pattern_length));
  RegexParser parser(pattern, dialect, sets_);
  int root = parser.parse();
  CodeGenerator(parser.nodes, program_).emit(root);
  program_.push_back({Op::match});
}

bool NameRegex::holds(Assertion a, std::string_view text, std::size_t pos) const {
  auto word_before = pos > 0 && is_word(static_cast<unsigned char>(text[pos - 1]));
  auto word_after = pos < text.size() && is_word(static_cast<unsigned char>(text[pos]));
  switch (a) {
    case Assertion::line_start:
    case Assertion::text_start:
      return pos == 0;
    case Assertion::line_end:  // Python '$': at the end, or before a final newline
      return pos == text.size() || (pos + 1 == text.size() && text[pos] == '\n');
    case Assertion::text_end:
      return pos == text.size();
    case Assertion::word_boundary:
      return word_before != word_after;
    case Assertion::not_word_boundary:
      return word_before == word_after;
  }
  return false;
}

bool NameRegex::run(std::string_view text, bool prefix) const {
  const std::size_t size = program_.size();
  std::vector<int> current, next, stack;
  current.reserve(size);
  next.reserve(size);
  std::vector<std::uint32_t> seen(size, 0);
  std::uint32_t generation = 0;

  // Follows the epsilon transitions from `pc` at text position `pos`, collecting the threads
  // that wait on a character (or have matched). Each instruction is visited once per position.
  auto add = [&](std::vector<int>& list, int start, std::size_t pos) {
    stack.push_back(start);
    while (!stack.empty()) {
      int pc = stack.back();
      stack.pop_back();
      auto u = static_cast<std::size_t>(pc);
      if (seen[u] == generation) continue;
      seen[u] = generation;
      const Instruction& i = program_[u];
      switch (i.op) {
        case Op::jump:
          stack.push_back(i.x);
          break;
        case Op::split:
          stack.push_back(i.y);
          stack.push_back(i.x);
          break;
        case Op::assertion:
          if (holds(i.assertion, text, pos)) stack.push_back(pc + 1);
          break;
        default:
          list.push_back(pc);
      }
    }
  };
  auto matched = [&](const std::vector<int>& list) {
    for (int pc : list)
      if (program_[static_cast<std::size_t>(pc)].op == Op::match) return true;
    return false;
  };

  ++generation;
  add(current, 0, 0);
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if (prefix && matched(current)) return true;
    if (current.empty()) return false;
    auto c = static_cast<unsigned char>(text[pos]);
    ++generation;
    next.clear();
    for (int pc : current) {
      const Instruction& i = program_[static_cast<std::size_t>(pc)];
      bool step = false;
      switch (i.op) {
        case Op::character: step = fold(c) == i.ch; break;
        case Op::any: step = true; break;
        case Op::any_but_newline: step = c != '\n'; break;
        case Op::set: step = sets_[static_cast<std::size_t>(i.x)].test(c); break;
        default: break;
      }
      if (step) add(next, pc + 1, pos + 1);
    }
    std::swap(current, next);
  }
  return matched(current);
}

}  // namespace cppvisa::detail
