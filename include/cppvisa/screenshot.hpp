/// @file screenshot.hpp
/// @brief The picture on an instrument's screen (`visa screenshot`): a small table of the
/// screen-dump commands of instrument families, chosen by their `*IDN?` reply, and the image read.
#pragma once

#include <cppvisa/export.hpp>
#include <cppvisa/message_based.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa {

/// How the image comes back.
enum class ScreenDumpReply {
  ieee_block,  ///< an IEEE 488.2 definite-length block (§7.7.6.2) holding the image file
  bmp_file,    ///< a BMP file as it is, its length in its own header (bytes 2-5, little-endian)
};

/// How one family of instruments dumps its screen.
struct ScreenDumpMethod {
  std::string family;                 ///< for people: "Keysight InfiniiVision X oscilloscopes"
  std::string manufacturer;           ///< `*IDN?` field 1 starts with this (case-insensitive)
  std::vector<std::string> models;    ///< `*IDN?` field 2 starts with one of these (case-insensitive); empty: any
  std::vector<std::string> setup;     ///< commands sent first (image format settings)
  std::string query;                  ///< the query whose reply is the image
  ScreenDumpReply reply = ScreenDumpReply::ieee_block;  ///< how the image comes back
};

/// The built-in table (from the vendors' programming manuals), in the order it is searched.
CPPVISA_API const std::vector<ScreenDumpMethod>& screen_dump_methods();

/// The first method of the table whose manufacturer and model match `idn` (a `*IDN?` reply:
/// manufacturer, model, serial, firmware separated by commas), or nullptr.
CPPVISA_API const ScreenDumpMethod* find_screen_dump_method(std::string_view idn);

/// The file format of an image from its first bytes: "png", "bmp", "gif", "jpeg", "tiff", or "" when unknown.
CPPVISA_API std::string image_format(std::span<const std::byte> image);

/// Largest image take_screenshot() accepts (64 MB): a length beyond it is refused before any allocation.
inline constexpr std::size_t max_screenshot_bytes = std::size_t{64} << 20;

/// Sends `method`'s setup commands and query and reads the image (`progress` as in
/// BinaryReadOptions::progress; may be empty). @throws VisaIOError for I/O errors,
/// InvalidBinaryFormat for a reply that is not an image of the expected kind or is larger than
/// max_screenshot_bytes.
CPPVISA_API std::vector<std::byte> take_screenshot(MessageBasedResource& resource, const ScreenDumpMethod& method,
                                                   const ReadProgress& progress = nullptr);

}  // namespace cppvisa
