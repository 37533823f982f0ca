/// @file values.hpp
/// @brief Binary and ASCII values codec: IEEE 488.2 / HP / R&S blocks and ASCII number lists
/// (PyVISA's `pyvisa.util` block functions, used by write/read/query_binary_values and
/// write/read/query_ascii_values).
///
/// Binary blocks (IEEE 488.2-1992 §7.7.6 "arbitrary block program data", §8.7.9 response data):
/// | format | header | length |
/// |---|---|---|
/// | `ieee` definite | `#<n><len>` | n = ONE HEX digit 1..F = number of decimal digits of len (PyVISA allows hex, so lengths up to 15 digits) |
/// | `ieee` indefinite | `#0<data>` | unknown: the caller supplies the number of points |
/// | `hp` | `#A<2 bytes>` | unsigned 16-bit, in the data's byte order |
/// | `rs` | `#(<len>)` | decimal, at most 18 digits; parsing in `rs` mode accepts IEEE headers too |
/// | `empty` | none | unknown: the caller supplies the number of points |
///
/// Design: the core works on bytes and an item size (1, 2, 4 or 8); the typed templates are thin
/// inline wrappers, so decoding goes straight into the caller's typed buffer:
/// @code
///   auto header = cppvisa::parse_block_header(chunk, BlockFormat::ieee, false, ec);  // streaming
///   std::vector<float> v(*header->length / sizeof(float));
///   // ... read the payload bytes directly into std::as_writable_bytes(std::span(v)) ...
///   cppvisa::fix_byte_order(std::span(v), /*big_endian=*/false);
/// @endcode
///
/// Errors: InvalidBinaryFormat / InvalidAsciiFormat (both derive cppvisa::Error) carry a VISA
/// status; the std::error_code forms set `visa_category()` codes:
/// - `ERROR_INV_FMT` (VI_ERROR_INV_FMT, "invalid format specifier"): the bytes or text do not follow
///   the announced format (no `#`, bad length digits, an HP header given to the IEEE parser, an
///   invalid converter code, unparsable ASCII numbers). It is the status VISA's own formatted I/O
///   (viScanf "%b") reports for data that does not match its format specifier.
/// - `ERROR_INV_LENGTH` (VI_ERROR_INV_LENGTH): a length problem: a length beyond
///   BlockOptions::max_length, fewer data bytes than the header states, a length that is not a
///   multiple of the item size, a block too long for its header (HP >= 64 KiB).
/// - `ERROR_NSUP_FMT`: an unknown datatype code; `ERROR_INV_PARAMETER`: an item size that is not 1, 2, 4 or 8.
#pragma once

