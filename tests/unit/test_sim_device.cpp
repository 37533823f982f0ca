// Simulated devices (src/backends/sim): the replies of PyVISA-sim's observed transcript
// and channels fixture on the bundled file, error queues, status
// registers, RANDOM with a fixed seed, Python formatting, setter patterns, and cppvisa's
// extensions (delays, null_response, query errors, status byte, waveform blocks, BYTES).
#include "backends/sim/block.hpp"
#include "backends/sim/device.hpp"
#include "backends/sim/loader.hpp"
#include "backends/sim/py_format.hpp"
#include "backends/sim/response.hpp"
#include "backends/sim/setter_pattern.hpp"
#include "backends/sim/waveform.hpp"

#include <cppvisa/status.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "support/source_tree.hpp"

using cppvisa::testing::source_path;

namespace cppvisa::sim {
namespace {

const Definitions& bundled() {
  static const Definitions defs = load_definitions(source_path("data/sim/default.yaml"));
  return defs;
}

// One simulated instrument driven as a session would: messages written with a termination,
// replies read until END (the response terminator removed).
class Instrument {
 public:
  Instrument(const Definitions& defs, const std::string& resource, const std::string& eom_key,
             std::string write_termination, std::optional<std::uint64_t> seed = {}) {
    for (const auto& r : defs.resources)
      if (r.name == resource) device_ = std::make_unique<Device>(r.device, eom_key, r.channel_ids, seed);
    if (!device_) throw std::runtime_error("no resource " + resource);
    write_termination_ = std::move(write_termination);
  }
  void send(const std::string& text) { device_->write(text + write_termination_); }
  // The next reply, or nullopt on timeout.
  std::optional<std::string> read(int timeout_ms = 60) {
    std::string out;
    auto deadline = core::Deadline::after_ms(static_cast<std::uint32_t>(timeout_ms));
    while (true) {
      std::byte buf[7];  // small on purpose: replies arrive in several pieces
      std::size_t n = 0;
      bool end = false;
      if (device_->receive(buf, deadline, n, end) != status::SUCCESS) return std::nullopt;
      out.append(reinterpret_cast<const char*>(buf), n);
      if (end) break;
    }
    const auto& term = device_->eom().response_termination;
    EXPECT_GE(out.size(), term.size());
    EXPECT_EQ(out.substr(out.size() - term.size()), term);
    return out.substr(0, out.size() - term.size());
  }
  std::string query(const std::string& text) {
    send(text);
    auto r = read(2000);
    EXPECT_TRUE(r.has_value()) << "no reply to " << text;
    return r.value_or("<timeout>");
  }
  Device& device() { return *device_; }

