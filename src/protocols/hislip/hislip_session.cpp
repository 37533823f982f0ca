#include "protocols/hislip/hislip_session.hpp"

#include "core/error_detail.hpp"
#include "core/resource_options.hpp"

#include <fmt/format.h>

#include <chrono>
#include <mutex>
#include <unistd.h>

namespace cppvisa::hislip {

namespace {

/// The sub-address: the device name before ",port" ("hislip0,4880" -> "hislip0").
std::string sub_address_of(const ResourceName& name) {
  std::string device = name.lan_device_name();
  if (auto comma = device.find(','); comma != std::string::npos) device.resize(comma);
  return device.empty() ? std::string("hislip0") : device;
}

std::uint32_t remaining_ms(core::Deadline d) {
  if (d.infinite()) return 0xFFFFFFFFu;
  return static_cast<std::uint32_t>(std::min<long long>(d.remaining().count(), 0xFFFFFFFEll));
}

/// The server answers a lock request when the lock timeout ends; allow that much more for the reply.
core::Deadline with_grace(core::Deadline d) {
  if (d.infinite()) return d;
  return core::Deadline::at(d.when() + std::chrono::seconds(5));
}

/// ViVersion (major in bits 31-20, minor in 19-8) of a HiSLIP version (major, minor bytes).
std::int64_t visa_version(std::uint16_t hislip_version) {
  std::int64_t major = hislip_version >> 8, minor = hislip_version & 0xFF;
  return (major << 20) | (minor << 8);
}

}  // namespace

HislipSession::HislipSession(const ResourceName& name) : Session(name, {event::service_request}) {
  define(attr::TCPIP_ADDR, name.host_address());
  define(attr::TCPIP_HOSTNAME, name.host_address());
  define(attr::TCPIP_DEVICE_NAME, sub_address_of(name));
  define(attr::TCPIP_IS_HISLIP, std::int64_t{1});
}

HislipSession::~HislipSession() = default;

status_t HislipSession::connection_options(const Client::Target& target, Client::Options& options) {
  // Resource options (core/resource_options.hpp, docs/resource-options.md): certificate checks and
  // credentials, needed before the first message. An unknown key is refused: a typo must not
  // silently leave a check at its default.
  core::ResourceOptions ro;
  std::string why;
  if (status_t st = core::load_resource_options(name().canonical(), ro, why); st != status::SUCCESS)
    return core::fail(st, why);
  for (const auto& [key, value] : ro.values) {
    bool flag = false;
    auto boolean = [&, &key = key, &value = value](bool& target_flag) {
      if (!core::parse_option_bool(value, flag))
        return core::fail(status::ERROR_INV_SETUP, fmt::format("resource options file {}: {} = '{}' is not on/off",
                                                                ro.path, key, value));
      target_flag = flag;
      return status::SUCCESS;
    };
    status_t st = status::SUCCESS;
    if (key == "tls_ca_file") options.tls.ca_file = value;
    else if (key == "tls_fingerprint") options.tls.fingerprint = value;
    else if (key == "tls_verify") st = boolean(options.tls.verify);
    else if (key == "tls_required") st = boolean(options.require_encryption);
    else if (key == "sasl_mechanism") options.sasl.mechanism = value;
    else if (key == "sasl_user") options.sasl.user = value;
    else if (key == "sasl_password") {
      if (!ro.is_private)
        return core::fail(status::ERROR_FILE_ACCESS,
                          fmt::format("resource options file {} holds sasl_password but group or others may read it: "
                                      "refused (chmod 600, or put the password in the credentials file)", ro.path));
      options.sasl.password = value;
    } else {
      return core::fail(status::ERROR_INV_SETUP,
                        fmt::format("resource options file {}: unknown option '{}' for a HiSLIP resource (known: "
                                    "tls_ca_file, tls_fingerprint, tls_verify, tls_required, sasl_mechanism, "
                                    "sasl_user, sasl_password)", ro.path, key));
    }
    if (st != status::SUCCESS) return st;
  }
  // The credentials file (mode 600): the password for this host (and user, when one is named).
  bool required = false;
  std::string path = credentials_file_path(required);
  if (ro.values.count("sasl_password") || path.empty() || (!required && ::access(path.c_str(), F_OK) != 0))
    return status::SUCCESS;
  SaslCredentials found_credentials;
  bool found = false;
  if (status_t st = load_sasl_credentials(path, target.host, target.port, found_credentials, found, why);
      st != status::SUCCESS)
    return core::fail(st, "HiSLIP credentials file " + why);
  if (found && (options.sasl.user.empty() || options.sasl.user == found_credentials.user)) {
    options.sasl.user = found_credentials.user;
    options.sasl.password = found_credentials.password;
  }
  return status::SUCCESS;
}

status_t HislipSession::connect(core::Deadline deadline) {
  Client::Target target;
  target.host = name().host_address();
  if (target.host.empty()) return status::ERROR_INV_RSRC_NAME;
  target.port = name().port().value_or(default_port);
  target.sub_address = sub_address_of(name());
  Client::Options options;
  options.max_message_size =
      static_cast<std::uint64_t>(std::max<std::int64_t>(integer_attribute(attr::TCPIP_HISLIP_MAX_MESSAGE_KB, 1024), 1)) *
      1024;
  if (status_t st = connection_options(target, options); st != status::SUCCESS) return st;
  client_ = std::make_unique<Client>(options);
  status_t st = client_->open(target, deadline);
  if (st < 0) return st;
  define(attr::TCPIP_HISLIP_VERSION, visa_version(client_->version()));
  // Secure connection (2.0): the state and what the handshake agreed on (computed_attribute).
  define(attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{0});
  define(attr::TCPIP_SASL_MECHANISM, client_->sasl_mechanism());
  // cppvisa's attributes for certificate checks and credentials start from what open used.
  define(attr::CPPVISA_TLS_CA_FILE, options.tls.ca_file);
  define(attr::CPPVISA_TLS_FINGERPRINT, options.tls.fingerprint);
  define(attr::CPPVISA_TLS_VERIFY_EN, std::int64_t{options.tls.verify ? 1 : 0});
  define(attr::CPPVISA_SASL_MECHANISM, options.sasl.mechanism);
  define(attr::CPPVISA_SASL_USER, options.sasl.user);
  define(attr::CPPVISA_SASL_PASSWORD, std::string());  // computed: always reads ""
  define(attr::CPPVISA_SASL_AUTHENTICATED, std::int64_t{0});  // computed
  {
    std::lock_guard secret(secret_mutex_);
    sasl_password_ = options.sasl.password;
    sasl_mechanism_ = client_->sasl_mechanism();
    authenticated_with_ = sasl_mechanism_.empty() ? SaslCredentials{} : options.sasl;
  }
  for (attr_id_t id : {attr::TCPIP_TLS_CIPHER_SUITE, attr::TCPIP_SERVER_CERT_ISSUER_NAME,
                       attr::TCPIP_SERVER_CERT_SUBJECT_NAME, attr::TCPIP_SERVER_CERT_EXPIRATION_DATE})
    define(id, std::string());
  client_->set_service_request_handler(
      [this](std::uint8_t) { raise_event(std::make_shared<core::Event>(event::service_request)); });
  return status::SUCCESS;
}

void HislipSession::disconnect() {
  if (!client_) return;
  client_->set_service_request_handler({});
  client_->close();
}

status_t HislipSession::read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (!client_) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(read_gate_);
  return client_->read(buffer, count, read_termination(), deadline);
}

