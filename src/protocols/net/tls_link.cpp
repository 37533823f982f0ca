#include "protocols/net/tls_link.hpp"

#include "core/error_detail.hpp"
#include "core/log.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>

#ifdef CPPVISA_HAVE_OPENSSL
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#endif

namespace cppvisa::net {

namespace {

constexpr std::size_t record_chunk = 16 * 1024;  // the largest TLS record's plaintext
// Each direction of a link's BIO pair buffers this much: the socket is read and written in
// pieces of up to this size straight from/into it (one recv or send per several records
// instead of one per record, and no copy through an intermediate buffer).
constexpr std::size_t ring_size = 256 * 1024;
// One SSL_write: 8 full records, well within the ring (records and their overhead).
constexpr std::size_t write_piece = 8 * record_chunk;
[[maybe_unused]] constexpr const char* no_openssl =
    "TLS: this build of cppvisa has no OpenSSL (libssl-dev was missing at build time)";

#ifdef CPPVISA_HAVE_OPENSSL
SSL_CTX* ctx_of(const TlsContext& c) { return static_cast<SSL_CTX*>(c.native()); }

/// The queued OpenSSL errors as one line (and the queue emptied).
std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? "unknown TLS error" : out;
}

std::string hex_fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!cert || X509_digest(cert, EVP_sha256(), md, &n) != 1) return {};
  std::string out;
  char byte[4];
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(byte, sizeof byte, i ? ":%02X" : "%02X", md[i]);
    out += byte;
  }
  return out;
}

std::string name_line(X509_NAME* name) {
  if (!name) return {};
  BIO* b = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(b, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<std::size_t>(std::max(n, 0L)));
  BIO_free(b);
  return out;
}

std::string time_line(const ASN1_TIME* t) {
  if (!t) return {};
  BIO* b = BIO_new(BIO_s_mem());
  ASN1_TIME_print(b, t);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<std::size_t>(std::max(n, 0L)));
  BIO_free(b);
  return out;
}

bool is_ip_literal(const std::string& host) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  if (!ip) return false;
  ASN1_OCTET_STRING_free(ip);
  return true;
}

/// The VISA status of a certificate the client refused (X509_V_ERR_*).
status_t certificate_status(long verify_result) {
  switch (verify_result) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID: return status::ERROR_SERVER_CERT_EXPIRED;
    case X509_V_ERR_CERT_REVOKED: return status::ERROR_SERVER_CERT_REVOKED;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: return status::ERROR_SERVER_CERT_INV_SUBJECT;
    default: return status::ERROR_SERVER_CERT_UNTRUSTED;
  }
}
#endif

/// "AB:cd 01" -> bytes; false when not hex pairs.
bool decode_fingerprint(const std::string& text, std::vector<unsigned char>& out) {
  out.clear();
  int high = -1;
  for (char c : text) {
    if (c == ':' || c == ' ' || c == '-') continue;
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (v < 0) return false;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<unsigned char>(high * 16 + v));
      high = -1;
    }
  }
  return high < 0 && out.size() == 32;
}

}  // namespace

bool tls_available() noexcept {
#ifdef CPPVISA_HAVE_OPENSSL
  return true;
#else
  return false;
#endif
}

// ---- TlsContext ----

#ifdef CPPVISA_HAVE_OPENSSL
SSL_CTX* TlsContext::new_context(TlsContext& c, const void* method, status_t& st, std::string& error) {
  SSL_CTX* ctx = SSL_CTX_new(static_cast<const SSL_METHOD*>(method));
  if (!ctx) {
    st = status::ERROR_ALLOC;
    error = "TLS: " + openssl_errors();
    return nullptr;
  }
  c.ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);  // IVI-6.1 2.0: TLS 1.2 or later
  return ctx;
}
#endif

