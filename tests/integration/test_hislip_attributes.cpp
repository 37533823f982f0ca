// cppvisa's attributes for HiSLIP certificate checks and credentials (VI_ATTR_CPPVISA_TLS_*,
// VI_ATTR_CPPVISA_SASL_*), through VISA sessions (C++ backend interface and libvisa's C API)
// against our server over loopback: the certificate checks current when
// VI_ATTR_TCPIP_HISLIP_ENCRYPTION_EN is set (CA file right and wrong, verification off, pinned
// fingerprint right and wrong, a missing CA file, a malformed pin), authentication after open
// (after that secure connection, or on request), the write-only password, and defaults taken
// from the resource options open used.
#include "cabi/library.hpp"
#include "core/error_detail.hpp"
#include "integration/fake_device.hpp"
#include "integration/hislip_raw_peer.hpp"
#include "integration/self_signed.hpp"
#include "protocols/hislip/hislip_sasl.hpp"
#include "protocols/hislip/hislip_server.hpp"

#include <cppvisa/resource_manager.hpp>
#include <cppvisa/resources.hpp>
#include <visa.h>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace cppvisa {
namespace {

namespace fs = std::filesystem;
using Encryption = hislip::Server::Options::Encryption;
using testing::bytes_of;
using testing::CertPair;
using testing::FakeDevice;
using testing::HislipOnlyBackend;
using testing::text_of;

bool has_mechanism(std::string_view m) {
  auto list = hislip::sasl_available_mechanisms();
  return std::find(list.begin(), list.end(), m) != list.end();
}

class HislipAttributes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("cppvisa-hislip-attrs-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    if (!net::tls_available()) return;
    good_ = testing::make_self_signed(dir_, "good", "subjectAltName=IP:127.0.0.1");
    other_ = testing::make_self_signed(dir_, "other", "subjectAltName=IP:127.0.0.1");
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  void SetUp() override {
    if (!net::tls_available()) GTEST_SKIP() << "built without OpenSSL";
    if (good_.cert.empty() || other_.cert.empty()) GTEST_SKIP() << "the openssl command could not make a certificate";
    // Nothing of the machine's: no resource options, no credentials file, no trust store override.
    ::setenv("XDG_CONFIG_HOME", (dir_ / "config").c_str(), 1);
    ::unsetenv("CPPVISA_RESOURCE_OPTIONS");
    ::unsetenv("CPPVISA_HISLIP_CREDENTIALS");
    ::unsetenv("SSL_CERT_FILE");
    ASSERT_EQ(backend.open_default_rm(rm), status::SUCCESS);
  }
  void TearDown() override {
    if (rm) backend.close(rm);
    if (server) server->stop();
    ::unsetenv("XDG_CONFIG_HOME");
    ::unsetenv("CPPVISA_RESOURCE_OPTIONS");
  }
  /// Our server with the test's certificate (encryption optional), users when `users`.
  void start(bool users = false) {
    hislip::Server::Options options;
    options.tls_cert_file = good_.cert;
    options.tls_key_file = good_.key;
    options.encryption = Encryption::optional;
    if (users) options.sasl_users = std::make_shared<hislip::SaslUsers>(hislip::SaslUsers{{"alice", "s3cret:pass"}});
    server = std::make_unique<hislip::Server>(options);
    device = std::make_shared<FakeDevice>();
    server->add_device("hislip0", device);
    ASSERT_EQ(server->start(), status::SUCCESS) << server->error();
    name = "TCPIP0::127.0.0.1::hislip0," + std::to_string(server->port()) + "::INSTR";
  }
  session_t open() {
    session_t s = 0;
    status_t st = backend.open(rm, name, AccessMode::no_lock, 0, s);
    EXPECT_EQ(st, status::SUCCESS) << core::detail_for(st);
    return s;
  }
  status_t set(session_t s, attr_id_t id, AttrValue v) { return backend.set_attribute(s, id, v); }
  std::string text(session_t s, attr_id_t id) {
    AttrValue v;
    EXPECT_EQ(backend.get_attribute(s, id, v), status::SUCCESS) << id;
    auto* t = std::get_if<std::string>(&v);
    return t ? *t : std::string("<not a string>");
  }
  std::int64_t number(session_t s, attr_id_t id) {
    AttrValue v;
    EXPECT_EQ(backend.get_attribute(s, id, v), status::SUCCESS) << id;
    auto* i = std::get_if<std::int64_t>(&v);
    return i ? *i : -1;
  }
  status_t query(session_t s, std::string_view request, std::string& answer) {
    std::size_t n = 0;
    if (status_t st = backend.write(s, bytes_of(request), n); st < 0) return st;
    std::vector<std::byte> buffer(256);
    status_t st = backend.read(s, buffer, n);
    answer = text_of(std::span(buffer).first(n));
    return st;
  }
  static std::string write_file(const std::string& file, const std::string& content, mode_t mode) {
    std::string path = (dir_ / file).string();
    std::ofstream(path, std::ios::trunc) << content;
    ::chmod(path.c_str(), mode);
    return path;
  }

  static inline fs::path dir_;
  static inline CertPair good_, other_;
  HislipOnlyBackend backend;
  session_t rm = 0;
  std::shared_ptr<FakeDevice> device;
  std::unique_ptr<hislip::Server> server;
  std::string name;
};

TEST_F(HislipAttributes, EncryptionUsesTheCertificateChecksSetBeforeIt) {
  start();
  session_t s = open();
  // What open used: no resource options, so the system store, verification on, no pin.
  EXPECT_EQ(text(s, attr::CPPVISA_TLS_CA_FILE), "");
  EXPECT_EQ(text(s, attr::CPPVISA_TLS_FINGERPRINT), "");
  EXPECT_EQ(number(s, attr::CPPVISA_TLS_VERIFY_EN), 1);
  // The system store does not know the test's certificate.
  EXPECT_EQ(set(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{1}), status::ERROR_SERVER_CERT_UNTRUSTED);
  backend.close(s);

  // Another CA: refused too.
  s = open();
  ASSERT_EQ(set(s, attr::CPPVISA_TLS_CA_FILE, other_.cert), status::SUCCESS);
  EXPECT_EQ(set(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{1}), status::ERROR_SERVER_CERT_UNTRUSTED);
  EXPECT_NE(core::detail_for(status::ERROR_SERVER_CERT_UNTRUSTED).find("certificate"), std::string::npos)
      << core::detail_for(status::ERROR_SERVER_CERT_UNTRUSTED);
  backend.close(s);

  // A missing CA file and a malformed pin are refused when set, and leave the setting as it was.
  s = open();
  const std::string missing = (dir_ / "missing-ca.pem").string();
  EXPECT_EQ(set(s, attr::CPPVISA_TLS_CA_FILE, missing), status::ERROR_FILE_ACCESS);
  EXPECT_NE(core::detail_for(status::ERROR_FILE_ACCESS).find(missing), std::string::npos)
      << core::detail_for(status::ERROR_FILE_ACCESS);
  EXPECT_EQ(text(s, attr::CPPVISA_TLS_CA_FILE), "");
  EXPECT_EQ(set(s, attr::CPPVISA_TLS_FINGERPRINT, std::string("12:34")), status::ERROR_INV_SETUP);
  EXPECT_NE(core::detail_for(status::ERROR_INV_SETUP).find("12:34"), std::string::npos);
  EXPECT_EQ(text(s, attr::CPPVISA_TLS_FINGERPRINT), "");
  EXPECT_EQ(set(s, attr::CPPVISA_TLS_CA_FILE, std::int64_t{1}), status::ERROR_NSUP_ATTR_STATE);
  // The right CA: encrypted, and the session goes on.
  ASSERT_EQ(set(s, attr::CPPVISA_TLS_CA_FILE, good_.cert), status::SUCCESS);
  EXPECT_EQ(text(s, attr::CPPVISA_TLS_CA_FILE), good_.cert);
  EXPECT_EQ(number(s, attr::TCPIP_HISLIP_ENCRYPTION_EN), 0);
  ASSERT_EQ(set(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{1}), status::SUCCESS)
      << core::detail_for(status::ERROR_SERVER_CERT_UNTRUSTED);
  EXPECT_EQ(number(s, attr::TCPIP_HISLIP_ENCRYPTION_EN), 1);
  EXPECT_NE(text(s, attr::TCPIP_SERVER_CERT_SUBJECT_NAME).find("cppvisa-test-good"), std::string::npos);
  std::string answer;
  ASSERT_EQ(query(s, "ECHO? by attribute\n", answer), status::SUCCESS);
  EXPECT_EQ(answer, "by attribute\n");
  backend.close(s);
}

TEST_F(HislipAttributes, VerificationOffAndPinnedFingerprints) {
  start();
  // Verification off: the self-signed certificate is taken without a CA.
  session_t s = open();
  ASSERT_EQ(set(s, attr::CPPVISA_TLS_VERIFY_EN, std::int64_t{0}), status::SUCCESS);
  ASSERT_EQ(set(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{1}), status::SUCCESS);
  EXPECT_EQ(number(s, attr::TCPIP_HISLIP_ENCRYPTION_EN), 1);
  std::string answer;
  ASSERT_EQ(query(s, "ECHO? unverified\n", answer), status::SUCCESS);
  EXPECT_EQ(answer, "unverified\n");
  // Back to plain text; then on again with verification on and no CA: now refused.
  ASSERT_EQ(set(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{0}), status::SUCCESS);
  ASSERT_EQ(set(s, attr::CPPVISA_TLS_VERIFY_EN, std::int64_t{1}), status::SUCCESS);
  EXPECT_EQ(set(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{1}), status::ERROR_SERVER_CERT_UNTRUSTED);
  backend.close(s);

  // The pin of another certificate is refused; the right one is trusted whatever the chain.
  const std::string wrong_pin = testing::fingerprint_of(other_.cert), right_pin = testing::fingerprint_of(good_.cert);
  ASSERT_FALSE(wrong_pin.empty());
  ASSERT_FALSE(right_pin.empty());
  s = open();
  ASSERT_EQ(set(s, attr::CPPVISA_TLS_FINGERPRINT, wrong_pin), status::SUCCESS);
  EXPECT_EQ(set(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{1}), status::ERROR_SERVER_CERT_UNTRUSTED);
  backend.close(s);
  s = open();
  ASSERT_EQ(set(s, attr::CPPVISA_TLS_FINGERPRINT, right_pin), status::SUCCESS);
  EXPECT_EQ(text(s, attr::CPPVISA_TLS_FINGERPRINT), right_pin);
  ASSERT_EQ(set(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{1}), status::SUCCESS);
  ASSERT_EQ(query(s, "ECHO? pinned\n", answer), status::SUCCESS);
  EXPECT_EQ(answer, "pinned\n");
  backend.close(s);
}

TEST_F(HislipAttributes, AuthenticationAfterOpenByAttributes) {
  if (!hislip::sasl_available() || !has_mechanism("SCRAM-SHA-256")) GTEST_SKIP() << "no SASL / SCRAM plugin here";
  start(true);
  session_t s = open();  // no credentials: open works, the device is out of reach
  EXPECT_EQ(number(s, attr::CPPVISA_SASL_AUTHENTICATED), 0);
  EXPECT_EQ(text(s, attr::TCPIP_SASL_MECHANISM), "");
  std::string answer;
  EXPECT_EQ(query(s, "*IDN?\n", answer), status::ERROR_NPERMISSION);
  // Nothing to authenticate with yet.
  EXPECT_EQ(set(s, attr::CPPVISA_SASL_AUTHENTICATED, std::int64_t{1}), status::ERROR_INV_SETUP);
  EXPECT_NE(core::detail_for(status::ERROR_INV_SETUP).find("VI_ATTR_CPPVISA_SASL_USER"), std::string::npos);
  // A wrong password: refused as at open.
  ASSERT_EQ(set(s, attr::CPPVISA_SASL_USER, std::string("alice")), status::SUCCESS);
  ASSERT_EQ(set(s, attr::CPPVISA_SASL_PASSWORD, std::string("wrong")), status::SUCCESS);
  EXPECT_EQ(text(s, attr::CPPVISA_SASL_PASSWORD), "");  // never read back
  EXPECT_EQ(set(s, attr::CPPVISA_SASL_AUTHENTICATED, std::int64_t{1}), status::ERROR_NPERMISSION);
  EXPECT_NE(core::detail_for(status::ERROR_NPERMISSION).find("alice"), std::string::npos);
  EXPECT_EQ(number(s, attr::CPPVISA_SASL_AUTHENTICATED), 0);
  // The right one.
  ASSERT_EQ(set(s, attr::CPPVISA_SASL_PASSWORD, std::string("s3cret:pass")), status::SUCCESS);
  EXPECT_EQ(text(s, attr::CPPVISA_SASL_PASSWORD), "");
  ASSERT_EQ(set(s, attr::CPPVISA_SASL_AUTHENTICATED, std::int64_t{1}), status::SUCCESS)
      << core::detail_for(status::ERROR_NPERMISSION);
  EXPECT_EQ(number(s, attr::CPPVISA_SASL_AUTHENTICATED), 1);
  EXPECT_EQ(text(s, attr::TCPIP_SASL_MECHANISM), "SCRAM-SHA-256");
  ASSERT_EQ(query(s, "*IDN?\n", answer), status::SUCCESS);
  EXPECT_EQ(answer, "FAKE,LAN-TEST,0,1.0\n");
  // HiSLIP cannot end an authentication.
  EXPECT_EQ(set(s, attr::CPPVISA_SASL_AUTHENTICATED, std::int64_t{0}), status::ERROR_NSUP_ATTR_STATE);
  EXPECT_NE(core::detail_for(status::ERROR_NSUP_ATTR_STATE).find("§3.9"), std::string::npos);
  EXPECT_EQ(number(s, attr::CPPVISA_SASL_AUTHENTICATED), 1);
  backend.close(s);
}

TEST_F(HislipAttributes, EncryptionThenAuthenticationWithTheCredentialsSet) {
  if (!hislip::sasl_available() || !has_mechanism("PLAIN")) GTEST_SKIP() << "no SASL / PLAIN plugin here";
  start(true);
  // PLAIN carries the password: only over TLS, so it can only follow the secure connection.
  session_t s = open();
  ASSERT_EQ(set(s, attr::CPPVISA_SASL_MECHANISM, std::string("PLAIN")), status::SUCCESS);
  ASSERT_EQ(set(s, attr::CPPVISA_SASL_USER, std::string("alice")), status::SUCCESS);
  ASSERT_EQ(set(s, attr::CPPVISA_SASL_PASSWORD, std::string("nope")), status::SUCCESS);
  EXPECT_EQ(set(s, attr::CPPVISA_SASL_AUTHENTICATED, std::int64_t{1}), status::ERROR_INV_SETUP);  // not in the clear
  ASSERT_EQ(set(s, attr::CPPVISA_TLS_CA_FILE, good_.cert), status::SUCCESS);
  // Encrypted, then refused: the connection stays encrypted, the session unauthenticated.
  EXPECT_EQ(set(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{1}), status::ERROR_NPERMISSION);
  EXPECT_EQ(number(s, attr::TCPIP_HISLIP_ENCRYPTION_EN), 1);
  EXPECT_EQ(number(s, attr::CPPVISA_SASL_AUTHENTICATED), 0);
  backend.close(s);

  s = open();
  ASSERT_EQ(set(s, attr::CPPVISA_SASL_MECHANISM, std::string("PLAIN")), status::SUCCESS);
  ASSERT_EQ(set(s, attr::CPPVISA_SASL_USER, std::string("alice")), status::SUCCESS);
  ASSERT_EQ(set(s, attr::CPPVISA_SASL_PASSWORD, std::string("s3cret:pass")), status::SUCCESS);
  ASSERT_EQ(set(s, attr::CPPVISA_TLS_CA_FILE, good_.cert), status::SUCCESS);
  ASSERT_EQ(set(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{1}), status::SUCCESS)
      << core::detail_for(status::ERROR_NPERMISSION);
  EXPECT_EQ(number(s, attr::TCPIP_HISLIP_ENCRYPTION_EN), 1);
  EXPECT_EQ(number(s, attr::CPPVISA_SASL_AUTHENTICATED), 1);
  EXPECT_EQ(text(s, attr::TCPIP_SASL_MECHANISM), "PLAIN");
  std::string answer;
  ASSERT_EQ(query(s, "ECHO? plain over tls\n", answer), status::SUCCESS);
  EXPECT_EQ(answer, "plain over tls\n");
  // Off and on again with the same credentials: no second authentication is needed.
  ASSERT_EQ(set(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{0}), status::SUCCESS);
  ASSERT_EQ(set(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{1}), status::SUCCESS);
  ASSERT_EQ(query(s, "ECHO? again\n", answer), status::SUCCESS);
  EXPECT_EQ(answer, "again\n");
  backend.close(s);
}

TEST_F(HislipAttributes, DefaultsAreTheResourceOptionsOpenUsed) {
  if (!hislip::sasl_available() || !has_mechanism("SCRAM-SHA-256")) GTEST_SKIP() << "no SASL / SCRAM plugin here";
  start(true);
  ::setenv("CPPVISA_RESOURCE_OPTIONS",
           write_file("options.ini",
                      "[" + name + "]\ntls_ca_file = " + good_.cert + "\ntls_verify = off\nsasl_user = alice\n"
                      "sasl_password = s3cret:pass\n", 0600).c_str(), 1);
  session_t s = open();
  EXPECT_EQ(text(s, attr::CPPVISA_TLS_CA_FILE), good_.cert);
  EXPECT_EQ(number(s, attr::CPPVISA_TLS_VERIFY_EN), 0);
  EXPECT_EQ(text(s, attr::CPPVISA_SASL_USER), "alice");
  EXPECT_EQ(text(s, attr::CPPVISA_SASL_MECHANISM), "");
  EXPECT_EQ(text(s, attr::CPPVISA_SASL_PASSWORD), "");  // set by the options, still not readable
  EXPECT_EQ(number(s, attr::CPPVISA_SASL_AUTHENTICATED), 1);  // at open
  // Enabling encryption later does not authenticate again with the same credentials.
  ASSERT_EQ(set(s, attr::TCPIP_HISLIP_ENCRYPTION_EN, std::int64_t{1}), status::SUCCESS);
  std::string answer;
  ASSERT_EQ(query(s, "ECHO? from options\n", answer), status::SUCCESS);
  EXPECT_EQ(answer, "from options\n");
  backend.close(s);
}

TEST_F(HislipAttributes, TheyBelongToHislipSessionsOnly) {
  // The attributes belong to HiSLIP sessions only: a TCPIP INSTR session of another protocol
  // would otherwise store a CA file it never uses.
  const AttrInfo* info = find_attribute(attr::CPPVISA_TLS_CA_FILE);
  ASSERT_NE(info, nullptr);
  EXPECT_FALSE(info->read_only);
  EXPECT_FALSE(attribute_applies_to(*info, InterfaceType::tcpip, "INSTR"));
  EXPECT_EQ(find_attribute("VI_ATTR_CPPVISA_SASL_PASSWORD")->id, attr::CPPVISA_SASL_PASSWORD);
}

TEST_F(HislipAttributes, CppApiTypedAccessors) {
  const bool users = hislip::sasl_available() && has_mechanism("SCRAM-SHA-256");
  start(users);
  ResourceManager manager("@native");
  auto inst = manager.open<TCPIPInstrument>(name);
  EXPECT_FALSE(inst->encrypted());
  EXPECT_TRUE(inst->tls_verify());
  try {
    inst->set_tls_ca_file((dir_ / "absent.pem").string());
    ADD_FAILURE() << "a missing CA file was taken";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_FILE_ACCESS);
    EXPECT_NE(e.detail().find("absent.pem"), std::string::npos) << e.detail();
  }
  inst->set_tls_fingerprint(testing::fingerprint_of(good_.cert));
  EXPECT_EQ(inst->tls_fingerprint(), testing::fingerprint_of(good_.cert));
  if (users) {
    inst->set_sasl_credentials("alice", "s3cret:pass");
    EXPECT_FALSE(inst->authenticated());
  }
  inst->set_encryption(true);
  EXPECT_TRUE(inst->encrypted());
  EXPECT_EQ(inst->authenticated(), users);
  EXPECT_EQ(inst->query("ECHO? typed\n"), "typed\n");
  if (users) {
    inst->set_sasl_credentials("alice", "wrong");
    try {
      inst->authenticate();
      ADD_FAILURE() << "a wrong password was taken";
    } catch (const VisaIOError& e) {
      EXPECT_EQ(e.error_code(), status::ERROR_NPERMISSION);
    }
    EXPECT_FALSE(inst->authenticated());
    inst->set_sasl_credentials("alice", "s3cret:pass");
    inst->authenticate();
    EXPECT_TRUE(inst->authenticated());
  }
  inst->close();
}

