// core::read_block (see block_reader.hpp).
#include "core/block_reader.hpp"

#include "core/error_detail.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace cppvisa::core {
namespace {

/// The first storage size and its growth: enough for most blocks in one step, doubling after.
constexpr std::size_t kInitialStorage = 64 * 1024;

/// The format named by the bytes after '#', or nullopt while they have not arrived.
std::optional<BlockFormat> detect_format(std::span<const std::byte> data, std::size_t max_junk) {
  std::size_t limit = std::min(data.size(), max_junk + 1);
  for (std::size_t i = 0; i < limit; ++i) {
    if (data[i] != std::byte{'#'}) continue;
    if (i + 1 >= data.size()) return std::nullopt;
    auto c = static_cast<char>(data[i + 1]);
    return c == 'A' ? BlockFormat::hp : c == '(' ? BlockFormat::rs : BlockFormat::ieee;
  }
  // No '#' (yet): IEEE parsing reports junk past max_junk as malformed.
  return data.size() > max_junk ? std::optional(BlockFormat::ieee) : std::nullopt;
}

/// Reads while looking for the header are short: on a transport without END (a SOCKET without
/// termination character) a read returns only when its buffer is full, and a header is at most
/// a few bytes (IEEE: 11, HP: 4, R&S: 23) after any junk.
constexpr std::size_t kHeaderRead = 64;

status_t read_more(const BlockReadFn& read, std::vector<std::byte>& into, std::size_t chunk, bool& ended,
                   bool& at_termchar) {
  std::size_t old = into.size();
  into.resize(old + chunk);
  std::size_t n = 0;
  status_t st = read(std::span(into).subspan(old), n);
  into.resize(old + std::min(n, chunk));
  if (st >= 0) {
    ended = st == status::SUCCESS;
    at_termchar = st == status::SUCCESS_TERM_CHAR;
  }
  return st;
}

}  // namespace

