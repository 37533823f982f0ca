// Fuzz target for the HiSLIP 2.0 secure-connection traffic of both sides:
// - the control messages as a client reads them from a server (InitializeResponse encryption bits
//   and the negotiated version, AsyncStartTLS/AsyncEndTLS responses, GetDescriptorsResponse
//   payloads, Error/FatalError codes and their VISA statuses) and as a server reads them from a
//   client (Initialize versions, StartTLS/EndTLS, AsyncStartTLS/AsyncEndTLS with their 4-byte
//   payloads, a take_buffered() after them as the switch to TLS does);
// - the TLS handshake of net::Link fed hostile records: the input, split at a point the first
//   byte chooses, is the read-ahead given to start_tls() and what the peer then sends on a
//   socket pair, after which the peer closes. The link must end with an error, never hang or crash.
#include "hislip_fuzz_input.hpp"
#include "protocols/hislip/hislip_wire.hpp"
#include "protocols/net/tls_link.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

using namespace cppvisa;
using namespace cppvisa::hislip;

namespace {


void control_messages(std::span<const std::byte> data) {
  FuzzInput input(data, 7, 0);
  MessageStream stream(input, 64);
  Message m;
  for (int i = 0; i < 10000; ++i) {
    if (stream.next_message(m, 4096, core::Deadline::never()) != status::SUCCESS) return;
    if (m.payload.size() > 4096) __builtin_trap();
    const Header& h = m.header;
    InitializeResult init;
    if (parse_initialize_response(h, init) && negotiate_version(init.version, protocol_version) > protocol_version)
      __builtin_trap();
    InitializeRequest request;
    if (parse_initialize(m, request)) (void)negotiate_version(request.version, protocol_version);
    std::vector<Descriptor> list;
    if (parse_descriptors(m.payload, list)) {
      std::size_t total = 0;
      for (auto& d : list) total += 3 + d.data.size();
      if (total != m.payload.size()) __builtin_trap();
      if (encode_descriptors(list) != m.payload) __builtin_trap();
    }
    (void)error_status(h.control);
    (void)error_name(h.control);
    (void)fatal_error_name(h.control);
    if (h.is(MessageType::start_tls) || h.is(MessageType::end_tls) || h.is(MessageType::async_start_tls_response)) {
      auto ahead = stream.take_buffered();  // what the handshake would get
      if (ahead.size() > 64) __builtin_trap();
    }
  }
}

void handshake(std::span<const std::byte> ahead, std::span<const std::byte> rest) {
  static std::shared_ptr<net::TlsContext> context = [] {
    status_t st = status::SUCCESS;
    std::string error;
    net::TlsClientConfig config;
    config.verify = false;
    return net::TlsContext::client(config, st, error);
  }();
  if (!context) return;
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0) return;
  auto ours = std::make_shared<net::Socket>(fds[0]);
  net::Socket peer(fds[1]);
  // The peer's bytes are all in the socket buffer before the handshake starts (at most 64 kB).
  std::size_t sent = 0;
  peer.send_all(rest.first(std::min<std::size_t>(rest.size(), 60000)), core::Deadline::after_ms(100), &sent);
  peer.shutdown();
  net::Link link(ours);
  std::string error;
  status_t st = link.start_tls(*context, ahead, core::Deadline::after_ms(200), error);
  if (st == status::SUCCESS) {  // a forged server finished a handshake with a non-verifying client
    std::byte buffer[256];
    std::size_t n = 0;
    (void)link.recv_some(buffer, core::Deadline::after_ms(50), n);
  } else if (error.empty()) {
    __builtin_trap();  // every failure names its cause
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::span<const std::byte> body(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  control_messages(body);
  std::size_t split = std::min<std::size_t>(data[0], body.size());
  handshake(body.first(split), body.subspan(split));
  return 0;
}