/// A copy of the test's certificate under a path of more than 300 bytes (three 100-byte folders):
/// longer than the ViChar[256] the C API reads a string attribute into.
std::string long_ca_path(const fs::path& dir, const std::string& cert) {
  fs::path folder = dir / std::string(100, 'a') / std::string(100, 'b') / std::string(100, 'c');
  fs::create_directories(folder);
  fs::path path = folder / "ca.pem";
  fs::copy_file(cert, path, fs::copy_options::overwrite_existing);
  return path.string();
}

TEST_F(HislipAttributes, CppApiReadsALongCaFilePathWhole) {
  start();
  const std::string path = long_ca_path(dir_, good_.cert);
  ASSERT_GT(path.size(), 300u);
  ResourceManager manager("@native");
  auto inst = manager.open<TCPIPInstrument>(name);
  inst->set_tls_ca_file(path);
  EXPECT_EQ(inst->tls_ca_file(), path);
  AttrValue generic = inst->get_visa_attribute(attr::CPPVISA_TLS_CA_FILE);
  ASSERT_TRUE(std::holds_alternative<std::string>(generic));
  EXPECT_EQ(std::get<std::string>(generic), path);
  const std::string user(1000, 'u');
  inst->set_sasl_credentials(user, "pw");
  EXPECT_EQ(inst->get_string_attribute(attr::CPPVISA_SASL_USER), user);
  inst->set_sasl_credentials("", "");
  // The whole path is the one used: the server's certificate is trusted through it.
  inst->set_encryption(true);
  EXPECT_TRUE(inst->encrypted());
  EXPECT_EQ(inst->query("ECHO? long path\n"), "long path\n");
  inst->close();
}

