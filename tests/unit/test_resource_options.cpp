#include "core/resource_options.hpp"

#include <gtest/gtest.h>

namespace cppvisa::core {
namespace {

constexpr std::string_view text = R"(# lab
; another comment
[TCPIP0::10.0.0.5::hislip0::INSTR]
tls_ca_file = /etc/lab/ca.pem
  SASL_User=alice
empty =

[TCPIP0::10.0.0.6::hislip0::INSTR]
tls_verify = off
)";

TEST(ResourceOptions, TheMatchingSectionOnly) {
  ResourceOptions o;
  std::string why;
  ASSERT_EQ(parse_resource_options(text, "tcpip0::10.0.0.5::HISLIP0::INSTR", o, why), status::SUCCESS) << why;
  EXPECT_EQ(o.values.size(), 3u);
  EXPECT_EQ(o.values.at("tls_ca_file"), "/etc/lab/ca.pem");
  EXPECT_EQ(o.values.at("sasl_user"), "alice");  // keys are lower-cased
  EXPECT_EQ(o.values.at("empty"), "");
  ASSERT_EQ(parse_resource_options(text, "TCPIP0::10.0.0.6::hislip0::INSTR", o, why), status::SUCCESS);
  EXPECT_EQ(o.values.at("tls_verify"), "off");
  ASSERT_EQ(parse_resource_options(text, "TCPIP0::10.0.0.7::hislip0::INSTR", o, why), status::SUCCESS);
  EXPECT_TRUE(o.values.empty());
}

TEST(ResourceOptions, MalformedLinesAreNamed) {
  ResourceOptions o;
  std::string why;
  EXPECT_EQ(parse_resource_options("key = outside\n", "X", o, why), status::ERROR_INV_SETUP);
  EXPECT_NE(why.find("line 1"), std::string::npos) << why;
  EXPECT_EQ(parse_resource_options("[X]\nno equals sign\n", "X", o, why), status::ERROR_INV_SETUP);
  EXPECT_NE(why.find("line 2"), std::string::npos) << why;
  EXPECT_EQ(parse_resource_options("[X\n", "X", o, why), status::ERROR_INV_SETUP);
  EXPECT_EQ(parse_resource_options("[X]\n= value\n", "X", o, why), status::ERROR_INV_SETUP);
}

TEST(ResourceOptions, Booleans) {
  bool v = false;
  for (auto t : {"1", "on", "TRUE", " yes "}) {
    v = false;
    EXPECT_TRUE(parse_option_bool(t, v)) << t;
    EXPECT_TRUE(v) << t;
  }
  for (auto t : {"0", "Off", "false", "no"}) {
    v = true;
    EXPECT_TRUE(parse_option_bool(t, v)) << t;
    EXPECT_FALSE(v) << t;
  }
  EXPECT_FALSE(parse_option_bool("maybe", v));
  EXPECT_FALSE(parse_option_bool("", v));
}

}  // namespace
}  // namespace cppvisa::core
