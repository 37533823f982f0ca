// net::AddressFilter: CIDR parsing (IPv4, IPv6, mapped forms), error texts, matching.
#include "protocols/net/address_filter.hpp"

#include <gtest/gtest.h>

namespace cppvisa::net {
namespace {

IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a) << text;
  return a.value_or(IpAddress{});
}

std::string canonical(std::string_view entry) {
  std::string error;
  auto n = Network::parse(entry, &error);
  EXPECT_TRUE(n) << entry << ": " << error;
  return n ? n->to_string() : error;
}

std::string error_of(std::string_view entry) {
  std::string error;
  EXPECT_FALSE(Network::parse(entry, &error)) << entry;
  EXPECT_FALSE(error.empty()) << entry;
  return error;
}

TEST(IpAddress, ParsesNumericFormsOnly) {
  EXPECT_TRUE(ip("10.1.2.3").is_v4());
  EXPECT_EQ(ip("10.1.2.3").to_string(), "10.1.2.3");
  EXPECT_FALSE(ip("::1").is_v4());
  EXPECT_EQ(ip("0:0:0:0:0:0:0:1").to_string(), "::1");
  EXPECT_EQ(ip("FD00:0::AB").to_string(), "fd00::ab");
  // The mapped form is the IPv4 address.
  EXPECT_TRUE(ip("::ffff:10.1.2.3").is_v4());
  EXPECT_EQ(ip("::ffff:10.1.2.3"), ip("10.1.2.3"));
  EXPECT_EQ(ip("::ffff:a01:203"), ip("10.1.2.3"));
  EXPECT_EQ(ip("::ffff:10.1.2.3").to_string(), "10.1.2.3");
  for (auto bad : {"", "localhost", "10.1.2", "10.1.2.3.4", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "[::1]", "::1%lo",
                   "1:2:3:4:5:6:7:8:9", ":::", "10.01.2.3x", "-1.2.3.4"})
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
  EXPECT_FALSE(IpAddress::parse(std::string_view("1.2.3.4\0x", 9)));  // an embedded NUL is not an end
  const std::uint8_t four[4] = {192, 168, 0, 1};
  EXPECT_EQ(IpAddress::from_bytes(four, 4)->to_string(), "192.168.0.1");
  EXPECT_FALSE(IpAddress::from_bytes(four, 3));
}

TEST(Network, CanonicalForms) {
  EXPECT_EQ(canonical("192.168.1.0/24"), "192.168.1.0/24");
  EXPECT_EQ(canonical("10.0.0.7"), "10.0.0.7/32");
  EXPECT_EQ(canonical("0.0.0.0/0"), "0.0.0.0/0");
  EXPECT_EQ(canonical("::1"), "::1/128");
  EXPECT_EQ(canonical("FD00::/8"), "fd00::/8");
  EXPECT_EQ(canonical("::/0"), "::/0");
  EXPECT_EQ(canonical("10.0.0.0/008"), "10.0.0.0/8");
  // IPv4-mapped networks are the IPv4 networks they cover.
  EXPECT_EQ(canonical("::ffff:10.0.0.0/104"), "10.0.0.0/8");
  EXPECT_EQ(canonical("::ffff:10.0.0.1"), "10.0.0.1/32");
  EXPECT_EQ(canonical("::ffff:0.0.0.0/96"), "0.0.0.0/0");
  // The canonical form parses back to the same network.
  for (auto text : {"192.168.1.0/24", "fd00::/8", "::ffff:10.0.0.0/104", "2001:db8::/32", "::/0"}) {
    auto n = Network::parse(text);
    ASSERT_TRUE(n) << text;
    auto again = Network::parse(n->to_string());
    ASSERT_TRUE(again) << n->to_string();
    EXPECT_EQ(*again, *n) << text;
  }
}

