// Tests of recording.hpp: what sim_device_yaml() infers from a session, and that the simulator
// loads the file and replays the bytes as recorded (odd bytes, spaces at the ends, backslashes).
#include <cppvisa/message_based.hpp>
#include <cppvisa/recording.hpp>
#include <cppvisa/reply.hpp>
#include <cppvisa/resource_manager.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

using namespace cppvisa;

namespace {

SessionRecording session(std::vector<RecordedExchange> exchanges) {
  SessionRecording r;
  r.resource = "TCPIP0::10.0.0.5::5025::SOCKET";
  r.exchanges = std::move(exchanges);
  return r;
}

/// Writes `yaml` to a scratch file, opens the recorded resource on it through @sim and returns
/// the replies to `queries` (the read termination stripped).
std::vector<std::string> replay(const std::string& yaml, const std::vector<std::string>& queries) {
  std::string path = "/tmp/cppvisa-test-recording-" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(path, std::ios::binary) << yaml;
  std::vector<std::string> replies;
  {
    ResourceManager rm(path + "@sim");
    auto r = rm.open<MessageBasedResource>("TCPIP0::10.0.0.5::5025::SOCKET");
    r->set_timeout(200);
    r->set_read_termination("\n");
    r->set_write_termination("\n");
    for (auto& q : queries) {
      r->write(q);
      auto bytes = read_reply(*r);  // a block holding "\n" whole
      std::string s(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      if (!s.empty() && s.back() == '\n') s.pop_back();
      replies.push_back(s);
    }
  }
  ::unlink(path.c_str());
  return replies;
}

}  // namespace

TEST(Recording, DialoguesCommandsAndBytes) {
  std::string binary("#15\x00)\\\n\xff", 8);
  auto rec = session({{"*IDN?", "ACME,X,1,2"},
                      {"*RST", std::nullopt},
                      {"SPACES?", "  padded  "},
                      {"PATH?", "C:\\rnew\\n"},
                      {"BIN?", binary},
                      {"MEAS?", "1.0"},
                      {"MEAS?", "1.5"}});
  SimDeviceSummary sum;
  std::string yaml = sim_device_yaml(rec, "dev", &sum);
  EXPECT_EQ(sum.dialogues, 6);
  EXPECT_TRUE(sum.properties.empty());
  EXPECT_FALSE(sum.error);
  ASSERT_EQ(sum.notes.size(), 1u);
  EXPECT_EQ(sum.notes[0], "\"MEAS?\": 2 different replies seen; the last one is replayed");
  EXPECT_NE(yaml.find("TCPIP SOCKET: {q: \"BYTES(\\x0a)\", r: \"BYTES(\\x0a)\"}"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("- {q: \"*RST\"}"), std::string::npos);
  auto replies = replay(yaml, {"*IDN?", "SPACES?", "PATH?", "BIN?", "MEAS?"});
  EXPECT_EQ(replies, (std::vector<std::string>{"ACME,X,1,2", "  padded  ", "C:\\rnew\\n", binary, "1.5"}));
}

TEST(Recording, PropertiesFollowTheValuesSet) {
  auto rec = session({{"VOLT?", "+1.000E+00"},
                      {"VOLT 2.5", std::nullopt},
                      {"VOLT?", "+2.500E+00"},
                      {"MODE?", "AUTO"},
                      {"MODE MAN", std::nullopt},
                      {"MODE?", "MAN"},
                      {"COUNT 3", std::nullopt},
                      {"COUNT?", "+3"},
                      {"RANGE 1", std::nullopt},
                      {"RANGE?", "10"}});  // not what was set: no property, dialogues
  SimDeviceSummary sum;
  std::string yaml = sim_device_yaml(rec, "dev", &sum);
  EXPECT_EQ(sum.properties, (std::vector<std::string>{"count", "mode", "volt"}));
  ASSERT_EQ(sum.notes.size(), 1u);
  EXPECT_NE(sum.notes[0].find("RANGE?"), std::string::npos);
  EXPECT_NE(yaml.find("getter: {q: \"VOLT?\", r: \"{:+.3E}\"}"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("getter: {q: \"COUNT?\", r: \"{:+d}\"}"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("specs: {type: str}"), std::string::npos) << yaml;
  auto replies = replay(yaml, {"VOLT?", "MODE?", "COUNT?", "RANGE?"});
  EXPECT_EQ(replies, (std::vector<std::string>{"+1.000E+00", "AUTO", "+3", "10"}));
  std::string path = "/tmp/cppvisa-test-recording-set-" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(path, std::ios::binary) << yaml;
  {
    ResourceManager rm(path + "@sim");
    auto r = rm.open<MessageBasedResource>("TCPIP0::10.0.0.5::5025::SOCKET");
    r->set_timeout(200);
    r->set_read_termination("\n");
    r->set_write_termination("\n");
    r->write("VOLT 0.125");
    EXPECT_EQ(r->query("VOLT?"), "+1.250E-01");
    r->write("COUNT 42");
    EXPECT_EQ(r->query("COUNT?"), "+42");
  }
  ::unlink(path.c_str());
}

TEST(Recording, ErrorReplyAndTerminations) {
  auto rec = session({{"ID?", "METER 1"}, {"FOO?", "ERROR"}, {"BAR?", "ERROR"}, {"X 1", std::nullopt}});
  rec.write_termination = "\r\n";
  rec.read_termination = "\r";
  SimDeviceSummary sum;
  std::string yaml = sim_device_yaml(rec, "dev", &sum);
  EXPECT_EQ(sum.error, "ERROR");
  EXPECT_EQ(sum.dialogues, 2);  // ID? and X 1; FOO? and BAR? are what the error reply answers
  EXPECT_NE(yaml.find("TCPIP SOCKET: {q: \"BYTES(\\x0d\\x0a)\", r: \"BYTES(\\x0d)\"}"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("error: \"ERROR\""), std::string::npos);
}

TEST(Recording, FromATrace) {
  // Two processes with the same session number, a reply read in two pieces, a binary reply, a
  // write without reply, and lines that are not operations on a resource.
  std::string trace =
      R"({"pid":1,"op":"viOpenDefaultRM","session":1,"resource":"","status":"VI_SUCCESS"})" "\n"
      R"({"pid":1,"op":"viWrite","session":7,"resource":"GPIB0::5::INSTR","data":"\"ID?\\r\\n\""})" "\n"
      R"({"pid":2,"op":"viWrite","session":7,"resource":"ASRL1::INSTR","data":"\"X\\r\\n\""})" "\n"
      R"({"pid":1,"op":"viRead","session":7,"resource":"GPIB0::5::INSTR","status":"VI_SUCCESS_MAX_CNT","data":"\"MET\""})" "\n"
      R"({"pid":1,"op":"viRead","session":7,"resource":"GPIB0::5::INSTR","data":"\"ER 1\\n\""})" "\n"
      R"({"pid":1,"op":"viWrite","session":7,"resource":"GPIB0::5::INSTR","data":"\"RST\\r\\n\""})" "\n"
      R"({"pid":1,"op":"viWrite","session":7,"resource":"GPIB0::5::INSTR","data":"\"BIN?\\r\\n\""})" "\n"
      R"({"pid":1,"op":"viRead","session":7,"resource":"GPIB0::5::INSTR","data":"hex 23 31 31 ff 0a"})" "\n"
      "\n";
  auto recs = recordings_from_trace(trace);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].resource, "GPIB0::5::INSTR");
  EXPECT_EQ(recs[0].write_termination, "\r\n");
  EXPECT_EQ(recs[0].read_termination, "\n");  // of the text replies
  ASSERT_EQ(recs[0].exchanges.size(), 3u);
  EXPECT_EQ(recs[0].exchanges[0].command, "ID?");
  EXPECT_EQ(recs[0].exchanges[0].reply, "METER 1");
  EXPECT_FALSE(recs[0].exchanges[1].reply);
  EXPECT_EQ(recs[0].exchanges[2].reply, std::string("#11\xff", 4));
  EXPECT_EQ(recs[1].resource, "ASRL1::INSTR");
  EXPECT_THROW(recordings_from_trace("{\"op\":\"viWrite\"\n{oops"), Error);
  EXPECT_THROW(recordings_from_trace(R"x({"op":"viWrite","session":1,"resource":"A","data":"\"abc\" ... (900 bytes)"})x"),
               Error);
  EXPECT_TRUE(recordings_from_trace("").empty());
}
