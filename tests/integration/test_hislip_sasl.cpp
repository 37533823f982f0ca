// HiSLIP 2.0 authentication (IVI-6.1 2.0 §3.9): our client against our server over loopback, with
// Cyrus SASL on both sides: SCRAM-SHA-256, PLAIN (only over TLS) and ANONYMOUS with right and wrong
// credentials, TLS on and off, a session that must authenticate before it reaches the device, a
// 1.0 session, the permission checks of the users and credentials files, and the credentials
// file picked up by a VISA session (HislipSession).
#include "core/error_detail.hpp"
#include "integration/fake_device.hpp"
#include "integration/hislip_raw_peer.hpp"
#include "integration/self_signed.hpp"
#include "protocols/hislip/hislip_client.hpp"
#include "protocols/hislip/hislip_sasl.hpp"
#include "protocols/hislip/hislip_server.hpp"
#include "protocols/hislip/hislip_session.hpp"

#include <cppvisa/backend.hpp>
#include <cppvisa/gateway.hpp>
#include <cppvisa/resource_name.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace cppvisa {
namespace {

namespace fs = std::filesystem;
using hislip::MessageType;
using testing::bytes_of;
using testing::FakeDevice;
using testing::RawSession;
using testing::text_of;

core::Deadline soon() { return core::Deadline::after_ms(10000); }

/// The cause recorded with the last failure (whatever its status).
std::string why_failed(status_t st) { return core::detail_for(st); }

bool has_mechanism(std::string_view m) {
  auto list = hislip::sasl_available_mechanisms();
  return std::find(list.begin(), list.end(), m) != list.end();
}

class HislipSasl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("cppvisa-sasl-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    if (!net::tls_available()) return;
    auto pair = testing::make_self_signed(dir_, "sasl", "subjectAltName=IP:127.0.0.1");
    cert_ = pair.cert;
    key_ = pair.key;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  void SetUp() override {
    if (!hislip::sasl_available()) GTEST_SKIP() << "built without Cyrus SASL";
  }
  void TearDown() override {
    if (server) server->stop();
  }
  static std::string write_file(const std::string& name, const std::string& text, mode_t mode) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::trunc) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  void start(bool tls = false, bool anonymous = false, bool with_users = true) {
    hislip::Server::Options options;
    if (with_users) options.sasl_users = std::make_shared<hislip::SaslUsers>(hislip::SaslUsers{{"alice", "s3cret:pass"}});
    options.sasl_anonymous = anonymous;
    if (tls) {
      options.tls_cert_file = cert_;
      options.tls_key_file = key_;
    }
    server = std::make_unique<hislip::Server>(options);
    device = std::make_shared<FakeDevice>();
    server->add_device("hislip0", device);
    ASSERT_EQ(server->start(), status::SUCCESS) << server->error();
  }
  bool tls_ready() const { return net::tls_available() && !cert_.empty(); }
  hislip::Client::Options client_options(std::string user, std::string password, std::string mechanism = {},
                                         bool tls = false) {
    hislip::Client::Options o;
    o.sasl = {std::move(mechanism), std::move(user), std::move(password)};
    o.require_encryption = tls;
    o.tls.ca_file = cert_;
    return o;
  }
  status_t open(hislip::Client& c) { return c.open({"127.0.0.1", server->port(), "hislip0"}, soon()); }
  std::string query(hislip::Client& c, std::string_view text) {
    std::size_t n = 0;
    EXPECT_EQ(c.write(bytes_of(text), true, n, soon()), status::SUCCESS);
    std::vector<std::byte> buffer(4096);
    EXPECT_EQ(c.read(buffer, n, core::ReadTermination{}, soon()), status::SUCCESS);
    return text_of(std::span(buffer).first(n));
  }

  static inline fs::path dir_;
  static inline std::string cert_, key_;
  std::shared_ptr<FakeDevice> device;
  std::unique_ptr<hislip::Server> server;
};

