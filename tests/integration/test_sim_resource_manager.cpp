// The sim backend through the public C++ API, as users write it: ResourceManager("@sim") and
// ResourceManager("file.yaml@sim"), queries, binary blocks, status byte, triggers, load errors.
#include <cppvisa/cppvisa.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "support/source_tree.hpp"

using cppvisa::testing::source_path;

namespace cppvisa {
namespace {

using ::testing::HasSubstr;

TEST(SimResourceManager, BundledInstruments) {
  ResourceManager rm("@sim");
  auto names = rm.list_resources("?*");
  EXPECT_EQ(names.size(), 26u);
  auto lsg = rm.open<MessageBasedResource>("ASRL1::INSTR");
  lsg->set_read_termination("\n");  // write termination: "\r\n" by default, as device 1 expects on ASRL
  EXPECT_EQ(lsg->query("?IDN"), "LSG Serial #1234");
  EXPECT_EQ(lsg->query("!FREQ 12.3"), "OK");
  EXPECT_EQ(lsg->query("?FREQ"), "12.30");

  auto psu = rm.open<MessageBasedResource>("TCPIP::localhost:2222::INSTR");
  psu->set_read_termination("\n");
  psu->set_write_termination("\n");
  EXPECT_EQ(psu->query("*IDN?"), "SCPI,MOCK,VERSION_1.0");
  psu->set_timeout(100);
  psu->write("BOGUS");
  try {
    psu->read();
    ADD_FAILURE() << "no timeout";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
  }
  EXPECT_EQ(psu->query("*ESR?"), "32");
}

TEST(SimResourceManager, OscilloscopeWaveformStatusByteAndTrigger) {
  ResourceManager rm("@sim");
  auto scope = rm.open<MessageBasedResource>("TCPIP::sim-scope::INSTR");
  scope->set_read_termination("\n");
  scope->set_write_termination("\n");
  scope->write(":WAV:POIN 100000");
  auto wave = scope->query_binary_values<std::int16_t>(":WAV:DATA?");
  ASSERT_EQ(wave.size(), 100000u);
  EXPECT_EQ(wave[0], 0);
  EXPECT_EQ(wave[250], 25000);  // a quarter of the 1000-sample period
  EXPECT_EQ(wave[750], -25000);
  EXPECT_EQ(scope->read_stb(), 0);
  scope->write("*SRE 16");
  scope->write("*IDN?");
  EXPECT_EQ(scope->read_stb(), 0x50);
  EXPECT_EQ(scope->read(), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0");
  scope->assert_trigger();
  scope->clear();
  EXPECT_EQ(scope->query(":CHAN2:SCAL?"), "1.000E+00");
  scope->write(":CHAN2:SCAL 0.5");
  EXPECT_EQ(scope->query(":CHAN2:SCAL?"), "5.000E-01");
}

TEST(SimResourceManager, UserFileAndUnknownResource) {
  ResourceManager rm(source_path("tests/data/sim/channels.yaml") + "@sim");
  auto dev = rm.open<MessageBasedResource>("ASRL2::INSTR");
  dev->set_read_termination("\n");
  EXPECT_EQ(dev->query("CH 1:VOLT:IMM:AMPL?"), "+1.00000000E+00");
  try {
    rm.open_resource("ASRL9::INSTR");
    ADD_FAILURE() << "opened";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_RSRC_NFOUND);
  }
}

TEST(SimResourceManager, BrokenUserFile) {
  auto path = std::filesystem::temp_directory_path() / ("cppvisa_sim_rm_" + std::to_string(::getpid()) + ".yaml");
  { std::ofstream(path) << "spec: \"1.1\"\ndevices:\n  d:\n    dialogues: {q: A}\n"; }
  try {
    ResourceManager rm(path.string() + "@sim");
    ADD_FAILURE() << "loaded";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_LIBRARY_NFOUND);
    EXPECT_THAT(e.what(), HasSubstr(path.string() + ":4:16: device 'd': dialogues must be a list, not a mapping"));
  }
  std::filesystem::remove(path);
}

TEST(SimResourceManager, MissingFileSaysSo) {
  try {
    ResourceManager rm("/nonexistent/cppvisa/sim.yaml@sim");
    ADD_FAILURE() << "loaded";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_LIBRARY_NFOUND);
    EXPECT_THAT(e.what(), HasSubstr("cannot open the simulation file '/nonexistent/cppvisa/sim.yaml': No such file or directory"));
  }
}

