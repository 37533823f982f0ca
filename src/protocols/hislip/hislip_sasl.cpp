#include "protocols/hislip/hislip_sasl.hpp"

#include "core/config_text.hpp"
#include "core/log.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#ifdef CPPVISA_HAVE_SASL
#include <sasl/sasl.h>
#include <sasl/saslplug.h>
#endif

namespace cppvisa::hislip {

namespace {

using core::trim_blanks;

status_t read_private_file(const std::string& path, std::string& text, std::string& why) {
  if (status_t st = check_private_file(path, why); st != status::SUCCESS) return st;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream all;
  all << in.rdbuf();
  if (!in && !in.eof()) {
    why = fmt::format("{}: cannot be read", path);
    return status::ERROR_FILE_ACCESS;
  }
  text = all.str();
  return status::SUCCESS;
}

bool host_matches(std::string_view pattern, std::string_view host, std::uint16_t port) {
  if (pattern == "*") return true;
  std::string_view h = pattern, p;
  if (pattern.front() == '[') {  // "[IPv6]" or "[IPv6]:port"
    auto close = pattern.find(']');
    if (close == std::string_view::npos) return false;
    h = pattern.substr(1, close - 1);
    if (close + 1 < pattern.size()) {
      if (pattern[close + 1] != ':') return false;
      p = pattern.substr(close + 2);
    }
  } else if (auto colon = pattern.find(':'); colon != std::string_view::npos && pattern.rfind(':') == colon) {
    h = pattern.substr(0, colon);  // "host:port" (a bare IPv6 address has several ':')
    p = pattern.substr(colon + 1);
  }
  if (!p.empty() && p != std::to_string(port)) return false;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return h.size() == host.size() &&
         std::equal(h.begin(), h.end(), host.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

}  // namespace

status_t check_private_file(const std::string& path, std::string& why) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    why = fmt::format("{}: {}", path, std::strerror(errno));
    return status::ERROR_FILE_ACCESS;
  }
  if (!S_ISREG(st.st_mode)) {
    why = fmt::format("{}: not a regular file", path);
    return status::ERROR_FILE_ACCESS;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    why = fmt::format("{} holds passwords but group or others may access it (mode {:04o}): refused; "
                      "chmod 600 {}", path, st.st_mode & 07777, path);
    return status::ERROR_FILE_ACCESS;
  }
  return status::SUCCESS;
}

status_t parse_sasl_users(std::string_view text, SaslUsers& users, std::string& why) {
  users.clear();
  return core::for_each_config_line(text, "#", [&](std::size_t number, std::string_view l) {
    auto colon = l.find(':');
    std::string_view user = colon == std::string_view::npos ? std::string_view() : trim_blanks(l.substr(0, colon));
    if (user.empty() || user.find_first_of(" \t") != std::string_view::npos) {
      why = fmt::format("line {}: expected 'user:password'", number);
      return status::ERROR_INV_SETUP;
    }
    users[std::string(user)] = std::string(l.substr(colon + 1));
    return status::SUCCESS;
  });
}

status_t load_sasl_users(const std::string& path, SaslUsers& users, std::string& why) {
  std::string text;
  if (status_t st = read_private_file(path, text, why); st != status::SUCCESS) return st;
  if (status_t st = parse_sasl_users(text, users, why); st != status::SUCCESS) {
    why = path + ": " + why;
    return st;
  }
  return status::SUCCESS;
}

status_t parse_sasl_credentials(std::string_view text, std::string_view host, std::uint16_t port, SaslCredentials& out,
                                bool& found, std::string& why) {
  found = false;
  return core::for_each_config_line(text, "#", [&](std::size_t number, std::string_view l) {
    if (found) return status::SUCCESS;
    auto sp1 = l.find_first_of(" \t");
    std::string_view rest = sp1 == std::string_view::npos ? std::string_view() : trim_blanks(l.substr(sp1));
    auto sp2 = rest.find_first_of(" \t");
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
      why = fmt::format("line {}: expected 'host[:port] user password'", number);
      return status::ERROR_INV_SETUP;
    }
    if (!host_matches(l.substr(0, sp1), host, port)) return status::SUCCESS;
    out = {};
    out.user = std::string(rest.substr(0, sp2));
    out.password = std::string(trim_blanks(rest.substr(sp2)));
    found = true;
    return status::SUCCESS;
  });
}

