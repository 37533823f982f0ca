// Fuzz target: raw_socket::MessageSplitter, which finds where program messages end in the bytes
// a raw-socket client sends visa-serve (NL, except inside definite-length block data).
//
// Input: byte 0 is the chunk size (1..256) the stream is fed in; the rest is the stream.
// Properties (abort on violation): every end found is within the piece and lies on an NL; the
// messages found do not depend on how the stream is chunked (fed whole vs in chunks).
#include "protocols/socket/message_splitter.hpp"

#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

using cppvisa::raw_socket::MessageSplitter;

namespace {

// The stream offsets just past each message end, feeding `data` `chunk` bytes at a time.
std::vector<std::size_t> ends(std::span<const std::byte> data, std::size_t chunk) {
  MessageSplitter splitter;
  std::vector<std::size_t> out;
  std::size_t offset = 0;
  while (offset < data.size()) {
    auto piece = data.subspan(offset, std::min(chunk, data.size() - offset));
    while (!piece.empty()) {
      std::size_t len = splitter.find_end(piece);
      if (len > piece.size()) std::abort();
      if (len == 0) {
        offset += piece.size();
        break;
      }
      if (piece[len - 1] != std::byte{'\n'}) std::abort();
      offset += len;
      out.push_back(offset);
      piece = piece.subspan(len);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* input, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = std::size_t{input[0]} + 1;
  std::span<const std::byte> data(reinterpret_cast<const std::byte*>(input + 1), size - 1);
  if (ends(data, data.size() + 1) != ends(data, chunk)) std::abort();
  return 0;
}