status_t HislipSession::abort() {
  if (read_gate_.abort()) return status::SUCCESS;
  if (other_gate_.abort()) return status::ERROR_NSUP_OPER;
  // A lock request at the server: closing the session shuts the connection (the gate's wake),
  // which ends the wait at once; viTerminate cannot withdraw it (no such HiSLIP message).
  if (lock_gate_.abort()) return closed() ? status::SUCCESS : status::ERROR_NSUP_OPER;
  return status::SUCCESS;
}

status_t HislipSession::write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (!client_) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(other_gate_);
  return client_->write(data, send_end(), count, deadline);
}

status_t HislipSession::read_stb(std::uint16_t& stb, core::Deadline deadline) {
  if (!client_) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(other_gate_);
  std::uint8_t value = 0;
  status_t st = client_->read_stb(value, deadline);
  if (st >= 0) stb = value;
  return st;
}

status_t HislipSession::clear(core::Deadline deadline) {
  if (!client_) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(other_gate_);
  return client_->clear(deadline);
}

status_t HislipSession::assert_trigger(TriggerProtocol protocol, core::Deadline deadline) {
  if (protocol != TriggerProtocol::default_) return status::ERROR_INV_PROT;
  if (!client_) return status::ERROR_CONN_LOST;
  core::AbortGate::Scope op(other_gate_);
  return client_->trigger(deadline);
}