status_t load_sasl_credentials(const std::string& path, std::string_view host, std::uint16_t port, SaslCredentials& out,
                               bool& found, std::string& why) {
  std::string text;
  found = false;
  if (status_t st = read_private_file(path, text, why); st != status::SUCCESS) return st;
  if (status_t st = parse_sasl_credentials(text, host, port, out, found, why); st != status::SUCCESS) {
    why = path + ": " + why;
    return st;
  }
  return status::SUCCESS;
}

std::string credentials_file_path(bool& required) {
  required = false;
  if (const char* e = std::getenv("CPPVISA_HISLIP_CREDENTIALS"); e && *e) {
    required = true;
    return e;
  }
  return core::user_config_file("hislip-credentials");
}

namespace {
std::vector<std::string> split_words(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    auto sp = list.find_first_of(" ,\t");
    if (sp != 0) out.emplace_back(list.substr(0, sp));
    if (sp == std::string_view::npos) break;
    list.remove_prefix(sp + 1);
  }
  return out;
}
bool contains(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }
}  // namespace

#ifdef CPPVISA_HAVE_SASL

// ---- Cyrus SASL -------------------------------------------------------------------------------
// Cyrus is process-wide: sasl_server_init / sasl_client_init once, our auxprop plugin registered
// before. Per-connection options (the mechanisms offered) come from a per-connection getopt
// callback whose context is the SaslServer; the plugin finds the session's users through it.

struct SaslServer::Impl {
  sasl_conn_t* conn = nullptr;
  SaslServer* owner = nullptr;
  std::string mech_list;  // what this connection allows (Cyrus' "mech_list" option)
  std::vector<sasl_callback_t> callbacks;
  ~Impl();
};

struct SaslClient::Impl {
  sasl_conn_t* conn = nullptr;
  std::vector<sasl_callback_t> callbacks;
  std::vector<char> secret;  // sasl_secret_t for SASL_CB_PASS
  ~Impl() {
    if (conn) sasl_dispose(&conn);
  }
};

