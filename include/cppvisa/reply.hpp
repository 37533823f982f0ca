/// @file reply.hpp
/// @brief Helpers for programs that talk to instruments on a person's behalf (visa, visa-shell):
/// one reply read whole, and terminations by name.
#pragma once

#include <cppvisa/export.hpp>
#include <cppvisa/message_based.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa {

/// Reads one reply: a message up to END or the termination character; when it starts with an
/// IEEE 488.2 definite-length block (§7.7.6.2: `#<n><length><data>`) cut short by a termination
/// byte inside its data, the rest of the block (and the termination after it, when one is set)
/// is read too. @throws as MessageBasedResource::read_raw() and read_bytes().
CPPVISA_API std::vector<std::byte> read_reply(MessageBasedResource& resource);
/// read_reply() that calls `progress` after each read with the bytes received and the reply's
/// total (a definite-length block's header, data and termination) once its header is in, 0 before
/// and for replies that are not blocks. Reads in pieces of chunk_size() (at least 64 KiB inside a
/// block) so that a long transfer is heard of while it arrives. @throws as read_reply().
CPPVISA_API std::vector<std::byte> read_reply(MessageBasedResource& resource, const ReadProgress& progress);

/// A termination from its name: "CR", "LF", "CRLF", "NUL", "None"/"none" (empty), or any text with
/// C escapes ("\r\n", "\x03"). @throws Error for an empty name.
CPPVISA_API std::string parse_termination(std::string_view name);
/// The name of a termination ("CR", "LF", "CRLF", "NUL", "None"), or show_bytes() of it.
CPPVISA_API std::string termination_name(std::string_view termination);

/// `text` with its C escapes replaced: \\n \\r \\t \\0 \\\\ and \\xHH; other backslashes stay as typed.
CPPVISA_API std::string unescape(std::string_view text);

}  // namespace cppvisa