#include <cppvisa/error.hpp>
#include <cppvisa/export.hpp>
#include <cppvisa/status.hpp>

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace cppvisa {

// ---- errors ----------------------------------------------------------------------------------

/// Binary data that does not follow its block format (PyVISA's InvalidBinaryFormat).
/// what() is "Unrecognized binary data format: <description>" as in PyVISA.
class CPPVISA_API InvalidBinaryFormat : public Error {
 public:
  /// @param description what is wrong; @param status ERROR_INV_FMT, ERROR_INV_LENGTH, ...
  explicit InvalidBinaryFormat(const std::string& description, status_t status = status::ERROR_INV_FMT);
  status_t error_code() const noexcept { return status_; }                                   ///< the VISA status
  std::error_code code() const noexcept { return make_error_code(status_); }                ///< as an error_code
  const std::string& description() const noexcept { return description_; }                 ///< without the prefix

 private:
  std::string description_;
  status_t status_;
};

/// An invalid ASCII converter code or ASCII data that does not parse (PyVISA raises ValueError).
/// what() is the description alone, e.g. "unsupported format character 'm' (0x6d) at index 1".
class CPPVISA_API InvalidAsciiFormat : public Error {
 public:
  /// `description` becomes what(); `status` the VISA status error_code() reports.
  explicit InvalidAsciiFormat(const std::string& description, status_t status = status::ERROR_INV_FMT);
  status_t error_code() const noexcept { return status_; }                     ///< the VISA status
  std::error_code code() const noexcept { return make_error_code(status_); }  ///< as an error_code

 private:
  status_t status_;
};

// ---- datatypes -------------------------------------------------------------------------------

/// The element types a binary block holds: integers of 1, 2, 4 or 8 bytes (not bool), float, double.
template <typename T>
concept BlockValue = (std::integral<T> && !std::same_as<std::remove_cv_t<T>, bool> &&
                      (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8)) ||
                     std::same_as<std::remove_cv_t<T>, float> || std::same_as<std::remove_cv_t<T>, double>;

/// A contiguous range (std::vector, std::array, std::span, ...) of BlockValue elements.
template <typename R>
concept BlockRange = std::ranges::contiguous_range<R> && std::ranges::sized_range<R> &&
                     BlockValue<std::remove_cv_t<std::ranges::range_value_t<R>>>;

/// Size in bytes of a PyVISA/struct datatype code with standard sizes: b B s p -> 1, h H -> 2,
/// i I l L f -> 4 (`l`/`L` are 4 bytes as in struct's standard mode), q Q d -> 8; 0 for an unknown code.
/// (`s` and `p` are byte strings: this codec treats both as raw bytes.)
CPPVISA_API std::size_t datatype_size(char code) noexcept;

/// The struct code of T: int8 'b', uint8 'B', int16 'h', uint16 'H', int32 'i', uint32 'I',
/// int64 'q', uint64 'Q', float 'f', double 'd'.
template <BlockValue T>
constexpr char datatype_code() noexcept {
  if constexpr (std::floating_point<T>) {
    return sizeof(T) == 4 ? 'f' : 'd';
  } else {
    constexpr const char* codes = std::is_signed_v<T> ? "bhiq" : "BHIQ";
    return codes[sizeof(T) == 1 ? 0 : sizeof(T) == 2 ? 1 : sizeof(T) == 4 ? 2 : 3];
  }
}

/// Views text (e.g. a reply read as std::string) as bytes.
inline std::span<const std::byte> as_byte_span(std::string_view text) noexcept {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

// ---- block formats and options ---------------------------------------------------------------

/// The header of a binary block.
enum class BlockFormat {
  ieee,   ///< IEEE 488.2 definite `#<n><len>` or indefinite `#0`
  hp,     ///< HP `#A<uint16 length>`
  rs,     ///< Rohde & Schwarz `#(<len>)` (parsing also accepts IEEE headers, like PyVISA's read_binary_values)
  empty,  ///< no header
};

/// "ieee", "hp", "rs", "empty" -> the format; nullopt otherwise (PyVISA's header_fmt strings).
CPPVISA_API std::optional<BlockFormat> parse_block_format(std::string_view name) noexcept;
/// The PyVISA name of a format ("ieee", "hp", "rs", "empty").
CPPVISA_API std::string_view to_string(BlockFormat format) noexcept;

/// Largest data length a header may announce by default: 2 GiB.
inline constexpr std::size_t default_max_block_length = std::size_t{1} << 31;
/// PyVISA's DEFAULT_LENGTH_BEFORE_BLOCK: junk beyond this deserves a warning.
inline constexpr std::size_t default_length_before_block = 25;
/// Largest number of junk bytes searched for the `#` by default: 1 MiB.
inline constexpr std::size_t default_max_junk = std::size_t{1} << 20;

/// Limits applied while parsing a block header from a peer.
struct BlockOptions {
  /// A header announcing more data bytes than this is rejected (ERROR_INV_LENGTH) before anything is allocated.
  std::size_t max_length = default_max_block_length;
  /// The `#` must appear within the first max_junk + 1 bytes (otherwise ERROR_INV_FMT).
  std::size_t max_junk = default_max_junk;
  /// PyVISA's length_before_block: junk beyond it is "late" (see BlockHeader::late).
  std::size_t length_before_block = default_length_before_block;
  /// PyVISA's raise_on_late_block: a late block is an error (ERROR_INV_FMT) instead of a warning.
  bool raise_on_late_block = false;
};

/// A parsed block header.
struct BlockHeader {
  std::size_t offset = 0;             ///< index of the first data byte (junk + header size)
  std::optional<std::size_t> length;  ///< data bytes; nullopt when unknown (`#0` indefinite, `empty`)
  std::size_t junk = 0;               ///< bytes skipped before the `#`
  BlockFormat format = BlockFormat::empty;  ///< the header found (ieee or rs when parsing in rs mode)
  /// True when the block starts later than `length_before_block` (callers warn, as PyVISA does).
  bool late(std::size_t length_before_block = default_length_before_block) const noexcept {
    return junk > length_before_block;
  }
};

// ---- header parsing --------------------------------------------------------------------------

/// Parses the header at the start of `data`, which may be only the first chunk of a reply.
///
/// Junk before the `#` is skipped (PyVISA's search: the first `#` for ieee/rs, the first `#A`
/// for hp) and counted in BlockHeader::junk. IEEE's count digit is hexadecimal (`#A1000000000`
/// is a 1 GB IEEE block); spaces around the length digits are accepted (Python's int()).
/// Deliberate differences from PyVISA: a `#` followed by a non-hex character is malformed (PyVISA
/// silently treats it as `#0`); `#A` with non-digit length characters is reported as "looks
/// like an HP block" without PyVISA's 64 KiB size heuristic.
///
/// @return the header when complete; std::nullopt with `ec` EMPTY when `data` ends before the
/// header does ("need more bytes": read more, then call again with the longer buffer; a caller
/// that has already seen the end of the message must treat this as malformed, ERROR_INV_FMT with
/// `*message`, which then says what is missing); std::nullopt with `ec` SET when the header is
/// malformed (ERROR_INV_FMT) or announces too much (ERROR_INV_LENGTH); `*message` (if given)
/// then explains. Never allocates more than the message text.
CPPVISA_API std::optional<BlockHeader> parse_block_header(std::span<const std::byte> data, BlockFormat format,
                                                          bool big_endian, std::error_code& ec,
                                                          const BlockOptions& options = {},
                                                          std::string* message = nullptr);

/// Parses the header of a block held entirely in `data` (an incomplete header is malformed).
/// @throws InvalidBinaryFormat
CPPVISA_API BlockHeader parse_block_header(std::span<const std::byte> data, BlockFormat format, bool big_endian,
                                           const BlockOptions& options = {});

/// The payload of a whole block: parses the header, checks the data, returns the data bytes
/// (a view into `block`). A known length needs at least that many bytes after the header (bytes
/// after it, e.g. a `\n` terminator, are ignored) and must be a multiple of `itemsize`. An unknown
/// length (`#0`, `empty`) takes the rest of the block, minus one final `\n` when that makes it a
/// multiple of `itemsize` (the NL^END that terminates an indefinite block, IEEE 488.2 §7.7.6.2);
/// a rest that is still not a multiple is an error. Errors set `ec` and return an empty span.
CPPVISA_API std::span<const std::byte> block_payload(std::span<const std::byte> block, BlockFormat format,
                                                     bool big_endian, std::size_t itemsize, std::error_code& ec,
                                                     const BlockOptions& options = {},
                                                     std::string* message = nullptr);

/// The payload of a headerless block (PyVISA's from_binary_block arguments): `data_length` bytes
/// from `offset` (nullopt = the rest). Fewer bytes than that, or a length that is not a multiple
/// of `itemsize`, is an error (ERROR_INV_LENGTH); bytes after `offset + data_length` are ignored.
CPPVISA_API std::span<const std::byte> binary_block_payload(std::span<const std::byte> block, std::size_t offset,
                                                            std::optional<std::size_t> data_length,
                                                            std::size_t itemsize, std::error_code& ec,
                                                            std::string* message = nullptr);

// ---- byte order and decoding -----------------------------------------------------------------

/// Converts `data` (elements of `itemsize` bytes) in place between the wire order (`big_endian`)
/// and the host order: swaps every element when they differ, otherwise does nothing.
/// @throws InvalidBinaryFormat (ERROR_INV_PARAMETER) if itemsize is not 1, 2, 4 or 8 or does not divide the size.
CPPVISA_API void fix_byte_order(std::span<std::byte> data, std::size_t itemsize, bool big_endian);

/// Typed in-place byte-order fix: after reading wire bytes straight into `values`' storage.
template <BlockValue T>
void fix_byte_order(std::span<T> values, bool big_endian) {
  fix_byte_order(std::as_writable_bytes(values), sizeof(T), big_endian);
}

/// Copies wire bytes into `out` (same size in bytes), converting the byte order in the same pass.
/// Errors (sizes differ, bad itemsize) set `ec` (ERROR_INV_LENGTH / ERROR_INV_PARAMETER).
CPPVISA_API void decode_into(std::span<const std::byte> data, std::size_t itemsize, bool big_endian,
                             std::span<std::byte> out, std::error_code& ec) noexcept;
/// Throwing form. @throws InvalidBinaryFormat
CPPVISA_API void decode_into(std::span<const std::byte> data, std::size_t itemsize, bool big_endian,
                             std::span<std::byte> out);

/// Decodes wire bytes into the caller's typed buffer; `data.size()` must be `out.size() * sizeof(T)`.
template <BlockValue T>
void decode_into(std::span<const std::byte> data, bool big_endian, std::span<T> out, std::error_code& ec) noexcept {
  decode_into(data, sizeof(T), big_endian, std::as_writable_bytes(out), ec);
}
/// Throwing form. @throws InvalidBinaryFormat
template <BlockValue T>
void decode_into(std::span<const std::byte> data, bool big_endian, std::span<T> out) {
  decode_into(data, sizeof(T), big_endian, std::as_writable_bytes(out));
}

// ---- encoding --------------------------------------------------------------------------------

/// Size of the header `format` writes for `data_length` bytes: ieee 2 + digits, rs 3 + digits, hp 4, empty 0.
CPPVISA_API std::size_t block_header_size(std::size_t data_length, BlockFormat format) noexcept;

/// PyVISA's message_size: data + header + 1 terminator byte, for `num_points` items of `itemsize`
/// bytes. (PyVISA rejects "rs"; here rs counts its `#(` + digits + `)` header.)
CPPVISA_API std::size_t message_size(std::size_t num_points, std::size_t itemsize,
                                     BlockFormat format = BlockFormat::ieee) noexcept;

/// Appends the header for `data_length` data bytes: ieee `#` + hex digit count + decimal length
/// (`#10` when empty, `#A1000000000` for 1 GB); hp `#A` + uint16 in the data byte order; rs `#(len)`;
/// empty nothing. Errors (hp length >= 64 KiB, ieee length of 16+ digits) set `ec` (ERROR_INV_LENGTH)
/// and append nothing.
CPPVISA_API void append_block_header(std::vector<std::byte>& out, std::size_t data_length, BlockFormat format,
                                     bool big_endian, std::error_code& ec, std::string* message = nullptr);
/// Throwing form. @throws InvalidBinaryFormat
CPPVISA_API void append_block_header(std::vector<std::byte>& out, std::size_t data_length, BlockFormat format,
                                     bool big_endian);

/// Appends header + data: `native` holds host-order elements of `itemsize` bytes, written in the
/// wire order `big_endian`. Errors set `ec` and append nothing.
CPPVISA_API void append_block(std::vector<std::byte>& out, std::span<const std::byte> native, std::size_t itemsize,
                              BlockFormat format, bool big_endian, std::error_code& ec,
                              std::string* message = nullptr);
/// Throwing form. @throws InvalidBinaryFormat
CPPVISA_API void append_block(std::vector<std::byte>& out, std::span<const std::byte> native, std::size_t itemsize,
                              BlockFormat format, bool big_endian);

/// Appends a typed block to `out` (e.g. after the command text, before the terminator: one buffer, no copies).
template <BlockRange R>
void append_block(std::vector<std::byte>& out, const R& values, BlockFormat format, bool big_endian) {
  using T = std::remove_cv_t<std::ranges::range_value_t<R>>;
  append_block(out, std::as_bytes(std::span<const T>(std::ranges::data(values), std::ranges::size(values))),
               sizeof(T), format, big_endian);
}

/// Encodes values as a block. @throws InvalidBinaryFormat (hp >= 64 KiB)
template <BlockRange R>
std::vector<std::byte> encode_block(const R& values, BlockFormat format, bool big_endian = false) {
  std::vector<std::byte> out;
  append_block(out, values, format, big_endian);
  return out;
}
/// PyVISA's to_ieee_block: `#<n><len>` + data.
template <BlockRange R>
std::vector<std::byte> to_ieee_block(const R& values, bool big_endian = false) {
  return encode_block(values, BlockFormat::ieee, big_endian);
}
/// PyVISA's to_hp_block: `#A<uint16>` + data. @throws InvalidBinaryFormat when 64 KiB or more.
template <BlockRange R>
std::vector<std::byte> to_hp_block(const R& values, bool big_endian = false) {
  return encode_block(values, BlockFormat::hp, big_endian);
}
/// PyVISA's to_rs_block: `#(<len>)` + data.
template <BlockRange R>
std::vector<std::byte> to_rs_block(const R& values, bool big_endian = false) {
  return encode_block(values, BlockFormat::rs, big_endian);
}
/// PyVISA's to_binary_block with an empty header: the data alone.
template <BlockRange R>
std::vector<std::byte> to_binary_block(const R& values, bool big_endian = false) {
  return encode_block(values, BlockFormat::empty, big_endian);
}

// ---- whole-buffer decoding -------------------------------------------------------------------

/// Decodes a whole block (see block_payload for the rules). Errors set `ec` and return {}.
template <BlockValue T>
std::vector<T> from_block(std::span<const std::byte> block, BlockFormat format, bool big_endian,
                          std::error_code& ec, const BlockOptions& options = {}, std::string* message = nullptr) {
  auto payload = block_payload(block, format, big_endian, sizeof(T), ec, options, message);
  if (ec) return {};
  std::vector<T> values(payload.size() / sizeof(T));
  decode_into(payload, big_endian, std::span<T>(values), ec);
  return values;
}
/// Throwing form. @throws InvalidBinaryFormat
template <BlockValue T>
std::vector<T> from_block(std::span<const std::byte> block, BlockFormat format, bool big_endian = false,
                          const BlockOptions& options = {}) {
  std::error_code ec;
  std::string message;
  auto values = from_block<T>(block, format, big_endian, ec, options, &message);
  if (ec) throw InvalidBinaryFormat(message, static_cast<status_t>(ec.value()));
  return values;
}
/// PyVISA's from_ieee_block (definite or `#0` indefinite). @throws InvalidBinaryFormat
template <BlockValue T>
std::vector<T> from_ieee_block(std::span<const std::byte> block, bool big_endian = false,
                               const BlockOptions& options = {}) {
  return from_block<T>(block, BlockFormat::ieee, big_endian, options);
}
/// PyVISA's from_hp_block. @throws InvalidBinaryFormat
template <BlockValue T>
std::vector<T> from_hp_block(std::span<const std::byte> block, bool big_endian = false,
                             const BlockOptions& options = {}) {
  return from_block<T>(block, BlockFormat::hp, big_endian, options);
}
/// PyVISA's from_ieee_or_rs_block: an R&S `#(len)` block, or an IEEE one. @throws InvalidBinaryFormat
template <BlockValue T>
std::vector<T> from_rs_block(std::span<const std::byte> block, bool big_endian = false,
                             const BlockOptions& options = {}) {
  return from_block<T>(block, BlockFormat::rs, big_endian, options);
}
/// PyVISA's from_binary_block: `data_length` bytes (nullopt = the rest) from `offset`, no header.
/// @throws InvalidBinaryFormat
template <BlockValue T>
std::vector<T> from_binary_block(std::span<const std::byte> block, std::size_t offset = 0,
                                 std::optional<std::size_t> data_length = std::nullopt, bool big_endian = false) {
  std::error_code ec;
  std::string message;
  auto payload = binary_block_payload(block, offset, data_length, sizeof(T), ec, &message);
  if (ec) throw InvalidBinaryFormat(message, static_cast<status_t>(ec.value()));
  std::vector<T> values(payload.size() / sizeof(T));
  decode_into(payload, big_endian, std::span<T>(values));
  return values;
}

// ---- ASCII values ----------------------------------------------------------------------------

/// A parsed printf-style converter as PyVISA applies it (`"%" + converter`, Python %-formatting):
/// `[flags -+ #0][width][.precision][h|l|L]conv[literal text]` with conv one of
/// d i u (integer; floats truncated), o x X (integers only; `#` gives 0o/0x/0X), e E f F g G,
/// s r a (Python str(): shortest round-trip float text such as `2.5`, `1e-05`, `3.0`), c (ASCII code).
/// Text after the conversion is copied (`%%` gives `%`).
class CPPVISA_API AsciiFormat {
 public:
  /// Parses `converter` ("f", ".3f", "+.2e", "d", "#x", ...). @throws InvalidAsciiFormat (ERROR_INV_FMT)
  /// e.g. "unsupported format character 'm' (0x6d) at index 1", "incomplete format".
  explicit AsciiFormat(std::string_view converter = "f");
  /// Non-throwing parse: nullopt and `ec` (ERROR_INV_FMT) with `*message` on error.
  static std::optional<AsciiFormat> parse(std::string_view converter, std::error_code& ec,
                                          std::string* message = nullptr);

  /// Appends one formatted value. @throws InvalidAsciiFormat when the value does not fit the
  /// conversion (x/o/c of a float, d of NaN or infinity).
  void append(std::string& out, double value) const;
  void append(std::string& out, float value) const;          ///< `s` uses float's shortest text
  /// Integer conversions exact, e/f/g through double; `c` needs 0..127, else @throws InvalidAsciiFormat
  void append(std::string& out, std::int64_t value) const;
  void append(std::string& out, std::uint64_t value) const;  ///< as the std::int64_t overload, for unsigned values

  /// Appends any BlockValue (integers widened to 64 bits).
  template <BlockValue T>
  void append_value(std::string& out, T value) const {
    if constexpr (std::floating_point<T>) append(out, value);
    else if constexpr (std::is_signed_v<T>) append(out, static_cast<std::int64_t>(value));
    else append(out, static_cast<std::uint64_t>(value));
  }

 private:
  AsciiFormat(int) {}
  bool parse_spec(std::string_view converter, std::string& message);
  void append_integer(std::string& out, bool negative, std::string_view magnitude_digits) const;
  void append_integer(std::string& out, bool negative, std::uint64_t magnitude) const;
  void append_text(std::string& out, std::string_view text) const;
  void append_floating(std::string& out, double value, bool single) const;

  bool left_ = false, plus_ = false, space_ = false, alternate_ = false, zero_ = false;
  int width_ = -1, precision_ = -1;
  char conversion_ = 'f';
  std::string c_format_;  // printf spec for e E f F g G
  std::string suffix_;
};

/// Joins already formatted elements (PyVISA's callable separator for to_ascii_block).
using AsciiJoiner = std::function<std::string(const std::vector<std::string>&)>;
/// Splits a reply into element texts (PyVISA's callable separator for from_ascii_block).
using AsciiSplitter = std::function<std::vector<std::string>(std::string_view)>;

/// PyVISA's to_ascii_block with a converter code: `to_ascii_block(std::vector{1.0, 2.5})` is
/// "1.000000,2.500000". @throws InvalidAsciiFormat
template <BlockRange R>
std::string to_ascii_block(const R& values, std::string_view converter = "f", std::string_view separator = ",") {
  AsciiFormat format(converter);
  std::string out;
  bool first = true;
  for (const auto& v : values) {
    if (!first) out.append(separator);
    first = false;
    format.append_value(out, v);
  }
  return out;
}
/// to_ascii_block with a callable converter `std::string(T)` (or anything convertible to std::string).
template <BlockRange R, typename F>
  requires std::invocable<const F&, std::ranges::range_value_t<R>> &&
           std::convertible_to<std::invoke_result_t<const F&, std::ranges::range_value_t<R>>, std::string>
std::string to_ascii_block(const R& values, const F& converter, std::string_view separator = ",") {
  std::string out;
  bool first = true;
  for (const auto& v : values) {
    if (!first) out.append(separator);
    first = false;
    out += std::string(std::invoke(converter, v));
  }
  return out;
}
/// to_ascii_block with a callable separator: receives the formatted elements, returns the text.
template <BlockRange R>
std::string to_ascii_block(const R& values, std::string_view converter, const AsciiJoiner& separator) {
  AsciiFormat format(converter);
  std::vector<std::string> items;
  items.reserve(std::ranges::size(values));
  for (const auto& v : values) {
    std::string item;
    format.append_value(item, v);
    items.push_back(std::move(item));
  }
  return separator(items);
}

/// The types from_ascii_block produces: BlockValue numbers, or std::string for converter "s".
template <typename T>
concept AsciiValue = BlockValue<T> || std::same_as<T, std::string>;

namespace detail {
/// One parsed ASCII number: an integer (sign + magnitude) or a double.
struct AsciiNumber {
  bool is_integer = false;  ///< the text was an integer (sign + magnitude), else a float in `value`
  bool negative = false;  ///< integer sign
  std::uint64_t magnitude = 0;  ///< integer absolute value
  double value = 0;  ///< the float value (when not is_integer)
};
/// Checks a from_ascii_block converter code (one of s b c d o x X h H e E f F g G).
CPPVISA_API bool check_ascii_code(std::string_view converter, char& code, std::string& message);
/// Splits on `separator` (not empty), dropping one trailing empty or whitespace-only element.
CPPVISA_API bool split_ascii_block(std::string_view text, std::string_view separator,
                                   std::vector<std::string_view>& items, std::string& message);
/// Parses one element with Python's int(text, base) / float(text) / ord(text) rules for `code`.
CPPVISA_API bool parse_ascii_number(std::string_view text, char code, AsciiNumber& out, std::string& message);
/// The message for a number that does not fit `type_name` ("value 300 does not fit uint8").
CPPVISA_API std::string describe_out_of_range(const AsciiNumber& number, std::string_view type_name);

/// Converts a parsed number to T: integer T needs an integral value in range, floating T takes any.
template <BlockValue T>
bool narrow_ascii_number(const AsciiNumber& n, T& out, std::string& message) {
  if constexpr (std::floating_point<T>) {
    out = n.is_integer ? static_cast<T>(n.negative ? -static_cast<double>(n.magnitude) : static_cast<double>(n.magnitude))
                       : static_cast<T>(n.value);
    return true;
  } else {
    AsciiNumber i = n;
    if (!n.is_integer) {
      // A float text for an integer type must hold an integral value (no silent truncation).
      double v = n.value;
      if (!std::isfinite(v) || std::trunc(v) != v || std::fabs(v) >= 18446744073709551616.0) {
        message = describe_out_of_range(n, "an integer type");
        return false;
      }
      i.negative = v < 0;
      i.magnitude = static_cast<std::uint64_t>(std::fabs(v));
    }
    using U = std::make_unsigned_t<T>;
    if (i.negative && i.magnitude != 0) {
      if constexpr (std::is_unsigned_v<T>) {
        message = describe_out_of_range(n, "an unsigned type");
        return false;
      } else {
        if (i.magnitude > static_cast<std::uint64_t>(std::numeric_limits<T>::max()) + 1u) {
          message = describe_out_of_range(n, "the integer type");
          return false;
        }
        out = static_cast<T>(static_cast<U>(0) - static_cast<U>(i.magnitude));
        return true;
      }
    }
    if (i.magnitude > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
      message = describe_out_of_range(n, "the integer type");
      return false;
    }
    out = static_cast<T>(i.magnitude);
    return true;
  }
}
}  // namespace detail

namespace detail {
/// Converts one element text with the code `code` into T (see from_ascii_block).
template <AsciiValue T>
bool convert_ascii_item(std::string_view item, char code, T& out, std::string& message) {
  if constexpr (std::same_as<T, std::string>) {
    if (code != 's') {
      message = "converter '" + std::string(1, code) + "' gives numbers: use from_ascii_block<double> or an integer type";
      return false;
    }
    out.assign(item);
    return true;
  } else {
    if (code == 's') {
      message = "converter 's' gives strings: use from_ascii_block<std::string>";
      return false;
    }
    AsciiNumber number;
    return parse_ascii_number(item, code, number, message) && narrow_ascii_number(number, out, message);
  }
}
}  // namespace detail

/// PyVISA's from_ascii_block: splits `text` on `separator`, drops one trailing empty (or
/// whitespace-only) element ("1,2," and "1,2,3\n" are fine, "" gives {}), and converts every
/// element with the code `converter`: e E f F g G -> float (Python float(): spaces, sign, `_`,
/// inf/nan), d -> int base 10, o base 8, x X h H base 16, b base 2 (optional 0o/0x/0b prefix),
/// c -> the code of the one character, s -> the text (T = std::string only). Integer T needs
/// integral values in range. Errors set `ec` (ERROR_INV_FMT) and return {}.
template <AsciiValue T = double>
std::vector<T> from_ascii_block(std::string_view text, std::string_view converter, std::string_view separator,
                                std::error_code& ec, std::string* message = nullptr) {
  std::string why;
  char code = 0;
  std::vector<std::string_view> items;
  std::vector<T> values;
  ec.clear();
  if (detail::check_ascii_code(converter, code, why) && detail::split_ascii_block(text, separator, items, why)) {
    values.resize(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!detail::convert_ascii_item(items[i], code, values[i], why)) {
        ec = make_error_code(status::ERROR_INV_FMT);
        break;
      }
    }
  } else {
    ec = make_error_code(status::ERROR_INV_FMT);
  }
  if (ec) {
    if (message) *message = why;
    return {};
  }
  return values;
}
/// Throwing form: `from_ascii_block("1,2.5,3")` -> {1.0, 2.5, 3.0}. @throws InvalidAsciiFormat
template <AsciiValue T = double>
std::vector<T> from_ascii_block(std::string_view text, std::string_view converter = "f",
                                std::string_view separator = ",") {
  std::error_code ec;
  std::string message;
  auto values = from_ascii_block<T>(text, converter, separator, ec, &message);
  if (ec) throw InvalidAsciiFormat(message, static_cast<status_t>(ec.value()));
  return values;
}
/// from_ascii_block with a callable separator returning the element texts (every element is
/// converted; no trailing-element rule). @throws InvalidAsciiFormat
template <AsciiValue T = double>
std::vector<T> from_ascii_block(std::string_view text, std::string_view converter, const AsciiSplitter& separator) {
  std::string why;
  char code = 0;
  if (!detail::check_ascii_code(converter, code, why)) throw InvalidAsciiFormat(why);
  std::vector<std::string> items = separator(text);
  std::vector<T> values(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!detail::convert_ascii_item(std::string_view(items[i]), code, values[i], why)) throw InvalidAsciiFormat(why);
  }
  return values;
}
/// from_ascii_block with a callable converter taking each element's text: the result type is the
/// converter's. Exceptions from the converter propagate.
template <typename F>
  requires std::invocable<const F&, std::string_view>
auto from_ascii_block(std::string_view text, const F& converter, std::string_view separator = ",")
    -> std::vector<std::invoke_result_t<const F&, std::string_view>> {
  std::string message;
  std::vector<std::string_view> items;
  if (!detail::split_ascii_block(text, separator, items, message)) throw InvalidAsciiFormat(message);
  std::vector<std::invoke_result_t<const F&, std::string_view>> values;
  values.reserve(items.size());
  for (auto item : items) values.push_back(std::invoke(converter, item));
  return values;
}

}  // namespace cppvisa
