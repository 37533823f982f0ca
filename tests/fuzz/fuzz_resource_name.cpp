// Fuzz target: parse arbitrary bytes as a resource name. A name that parses must have a canonical
// form that parses again to the same canonical form, with the same interface, class and board.
#include <cppvisa/resource_name.hpp>
#include <cppvisa/resource_query.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view name(reinterpret_cast<const char*>(data), size);
  std::error_code ec;
  std::string message;
  auto parsed = cppvisa::ResourceName::parse(name, ec, &message);
  if (!parsed) {
    if (!ec || message.empty()) std::abort();  // every failure says why
    return 0;
  }
  std::string canonical = parsed->canonical();
  auto again = cppvisa::ResourceName::parse(canonical, ec, &message);
  if (!again) std::abort();
  if (again->canonical() != canonical) std::abort();
  if (again->interface_type != parsed->interface_type || again->resource_class != parsed->resource_class ||
      again->board != parsed->board || again->fields != parsed->fields)
    std::abort();
  // The accessors and the name-derived attributes must not trip on anything that parses.
  (void)parsed->info();
  (void)parsed->host_address();
  (void)parsed->port();
  (void)parsed->primary_address();
  (void)parsed->secondary_address();
  for (cppvisa::attr_id_t id : {cppvisa::attr::INTF_NUM, cppvisa::attr::MANF_ID, cppvisa::attr::TCPIP_PORT,
                                cppvisa::attr::GPIB_SECONDARY_ADDR, cppvisa::attr::PXI_DEV_NUM,
                                cppvisa::attr::PXI_CHASSIS, cppvisa::attr::SLOT, cppvisa::attr::MAINFRAME_LA})
    (void)cppvisa::attribute_from_name(name, id);
  return 0;
}