TlsContext::~TlsContext() {
#ifdef CPPVISA_HAVE_OPENSSL
  if (ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
#endif
}

std::shared_ptr<TlsContext> TlsContext::client(const TlsClientConfig& config, status_t& st, std::string& error) {
#ifdef CPPVISA_HAVE_OPENSSL
  std::shared_ptr<TlsContext> c(new TlsContext);
  c->client_config_ = config;
  if (!config.fingerprint.empty() && !decode_fingerprint(config.fingerprint, c->pin_)) {
    st = status::ERROR_INV_SETUP;
    error = "TLS: the pinned fingerprint must be 32 hexadecimal bytes (SHA-256), got '" + config.fingerprint + "'";
    return nullptr;
  }
  SSL_CTX* ctx = new_context(*c, TLS_client_method(), st, error);
  if (!ctx) return nullptr;
  if (config.verify && c->pin_.empty()) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    int ok = config.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                    : SSL_CTX_load_verify_locations(ctx, config.ca_file.c_str(), nullptr);
    if (ok != 1) {
      st = status::ERROR_FILE_ACCESS;
      error = "TLS: cannot load the trusted certificates " +
              (config.ca_file.empty() ? std::string("of the system") : "from '" + config.ca_file + "'") + ": " +
              openssl_errors();
      return nullptr;
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // a pin is checked after the handshake
  }
  st = status::SUCCESS;
  return c;
#else
  (void)config;
  st = status::ERROR_NSUP_OPER;
  error = no_openssl;
  return nullptr;
#endif
}

std::shared_ptr<TlsContext> TlsContext::server(const TlsServerConfig& config, status_t& st, std::string& error) {
#ifdef CPPVISA_HAVE_OPENSSL
  std::shared_ptr<TlsContext> c(new TlsContext);
  c->server_ = true;
  SSL_CTX* ctx = new_context(*c, TLS_server_method(), st, error);
  if (!ctx) return nullptr;
  SSL_CTX_set_num_tickets(ctx, 0);  // no session resumption: nothing arrives after the handshake
  if (SSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str()) != 1) {
    st = status::ERROR_FILE_ACCESS;
    error = "TLS: cannot use the certificate '" + config.cert_file + "': " + openssl_errors();
    return nullptr;
  }
  auto key_mismatch = [&] {
    st = status::ERROR_INV_SETUP;
    error = "TLS: the private key '" + config.key_file + "' does not belong to the certificate '" +
            config.cert_file + "'";
    return nullptr;
  };
  if (SSL_CTX_use_PrivateKey_file(ctx, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return key_mismatch();
    }
    st = status::ERROR_FILE_ACCESS;
    error = "TLS: cannot use the private key '" + config.key_file + "': " + openssl_errors();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) return key_mismatch();
  st = status::SUCCESS;
  return c;
#else
  (void)config;
  st = status::ERROR_NSUP_OPER;
  error = no_openssl;
  return nullptr;
#endif
}

// ---- Link ----

// OpenSSL runs over a BIO pair: `inner` is the SSL's BIO, `network` ours. Records from the
// socket are received straight into the pair's buffer (BIO_nwrite0) and records for the socket
// sent straight from it (BIO_nread0): the pointers are used outside ssl_mutex_ (a recv or send may
// wait), which is safe because only the one reader fills and only the holder of send_mutex_
// drains, and a shared_ptr keeps the buffer alive if end_tls() or forget_tls() drops the state
// meanwhile.
struct Link::Tls {
#ifdef CPPVISA_HAVE_OPENSSL
  SSL* ssl = nullptr;
  BIO* inner = nullptr;    // the SSL's end of the pair (owned by ssl)
  BIO* network = nullptr;  // our end: write what the socket gave, read what goes to the socket
  bool closing = false;    // end_tls: the peer's close_notify is expected
  std::vector<std::byte> backlog;  // received bytes that did not fit the pair yet (read-ahead)
  ~Tls() {
    if (ssl) SSL_free(ssl);
    if (network) BIO_free(network);
  }
  /// Moves the backlog into the pair as far as it fits.
  void drain_backlog() {
    if (backlog.empty()) return;
    int n = BIO_write(network, backlog.data(), static_cast<int>(std::min<std::size_t>(backlog.size(), INT_MAX)));
    if (n > 0) backlog.erase(backlog.begin(), backlog.begin() + n);
  }
  /// Bytes received for the TLS layer: into the pair, the rest into the backlog.
  void take(std::span<const std::byte> bytes) {
    backlog.insert(backlog.end(), bytes.begin(), bytes.end());
    drain_backlog();
  }
#endif
};