TEST(Network, ErrorsSayWhatIsWrong) {
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("10.0.0.1/8").find("did you mean 10.0.0.0/8?"), std::string::npos);
  EXPECT_NE(error_of("fd00::1/8").find("did you mean fd00::/8?"), std::string::npos);
  EXPECT_NE(error_of("::ffff:10.0.0.1/104").find("did you mean 10.0.0.0/8?"), std::string::npos);
  EXPECT_NE(error_of("10.0.0.0/33").find("0..32"), std::string::npos);
  EXPECT_NE(error_of("fd00::/129").find("0..128"), std::string::npos);
  EXPECT_NE(error_of("10.0.0.0/").find("missing prefix length"), std::string::npos);
  EXPECT_NE(error_of("/8").find("missing address"), std::string::npos);
  EXPECT_NE(error_of("10.0.0.0/8x").find("decimal"), std::string::npos);
  EXPECT_NE(error_of("10.0.0.0/1234").find("0..32"), std::string::npos);
  EXPECT_NE(error_of("10.0.0.0/-8").find("decimal"), std::string::npos);
  EXPECT_NE(error_of("10.0.0.0/8/8").find("decimal"), std::string::npos);
  EXPECT_NE(error_of("localhost").find("host names"), std::string::npos);
  EXPECT_NE(error_of("[::1]/128").find("brackets"), std::string::npos);
  EXPECT_NE(error_of("fe80::1%eth0").find("zone"), std::string::npos);
  EXPECT_NE(error_of("300.0.0.0/8").find("IPv4"), std::string::npos);
  EXPECT_NE(error_of("1:2:3:4:5:6:7:8:9").find("IPv6"), std::string::npos);
  EXPECT_NE(error_of(std::string(200, '1')).find("too long"), std::string::npos);
  // The entry is quoted with control bytes escaped, so an error text is always printable.
  std::string e = error_of(std::string_view("1.2.3.4\0\n", 9));
  EXPECT_NE(e.find("'1.2.3.4\\x00\\x0a'"), std::string::npos) << e;
}

TEST(Network, Contains) {
  auto lan = *Network::parse("192.168.0.0/16");
  EXPECT_TRUE(lan.contains(ip("192.168.4.5")));
  EXPECT_TRUE(lan.contains(ip("::ffff:192.168.4.5")));  // what a dual-stack listener reports
  EXPECT_FALSE(lan.contains(ip("192.169.0.1")));
  EXPECT_FALSE(lan.contains(ip("fd00::1")));
  auto odd = *Network::parse("10.0.0.128/25");
  EXPECT_TRUE(odd.contains(ip("10.0.0.255")));
  EXPECT_FALSE(odd.contains(ip("10.0.0.127")));
  auto all4 = *Network::parse("0.0.0.0/0");
  EXPECT_TRUE(all4.contains(ip("1.2.3.4")));
  EXPECT_FALSE(all4.contains(ip("::1")));
  auto all = *Network::parse("::/0");
  EXPECT_TRUE(all.contains(ip("::1")));
  EXPECT_TRUE(all.contains(ip("1.2.3.4")));
  auto ula = *Network::parse("fd00::/8");
  EXPECT_TRUE(ula.contains(ip("fdff:1::2")));
  EXPECT_FALSE(ula.contains(ip("fe00::1")));
  EXPECT_FALSE(ula.contains(ip("10.0.0.1")));
  auto host = *Network::parse("::1");
  EXPECT_TRUE(host.contains(ip("::1")));
  EXPECT_FALSE(host.contains(ip("::2")));
}

TEST(AddressFilter, EmptyAllowsEveryoneElseOnlyTheListed) {
  AddressFilter f;
  EXPECT_TRUE(f.empty());
  EXPECT_TRUE(f.allows("203.0.113.9"));
  EXPECT_TRUE(f.allows("not an address"));  // nothing to check against
  std::string error;
  ASSERT_TRUE(f.add("127.0.0.0/8", &error)) << error;
  ASSERT_TRUE(f.add("::1", &error)) << error;
  EXPECT_FALSE(f.add("10.0.0.1/8", &error));
  EXPECT_NE(error.find("10.0.0.0/8"), std::string::npos);
  EXPECT_EQ(f.networks().size(), 2u);  // the bad entry changed nothing
  EXPECT_EQ(f.to_string(), "127.0.0.0/8, ::1/128");
  EXPECT_TRUE(f.allows("127.0.0.2"));
  EXPECT_TRUE(f.allows("::ffff:127.0.0.1"));
  EXPECT_TRUE(f.allows("::1"));
  EXPECT_FALSE(f.allows("10.0.0.1"));
  EXPECT_FALSE(f.allows("::2"));
  EXPECT_FALSE(f.allows(""));
  EXPECT_FALSE(f.allows("localhost"));  // only numeric peers can match
  EXPECT_TRUE(f.allows(ip("127.1.2.3")));
}

}  // namespace
}  // namespace cppvisa::net
