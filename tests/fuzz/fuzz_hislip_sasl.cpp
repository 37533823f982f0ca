// Fuzz target for HiSLIP 2.0 authentication (IVI-6.1 2.0 §3.9) on both sides:
// - as a server reads a client: GetSaslMechanismList, AuthenticationStart (any mechanism name,
//   TLS on or off as the first byte says), AuthenticationExchange with hostile SASL data, fed to
//   hislip::SaslServer (Cyrus) with a user to find;
// - as a client reads a server: GetSaslMechanismListResponse (any list), AuthenticationExchange
//   challenges (hostile SCRAM server-first/final messages) and AuthenticationResult, fed to
//   hislip::SaslClient for SCRAM-SHA-256, PLAIN or ANONYMOUS;
// - the users-file and credentials-file parsers on the raw bytes.
// Every failure must name its cause; nothing may crash, hang or grow without bound.
#include "hislip_fuzz_input.hpp"
#include "protocols/hislip/hislip_sasl.hpp"
#include "protocols/hislip/hislip_wire.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

using namespace cppvisa;
using namespace cppvisa::hislip;

namespace {

void server_side(std::span<const std::byte> data, bool encrypted) {
  static auto users = std::make_shared<SaslUsers>(SaslUsers{{"alice", "pencil"}, {"user", "pencil"}});
  FuzzInput input(data, 11, 0);
  MessageStream stream(input, 64);
  SaslServer server(users, true);
  Message m;
  std::vector<std::byte> out;
  for (int i = 0; i < 64; ++i) {
    if (stream.next_message(m, 4096, core::Deadline::never()) != status::SUCCESS) return;
    SaslServer::Step step = SaslServer::Step::more;
    if (m.header.is(MessageType::get_sasl_mechanism_list)) {
      for (auto& mech : server.mechanisms(encrypted))
        if (mech == sasl_mechanism::plain && !encrypted) __builtin_trap();  // never offered in the clear
      continue;
    }
    if (m.header.is(MessageType::authentication_start)) step = server.start(m.text(), encrypted, out);
    else if (m.header.is(MessageType::authentication_exchange)) step = server.step(m.payload, out);
    else continue;
    if (step == SaslServer::Step::failure && server.error().empty()) __builtin_trap();
    if (step == SaslServer::Step::success && server.mechanism() == sasl_mechanism::plain && !encrypted) __builtin_trap();
  }
}

void client_side(std::span<const std::byte> data, std::uint8_t choice) {
  static const char* mechanisms[] = {"", "SCRAM-SHA-256", "PLAIN", "ANONYMOUS"};
  FuzzInput input(data, 13, 0);
  MessageStream stream(input, 64);
  std::unique_ptr<SaslClient> client;
  Message m;
  std::string why;
  std::vector<std::byte> out;
  for (int i = 0; i < 64; ++i) {
    if (stream.next_message(m, 4096, core::Deadline::never()) != status::SUCCESS) return;
    if (m.header.is(MessageType::get_sasl_mechanism_list_response)) {
      client = std::make_unique<SaslClient>(SaslCredentials{mechanisms[choice & 3], (choice & 4) ? "" : "user", "pencil"});
      const bool encrypted = choice & 8;
      status_t st = client->start(m.text(), encrypted, why);
      if (st != status::SUCCESS && why.empty()) __builtin_trap();
      if (st == status::SUCCESS && client->mechanism() == sasl_mechanism::plain && !encrypted) __builtin_trap();
      if (st != status::SUCCESS) client.reset();
    } else if (client && m.header.is(MessageType::authentication_exchange)) {
      if (client->step(m.payload, out, why) != status::SUCCESS) {
        if (why.empty()) __builtin_trap();
        client.reset();
      }
    } else if (client && m.header.is(MessageType::authentication_result)) {
      if ((m.header.control & 1) && client->finish(m.payload, why) != status::SUCCESS && why.empty()) __builtin_trap();
      client.reset();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::span<const std::byte> body(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  server_side(body, data[0] & 1);
  client_side(body, data[0] >> 1);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  SaslUsers users;
  std::string why;
  if (parse_sasl_users(text, users, why) != status::SUCCESS && why.empty()) __builtin_trap();
  SaslCredentials credentials;
  bool found = false;
  if (parse_sasl_credentials(text, "127.0.0.1", 4880, credentials, found, why) != status::SUCCESS && why.empty())
    __builtin_trap();
  return 0;
}