status_t HislipSession::flush(std::uint16_t mask, core::Deadline) {
  if (client_ && (mask & (buffer::read_buf | buffer::read_buf_discard | buffer::io_in_buf | buffer::io_in_buf_discard)))
    client_->discard_input();
  return status::SUCCESS;  // writes are not buffered
}

status_t HislipSession::gpib_control_ren(RenMode mode, core::Deadline deadline) {
  if (!client_) return status::ERROR_CONN_LOST;
  // viGpibControlREN modes 0..6 are the AsyncRemoteLocalControl request codes (IVI-6.1 §6.13).
  return client_->remote_local(static_cast<std::uint8_t>(mode), deadline);
}

status_t HislipSession::device_lock(AccessMode type, std::string_view key, core::Deadline deadline) {
  if (!client_) return status::ERROR_CONN_LOST;
  const bool exclusive = type == AccessMode::exclusive_lock;
  if (!exclusive && key.empty()) return status::ERROR_INV_ACCESS_KEY;  // an empty lock string is exclusive
  bool& held = exclusive ? device_exclusive_ : device_shared_;
  if (held) return status::SUCCESS;
  core::AbortGate::Scope op(lock_gate_);
  status_t st = client_->lock(exclusive ? std::string_view() : key, remaining_ms(deadline), with_grace(deadline));
  if (st < 0) return st;
  held = true;
  return status::SUCCESS;
}

status_t HislipSession::device_unlock(AccessMode type) {
  bool& held = type == AccessMode::exclusive_lock ? device_exclusive_ : device_shared_;
  if (!held || !client_) return status::SUCCESS;
  held = false;
  return client_->unlock(core::Deadline::after_ms(std::max<std::uint32_t>(timeout_ms(), 2000)));
}

status_t HislipSession::set_attribute(attr_id_t id, const AttrValue& value) {
  if (id != attr::CPPVISA_SASL_PASSWORD) return Session::set_attribute(id, value);
  auto* text = std::get_if<std::string>(&value);
  if (!text) return status::ERROR_NSUP_ATTR_STATE;
  std::lock_guard secret(secret_mutex_);
  sasl_password_ = *text;
  return status::SUCCESS;
}

net::TlsClientConfig HislipSession::tls_from_attributes() {
  net::TlsClientConfig tls;
  tls.ca_file = string_attribute(attr::CPPVISA_TLS_CA_FILE);
  tls.fingerprint = string_attribute(attr::CPPVISA_TLS_FINGERPRINT);
  tls.verify = integer_attribute(attr::CPPVISA_TLS_VERIFY_EN, 1) != 0;
  return tls;  // server_name "": the resource's host (Client::start_tls)
}

