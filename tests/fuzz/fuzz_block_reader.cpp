// Fuzz target: core::read_block, the block reader of read_binary_values and viScanf %b, over
// arbitrary peer bytes delivered in reads of varying sizes that stop at termination characters.
//
// Input: byte 0 selects the format (bits 0-2: ieee, hp, rs, empty, detected), the item size
// (bits 3-4: 1, 2, 4, 8), whether reads stop at '\n' (bit 5) and whether at most 3 items are
// stored (bit 6, BlockSpec::max_stored); byte 1 is the largest read (1..256); the rest is the
// message (END after its last byte, then VI_ERROR_TMO).
// Properties checked (abort on violation):
// - storage grows with what arrived: never more than max(64 KiB, twice the bytes received);
// - the data stored never exceed max_length (nor max_stored), and a success stores whole items;
// - a definite block that succeeds stores and drops exactly its header's length.
#include "core/block_reader.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

using namespace cppvisa;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t config = data[0];
  const std::size_t max_read = std::size_t{data[1]} + 1;
  std::span<const std::byte> message(reinterpret_cast<const std::byte*>(data + 2), size - 2);
  static const std::optional<BlockFormat> formats[] = {BlockFormat::ieee, BlockFormat::hp, BlockFormat::rs,
                                                       BlockFormat::empty, std::nullopt};
  core::BlockSpec spec;
  spec.format = formats[(config & 7) % 5];
  spec.itemsize = std::size_t{1} << ((config >> 3) & 3);
  spec.limits.max_length = std::size_t{1} << 20;
  spec.chunk = max_read;
  const bool stop_at_newline = (config >> 5) & 1;
  if ((config >> 6) & 1) spec.max_stored = 3 * spec.itemsize;

  std::size_t pos = 0, received = 0;
  core::BlockReadFn read = [&](std::span<std::byte> buffer, std::size_t& count) {
    count = 0;
    if (pos >= message.size()) return status::ERROR_TMO;
    std::size_t n = std::min({buffer.size(), max_read, message.size() - pos});
    for (; count < n; ++count) {
      buffer[count] = message[pos++];
      if (stop_at_newline && buffer[count] == std::byte{'\n'} && pos < message.size()) {
        ++count;
        received += count;
        return status::SUCCESS_TERM_CHAR;
      }
    }
    received += count;
    if (pos == message.size()) return status::SUCCESS;
    return count == buffer.size() ? status::SUCCESS_MAX_CNT : status::SUCCESS;
  };
  std::vector<std::byte> storage, pending;
  std::size_t peak = 0;
  core::BlockStorageFn grow = [&](std::size_t n) {
    peak = std::max(peak, n);
    check(n <= std::max<std::size_t>(64 * 1024, 2 * received + spec.itemsize));
    storage.resize(n);
    return std::span(storage);
  };
  bool ended = false;
  core::BlockResult result;
  status_t st = core::read_block(read, spec, pending, ended, grow, result);
  check(result.length <= spec.limits.max_length);
  check(!spec.max_stored || (storage.size() <= *spec.max_stored && peak <= *spec.max_stored));
  if (st == status::SUCCESS) {
    check(result.length % spec.itemsize == 0);
    check(storage.size() == result.length);
    if (result.header.length) check(result.length + result.dropped == *result.header.length);
    if (!spec.max_stored) check(result.dropped == 0);
  } else {
    check(st < 0 && !result.why.empty());
  }
  return 0;
}
