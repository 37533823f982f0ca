// net::Link: a connected TCP socket that carries plain bytes until start_tls() and TLS records
// after it (until end_tls()), for protocols that switch to TLS mid-connection (HiSLIP 2.0's
// AsyncStartTLS / StartTLS). TLS comes from OpenSSL (Debian: libssl-dev) when the build found it
// (CPPVISA_HAVE_OPENSSL); without it start_tls() is VI_ERROR_NSUP_OPER and tls_available() false.
//
// OpenSSL runs over a BIO pair: the link moves the records between it and the non-blocking
// socket itself (up to 256 KiB per recv/send, straight from and into the pair's buffers), so
// deadlines and Wakers work as on a plain socket, bytes a caller read ahead before the switch
// can be handed to the handshake, and bytes that follow a close_notify are plain again. One
// reader and one writer may use a link at once (the HiSLIP server reads a channel on one thread
// and writes it from another): every OpenSSL call is made under one mutex and never waits while
// holding it.
#pragma once

#include "protocols/net/socket.hpp"

#include <cppvisa/status.hpp>

#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace cppvisa::net {

/// Whether this build has TLS (OpenSSL).
bool tls_available() noexcept;

/// How a TLS client checks the server.
struct TlsClientConfig {
  /// Check the certificate chain and the host name. Off: any certificate is accepted (a
  /// self-signed bench instrument; the connection is encrypted but not authenticated).
  bool verify = true;
  /// PEM file of the certificate authorities to trust ("": the system's trust store).
  std::string ca_file;
  /// SHA-256 fingerprint of the server's certificate (hex, ':' or spaces allowed). When set, the
  /// certificate that matches is trusted whatever its chain (a pinned certificate).
  std::string fingerprint;
  /// The name the certificate must carry (a host name or an IP address literal).
  std::string server_name;
};

/// What a TLS server presents.
struct TlsServerConfig {
  std::string cert_file;  ///< PEM certificate (chain)
  std::string key_file;   ///< PEM private key
};

/// An OpenSSL SSL_CTX (shared by every connection of a client or server).
class TlsContext {
 public:
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  /// A client context. ERROR_FILE_ACCESS (CA file unreadable), ERROR_NSUP_OPER (no TLS in this
  /// build), ERROR_INV_SETUP (a malformed fingerprint); `error` says why.
  static std::shared_ptr<TlsContext> client(const TlsClientConfig& config, status_t& st, std::string& error);
  /// A server context: the certificate and its key, checked to match.
  static std::shared_ptr<TlsContext> server(const TlsServerConfig& config, status_t& st, std::string& error);

  const TlsClientConfig& client_config() const noexcept { return client_config_; }
  bool is_server() const noexcept { return server_; }
  void* native() const noexcept { return ctx_; }  ///< SSL_CTX*

 private:
  TlsContext() = default;
  /// SSL_CTX_new(method) owned by `c`, TLS 1.2 at least; nullptr with st/error on failure.
  static ::ssl_ctx_st* new_context(TlsContext& c, const void* method, status_t& st, std::string& error);
  void* ctx_ = nullptr;
  bool server_ = false;
  TlsClientConfig client_config_;
  std::vector<unsigned char> pin_;  // the fingerprint, decoded
};

/// What a finished handshake agreed on.
struct TlsInfo {
  std::string version;        ///< "TLSv1.3"
  std::string cipher;         ///< "TLS_AES_256_GCM_SHA384"
  std::string peer_subject;   ///< the peer certificate's subject (one line), "" without one
  std::string peer_issuer;
  std::string peer_not_after;  ///< expiry, "Dec  6 00:00:00 2027 GMT"
  std::string peer_fingerprint;  ///< SHA-256, hex with ':'
};

class Link {
 public:
  explicit Link(std::shared_ptr<Socket> socket);
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  Socket& socket() noexcept { return *socket_; }
  bool valid() const noexcept { return socket_ && socket_->valid(); }
  /// shutdown(SHUT_RDWR): wakes calls blocked on this link in other threads.
  void shutdown() noexcept { socket_->shutdown(); }

  /// As Socket::send_all, through TLS while it is on. `sent` is data.size() when everything left,
  /// 0 when nothing did, in between when the stream was cut (also with TLS).
  status_t send_all(std::span<const std::byte> data, core::Deadline deadline, std::size_t* sent = nullptr,
                    const Waker* cancel = nullptr);
  /// As Socket::recv_some, through TLS while it is on. The peer's close_notify ends TLS (the
  /// bytes after it are plain) and is ERROR_CONN_LOST unless end_tls() expects it.
  status_t recv_some(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count,
                     const Waker* cancel = nullptr);

  /// The TLS handshake (client or server, as `context` is), within `deadline`. `read_ahead`:
  /// bytes already taken from the socket that belong to the handshake. On failure `error` says
  /// why and the status is ERROR_SERVER_CERT_* (a client refusing the certificate), ERROR_TMO,
  /// ERROR_CONN_LOST or ERROR_IO; the link is then unusable.
  status_t start_tls(const TlsContext& context, std::span<const std::byte> read_ahead, core::Deadline deadline,
                     std::string& error);
  /// Sends close_notify and waits for the peer's (IVI-6.1 2.0 EndTLS): plain again after it.
  /// Application data still arriving before the peer's close_notify is dropped; bytes that
  /// followed it are returned by the next recv_some.
  status_t end_tls(core::Deadline deadline, std::string& error);
  bool encrypted() const;
  TlsInfo tls_info() const;
  /// Drops the TLS state (the socket was closed and will be reused for a new connection).
  void forget_tls();

 private:
  struct Tls;
  status_t flush_out(core::Deadline deadline, const Waker* cancel, std::size_t* moved);
  status_t feed(core::Deadline deadline, const Waker* cancel);
  std::shared_ptr<Socket> socket_;
  mutable std::mutex ssl_mutex_;  // every OpenSSL call
  std::mutex send_mutex_;         // one writer at a time (records leave in order)
  std::shared_ptr<Tls> tls_;  // shared: feed/flush_out keep it alive while they wait
  std::vector<std::byte> plain_;  // plain bytes that followed a close_notify (under ssl_mutex_)
};

}  // namespace cppvisa::net
