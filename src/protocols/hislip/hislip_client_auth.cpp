// hislip::Client::authenticate: the client side of HiSLIP authentication (IVI-6.1 2.0 §3.9)
// on the synchronous channel, the SASL mechanics in hislip_sasl.cpp.
#include "core/error_detail.hpp"
#include "core/log.hpp"
#include "protocols/hislip/hislip_channel.hpp"
#include "protocols/hislip/hislip_client.hpp"

#include <fmt/format.h>

namespace cppvisa::hislip {

namespace {
/// Largest authentication message taken from a server (SCRAM's are about 100 bytes).
constexpr std::uint64_t max_auth_payload = 64 * 1024;
}  // namespace

status_t Client::next_sync_reply(Message& m, core::Deadline deadline) {
  for (;;) {
    status_t st = sync_stream_->next_message(m, max_auth_payload, deadline);
    if (st != status::SUCCESS) {
      // A message cut by a timeout cannot be resumed by next_message: the channel is out of step.
      if (st == status::ERROR_INV_FMT) {
        fatal_to_server(fatal::bad_header, "poorly formed message header");
        return lost_status();
      }
      connection_lost();
      return st == status::ERROR_TMO
                 ? core::fail(status::ERROR_TMO, "HiSLIP server did not answer the authentication in time "
                                                 "(the connection is closed)")
                 : lost_status();
    }
    switch (static_cast<MessageType>(m.header.type)) {
      case MessageType::data:
      case MessageType::data_end:
      case MessageType::interrupted:
      case MessageType::device_clear_acknowledge:
      case MessageType::get_descriptors_response: continue;  // stale answers to earlier requests
      case MessageType::fatal_error: return fatal_from_server(m.header.control, m.text().substr(0, max_error_text));
      case MessageType::error:
        // Error 5 answers Data/Trigger sent before authenticating (nobody read it): stale. The
        // exchange itself reports failures with AuthenticationResult.
        if (m.header.control == error::authentication_failed) continue;
        return status::SUCCESS;
      default: return status::SUCCESS;
    }
  }
}

status_t Client::authenticate(const SaslCredentials& credentials, core::Deadline deadline) {
  if (!is_open()) return status::ERROR_CONN_LOST;
  if (status_t st = lost_status_if_lost(); st != status::SUCCESS) return st;
  if (version_ < version_2_0)
    return core::fail(status::ERROR_NSUP_OPER, fmt::format("HiSLIP authentication needs protocol 2.0; the server speaks {}",
                                                           version_name(version_)));
  sasl_mechanism_.clear();
  auto refused_by_server = [&](const Message& m, std::string_view what) {
    return core::fail(error_status(m.header.control),
                      fmt::format("HiSLIP server answered {} with Error {} ({}): {}", what, m.header.control,
                                  error_name(m.header.control), m.text().substr(0, max_error_text)));
  };
  auto unexpected = [&](const Message& m, std::string_view what) {
    refuse_message(m.header, false, deadline);
    return core::fail(status::ERROR_IO, fmt::format("HiSLIP server answered {} with {}", what,
                                                    message_type_name(m.header.type)));
  };

  // 1. The server's mechanisms.
  if (status_t st = send_message(sync_, make_header(MessageType::get_sasl_mechanism_list), std::span<const std::byte>{}, deadline); st != status::SUCCESS)
    return st;
  Message m;
  if (status_t st = next_sync_reply(m, deadline); st != status::SUCCESS) return st;
  if (m.header.is(MessageType::error)) return refused_by_server(m, "GetSaslMechanismList");
  if (!m.header.is(MessageType::get_sasl_mechanism_list_response)) return unexpected(m, "GetSaslMechanismList");
  const std::string offered(m.text());

  // 2. Our choice (PLAIN only over TLS: refused here before anything is sent).
  SaslClient sasl(credentials);
  std::string why;
  if (status_t st = sasl.start(offered, encrypted(), why); st != status::SUCCESS) return core::fail(st, "HiSLIP authentication: " + why);
  if (status_t st = send_message(sync_, make_header(MessageType::authentication_start), sasl.mechanism(), deadline);
      st != status::SUCCESS)
    return st;

  // 3. Exchanges until the result. The server speaks first (its first challenge may be empty:
  // then our initial response goes), as SASL profiles without an initial response do (RFC 4422 §5).
  for (int round = 0;; ++round) {
    if (status_t st = next_sync_reply(m, deadline); st != status::SUCCESS) return st;
    if (m.header.is(MessageType::error)) return refused_by_server(m, "AuthenticationStart");
    if (m.header.is(MessageType::authentication_result)) {
      if ((m.header.control & 1) == 0)
        return core::fail(status::ERROR_NPERMISSION,
                          fmt::format("HiSLIP server refused authentication ({}, user '{}'): {} (code {})", sasl.mechanism(),
                                      credentials.user, m.text().substr(0, max_error_text), m.header.parameter));
      if (status_t st = sasl.finish(m.payload, why); st != status::SUCCESS) {
        // The server did not prove it knows the password (SCRAM's server signature): not trusted.
        connection_lost();
        return core::fail(st, "HiSLIP authentication: " + why);
      }
      sasl_mechanism_ = sasl.mechanism();
      CPPVISA_LOG("hislip", "session {}: authenticated ({}, user '{}')", session_id_, sasl_mechanism_, credentials.user);
      return status::SUCCESS;
    }
    if (!m.header.is(MessageType::authentication_exchange) || round > 32) return unexpected(m, "AuthenticationStart");
    std::vector<std::byte> out;
    if (status_t st = sasl.step(m.payload, out, why); st != status::SUCCESS) {
      connection_lost();  // the server waits for an answer we cannot give: the channel is out of step
      return core::fail(st, "HiSLIP authentication: " + why);
    }
    if (status_t st = send_message(sync_, make_header(MessageType::authentication_exchange), out, deadline);
        st != status::SUCCESS)
      return st;
  }
}

}  // namespace cppvisa::hislip
