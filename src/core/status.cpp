// The status table (status_codes.def) expanded into a sorted lookup table.
#include <cppvisa/status.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace cppvisa {
namespace {

constexpr StatusInfo kStatusTable[] = {
#define CPPVISA_STATUS(name, value, desc) {"VI_" #name, static_cast<status_t>(value##u), desc},
#include <cppvisa/status_codes.def>
#undef CPPVISA_STATUS
};

struct ByValue {
  std::array<const StatusInfo*, std::size(kStatusTable)> rows{};
  ByValue() {
    for (std::size_t i = 0; i < std::size(kStatusTable); ++i) rows[i] = &kStatusTable[i];
    std::sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->value < b->value; });
  }
};

const ByValue& by_value() {
  static const ByValue table;
  return table;
}

}  // namespace

const StatusInfo* find_status(status_t code) noexcept {
  const auto& rows = by_value().rows;
  auto it = std::lower_bound(rows.begin(), rows.end(), code, [](auto* row, status_t v) { return row->value < v; });
  return (it != rows.end() && (*it)->value == code) ? *it : nullptr;
}

std::string status_name(status_t code) {
  if (auto* row = find_status(code)) return std::string(row->name);
  return fmt::format("0x{:08X}", static_cast<std::uint32_t>(code));
}

std::string status_description(status_t code) {
  if (auto* row = find_status(code)) return std::string(row->description);
  return fmt::format("Unknown status value 0x{:08X}.", static_cast<std::uint32_t>(code));
}

const StatusInfo* status_table(std::size_t& count) noexcept {
  count = std::size(kStatusTable);
  return kStatusTable;
}

}  // namespace cppvisa
