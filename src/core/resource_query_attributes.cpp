// attribute_from_name: the attribute values a resource name alone tells (PyVISA's filter2 table,
// typed as VISA types them, plus the PXI address attributes).
#include <cppvisa/resource_name.hpp>
#include <cppvisa/resource_query.hpp>

#include "core/resource_name_grammar.hpp"

namespace cppvisa {
namespace {

std::optional<AttrValue> integer(std::optional<std::int64_t> v) {
  if (!v) return std::nullopt;
  return AttrValue(*v);
}

std::optional<std::int64_t> number(const ResourceName& r, std::string_view key, std::size_t skip = 0) {
  auto text = r.field(key);
  if (!text || text->size() < skip) return std::nullopt;
  return detail::parse_decimal(text->substr(skip), 0xFFFF);
}

/// PXI INSTR address parts from whichever of the three syntaxes the name uses.
struct PxiAddress {
  std::optional<std::int64_t> bus, device, function, chassis, slot;
};

PxiAddress pxi_address(const ResourceName& r) {
  PxiAddress a;
  if (auto bd = r.field("bus_device")) {  // bus-device[.function]
    auto dash = bd->find('-');
    auto dot = bd->find('.');
    a.bus = detail::parse_decimal(bd->substr(0, dash), 255);
    a.device = detail::parse_decimal(bd->substr(dash + 1, dot == std::string_view::npos ? dot : dot - dash - 1), 31);
    a.function = dot == std::string_view::npos ? 0 : detail::parse_decimal(bd->substr(dot + 1), 7);
  } else if (r.field("chassis")) {  // CHASSISn::SLOTm[::FUNCk]
    a.chassis = number(r, "chassis", 7);
    a.slot = number(r, "slot", 4);
    a.function = r.field("function") ? number(r, "function", 4) : 0;
  } else {  // PXI[bus]::device[::function]
    a.bus = r.board_number();
    a.device = number(r, "device_number");
    a.function = r.field("function_number") ? number(r, "function_number") : 0;
  }
  return a;
}

}  // namespace

std::optional<AttrValue> attribute_from_name(std::string_view resource_name, attr_id_t id) {
  std::error_code ec;
  auto parsed = ResourceName::parse(resource_name, ec);
  if (!parsed) return std::nullopt;
  const ResourceName& r = *parsed;
  const bool tcpip_instr = r.interface_type == InterfaceType::tcpip && r.resource_class == "INSTR";
  const bool tcpip_socket = r.interface_type == InterfaceType::tcpip && r.resource_class == "SOCKET";
  const bool usb = r.interface_type == InterfaceType::usb;
  const bool gpib_instr = r.interface_type == InterfaceType::gpib && r.resource_class == "INSTR";
  const bool pxi_instr = r.interface_type == InterfaceType::pxi && r.resource_class == "INSTR";
  const bool vxi = r.interface_type == InterfaceType::vxi || r.interface_type == InterfaceType::gpib_vxi;

  switch (id) {
    case attr::INTF_TYPE:
      return AttrValue(static_cast<std::int64_t>(r.interface_type));
    case attr::RSRC_CLASS:
      return AttrValue(r.resource_class);
    case attr::RSRC_NAME:
      return AttrValue(r.canonical());
    case attr::INTF_NUM:
      if (auto board = r.board_number()) return AttrValue(static_cast<std::int64_t>(*board));
      return std::nullopt;
    case attr::MANF_ID:
      if (!usb) return std::nullopt;
      return integer(detail::parse_usb_id(*r.field("manufacturer_id")));
    case attr::MODEL_CODE:
      if (!usb) return std::nullopt;
      return integer(detail::parse_usb_id(*r.field("model_code")));
    case attr::USB_SERIAL_NUM:
      if (!usb) return std::nullopt;
      return AttrValue(std::string(*r.field("serial_number")));
    case attr::USB_INTFC_NUM:  // the interface number (PyVISA's filter2 gives the board: a bug)
      if (!usb) return std::nullopt;
      return integer(number(r, "usb_interface_number"));
    case attr::TCPIP_ADDR:
      if (!tcpip_instr && !tcpip_socket) return std::nullopt;
      return AttrValue(r.host_address());
    case attr::TCPIP_DEVICE_NAME:
      if (!tcpip_instr) return std::nullopt;
      return AttrValue(r.lan_device_name());
    case attr::TCPIP_PORT:
      if (tcpip_socket) return integer(r.port());
      if (tcpip_instr && r.is_hislip()) return AttrValue(static_cast<std::int64_t>(r.port().value_or(4880)));
      return std::nullopt;
    case attr::TCPIP_IS_HISLIP:
      if (!tcpip_instr) return std::nullopt;
      return AttrValue(static_cast<std::int64_t>(r.is_hislip()));
    case attr::GPIB_PRIMARY_ADDR:
      if (!gpib_instr) return std::nullopt;
      return integer(r.primary_address());
    case attr::GPIB_SECONDARY_ADDR:  // VI_NO_SEC_ADDR when the name has none
      if (!gpib_instr) return std::nullopt;
      return AttrValue(static_cast<std::int64_t>(r.secondary_address().value_or(0xFFFF)));
    case attr::MAINFRAME_LA:  // as PyVISA: the logical address of a VXI INSTR or BACKPLANE name
      if (!vxi || (r.resource_class != "INSTR" && r.resource_class != "BACKPLANE")) return std::nullopt;
      return integer(number(r, "vxi_logical_address"));
    case attr::VXI_LA:
      if (!vxi || r.resource_class != "INSTR") return std::nullopt;
      return integer(number(r, "vxi_logical_address"));
    case attr::PXI_CHASSIS:
      if (r.interface_type == InterfaceType::pxi && r.resource_class == "BACKPLANE")
        return integer(number(r, "chassis_number"));
      if (pxi_instr) return integer(pxi_address(r).chassis);
      return std::nullopt;
    case attr::SLOT:
      if (!pxi_instr) return std::nullopt;
      return integer(pxi_address(r).slot);
    case attr::PXI_BUS_NUM:
      if (!pxi_instr) return std::nullopt;
      return integer(pxi_address(r).bus);
    case attr::PXI_DEV_NUM:
      if (!pxi_instr) return std::nullopt;
      return integer(pxi_address(r).device);
    case attr::PXI_FUNC_NUM:
      if (!pxi_instr) return std::nullopt;
      return integer(pxi_address(r).function);
    default:
      return std::nullopt;
  }
}

}  // namespace cppvisa