TEST(SimResourceManager, MalformedRandomFailsOnlyWhenQueried) {
  ResourceManager rm("@sim");
  auto dmm = rm.open<MessageBasedResource>("GPIB::5::INSTR");
  dmm->set_read_termination("\n");
  dmm->set_write_termination("\n");
  EXPECT_EQ(dmm->query(":SYST:ERR?"), "0, No Error");
  try {
    dmm->write(":BAD:SCAN:INSIDE?");
    ADD_FAILURE() << "written";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_INV_SETUP);
  }
  EXPECT_THAT(dmm->query(":SCAN?"), ::testing::MatchesRegex("[0-9.]+(, [0-9.]+){4}"));
}

// PyVISA-sim's test_all.py (test_multiple_outputs) with random.seed(42) before
// ResourceManager("@sim"): the handles of the resource manager and of the open are drawn as
// PyVISA-sim draws them, then RANDOM gives PyVISA-sim's expected values.
TEST(SimResourceManager, PyvisaSimSeedGivesPyvisaSimsValues) {
  ::setenv("CPPVISA_SIM_SEED", "pyvisa-sim:42", 1);
  std::optional<ResourceManager> rm;
  try {
    rm.emplace("@sim");
  } catch (...) {
    ::unsetenv("CPPVISA_SIM_SEED");
    throw;
  }
  ::unsetenv("CPPVISA_SIM_SEED");
  auto dmm = rm->open<MessageBasedResource>("GPIB0::5::INSTR");
  dmm->set_read_termination("\n");
  dmm->set_write_termination("\n");
  EXPECT_EQ(dmm->query(":READ?"), "7.79");
  EXPECT_EQ(dmm->query(":SCAN?"), "2.57, 1.47, 1.08, 7.78, 5.73");
  EXPECT_EQ(dmm->query(":VOLT:IMM:AMPL?"), "0.90");
  // A bad setting is refused when the resource manager opens.
  ::setenv("CPPVISA_SIM_SEED", "forty-two", 1);
  try {
    ResourceManager bad("@sim");
    ADD_FAILURE() << "CPPVISA_SIM_SEED=forty-two accepted";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_INV_SETUP);
  }
  ::unsetenv("CPPVISA_SIM_SEED");
}

TEST(SimResourceManager, GpibSecondaryAddressZeroFallsBackToThePrimary) {
  // PyVISA 1.11.3 opens "GPIB0::8::INSTR" as "GPIB0::8::0::INSTR".
  ResourceManager rm("@sim");
  auto lsg = rm.open<MessageBasedResource>("GPIB0::8::0::INSTR");
  lsg->set_read_termination("\n");
  lsg->set_write_termination("\n");
  EXPECT_EQ(lsg->query("?IDN"), "LSG Serial #1234");
  try {
    rm.open_resource("GPIB0::8::1::INSTR");  // only secondary address 0 falls back
    ADD_FAILURE() << "opened";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_RSRC_NFOUND);
  }
}

TEST(SimResourceManager, TestingExtensionsStateFaultsAndBlocks) {
  ResourceManager rm(source_path("tests/data/sim/testing_extensions.yaml") + "@sim");
  auto open = [&] {
    auto psu = rm.open<MessageBasedResource>("TCPIP::psu::INSTR");
    psu->set_read_termination("\n");
    psu->set_write_termination("\n");
    psu->set_timeout(2000);
    return psu;
  };
  auto psu = open();
  // A binary block declared in the file, read as PyVISA users do.
  BinaryReadOptions big;
  big.big_endian = true;
  EXPECT_EQ(psu->query_binary_values<std::int16_t>("CURV?", big), (std::vector<std::int16_t>{0, 1, -1, 300}));
  // State: a measurement cycle.
  psu->write("INIT;*TRG");
  EXPECT_EQ(psu->query("MEAS?"), "12.34");
  // A timeout fault on every second use.
  EXPECT_EQ(psu->query("FLAKY?"), "ok");
  psu->set_timeout(100);
  psu->write("FLAKY?");
  try {
    psu->read();
    ADD_FAILURE() << "read a reply";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
  }
  // The instrument drops its connections: this session, and another one open on it, lose theirs.
  auto other = open();
  other->write("STAT?");
  EXPECT_EQ(other->read_bytes(2).size(), 2u);  // "RU" read, the rest of the reply unread
  try {
    psu->write("REBOOT");
    ADD_FAILURE() << "written";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_CONN_LOST);
  }
  try {
    other->read();  // not the rest "NNING": it was lost with the connection
    ADD_FAILURE() << "read";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_CONN_LOST);
  }
  for (auto* s : {psu.get(), other.get()}) {
    try {
      s->query("STAT?");
      ADD_FAILURE() << "answered";
    } catch (const VisaIOError& e) {
      EXPECT_EQ(e.error_code(), status::ERROR_CONN_LOST);
    }
  }
  // Reopened, it answers and kept its state.
  psu->close();
  auto again = open();
  EXPECT_EQ(again->query("STAT?"), "RUNNING");
}

}  // namespace
}  // namespace cppvisa
