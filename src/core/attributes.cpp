// The attribute table (attributes.def) and its lookups.
#include <cppvisa/attributes.hpp>

#include <algorithm>
#include <array>
#include <cstring>

namespace cppvisa {
namespace {

constexpr bool kR = true;
constexpr bool kRW = false;
constexpr bool kLOCAL = true;
constexpr bool kGLOBAL = false;

constexpr AttrInfo kTable[] = {
#define CPPVISA_ATTR(name, visa_name, id, type, access, scope, has_def, def, lo, hi, classes) \
  {visa_name, id##u, AttrType::type, k##access, k##scope, has_def, def, lo, hi, classes},
#include <cppvisa/attributes.def>
#undef CPPVISA_ATTR
};

struct Index {
  std::array<const AttrInfo*, std::size(kTable)> by_id{};
  Index() {
    for (std::size_t i = 0; i < std::size(kTable); ++i) by_id[i] = &kTable[i];
    std::sort(by_id.begin(), by_id.end(), [](auto* a, auto* b) { return a->id < b->id; });
  }
};

const Index& index() {
  static const Index idx;
  return idx;
}

// Resource classes of message-based sessions ("MSG" in the table).
bool is_message_based(InterfaceType intf, std::string_view rc) {
  switch (intf) {
    case InterfaceType::gpib: return rc == "INSTR" || rc == "INTFC";
    case InterfaceType::asrl: case InterfaceType::prlgx_asrl: return rc == "INSTR" || rc == "INTFC";
    case InterfaceType::tcpip: return rc == "INSTR" || rc == "SOCKET";
    case InterfaceType::usb: return rc == "INSTR" || rc == "RAW";
    case InterfaceType::vxi: return rc == "INSTR" || rc == "SERVANT";
    case InterfaceType::vicp: case InterfaceType::rsnrp: return rc == "INSTR";
    case InterfaceType::prlgx_tcpip: return rc == "INTFC";
    default: return false;
  }
}

std::string_view interface_token(InterfaceType intf) {
  switch (intf) {
    case InterfaceType::gpib: return "GPIB";
    case InterfaceType::vxi: return "VXI";
    case InterfaceType::gpib_vxi: return "GPIB-VXI";
    case InterfaceType::asrl: case InterfaceType::prlgx_asrl: return "ASRL";
    case InterfaceType::pxi: return "PXI";
    case InterfaceType::tcpip: case InterfaceType::vicp: case InterfaceType::prlgx_tcpip: return "TCPIP";
    case InterfaceType::usb: return "USB";
    default: return "";
  }
}

}  // namespace

const AttrInfo* find_attribute(attr_id_t id) noexcept {
  const auto& rows = index().by_id;
  auto it = std::lower_bound(rows.begin(), rows.end(), id, [](auto* row, attr_id_t v) { return row->id < v; });
  return (it != rows.end() && (*it)->id == id) ? *it : nullptr;
}

const AttrInfo* find_attribute(std::string_view visa_name) noexcept {
  for (const auto& row : kTable)
    if (row.name == visa_name) return &row;
  return nullptr;
}

const AttrInfo* attribute_table(std::size_t& count) noexcept {
  count = std::size(kTable);
  return kTable;
}

std::size_t attr_type_size(AttrType t) noexcept {
  switch (t) {
    case AttrType::U8: return 1;
    case AttrType::U16: case AttrType::I16: case AttrType::BOOL: return 2;
    case AttrType::U32: case AttrType::I32: return 4;
    case AttrType::U64: case AttrType::PTR: return 8;
    case AttrType::STRING: case AttrType::BYTES: return 256;
  }
  return 0;
}

std::int64_t normalize_attr_integer(AttrType t, std::uint64_t raw) noexcept {
  switch (t) {
    case AttrType::U8: return static_cast<std::uint8_t>(raw);
    case AttrType::U16: return static_cast<std::uint16_t>(raw);
    case AttrType::BOOL: return static_cast<std::uint16_t>(raw);
    case AttrType::I16: return static_cast<std::int16_t>(static_cast<std::uint16_t>(raw));
    case AttrType::U32: return static_cast<std::uint32_t>(raw);
    case AttrType::I32: return static_cast<std::int32_t>(static_cast<std::uint32_t>(raw));
    default: return static_cast<std::int64_t>(raw);
  }
}

bool attribute_applies_to(const AttrInfo& info, InterfaceType intf, std::string_view rc) noexcept {
  std::string_view classes = info.classes;
  if (classes.empty() || classes == "ALL") return true;
  std::string_view token = interface_token(intf);
  while (!classes.empty()) {
    auto comma = classes.find(',');
    std::string_view item = classes.substr(0, comma);
    classes = comma == std::string_view::npos ? std::string_view{} : classes.substr(comma + 1);
    if (item == "ALL") return true;
    if (item == "MSG") {
      if (is_message_based(intf, rc)) return true;
      continue;
    }
    auto slash = item.find('/');
    if (slash == std::string_view::npos) continue;
    if (item.substr(0, slash) == token && item.substr(slash + 1) == rc) return true;
  }
  return false;
}

}  // namespace cppvisa