TEST_F(HislipSasl, ScramSha256WithoutTls) {
  if (!has_mechanism("SCRAM-SHA-256")) GTEST_SKIP() << "no SCRAM plugin (libsasl2-modules)";
  start();
  hislip::Client good(client_options("alice", "s3cret:pass"));
  ASSERT_EQ(open(good), status::SUCCESS) << why_failed(status::ERROR_NPERMISSION);
  EXPECT_EQ(good.sasl_mechanism(), "SCRAM-SHA-256");
  EXPECT_FALSE(good.encrypted());
  EXPECT_EQ(query(good, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
  std::uint8_t stb = 0;
  EXPECT_EQ(good.read_stb(stb, soon()), status::SUCCESS);

  hislip::Client wrong(client_options("alice", "s3cret"));
  EXPECT_EQ(open(wrong), status::ERROR_NPERMISSION);
  EXPECT_NE(why_failed(status::ERROR_NPERMISSION).find("refused authentication"), std::string::npos) << why_failed(status::ERROR_NPERMISSION);
  hislip::Client unknown(client_options("mallory", "s3cret:pass"));
  EXPECT_EQ(open(unknown), status::ERROR_NPERMISSION);
  EXPECT_EQ(query(good, "ECHO? still\n"), "still\n");  // the others' failures leave it alone
}

TEST_F(HislipSasl, UnauthenticatedSessionIsRefusedUntilItAuthenticates) {
  if (!has_mechanism("SCRAM-SHA-256")) GTEST_SKIP() << "no SCRAM plugin (libsasl2-modules)";
  start();
  hislip::Client c;  // no credentials: the open itself works (nothing reaches the device)
  ASSERT_EQ(open(c), status::SUCCESS);
  std::size_t n = 0;
  EXPECT_EQ(c.write(bytes_of("*IDN?\n"), true, n, soon()), status::SUCCESS);
  std::vector<std::byte> buffer(256);
  EXPECT_EQ(c.read(buffer, n, core::ReadTermination{}, soon()), status::ERROR_NPERMISSION);
  EXPECT_NE(why_failed(status::ERROR_NPERMISSION).find("requires authentication"), std::string::npos);
  std::uint8_t stb = 0;
  EXPECT_EQ(c.read_stb(stb, soon()), status::ERROR_NPERMISSION);
  EXPECT_EQ(c.lock("", 0, soon()), status::ERROR_NPERMISSION);
  EXPECT_EQ(device->bytes_written.load(), 0u);  // nothing reached the device
  // Writes nobody read the refusal of (Error 5 each) do not confuse the exchange that follows.
  EXPECT_EQ(c.write(bytes_of("*IDN?\n"), true, n, soon()), status::SUCCESS);
  EXPECT_EQ(c.trigger(soon()), status::SUCCESS);
  EXPECT_EQ(c.authenticate({"", "alice", "wrong"}, soon()), status::ERROR_NPERMISSION);
  EXPECT_EQ(c.read_stb(stb, soon()), status::ERROR_NPERMISSION);
  ASSERT_EQ(c.authenticate({"", "alice", "s3cret:pass"}, soon()), status::SUCCESS) << why_failed(status::ERROR_NPERMISSION);
  EXPECT_EQ(query(c, "*IDN?\n"), "FAKE,LAN-TEST,0,1.0\n");
  EXPECT_EQ(c.read_stb(stb, soon()), status::SUCCESS);
}

TEST_F(HislipSasl, PlainOnlyOverTls) {
  if (!has_mechanism("PLAIN")) GTEST_SKIP() << "no PLAIN plugin (libsasl2-modules)";
  start(tls_ready());
  // In the clear the client refuses before sending the password ...
  hislip::Client clear(client_options("alice", "s3cret:pass", "PLAIN"));
  EXPECT_EQ(open(clear), status::ERROR_INV_SETUP);
  EXPECT_NE(why_failed(status::ERROR_INV_SETUP).find("only over TLS"), std::string::npos) << why_failed(status::ERROR_INV_SETUP);
  // ... and the server neither offers PLAIN nor takes it.
  RawSession raw(server->port(), "hislip0", hislip::version_2_0);
  hislip::Message m;
  ASSERT_EQ(raw.sync.send(hislip::make_header(MessageType::get_sasl_mechanism_list)), status::SUCCESS);
  ASSERT_EQ(raw.sync.next(m), status::SUCCESS);
  ASSERT_TRUE(m.header.is(MessageType::get_sasl_mechanism_list_response));
  EXPECT_EQ(m.text().find("PLAIN"), std::string_view::npos) << m.text();
  ASSERT_EQ(raw.sync.send(hislip::make_header(MessageType::authentication_start), "PLAIN"), status::SUCCESS);
  ASSERT_EQ(raw.sync.next(m), status::SUCCESS);
  ASSERT_TRUE(m.header.is(MessageType::authentication_result));
  EXPECT_EQ(m.header.control & 1, 0);
  EXPECT_NE(m.text().find("only over TLS"), std::string_view::npos) << m.text();

  if (!tls_ready()) GTEST_SKIP() << "no TLS here: PLAIN over TLS not tried";
  hislip::Client good(client_options("alice", "s3cret:pass", "PLAIN", true));
  ASSERT_EQ(open(good), status::SUCCESS) << why_failed(status::ERROR_NPERMISSION);
  EXPECT_TRUE(good.encrypted());
  EXPECT_EQ(good.sasl_mechanism(), "PLAIN");
  EXPECT_EQ(query(good, "ECHO? plain\n"), "plain\n");
  hislip::Client wrong(client_options("alice", "nope", "PLAIN", true));
  EXPECT_EQ(open(wrong), status::ERROR_NPERMISSION);
}

TEST_F(HislipSasl, ScramSha256OverTls) {
  if (!has_mechanism("SCRAM-SHA-256")) GTEST_SKIP() << "no SCRAM plugin (libsasl2-modules)";
  if (!tls_ready()) GTEST_SKIP() << "no TLS here";
  start(true);
  hislip::Client good(client_options("alice", "s3cret:pass", "", true));
  ASSERT_EQ(open(good), status::SUCCESS) << why_failed(status::ERROR_NPERMISSION);
  EXPECT_TRUE(good.encrypted());
  EXPECT_EQ(good.sasl_mechanism(), "SCRAM-SHA-256");  // preferred over PLAIN when both are offered
  EXPECT_EQ(query(good, "ECHO? scram\n"), "scram\n");
  hislip::Client wrong(client_options("alice", "s3cret", "", true));
  EXPECT_EQ(open(wrong), status::ERROR_NPERMISSION);
}

TEST_F(HislipSasl, Anonymous) {
  if (!has_mechanism("ANONYMOUS")) GTEST_SKIP() << "no ANONYMOUS plugin (libsasl2-modules)";
  start(false, true, false);
  hislip::Client c(client_options("", "", "ANONYMOUS"));
  ASSERT_EQ(open(c), status::SUCCESS) << why_failed(status::ERROR_NPERMISSION);
  EXPECT_EQ(c.sasl_mechanism(), "ANONYMOUS");
  EXPECT_EQ(query(c, "ECHO? anon\n"), "anon\n");
  hislip::Client user(client_options("alice", "s3cret:pass"));  // the server has no users at all
  EXPECT_EQ(open(user), status::ERROR_NSUP_OPER);
  EXPECT_NE(why_failed(status::ERROR_NSUP_OPER).find("does not offer"), std::string::npos) << why_failed(status::ERROR_NSUP_OPER);
  server->stop();
  start();  // users, no anonymous access: ANONYMOUS is refused
  hislip::Client refused(client_options("", "", "ANONYMOUS"));
  EXPECT_EQ(open(refused), status::ERROR_NSUP_OPER);
}

TEST_F(HislipSasl, OldClientsCannotAuthenticate) {
  start();
  hislip::Client::Options o = client_options("alice", "s3cret:pass");
  o.version = hislip::version_1_0;
  hislip::Client c(o);
  EXPECT_EQ(open(c), status::ERROR_NSUP_OPER);
  // A 1.0 session (pyvisa-py's) is refused at the device with Error 5, not dropped.
  RawSession raw(server->port(), "hislip0");
  ASSERT_EQ(raw.sync.send(hislip::make_header(MessageType::data_end, 0, hislip::initial_message_id), "*IDN?\n"),
            status::SUCCESS);
  hislip::Message m;
  ASSERT_EQ(raw.sync.next(m), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::error));
  EXPECT_EQ(m.header.control, hislip::error::authentication_failed);
}

TEST_F(HislipSasl, UsersAndCredentialsFilesMustBePrivate) {
  std::string open_users = write_file("users-open", "alice:pw\n", 0644);
  hislip::SaslUsers users;
  std::string why;
  EXPECT_EQ(hislip::load_sasl_users(open_users, users, why), status::ERROR_FILE_ACCESS);
  EXPECT_NE(why.find("group or others"), std::string::npos) << why;
  std::string users_file = write_file("users", "# test users\nalice:pw:with colon\n\nbob: spaced \n", 0600);
  ASSERT_EQ(hislip::load_sasl_users(users_file, users, why), status::SUCCESS) << why;
  EXPECT_EQ(users.at("alice"), "pw:with colon");
  EXPECT_EQ(users.at("bob"), " spaced");
  std::string bad = write_file("users-bad", "no colon here\n", 0600);
  EXPECT_EQ(hislip::load_sasl_users(bad, users, why), status::ERROR_INV_SETUP);
  EXPECT_NE(why.find("line 1"), std::string::npos) << why;
  EXPECT_EQ(hislip::load_sasl_users((dir_ / "missing").string(), users, why), status::ERROR_FILE_ACCESS);

  hislip::SaslCredentials creds;
  bool found = false;
  std::string open_creds = write_file("creds-open", "* alice pw\n", 0640);
  EXPECT_EQ(hislip::load_sasl_credentials(open_creds, "127.0.0.1", 4880, creds, found, why), status::ERROR_FILE_ACCESS);
  std::string creds_file = write_file("creds", "10.0.0.1 bob x\n127.0.0.1:4881 carol y\n127.0.0.1 alice pass word\n", 0600);
  ASSERT_EQ(hislip::load_sasl_credentials(creds_file, "127.0.0.1", 4880, creds, found, why), status::SUCCESS) << why;
  EXPECT_TRUE(found);
  EXPECT_EQ(creds.user, "alice");
  EXPECT_EQ(creds.password, "pass word");
  ASSERT_EQ(hislip::load_sasl_credentials(creds_file, "127.0.0.1", 4881, creds, found, why), status::SUCCESS);
  EXPECT_EQ(creds.user, "carol");
  ASSERT_EQ(hislip::load_sasl_credentials(creds_file, "10.9.9.9", 4880, creds, found, why), status::SUCCESS);
  EXPECT_FALSE(found);

  // The gateway (visa-serve --sasl-users) refuses to start with a readable users file.
  GatewayOptions options;
  options.resources = {"GPIB0::7::INSTR"};
  options.hislip = GatewayAddress{};
  options.hislip_sasl_users = open_users;
  std::error_code ec;
  Gateway gateway(open_backend("@sim"), options);
  gateway.start(ec);
  EXPECT_EQ(to_status(ec), status::ERROR_FILE_ACCESS);
  EXPECT_NE(gateway.error_text().find("group or others"), std::string::npos) << gateway.error_text();
}

TEST_F(HislipSasl, VisaSessionTakesTheCredentialsFile) {
  if (!has_mechanism("SCRAM-SHA-256")) GTEST_SKIP() << "no SCRAM plugin (libsasl2-modules)";
  start();
  const std::string name = "TCPIP::127.0.0.1::hislip0," + std::to_string(server->port()) + "::INSTR";
  auto session_with = [&](const std::string& file) {
    ::setenv("CPPVISA_HISLIP_CREDENTIALS", file.c_str(), 1);
    status_t st = status::SUCCESS;
    auto session = hislip::make_session(ResourceName::parse(name), st);
    EXPECT_EQ(st, status::SUCCESS);
    st = session->connect(soon());
    ::unsetenv("CPPVISA_HISLIP_CREDENTIALS");
    return std::make_pair(st, std::move(session));
  };
  auto [st, good] = session_with(write_file("visa-creds", "127.0.0.1 alice s3cret:pass\n", 0600));
  ASSERT_EQ(st, status::SUCCESS) << why_failed(status::ERROR_NPERMISSION);
  AttrValue mech;
  ASSERT_EQ(good->get_attribute(attr::TCPIP_SASL_MECHANISM, mech), status::SUCCESS);
  EXPECT_EQ(std::get<std::string>(mech), "SCRAM-SHA-256");
  good->disconnect();
  EXPECT_EQ(session_with(write_file("visa-creds-wrong", "* alice wrong\n", 0600)).first, status::ERROR_NPERMISSION);
  EXPECT_EQ(session_with(write_file("visa-creds-open", "* alice s3cret:pass\n", 0644)).first, status::ERROR_FILE_ACCESS);
  EXPECT_NE(why_failed(status::ERROR_FILE_ACCESS).find("group or others"), std::string::npos);
}


TEST_F(HislipSasl, VisaSessionTakesTheResourceOptions) {
  if (!has_mechanism("SCRAM-SHA-256")) GTEST_SKIP() << "no SCRAM plugin (libsasl2-modules)";
  if (!tls_ready()) GTEST_SKIP() << "no TLS here";
  start(true);
  const std::string name = "TCPIP0::127.0.0.1::hislip0," + std::to_string(server->port()) + "::INSTR";
  auto session_with = [&](const std::string& file) {
    ::setenv("CPPVISA_RESOURCE_OPTIONS", file.c_str(), 1);
    ::setenv("CPPVISA_HISLIP_CREDENTIALS", (dir_ / "no-such-credentials").c_str(), 1);
    status_t st = status::SUCCESS;
    auto session = hislip::make_session(ResourceName::parse(name), st);
    EXPECT_EQ(st, status::SUCCESS);
    st = session->connect(soon());
    ::unsetenv("CPPVISA_RESOURCE_OPTIONS");
    ::unsetenv("CPPVISA_HISLIP_CREDENTIALS");
    return std::make_pair(st, std::move(session));
  };
  auto section = [&](const std::string& lines) { return "# test\n[other::resource]\nbogus = 1\n[" + name + "]\n" + lines; };
  // CA file, encryption required, credentials: encrypted and authenticated from the open.
  auto [st, good] = session_with(write_file("ro-good", section("tls_ca_file = " + cert_ +
      "\ntls_required = on\nsasl_user = alice\nsasl_password = s3cret:pass\n"), 0600));
  ASSERT_EQ(st, status::SUCCESS) << why_failed(st);
  AttrValue v;
  ASSERT_EQ(good->get_attribute(attr::TCPIP_HISLIP_ENCRYPTION_EN, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(v), 1);
  ASSERT_EQ(good->get_attribute(attr::TCPIP_SASL_MECHANISM, v), status::SUCCESS);
  EXPECT_EQ(std::get<std::string>(v), "SCRAM-SHA-256");
  good->disconnect();
  // Verification off: the self-signed certificate is taken without a CA file.
  const std::string creds = "sasl_user = alice\nsasl_password = s3cret:pass\n";
  EXPECT_EQ(session_with(write_file("ro-noverify", section("tls_verify = off\ntls_required = yes\n" + creds), 0600)).first,
            status::SUCCESS);
  // Without a CA file the system store does not know the test's certificate.
  EXPECT_EQ(session_with(write_file("ro-system", section("tls_required = 1\n" + creds), 0600)).first,
            status::ERROR_SERVER_CERT_UNTRUSTED);
  // A wrong pin is refused; the right one is taken.
  EXPECT_EQ(session_with(write_file("ro-pin-wrong", section("tls_required = on\ntls_fingerprint = " + std::string(64, 'A') +
                                                           "\n" + creds), 0600)).first,
            status::ERROR_SERVER_CERT_UNTRUSTED);
  // The password in a file others may read is refused; so is an unknown option or a bad value.
  EXPECT_EQ(session_with(write_file("ro-open", section("tls_verify = off\n" + creds), 0644)).first, status::ERROR_FILE_ACCESS);
  EXPECT_NE(why_failed(status::ERROR_FILE_ACCESS).find("sasl_password"), std::string::npos);
  EXPECT_EQ(session_with(write_file("ro-typo", section("tls_verfy = off\n"), 0600)).first, status::ERROR_INV_SETUP);
  EXPECT_NE(why_failed(status::ERROR_INV_SETUP).find("tls_verfy"), std::string::npos);
  EXPECT_EQ(session_with(write_file("ro-bad-bool", section("tls_verify = maybe\n"), 0600)).first, status::ERROR_INV_SETUP);
  // The user in the options, the password from the credentials file.
  ::setenv("CPPVISA_HISLIP_CREDENTIALS", write_file("ro-creds", "127.0.0.1 alice s3cret:pass\n", 0600).c_str(), 1);
  auto user_only = write_file("ro-with-credentials", section("tls_verify = off\nsasl_user = alice\n"), 0644);
  ::setenv("CPPVISA_RESOURCE_OPTIONS", user_only.c_str(), 1);
  status_t made = status::SUCCESS;
  auto session = hislip::make_session(ResourceName::parse(name), made);
  status_t connected = session->connect(soon());
  ::unsetenv("CPPVISA_RESOURCE_OPTIONS");
  ::unsetenv("CPPVISA_HISLIP_CREDENTIALS");
  EXPECT_EQ(connected, status::SUCCESS) << why_failed(connected);
}

}  // namespace
}  // namespace cppvisa