 private:
  std::unique_ptr<Device> device_;
  std::string write_termination_;
};

// ---- §4.7: the observed transcript on the bundled devices ----

TEST(SimTranscript, Device1SignalGenerator) {
  Instrument lsg(bundled(), "ASRL1::INSTR", "ASRL INSTR", "\r\n");
  EXPECT_EQ(lsg.query("?IDN"), "LSG Serial #1234");
  EXPECT_EQ(lsg.query("?FREQ"), "100.00");
  EXPECT_EQ(lsg.query("!FREQ 12.3"), "OK");
  EXPECT_EQ(lsg.query("?FREQ"), "12.30");
  EXPECT_EQ(lsg.query("!FREQ 1000000.00"), "FREQ_ERROR");
  EXPECT_EQ(lsg.query("!FREQ 5"), "ERROR");  // a single digit is not a {:.2f} match
  EXPECT_EQ(lsg.query("!OUT 2"), "ERROR");   // not in valid, and no `e`
  EXPECT_EQ(lsg.query("?idn"), "ERROR");
  EXPECT_EQ(lsg.query(" ?IDN"), "ERROR");
  EXPECT_EQ(lsg.query("?IDN "), "ERROR");
  lsg.send("*RST");
  EXPECT_FALSE(lsg.read(50).has_value());  // no response
  lsg.send("?IDN;?FREQ");
  EXPECT_EQ(lsg.read(2000), "LSG Serial #1234");
  EXPECT_EQ(lsg.read(2000), "12.30");
  EXPECT_EQ(lsg.query("!CAL"), "OK");
  EXPECT_EQ(lsg.query("!OUT 1"), "OK");
  EXPECT_EQ(lsg.query("?OUT"), "1");
  EXPECT_EQ(lsg.query("!OUT +1"), "ERROR");  // {:d} takes no '+'
  EXPECT_EQ(lsg.query("!AMP 5.5"), "OK");
  EXPECT_EQ(lsg.query("?AMP"), "5.50");
  EXPECT_EQ(lsg.query("?OFF"), "0.00");
  EXPECT_EQ(lsg.query("?WVF"), "0");
}

TEST(SimTranscript, WrongWriteTerminationNeverAnswersAndPollutesTheNextMessage) {
  Instrument lsg(bundled(), "ASRL1::INSTR", "ASRL INSTR", "\n");  // the device expects \r\n
  lsg.send("?IDN");
  EXPECT_FALSE(lsg.read(50).has_value());
  lsg.device().write(std::string("?IDN\r\n"));  // the buffer now holds "?IDN\n?IDN"
  EXPECT_EQ(lsg.read(2000), "ERROR");
}

TEST(SimTranscript, Device2StatusRegisterOnly) {
  Instrument psu(bundled(), "ASRL2::INSTR", "ASRL INSTR", "\r\n");
  psu.send("BOGUS");
  EXPECT_FALSE(psu.read(50).has_value());  // errors are silent on device 2
  EXPECT_EQ(psu.query("*ESR?"), "32");
  EXPECT_EQ(psu.query("*ESR?"), "0");  // reading the register clears it
  EXPECT_EQ(psu.query("*IDN?"), "SCPI,MOCK,VERSION_1.0");
  EXPECT_EQ(psu.query(":VOLT:IMM:AMPL?"), "+1.00000000E+00");
  psu.send(":VOLT:IMM:AMPL 2.5");
  EXPECT_EQ(psu.query(":VOLT:IMM:AMPL?"), "+2.50000000E+00");
  psu.send(":VOLT:IMM:AMPL 7.5");  // out of range: a command error
  EXPECT_EQ(psu.query(":VOLT:IMM:AMPL?"), "+2.50000000E+00");
  EXPECT_EQ(psu.query("*ESR?"), "32");
  EXPECT_EQ(psu.query("INST?"), "P6V");
  psu.send("INST P25V");
  EXPECT_EQ(psu.query("INST?"), "P25V");
  psu.send("INST P99V");
  EXPECT_EQ(psu.query("INST?"), "P25V");
  EXPECT_EQ(psu.query("OUTP?"), "0");
}

TEST(SimTranscript, Device3ErrorResponseReadOnlyAndUntypedProperty) {
  Instrument dev(bundled(), "GPIB::10::INSTR", "GPIB INSTR", "\n");
  EXPECT_EQ(dev.query("BOGUS"), "INVALID_COMMAND");
  EXPECT_EQ(dev.query("INST P6V"), "INVALID_COMMAND");  // read_only has no setter
  EXPECT_EQ(dev.query("INST?"), "P6V");
  EXPECT_EQ(dev.query("*ESR?"), "32");
  EXPECT_EQ(dev.query("OUTP?"), "0");  // PyVISA-sim raises here; the text "0" formats as {:d}
  dev.send("OUTP 1");
  EXPECT_EQ(dev.query("OUTP?"), "1");
}

TEST(SimTranscript, Device4ErrorQueue) {
  Instrument dev(bundled(), "ASRL4::INSTR", "ASRL INSTR", "\r\n");
  dev.send("BAD1");
  dev.send("BAD2");
  EXPECT_EQ(dev.query(":SYST:ERR?"), "1, Command error");
  EXPECT_EQ(dev.query(":SYST:ERR?"), "1, Command error");
  EXPECT_EQ(dev.query(":SYST:ERR?"), "0, No Error");
  dev.send(":VOLT:IMM:AMPL 0");  // out of range, no `e`: a command error
  EXPECT_EQ(dev.query(":SYST:ERR?"), "1, Command error");
  EXPECT_EQ(dev.query(":SYST:ERR?"), "0, No Error");
}

TEST(SimTranscript, EachResourceIsAnIndependentInstrument) {
  Instrument a(bundled(), "ASRL1::INSTR", "ASRL INSTR", "\r\n");
  Instrument b(bundled(), "GPIB::8::INSTR", "GPIB INSTR", "\n");
  EXPECT_EQ(a.query("!FREQ 42.00"), "OK");
  EXPECT_EQ(a.query("?FREQ"), "42.00");
  EXPECT_EQ(b.query("?FREQ"), "100.00");
}

TEST(SimBundled, ResourceNamesAreThoseOfPyVisaSim) {
  std::vector<std::string> names;
  for (const auto& r : bundled().resources)
    if (r.device->name.rfind("device ", 0) == 0) names.push_back(r.name);
  EXPECT_EQ(names.size(), 22u);
  for (const char* n : {"ASRL1::INSTR", "USB::0x1111::0x2222::0x1234::INSTR", "TCPIP::localhost::INSTR",
                        "TCPIP::localhost::10001::SOCKET", "GPIB::8::INSTR", "USB::0x1111::0x2222::0x4445::RAW",
                        "TCPIP::localhost:2222::INSTR", "GPIB::9::INSTR", "GPIB::10::INSTR", "GPIB::4::INSTR",
                        "ASRL5::INSTR", "GPIB::5::INSTR"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

// ---- §4.8: the channels fixture ----

const Definitions& channels() {
  static const Definitions defs = load_definitions(source_path("tests/data/sim/channels.yaml"));
  return defs;
}

TEST(SimChannels, PreselectedChannel) {
  Instrument dev(channels(), "ASRL1::INSTR", "ASRL INSTR", "\r\n");
  EXPECT_EQ(dev.query("I?"), "1");
  EXPECT_EQ(dev.query("F?"), "1.000");
  dev.send("F 5.0");
  EXPECT_FALSE(dev.read(30).has_value());
  EXPECT_EQ(dev.query("F?"), "5.000");
  EXPECT_EQ(dev.query("I 2;F?"), "1.000");  // channel 2 still has the default
  EXPECT_EQ(dev.query("I 1;F?"), "5.000");
  dev.send("F 11.0");  // out of range
  EXPECT_EQ(dev.read(2000), "ERROR");
  EXPECT_EQ(dev.query("I 3;F?"), "ERROR");  // 3 is not an id of the group: it does not match
}

TEST(SimChannels, SelectableChannels) {
  Instrument dev(channels(), "ASRL2::INSTR", "ASRL INSTR", "\r\n");
  EXPECT_EQ(dev.query("CH 1:VOLT:IMM:AMPL?"), "+1.00000000E+00");
  dev.send("CH 2:VOLT:IMM:AMPL 3.5");
  EXPECT_EQ(dev.query("CH 2:VOLT:IMM:AMPL?"), "+3.50000000E+00");
  EXPECT_EQ(dev.query("CH 1:VOLT:IMM:AMPL?"), "+1.00000000E+00");
  EXPECT_EQ(dev.query("CH 3:OUTP?"), "0");
  dev.send("CH 3:OUTP 1");
  EXPECT_EQ(dev.query("CH 3:OUTP?"), "1");
  EXPECT_EQ(dev.query("CH 4:VOLT:IMM:AMPL?"), "ERROR");
  EXPECT_EQ(dev.query("CH 9:OUTP 1"), "ERROR");  // an id the group does not have
}

TEST(SimChannels, IncludedFileAndChannelIdOverride) {
  Instrument inc(channels(), "ASRL3::INSTR", "ASRL INSTR", "\n");
  EXPECT_EQ(inc.device().eom().response_termination, "\r\n");
  EXPECT_EQ(inc.query("WHO?"), "included device 2");
  Instrument over(channels(), "ASRL4::INSTR", "ASRL INSTR", "\r\n");
  EXPECT_EQ(over.query("CH 7:OUTP?"), "0");
  EXPECT_EQ(over.query("CH 1:OUTP?"), "ERROR");
}

// ---- RANDOM ----

TEST(SimRandom, FixedSeedGivesPythonsStream) {
  // The values Python prints after random.seed(42) for uniform(0, 10.5), 5 x uniform(0, 10.5), uniform(-5, 5).
  Instrument dmm(bundled(), "ASRL5::INSTR", "ASRL INSTR", "\r\n", 42);
  EXPECT_EQ(dmm.query(":READ?"), "6.71");
  EXPECT_EQ(dmm.query(":SCAN?"), "0.26, 2.89, 2.34, 7.73, 7.11");
  EXPECT_EQ(dmm.query(":VOLT:IMM:AMPL?"), "3.92");
}

TEST(SimRandom, MalformedDirectiveFailsWhenQueriedAndTheRestWorks) {
  // PyVISA-sim's device 5 has two malformed RANDOM dialogues; the file loads and only a write of
  // those queries fails (PyVISA-sim raises out of write()).
  Instrument dmm(bundled(), "ASRL5::INSTR", "ASRL INSTR", "\r\n", 42);
  EXPECT_EQ(dmm.query(":READ?"), "6.71");
  for (const char* bad : {":BAD:SCAN:OUTSIDE?", ":BAD:SCAN:INSIDE?"}) {
    try {
      dmm.send(bad);
      FAIL() << bad << " answered";
    } catch (const MalformedResponse& e) {
      EXPECT_NE(std::string(e.what()).find("default.yaml:14"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("Wrong RANDOM directive"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(dmm.read(30).has_value());  // nothing was queued
  }
  // The pieces of a message before the malformed one are answered, as PyVISA-sim does.
  // (Python after random.seed(42): uniform(0, 10.5) draws 6.71, 0.26, 2.89, 2.34, 7.73, 7.11, 9.37.)
  EXPECT_THROW(dmm.send(":READ?;:BAD:SCAN:INSIDE?;:READ?"), MalformedResponse);
  EXPECT_EQ(dmm.read(), "0.26");
  EXPECT_FALSE(dmm.read(30).has_value());
  EXPECT_EQ(dmm.query(":SYST:ERR?"), "0, No Error");  // not a command error: the write failed
  EXPECT_EQ(dmm.query(":SCAN?"), "2.89, 2.34, 7.73, 7.11, 9.37");
}

TEST(SimRandom, SameSeedSameValues) {
  Instrument a(bundled(), "ASRL5::INSTR", "ASRL INSTR", "\r\n", 7);
  Instrument b(bundled(), "GPIB::5::INSTR", "GPIB INSTR", "\n", 7);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a.query(":SCAN?"), b.query(":SCAN?"));
  Instrument c(bundled(), "GPIB::5::INSTR", "GPIB INSTR", "\n", 8);
  EXPECT_NE(Instrument(bundled(), "ASRL5::INSTR", "ASRL INSTR", "\r\n", 7).query(":SCAN?"), c.query(":SCAN?"));
}

TEST(SimRandom, SeedFromTheFile) {
  auto defs = load_definitions(source_path("data/sim/oscilloscope.yaml"));
  ASSERT_EQ(defs.devices.size(), 1u);
  Device a(defs.devices[0], "TCPIP INSTR"), b(defs.devices[0], "TCPIP INSTR");
  auto ask = [](Device& d) {
    d.write(std::string(":MEAS:FREQ?\n"));
    std::byte buf[64];
    std::size_t n = 0;
    bool end = false;
    EXPECT_EQ(d.receive(buf, core::Deadline::after_ms(1000), n, end), status::SUCCESS);
    return std::string(reinterpret_cast<const char*>(buf), n);
  };
  EXPECT_EQ(ask(a), "9.9963E+02\n");  // Python: random.seed(1); "%.4E" % uniform(999.5, 1000.5)
  EXPECT_EQ(ask(b), "9.9963E+02\n");  // the same seed in another instance
  EXPECT_EQ(ask(a), ask(b));
}

TEST(SimRandom, ResponseLongerThanTheBoundIsAFormatError) {
  // A definition file is user input: 100 000 numbers 1 MiB wide would be 100 GB.
  auto t = ResponseTemplate::parse("{RANDOM(0, 1, 100000):1048576f}", ResponseTemplate::Mode::verbatim);
  PythonRandom rng(1);
  EXPECT_THROW(t.render(nullptr, rng), FormatError);
  auto fits = ResponseTemplate::parse("{RANDOM(0, 1, 1000):.3f}", ResponseTemplate::Mode::verbatim);
  EXPECT_EQ(fits.render(nullptr, rng).size(), 1000 * 5 + 999 * 2);
}

TEST(SimRandom, GetterTemplateLongerThanTheBoundIsAFormatError) {
  // 64 fields 1 MiB wide: 64 MiB from 700 bytes of definition file.
  std::string text;
  for (int k = 0; k < 64; ++k) text += "{0:1048576}";
  auto t = ResponseTemplate::parse(text, ResponseTemplate::Mode::getter);
  PythonRandom rng(1);
  EXPECT_THROW(render_getter(t, Value(std::string("1")), rng), FormatError);
  auto fits = ResponseTemplate::parse("{0:1048576}{0:8}", ResponseTemplate::Mode::getter);
  EXPECT_EQ(render_getter(fits, Value(std::string("1")), rng).size(), (1u << 20) + 8);
}

// ---- Python formatting and setter patterns ----

TEST(SimFormat, MatchesPython) {
  struct Case {
    const char* spec;
    Value value;
    const char* expected;
  };
  const Case cases[] = {
      {"+.8E", 2.5, "+2.50000000E+00"}, {".3E", 0.001, "1.000E-03"}, {"^10.3f", 3.14159, "  3.142   "},
      {"x<6d", std::int64_t{42}, "42xxxx"}, {",.2f", 1234567.891, "1,234,567.89"}, {"e", 0.0, "0.000000e+00"},
      {".3g", 0.0001234, "0.000123"}, {"g", 123456789.0, "1.23457e+08"}, {"n", 1.5, "1.5"},
      {"#o", std::int64_t{8}, "0o10"}, {"X", std::int64_t{255}, "FF"}, {"+d", std::int64_t{5}, "+5"},
      {" d", std::int64_t{5}, " 5"}, {"c", std::int64_t{65}, "A"}, {".1f", 0.05, "0.1"}, {".1f", 0.25, "0.2"},
      {".0f", 2.5, "2"}, {"", std::string("ab"), "ab"}, {".1s", std::string("xyz"), "x"}, {">5", 3.5, "  3.5"},
      {"010.3f", -3.14159, "-00003.142"}, {"=+10d", std::int64_t{42}, "+       42"},
      {"", 1e15, "1000000000000000.0"}, {"", 1e16, "1e+16"}, {"", 1.5e-7, "1.5e-07"}, {"", 123.456, "123.456"},
      {".2e", -0.0, "-0.00e+00"}, {".3", 100.0, "1e+02"}, {".3", 10.0, "10.0"}, {".0", 5.5, "6e+00"},
      {"#.3g", 1.0, "1.00"}, {"*^9", std::int64_t{12}, "***12****"}, {"_b", std::int64_t{255}, "1111_1111"},
      {".2%", 0.256, "25.60%"}, {"", 100.0, "100.0"}, {".2f", std::int64_t{3}, "3.00"}, {"", std::int64_t{-7}, "-7"},
  };
  for (const auto& c : cases) EXPECT_EQ(format_value(c.value, std::string_view(c.spec)), c.expected) << c.spec;
}

TEST(SimFormat, ErrorsAreThoseOfPython) {
  auto message = [](const Value& v, std::string_view spec) {
    try {
      format_value(v, spec);
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(std::string("P6V"), "d"), "Unknown format code 'd' for object of type 'str'");
  EXPECT_EQ(message(1.5, "d"), "Unknown format code 'd' for object of type 'float'");
  EXPECT_EQ(message(std::int64_t{1}, "s"), "Unknown format code 's' for object of type 'int'");
  EXPECT_EQ(message(std::int64_t{1}, ".2d"), "Precision not allowed in integer format specifier");
  EXPECT_EQ(message(std::string("x"), "+s"), "Sign not allowed in string format specifier");
  EXPECT_EQ(message(1.0, ".f"), "Format specifier missing precision");
  EXPECT_EQ(message(1.0, "q"), "Invalid format specifier 'q'");
  EXPECT_THROW(FormatTemplate::parse("{1}"), FormatError);
  EXPECT_THROW(FormatTemplate::parse("{name}"), FormatError);
  EXPECT_THROW(FormatTemplate::parse("{"), FormatError);
  EXPECT_THROW(FormatTemplate::parse("}"), FormatError);
  EXPECT_EQ(FormatTemplate::parse("V={0:.1f} {{x}} {0!r}").format(Value(2.25)), "V=2.2 {x} 2.25");
  EXPECT_EQ(FormatTemplate::parse("{!r}").format(Value(std::string("a"))), "'a'");
}

TEST(SimSetterPattern, StringparserGrammar) {
  auto f = SetterPattern::parse("!FREQ {:.2f}");
  EXPECT_FALSE(f.match("!FREQ 5"));
  EXPECT_FALSE(f.match("!FREQ +5.5"));
  EXPECT_FALSE(f.match("!FREQ 1e3"));
  ASSERT_TRUE(f.match("!FREQ 5.5"));
  EXPECT_EQ(std::get<double>(f.match("!FREQ 5.5")->values[0]), 5.5);
  EXPECT_EQ(std::get<double>(f.match("!FREQ 55")->values[0]), 55.0);
  EXPECT_EQ(std::get<double>(f.match("!FREQ -5.12")->values[0]), -5.12);
  auto d = SetterPattern::parse("!OUT {:d}");
  EXPECT_FALSE(d.match("!OUT +1"));
  EXPECT_EQ(std::get<std::int64_t>(d.match("!OUT -12")->values[0]), -12);
  auto e = SetterPattern::parse("V {:E}");
  EXPECT_TRUE(e.match("V 10.5E+3"));
  EXPECT_FALSE(e.match("V 10.5e+3"));
  auto g = SetterPattern::parse("V {:g}");
  EXPECT_TRUE(g.match("V 10e3"));
  EXPECT_FALSE(g.match("V 1e3"));
  auto s = SetterPattern::parse("INST {:s}");
  EXPECT_EQ(std::get<std::string>(s.match("INST P 6 V")->values[0]), "P 6 V");
  auto x = SetterPattern::parse("M {:x}");
  EXPECT_EQ(std::get<std::int64_t>(x.match("M ff")->values[0]), 255);
  auto pct = SetterPattern::parse("D {:%}");
  EXPECT_DOUBLE_EQ(std::get<double>(pct.match("D 50%")->values[0]), 0.5);
  auto ch = SetterPattern::parse("CH {ch_id}:VOLT {:.3f}");
  auto m = ch.match("CH 12:VOLT 3.25");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->named["ch_id"], "12");
  EXPECT_EQ(std::get<double>(m->values[0]), 3.25);
  // An adversarial message against adjacent fields finishes quickly and does not match.
  auto adj = SetterPattern::parse("{}{}{}X");
  EXPECT_FALSE(adj.match(std::string(200000, 'a')));
}

// ---- cppvisa extensions ----

const Definitions& extensions() {
  static const Definitions defs = load_definitions(source_path("tests/data/sim/extensions.yaml"));
  return defs;
}

TEST(SimExtensions, NullResponseEmptyResponseAndLiteralNull) {
  Instrument dev(extensions(), "TCPIP::slow::INSTR", "TCPIP INSTR", "\n");
  EXPECT_EQ(dev.query("EMPTY?"), "");
  EXPECT_EQ(dev.query("NULL?"), "null");  // BaseLoader reads `null` as the text "null"
  dev.send("NOTHING?");
  EXPECT_EQ(dev.device().queued_messages(), 0u);
  // This device raises a query error when a read finds nothing to read.
  EXPECT_EQ(dev.read(2000), "QUERY_ERROR");
  EXPECT_EQ(dev.query("*ESR?"), "4");
  EXPECT_EQ(dev.query("SYST:ERR?"), "-420,Query UNTERMINATED");
  EXPECT_EQ(dev.query("SYST:ERR?"), "0,No error");
  dev.send("BOGUS");  // command_error: null_response -> silent, but recorded
  EXPECT_EQ(dev.device().queued_messages(), 0u);
  EXPECT_EQ(dev.query("SYST:ERR?"), "-100,Command error");
  EXPECT_EQ(dev.query("*ESR?"), "32");
}

TEST(SimExtensions, BinaryAndNonUtf8Responses) {
  Instrument dev(extensions(), "TCPIP::slow::INSTR", "TCPIP INSTR", "\n");
  EXPECT_EQ(dev.query("BIN?"), std::string("\xff\xfe\x00\x80" "end", 7));
  EXPECT_EQ(dev.query(std::string("\x01\x02")), "got binary");
  EXPECT_EQ(dev.query("UTF?"), "\xc2\xb5s");
}

TEST(SimExtensions, DelayedResponse) {
  Instrument dev(extensions(), "TCPIP::slow::INSTR", "TCPIP INSTR", "\n");
  auto start = std::chrono::steady_clock::now();
  dev.send("SLOW?");
  // Not there yet: a short read times out (checked only when this thread was not held up).
  if (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(200)) {
    EXPECT_EQ(dev.device().status_byte() & 0x10, 0);  // queued, not yet available
  }
  auto early = dev.read(20);
  if (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(250)) {
    EXPECT_FALSE(early.has_value());
  }
  EXPECT_EQ(early ? early : dev.read(5000), "done");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
  // A later quick query queued behind a slow one (in the same program message) is answered in order.
  dev.send("SLOW?;*IDN?");
  EXPECT_EQ(dev.read(5000), "done");
  EXPECT_EQ(dev.read(5000), "SIM,SLOW,1,1.0");
}

TEST(SimExtensions, StatusByteAndServiceRequest) {
  Instrument dev(extensions(), "GPIB::3::INSTR", "GPIB INSTR", "\n");
  std::atomic<int> requests{0};
  auto id = dev.device().add_service_request_listener([&] { ++requests; });
  EXPECT_EQ(dev.device().serial_poll(), 0);
  dev.send("*IDN?");
  EXPECT_EQ(dev.device().serial_poll(), 0x10);  // MAV, but not enabled: no request
  EXPECT_EQ(requests.load(), 0);
  EXPECT_EQ(dev.read(1000), "SIM,SLOW,1,1.0");
  dev.send("*SRE 16");
  EXPECT_EQ(dev.query("*SRE?"), "16");
  EXPECT_EQ(requests.load(), 1);  // the *SRE? reply itself set MAV (enabled): a service request
  EXPECT_EQ(dev.device().serial_poll(), 0);  // the reply was read: no reason for service any more
  dev.send("*IDN?");
  EXPECT_EQ(requests.load(), 2);
  EXPECT_EQ(dev.device().serial_poll(), 0x10 | 0x40);
  EXPECT_EQ(dev.device().serial_poll(), 0x10);  // RQS is cleared by the serial poll
  EXPECT_EQ(dev.read(1000), "SIM,SLOW,1,1.0");
  dev.send("BOGUS");  // ESB (bit 5) and the error queue (bit 2), not enabled
  EXPECT_EQ(dev.query("*STB?"), std::to_string(0x20 | 0x04));
  dev.device().remove_service_request_listener(id);
}

TEST(SimExtensions, ClearDiscardsOutputAndTriggerRunsTrg) {
  Instrument dev(extensions(), "TCPIP::slow::INSTR", "TCPIP INSTR", "\n");
  dev.send("*IDN?;SLOW?");
  EXPECT_EQ(dev.device().queued_messages(), 2u);
  dev.device().clear();
  EXPECT_EQ(dev.device().queued_messages(), 0u);
  dev.device().write(std::string("*ID"));  // a partial message is discarded by clear too
  dev.device().clear();
  EXPECT_EQ(dev.query("*IDN?"), "SIM,SLOW,1,1.0");
  dev.device().trigger();
  EXPECT_EQ(dev.read(1000), "triggered");
}

TEST(SimExtensions, WaveformBlock) {
  Instrument dev(extensions(), "TCPIP::slow::INSTR", "TCPIP INSTR", "\n");
  auto block = dev.query("CURV?");
  ASSERT_EQ(block.size(), 4u + 32u);
  EXPECT_EQ(block.substr(0, 4), "#232");
  for (std::uint64_t i = 0; i < 16; ++i) {
    auto hi = static_cast<std::uint8_t>(block[4 + 2 * i]), lo = static_cast<std::uint8_t>(block[5 + 2 * i]);
    auto v = static_cast<std::int16_t>(static_cast<std::uint16_t>(hi << 8 | lo));
    EXPECT_EQ(v, WaveformMessage::sample(i, 2, 8)) << i;
  }
  EXPECT_EQ(WaveformMessage::sample(2, 2, 8), 25000);  // a quarter period: the peak
  dev.send("POIN 0");
  EXPECT_EQ(dev.query("CURV?"), "#10");
  // 10^9 bytes need 10 length digits, more than a definite-length block has: a query error.
  dev.send("POIN 500000000");
  EXPECT_EQ(dev.query("CURV?"), "QUERY_ERROR");
  EXPECT_EQ(dev.query("SYST:ERR?"), "-420,Query UNTERMINATED");
}

TEST(SimExtensions, WaveformMessageChunksMatchWhole) {
  WaveformMessage w(1001, 2, false, 37, "\n");
  std::string whole(static_cast<std::size_t>(w.size()), '\0');
  w.copy(0, std::as_writable_bytes(std::span(whole.data(), whole.size())));
  EXPECT_EQ(whole.substr(0, 6), "#42002");
  EXPECT_EQ(whole.back(), '\n');
  for (std::uint64_t off = 0; off < w.size(); off += 13) {
    std::string part(std::min<std::uint64_t>(13, w.size() - off), '\0');
    w.copy(off, std::as_writable_bytes(std::span(part.data(), part.size())));
    EXPECT_EQ(part, whole.substr(off, part.size())) << off;
  }
}

TEST(SimExtensions, WaveformWithAHugePeriodIsComputedPerSample) {
  const std::int64_t period = (1 << 21) + 1;  // too long to precompute
  WaveformMessage w(3000, 2, true, period, "\n");
  std::string all(static_cast<std::size_t>(w.size()), '\0');
  for (std::uint64_t off = 0; off < w.size(); off += 7) {
    auto n = std::min<std::uint64_t>(7, w.size() - off);
    w.copy(off, std::as_writable_bytes(std::span(all.data() + off, n)));
  }
  ASSERT_EQ(all.substr(0, 6), "#46000");
  for (std::uint64_t i = 0; i < 3000; ++i) {
    auto v = static_cast<std::int16_t>(static_cast<std::uint16_t>(static_cast<std::uint8_t>(all[6 + 2 * i]) << 8 |
                                                                  static_cast<std::uint8_t>(all[7 + 2 * i])));
    ASSERT_EQ(v, WaveformMessage::sample(i, 2, period)) << i;
  }
  EXPECT_EQ(all.back(), '\n');
}

TEST(SimExtensions, SerialEndRules) {
  Instrument dev(extensions(), "ASRL7::INSTR", "ASRL INSTR", "\n");
  dev.send("*IDN?");
  Device::SerialEnd rule;
  rule.kind = Device::SerialEnd::Kind::termchar;
  rule.termchar = ',';
  std::byte buf[64];
  std::size_t n = 0;
  bool end = false;
  ASSERT_EQ(dev.device().receive(buf, core::Deadline::after_ms(1000), n, end, &rule), status::SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), n), "SIM,");
  EXPECT_TRUE(end);
  rule.kind = Device::SerialEnd::Kind::none;
  ASSERT_EQ(dev.device().receive(buf, core::Deadline::after_ms(1000), n, end, &rule), status::SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), n), "SLOW,1,1.0\n");
  EXPECT_FALSE(end);  // message END does not count on serial
}

// ---- END terminates a program message (IEEE 488.2 §7.5) ----

TEST(SimEnd, EndWithoutNewlineCompletesAMessage) {
  Instrument dev(bundled(), "GPIB::8::INSTR", "GPIB INSTR", "");
  dev.device().write(std::string("?IDN"), /*end=*/true);
  EXPECT_EQ(dev.read(1000), "LSG Serial #1234");
  dev.device().write(std::string("?IDN\n"), /*end=*/true);  // NL+END: the NL is stripped
  EXPECT_EQ(dev.read(1000), "LSG Serial #1234");
  // Without END the message waits for its NL, across writes.
  dev.device().write(std::string("?ID"), false);
  EXPECT_FALSE(dev.read(30).has_value());
  dev.device().write(std::string("N"), true);
  EXPECT_EQ(dev.read(1000), "LSG Serial #1234");
  dev.device().write(std::string("?ID"), false);
  dev.device().write(std::string("N\n"), false);  // NL alone, as before
  EXPECT_EQ(dev.read(1000), "LSG Serial #1234");
}

// ---- query interrupted (IEEE 488.2 §6.3.2.3) ----

TEST(SimQueryInterrupted, ANewMessageDiscardsUnreadOutputAndReportsMinus410) {
  Instrument dev(extensions(), "TCPIP::slow::INSTR", "TCPIP INSTR", "\n");
  dev.send("*IDN?");  // never read
  EXPECT_EQ(dev.device().queued_messages(), 1u);
  EXPECT_EQ(dev.query(":READ?").size(), 4u);  // the answer to this query, not the old *IDN? one
  EXPECT_EQ(dev.query("SYST:ERR?"), "-410, Query INTERRUPTED");
  EXPECT_EQ(dev.query("SYST:ERR?"), "0,No error");
  dev.send("*IDN?");
  dev.send("POIN 8");  // a command interrupts too
  EXPECT_EQ(dev.device().queued_messages(), 0u);
  EXPECT_EQ(dev.query("*ESR?"), "4");  // the query error bit (QYE)
}

TEST(SimQueryInterrupted, APartlyReadOrDelayedReplyIsDiscarded) {
  Instrument dev(extensions(), "TCPIP::slow::INSTR", "TCPIP INSTR", "\n");
  dev.send("*IDN?");
  std::byte buf[3];
  std::size_t n = 0;
  bool end = false;
  ASSERT_EQ(dev.device().receive(buf, core::Deadline::after_ms(1000), n, end), status::SUCCESS);
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(dev.query("POIN?"), "16");  // not "SLOW,1,1.0"
  dev.send("SLOW?");                    // delayed, not yet ready
  EXPECT_EQ(dev.query("*IDN?"), "SIM,SLOW,1,1.0");
  EXPECT_EQ(dev.device().queued_messages(), 0u);  // the late "done" never comes
  EXPECT_EQ(dev.query("SYST:ERR?"), "-410, Query INTERRUPTED");
  EXPECT_EQ(dev.query("SYST:ERR?"), "-410, Query INTERRUPTED");
  EXPECT_EQ(dev.query("SYST:ERR?"), "0,No error");
}

TEST(SimQueryInterrupted, LeftoverOfTheWritingSessionCountsAndSplitMessagesDoNot) {
  Instrument dev(extensions(), "TCPIP::slow::INSTR", "TCPIP INSTR", "\n");
  // The session still holds bytes of a reply: interrupted even though the device's queue is empty.
  EXPECT_TRUE(dev.device().write(std::string("*IDN?\n"), false, /*unread_leftover=*/true));
  EXPECT_EQ(dev.read(1000), "SIM,SLOW,1,1.0");
  EXPECT_EQ(dev.query("SYST:ERR?"), "-410, Query INTERRUPTED");
  // Messages split by the delimiter inside one program message are not interrupts, nor are the
  // pieces of one program message written separately.
  EXPECT_FALSE(dev.device().write(std::string("*IDN?;POIN?\n")));
  EXPECT_EQ(dev.read(1000), "SIM,SLOW,1,1.0");
  EXPECT_EQ(dev.read(1000), "16");
  EXPECT_FALSE(dev.device().write(std::string("*IDN")));
  EXPECT_FALSE(dev.device().write(std::string("?\n")));
  EXPECT_EQ(dev.read(1000), "SIM,SLOW,1,1.0");
  EXPECT_EQ(dev.query("SYST:ERR?"), "0,No error");
}

TEST(SimQueryInterrupted, TheOscilloscopeReportsItsOwnText) {
  Instrument scope(bundled(), "TCPIP::sim-scope::INSTR", "TCPIP INSTR", "\n");
  scope.send("*IDN?");
  scope.send("*IDN?");
  scope.read(1000);
  EXPECT_EQ(scope.query(":SYST:ERR?"), "-410,\"Query INTERRUPTED\"");
}

// ---- abort and output state ----

TEST(SimAbort, CancelFlagEndsAWaitingReceive) {
  Instrument dev(bundled(), "GPIB::8::INSTR", "GPIB INSTR", "\n");
  std::atomic<bool> cancel{false};
  std::atomic<bool> other_cancel{false};
  std::atomic<int> result{1};
  std::atomic<int> other_result{1};
  std::byte buf[16];
  std::thread reader([&] {
    std::size_t n = 0;
    bool end = false;
    result = dev.device().receive(buf, core::Deadline::after_ms(20000), n, end, nullptr, &cancel);
  });
  std::byte other_buf[16];
  std::thread other([&] {  // another session waiting on the same device is not cancelled
    std::size_t n = 0;
    bool end = false;
    other_result = dev.device().receive(other_buf, core::Deadline::after_ms(400), n, end, nullptr, &other_cancel);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto start = std::chrono::steady_clock::now();
  cancel = true;
  dev.device().wake();
  reader.join();
  EXPECT_EQ(result.load(), status::ERROR_ABORT);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));  // generous
  other.join();
  EXPECT_EQ(other_result.load(), status::ERROR_TMO);
  // Once cleared, the flag leaves the next receive alone.
  cancel = false;
  dev.send("?IDN");
  EXPECT_EQ(dev.read(1000), "LSG Serial #1234");
}

TEST(SimOutputState, NonePendingReadyWithoutReading) {
  Instrument dev(extensions(), "TCPIP::slow::INSTR", "TCPIP INSTR", "\n");
  EXPECT_EQ(dev.device().output_state(), core::OutputState::none);
  dev.send("SLOW?");
  EXPECT_EQ(dev.device().output_state(), core::OutputState::pending);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (dev.device().output_state() == core::OutputState::pending && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(dev.device().output_state(), core::OutputState::ready);
  EXPECT_EQ(dev.device().output_state(), core::OutputState::ready);  // asking does not consume
  EXPECT_EQ(dev.read(1000), "done");
  EXPECT_EQ(dev.device().output_state(), core::OutputState::none);
}

// ---- cppvisa extensions for testing client code: state, faults, binary blocks ----

const Definitions& testing_extensions() {
  static const Definitions defs = load_definitions(source_path("tests/data/sim/testing_extensions.yaml"));
  return defs;
}

TEST(SimState, WhenAndSetMakeAStateMachineAcrossProperties) {
  Instrument psu(testing_extensions(), "TCPIP::psu::INSTR", "TCPIP INSTR", "\n");
  EXPECT_EQ(psu.query("STAT?"), "IDLE");
  EXPECT_EQ(psu.query("MEAS?"), "NOT RUNNING");  // the dialogue without `when` is the fallback
  psu.send("*TRG");                               // not armed: no dialogue holds, a command error
  EXPECT_EQ(psu.query("SYST:ERR?"), "-100,Command error");
  psu.send("INIT");
  EXPECT_EQ(psu.query("STAT?"), "ARMED");
  psu.send("INIT");  // only when idle
  EXPECT_EQ(psu.query("SYST:ERR?"), "-100,Command error");
  psu.send("*TRG");
  EXPECT_EQ(psu.query("STAT?"), "RUNNING");
  EXPECT_EQ(psu.query("MEAS?"), "12.34");
  // A setter guarded by another property, whose accepted value also sets a third.
  psu.send("OUTP 1");
  psu.send("VOLT 5.00");  // refused while the output is on: a command error, nothing changes
  EXPECT_EQ(psu.query("SYST:ERR?"), "-100,Command error");
  EXPECT_EQ(psu.query("STAT?"), "RUNNING");
  psu.send("OUTP 0;VOLT 5.00");
  EXPECT_EQ(psu.query("SYST:ERR?"), "0,No error");
  EXPECT_EQ(psu.device().property("voltage"), Value(5.0));
  EXPECT_EQ(psu.query("STAT?"), "IDLE");  // the voltage change disarmed
  psu.send("INIT;*TRG;OUTP 1;*RST");       // *RST sets three properties
  EXPECT_EQ(psu.device().property("state"), Value(std::string("IDLE")));
  EXPECT_EQ(psu.device().property("output"), Value(std::int64_t{0}));
  EXPECT_EQ(psu.device().property("voltage"), Value(1.0));
}

TEST(SimFaults, TimeoutEveryNthUseAndWithAProbability) {
  Instrument psu(testing_extensions(), "TCPIP::psu::INSTR", "TCPIP INSTR", "\n");
  for (int i = 1; i <= 4; ++i) {
    psu.send("FLAKY?");
    auto r = psu.read(i % 2 == 0 ? 100 : 2000);
    if (i % 2 == 0) EXPECT_FALSE(r.has_value()) << "use " << i;  // every second use gets no reply
    else EXPECT_EQ(r, "ok") << "use " << i;
  }
  // probability 0.5 with seed 7: Python's random() < 0.5 gives True, True, False, True, False, True
  // (a timeout each time it is True).
  const bool timeout[] = {true, true, false, true, false, true};
  for (bool t : timeout) {
    psu.send("MAYBE?");
    auto r = psu.read(t ? 100 : 2000);
    if (t) EXPECT_FALSE(r.has_value());
    else EXPECT_EQ(r, "ok");
  }
}

TEST(SimFaults, GarbageKeepsTheLengthAndTheTerminator) {
  Instrument psu(testing_extensions(), "TCPIP::psu::INSTR", "TCPIP INSTR", "\n");
  std::string a = psu.query("NOISY?");
  std::string b = psu.query("NOISY?");
  EXPECT_EQ(a.size(), std::string("clean reply").size());
  EXPECT_NE(a, "clean reply");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find('\n'), std::string::npos);
  // Reproducible: the same seed gives the same bytes.
  Instrument again(testing_extensions(), "TCPIP::psu::INSTR", "TCPIP INSTR", "\n");
  EXPECT_EQ(again.query("NOISY?"), a);
  // A getter's fault: every third VOLT? is garbage.
  EXPECT_EQ(psu.query("VOLT?"), "1.00");
  EXPECT_EQ(psu.query("VOLT?"), "1.00");
  std::string third = psu.query("VOLT?");
  EXPECT_EQ(third.size(), 4u);
  EXPECT_NE(third, "1.00");
  EXPECT_EQ(psu.query("VOLT?"), "1.00");
}

TEST(SimFaults, DisconnectDropsTheConnectionsOfTheInstrument) {
  Instrument psu(testing_extensions(), "TCPIP::psu::INSTR", "TCPIP INSTR", "\n");
  auto epoch = psu.device().connection_epoch();
  psu.send("MEAS?;REBOOT");  // the reply of MEAS? is lost with the connection
  EXPECT_EQ(psu.device().connection_epoch(), epoch + 1);
  EXPECT_EQ(psu.device().queued_messages(), 0u);
  std::byte buf[16];
  std::size_t n = 0;
  bool end = false;
  EXPECT_EQ(psu.device().receive(buf, core::Deadline::after_ms(2000), n, end, nullptr, nullptr, &epoch),
            status::ERROR_CONN_LOST);
  // A session of the new epoch works; the instrument kept its state.
  auto now = psu.device().connection_epoch();
  psu.send("STAT?");
  EXPECT_EQ(psu.device().receive(buf, core::Deadline::after_ms(2000), n, end, nullptr, nullptr, &now), status::SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf), n), "IDLE\n");
}

TEST(SimBlocks, DefiniteLengthBlocksFromValuesAndRandom) {
  Instrument psu(testing_extensions(), "TCPIP::psu::INSTR", "TCPIP INSTR", "\n");
  EXPECT_EQ(psu.query("CURV?"), std::string("#18\x00\x00\x00\x01\xff\xff\x01\x2c", 11));
  EXPECT_EQ(psu.query("NONE?"), "#10");
  // float32 little-endian, Python's random.Random(7).uniform(-1, 1) four times:
  // struct.pack('<4f', ...) = 2f65b4be e6c332bf 918e9a3e a2e95abf.
  EXPECT_EQ(psu.query("DATA?"), std::string("DATA,#216\x2f\x65\xb4\xbe\xe6\xc3\x32\xbf\x91\x8e\x9a\x3e\xa2\xe9\x5a\xbf", 25));
  EXPECT_EQ(definite_block_header(0), "#10");
  EXPECT_EQ(definite_block_header(999999999), "#9999999999");
  EXPECT_FALSE(definite_block_header(1000000000).has_value());
}

}  // namespace
}  // namespace cppvisa::sim
