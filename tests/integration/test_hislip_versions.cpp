// HiSLIP protocol versions (IVI-6.1 §6.1): our client and our server negotiating 1.0, 1.1 and 2.0
// with each other and with peers opened by hand, the negotiated version as the VISA attribute,
// and the 2.0 GetDescriptors transaction.
#include "core/session_backend.hpp"
#include "integration/fake_device.hpp"
#include "integration/hislip_raw_peer.hpp"
#include "protocols/hislip/hislip_client.hpp"
#include "protocols/hislip/hislip_server.hpp"
#include "protocols/hislip/hislip_session.hpp"

#include <gtest/gtest.h>

namespace cppvisa {
namespace {

using hislip::MessageType;
using testing::bytes_of;
using testing::FakeDevice;
using testing::RawPeer;
using testing::RawSession;
using testing::text_of;

core::Deadline soon() { return core::Deadline::after_ms(5000); }

class HislipVersions : public ::testing::Test {
 protected:
  void start(std::uint16_t max_version = hislip::protocol_version) {
    hislip::Server::Options options;
    options.max_version = max_version;
    server = std::make_unique<hislip::Server>(options);
    device = std::make_shared<FakeDevice>();
    server->add_device("hislip0", device);
    ASSERT_EQ(server->start(), status::SUCCESS);
  }
  void TearDown() override {
    if (server) server->stop();
  }
  /// Opens a client offering `offered`, checks that a query works, returns the negotiated version.
  std::uint16_t negotiated(std::uint16_t offered) {
    hislip::Client::Options options;
    options.version = offered;
    hislip::Client c(options);
    EXPECT_EQ(c.open({"127.0.0.1", server->port(), "hislip0"}, soon()), status::SUCCESS);
    std::size_t n = 0;
    EXPECT_EQ(c.write(bytes_of("*IDN?\n"), true, n, soon()), status::SUCCESS);
    std::vector<std::byte> buffer(256);
    EXPECT_EQ(c.read(buffer, n, core::ReadTermination{}, soon()), status::SUCCESS);
    EXPECT_EQ(text_of(std::span(buffer).first(n)), "FAKE,LAN-TEST,0,1.0\n");
    return c.version();
  }
  std::shared_ptr<FakeDevice> device;
  std::unique_ptr<hislip::Server> server;
};

TEST(HislipVersionRule, HighestKnownVersionAtMostBoth) {
  using namespace hislip;
  EXPECT_EQ(negotiate_version(0x0200, 0x0200), version_2_0);
  EXPECT_EQ(negotiate_version(0x0100, 0x0200), version_1_0);
  EXPECT_EQ(negotiate_version(0x0101, 0x0200), version_1_1);
  EXPECT_EQ(negotiate_version(0x0105, 0x0200), version_1_1);  // an unknown 1.x speaks 1.1
  EXPECT_EQ(negotiate_version(0x0300, 0x0200), version_2_0);  // a later client is answered 2.0
  EXPECT_EQ(negotiate_version(0x0200, 0x0101), version_1_1);
  EXPECT_EQ(negotiate_version(0x00FF, 0x0200), 0);            // not HiSLIP
  EXPECT_EQ(version_name(0x0201), "2.1");
}

TEST_F(HislipVersions, EachOfferMeetsEachServer) {
  start();
  EXPECT_EQ(negotiated(hislip::version_2_0), hislip::version_2_0);
  EXPECT_EQ(negotiated(hislip::version_1_1), hislip::version_1_1);
  EXPECT_EQ(negotiated(hislip::version_1_0), hislip::version_1_0);
  server->stop();
  start(hislip::version_1_0);  // an old server
  EXPECT_EQ(negotiated(hislip::version_2_0), hislip::version_1_0);
  EXPECT_EQ(negotiated(hislip::version_1_1), hislip::version_1_0);
  server->stop();
  start(hislip::version_1_1);
  EXPECT_EQ(negotiated(hislip::version_2_0), hislip::version_1_1);
}

TEST_F(HislipVersions, TheServerAnswersWhatTheClientOffered) {
  start();
  for (auto [offer, expected] : {std::pair<std::uint16_t, std::uint16_t>{0x0100, 0x0100}, {0x0101, 0x0101},
                                 {0x0109, 0x0101}, {0x0200, 0x0200}, {0x0307, 0x0200}}) {
    RawSession s(server->port(), "hislip0", offer);
    EXPECT_EQ(s.init.version, expected) << std::hex << offer;
    EXPECT_EQ(s.async_init.control & hislip::secure_connection_capable, 0);  // no TLS yet
    EXPECT_FALSE(s.init.encryption_mandatory);
    EXPECT_FALSE(s.init.initial_encryption);
  }
  RawPeer p(server->port());  // below 1.0: FatalError 3 naming the version, then closed
  ASSERT_EQ(p.send(hislip::make_header(MessageType::initialize, 0, hislip::initialize_parameter(0x0009, "XX")), "hislip0"),
            status::SUCCESS);
  hislip::Message m;
  ASSERT_EQ(p.next(m), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::fatal_error));
  EXPECT_EQ(m.header.control, hislip::fatal::invalid_init_sequence);
  EXPECT_NE(m.text().find("0.9"), std::string_view::npos) << m.text();
  EXPECT_EQ(p.next(m), status::ERROR_CONN_LOST);
}

TEST_F(HislipVersions, GetDescriptorsOnlyFromVersion2) {
  start();
  {
    RawSession s(server->port(), "hislip0", hislip::version_2_0);
    hislip::Message m;
    for (RawPeer* channel : {&s.sync, &s.async}) {  // "either" channel: answered where it came
      ASSERT_EQ(channel->send(hislip::make_header(MessageType::get_descriptors)), status::SUCCESS);
      ASSERT_EQ(channel->next(m), status::SUCCESS);
      EXPECT_TRUE(m.header.is(MessageType::get_descriptors_response)) << hislip::message_type_name(m.header.type);
      std::vector<hislip::Descriptor> list;
      EXPECT_TRUE(hislip::parse_descriptors(m.payload, list));
    }
  }
  RawSession old(server->port(), "hislip0", hislip::version_1_0);
  hislip::Message m;
  ASSERT_EQ(old.sync.send(hislip::make_header(MessageType::get_descriptors)), status::SUCCESS);
  ASSERT_EQ(old.sync.next(m), status::SUCCESS);
  EXPECT_TRUE(m.header.is(MessageType::error));
  EXPECT_EQ(m.header.control, hislip::error::unrecognized_type);
}

TEST(HislipDescriptors, RoundTripAndTruncation) {
  std::vector<hislip::Descriptor> in{{0, {std::byte{3}, std::byte{3}, std::byte{3}, std::byte{4}}}, {200, {}}};
  auto payload = hislip::encode_descriptors(in);
  EXPECT_EQ(payload.size(), 3u + 4u + 3u);
  std::vector<hislip::Descriptor> out;
  ASSERT_TRUE(hislip::parse_descriptors(payload, out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].type, 0);
  EXPECT_EQ(out[0].data, in[0].data);
  EXPECT_EQ(out[1].type, 200);
  payload.pop_back();
  EXPECT_FALSE(hislip::parse_descriptors(payload, out));
}

/// The negotiated version through a session (VI_ATTR_TCPIP_HISLIP_VERSION, ViVersion).
TEST_F(HislipVersions, TheNegotiatedVersionIsAnAttribute) {
  for (std::uint16_t server_version : {hislip::version_2_0, hislip::version_1_1, hislip::version_1_0}) {
    if (server) server->stop();
    start(server_version);
    testing::HislipOnlyBackend backend;
    session_t rm = 0, s = 0;
    ASSERT_EQ(backend.open_default_rm(rm), status::SUCCESS);
    ASSERT_EQ(backend.open(rm, "TCPIP::127.0.0.1::hislip0," + std::to_string(server->port()) + "::INSTR",
                           AccessMode::no_lock, 0, s),
              status::SUCCESS);
    AttrValue v;
    ASSERT_EQ(backend.get_attribute(s, attr::TCPIP_HISLIP_VERSION, v), status::SUCCESS);
    std::int64_t expected = (std::int64_t{server_version >> 8} << 20) | (std::int64_t{server_version & 0xFF} << 8);
    EXPECT_EQ(std::get<std::int64_t>(v), expected);
    backend.close(rm);
  }
}

}  // namespace
}  // namespace cppvisa