Link::Link(std::shared_ptr<Socket> socket) : socket_(std::move(socket)) {}
Link::~Link() = default;

void Link::forget_tls() {
  std::lock_guard lock(ssl_mutex_);
  tls_.reset();
  plain_.clear();
}

bool Link::encrypted() const {
  std::lock_guard lock(ssl_mutex_);
  return tls_ != nullptr;
}

status_t Link::send_all(std::span<const std::byte> data, core::Deadline deadline, std::size_t* sent,
                        const Waker* cancel) {
  std::lock_guard send(send_mutex_);
  {
    std::unique_lock lock(ssl_mutex_);
    if (!tls_) {
      lock.unlock();
      return socket_->send_all(data, deadline, sent, cancel);
    }
  }
#ifdef CPPVISA_HAVE_OPENSSL
  std::size_t done = 0, moved = 0;
  if (sent) *sent = 0;
  while (done < data.size()) {
    std::size_t piece = std::min<std::size_t>(data.size() - done, write_piece);
    {
      std::lock_guard lock(ssl_mutex_);
      if (!tls_) return status::ERROR_CONN_LOST;
      ERR_clear_error();
      int n = SSL_write(tls_->ssl, data.data() + done, static_cast<int>(piece));
      if (n <= 0 && SSL_get_error(tls_->ssl, n) == SSL_ERROR_WANT_WRITE) {
        n = 0;  // the pair is full (records a failed flush left): flush, then the same write again
      } else if (n <= 0) {
        CPPVISA_LOG("tls", "SSL_write failed: {}", openssl_errors());
        if (sent) *sent = moved > 0 ? std::max<std::size_t>(1, std::min(done, data.size() - 1)) : 0;
        return status::ERROR_IO;
      }
      done += static_cast<std::size_t>(n);
    }
    std::size_t m = 0;
    status_t st = flush_out(deadline, cancel, &m);
    moved += m;
    if (st != status::SUCCESS) {
      // Records are cut: from the peer's side the stream is broken once anything left.
      if (sent) *sent = moved > 0 ? std::max<std::size_t>(1, std::min(done, data.size() - 1)) : 0;
      return st;
    }
  }
  if (sent) *sent = data.size();
  return status::SUCCESS;
#else
  return status::ERROR_NSUP_OPER;
#endif
}

status_t Link::flush_out(core::Deadline deadline, const Waker* cancel, std::size_t* moved) {
  if (moved) *moved = 0;
#ifdef CPPVISA_HAVE_OPENSSL
  // Callers hold send_mutex_: the only one draining the pair.
  for (;;) {
    std::shared_ptr<Tls> t;
    char* records = nullptr;
    int pending = 0;
    {
      std::lock_guard lock(ssl_mutex_);
      if (!tls_) return status::SUCCESS;
      t = tls_;
      pending = BIO_nread0(t->network, &records);
      if (pending <= 0) return status::SUCCESS;
    }
    std::size_t n = 0;
    status_t st = socket_->send_all(std::as_bytes(std::span(records, static_cast<std::size_t>(pending))), deadline,
                                    &n, cancel);
    {
      std::lock_guard lock(ssl_mutex_);
      if (n > 0) BIO_nread(t->network, &records, static_cast<int>(n));
    }
    if (moved) *moved += n;
    if (st != status::SUCCESS) return st;
  }
#else
  (void)deadline;
  (void)cancel;
  return status::SUCCESS;
#endif
}