namespace {

/// Cyrus keeps every callback as `int (*)(void)` (sasl.h); through void(*)() the cast is the
/// documented one without a warning.
template <typename F>
sasl_callback_ft callback(F* f) {
  return reinterpret_cast<sasl_callback_ft>(reinterpret_cast<void (*)()>(f));
}

constexpr const char* plugin_name = "cppvisa";
constexpr const char* service = "hislip";

int log_callback(void*, int level, const char* message) {
  if (level <= SASL_LOG_NOTE) CPPVISA_LOG("sasl", "{}", message ? message : "");
  return SASL_OK;
}

const char* common_option(std::string_view option) {
  if (option == "auxprop_plugin") return plugin_name;  // never sasldb
  if (option == "pwcheck_method") return "auxprop";    // PLAIN checks through the same lookup
  if (option == "log_level") return "2";
  return nullptr;
}

int global_getopt(void*, const char*, const char* option, const char** result, unsigned* len) {
  const char* v = option ? common_option(option) : nullptr;
  if (!v) return SASL_FAIL;
  *result = v;
  if (len) *len = static_cast<unsigned>(std::strlen(v));
  return SASL_OK;
}

int connection_getopt(void* context, const char*, const char* option, const char** result, unsigned* len) {
  auto* impl = static_cast<SaslServer::Impl*>(context);
  const char* v = option ? common_option(option) : nullptr;
  if (!v && option && std::string_view(option) == "mech_list") v = impl->mech_list.c_str();
  if (!v) return SASL_FAIL;
  *result = v;
  if (len) *len = static_cast<unsigned>(std::strlen(v));
  return SASL_OK;
}

// Which SaslServer a Cyrus connection belongs to (the auxprop plugin is process-wide).
std::mutex registry_mutex;
std::map<const sasl_conn_t*, const SaslServer*>& registry() {
  static std::map<const sasl_conn_t*, const SaslServer*> map;
  return map;
}

// The auxprop plugin: fills "userPassword" of the authentication identity from the session's users.
// An unknown user gets no property (SASL_OK, as for ANONYMOUS, which looks "anonymous" up): the
// mechanism then fails with "no secret" and the client is refused.
int auxprop_lookup(void*, sasl_server_params_t* params, unsigned flags, const char* user, unsigned ulen) {
  if (flags & SASL_AUXPROP_AUTHZID) return SASL_OK;  // only the authentication identity has secrets
  std::lock_guard lock(registry_mutex);
  auto owner = registry().find(params->utils->conn);
  if (owner == registry().end()) return SASL_OK;
  const SaslUsers* users = owner->second->users_for_lookup();
  if (!users) return SASL_OK;
  auto it = users->find(std::string_view(user, ulen));
  if (it == users->end()) return SASL_OK;
  for (const propval* cur = params->utils->prop_get(params->propctx); cur && cur->name; ++cur) {
    // Names of the authentication identity's properties start with '*' (saslplug.h).
    if (std::string_view(cur->name) != "*userPassword") continue;
    if (cur->values) params->utils->prop_erase(params->propctx, cur->name);
    params->utils->prop_set(params->propctx, cur->name, it->second.data(), static_cast<int>(it->second.size()));
  }
  return SASL_OK;
}

sasl_auxprop_plug_t auxprop_plugin{0, 0, nullptr, nullptr, auxprop_lookup, const_cast<char*>(plugin_name), nullptr};

int auxprop_init(const sasl_utils_t*, int, int* out_version, sasl_auxprop_plug_t** plug, const char*) {
  *out_version = SASL_AUXPROP_PLUG_VERSION;
  *plug = &auxprop_plugin;
  return SASL_OK;
}

sasl_callback_t global_callbacks[] = {
    {SASL_CB_GETOPT, callback(&global_getopt), nullptr},
    {SASL_CB_LOG, callback(&log_callback), nullptr},
    {SASL_CB_LIST_END, nullptr, nullptr},
};

int init_result = SASL_FAIL;
std::string init_error;

// Cyrus' own mutexes are no-ops until the application gives real ones (sasl.h, sasl_set_mutex):
// sessions authenticate on several threads at once.
void* mutex_alloc() { return new std::mutex; }
int mutex_lock(void* m) {
  static_cast<std::mutex*>(m)->lock();
  return SASL_OK;
}
int mutex_unlock(void* m) {
  static_cast<std::mutex*>(m)->unlock();
  return SASL_OK;
}
void mutex_free(void* m) { delete static_cast<std::mutex*>(m); }

bool initialize() {
  static std::once_flag once;
  std::call_once(once, [] {
    sasl_set_mutex(&mutex_alloc, &mutex_lock, &mutex_unlock, &mutex_free);
    sasl_auxprop_add_plugin(plugin_name, auxprop_init);
    init_result = sasl_server_init(global_callbacks, "cppvisa");
    if (init_result == SASL_OK) init_result = sasl_client_init(global_callbacks);
    if (init_result != SASL_OK) init_error = sasl_errstring(init_result, nullptr, nullptr);
  });
  return init_result == SASL_OK;
}

/// No SASL security layer (TLS protects the connection when wanted); no flag that would hide a
/// mechanism: the offer is ours to make.
void set_plain_security(sasl_conn_t* conn) {
  sasl_security_properties_t props{};
  props.min_ssf = 0;
  props.max_ssf = 0;
  props.maxbufsize = 0;
  props.security_flags = 0;
  sasl_setprop(conn, SASL_SEC_PROPS, &props);
}

std::string conn_error(sasl_conn_t* conn, int result) {
  const char* detail = conn ? sasl_errdetail(conn) : nullptr;
  return detail && *detail ? detail : sasl_errstring(result, nullptr, nullptr);
}

const std::vector<std::string>& plugin_mechanisms() {
  static std::vector<std::string> list = [] {
    std::vector<std::string> out;
    if (!initialize()) return out;
    const char** mechs = sasl_global_listmech();
    for (std::string_view m : {sasl_mechanism::scram_sha_256, sasl_mechanism::plain, sasl_mechanism::anonymous})
      for (const char** p = mechs; p && *p; ++p)
        if (m == *p) out.emplace_back(m);
    return out;
  }();
  return list;
}

}  // namespace

