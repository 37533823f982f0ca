// Loading simulation files (src/backends/sim/loader.hpp): what loads, and for every kind of
// mistake, the message with the file, line and column and what is wrong.
#include "backends/sim/loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/source_tree.hpp"

using cppvisa::testing::source_path;

namespace cppvisa::sim {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The LoadError message for `text`, or "loaded".
std::string load_error(const std::string& text, const std::string& path = "bad.yaml") {
  try {
    load_definitions_text(text, path);
  } catch (const LoadError& e) {
    return e.what();
  }
  return "loaded";
}

// The warnings of a file that loads (one per line), or "refused: <LoadError>".
std::string load_warnings(const std::string& text, const std::string& path = "bad.yaml") {
  try {
    std::string out;
    for (const auto& w : load_definitions_text(text, path).warnings) out += (out.empty() ? "" : "\n") + w;
    return out;
  } catch (const LoadError& e) {
    return std::string("refused: ") + e.what();
  }
}

// A minimal valid device, indented for "devices:" with `extra` lines appended to the device.
std::string device_with(const std::string& extra) {
  return "spec: \"1.1\"\n"
         "devices:\n"
         "  dev:\n"
         "    eom:\n"
         "      ASRL INSTR: {q: \"\\n\", r: \"\\n\"}\n" +
         extra + "resources:\n  ASRL1::INSTR: {device: dev}\n";
}

TEST(SimYaml, BundledFilesLoad) {
  auto defs = load_definitions(source_path("data/sim/default.yaml"));
  EXPECT_EQ(defs.spec, "1.1");
  EXPECT_EQ(defs.resources.size(), 26u);
  EXPECT_EQ(defs.devices.size(), 5u);
  auto channels = load_definitions(source_path("tests/data/sim/channels.yaml"));
  EXPECT_EQ(channels.resources.size(), 4u);
  EXPECT_EQ(channels.resources[2].device->dialogues.at(0).query, "WHO?");
}

TEST(SimYaml, ScalarsAreTextAsInBaseLoader) {
  auto defs = load_definitions_text(device_with("    dialogues:\n"
                                                "      - {q: A, r: 1.50}\n"
                                                "      - {q: B, r: ~}\n"
                                                "      - {q: C, r: true}\n"
                                                "      - {q: D, r: }\n"
                                                "      - {q: '  E  ', r: ' x\\r\\n '}\n"
                                                "      - {q: F}\n"),
                                    "ok.yaml");
  const auto& d = defs.devices.at(0)->dialogues;
  ASSERT_EQ(d.size(), 6u);
  EXPECT_EQ(d[0].response->text, "1.50");
  EXPECT_EQ(d[1].response->text, "~");
  EXPECT_EQ(d[2].response->text, "true");
  EXPECT_EQ(d[3].response->text, "");
  EXPECT_EQ(d[4].query, "E");  // spaces stripped (only spaces)
  PythonRandom rng;
  EXPECT_EQ(d[4].response->tmpl.render(nullptr, rng), "x\r\n");  // backslash-r/n in single quotes
  EXPECT_FALSE(d[5].response.has_value());
}

TEST(SimYaml, SpecVersion) {
  EXPECT_EQ(load_error("devices: {}\n"), "bad.yaml:1:1: the file does not specify a spec version (spec: \"1.1\")");
  EXPECT_EQ(load_error("spec: \"2.0\"\n"), "bad.yaml:1:7: spec 2.0 is not supported: the major version must be 1");
  EXPECT_EQ(load_error("spec: 1.2\n"), "bad.yaml:1:7: spec 1.2 is newer than the supported 1.1");
  EXPECT_EQ(load_error("spec: one\n"), "bad.yaml:1:7: spec must be a version \"X.Y\", not 'one'");
  EXPECT_EQ(load_error("spec: 1.0\n"), "loaded");
  EXPECT_EQ(load_error(""), "bad.yaml:1:1: the file is empty (a 'spec' key is required)");
}

TEST(SimYaml, SyntaxError) {
  EXPECT_THAT(load_error("spec: \"1.1\"\ndevices:\n  dev: [1, 2\n"), StartsWith("bad.yaml:4:1: YAML syntax error: "));
  EXPECT_THAT(load_error("spec: \"1.1\"\n  bad indentation: x\n"), StartsWith("bad.yaml:2:"));
  EXPECT_THAT(load_error("spec: \"1.1\"\nresources: " + std::string(300, '[')),
              HasSubstr("nesting deeper than 200 levels"));
}

TEST(SimYaml, UnknownKeysAreIgnoredWithAWarning) {
  // PyVISA-sim ignores keys it does not know; a typo loses the setting, so cppvisa says where.
  EXPECT_EQ(load_warnings("spec: \"1.1\"\ndevics: {}\n"),
            "bad.yaml:2:1: unknown key 'devics' in the top level (ignored; allowed: spec, devices, resources)");
  EXPECT_THAT(load_warnings(device_with("    dialogs: []\n")),
              StartsWith("bad.yaml:6:5: unknown key 'dialogs' in device 'dev' (ignored; allowed: eom, error, dialogues,"));
  EXPECT_EQ(load_warnings(device_with("    dialogues:\n      - {q: A, response: B}\n")),
            "bad.yaml:7:16: unknown key 'response' in a dialogue (ignored; allowed: q, r, delay, when, set, fault, block)");
  EXPECT_EQ(load_warnings(device_with("    properties:\n      p: {default: 1, getter: {q: 'P?', r: '{}', e: X}}\n")),
            "bad.yaml:7:50: unknown key 'e' in property 'p' getter (ignored; allowed: q, r, delay, fault)");
  EXPECT_EQ(load_warnings(device_with("    error: {response: {command_eror: X}}\n")),
            "bad.yaml:6:24: unknown key 'command_eror' in error response (ignored; allowed: command_error, query_error)");
  EXPECT_EQ(load_warnings("spec: \"1.1\"\ndevices: {d: {eom: {ASRL INSTR: {q: a, r: b}}}}\n"
                          "resources:\n  ASRL1::INSTR: {device: d, file: x.yaml}\n"),
            "bad.yaml:4:29: unknown key 'file' in resource 'ASRL1::INSTR' (ignored; allowed: device, filename, bundled, "
            "channel_ids)");
  // A device of PyVISA-sim's fork files with a section it does not know loads.
  EXPECT_THAT(load_warnings(device_with("    connections:\n      power: {q: READ1}\n")),
              StartsWith("bad.yaml:6:5: unknown key 'connections' in device 'dev' (ignored;"));
  EXPECT_EQ(load_warnings(device_with("")), "");
  // Flags PyVISA-sim reads as text: anything but a boolean loads with its meaning there (true).
  EXPECT_EQ(load_warnings(device_with("    channels:\n      ch: {ids: [1], can_select: maybe}\n")),
            "bad.yaml:7:34: channel group 'ch' can_select 'maybe' is not true or false: taken as true, as PyVISA-sim "
            "does");
  EXPECT_THAT(load_warnings("spec: \"1.1\"\nresources:\n  ASRL1::INSTR: {device: device 1, filename: default.yaml, "
                            "bundled: yep}\n"),
              StartsWith("bad.yaml:3:69: resource 'ASRL1::INSTR' bundled 'yep' is not true or false: taken as true"));
  // A key written twice: the later value is used (PyYAML, so PyVISA-sim), with a warning.
  EXPECT_EQ(load_warnings(device_with("    eom: {}\n")),
            "bad.yaml:6:5: duplicate key 'eom': the earlier value is ignored, as PyVISA-sim's YAML loader does");
  auto twice = load_definitions_text(device_with("    dialogues:\n      - {q: A, r: first, r: second}\n"), "bad.yaml");
  EXPECT_EQ(twice.devices.at(0)->dialogues.at(0).response->text, "second");
  EXPECT_EQ(load_definitions_text(device_with("    eom: {}\n"), "bad.yaml").devices.at(0)->eom.size(), 0u);  // the later
  // Aliases share their node: each is checked once.
  EXPECT_EQ(load_warnings("spec: \"1.1\"\nx: &a {k: 1, k: 2}\ny: [*a, *a, *a]\n"),
            "bad.yaml:2:14: duplicate key 'k': the earlier value is ignored, as PyVISA-sim's YAML loader does\n"
            "bad.yaml:2:1: unknown key 'x' in the top level (ignored; allowed: spec, devices, resources)\n"
            "bad.yaml:3:1: unknown key 'y' in the top level (ignored; allowed: spec, devices, resources)");
}

TEST(SimYaml, WrongTypes) {
  EXPECT_EQ(load_error(device_with("    dialogues: {q: A}\n")),
            "bad.yaml:6:16: device 'dev': dialogues must be a list, not a mapping");
  EXPECT_EQ(load_error(device_with("    dialogues:\n      - {q: [A, B]}\n")),
            "bad.yaml:7:13: dialogue q must be a string, not a list");
  EXPECT_EQ(load_error(device_with("    properties:\n      - p\n")),
            "bad.yaml:7:7: device 'dev': properties must be a mapping, not a list");
  EXPECT_EQ(load_error("spec: \"1.1\"\ndevices: [a]\n"), "bad.yaml:2:10: devices must be a mapping, not a list");
  EXPECT_EQ(load_error(device_with("    seed: many\n")), "bad.yaml:6:11: device 'dev': seed must be an integer, not 'many'");
  EXPECT_EQ(load_error(device_with("    delay: soon\n")),
            "bad.yaml:6:12: device 'dev': delay must be a time between 0 and 3600 s (seconds, or with a unit: \"50 ms\", "
            "\"200 us\"), not 'soon'");
  EXPECT_EQ(load_error(device_with("    query_error_on_empty_read: maybe\n")),
            "bad.yaml:6:32: device 'dev': query_error_on_empty_read must be true or false, not 'maybe'");
  EXPECT_EQ(load_error(device_with("    dialogues:\n      - {r: A}\n")), "bad.yaml:7:9: malformed dialogue: q is required");
}

TEST(SimYaml, Properties) {
  // A getter format that cannot format the value: PyVISA-sim loads it and fails at the query.
  EXPECT_EQ(load_warnings(device_with("    properties:\n      rail:\n        default: P6V\n"
                                      "        getter: {q: 'R?', r: '{:d}'}\n        specs: {type: str}\n")),
            "bad.yaml:9:30: property 'rail': the getter format '{:d}' cannot format the value 'P6V' (str): Unknown "
            "format code 'd' for object of type 'str'");
  EXPECT_EQ(load_warnings(device_with("    properties:\n      rail:\n        default: P6V\n"
                                      "        getter: {q: 'R?', r: '{:.2f}'}\n")),
            "bad.yaml:9:30: property 'rail': the getter format '{:.2f}' cannot format the value 'P6V' (str, the "
            "property has no specs type): Unknown format code 'f' for object of type 'str'");
  EXPECT_EQ(load_warnings(device_with("    properties:\n      v:\n        default: 1.0\n"
                                      "        getter: {q: 'V?', r: 'V={1}'}\n        specs: {type: float}\n")),
            "bad.yaml:9:30: property 'v' getter r 'V={1}': Replacement index 1 out of range for positional args tuple "
            "(an error when this response is used)");
  EXPECT_EQ(load_error(device_with("    properties:\n      v:\n        default: 9\n        specs: {type: float, max: 6}\n")),
            "bad.yaml:8:18: property 'v': the default '9' is not valid for its specs");
  EXPECT_EQ(load_error(device_with("    properties:\n      v:\n        default: 1\n        specs: {type: double}\n")),
            "bad.yaml:9:23: property 'v' specs: type must be float, int or str, not 'double'");
  EXPECT_EQ(load_error(device_with("    properties:\n      v:\n        default: 1\n        specs: {min: 0}\n")),
            "bad.yaml:9:16: property 'v' specs: type is required (float, int or str)");
  EXPECT_EQ(load_error(device_with("    properties:\n      v:\n        default: 1\n        specs: {type: int, valid: [1, x]}\n")),
            "bad.yaml:9:39: property 'v' specs valid value 'x' is not a valid int");
  EXPECT_EQ(load_error(device_with("    properties:\n      v:\n        getter: {q: 'V?', r: '{}'}\n")),
            "bad.yaml:8:9: property 'v': default is required");
  EXPECT_EQ(load_error(device_with("    properties:\n      v:\n        default: 1\n        setter: {q: 'V'}\n")),
            "bad.yaml:9:21: property 'v' setter q 'V' must have exactly one value field such as {:d} or {:.3f}");
  EXPECT_EQ(load_error(device_with("    properties:\n      v:\n        default: 1\n        setter: {q: 'V {:q}'}\n")),
            "bad.yaml:9:21: property 'v' setter q 'V {:q}': Invalid format specifier 'q'");
}

TEST(SimYaml, MalformedDirectivesLoadWithAWarning) {
  // PyVISA-sim loads these and raises only when the response is used: a warning here, and the
  // response is kept as malformed (rendering it throws MalformedResponse naming where it is).
  const std::string used = " (an error when this response is used)";
  EXPECT_EQ(load_warnings(device_with("    dialogues:\n      - {q: A, r: '{RANDOM(0, 10.5):.2f}'}\n")),
            "bad.yaml:7:19: dialogue r '{RANDOM(0, 10.5):.2f}': Wrong RANDOM directive (three arguments needed): "
            "expected {RANDOM(min, max, count):format}, e.g. {RANDOM(0, 10.5, 3):.2f}" + used);
  EXPECT_EQ(load_warnings(device_with("    dialogues:\n      - {q: A, r: 'RANDOM(0, 10.5, 1){:.2f}'}\n")),
            "bad.yaml:7:19: dialogue r 'RANDOM(0, 10.5, 1){:.2f}': Wrong RANDOM directive: expected {RANDOM(min, "
            "max, count):format}, e.g. {RANDOM(0, 10.5, 3):.2f}" + used);
  EXPECT_EQ(load_warnings(device_with("    dialogues:\n      - {q: A, r: '{RANDOM(0, 1, 1):d}'}\n")),
            "bad.yaml:7:19: dialogue r '{RANDOM(0, 1, 1):d}': Unknown format code 'd' for object of type 'float'" + used);
  EXPECT_EQ(load_warnings(device_with("    dialogues:\n      - {q: A, r: \"BYTES(\\u20ac)\"}\n")),
            "bad.yaml:7:19: dialogue r 'BYTES(\xe2\x82\xac)': BYTES(...) may only contain characters U+0000..U+00FF "
            "(one byte each), e.g. \"BYTES(\\xaa\\x55)\"" + used);
  EXPECT_EQ(load_warnings(device_with("    dialogues:\n      - {q: A, r: 'BYTES(ab'}\n")),
            "bad.yaml:7:19: dialogue r 'BYTES(ab': BYTES( without a closing parenthesis" + used);
  auto defs = load_definitions_text(device_with("    dialogues:\n      - {q: A, r: '{RANDOM(0, 10.5):.2f}'}\n"
                                                "      - {q: B, r: '{RANDOM(0, 10.5, 1):.1f}'}\n"),
                                    "bad.yaml");
  const auto& dialogues = defs.devices.at(0)->dialogues;
  PythonRandom rng(1);
  try {
    dialogues.at(0).response->tmpl.render(nullptr, rng);
    FAIL() << "rendered";
  } catch (const MalformedResponse& e) {
    EXPECT_THAT(std::string(e.what()), StartsWith("bad.yaml:7:19: dialogue r '{RANDOM(0, 10.5):.2f}': Wrong RANDOM"));
  }
  EXPECT_EQ(dialogues.at(1).response->tmpl.render(nullptr, rng).size(), 3u);
  // The bundled default.yaml has PyVISA-sim's two malformed dialogues of device 5: warnings kept
  // apart (not printed at load), as the file is cppvisa's own.
  auto bundled = load_definitions(source_path("data/sim/default.yaml"));
  EXPECT_TRUE(bundled.warnings.empty());
  ASSERT_EQ(bundled.bundled_warnings.size(), 2u);
  EXPECT_THAT(bundled.bundled_warnings[0], HasSubstr("default.yaml:140:"));
  EXPECT_THAT(bundled.bundled_warnings[1], HasSubstr("default.yaml:141:"));
  EXPECT_THAT(bundled.bundled_warnings[0], HasSubstr("dialogue r 'RANDOM(0, 10.5, 5){:.2f}': Wrong RANDOM directive"));
  EXPECT_THAT(bundled.bundled_warnings[1], HasSubstr("dialogue r '{RANDOM(0, 10.5):.2f}': Wrong RANDOM directive"));
  // A user file with the same dialogues gets them as warnings.
  std::string text;
  {
    std::ifstream in(source_path("data/sim/default.yaml"));
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (std::size_t at; (at = text.find("filename: oscilloscope.yaml}")) != std::string::npos;)
    text.replace(at, 28, "filename: oscilloscope.yaml, bundled: true}");
  auto user = load_definitions_text(text, "/tmp/copy/default.yaml");
  EXPECT_TRUE(user.bundled_warnings.empty());
  ASSERT_EQ(user.warnings.size(), 2u);
  EXPECT_THAT(user.warnings[1], StartsWith("/tmp/copy/default.yaml:141:"));
}

TEST(SimYaml, StateFaultAndBlockExtensions) {
  auto dialogue = [](const std::string& item) {
    return load_error(device_with("    properties:\n      mode: {default: A, specs: {type: str, valid: [A, B]}}\n"
                                  "      n: {default: 1, setter: {q: 'N {:d}', when: {mode: B}}, specs: {type: int}}\n"
                                  "    dialogues:\n      - " + item + "\n"));
  };
  EXPECT_EQ(dialogue("{q: X, when: {mode: B}, set: {mode: A, n: 3}}"), "loaded");
  EXPECT_EQ(dialogue("{q: X, when: {mod: B}}"), "bad.yaml:10:23: dialogue when: the device has no property named 'mod'");
  EXPECT_EQ(dialogue("{q: X, set: {mode: C}}"),
            "bad.yaml:10:28: dialogue set: 'C' is not a valid value of property 'mode' (its specs)");
  EXPECT_EQ(dialogue("{q: X, when: B}"), "bad.yaml:10:22: dialogue when must be a mapping, not a string");
  EXPECT_EQ(dialogue("{q: X, fault: timeout}"), "loaded");
  EXPECT_EQ(dialogue("{q: X, fault: {kind: garbage, every: 3, probability: 0.25}}"), "loaded");
  EXPECT_EQ(dialogue("{q: X, fault: crash}"),
            "bad.yaml:10:23: dialogue fault: kind must be timeout, garbage or disconnect, not 'crash'");
  EXPECT_EQ(dialogue("{q: X, fault: {kind: timeout, every: 0}}"),
            "bad.yaml:10:46: dialogue fault every must be between 1 and 9223372036854775807, not 0");
  EXPECT_EQ(dialogue("{q: X, fault: {kind: timeout, probability: 2}}"),
            "bad.yaml:10:52: dialogue fault: probability must be a number from 0 to 1, not '2'");
  EXPECT_EQ(dialogue("{q: X, fault: {every: 2}}"),
            "bad.yaml:10:23: dialogue fault: kind is required (timeout, garbage or disconnect)");
  EXPECT_EQ(dialogue("{q: X, block: {type: int16, byte_order: little, values: [1, -2], random: [0, 1, 10]}}"),
            "loaded");
  EXPECT_EQ(dialogue("{q: X, block: {type: int12, values: [1]}}"),
            "bad.yaml:10:30: dialogue block: type must be int8, uint8, int16, uint16, int32, uint32, float32 or "
            "float64, not 'int12'");
  EXPECT_EQ(dialogue("{q: X, block: {type: uint8, values: [256]}}"),
            "bad.yaml:10:46: dialogue block: the value '256' does not fit the block type");
  EXPECT_EQ(dialogue("{q: X, block: {type: int8, random: [-200, 1, 3]}}"),
            "bad.yaml:10:44: dialogue block: the random range does not fit the block type");
  EXPECT_EQ(dialogue("{q: X, block: {type: float64, random: [0, 1, 3000000]}}"),
            "bad.yaml:10:47: dialogue block: more than 16777216 bytes");
  EXPECT_EQ(dialogue("{q: X, block: {type: int8}}"), "bad.yaml:10:23: dialogue block: values or random is required");
  EXPECT_EQ(dialogue("{q: X, block: {byte_order: middle, values: []}}"),
            "bad.yaml:10:36: dialogue block: byte_order must be big or little, not 'middle'");
  // A setter's `when` names a property of the device, checked once every property is known.
  EXPECT_EQ(load_error(device_with("    properties:\n      n: {default: 1, setter: {q: 'N {:d}', set: {later: 2}}}\n"
                                   "      later: {default: 0, specs: {type: int, max: 1}}\n")),
            "bad.yaml:7:58: property 'n' setter set: '2' is not a valid value of property 'later' (its specs)");
  // The testing file of the unit tests loads without warnings.
  auto defs = load_definitions(source_path("tests/data/sim/testing_extensions.yaml"));
  EXPECT_TRUE(defs.warnings.empty());
}

TEST(SimYaml, ErrorsEomChannelsAndExtensions) {
  EXPECT_EQ(load_error(device_with("    error:\n      error_queue:\n        - {q: 'E?'}\n")),
            "bad.yaml:8:11: an error_queue entry needs default (the reply when the queue is empty)");
  EXPECT_EQ(load_error(device_with("    error:\n      status_register:\n        - {q: 'S?', command_error: x}\n")),
            "bad.yaml:8:36: command_error must be an integer, not 'x'");
  EXPECT_EQ(load_error("spec: \"1.1\"\ndevices:\n  d:\n    eom:\n      SERIAL INSTR: {q: a, r: b}\n"),
            "bad.yaml:5:7: eom key 'SERIAL INSTR' must be \"<INTERFACE> <CLASS>\", e.g. \"ASRL INSTR\", \"TCPIP "
            "SOCKET\", \"USB RAW\"");
  EXPECT_EQ(load_error("spec: \"1.1\"\ndevices:\n  d:\n    eom:\n      ASRL INSTR: {q: a}\n"),
            "bad.yaml:5:19: eom 'ASRL INSTR' needs both q and r");
  EXPECT_EQ(load_error(device_with("    channels:\n      ch: {ids: [1], can_select: False}\n")),
            "bad.yaml:7:7: channel group 'ch': can_select is False, so the device needs a property named "
            "'selected_channel'");
  EXPECT_EQ(load_error(device_with("    bases: [other]\n")),
            "bad.yaml:6:12: device 'dev': 'bases' (device inheritance) is reserved and not implemented");
  EXPECT_EQ(load_error(device_with("    waveforms:\n      - {q: 'CURV?', points: n}\n")),
            "bad.yaml:7:30: waveform points: no property named 'n'");
  EXPECT_EQ(load_error(device_with("    status_byte: {enable_setter: '*SRE'}\n")),
            "bad.yaml:6:34: status_byte enable_setter must have exactly one value field, e.g. \"*SRE {:d}\"");
}

TEST(SimYaml, ResourcesAndIncludes) {
  EXPECT_EQ(load_error("spec: \"1.1\"\nresources:\n  ASRL1::INSTR: {device: nowhere}\n"),
            "bad.yaml:3:26: resource 'ASRL1::INSTR': no device named 'nowhere' in bad.yaml (it defines none)");
  EXPECT_EQ(load_error("spec: \"1.1\"\nresources:\n  ASRL1::INSTR: {filename: x.yaml}\n"),
            "bad.yaml:3:17: resource 'ASRL1::INSTR': device is required");
  auto dir = std::filesystem::temp_directory_path() / ("cppvisa_sim_yaml_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string top = (dir / "top.yaml").string();
  EXPECT_EQ(load_error("spec: \"1.1\"\nresources:\n  ASRL1::INSTR: {device: d, filename: missing.yaml}\n", top),
            top + ":3:39: cannot open the simulation file '" + (dir / "missing.yaml").string() +
                "': No such file or directory");
  EXPECT_EQ(load_error("spec: \"1.1\"\nresources:\n  ASRL1::INSTR: {device: d, filename: /dev/zero}\n", top),
            top + ":3:39: cannot open the simulation file '/dev/zero': not a regular file");
  {
    std::ofstream(dir / "inc.yaml") << "spec: \"1.1\"\ndevices:\n  d:\n    dialogues:\n      - {q: 1, r: [x]}\n";
  }
  // An error inside an included file names that file.
  EXPECT_EQ(load_error("spec: \"1.1\"\nresources:\n  ASRL1::INSTR: {device: d, filename: inc.yaml}\n", top),
            (dir / "inc.yaml").string() + ":5:19: dialogue r must be a string, not a list");
  {
    std::ofstream(dir / "inc.yaml") << "spec: \"3.0\"\n";
  }
  EXPECT_EQ(load_error("spec: \"1.1\"\nresources:\n  ASRL1::INSTR: {device: d, filename: inc.yaml}\n", top),
            (dir / "inc.yaml").string() + ":1:7: spec 3.0 is not supported: the major version must be 1");
  {
    std::ofstream(dir / "inc.yaml") << "spec: \"1.0\"\ndevices:\n  d:\n    dialogues:\n      - {q: \"HI?\", r: there}\n";
  }
  auto defs = load_definitions_text("spec: \"1.1\"\nresources:\n  ASRL1::INSTR: {device: d, filename: inc.yaml}\n", top);
  EXPECT_EQ(defs.resources.at(0).device->dialogues.at(0).query, "HI?");
  // bundled: true refers to the bundled directory whatever the including file's directory.
  auto bundled = load_definitions_text(
      "spec: \"1.1\"\nresources:\n  ASRL1::INSTR: {device: device 4, filename: default.yaml, bundled: true}\n", top);
  EXPECT_EQ(bundled.resources.at(0).device->name, "device 4");
  std::filesystem::remove_all(dir);
}

TEST(SimYaml, DefaultPathFromEnvironment) {
  ::setenv("CPPVISA_SIM_DEFAULT", "/tmp/custom.yaml", 1);
  EXPECT_EQ(default_definitions_path(), "/tmp/custom.yaml");
  ::unsetenv("CPPVISA_SIM_DEFAULT");
  EXPECT_EQ(default_definitions_path(), (std::filesystem::path(bundled_directory()) / "default.yaml").string());
  EXPECT_TRUE(std::filesystem::exists(default_definitions_path()));
}

TEST(SimYaml, MissingTopFile) {
  try {
    load_definitions("/nonexistent/dir/file.yaml");
    FAIL() << "loaded";
  } catch (const LoadError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot open the simulation file '/nonexistent/dir/file.yaml': No such file or directory");
  }
}

}  // namespace
}  // namespace cppvisa::sim