// ---- the same through libvisa's C API (viSetAttribute takes a string's address) ----

ViAttrState address_of(const std::string& text) {
  return static_cast<ViAttrState>(reinterpret_cast<std::uintptr_t>(text.c_str()));
}

std::string c_text(ViSession s, ViAttr id) {
  ViChar buffer[256] = {};
  EXPECT_EQ(viGetAttribute(s, id, buffer), VI_SUCCESS) << id;
  return buffer;
}

std::string c_status(ViSession s, ViStatus st) {
  ViChar buffer[256] = {};
  viStatusDesc(s, st, buffer);
  return buffer;
}

TEST_F(HislipAttributes, CApiSetsStringAttributes) {
  start(hislip::sasl_available() && has_mechanism("SCRAM-SHA-256"));
  const bool users = hislip::sasl_available() && has_mechanism("SCRAM-SHA-256");
  cabi::Library::instance().set_backends({std::make_shared<HislipOnlyBackend>()});
  ViSession vrm = VI_NULL, s = VI_NULL;
  ASSERT_EQ(viOpenDefaultRM(&vrm), VI_SUCCESS);
  ASSERT_EQ(viOpen(vrm, name.c_str(), VI_NULL, VI_NULL, &s), VI_SUCCESS);

  const std::string missing = (dir_ / "nowhere.pem").string();
  EXPECT_EQ(viSetAttribute(s, VI_ATTR_CPPVISA_TLS_CA_FILE, address_of(missing)), VI_ERROR_FILE_ACCESS);
  EXPECT_NE(c_status(s, VI_ERROR_FILE_ACCESS).find(missing), std::string::npos) << c_status(s, VI_ERROR_FILE_ACCESS);
  EXPECT_EQ(viSetAttribute(s, VI_ATTR_CPPVISA_TLS_FINGERPRINT, address_of("zz")), VI_ERROR_INV_SETUP);
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_CPPVISA_TLS_CA_FILE, address_of(good_.cert)), VI_SUCCESS);
  EXPECT_EQ(c_text(s, VI_ATTR_CPPVISA_TLS_CA_FILE), good_.cert);
  ViBoolean verify = VI_FALSE;
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_CPPVISA_TLS_VERIFY_EN, &verify), VI_SUCCESS);
  EXPECT_EQ(verify, VI_TRUE);
  // The standard's string attributes stay read-only; VI_NULL empties a writable one.
  EXPECT_EQ(viSetAttribute(s, VI_ATTR_TCPIP_ADDR, address_of("10.0.0.1")), VI_ERROR_ATTR_READONLY);
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_CPPVISA_SASL_MECHANISM, VI_NULL), VI_SUCCESS);
  EXPECT_EQ(c_text(s, VI_ATTR_CPPVISA_SASL_MECHANISM), "");
  // Credentials, then encryption: authenticated after the secure connection.
  if (users) {
    ASSERT_EQ(viSetAttribute(s, VI_ATTR_CPPVISA_SASL_USER, address_of("alice")), VI_SUCCESS);
    ASSERT_EQ(viSetAttribute(s, VI_ATTR_CPPVISA_SASL_PASSWORD, address_of("s3cret:pass")), VI_SUCCESS);
    EXPECT_EQ(c_text(s, VI_ATTR_CPPVISA_SASL_PASSWORD), "");
    EXPECT_EQ(c_text(s, VI_ATTR_CPPVISA_SASL_USER), "alice");
  }
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TCPIP_HISLIP_ENCRYPTION_EN, VI_TRUE), VI_SUCCESS)
      << c_status(s, VI_ERROR_NPERMISSION);
  ViBoolean on = VI_FALSE;
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_TCPIP_HISLIP_ENCRYPTION_EN, &on), VI_SUCCESS);
  EXPECT_EQ(on, VI_TRUE);
  if (users) {
    EXPECT_EQ(c_text(s, VI_ATTR_TCPIP_SASL_MECHANISM), "SCRAM-SHA-256");
    ViBoolean authenticated = VI_FALSE;
    ASSERT_EQ(viGetAttribute(s, VI_ATTR_CPPVISA_SASL_AUTHENTICATED, &authenticated), VI_SUCCESS);
    EXPECT_EQ(authenticated, VI_TRUE);
  }
  ViUInt32 n = 0;
  const std::string request = "ECHO? c api\n";
  ASSERT_EQ(viWrite(s, reinterpret_cast<ViConstBuf>(request.data()), static_cast<ViUInt32>(request.size()), &n),
            VI_SUCCESS);
  char answer[64] = {};
  ASSERT_GE(viRead(s, reinterpret_cast<ViPBuf>(answer), sizeof answer, &n), VI_SUCCESS);
  EXPECT_EQ(std::string(answer, n), "c api\n");
  // A string longer than any path or credential is refused, not read on and on.
  const std::string huge(5000, 'x');
  EXPECT_EQ(viSetAttribute(s, VI_ATTR_CPPVISA_SASL_USER, address_of(huge)), VI_ERROR_NSUP_ATTR_STATE);
  viClose(vrm);
  cabi::Library::instance().set_backends({});
}