status_t Link::feed(core::Deadline deadline, const Waker* cancel) {
#ifdef CPPVISA_HAVE_OPENSSL
  // Only one caller at a time receives (the link's reader, or start_tls/end_tls while no read
  // runs): the free space of the pair is ours until BIO_nwrite commits it.
  std::shared_ptr<Tls> t;
  char* space = nullptr;
  int room = 0;
  {
    std::lock_guard lock(ssl_mutex_);
    if (!tls_) return status::SUCCESS;  // ended meanwhile: the caller reads plain text
    t = tls_;
    if (!t->backlog.empty()) {
      t->drain_backlog();
      return status::SUCCESS;
    }
    room = BIO_nwrite0(t->network, &space);
    if (room <= 0) {
      // Cannot happen: OpenSSL takes a record (at most 16 KiB and its overhead) out of the pair
      // before it asks for more.
      return core::fail(status::ERROR_IO, "TLS: the receive buffer is full while OpenSSL wants more");
    }
  }
  std::size_t n = 0;
  if (status_t st = socket_->recv_some(std::as_writable_bytes(std::span(space, static_cast<std::size_t>(room))),
                                       deadline, n, cancel);
      st != status::SUCCESS)
    return st;
  std::lock_guard lock(ssl_mutex_);
  auto bytes = std::as_bytes(std::span(space, n));
  if (tls_ == t) {
    BIO_nwrite(t->network, &space, static_cast<int>(n));
  } else if (tls_) {  // a new TLS session began meanwhile: the bytes are its
    tls_->take(bytes);
  } else {  // ended meanwhile (end_tls on another thread): the bytes are plain
    plain_.insert(plain_.end(), bytes.begin(), bytes.end());
  }
  return status::SUCCESS;
#else
  (void)deadline;
  (void)cancel;
  return status::ERROR_NSUP_OPER;
#endif
}

status_t Link::recv_some(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count,
                         const Waker* cancel) {
  count = 0;
  for (;;) {
    {
      std::unique_lock lock(ssl_mutex_);
      if (!plain_.empty()) {
        count = std::min(buffer.size(), plain_.size());
        std::memcpy(buffer.data(), plain_.data(), count);
        plain_.erase(plain_.begin(), plain_.begin() + static_cast<std::ptrdiff_t>(count));
        return status::SUCCESS;
      }
      if (!tls_) {
        lock.unlock();
        return socket_->recv_some(buffer, deadline, count, cancel);
      }
#ifdef CPPVISA_HAVE_OPENSSL
      ERR_clear_error();
      int n = SSL_read(tls_->ssl, buffer.data(), static_cast<int>(std::min<std::size_t>(buffer.size(), INT_MAX)));
      if (n > 0) {
        // SSL_read gives one record at a time: take the records already here (decrypted or
        // whole in the pair) in the same call. Anything else (a partial record, an alert, the
        // end) is left for the next call, which reports it.
        count = static_cast<std::size_t>(n);
        while (count < buffer.size() && (SSL_pending(tls_->ssl) > 0 || BIO_ctrl_pending(tls_->inner) > 0)) {
          n = SSL_read(tls_->ssl, buffer.data() + count,
                       static_cast<int>(std::min<std::size_t>(buffer.size() - count, INT_MAX)));
          if (n <= 0) break;
          count += static_cast<std::size_t>(n);
        }
        ERR_clear_error();
        return status::SUCCESS;
      }
      int err = SSL_get_error(tls_->ssl, n);
      if (err == SSL_ERROR_ZERO_RETURN) {
        // The peer ended TLS without the protocol's transaction (EndTLS): the connection cannot
        // go on in step with it.
        CPPVISA_LOG("tls", "peer sent close_notify unexpectedly");
        return status::ERROR_CONN_LOST;
      }
      if (err != SSL_ERROR_WANT_READ) {
        CPPVISA_LOG("tls", "SSL_read failed: {}", openssl_errors());
        return status::ERROR_CONN_LOST;
      }
#endif
    }
    // Anything OpenSSL wants to say (an answer to a key update) leaves with the next write, or
    // now when no write is in progress.
    if (send_mutex_.try_lock()) {
      std::lock_guard send(send_mutex_, std::adopt_lock);
      flush_out(deadline, cancel, nullptr);
    }
    if (status_t st = feed(deadline, cancel); st != status::SUCCESS) return st;
  }
}

