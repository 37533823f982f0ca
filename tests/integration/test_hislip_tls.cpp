// HiSLIP 2.0 secure connections: our client against our server over loopback with a self-signed
// certificate made by the test (the `openssl` command), in each server mode (optional, encryption
// mandatory, initial encryption), every way of trusting the server (CA file, pinned fingerprint,
// verification off) and of refusing it (unknown issuer, wrong name, wrong pin, the system store),
// TLS started and ended mid-session, and clients that cannot or will not fall back.
#include "core/error_detail.hpp"
#include "integration/fake_device.hpp"
#include "integration/hislip_raw_peer.hpp"
#include "integration/self_signed.hpp"
#include "protocols/hislip/hislip_client.hpp"
#include "protocols/hislip/hislip_server.hpp"

#include <cppvisa/backend.hpp>
#include <cppvisa/gateway.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cppvisa {
namespace {

namespace fs = std::filesystem;
using hislip::MessageType;
using Encryption = hislip::Server::Options::Encryption;
using testing::bytes_of;
using testing::FakeDevice;
using testing::RawSession;
using testing::text_of;

core::Deadline soon() { return core::Deadline::after_ms(10000); }

using testing::CertPair;

class HislipTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!net::tls_available()) return;
    dir_ = fs::temp_directory_path() / ("cppvisa-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    good_ = make_pair("good", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    other_ = make_pair("other", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    misnamed_ = make_pair("misnamed", "subjectAltName=DNS:instrument.example");
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  static CertPair make_pair(const std::string& name, const std::string& san) {
    return testing::make_self_signed(dir_, name, san);
  }
  static std::string fingerprint(const CertPair& p) { return testing::fingerprint_of(p.cert); }

  void SetUp() override {
    if (!net::tls_available()) GTEST_SKIP() << "built without OpenSSL";
    if (good_.cert.empty() || misnamed_.cert.empty()) GTEST_SKIP() << "the openssl command could not make a certificate";
  }
  void TearDown() override {
    if (server) server->stop();
  }
  void start(Encryption mode = Encryption::optional, const CertPair* pair = nullptr, std::uint16_t max_version = hislip::protocol_version) {
    if (server) server->stop();
    hislip::Server::Options options;
    options.tls_cert_file = (pair ? *pair : good_).cert;
    options.tls_key_file = (pair ? *pair : good_).key;
    options.encryption = mode;
    options.max_version = max_version;
    server = std::make_unique<hislip::Server>(options);
    device = std::make_shared<FakeDevice>();
    server->add_device("hislip0", device);
    ASSERT_EQ(server->start(), status::SUCCESS) << server->error();
  }
  /// A client trusting the test's certificate (CA file).
  static hislip::Client::Options trusting(bool require = false) {
    hislip::Client::Options o;
    o.tls.ca_file = good_.cert;
    o.require_encryption = require;
    return o;
  }
  status_t open(hislip::Client& c) { return c.open({"127.0.0.1", server->port(), "hislip0"}, soon()); }
  std::string query(hislip::Client& c, std::string_view text, std::size_t size = 4096) {
    std::size_t n = 0;
    EXPECT_EQ(c.write(bytes_of(text), true, n, soon()), status::SUCCESS);
    std::vector<std::byte> buffer(size);
    EXPECT_EQ(c.read(buffer, n, core::ReadTermination{}, soon()), status::SUCCESS);
    return text_of(std::span(buffer).first(n));
  }

  static inline fs::path dir_;
  static inline CertPair good_, other_, misnamed_;
  std::shared_ptr<FakeDevice> device;
  std::unique_ptr<hislip::Server> server;
};

