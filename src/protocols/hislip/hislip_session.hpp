// hislip::HislipSession: a `TCPIP[board]::host::hislipN[,port]::INSTR` session over HiSLIP 1.0,
// built on hislip::Client (IVI-6.1).
// - the sub-address is the device name before any ",port"; the port defaults to 4880;
// - viWrite honours VI_ATTR_SEND_END_EN (DataEnd on the last message only when set) and splits
//   data into messages of at most the server's maximum message size;
// - viRead follows core::MessageReader: DataEnd carries END; TERMCHAR_EN / SUPPRESS_END_EN apply;
// - viReadSTB = AsyncStatusQuery (MAV per the server's rule), viClear = the device-clear handshake,
//   viAssertTrigger = Trigger, viGpibControlREN = AsyncRemoteLocalControl (modes map 1:1);
// - viLock also takes the device's HiSLIP lock (AsyncLock with the rest of the lock timeout,
//   IVI-6.1 §6.5): exclusive with an empty lock string, shared with the access key as lock string
//   (sessions of other processes and machines presenting the same key share it; other keys and
//   exclusive requests wait); viUnlock releases the kind whose count reached 0 (exclusive first,
//   as HiSLIP's release does). The server answers at the lock timeout; a server that does not
//   answer 5 s later gives VI_ERROR_TMO;
// - a lock request waiting at the server is ended by closing the session (viClose shuts the
//   connection, which drops the request and every lock of the session, §6.5). HiSLIP has no
//   message that withdraws a lock request: viTerminate during one returns VI_ERROR_NSUP_OPER;
// - every AsyncServiceRequest raises VI_EVENT_SERVICE_REQ;
// - attributes: VI_ATTR_TCPIP_IS_HISLIP, _HISLIP_VERSION (ViVersion, 1.0 = 0x00100000),
//   _HISLIP_MAX_MESSAGE_KB (set = a new AsyncMaximumMessageSize exchange), _HISLIP_OVERLAP_EN
//   (set = a device clear asking for that mode), TCPIP_ADDR / HOSTNAME / DEVICE_NAME;
// - before connecting: the resource options (core/resource_options.hpp: tls_ca_file,
//   tls_fingerprint, tls_verify, tls_required, sasl_mechanism, sasl_user, sasl_password) and the
//   credentials file (hislip_sasl.hpp); with credentials the session authenticates at open
//   (VI_ERROR_NPERMISSION when refused) and VI_ATTR_TCPIP_SASL_MECHANISM names the mechanism;
// - after open, the same settings as cppvisa's attributes (docs/hislip.md), starting from what
//   open used: VI_ATTR_CPPVISA_TLS_CA_FILE / _TLS_FINGERPRINT (checked when set: a missing CA file
//   is VI_ERROR_FILE_ACCESS, a malformed fingerprint VI_ERROR_INV_SETUP) / _TLS_VERIFY_EN are what
//   the next VI_ATTR_TCPIP_HISLIP_ENCRYPTION_EN = 1 checks the certificate with;
//   VI_ATTR_CPPVISA_SASL_MECHANISM / _SASL_USER / _SASL_PASSWORD (write-only: it reads as "") are
//   the credentials used, after that secure connection (IVI-6.1 2.0 §3.9), when they changed since
//   the last authentication, and by VI_ATTR_CPPVISA_SASL_AUTHENTICATED = 1 (authenticate now);
// - a server that goes away gives VI_ERROR_CONN_LOST;
// - abort() (viTerminate) makes a blocked read return VI_ERROR_ABORT; the stream stays in sync as
//   after a timeout. Other operations cannot be aborted midway (a half-sent message would break
//   the stream): abort() during one returns VI_ERROR_NSUP_OPER; with nothing in progress VI_SUCCESS.
#pragma once

#include "core/session.hpp"
#include "protocols/hislip/hislip_client.hpp"

#include <memory>

namespace cppvisa::hislip {

class HislipSession : public core::Session {
 public:
  explicit HislipSession(const ResourceName& name);
  ~HislipSession() override;

  status_t connect(core::Deadline deadline) override;
  void disconnect() override;
  status_t read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) override;
  status_t write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) override;
  status_t read_stb(std::uint16_t& stb, core::Deadline deadline) override;
  status_t clear(core::Deadline deadline) override;
  status_t assert_trigger(TriggerProtocol protocol, core::Deadline deadline) override;
  status_t flush(std::uint16_t mask, core::Deadline deadline) override;
  status_t gpib_control_ren(RenMode mode, core::Deadline deadline) override;
  status_t device_lock(AccessMode type, std::string_view key, core::Deadline deadline) override;
  status_t device_unlock(AccessMode type) override;

  status_t abort() override;
  /// The synchronous channel: responses arrive there.
  int input_fd() override { return client_ && client_->is_open() ? client_->sync_fd() : -1; }

  /// The protocol client (for tests).
  Client& client() noexcept { return *client_; }

  /// VI_ATTR_CPPVISA_SASL_PASSWORD is kept out of the attribute store (it reads back as "").
  status_t set_attribute(attr_id_t id, const AttrValue& value) override;

 protected:
  status_t validate_attribute(attr_id_t id, const AttrValue& value) override;
  status_t computed_attribute(attr_id_t id, AttrValue& value) override;

 private:
  /// Certificate checks and credentials from the resource options and the credentials file.
  status_t connection_options(const Client::Target& target, Client::Options& options);
  /// The certificate checks of the attributes (VI_ATTR_CPPVISA_TLS_*).
  net::TlsClientConfig tls_from_attributes();
  /// The credentials of the attributes (VI_ATTR_CPPVISA_SASL_*).
  SaslCredentials credentials_from_attributes();
  /// A CA file or fingerprint about to be set: refused now rather than at the next handshake.
  status_t check_tls_setting(attr_id_t id, const std::string& text);
  /// Authenticates with `credentials` (io mutex held) and records the outcome.
  status_t authenticate_locked(const SaslCredentials& credentials, core::Deadline deadline);
  std::unique_ptr<Client> client_;
  // Guards the three below (getters read them while an authentication runs under the io mutex).
  std::mutex secret_mutex_;
  std::string sasl_password_;       // VI_ATTR_CPPVISA_SASL_PASSWORD, never in the attribute store
  std::string sasl_mechanism_;      // of the last successful authentication ("" = not authenticated)
  SaslCredentials authenticated_with_;  // its credentials (empty when none)
  bool device_exclusive_ = false;  // the server granted this session's exclusive lock
  bool device_shared_ = false;     // ... its shared lock
  // A read in progress (abort wakes it) / another operation in progress (abort cannot).
  core::AbortGate read_gate_{[this] { client_->abort_read(); }, [this] { if (client_) client_->reset_read_abort(); }};
  core::AbortGate other_gate_{nullptr, nullptr};
  // A lock request waiting at the server: only closing the session can end it (see abort()).
  core::AbortGate lock_gate_{[this] { if (closed()) client_->abort_connection(); }, nullptr};
};

/// A new, unconnected HiSLIP session for `name` (a TCPIP INSTR name with ResourceName::is_hislip());
/// nullptr with `st` = VI_ERROR_INV_RSRC_NAME otherwise.
std::unique_ptr<core::Session> make_session(const ResourceName& name, status_t& st);

}  // namespace cppvisa::hislip
