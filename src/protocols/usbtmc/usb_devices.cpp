#include "protocols/usbtmc/usb_devices.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace cppvisa::usbtmc {
namespace {

std::uint8_t u8(std::byte b) { return static_cast<std::uint8_t>(b); }
std::uint16_t le16(const std::byte* p) { return static_cast<std::uint16_t>(u8(p[0]) | u8(p[1]) << 8); }

std::string read_text(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::string s;
  if (!f) return s;
  std::getline(f, s);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

std::vector<std::byte> read_binary(const std::filesystem::path& p, std::size_t limit) {
  std::ifstream f(p, std::ios::binary);
  std::vector<std::byte> out;
  if (!f) return out;
  char buf[4096];
  while (out.size() < limit && f.read(buf, sizeof buf), f.gcount() > 0) {
    auto n = static_cast<std::size_t>(f.gcount());
    n = std::min(n, limit - out.size());
    const auto* b = reinterpret_cast<const std::byte*>(buf);
    out.insert(out.end(), b, b + n);
  }
  return out;
}

std::optional<unsigned long> number(std::string_view text) {
  std::string s(text);
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  unsigned long v = std::strtoul(s.c_str(), &end, 0);
  if (end == s.c_str() || *end != '\0') return std::nullopt;
  return v;
}

std::string hex4(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04X", v & 0xFFFF);
  return buf;
}

}  // namespace

bool parse_descriptors(std::span<const std::byte> data, UsbDescriptors& out) {
  // Device descriptor: bLength 18, bDescriptorType 1 (USB 2.0 Table 9-8).
  if (data.size() < 18 || u8(data[1]) != 1 || u8(data[0]) < 18) return false;
  UsbDescriptors d;
  d.vendor_id = le16(&data[8]);
  d.product_id = le16(&data[10]);
  std::size_t pos = u8(data[0]);
  bool in_first_config = false, seen_config = false;
  UsbInterfaceDesc* current = nullptr;
  std::vector<UsbEndpoint>* current_alt = nullptr;
  while (pos + 2 <= data.size()) {
    const std::size_t len = u8(data[pos]);
    const std::uint8_t type = u8(data[pos + 1]);
    if (len < 2 || pos + len > data.size()) break;
    const std::byte* p = &data[pos];
    if (type == 2 && len >= 9) {  // configuration
      if (seen_config) break;      // only the first configuration
      seen_config = in_first_config = true;
      d.num_interfaces = u8(p[4]);
    } else if (type == 4 && len >= 9 && in_first_config) {  // interface
      current = nullptr;
      current_alt = nullptr;
      if (u8(p[3]) != 0) {  // another alternate setting of an interface already seen
        for (auto& i : d.interfaces)
          if (i.number == u8(p[2]) && i.alternates.size() < 16) {
            i.alternates.push_back(UsbAltSetting{u8(p[3]), {}});
            current_alt = &i.alternates.back().endpoints;
          }
      } else {  // alternate setting 0
        UsbInterfaceDesc i;
        i.number = u8(p[2]);
        i.alternate = 0;
        i.cls = u8(p[5]);
        i.subclass = u8(p[6]);
        i.protocol = u8(p[7]);
        d.interfaces.push_back(i);
        current = &d.interfaces.back();
      }
    } else if (type == 5 && len >= 7 && (current || current_alt)) {  // endpoint
      UsbEndpoint e;
      e.address = u8(p[2]);
      e.attributes = u8(p[3]);
      e.max_packet = static_cast<std::uint16_t>(le16(p + 4) & 0x7FF);
      auto& eps = current ? current->endpoints : *current_alt;
      if (eps.size() < 32) eps.push_back(e);
    }
    pos += len;
  }
  out = std::move(d);
  return true;
}

std::vector<UsbDeviceEntry> scan_devices(const std::string& root) {
  namespace fs = std::filesystem;
  std::vector<UsbDeviceEntry> out;
  std::error_code ec;
  fs::directory_iterator it(root, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path dir = it->path();
    const std::string leaf = dir.filename().string();
    if (leaf.find(':') != std::string::npos) continue;  // an interface, not a device
    auto raw = read_binary(dir / "descriptors", 64 * 1024);
    UsbDeviceEntry e;
    if (raw.empty() || !parse_descriptors(raw, e.descriptors)) continue;
    e.sysfs_path = dir.string();
    e.bus = static_cast<int>(number(read_text(dir / "busnum")).value_or(0));
    e.address = static_cast<int>(number(read_text(dir / "devnum")).value_or(0));
    e.manufacturer = read_text(dir / "manufacturer");
    e.product = read_text(dir / "product");
    e.serial = read_text(dir / "serial");
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const UsbDeviceEntry& a, const UsbDeviceEntry& b) {
    return std::tie(a.bus, a.address) < std::tie(b.bus, b.address);
  });
  return out;
}

std::optional<int> explicit_interface(const ResourceName& name) {
  // The grammar fills in interface 0 when it is left out; whether it was written is in the
  // user's text: USB0::vid::pid::serial[::iface][::CLASS].
  std::vector<std::string> parts;
  std::string_view s = name.user;
  for (;;) {
    auto at = s.find("::");
    parts.emplace_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 2);
  }
  if (!parts.empty()) {
    std::string last = parts.back();
    std::transform(last.begin(), last.end(), last.begin(), [](unsigned char c) { return std::toupper(c); });
    if (last == "INSTR" || last == "RAW") parts.pop_back();
  }
  if (parts.size() < 5) return std::nullopt;
  auto v = number(parts[4]);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<UsbMatch> resolve(const ResourceName& name, const std::vector<UsbDeviceEntry>& devices,
                                bool* ambiguous) {
  if (ambiguous) *ambiguous = false;
  auto vid = number(name.field("manufacturer_id").value_or(""));
  auto pid = number(name.field("model_code").value_or(""));
  std::string serial(name.field("serial_number").value_or(""));
  if (!vid || !pid) return std::nullopt;
  const bool raw = name.resource_class == "RAW";
  const auto iface = explicit_interface(name);
  std::optional<UsbMatch> found;
  for (const auto& d : devices) {
    if (d.descriptors.vendor_id != *vid || d.descriptors.product_id != *pid || d.serial != serial) continue;
    for (const auto& i : d.descriptors.interfaces) {
      if (iface ? i.number != *iface : (!raw && !i.is_usbtmc())) continue;
      if (!raw && !i.is_usbtmc()) continue;
      if (found) {
        if (ambiguous) *ambiguous = true;
        return found;
      }
      found = UsbMatch{d, i};
      break;
    }
  }
  return found;
}

std::vector<std::string> resource_names(const std::vector<UsbDeviceEntry>& devices, bool raw) {
  std::vector<std::string> out;
  for (const auto& d : devices) {
    if (d.serial.empty()) continue;  // a VISA USB name needs the serial number
    for (const auto& i : d.descriptors.interfaces) {
      if (!i.is_usbtmc() && !raw) continue;
      std::string name = "USB0::" + hex4(d.descriptors.vendor_id) + "::" + hex4(d.descriptors.product_id) +
                         "::" + d.serial + "::" + std::to_string(i.number) + (i.is_usbtmc() ? "::INSTR" : "::RAW");
      std::error_code ec;
      // A serial number the VISA grammar cannot carry (USBTMC/USB488) makes no name.
      if (auto parsed = ResourceName::parse(name, ec)) out.push_back(parsed->canonical());
    }
  }
  return out;
}

}  // namespace cppvisa::usbtmc
