#include "backends/sim/setter_pattern.hpp"

#include "core/ascii.hpp"

#include "backends/sim/py_format.hpp"

#include <algorithm>
#include <cctype>

namespace cppvisa::sim {

namespace {

// [0-9]+\.?[0-9]+ from i; returns the end or npos.
std::size_t scan_two_digit_number(std::string_view s, std::size_t i) {
  std::size_t start = i;
  while (i < s.size() && core::is_ascii_digit(s[i])) ++i;
  std::size_t int_digits = i - start;
  if (int_digits == 0) return std::string_view::npos;
  if (i < s.size() && s[i] == '.') {
    std::size_t j = i + 1, f = j;
    while (j < s.size() && core::is_ascii_digit(s[j])) ++j;
    if (j == f) return std::string_view::npos;
    return j;
  }
  return int_digits >= 2 ? i : std::string_view::npos;
}

bool whole_number(std::string_view s, const char* exp_chars) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  std::size_t end = scan_two_digit_number(s, i);
  if (end == std::string_view::npos) return false;
  if (end == s.size()) return true;
  if (!exp_chars || std::string_view(exp_chars).find(s[end]) == std::string_view::npos) return false;
  std::size_t j = end + 1;
  if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
  std::size_t d = j;
  while (j < s.size() && core::is_ascii_digit(s[j])) ++j;
  return j > d && j == s.size();
}

bool digits_of(std::string_view s, std::string_view set) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (set.find(s[i]) == std::string_view::npos) return false;
  return true;
}

// Converts the text of a field to its value, or nullopt when the field does not accept it.
std::optional<Value> convert_field(char type, std::string_view text) {
  switch (type) {
    case 's': return Value(std::string(text));
    case 'd':
      if (!digits_of(text, "0123456789")) return std::nullopt;
      if (auto i = parse_python_int(text)) return Value(*i);
      return std::nullopt;
    case 'x': case 'X': case 'o': case 'b': {
      std::string_view set = type == 'o' ? "01234567" : (type == 'b' ? "01" : "0123456789abcdefABCDEF");
      if (!digits_of(text, set) || text.size() > 40) return std::nullopt;
      int base = type == 'o' ? 8 : (type == 'b' ? 2 : 16);
      bool neg = text.front() == '-';
      unsigned __int128 v = 0;
      for (char c : text.substr(neg ? 1 : 0)) {
        int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
        v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
        if (v > static_cast<unsigned __int128>(INT64_MAX)) return std::nullopt;
      }
      auto i = static_cast<std::int64_t>(v);
      return Value(neg ? -i : i);
    }
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
      const char* exp = type == 'e' ? "e" : (type == 'E' ? "E" : (type == 'g' || type == 'G' ? "eE" : nullptr));
      if (!whole_number(text, exp)) return std::nullopt;
      if (auto d = parse_python_float(text)) return Value(*d);
      return std::nullopt;
    }
    case '%': {
      if (text.empty() || text.back() != '%') return std::nullopt;
      auto body = text.substr(0, text.size() - 1);
      if (scan_two_digit_number(body, 0) != body.size()) return std::nullopt;
      if (auto d = parse_python_float(body)) return Value(*d / 100.0);
      return std::nullopt;
    }
    default: return std::nullopt;
  }
}

// Whether a field prefers the shortest text (a lazy regex) or the longest.
bool lazy(char type) { return type == 's' || type == 'd' || type == 'x' || type == 'X' || type == 'o' || type == 'b'; }

}  // namespace

