// USB discovery without opening (usb_devices.hpp): descriptor parsing with bounds checks, the
// interface a VISA USB name designates (ids as numbers, serial exact, first USBTMC interface by
// default, several identical instruments told apart by serial), canonical names.
#include "protocols/usbtmc/usb_devices.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "support/bytes.hpp"

using cppvisa::testing::from_hex;

namespace cppvisa::usbtmc {
namespace {

// A vendor interface 0 (FF/FF) and a USB488 interface 1 with an alternate setting.
const std::vector<std::byte> kTwoInterfaces = from_hex(
    "12 01 00 02 00 00 00 40 57 09 96 17 00 01 01 02 03 01"
    "09 02 45 00 02 01 00 c0 32"
    "09 04 00 00 01 ff ff ff 00  07 05 01 02 40 00 00"
    "09 04 01 00 03 fe 03 01 00  07 05 02 02 00 02 00  07 05 81 02 00 02 00  07 05 83 03 08 00 0a"
    "09 04 01 01 01 fe 03 01 00  07 05 84 02 40 00 00");

TEST(UsbtmcDevices, ParsesInterfacesAndEndpoints) {
  UsbDescriptors d;
  ASSERT_TRUE(parse_descriptors(kTwoInterfaces, d));
  EXPECT_EQ(d.vendor_id, 0x0957);
  EXPECT_EQ(d.product_id, 0x1796);
  EXPECT_EQ(d.num_interfaces, 2);
  ASSERT_EQ(d.interfaces.size(), 2u) << "alternate settings other than 0 are not listed";
  EXPECT_FALSE(d.interfaces[0].is_usbtmc());
  EXPECT_TRUE(d.interfaces[1].is_usbtmc());
  ASSERT_EQ(d.interfaces[1].endpoints.size(), 3u);
  EXPECT_TRUE(d.interfaces[1].endpoints[1].is_bulk());
  EXPECT_TRUE(d.interfaces[1].endpoints[1].is_in());
  EXPECT_EQ(d.interfaces[1].endpoints[1].max_packet, 512);
  EXPECT_TRUE(d.interfaces[1].endpoints[2].is_interrupt());
  EXPECT_TRUE(d.interfaces[0].alternates.empty());
  ASSERT_EQ(d.interfaces[1].alternates.size(), 1u) << "the other setting's endpoints are kept apart";
  EXPECT_EQ(d.interfaces[1].alternates[0].alternate, 1);
  ASSERT_EQ(d.interfaces[1].alternates[0].endpoints.size(), 1u);
  EXPECT_EQ(d.interfaces[1].alternates[0].endpoints[0].address, 0x84);
}

TEST(UsbtmcDevices, TruncatedAndBrokenDescriptors) {
  UsbDescriptors d;
  EXPECT_FALSE(parse_descriptors({}, d));
  EXPECT_FALSE(parse_descriptors(std::span(kTwoInterfaces.data(), 17), d));
  for (std::size_t n = 18; n < kTwoInterfaces.size(); ++n) {
    ASSERT_TRUE(parse_descriptors(std::span(kTwoInterfaces.data(), n), d)) << n;
    EXPECT_LE(d.interfaces.size(), 2u);
  }
  auto zero_length = kTwoInterfaces;
  zero_length[18] = std::byte{0};  // bLength 0 would loop forever
  ASSERT_TRUE(parse_descriptors(zero_length, d));
  EXPECT_TRUE(d.interfaces.empty());
}

UsbDeviceEntry device(std::string serial, int address) {
  UsbDeviceEntry e;
  e.serial = std::move(serial);
  e.bus = 1;
  e.address = address;
  parse_descriptors(kTwoInterfaces, e.descriptors);
  return e;
}

TEST(UsbtmcDevices, ExplicitInterface) {
  EXPECT_EQ(explicit_interface(ResourceName::parse("USB0::0x0957::0x1796::MY1::INSTR")), std::nullopt);
  EXPECT_EQ(explicit_interface(ResourceName::parse("USB0::0x0957::0x1796::MY1")), std::nullopt);
  EXPECT_EQ(explicit_interface(ResourceName::parse("USB0::0x0957::0x1796::MY1::1::INSTR")), 1);
  EXPECT_EQ(explicit_interface(ResourceName::parse("usb0::0x0957::0x1796::MY1::0::raw")), 0);
}

TEST(UsbtmcDevices, ResolveByNumbersSerialAndInterface) {
  std::vector<UsbDeviceEntry> devices{device("MY1", 2), device("MY2", 3)};
  auto m = resolve(ResourceName::parse("USB0::0x0957::0x1796::MY2::INSTR"), devices);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->device.address, 3) << "identical instruments told apart by serial";
  EXPECT_EQ(m->interface.number, 1) << "the first USBTMC interface";
  EXPECT_TRUE(resolve(ResourceName::parse("USB0::2391::6038::MY1::INSTR"), devices)) << "decimal ids";
  EXPECT_FALSE(resolve(ResourceName::parse("USB0::0x0957::0x1796::my1::INSTR"), devices)) << "serial exact";
  EXPECT_FALSE(resolve(ResourceName::parse("USB0::0x0957::0x1796::MY1::0::INSTR"), devices))
      << "interface 0 is not USBTMC";
  auto raw = resolve(ResourceName::parse("USB0::0x0957::0x1796::MY1::RAW"), devices);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->interface.number, 0);
  bool ambiguous = false;
  std::vector<UsbDeviceEntry> twins{device("SAME", 2), device("SAME", 3)};
  EXPECT_TRUE(resolve(ResourceName::parse("USB0::0x0957::0x1796::SAME::INSTR"), twins, &ambiguous));
  EXPECT_TRUE(ambiguous);
}

TEST(UsbtmcDevices, ResourceNames) {
  std::vector<UsbDeviceEntry> devices{device("MY1", 2), device("", 3)};
  auto instr = resource_names(devices, false);
  ASSERT_EQ(instr.size(), 1u) << "a device without serial has no VISA name";
  EXPECT_EQ(instr[0], ResourceName::parse("USB0::0x0957::0x1796::MY1::1::INSTR").canonical());
  EXPECT_EQ(resource_names(devices, true).size(), 2u);
}

}  // namespace
}  // namespace cppvisa::usbtmc