bool sasl_available() { return initialize(); }
std::vector<std::string> sasl_available_mechanisms() { return plugin_mechanisms(); }

SaslServer::Impl::~Impl() {
  if (!conn) return;
  {
    std::lock_guard lock(registry_mutex);
    registry().erase(conn);
  }
  sasl_dispose(&conn);
}

SaslServer::SaslServer(std::shared_ptr<const SaslUsers> users, bool anonymous)
    : users_(std::move(users)), anonymous_(anonymous) {}
SaslServer::~SaslServer() = default;

const SaslUsers* SaslServer::users_for_lookup() const noexcept { return users_.get(); }

std::vector<std::string> SaslServer::mechanisms(bool encrypted) const {
  std::vector<std::string> out;
  const bool have_users = users_ && !users_->empty();
  for (auto& m : plugin_mechanisms()) {
    if (m == sasl_mechanism::anonymous ? anonymous_ : have_users && (m != sasl_mechanism::plain || encrypted))
      out.push_back(m);
  }
  return out;
}

SaslServer::Step SaslServer::start(std::string_view mechanism, bool encrypted, std::vector<std::byte>& out) {
  out.clear();
  user_.clear();
  mechanism_.assign(mechanism);
  impl_.reset();
  if (!initialize()) {
    error_ = "SASL unavailable: " + init_error;
    return Step::failure;
  }
  auto offered = mechanisms(encrypted);
  if (!contains(offered, mechanism)) {
    error_ = mechanism == sasl_mechanism::plain && !encrypted && contains(mechanisms(true), mechanism)
                 ? std::string("PLAIN is offered only over TLS (it carries the password in the clear)")
                 : fmt::format("mechanism '{}' not offered (offered: {})", mechanism, fmt::join(offered, " "));
    return Step::failure;
  }
  impl_ = std::make_unique<Impl>();
  impl_->owner = this;
  impl_->mech_list = std::string(mechanism);
  impl_->callbacks = {{SASL_CB_GETOPT, callback(&connection_getopt), impl_.get()},
                      {SASL_CB_LIST_END, nullptr, nullptr}};
  // SASL_SUCCESS_DATA: the mechanism's last data (SCRAM's server signature) goes with the result.
  int r = sasl_server_new(service, nullptr, nullptr, nullptr, nullptr, impl_->callbacks.data(), SASL_SUCCESS_DATA,
                          &impl_->conn);
  if (r != SASL_OK) {
    error_ = "SASL: " + conn_error(impl_->conn, r);
    return Step::failure;
  }
  {
    std::lock_guard lock(registry_mutex);
    registry()[impl_->conn] = this;
  }
  set_plain_security(impl_->conn);
  const char* o = nullptr;
  unsigned olen = 0;
  r = sasl_server_start(impl_->conn, mechanism_.c_str(), nullptr, 0, &o, &olen);
  return finish(r, o, olen, out);
}

SaslServer::Step SaslServer::step(std::span<const std::byte> in, std::vector<std::byte>& out) {
  out.clear();
  if (!impl_ || !impl_->conn) {
    error_ = "AuthenticationExchange without AuthenticationStart";
    return Step::failure;
  }
  const char* o = nullptr;
  unsigned olen = 0;
  int r = sasl_server_step(impl_->conn, reinterpret_cast<const char*>(in.data()), static_cast<unsigned>(in.size()), &o,
                           &olen);
  return finish(r, o, olen, out);
}

SaslServer::Step SaslServer::finish(int result, const char* o, unsigned olen, std::vector<std::byte>& data) {
  if (result == SASL_OK || result == SASL_CONTINUE) {
    if (o && olen) data.assign(reinterpret_cast<const std::byte*>(o), reinterpret_cast<const std::byte*>(o) + olen);
    if (result == SASL_CONTINUE) return Step::more;
    const void* name = nullptr;
    if (sasl_getprop(impl_->conn, SASL_USERNAME, &name) == SASL_OK && name) user_ = static_cast<const char*>(name);
    impl_.reset();
    return Step::success;
  }
  error_ = conn_error(impl_->conn, result);
  impl_.reset();
  return Step::failure;
}

