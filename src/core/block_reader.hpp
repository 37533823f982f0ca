// core::read_block: reads one binary block (IEEE 488.2 §7.7.6 definite `#<n><len>` and
// indefinite `#0`, HP `#A`, R&S `#(len)`, header-less) from a message-based session, for both the
// C++ API (MessageBasedResource::read_binary_values) and the C API's formatted I/O (viScanf `%b`):
// one implementation, so the two layers cannot disagree.
//
// - The header's length rules, whatever the termination character settings: a read that stops
//   on the termination character inside the data is simply continued (only END or the length
//   ends a definite block).
// - A block cut short (END, or the connection lost, before the announced length) is an error
//   (VI_ERROR_INV_LENGTH or the read's error), never a success.
// - Memory follows the bytes that arrive: storage grows geometrically as data come in, never to
//   the announced length at once, and never beyond BlockOptions::max_length (nor
//   BlockSpec::max_stored: the rest of a block the caller cannot hold is read and dropped).
#pragma once

#include <cppvisa/status.hpp>
#include <cppvisa/values.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cppvisa::core {

/// One device read (viRead semantics: `count` is set also on error; VI_SUCCESS means END).
using BlockReadFn = std::function<status_t(std::span<std::byte> buffer, std::size_t& count)>;
/// Resizes the caller's storage for the data to `nbytes` (keeping the bytes it held) and returns it.
using BlockStorageFn = std::function<std::span<std::byte>(std::size_t nbytes)>;

struct BlockSpec {
  /// The header expected; nullopt: detected from the bytes after '#' ('A' HP, '(' R&S, digit IEEE).
  std::optional<BlockFormat> format = BlockFormat::ieee;
  bool big_endian = false;  ///< byte order of the HP length (and of the items, for the caller)
  std::size_t itemsize = 1;  ///< the length must be a multiple of it
  /// Items to read for a block whose header gives no length (`#0`, header-less); without it the
  /// rest of the message is the block.
  std::optional<std::size_t> data_points;
  BlockOptions limits;       ///< max_length (also of an indefinite block), max_junk
  std::size_t chunk = 20 * 1024;  ///< bytes per read while looking for the header (at most 64)
  /// The session's reads never report END (VI_ATTR_SUPPRESS_END_EN, e.g. a SOCKET): an
  /// indefinite block then ends at the read stopping on the termination character.
  bool termchar_ends_indefinite = false;
  /// The read that received `pending` stopped at the termination character (with
  /// termchar_ends_indefinite, an indefinite block whose header and data are all in `pending`
  /// has then ended).
  bool pending_ends_at_termchar = false;
  /// At most this many data bytes are stored (rounded down to whole items); the rest of the
  /// block is read and dropped, so that memory follows what the caller can hold (viScanf `%b`
  /// into an array of `count` elements) rather than what the peer sends. nullopt: all of it.
  std::optional<std::size_t> max_stored;
  /// Optional: called once before the data of a block of known length are read from the device
  /// (not for data already received). The length being known, a termination character in the
  /// data need not stop each read: a caller may disable it meanwhile (one read instead of one per
  /// 0x0A byte; over VXI-11, one RPC each), and enable it again after read_block returns.
  std::function<void()> before_data;
  /// Optional: called with the data bytes received and the block's length (0 while unknown: an
  /// indefinite block) once the header is read and after each read of the data. When set, the
  /// data are read in pieces of at most `progress_piece` bytes, so that a long block is heard of
  /// as it arrives.
  std::function<void(std::size_t received, std::size_t length)> progress;
  std::size_t progress_piece = 64 * 1024;  ///< see `progress`
};

struct BlockResult {
  std::size_t length = 0;  ///< data bytes stored
  std::size_t dropped = 0;  ///< data bytes received past BlockSpec::max_stored (not stored)
  BlockHeader header;      ///< the header found
  std::string why;         ///< the cause, on error
};

/// Reads one block. `pending` holds bytes already received (the header starts in them or after
/// them); on return it holds the bytes received after the data (e.g. the terminator).
/// `message_ended` tells (in and out) whether END came with the last byte received. Returns
/// VI_SUCCESS, VI_ERROR_INV_FMT (malformed header), VI_ERROR_INV_LENGTH (cut short, too long,
/// not a multiple of the item size) or the read's error (VI_ERROR_TMO ...); `result.why` says
/// what and how many bytes had arrived.
status_t read_block(const BlockReadFn& read, const BlockSpec& spec, std::vector<std::byte>& pending,
                    bool& message_ended, const BlockStorageFn& storage, BlockResult& result);

}  // namespace cppvisa::core
