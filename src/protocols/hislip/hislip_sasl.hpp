// HiSLIP authentication (IVI-6.1 2.0: GetSaslMechanismList, AuthenticationStart /
// AuthenticationExchange / AuthenticationResult) over Cyrus SASL (Debian's libsasl2, with the
// mechanisms of libsasl2-modules): the SASL state of one client (SaslClient) or one server session
// (SaslServer), the server's users file and the client's credentials file.
// - mechanisms: SCRAM-SHA-256 (RFC 5802/7677), PLAIN (RFC 4616: offered and sent only over TLS,
//   as it carries the password in the clear) and ANONYMOUS (RFC 4505);
// - the server never touches a SASL database: a Cyrus auxprop plugin of ours ("cppvisa") answers
//   the mechanisms' password lookups from the users the server was given (SCRAM derives its
//   salted password from it at each exchange);
// - built without Cyrus SASL (CPPVISA_HAVE_SASL unset) every call reports VI_ERROR_NSUP_OPER;
// - files holding passwords are refused (VI_ERROR_FILE_ACCESS) when group or others may read them.
// Thread safety: one object per session, used by one thread at a time; several objects may run
// at once (Cyrus is initialized once per process).
#pragma once

#include "cppvisa/status.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::hislip {

/// The SASL mechanisms cppvisa offers and uses, in the server's order of preference.
namespace sasl_mechanism {
inline constexpr std::string_view scram_sha_256 = "SCRAM-SHA-256";
inline constexpr std::string_view plain = "PLAIN";
inline constexpr std::string_view anonymous = "ANONYMOUS";
}  // namespace sasl_mechanism

/// Whether this build has SASL (Cyrus) and which of our mechanisms its plugins provide.
bool sasl_available();
std::vector<std::string> sasl_available_mechanisms();

/// A client's credentials. An empty mechanism picks one from the server's list: SCRAM-SHA-256 when
/// a user is given (PLAIN over TLS when the server offers nothing better), ANONYMOUS without a user.
struct SaslCredentials {
  std::string mechanism;
  std::string user;
  std::string password;
  bool empty() const noexcept { return mechanism.empty() && user.empty(); }
  bool operator==(const SaslCredentials&) const = default;
};

/// user -> password, as read from a users file.
using SaslUsers = std::map<std::string, std::string, std::less<>>;

/// Refuses (VI_ERROR_FILE_ACCESS, `why` naming the file and its mode) a file that holds secrets and
/// may be read by group or others, or that cannot be read.
status_t check_private_file(const std::string& path, std::string& why);

/// The server's users file: one `user:password` per line (the password is the rest of the line,
/// ':' allowed in it), '#' starts a comment line, blank lines ignored. VI_ERROR_FILE_ACCESS
/// (missing, unreadable, readable by group/others), VI_ERROR_INV_SETUP (a malformed line, named).
status_t load_sasl_users(const std::string& path, SaslUsers& users, std::string& why);
/// Parses the text of a users file (for the loader and the fuzz target).
status_t parse_sasl_users(std::string_view text, SaslUsers& users, std::string& why);

/// The client's credentials file: lines `host[:port] user password...` ('*' as host matches any;
/// the first matching line wins; '#' comment lines). Found: `found` and `out` set. Same errors as
/// load_sasl_users().
status_t load_sasl_credentials(const std::string& path, std::string_view host, std::uint16_t port,
                               SaslCredentials& out, bool& found, std::string& why);
status_t parse_sasl_credentials(std::string_view text, std::string_view host, std::uint16_t port,
                                SaslCredentials& out, bool& found, std::string& why);

/// The client's credentials file: $CPPVISA_HISLIP_CREDENTIALS when set (`required` then: it must
/// exist), else $XDG_CONFIG_HOME/cppvisa/hislip-credentials (~/.config/... without XDG_CONFIG_HOME),
/// used only when it exists.
std::string credentials_file_path(bool& required);

/// The server side of one session's authentication.
class SaslServer {
 public:
  enum class Step { more, success, failure };
  /// `users` may be empty (then only ANONYMOUS, if `anonymous`).
  SaslServer(std::shared_ptr<const SaslUsers> users, bool anonymous);
  ~SaslServer();
  SaslServer(const SaslServer&) = delete;
  SaslServer& operator=(const SaslServer&) = delete;

  /// The mechanisms offered, preferred first (PLAIN only when `encrypted`).
  std::vector<std::string> mechanisms(bool encrypted) const;
  /// AuthenticationStart: `out` = the first challenge (sent as AuthenticationExchange).
  Step start(std::string_view mechanism, bool encrypted, std::vector<std::byte>& out);
  /// AuthenticationExchange from the client: `out` = the next challenge (more) or the success data.
  Step step(std::span<const std::byte> in, std::vector<std::byte>& out);
  /// After success: the authenticated user ("anonymous" for ANONYMOUS) and the mechanism.
  const std::string& user() const noexcept { return user_; }
  const std::string& mechanism() const noexcept { return mechanism_; }
  /// After failure: why (for AuthenticationResult's text and the log).
  const std::string& error() const noexcept { return error_; }

  struct Impl;
  /// The users the Cyrus auxprop plugin looks passwords up in (not for other callers).
  const SaslUsers* users_for_lookup() const noexcept;

 private:
  Step finish(int result, const char* out, unsigned out_len, std::vector<std::byte>& data);
  std::shared_ptr<const SaslUsers> users_;
  bool anonymous_;
  std::unique_ptr<Impl> impl_;
  std::string user_, mechanism_, error_;
};

/// The client side of one authentication.
class SaslClient {
 public:
  explicit SaslClient(SaslCredentials credentials);
  ~SaslClient();
  SaslClient(const SaslClient&) = delete;
  SaslClient& operator=(const SaslClient&) = delete;

  /// Chooses the mechanism among the server's (`offered`: GetSaslMechanismListResponse's list) and
  /// starts it. VI_ERROR_NSUP_OPER (no SASL in this build, or no common mechanism),
  /// VI_ERROR_INV_SETUP (PLAIN asked for on a connection without TLS). `why` says which.
  status_t start(std::string_view offered, bool encrypted, std::string& why);
  const std::string& mechanism() const noexcept { return mechanism_; }
  /// The answer to a server challenge (AuthenticationExchange). The first challenge gets the
  /// mechanism's initial response. VI_ERROR_NPERMISSION when the mechanism refuses the challenge.
  status_t step(std::span<const std::byte> challenge, std::vector<std::byte>& out, std::string& why);
  /// AuthenticationResult success with data (SCRAM's server signature): checks it.
  /// VI_ERROR_NPERMISSION when the server did not prove it knows the password.
  status_t finish(std::span<const std::byte> data, std::string& why);

  struct Impl;

 private:
  SaslCredentials credentials_;
  std::string mechanism_;
  std::unique_ptr<Impl> impl_;
  std::vector<std::byte> initial_;  // the initial response, sent with the first exchange
  bool have_initial_ = false;
  bool complete_ = false;
};

}  // namespace cppvisa::hislip