TEST_F(HislipTls, OptionalEncryptionStartedAndEndedMidSession) {
  start();
  hislip::Client c(trusting());
  ASSERT_EQ(open(c), status::SUCCESS);
  EXPECT_TRUE(c.server_secure_capable());
  EXPECT_FALSE(c.encrypted());  // the server does not require it, the user did not ask
  EXPECT_EQ(query(c, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
  ASSERT_EQ(c.start_tls(soon()), status::SUCCESS);
  EXPECT_TRUE(c.encrypted());
  EXPECT_FALSE(c.tls_info().cipher.empty());
  EXPECT_NE(c.tls_info().peer_subject.find("cppvisa-test-good"), std::string::npos) << c.tls_info().peer_subject;
  EXPECT_EQ(query(c, "ECHO? secret\n"), "secret\n");
  std::string block = query(c, "BLOCK? 300000\n", 400000);  // many records, many Data messages
  EXPECT_EQ(block.size(), 8u + 300000u + 1u);
  std::uint8_t stb = 0;
  EXPECT_EQ(c.read_stb(stb, soon()), status::SUCCESS);  // the asynchronous channel works too
  EXPECT_EQ(c.clear(soon()), status::SUCCESS);
  ASSERT_EQ(c.end_tls(soon()), status::SUCCESS);
  EXPECT_FALSE(c.encrypted());
  EXPECT_EQ(query(c, "ECHO? plain again\n"), "plain again\n");
  EXPECT_EQ(c.read_stb(stb, soon()), status::SUCCESS);
  ASSERT_EQ(c.start_tls(soon()), status::SUCCESS);  // and once more
  EXPECT_EQ(query(c, "ECHO? again\n"), "again\n");
}

TEST_F(HislipTls, EncryptionToggledBackToBack) {
  // The client's side of StartTLS/EndTLS can finish before the server's (the server's last record
  // is sent before its own call returns): the next AsyncStartTLS/AsyncEndTLS may reach the server
  // first, and must be answered for the finished switch, not refused as "already" (failed in CI).
  start();
  hislip::Client c(trusting());
  ASSERT_EQ(open(c), status::SUCCESS);
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(c.start_tls(soon()), status::SUCCESS) << "round " << i << ": " << core::detail_for(status::ERROR_IO);
    ASSERT_EQ(c.end_tls(soon()), status::SUCCESS) << "round " << i << ": " << core::detail_for(status::ERROR_IO);
  }
  EXPECT_FALSE(c.encrypted());
  EXPECT_EQ(query(c, "ECHO? still in step\n"), "still in step\n");
}

TEST_F(HislipTls, AClientRequiringEncryptionEncryptsAtOpen) {
  start();
  hislip::Client c(trusting(true));
  ASSERT_EQ(open(c), status::SUCCESS);
  EXPECT_TRUE(c.encrypted());
  EXPECT_EQ(query(c, "ECHO? x\n"), "x\n");
}

TEST_F(HislipTls, ARequiringClientRefusesToFallBack) {
  hislip::Server plain;  // no certificate: no secure connection offered
  plain.add_device("hislip0", std::make_shared<FakeDevice>());
  ASSERT_EQ(plain.start(), status::SUCCESS);
  hislip::Client c(trusting(true));
  core::clear_detail();
  EXPECT_EQ(c.open({"127.0.0.1", plain.port(), "hislip0"}, soon()), status::ERROR_NSUP_OPER);
  EXPECT_NE(core::detail_for(status::ERROR_NSUP_OPER).find("no fallback"), std::string::npos);
  hislip::Client d(trusting());
  ASSERT_EQ(d.open({"127.0.0.1", plain.port(), "hislip0"}, soon()), status::SUCCESS);
  EXPECT_EQ(d.start_tls(soon()), status::ERROR_NSUP_OPER);
  EXPECT_EQ(query(d, "ECHO? still plain\n"), "still plain\n");
  plain.stop();
  start(Encryption::optional, nullptr, hislip::version_1_1);  // a certificate, but a 1.1 server
  hislip::Client e(trusting(true));
  EXPECT_EQ(open(e), status::ERROR_NSUP_OPER);
}

TEST_F(HislipTls, MandatoryEncryptionIsFollowedAndCannotBeEnded) {
  start(Encryption::mandatory);
  hislip::Client c(trusting());  // the user did not ask: the server requires it
  ASSERT_EQ(open(c), status::SUCCESS);
  EXPECT_TRUE(c.encrypted());
  EXPECT_TRUE(c.encryption_mandatory());
  EXPECT_EQ(query(c, "ECHO? m\n"), "m\n");
  EXPECT_EQ(c.end_tls(soon()), status::ERROR_NSUP_OPER);
  EXPECT_TRUE(c.encrypted());
  EXPECT_EQ(query(c, "ECHO? still\n"), "still\n");
  {  // a 2.0 peer that skips the secure connection: FatalError 5
    RawSession s(server->port(), "hislip0", hislip::version_2_0);
    EXPECT_TRUE(s.init.encryption_mandatory);
    EXPECT_EQ(s.async_init.control & hislip::secure_connection_capable, hislip::secure_connection_capable);
    ASSERT_EQ(s.sync.send(hislip::make_header(MessageType::data_end, 0, hislip::initial_message_id), "*IDN?\n"),
              status::SUCCESS);
    hislip::Message m;
    ASSERT_EQ(s.sync.next(m), status::SUCCESS);
    EXPECT_TRUE(m.header.is(MessageType::fatal_error));
    EXPECT_EQ(m.header.control, hislip::fatal::secure_connection_failed);
  }
  {  // a 1.0 client (PyVISA-py's kind) cannot encrypt: FatalError 5 at its first message
    RawSession s(server->port(), "hislip0", hislip::version_1_0);
    EXPECT_FALSE(s.init.encryption_mandatory);  // reserved bits for 1.0
    ASSERT_EQ(s.async.send(hislip::make_header(MessageType::async_status_query, 0, hislip::no_message_id)), status::SUCCESS);
    hislip::Message m;
    ASSERT_EQ(s.async.next(m), status::SUCCESS);
    EXPECT_TRUE(m.header.is(MessageType::fatal_error));
    EXPECT_EQ(m.header.control, hislip::fatal::secure_connection_failed);
  }
  hislip::Client::Options old_options;
  old_options.version = hislip::version_1_0;
  hislip::Client old(old_options);
  old.open({"127.0.0.1", server->port(), "hislip0"}, soon());
  std::size_t n = 0;
  old.write(bytes_of("*IDN?\n"), true, n, soon());
  std::vector<std::byte> buffer(64);
  core::clear_detail();
  EXPECT_EQ(old.read(buffer, n, core::ReadTermination{}, soon()), status::ERROR_CONN_LOST);
  EXPECT_NE(core::detail_for(status::ERROR_CONN_LOST).find("FatalError 5"), std::string::npos)
      << core::detail_for(status::ERROR_CONN_LOST);
}

TEST_F(HislipTls, InitialEncryptionMayBeEndedLater) {
  start(Encryption::initial);
  hislip::Client c(trusting());
  ASSERT_EQ(open(c), status::SUCCESS);
  EXPECT_TRUE(c.encrypted());
  EXPECT_FALSE(c.encryption_mandatory());
  EXPECT_EQ(query(c, "ECHO? first\n"), "first\n");
  ASSERT_EQ(c.end_tls(soon()), status::SUCCESS);
  EXPECT_EQ(query(c, "ECHO? then plain\n"), "then plain\n");
}

TEST_F(HislipTls, AServerThatCannotBeTrustedIsRefused) {
  start(Encryption::mandatory);
  auto refused = [&](hislip::Client::Options o) {
    hislip::Client c(o);
    core::clear_detail();
    status_t st = open(c);
    EXPECT_FALSE(c.is_open() && c.encrypted());
    return st;
  };
  hislip::Client::Options o;  // the system's trust store does not know a self-signed test certificate
  EXPECT_EQ(refused(o), status::ERROR_SERVER_CERT_UNTRUSTED);
  EXPECT_NE(core::detail_for(status::ERROR_SERVER_CERT_UNTRUSTED).find("certificate"), std::string::npos);
  o.tls.ca_file = other_.cert;  // another certificate is trusted, not this one
  EXPECT_EQ(refused(o), status::ERROR_SERVER_CERT_UNTRUSTED);
  o.tls.ca_file = (dir_ / "missing.crt").string();
  EXPECT_EQ(refused(o), status::ERROR_FILE_ACCESS);
  o = {};
  o.tls.fingerprint = fingerprint(other_);  // pinned: another certificate
  ASSERT_FALSE(o.tls.fingerprint.empty());
  EXPECT_EQ(refused(o), status::ERROR_SERVER_CERT_UNTRUSTED);
  o.tls.fingerprint = "12:34";
  EXPECT_EQ(refused(o), status::ERROR_INV_SETUP);
  // Trusted ones: the CA file, the pin, verification off.
  for (int way = 0; way < 3; ++way) {
    hislip::Client::Options t;
    if (way == 0) t.tls.ca_file = good_.cert;
    if (way == 1) t.tls.fingerprint = fingerprint(good_);
    if (way == 2) t.tls.verify = false;
    hislip::Client c(t);
    ASSERT_EQ(open(c), status::SUCCESS) << way;
    EXPECT_TRUE(c.encrypted());
    EXPECT_EQ(query(c, "ECHO? trusted\n"), "trusted\n");
  }
  // The right issuer but another name: the name is checked too.
  start(Encryption::mandatory, &misnamed_);
  hislip::Client::Options named;
  named.tls.ca_file = misnamed_.cert;
  EXPECT_EQ(refused(named), status::ERROR_SERVER_CERT_INV_SUBJECT);
  named.tls.server_name = "instrument.example";
  hislip::Client c(named);
  core::clear_detail();
  EXPECT_EQ(open(c), status::SUCCESS) << core::detail_for(status::ERROR_IO);
  // The server goes on serving after refused handshakes.
  start(Encryption::mandatory);
  hislip::Client after(trusting());
  ASSERT_EQ(open(after), status::SUCCESS);
  EXPECT_EQ(query(after, "ECHO? fine\n"), "fine\n");
}

TEST_F(HislipTls, AServerWithoutAUsableCertificateDoesNotStart) {
  hislip::Server::Options options;
  options.tls_cert_file = (dir_ / "missing.crt").string();
  options.tls_key_file = good_.key;
  hislip::Server s(options);
  EXPECT_EQ(s.start(), status::ERROR_FILE_ACCESS);
  EXPECT_NE(s.error().find("missing.crt"), std::string::npos);
  options.tls_cert_file = other_.cert;  // a key of another certificate
  hislip::Server t(options);
  EXPECT_EQ(t.start(), status::ERROR_INV_SETUP);
  hislip::Server::Options none;
  none.encryption = Encryption::mandatory;
  hislip::Server u(none);
  EXPECT_EQ(u.start(), status::ERROR_INV_SETUP);
}

TEST_F(HislipTls, DescriptorsNameTheTlsVersions) {
  start();
  RawSession s(server->port(), "hislip0", hislip::version_2_0);
  ASSERT_EQ(s.async.send(hislip::make_header(MessageType::get_descriptors)), status::SUCCESS);
  hislip::Message m;
  ASSERT_EQ(s.async.next(m), status::SUCCESS);
  std::vector<hislip::Descriptor> list;
  ASSERT_TRUE(hislip::parse_descriptors(m.payload, list));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].type, hislip::descriptor::tls_versions);
}

