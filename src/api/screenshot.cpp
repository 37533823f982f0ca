// Screen dumps of instruments (screenshot.hpp).
#include <cppvisa/screenshot.hpp>

#include <cppvisa/error.hpp>
#include <cppvisa/values.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace cppvisa {
namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

std::string_view field(std::string_view idn, int index) {
  for (int i = 0; i < index; ++i) {
    auto comma = idn.find(',');
    if (comma == std::string_view::npos) return {};
    idn.remove_prefix(comma + 1);
  }
  idn = idn.substr(0, idn.find(','));
  while (!idn.empty() && idn.front() == ' ') idn.remove_prefix(1);
  return idn;
}

}  // namespace

const std::vector<ScreenDumpMethod>& screen_dump_methods() {
  using R = ScreenDumpReply;
  static const std::vector<ScreenDumpMethod> table = {
      // InfiniiVision 2000/3000/4000/6000 X programmer's guides: :DISPlay:DATA? [<format>][,<palette>].
      {"Keysight/Agilent InfiniiVision X oscilloscopes", "KEYSIGHT", {"DSO-X", "MSO-X", "DSOX", "MSOX", "EDUX"}, {},
       ":DISPlay:DATA? PNG,COLor", R::ieee_block},
      {"Keysight/Agilent InfiniiVision X oscilloscopes", "AGILENT", {"DSO-X", "MSO-X", "DSOX", "MSOX"}, {},
       ":DISPlay:DATA? PNG,COLor", R::ieee_block},
      // Trueform 33500B/33600A generators and Truevolt 3446xA multimeters: HCOPy:SDUMp:DATA?.
      {"Keysight Trueform generators and Truevolt multimeters", "KEYSIGHT", {"335", "336", "3446", "3447"},
       {"HCOPy:SDUMp:DATA:FORMat PNG"}, "HCOPy:SDUMp:DATA?", R::ieee_block},
      {"Keysight Trueform generators and Truevolt multimeters", "AGILENT", {"335", "336", "3446"},
       {"HCOPy:SDUMp:DATA:FORMat PNG"}, "HCOPy:SDUMp:DATA?", R::ieee_block},
      // Rigol DS1000Z/MSO1000Z, MSO5000, DHO programming guides: :DISPlay:DATA? <color>,<invert>,<format>.
      {"Rigol DS1000Z/MSO5000 oscilloscopes", "RIGOL", {"DS1", "MSO1", "MSO5", "DHO"}, {}, ":DISPlay:DATA? ON,OFF,PNG",
       R::ieee_block},
      // R&S RTB2000, RTM3000, RTA4000 user manuals: HCOPy:FORMat, then HCOPy:DATA? (a block).
      {"Rohde & Schwarz RTB/RTM/RTA oscilloscopes", "ROHDE", {"RTB", "RTM", "RTA"}, {"HCOPy:FORMat PNG"},
       "HCOPy:DATA?", R::ieee_block},
      // Siglent SDS1000X-E/SDS2000X programming guide: SCDP answers the screen as a BMP file, no header.
      {"Siglent SDS oscilloscopes", "SIGLENT", {"SDS"}, {}, "SCDP", R::bmp_file},
  };
  return table;
}

const ScreenDumpMethod* find_screen_dump_method(std::string_view idn) {
  std::string_view manufacturer = field(idn, 0), model = field(idn, 1);
  for (const auto& m : screen_dump_methods()) {
    if (!starts_with_nocase(manufacturer, m.manufacturer)) continue;
    if (m.models.empty() ||
        std::any_of(m.models.begin(), m.models.end(), [&](auto& p) { return starts_with_nocase(model, p); }))
      return &m;
  }
  return nullptr;
}

std::string image_format(std::span<const std::byte> image) {
  auto starts = [&](std::string_view magic) {
    return image.size() >= magic.size() && std::memcmp(image.data(), magic.data(), magic.size()) == 0;
  };
  if (starts("\x89PNG\r\n\x1a\n")) return "png";
  if (starts("BM")) return "bmp";
  if (starts("GIF87a") || starts("GIF89a")) return "gif";
  if (starts("\xff\xd8\xff")) return "jpeg";
  if (starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4))) return "tiff";
  return {};
}

std::vector<std::byte> take_screenshot(MessageBasedResource& r, const ScreenDumpMethod& method,
                                       const ReadProgress& progress) {
  for (auto& s : method.setup) r.write(s);
  r.write(method.query);
  if (method.reply == ScreenDumpReply::ieee_block) {
    BinaryReadOptions options;
    options.limits.max_length = max_screenshot_bytes;
    options.progress = progress;
    auto image = r.read_binary_values<std::uint8_t>(options);
    std::vector<std::byte> out(image.size());
    if (!image.empty()) std::memcpy(out.data(), image.data(), image.size());
    return out;
  }
  // A BMP file: "BM", then its whole size as a little-endian uint32 (the BITMAPFILEHEADER).
  auto image = r.read_bytes(6);
  if (static_cast<char>(image[0]) != 'B' || static_cast<char>(image[1]) != 'M')
    throw InvalidBinaryFormat("the screen dump is not a BMP file (no \"BM\" at its start)", status::ERROR_INV_FMT);
  std::size_t size = 0;
  for (int i = 5; i >= 2; --i) size = (size << 8) | static_cast<std::size_t>(image[static_cast<std::size_t>(i)]);
  if (size < 26 || size > max_screenshot_bytes)
    throw InvalidBinaryFormat(fmt::format("a BMP file of {} bytes announced (26 to {} expected)", size, max_screenshot_bytes),
                              status::ERROR_INV_LENGTH);
  const std::size_t piece = progress ? 65536 : size;
  while (image.size() < size) {
    auto more = r.read_bytes(std::min(piece, size - image.size()));
    image.insert(image.end(), more.begin(), more.end());
    if (progress) progress(image.size(), size);
  }
  // A termination after the file, when the instrument sends one, is left for a flush: a BMP's
  // last byte may equal it.
  return image;
}

}  // namespace cppvisa