status_t Link::start_tls(const TlsContext& context, std::span<const std::byte> read_ahead, core::Deadline deadline,
                         std::string& error) {
#ifdef CPPVISA_HAVE_OPENSSL
  std::lock_guard send(send_mutex_);
  {
    std::lock_guard lock(ssl_mutex_);
    if (tls_) {
      error = "TLS is already on";
      return status::ERROR_IO;
    }
    auto t = std::make_shared<Tls>();
    t->ssl = SSL_new(ctx_of(context));
    if (!t->ssl || BIO_new_bio_pair(&t->inner, ring_size, &t->network, ring_size) != 1) {
      error = "TLS: " + openssl_errors();
      return status::ERROR_ALLOC;
    }
    SSL_set_bio(t->ssl, t->inner, t->inner);  // one reference, owned by ssl
    if (context.is_server()) {
      SSL_set_accept_state(t->ssl);
    } else {
      SSL_set_connect_state(t->ssl);
      const TlsClientConfig& c = context.client_config();
      if (!c.server_name.empty()) {
        bool ip = is_ip_literal(c.server_name);
        if (!ip) SSL_set_tlsext_host_name(t->ssl, c.server_name.c_str());
        if (c.verify && c.fingerprint.empty()) {
          if (ip)
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), c.server_name.c_str());
          else
            SSL_set1_host(t->ssl, c.server_name.c_str());
        }
      }
    }
    t->take(read_ahead);
    // Bytes that arrived in plain text after a previous close_notify belong to this handshake.
    t->take(plain_);
    plain_.clear();
    tls_ = std::move(t);
  }
  auto fail = [&](status_t st, std::string why) {
    error = std::move(why);
    std::lock_guard lock(ssl_mutex_);
    tls_.reset();
    return st;
  };
  for (;;) {
    int r = 0, err = 0;
    long verify = X509_V_OK;
    std::string errors;
    {
      std::lock_guard lock(ssl_mutex_);
      ERR_clear_error();
      r = SSL_do_handshake(tls_->ssl);
      if (r != 1) {
        err = SSL_get_error(tls_->ssl, r);
        verify = SSL_get_verify_result(tls_->ssl);
        if (err != SSL_ERROR_WANT_READ) errors = openssl_errors();
      }
    }
    status_t flushed = flush_out(deadline, nullptr, nullptr);  // alerts too
    if (r == 1) {
      if (flushed != status::SUCCESS) return fail(flushed, "TLS handshake: the peer went away");
      break;
    }
    if (err != SSL_ERROR_WANT_READ) {
      if (!context.is_server() && verify != X509_V_OK)
        return fail(certificate_status(verify),
                    std::string("TLS: the server's certificate was refused: ") + X509_verify_cert_error_string(verify));
      return fail(status::ERROR_IO, "TLS handshake failed: " + errors);
    }
    if (flushed != status::SUCCESS) return fail(flushed, "TLS handshake: the peer went away");
    status_t st = feed(deadline, nullptr);
    if (st == status::ERROR_TMO) return fail(st, "TLS handshake: no answer within the timeout");
    if (st != status::SUCCESS) return fail(status::ERROR_CONN_LOST, "TLS handshake: the peer closed the connection");
  }
  if (!context.is_server() && !context.client_config().fingerprint.empty()) {
    std::string got;
    {
      std::lock_guard lock(ssl_mutex_);
      X509* cert = SSL_get1_peer_certificate(tls_->ssl);
      got = hex_fingerprint(cert);
      X509_free(cert);
    }
    std::vector<unsigned char> want, have;
    decode_fingerprint(context.client_config().fingerprint, want);
    if (!decode_fingerprint(got, have) || have != want)
      return fail(status::ERROR_SERVER_CERT_UNTRUSTED,
                  "TLS: the server's certificate (SHA-256 " + got + ") is not the pinned one");
  }
  return status::SUCCESS;
