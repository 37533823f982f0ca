// Tests of probe.hpp's pure parts: framing names and the pasteable settings. probe() itself runs
// against instruments on a pty and a socket in tests/tools/test_visa_probe.
#include <cppvisa/error.hpp>
#include <cppvisa/probe.hpp>

#include <gtest/gtest.h>

using namespace cppvisa;

TEST(Probe, FramingNames) {
  EXPECT_EQ(framing_name({}), "8N1");
  EXPECT_EQ(framing_name({7, Parity::even, StopBits::one}), "7E1");
  EXPECT_EQ(framing_name({5, Parity::space, StopBits::one_and_a_half}), "5S1.5");
  for (const char* name : {"8N1", "7E1", "7O1", "8N2", "6M1", "5S1.5"}) EXPECT_EQ(framing_name(parse_framing(name)), name);
  EXPECT_EQ(parse_framing("7e2"), (SerialFraming{7, Parity::even, StopBits::two}));
  for (const char* bad : {"", "8N", "9N1", "4N1", "8X1", "8N3", "8N1.0", "8N11"}) EXPECT_THROW(parse_framing(bad), Error) << bad;
}

TEST(Probe, SerialProperties) {
  OpenOptions open;
  add_serial_properties(open, 19200, SerialFraming{7, Parity::odd, StopBits::two});
  ASSERT_EQ(open.properties.size(), 4u);
  EXPECT_EQ(open.properties[0].first, "baud_rate");
  EXPECT_EQ(std::get<std::int64_t>(open.properties[0].second), 19200);
  EXPECT_EQ(std::get<std::int64_t>(open.properties[2].second), 1);   // VI_ASRL_PAR_ODD
  EXPECT_EQ(std::get<std::int64_t>(open.properties[3].second), 20);  // VI_ASRL_STOP_TWO
  OpenOptions none;
  add_serial_properties(none, std::nullopt, std::nullopt);
  EXPECT_TRUE(none.properties.empty());
}

TEST(Probe, Snippets) {
  ProbeResult r;
  r.found = true;
  r.write_termination = "\r";
  r.read_termination = "\r\n";
  auto lines = probe_snippets("TCPIP0::1.2.3.4::5025::SOCKET", r);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], R"(C++:    inst->set_write_termination("\r"); inst->set_read_termination("\r\n");)");
  EXPECT_EQ(lines[1],
            R"(PyVISA: rm.open_resource("TCPIP0::1.2.3.4::5025::SOCKET", write_termination="\r", read_termination="\r\n"))");
  EXPECT_EQ(lines[2], "visa:   --write-termination CR --read-termination CRLF");
  r.baud_rate = 19200;
  r.framing = SerialFraming{7, Parity::even, StopBits::one};
  lines = probe_snippets("ASRL1::INSTR", r);
  EXPECT_NE(lines[0].find("attr::ASRL_BAUD, 19200"), std::string::npos);
  EXPECT_NE(lines[0].find("attr::ASRL_PARITY, 2"), std::string::npos);
  EXPECT_NE(lines[1].find("baud_rate=19200, data_bits=7, parity=pyvisa.constants.Parity.even"), std::string::npos);
  EXPECT_EQ(lines[2], "visa:   --write-termination CR --read-termination CRLF --baud 19200 --framing 7E1");
}