namespace {

int client_name(void* context, int id, const char** result, unsigned* len) {
  auto* c = static_cast<const SaslCredentials*>(context);
  // AUTHNAME: the user; USER (authorization identity): the same (empty = as authenticated).
  const std::string& v = id == SASL_CB_AUTHNAME ? c->user : c->user;
  *result = v.c_str();
  if (len) *len = static_cast<unsigned>(v.size());
  return SASL_OK;
}

int client_password(sasl_conn_t*, void* context, int, sasl_secret_t** secret) {
  auto* impl = static_cast<SaslClient::Impl*>(context);
  *secret = reinterpret_cast<sasl_secret_t*>(impl->secret.data());
  return SASL_OK;
}

}  // namespace

SaslClient::SaslClient(SaslCredentials credentials) : credentials_(std::move(credentials)) {}
SaslClient::~SaslClient() {
  if (impl_) std::fill(impl_->secret.begin(), impl_->secret.end(), 0);
}

status_t SaslClient::start(std::string_view offered_list, bool encrypted, std::string& why) {
  if (!initialize()) {
    why = "SASL unavailable: " + init_error;
    return status::ERROR_NSUP_OPER;
  }
  auto offered = split_words(offered_list);
  if (!credentials_.mechanism.empty()) {
    mechanism_ = credentials_.mechanism;
  } else if (credentials_.user.empty()) {
    mechanism_ = sasl_mechanism::anonymous;
  } else if (contains(offered, sasl_mechanism::plain) && !contains(offered, sasl_mechanism::scram_sha_256)) {
    mechanism_ = sasl_mechanism::plain;  // what the server offers (over TLS only: checked below)
  } else {
    mechanism_ = sasl_mechanism::scram_sha_256;
  }
  if (mechanism_ == sasl_mechanism::plain && !encrypted) {
    why = "PLAIN would send the password in the clear: it is used only over TLS (encrypt the connection, "
          "or use SCRAM-SHA-256)";
    return status::ERROR_INV_SETUP;
  }
  if (!contains(offered, mechanism_)) {
    why = fmt::format("the server does not offer SASL mechanism {} (it offers: {})", mechanism_,
                      offered.empty() ? std::string("none") : fmt::format("{}", fmt::join(offered, " ")));
    return status::ERROR_NSUP_OPER;
  }
  if (!contains(plugin_mechanisms(), mechanism_)) {
    why = fmt::format("SASL mechanism {} is not installed here (Debian: libsasl2-modules)", mechanism_);
    return status::ERROR_NSUP_OPER;
  }
  impl_ = std::make_unique<Impl>();
  impl_->secret.assign(sizeof(sasl_secret_t) + credentials_.password.size() + 1, 0);
  auto* secret = reinterpret_cast<sasl_secret_t*>(impl_->secret.data());
  secret->len = credentials_.password.size();
  std::memcpy(secret->data, credentials_.password.data(), credentials_.password.size());
  impl_->callbacks = {
      {SASL_CB_AUTHNAME, callback(&client_name), &credentials_},
      {SASL_CB_USER, callback(&client_name), &credentials_},
      {SASL_CB_PASS, callback(&client_password), impl_.get()},
      {SASL_CB_LIST_END, nullptr, nullptr},
  };
  int r = sasl_client_new(service, "hislip", nullptr, nullptr, impl_->callbacks.data(), 0, &impl_->conn);
  if (r != SASL_OK) {
    why = "SASL: " + conn_error(impl_->conn, r);
    return status::ERROR_NSUP_OPER;
  }
  set_plain_security(impl_->conn);
  const char* o = nullptr;
  unsigned olen = 0;
  const char* chosen = nullptr;
  r = sasl_client_start(impl_->conn, mechanism_.c_str(), nullptr, &o, &olen, &chosen);
  if (r != SASL_OK && r != SASL_CONTINUE) {
    why = fmt::format("SASL {}: {}", mechanism_, conn_error(impl_->conn, r));
    return status::ERROR_NSUP_OPER;
  }
  have_initial_ = o != nullptr;
  if (o) initial_.assign(reinterpret_cast<const std::byte*>(o), reinterpret_cast<const std::byte*>(o) + olen);
  complete_ = r == SASL_OK;
  return status::SUCCESS;
}