TEST_F(HislipAttributes, CApiLongStringReadsBackAsAnErrorWithinTheBuffer) {
  start();
  cabi::Library::instance().set_backends({std::make_shared<HislipOnlyBackend>()});
  ViSession vrm = VI_NULL, s = VI_NULL;
  ASSERT_EQ(viOpenDefaultRM(&vrm), VI_SUCCESS);
  ASSERT_EQ(viOpen(vrm, name.c_str(), VI_NULL, VI_NULL, &s), VI_SUCCESS);
  // A 256-byte buffer as VISA callers give, and a canary after it.
  constexpr char canary = 0x5A;
  std::array<char, 256 + 64> memory{};
  auto reset = [&] { memory.fill(canary); };
  auto canary_intact = [&] {
    return std::all_of(memory.begin() + 256, memory.end(), [](char c) { return c == canary; });
  };

  // Set through the C API (up to 4096 bytes are taken: the path is used whole).
  const std::string path = long_ca_path(dir_, good_.cert);
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_CPPVISA_TLS_CA_FILE, address_of(path)), VI_SUCCESS);
  reset();
  EXPECT_EQ(viGetAttribute(s, VI_ATTR_CPPVISA_TLS_CA_FILE, memory.data()), VI_ERROR_USER_BUF);
  EXPECT_TRUE(canary_intact());
  EXPECT_EQ(memory[0], '\0') << "no partial path";
  const std::string why = c_status(s, VI_ERROR_USER_BUF);
  EXPECT_NE(why.find("VI_ATTR_CPPVISA_TLS_CA_FILE"), std::string::npos) << why;
  EXPECT_NE(why.find(std::to_string(path.size()) + " bytes"), std::string::npos) << why;

  // The boundary: 255 characters and the NUL fit, 256 do not.
  const std::string fits(255, 'u'), too_long(256, 'u');
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_CPPVISA_SASL_USER, address_of(fits)), VI_SUCCESS);
  reset();
  EXPECT_EQ(viGetAttribute(s, VI_ATTR_CPPVISA_SASL_USER, memory.data()), VI_SUCCESS);
  EXPECT_EQ(std::string(memory.data()), fits);
  EXPECT_TRUE(canary_intact());
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_CPPVISA_SASL_USER, address_of(too_long)), VI_SUCCESS);
  reset();
  EXPECT_EQ(viGetAttribute(s, VI_ATTR_CPPVISA_SASL_USER, memory.data()), VI_ERROR_USER_BUF);
  EXPECT_TRUE(canary_intact());
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_CPPVISA_SASL_USER, VI_NULL), VI_SUCCESS);

  // The long path set through the C API is the one used: the certificate is trusted through it.
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TCPIP_HISLIP_ENCRYPTION_EN, VI_TRUE), VI_SUCCESS)
      << c_status(s, VI_ERROR_SERVER_CERT_UNTRUSTED);
  ViBoolean on = VI_FALSE;
  ASSERT_EQ(viGetAttribute(s, VI_ATTR_TCPIP_HISLIP_ENCRYPTION_EN, &on), VI_SUCCESS);
  EXPECT_EQ(on, VI_TRUE);
  viClose(vrm);
  cabi::Library::instance().set_backends({});
}

}  // namespace
}  // namespace cppvisa