TEST_F(HislipTls, VisaSessionsFollowTheServerAndShowTheConnection) {
  start(Encryption::mandatory);
  testing::HislipOnlyBackend backend;
  session_t rm = 0, s = 0;
  ASSERT_EQ(backend.open_default_rm(rm), status::SUCCESS);
  const std::string name = "TCPIP::127.0.0.1::hislip0," + std::to_string(server->port()) + "::INSTR";
  // The system's trust store does not know the test's certificate: refused at open.
  ::unsetenv("SSL_CERT_FILE");
  EXPECT_EQ(backend.open(rm, name, AccessMode::no_lock, 0, s), status::ERROR_SERVER_CERT_UNTRUSTED);
  // OpenSSL's SSL_CERT_FILE names the trust store a VISA session uses.
  ::setenv("SSL_CERT_FILE", good_.cert.c_str(), 1);
  ASSERT_EQ(backend.open(rm, name, AccessMode::no_lock, 0, s), status::SUCCESS);
  ::unsetenv("SSL_CERT_FILE");
  AttrValue v;
  ASSERT_EQ(backend.get_attribute(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 1);
  ASSERT_EQ(backend.get_attribute(s, attr::TCPIP_TLS_CIPHER_SUITE, v), status::SUCCESS);
  EXPECT_FALSE(std::get<std::string>(v).empty());
  ASSERT_EQ(backend.get_attribute(s, attr::TCPIP_SERVER_CERT_SUBJECT_NAME, v), status::SUCCESS);
  EXPECT_NE(std::get<std::string>(v).find("cppvisa-test-good"), std::string::npos);
  ASSERT_EQ(backend.get_attribute(s, attr::TCPIP_SERVER_CERT_EXPIRATION_DATE, v), status::SUCCESS);
  EXPECT_FALSE(std::get<std::string>(v).empty());
  EXPECT_EQ(backend.set_attribute(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{0}), status::ERROR_NSUP_OPER);
  std::size_t n = 0;
  ASSERT_EQ(backend.write(s, bytes_of("ECHO? visa\n"), n), status::SUCCESS);
  std::vector<std::byte> buffer(64);
  ASSERT_EQ(backend.read(s, buffer, n), status::SUCCESS);
  EXPECT_EQ(text_of(std::span(buffer).first(n)), "visa\n");
  EXPECT_EQ(backend.close(s), status::SUCCESS);
  // An optional server: plain at open, encrypted on request through the attribute, and back.
  start(Encryption::optional);
  const std::string plain_name = "TCPIP::127.0.0.1::hislip0," + std::to_string(server->port()) + "::INSTR";
  ASSERT_EQ(backend.open(rm, plain_name, AccessMode::no_lock, 0, s), status::SUCCESS);
  ASSERT_EQ(backend.get_attribute(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 0);
  ::setenv("SSL_CERT_FILE", good_.cert.c_str(), 1);
  EXPECT_EQ(backend.set_attribute(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{1}), status::SUCCESS);
  ::unsetenv("SSL_CERT_FILE");
  ASSERT_EQ(backend.get_attribute(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 1);
  EXPECT_EQ(backend.set_attribute(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{0}), status::SUCCESS);
  ASSERT_EQ(backend.write(s, bytes_of("ECHO? plain\n"), n), status::SUCCESS);
  ASSERT_EQ(backend.read(s, buffer, n), status::SUCCESS);
  EXPECT_EQ(text_of(std::span(buffer).first(n)), "plain\n");
  backend.close(rm);
}

TEST_F(HislipTls, ABusyServerGetsADeviceClearThenOneMoreTry) {
  using testing::ScriptedServer;
  using hislip::make_header;
  ScriptedServer scripted(
      [&](ScriptedServer& s) {
        s.expect_sync(MessageType::data_end, "Q1\n");
        s.send_sync(make_header(MessageType::data_end, 0, hislip::initial_message_id), "A1\n");
        hislip::Message m = s.expect_async(MessageType::async_start_tls);
        const auto last_received = hislip::encode_u32(hislip::initial_message_id);
        // RMT-delivered (A1 was read), the last MessageID sent, the last received in the payload.
        s.check(m.header.control == hislip::rmt_delivered && m.header.parameter == hislip::initial_message_id &&
                    std::equal(m.payload.begin(), m.payload.end(), last_received.begin(), last_received.end()),
                "AsyncStartTLS fields: control " + std::to_string(m.header.control) + " parameter " +
                    std::to_string(m.header.parameter) + " payload " + std::to_string(m.payload.size()) + " bytes");
        s.send_async(make_header(MessageType::async_start_tls_response, 0));  // busy
        s.expect_async(MessageType::async_device_clear);
        s.send_async(make_header(MessageType::async_device_clear_acknowledge));
        s.expect_sync(MessageType::device_clear_complete);
        s.send_sync(make_header(MessageType::device_clear_acknowledge));
        m = s.expect_async(MessageType::async_start_tls);
        s.check(m.header.parameter == hislip::no_message_id, "MessageIDs restart after the clear");
        s.send_async(make_header(MessageType::async_start_tls_response, 3));  // error this time
      },
      hislip::secure_connection_capable);
  hislip::Client c;
  ASSERT_EQ(c.open({"127.0.0.1", scripted.port(), "hislip0"}, soon()), status::SUCCESS);
  EXPECT_TRUE(c.server_secure_capable());
  EXPECT_EQ(query(c, "Q1\n"), "A1\n");
  core::clear_detail();
  EXPECT_EQ(c.start_tls(soon()), status::ERROR_IO);
  EXPECT_NE(core::detail_for(status::ERROR_IO).find("refused AsyncStartTLS (error)"), std::string::npos);
  EXPECT_FALSE(c.encrypted());
  EXPECT_EQ(scripted.verdict(), "");
}

TEST_F(HislipTls, TheGatewayServesEncryptionMandatory) {
  // What `visa-serve --hislip 0 --tls-cert F --tls-key K --tls-required` does.
  GatewayOptions o;
  o.resources = {"TCPIP::sim-scope::INSTR"};
  o.hislip = GatewayAddress{};
  o.hislip_tls_cert = good_.cert;
  o.hislip_tls_key = good_.key;
  o.hislip_tls_required = true;
  Gateway g(open_backend("@sim"), o);
  std::error_code ec;
  g.start(ec);
  ASSERT_FALSE(ec) << g.error_text();
  std::uint16_t port = 0;
  for (const auto& e : g.endpoints())
    if (e.protocol == "hislip") port = e.port;
  ASSERT_NE(port, 0);
  hislip::Client c(trusting());
  ASSERT_EQ(c.open({"127.0.0.1", port, "hislip0"}, soon()), status::SUCCESS);
  EXPECT_TRUE(c.encrypted());
  EXPECT_TRUE(c.encryption_mandatory());
  EXPECT_EQ(query(c, "*IDN?\n"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0\n");
  hislip::Client unverified;  // the system store does not know the test certificate
  EXPECT_EQ(unverified.open({"127.0.0.1", port, "hislip0"}, soon()), status::ERROR_SERVER_CERT_UNTRUSTED);
  GatewayOptions bad = o;
  bad.hislip_tls_cert = (dir_ / "missing.crt").string();
  Gateway h(open_backend("@sim"), bad);
  h.start(ec);
  EXPECT_TRUE(ec);
  EXPECT_NE(h.error_text().find("missing.crt"), std::string::npos) << h.error_text();
  g.stop();
}

}  // namespace
}  // namespace cppvisa
