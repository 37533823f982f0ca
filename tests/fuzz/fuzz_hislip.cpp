// Fuzz target for the HiSLIP decoders of both sides: the message stream fed in arbitrary chunks
// (with timeouts in between), as the server reads it (whole messages bounded by its maximum, then
// the typed parsers of client messages) and as the client reads it (headers, then payloads
// streamed into small buffers, then the typed parsers of server messages), and as the client's
// asynchronous channel reads it (MessageAssembler, fed in the same chunks: it must frame exactly
// the messages the pulling stream frames).
#include "hislip_fuzz_input.hpp"
#include "protocols/hislip/hislip_wire.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

using namespace cppvisa;
using namespace cppvisa::hislip;

namespace {


void server_side(std::span<const std::byte> data, std::size_t chunk) {
  FuzzInput input(data, chunk, 0);
  MessageStream stream(input, 64);
  Message m;
  for (int i = 0; i < 10000; ++i) {
    if (stream.next_message(m, 1024, core::Deadline::never()) != status::SUCCESS) return;
    if (m.payload.size() > 1024) __builtin_trap();  // the bound must hold
    InitializeRequest init;
    if (parse_initialize(m, init) && init.sub_address.size() > max_sub_address) __builtin_trap();
    (void)parse_maximum_message_size(m);
    (void)is_async_type(m.header.type);
    (void)message_type_name(m.header.type);
  }
}

void client_side(std::span<const std::byte> data, std::size_t chunk, unsigned timeout_every) {
  FuzzInput input(data, chunk, timeout_every);
  MessageStream stream(input, 32);
  std::byte buffer[7];
  int timeouts = 0;
  for (int i = 0; i < 10000; ++i) {
    Header h;
    status_t st = stream.next_header(h, core::Deadline::never());
    if (st == status::ERROR_TMO && ++timeouts < 1000) continue;
    if (st != status::SUCCESS) return;
    InitializeResult r;
    (void)parse_initialize_response(h, r);
    // Stream a Data/DataEnd payload as SyncSource does; skip anything else.
    if (h.is(MessageType::data) || h.is(MessageType::data_end)) {
      while (stream.payload_left() > 0) {
        std::uint64_t before = stream.payload_left();
        std::size_t n = 0;
        st = stream.read_payload(buffer, core::Deadline::never(), n);
        if (st == status::ERROR_TMO && ++timeouts < 1000) continue;
        if (st != status::SUCCESS) return;
        if (n == 0 || n > sizeof buffer || stream.payload_left() != before - n) __builtin_trap();
      }
    }
  }
}

// The assembler's messages in the order the pulling stream gives them (which may stop one message
// earlier: it reports the end of the input inside an oversized payload it is skipping).
void async_side(std::span<const std::byte> data, std::size_t chunk) {
  std::vector<Message> pulled;
  {
    FuzzInput input(data, chunk, 0);
    MessageStream stream(input, 64);
    Message m;
    while (pulled.size() < 10000 && stream.next_message(m, 256, core::Deadline::never()) == status::SUCCESS)
      pulled.push_back(m);
  }
  MessageAssembler assembler(256);
  std::size_t index = 0;
  Message m;
  for (std::size_t at = 0; at < data.size() && index < pulled.size(); at += chunk) {
    assembler.feed(data.subspan(at, std::min(chunk, data.size() - at)));
    for (;;) {
      auto next = assembler.next(m);
      if (next != MessageAssembler::Next::message) break;
      if (m.payload.size() > 256) __builtin_trap();  // the bound must hold
      if (index < pulled.size()) {
        const Message& p = pulled[index];
        if (p.header.type != m.header.type || p.header.control != m.header.control ||
            p.header.parameter != m.header.parameter || p.header.length != m.header.length ||
            p.oversized != m.oversized || p.payload != m.payload)
          __builtin_trap();
      }
      ++index;
    }
  }
  if (index < pulled.size()) __builtin_trap();  // a message the stream framed and the assembler did not
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t chunk = (data[0] & 0x1F) + 1;
  unsigned timeout_every = data[0] >> 5;
  std::span<const std::byte> body(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  server_side(body, chunk);
  client_side(body, chunk, timeout_every);
  async_side(body, chunk);
  return 0;
}
