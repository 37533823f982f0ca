// Fuzz target: block header parsing (streaming and whole-buffer) and decoding of arbitrary
// bytes for every block format, several element types and both byte orders, with a small
// max_length; plus ASCII parsing of the same bytes.
//
// Input: byte 0 selects format (bits 0-1), byte order (bit 2), element type (bits 3-5) and
// junk limits (bit 6); the rest is the reply. Properties checked (abort on violation):
// - a complete streaming header lies within the data and respects max_length;
// - every shorter prefix of a complete header is "need more" or the same header, never malformed;
// - the whole-buffer decoder agrees with the streaming header and decode_into.
#include <cppvisa/values.hpp>

#include <cstdlib>
#include <cstring>
#include <string_view>

using namespace cppvisa;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

template <typename T>
void decode_all(std::span<const std::byte> data, BlockFormat format, bool big_endian, const BlockOptions& options) {
  std::error_code ec;
  std::string message;
  auto values = from_block<T>(data, format, big_endian, ec, options, &message);
  if (ec) {
    check(values.empty() && !message.empty());
    return;
  }
  // Agreement with the streaming path: header + decode_into of the declared payload.
  std::error_code hec;
  auto header = parse_block_header(data, format, big_endian, hec, options);
  check(header.has_value() && !hec);
  if (header->length) {
    check(*header->length == values.size() * sizeof(T));
    std::vector<T> direct(values.size());
    decode_into(data.subspan(header->offset, *header->length), big_endian, std::span<T>(direct), hec);
    check(!hec);
    // An empty vector's data() may be null, and memcmp's arguments must not be (C17 7.24.1).
    check(direct.empty() || std::memcmp(direct.data(), values.data(), direct.size() * sizeof(T)) == 0);
  }
  // Re-encoding the decoded values gives back the payload bytes.
  auto again = encode_block(values, BlockFormat::empty, big_endian);
  std::error_code pec;
  auto payload = block_payload(data, format, big_endian, sizeof(T), pec, options);
  check(!pec && payload.size() == again.size() &&
        (again.empty() || std::memcmp(payload.data(), again.data(), again.size()) == 0));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* input, std::size_t size) {
  if (size == 0) return 0;
  std::uint8_t selector = input[0];
  std::span<const std::byte> data(reinterpret_cast<const std::byte*>(input + 1), size - 1);
  static constexpr BlockFormat formats[] = {BlockFormat::ieee, BlockFormat::hp, BlockFormat::rs, BlockFormat::empty};
  BlockFormat format = formats[selector & 3];
  bool big_endian = (selector & 4) != 0;
  BlockOptions options;
  options.max_length = 4096;
  if (selector & 0x40) {
    options.max_junk = 16;
    options.raise_on_late_block = true;
    options.length_before_block = 4;
  }

  // Streaming header parse, and the prefix property.
  std::error_code ec;
  std::string message;
  auto header = parse_block_header(data, format, big_endian, ec, options, &message);
  if (header) {
    check(!ec && header->offset <= data.size() && header->junk <= header->offset);
    check(!header->length || *header->length <= options.max_length);
    for (std::size_t k = 0; k < header->offset; ++k) {
      std::error_code pec;
      auto partial = parse_block_header(data.first(k), format, big_endian, pec, options);
      check(!pec);
      check(!partial || (partial->offset == header->offset && partial->length == header->length));
    }
  } else if (ec) {
    check(!message.empty());
  }

  switch ((selector >> 3) & 7) {
    case 0: decode_all<std::int8_t>(data, format, big_endian, options); break;
    case 1: decode_all<std::uint16_t>(data, format, big_endian, options); break;
    case 2: decode_all<std::int32_t>(data, format, big_endian, options); break;
    case 3: decode_all<std::uint64_t>(data, format, big_endian, options); break;
    case 4: decode_all<float>(data, format, big_endian, options); break;
    case 5: decode_all<double>(data, format, big_endian, options); break;
    case 6: {
      // ASCII parsing of the same bytes: floats and integers, errors as error codes.
      std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
      std::error_code aec;
      auto floats = from_ascii_block<double>(text, "f", ",", aec);
      check(!aec || floats.empty());
      auto ints = from_ascii_block<std::int16_t>(text, "x", ";", aec);
      check(!aec || ints.empty());
      break;
    }
    default: {
      // ASCII formatting with the bytes as a converter (bounded length).
      std::string_view converter(reinterpret_cast<const char*>(data.data()), std::min<std::size_t>(data.size(), 12));
      std::error_code aec;
      auto fmt = AsciiFormat::parse(converter, aec);
      if (fmt) {
        std::string out;
        try {
          fmt->append(out, 1.5);
          fmt->append(out, std::int64_t{-42});
        } catch (const InvalidAsciiFormat&) {
        }
      }
      break;
    }
  }
  return 0;
}
