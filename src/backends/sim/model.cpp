#include "backends/sim/model.hpp"

namespace cppvisa::sim {

std::string SourceMark::str() const {
  std::string out = file.empty() ? "<yaml>" : file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  return out;
}

LoadError::LoadError(const SourceMark& mark, const std::string& message)
    : std::runtime_error(mark.str() + ": " + message) {}

std::optional<Value> Specs::accept(const Value& v) const {
  auto converted = convert_value(v, type);
  if (!converted) return std::nullopt;
  if (min) {
    auto c = compare_values(*converted, *min);
    if (!c || *c < 0) return std::nullopt;
  }
  if (max) {
    auto c = compare_values(*converted, *max);
    if (!c || *c > 0) return std::nullopt;
  }
  if (!valid.empty()) {
    bool found = false;
    for (const auto& ok : valid) {
      auto c = compare_values(*converted, ok);
      if (c && *c == 0) {
        found = true;
        break;
      }
    }
    if (!found) return std::nullopt;
  }
  return converted;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  if (from.empty()) return text;
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

Eom DeviceDef::eom_for(const std::string& key) const {
  auto it = eom.find(key);
  return it == eom.end() ? Eom{} : it->second;
}

int DeviceDef::property_index(const std::string& n) const {
  for (std::size_t i = 0; i < properties.size(); ++i)
    if (properties[i].name == n) return static_cast<int>(i);
  return -1;
}

}  // namespace cppvisa::sim