SetterPattern SetterPattern::parse(std::string_view pattern) {
  SetterPattern p;
  p.text_ = std::string(pattern);
  Segment cur;
  std::size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '{' && i + 1 < pattern.size() && pattern[i + 1] == '{') {
      cur.literal.push_back('{');
      i += 2;
      continue;
    }
    if (c == '}' && i + 1 < pattern.size() && pattern[i + 1] == '}') {
      cur.literal.push_back('}');
      i += 2;
      continue;
    }
    if (c == '}') throw FormatError("Single '}' encountered in format string");
    if (c != '{') {
      cur.literal.push_back(c);
      ++i;
      continue;
    }
    auto end = pattern.find('}', i + 1);
    if (end == std::string_view::npos) throw FormatError("expected '}' before end of string");
    std::string_view field = pattern.substr(i + 1, end - i - 1);
    if (field.find('{') != std::string_view::npos) throw FormatError("nested replacement fields are not supported");
    std::string_view name = field, spec;
    if (auto colon = field.find(':'); colon != std::string_view::npos) {
      name = field.substr(0, colon);
      spec = field.substr(colon + 1);
    }
    if (name.find('!') != std::string_view::npos) throw FormatError("conversions (!r, !s) are not allowed in a setter");
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos) name = {};
    cur.field = true;
    cur.name = std::string(name);
    cur.type = 's';
    if (!spec.empty()) {
      FormatSpec parsed = FormatSpec::parse(spec);  // validates the spec
      static constexpr std::string_view types = "sdfFeEgGxXob%";
      if (parsed.type && types.find(parsed.type) == std::string_view::npos)
        throw FormatError("setter field type '" + std::string(1, parsed.type) + "' cannot be parsed");
      if (parsed.type) cur.type = parsed.type == 'n' ? 'g' : parsed.type;
    }
    p.segments_.push_back(std::move(cur));
    cur = Segment{};
    i = end + 1;
  }
  p.segments_.push_back(std::move(cur));  // trailing literal (possibly empty), field = false
  return p;
}

std::size_t SetterPattern::positional_count() const noexcept {
  std::size_t n = 0;
  for (const auto& s : segments_)
    if (s.field && s.name.empty()) ++n;
  return n;
}

bool SetterPattern::has_named(std::string_view name) const noexcept {
  for (const auto& s : segments_)
    if (s.field && s.name == name) return true;
  return false;
}

std::optional<SetterPattern::Match> SetterPattern::match(std::string_view message) const {
  Match m;
  long budget = 1L << 22;  // bounds the work for adversarial messages with adjacent fields
  if (match_from(0, message, 0, m, budget)) return m;
  return std::nullopt;
}

bool SetterPattern::match_from(std::size_t seg, std::string_view msg, std::size_t pos, Match& m, long& budget) const {
  if (--budget < 0) return false;
  const Segment& s = segments_[seg];
  if (msg.substr(pos, s.literal.size()) != s.literal) return false;
  pos += s.literal.size();
  if (!s.field) return pos == msg.size();
  // Candidate ends of this field: where the next literal occurs (or the end of the message).
  const Segment& next = segments_[seg + 1];
  bool next_is_last = !next.field;
  std::vector<std::size_t> ends;
  if (next_is_last) {
    if (msg.size() >= pos + next.literal.size() &&
        msg.substr(msg.size() - next.literal.size()) == next.literal)
      ends.push_back(msg.size() - next.literal.size());
  } else if (next.literal.empty()) {
    for (std::size_t e = pos; e <= msg.size(); ++e) ends.push_back(e);
  } else {
    for (auto e = msg.find(next.literal, pos); e != std::string_view::npos; e = msg.find(next.literal, e + 1))
      ends.push_back(e);
  }
  if (!lazy(s.type)) std::reverse(ends.begin(), ends.end());
  for (std::size_t e : ends) {
    budget -= static_cast<long>(e - pos) + 1;  // the work is proportional to the text examined
    if (budget < 0) return false;
    auto value = convert_field(s.type, msg.substr(pos, e - pos));
    if (!value) continue;
    Match attempt = m;
    if (s.name.empty()) attempt.values.push_back(*value);
    else attempt.named[s.name] = std::string(msg.substr(pos, e - pos));
    if (match_from(seg + 1, msg, e, attempt, budget)) {
      m = std::move(attempt);
      return true;
    }
  }
  return false;
}

}  // namespace cppvisa::sim