SaslCredentials HislipSession::credentials_from_attributes() {
  SaslCredentials c;
  c.mechanism = string_attribute(attr::CPPVISA_SASL_MECHANISM);
  c.user = string_attribute(attr::CPPVISA_SASL_USER);
  std::lock_guard secret(secret_mutex_);
  c.password = sasl_password_;
  return c;
}

status_t HislipSession::check_tls_setting(attr_id_t id, const std::string& text) {
  // The context the next handshake would use, made now: a CA file that cannot be read
  // (VI_ERROR_FILE_ACCESS naming it) or a malformed pin (VI_ERROR_INV_SETUP) is refused when set,
  // not found later by enabling encryption.
  net::TlsClientConfig tls = tls_from_attributes();
  (id == attr::CPPVISA_TLS_CA_FILE ? tls.ca_file : tls.fingerprint) = text;
  status_t st = status::SUCCESS;
  std::string why;
  if (!net::TlsContext::client(tls, st, why)) return core::fail(st, why);
  return status::SUCCESS;
}

status_t HislipSession::authenticate_locked(const SaslCredentials& credentials, core::Deadline deadline) {
  status_t st = client_->authenticate(credentials, deadline);
  std::lock_guard secret(secret_mutex_);
  // A new AuthenticationStart ends the previous authentication at the server, failed or not.
  sasl_mechanism_ = st == status::SUCCESS ? client_->sasl_mechanism() : std::string();
  authenticated_with_ = st == status::SUCCESS ? credentials : SaslCredentials{};
  return st;
}

status_t HislipSession::validate_attribute(attr_id_t id, const AttrValue& value) {
  if (id == attr::CPPVISA_TLS_CA_FILE || id == attr::CPPVISA_TLS_FINGERPRINT) {
    auto* text = std::get_if<std::string>(&value);
    if (!text) return status::ERROR_NSUP_ATTR_STATE;
    // "" = back to the system store / no pin; always valid.
    return text->empty() ? status::SUCCESS : check_tls_setting(id, *text);
  }
  auto* v = std::get_if<std::int64_t>(&value);
  if (!v || !client_ || !client_->is_open()) return status::SUCCESS;
  if (id == attr::CPPVISA_SASL_AUTHENTICATED) {
    if (*v == 0)
      return core::fail(status::ERROR_NSUP_ATTR_STATE,
                        "HiSLIP has no message that ends an authentication (IVI-6.1 2.0 §3.9): close the session "
                        "instead");
    SaslCredentials credentials = credentials_from_attributes();
    if (credentials.empty())
      return core::fail(status::ERROR_INV_SETUP,
                        "no credentials to authenticate with: set VI_ATTR_CPPVISA_SASL_USER and "
                        "VI_ATTR_CPPVISA_SASL_PASSWORD (or VI_ATTR_CPPVISA_SASL_MECHANISM = ANONYMOUS) first");
    std::lock_guard io(io_mutex());
    status_t st = authenticate_locked(credentials, core::Deadline::after_ms(std::max<std::uint32_t>(timeout_ms(), 2000)));
    return st < 0 ? st : status::SUCCESS;
  }
  if (id == attr::TCPIP_HISLIP_MAX_MESSAGE_KB) {
    if (*v < 1) return status::ERROR_NSUP_ATTR_STATE;
    std::lock_guard io(io_mutex());
    status_t st = client_->set_max_message_size(static_cast<std::uint64_t>(*v) * 1024,
                                                core::Deadline::after_ms(timeout_ms()));
    return st < 0 ? st : status::SUCCESS;
  }
  if (id == attr::TCPIP_HISLIP_ENCRYPTION_EN) {
    // Set: AsyncStartTLS/StartTLS or AsyncEndTLS/EndTLS (IVI-6.1 2.0); refused when the server
    // cannot encrypt (VI_ERROR_NSUP_OPER) or made encryption mandatory.
    // Starting takes the certificate checks of the VI_ATTR_CPPVISA_TLS_* attributes as they are now.
    std::lock_guard io(io_mutex());
    if ((*v != 0) == client_->encrypted()) return status::SUCCESS;
    auto deadline = core::Deadline::after_ms(std::max<std::uint32_t>(timeout_ms(), 2000));
    if (*v == 0) {
      status_t st = client_->end_tls(deadline);
      return st < 0 ? st : status::SUCCESS;
    }
    client_->set_tls_config(tls_from_attributes());
    if (status_t st = client_->start_tls(deadline); st < 0) return st;
    // IVI-6.1 2.0 §3.9: authentication follows the secure connection. Credentials set through
    // the attributes since the last authentication are used now; a refusal is this call's status
    // (VI_ERROR_NPERMISSION) while the connection stays encrypted.
    SaslCredentials credentials = credentials_from_attributes();
    bool changed = false;
    {
      std::lock_guard secret(secret_mutex_);
      changed = credentials != authenticated_with_;
    }
    if (credentials.empty() || !changed) return status::SUCCESS;
    status_t st = authenticate_locked(credentials, deadline);
    return st < 0 ? st : status::SUCCESS;
  }
  if (id == attr::TCPIP_HISLIP_OVERLAP_EN) {
    std::lock_guard io(io_mutex());
    if ((*v != 0) == client_->overlap()) return status::SUCCESS;
    // VISA: changing the mode performs a device clear that negotiates it.
    status_t st = client_->set_overlap(*v != 0, core::Deadline::after_ms(timeout_ms()));
    return st < 0 ? st : status::SUCCESS;
  }
  return status::SUCCESS;
}