status_t SaslClient::step(std::span<const std::byte> challenge, std::vector<std::byte>& out, std::string& why) {
  out.clear();
  if (!impl_) {
    why = "authentication not started";
    return status::ERROR_NPERMISSION;
  }
  if (have_initial_ && challenge.empty()) {
    // The server's empty first challenge asks for the initial response (RFC 4422 §5).
    have_initial_ = false;
    out = std::move(initial_);
    return status::SUCCESS;
  }
  have_initial_ = false;
  const char* o = nullptr;
  unsigned olen = 0;
  int r = sasl_client_step(impl_->conn, reinterpret_cast<const char*>(challenge.data()),
                           static_cast<unsigned>(challenge.size()), nullptr, &o, &olen);
  if (r != SASL_OK && r != SASL_CONTINUE) {
    why = fmt::format("SASL {} refused the server's challenge: {}", mechanism_, conn_error(impl_->conn, r));
    return status::ERROR_NPERMISSION;
  }
  complete_ = r == SASL_OK;
  if (o) out.assign(reinterpret_cast<const std::byte*>(o), reinterpret_cast<const std::byte*>(o) + olen);
  return status::SUCCESS;
}

status_t SaslClient::finish(std::span<const std::byte> data, std::string& why) {
  if (!impl_) {
    why = "authentication not started";
    return status::ERROR_NPERMISSION;
  }
  if (!data.empty() && !complete_) {
    std::vector<std::byte> out;
    if (status_t st = step(data, out, why); st != status::SUCCESS) return st;
  }
  if (!complete_) {
    // SCRAM: the server must prove it knows the password (RFC 5802 §3: server-final-message).
    why = fmt::format("SASL {}: the server reported success without completing the exchange", mechanism_);
    return status::ERROR_NPERMISSION;
  }
  return status::SUCCESS;
}

#else  // !CPPVISA_HAVE_SASL

struct SaslServer::Impl {};
struct SaslClient::Impl {};

bool sasl_available() { return false; }
std::vector<std::string> sasl_available_mechanisms() { return {}; }

SaslServer::SaslServer(std::shared_ptr<const SaslUsers> users, bool anonymous)
    : users_(std::move(users)), anonymous_(anonymous) {}
SaslServer::~SaslServer() = default;
const SaslUsers* SaslServer::users_for_lookup() const noexcept { return users_.get(); }
std::vector<std::string> SaslServer::mechanisms(bool) const { return {}; }
SaslServer::Step SaslServer::start(std::string_view mechanism, bool, std::vector<std::byte>& out) {
  out.clear();
  mechanism_.assign(mechanism);
  error_ = "this server was built without SASL (Cyrus SASL, Debian: libsasl2-dev)";
  return Step::failure;
}
SaslServer::Step SaslServer::step(std::span<const std::byte>, std::vector<std::byte>& out) {
  out.clear();
  error_ = "this server was built without SASL (Cyrus SASL, Debian: libsasl2-dev)";
  return Step::failure;
}
SaslServer::Step SaslServer::finish(int, const char*, unsigned, std::vector<std::byte>&) { return Step::failure; }

SaslClient::SaslClient(SaslCredentials credentials) : credentials_(std::move(credentials)) {}
SaslClient::~SaslClient() = default;
status_t SaslClient::start(std::string_view, bool, std::string& why) {
  why = "cppvisa was built without SASL (Cyrus SASL, Debian: libsasl2-dev): HiSLIP authentication is not available";
  return status::ERROR_NSUP_OPER;
}
status_t SaslClient::step(std::span<const std::byte>, std::vector<std::byte>& out, std::string& why) {
  out.clear();
  why = "no SASL in this build";
  return status::ERROR_NSUP_OPER;
}
status_t SaslClient::finish(std::span<const std::byte>, std::string& why) {
  why = "no SASL in this build";
  return status::ERROR_NSUP_OPER;
}

#endif

}  // namespace cppvisa::hislip
