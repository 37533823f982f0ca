/// @file text.hpp
/// @brief Showing data to people: bytes as text or hex (long data cut with its length), JSON
/// string quoting, and the one-line cause of an error. Used by the tools (visa, visa-shell) and by
/// the I/O trace (CPPVISA_TRACE), so that all of them show data the same way.
#pragma once

#include <cppvisa/export.hpp>

#include <cstddef>
#include <exception>
#include <span>
#include <string>
#include <string_view>

namespace cppvisa {

/// Whether `data` reads as text: printable ASCII, tab, CR and LF only (an empty span is text).
CPPVISA_API bool is_text(std::span<const std::byte> data) noexcept;

/// Bytes for a person: text in double quotes with C escapes (`"1.0\n"`) when is_text(), otherwise
/// hex bytes (`hex 23 32 31 30 ...`). With `limit` > 0 and more bytes than that, only the first
/// `limit` bytes are shown, followed by `... (N bytes)`.
CPPVISA_API std::string show_bytes(std::span<const std::byte> data, std::size_t limit = 0);
/// show_bytes() of the bytes of a string
inline std::string show_bytes(std::string_view data, std::size_t limit = 0) {
  return show_bytes(std::as_bytes(std::span(data.data(), data.size())), limit);
}

/// The bytes show_bytes() showed: its quoted text (escapes \\n \\r \\t \\" \\\\) or its
/// `hex ..` form, so that a trace can be read back. @throws Error for anything else, and for data
/// show_bytes() cut (`... (N bytes)`: the bytes are not all there).
CPPVISA_API std::string parse_shown_bytes(std::string_view shown);

/// Hex dump lines as `hexdump -C` prints them: offset, 16 bytes in hex, their ASCII (dots for the
/// others), each line ending with '\n'.
CPPVISA_API std::string hex_dump(std::span<const std::byte> data);

/// `text` as a JSON string literal, with its quotes (RFC 8259 section 7: '"', '\\' and control
/// characters escaped; bytes >= 0x80 of invalid UTF-8 become U+FFFD so that the output stays valid).
CPPVISA_API std::string json_quote(std::string_view text);

/// The one-line cause of an error for a person: for a VisaIOError its status name, code,
/// description and context ("VI_ERROR_TMO (-1073807339): Timeout expired ..."), for any other
/// exception its what(). Tools print errors through this one function.
CPPVISA_API std::string error_cause(const std::exception& e);

}  // namespace cppvisa