#else
  (void)context;
  (void)read_ahead;
  (void)deadline;
  error = no_openssl;
  return status::ERROR_NSUP_OPER;
#endif
}

status_t Link::end_tls(core::Deadline deadline, std::string& error) {
#ifdef CPPVISA_HAVE_OPENSSL
  std::lock_guard send(send_mutex_);
  {
    std::lock_guard lock(ssl_mutex_);
    if (!tls_) return status::SUCCESS;
    tls_->closing = true;
    SSL_shutdown(tls_->ssl);  // our close_notify into the out BIO
  }
  if (status_t st = flush_out(deadline, nullptr, nullptr); st != status::SUCCESS) {
    error = "TLS close: the peer went away";
    return st;
  }
  std::array<std::byte, record_chunk> sink;
  for (;;) {
    {
      std::lock_guard lock(ssl_mutex_);
      ERR_clear_error();
      int n = SSL_read(tls_->ssl, sink.data(), static_cast<int>(sink.size()));
      if (n > 0) continue;  // late application data: dropped (the transaction said nothing follows)
      int err = SSL_get_error(tls_->ssl, n);
      if (err == SSL_ERROR_ZERO_RETURN) {
        // The peer's close_notify: what follows it is plain.
        // (Without read-ahead OpenSSL takes a record's bytes only: the rest is still in the pair.)
        int left = static_cast<int>(BIO_ctrl_pending(tls_->inner));
        if (left > 0) {
          std::size_t at = plain_.size();
          plain_.resize(at + static_cast<std::size_t>(left));
          BIO_read(tls_->inner, plain_.data() + at, left);
        }
        plain_.insert(plain_.end(), tls_->backlog.begin(), tls_->backlog.end());
        tls_.reset();
        return status::SUCCESS;
      }
      if (err != SSL_ERROR_WANT_READ) {
        error = "TLS close failed: " + openssl_errors();
        tls_.reset();
        return status::ERROR_IO;
      }
    }
    if (status_t st = feed(deadline, nullptr); st != status::SUCCESS) {
      error = st == status::ERROR_TMO ? "TLS close: no close_notify from the peer within the timeout"
                                      : "TLS close: the peer closed the connection";
      return st;
    }
  }
#else
  (void)deadline;
  error = "TLS is not on";
  return status::SUCCESS;
#endif
}

TlsInfo Link::tls_info() const {
  TlsInfo info;
#ifdef CPPVISA_HAVE_OPENSSL
  std::lock_guard lock(ssl_mutex_);
  if (!tls_) return info;
  info.version = SSL_get_version(tls_->ssl);
  if (const SSL_CIPHER* c = SSL_get_current_cipher(tls_->ssl)) info.cipher = SSL_CIPHER_get_name(c);
  if (X509* cert = SSL_get1_peer_certificate(tls_->ssl)) {
    info.peer_subject = name_line(X509_get_subject_name(cert));
    info.peer_issuer = name_line(X509_get_issuer_name(cert));
    info.peer_not_after = time_line(X509_get0_notAfter(cert));
    info.peer_fingerprint = hex_fingerprint(cert);
    X509_free(cert);
  }
#endif
  return info;
}

}  // namespace cppvisa::net