status_t HislipSession::computed_attribute(attr_id_t id, AttrValue& value) {
  if (id == attr::CPPVISA_SASL_PASSWORD) {
    value = std::string();  // write-only: never revealed
    return status::SUCCESS;
  }
  if (id == attr::TCPIP_HISLIP_OVERLAP_EN && client_ && client_->is_open()) {
    value = std::int64_t{client_->overlap() ? 1 : 0};
    return status::SUCCESS;
  }
  if (!client_ || !client_->is_open()) return status::ERROR_NSUP_ATTR;
  switch (id) {
    case attr::TCPIP_HISLIP_ENCRYPTION_EN: value = std::int64_t{client_->encrypted() ? 1 : 0}; return status::SUCCESS;
    case attr::TCPIP_SASL_MECHANISM: {
      std::lock_guard secret(secret_mutex_);
      value = sasl_mechanism_;
      return status::SUCCESS;
    }
    case attr::CPPVISA_SASL_AUTHENTICATED: {
      std::lock_guard secret(secret_mutex_);
      value = std::int64_t{sasl_mechanism_.empty() ? 0 : 1};
      return status::SUCCESS;
    }
    case attr::TCPIP_TLS_CIPHER_SUITE: value = client_->tls_info().cipher; return status::SUCCESS;
    case attr::TCPIP_SERVER_CERT_ISSUER_NAME: value = client_->tls_info().peer_issuer; return status::SUCCESS;
    case attr::TCPIP_SERVER_CERT_SUBJECT_NAME: value = client_->tls_info().peer_subject; return status::SUCCESS;
    case attr::TCPIP_SERVER_CERT_EXPIRATION_DATE: value = client_->tls_info().peer_not_after; return status::SUCCESS;
    default: break;
  }
  return status::ERROR_NSUP_ATTR;
}

std::unique_ptr<core::Session> make_session(const ResourceName& name, status_t& st) {
  if (!name.is_hislip() || name.resource_class != "INSTR") {
    st = status::ERROR_INV_RSRC_NAME;
    return nullptr;
  }
  st = status::SUCCESS;
  return std::make_unique<HislipSession>(name);
}

}  // namespace cppvisa::hislip
