// ResourceQuery: splits a query into its regular expression and attribute filter, and matches
// names in the VISA way (whole name) or PyVISA's (rname.filter: Python regex, prefix match).
#include <cppvisa/resource_query.hpp>

#include <cppvisa/error.hpp>

#include "core/resource_query_filter.hpp"
#include "core/resource_query_regex.hpp"

#include <fmt/format.h>

namespace cppvisa {

namespace {

[[noreturn]] void invalid(std::string_view why) { throw VisaIOError(status::ERROR_INV_EXPR, {}, std::string(why)); }

/// Where the attribute filter starts in a VISA-dialect query: the first '{' that is neither
/// escaped nor inside a [list]; npos when there is none.
std::size_t visa_filter_start(std::string_view q) {
  bool in_list = false;
  for (std::size_t i = 0; i < q.size(); ++i) {
    char c = q[i];
    if (c == '\\') {
      ++i;
    } else if (in_list) {
      if (c == ']') in_list = false;
    } else if (c == '[') {
      in_list = true;
      if (i + 1 < q.size() && q[i + 1] == '^') ++i;
    } else if (c == '{') {
      return i;
    }
  }
  return std::string_view::npos;
}

/// The end of a filter: the first '}' outside a quoted string; npos when there is none.
std::size_t filter_end(std::string_view f) {
  char quote = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    char c = f[i];
    if (quote) {
      if (c == '\\') ++i;
      else if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '}') {
      return i;
    }
  }
  return std::string_view::npos;
}


/// A compiled query: the name pattern and the optional attribute filter.
struct CompiledQuery {
  MatchMode mode;
  detail::NameRegex regex;
  std::optional<detail::AttributeFilter> filter;
};

CompiledQuery compile(std::string_view expression, MatchMode mode) {
  std::string_view pattern = expression;
  std::optional<std::string_view> filter_text;
  if (mode == MatchMode::visa) {
    auto brace = visa_filter_start(expression);
    if (brace != std::string_view::npos) {
      pattern = expression.substr(0, brace);
      std::string_view rest = expression.substr(brace + 1);
      auto end = filter_end(rest);
      if (end == std::string_view::npos) invalid("the attribute expression has no closing '}'");
      for (char c : rest.substr(end + 1))
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') invalid("text after the attribute expression's '}'");
      filter_text = rest.substr(0, end);
    }
    if (pattern.empty()) invalid("the regular expression is empty (use ?* for every resource)");
  } else {
    // PyVISA: query.split("{") must give at most two pieces; filter2 then splits on "}" and
    // ignores whatever follows it.
    auto brace = expression.find('{');
    if (brace != std::string_view::npos) {
      pattern = expression.substr(0, brace);
      std::string_view rest = expression.substr(brace + 1);
      if (rest.find('{') != std::string_view::npos) invalid("more than one '{' in the expression");
      auto end = rest.find('}');
      if (end == std::string_view::npos || rest.find('}', end + 1) != std::string_view::npos)
        invalid("the attribute expression must be enclosed in one '{' and one '}'");
      filter_text = rest.substr(0, end);
    }
  }
  std::string translated;
  if (mode == MatchMode::pyvisa) {
    // rname.filter replaces every '?' by '.' (an escaped "\?" becomes "\.", a literal dot).
    translated.assign(pattern);
    for (char& c : translated)
      if (c == '?') c = '.';
    pattern = translated;
  }
  auto dialect = mode == MatchMode::visa ? detail::RegexDialect::visa : detail::RegexDialect::python;
  CompiledQuery query{mode, detail::NameRegex(pattern, dialect), {}};
  if (filter_text) {
    detail::AttributeFilter filter(*filter_text, mode == MatchMode::pyvisa);
    if (!filter.empty()) query.filter.emplace(std::move(filter));
  }
  return query;
}

}  // namespace

struct ResourceQuery::Impl {
  CompiledQuery q;
};

ResourceQuery::ResourceQuery(std::string_view expression, MatchMode mode)
    : impl_(std::make_unique<Impl>(Impl{compile(expression, mode)})) {}
ResourceQuery::~ResourceQuery() = default;
ResourceQuery::ResourceQuery(ResourceQuery&&) noexcept = default;
ResourceQuery& ResourceQuery::operator=(ResourceQuery&&) noexcept = default;

bool ResourceQuery::matches_name(std::string_view resource_name) const {
  return impl_->q.mode == MatchMode::visa ? impl_->q.regex.full_match(resource_name)
                                        : impl_->q.regex.prefix_match(resource_name);
}

bool ResourceQuery::matches(std::string_view resource_name, const AttributeLookup& lookup) const {
  if (!matches_name(resource_name)) return false;
  if (!impl_->q.filter) return true;
  return impl_->q.filter->evaluate([&](attr_id_t id) -> std::optional<AttrValue> {
    return lookup ? lookup(resource_name, id) : attribute_from_name(resource_name, id);
  });
}

bool ResourceQuery::has_attribute_filter() const noexcept { return impl_->q.filter.has_value(); }

std::vector<std::string> filter_resources(const std::vector<std::string>& names, std::string_view expression,
                                          MatchMode mode, const AttributeLookup& lookup) {
  ResourceQuery query(expression, mode);
  std::vector<std::string> out;
  for (const auto& name : names)
    if (query.matches(name, lookup)) out.push_back(name);
  return out;
}

}  // namespace cppvisa