status_t read_block(const BlockReadFn& read, const BlockSpec& spec, std::vector<std::byte>& pending,
                    bool& message_ended, const BlockStorageFn& storage, BlockResult& result) {
  result = {};
  const std::size_t item = std::max<std::size_t>(spec.itemsize, 1);
  const std::size_t chunk = std::max<std::size_t>(spec.chunk, 1);
  // 1. The header (it may straddle reads).
  BlockFormat format = spec.format.value_or(BlockFormat::ieee);
  std::optional<BlockHeader> header;
  bool at_termchar = spec.pending_ends_at_termchar;
  for (;;) {
    std::optional<BlockFormat> known = spec.format ? spec.format : detect_format(pending, spec.limits.max_junk);
    if (known && (!pending.empty() || *known == BlockFormat::empty)) {
      format = *known;
      std::error_code ec;
      header = parse_block_header(pending, format, spec.big_endian, ec, spec.limits, &result.why);
      if (ec) return to_status(ec);
      if (header) break;
    }
    if (message_ended && !pending.empty()) {
      result.why = fmt::format("the message ended inside the block header ({} bytes received)", pending.size());
      return status::ERROR_INV_FMT;
    }
    message_ended = false;
    status_t st = read_more(read, pending, std::min(chunk, kHeaderRead), message_ended, at_termchar);
    if (st < 0) {
      result.why = "while reading the block header: " + received_summary(pending, {}, {});
      return st;
    }
  }
  result.header = *header;
  std::span<const std::byte> after_header = std::span(pending).subspan(header->offset);

  // 2. The data's length: from the header, from data_points, or up to the end of the message.
  std::optional<std::size_t> length = header->length;
  if (!length && spec.data_points) {
    if (*spec.data_points > spec.limits.max_length / item) {
      result.why = fmt::format("{} points of {} bytes exceed the maximum block length of {} bytes",
                               *spec.data_points, spec.itemsize, spec.limits.max_length);
      return status::ERROR_INV_LENGTH;
    }
    length = *spec.data_points * item;
  }
  if (length && *length % item) {
    result.why = fmt::format("the block's {} data bytes are not a multiple of the item size ({} bytes)", *length,
                             spec.itemsize);
    return status::ERROR_INV_LENGTH;
  }

  // 3. The data: copied from what was received, then read straight into the caller's storage,
  // which grows as bytes arrive (a header's length alone never allocates). Past max_stored the
  // data are read into a small scratch buffer and dropped.
  // Sizes are kept multiples of the item size (the caller's storage holds whole items).
  const std::size_t limit = length ? *length : spec.limits.max_length / item * item;
  const std::size_t keep = spec.max_stored ? std::min(limit, *spec.max_stored / item * item) : limit;
  const std::size_t avail = std::min(after_header.size(), limit);
  std::size_t have = std::min(avail, keep);  // data bytes stored
  std::size_t dropped = avail - have;        // data bytes received past `keep`
  std::byte last = avail ? after_header[avail - 1] : std::byte{};  // the last data byte received
  std::size_t capacity = std::min(keep, (std::max(kInitialStorage, have) + item - 1) / item * item);
  std::span<std::byte> out = storage(capacity);
  if (have) std::memcpy(out.data(), after_header.data(), have);
  std::vector<std::byte> rest(after_header.begin() + static_cast<std::ptrdiff_t>(avail), after_header.end());
  std::vector<std::byte> scratch;
  auto finish = [&](status_t st, std::string why) {
    storage(have);
    result.length = have;
    result.dropped = dropped;
    result.why = std::move(why);
    return st;
  };
  bool indefinite = !length;
  if (indefinite && !rest.empty()) {
    message_ended = false;  // more than max_length already received: reported below
  } else if (indefinite && spec.termchar_ends_indefinite && at_termchar) {
    message_ended = true;  // the last read stopped at the termination character: the end here
  }
  if (!indefinite && avail < *length && !message_ended && spec.before_data) spec.before_data();
  const std::size_t block_length = length ? *length : 0;
  if (spec.progress) spec.progress(avail, block_length);
  // An indefinite block ends with the message: END, or the termination character where reads
  // cannot see END (spec.termchar_ends_indefinite).
  while (indefinite ? !message_ended : have + dropped < *length) {
    const std::size_t total = have + dropped;
    if (!indefinite && message_ended)
      return finish(status::ERROR_INV_LENGTH,
                    fmt::format("the message ended after {} of the {} data bytes its header announced", total, *length));
    if (total == limit)  // only an indefinite block gets here: longer than allowed
      return finish(status::ERROR_INV_LENGTH,
                    fmt::format("the block is longer than its maximum length of {} bytes (BlockOptions::max_length)",
                                spec.limits.max_length));
    if (have == capacity && capacity < keep) {
      capacity = capacity > keep / 2 ? keep : capacity * 2;
      out = storage(capacity);
    }
    const bool dropping = have == capacity;
    if (dropping) scratch.resize(std::min(std::max(chunk, kInitialStorage), limit - total));
    std::span<std::byte> into = dropping ? std::span(scratch) : out.subspan(have, capacity - have);
    std::size_t n = 0;
    if (spec.progress) into = into.first(std::min(into.size(), std::max<std::size_t>(spec.progress_piece, 1)));
    status_t st = read(into, n);
    n = std::min(n, into.size());
    if (n) last = into[n - 1];
    (dropping ? dropped : have) += n;
    if (spec.progress) spec.progress(have + dropped, block_length);
    if (st < 0)
      return finish(st, indefinite ? fmt::format("{} data bytes of an indefinite block received", have + dropped)
                                   : fmt::format("{} of the {} data bytes the block header announced received",
                                                 have + dropped, *length));
    message_ended = st == status::SUCCESS ||
                    (indefinite && spec.termchar_ends_indefinite && st == status::SUCCESS_TERM_CHAR);
  }
  if (indefinite) {
    // The NL^END that ends an indefinite block is not data (IEEE 488.2 §7.7.6.2); for a block
    // without header the item size decides, as PyVISA's from_binary_block does.
    if (have + dropped > 0 && last == std::byte{'\n'} && (format == BlockFormat::ieee || (have + dropped) % item != 0))
      --(dropped ? dropped : have);
    if ((have + dropped) % item)
      return finish(status::ERROR_INV_LENGTH,
                    fmt::format("the block's {} data bytes are not a multiple of the item size ({} bytes)",
                                have + dropped, spec.itemsize));
  }
  pending = std::move(rest);
  return finish(status::SUCCESS, {});
}

}  // namespace cppvisa::core
