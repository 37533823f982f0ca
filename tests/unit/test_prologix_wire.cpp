// Prologix framing: escaping of data lines, reply lines, command parsing and the adapter side's
// host stream parser (tests/fuzz/fuzz_prologix.cpp fuzzes the same parsers).
#include "protocols/prologix/prologix_wire.hpp"

#include <gtest/gtest.h>

#include <string>

#include "support/bytes.hpp"

using cppvisa::testing::byte_view;

namespace cppvisa::prologix {
namespace {

std::string text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

TEST(PrologixWire, DataLinesEscapeCrLfEscAndPlus) {
  // The manual's example: 00 01 02 0D 03 0A 04 1B 05 2B 06.
  std::vector<std::byte> out;
  append_data_line(byte_view(std::string("\x00\x01\x02\x0D\x03\x0A\x04\x1B\x05\x2B\x06", 11)), out);
  EXPECT_EQ(text(out), std::string("\x00\x01\x02\x1B\x0D\x03\x1B\x0A\x04\x1B\x1B\x05\x1B\x2B\x06\n", 16));
  out.clear();
  append_data_line(byte_view("*IDN?\n"), out);
  EXPECT_EQ(text(out), "*IDN?\x1b\n\n");  // the device gets the LF too; the last LF ends the line
}

TEST(PrologixWire, ALineEscapedInPiecesIsTheLineEscapedAtOnce) {
  const std::string data("+a\r\n\x1b+b\n", 8);
  std::vector<std::byte> whole, pieces;
  append_data_line(byte_view(data), whole);
  for (std::size_t i = 0; i < data.size(); i += 3) append_escaped(byte_view(data.substr(i, 3)), pieces);
  pieces.push_back(std::byte{'\n'});
  EXPECT_EQ(text(pieces), text(whole));
}

TEST(PrologixWire, AddressCommands) {
  EXPECT_EQ(address_command(5, std::nullopt), "++addr 5\n");
  EXPECT_EQ(address_command(3, 4), "++addr 3 100\n");  // secondary addresses are 96 + sad
}

TEST(PrologixWire, ReplyReaderTakesOneLine) {
  ReplyReader r;
  std::size_t used = 0;
  EXPECT_EQ(r.feed(byte_view("12"), used), ReplyReader::Result::need_more);
  EXPECT_EQ(used, 2u);
  EXPECT_EQ(r.feed(byte_view("3\r\nrest"), used), ReplyReader::Result::line);
  EXPECT_EQ(used, 3u);  // stops after the LF
  EXPECT_EQ(r.line(), "123");
  r.reset();
  std::string flood(ReplyReader::max_line + 10, 'x');
  EXPECT_EQ(r.feed(byte_view(flood), used), ReplyReader::Result::too_long);
}

TEST(PrologixWire, NumbersAndCommands) {
  EXPECT_EQ(parse_number(" 64 ", 255), 64u);
  EXPECT_EQ(parse_number("256", 255), std::nullopt);
  EXPECT_EQ(parse_number("6x", 255), std::nullopt);
  EXPECT_EQ(parse_number("", 255), std::nullopt);
  EXPECT_EQ(parse_number("99999999999", 255), std::nullopt);
  auto c = parse_command("++READ eoi");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "read");
  EXPECT_EQ(c->args, std::vector<std::string>{"eoi"});
  EXPECT_FALSE(parse_command("+addr 5"));
  EXPECT_FALSE(parse_command("++"));
}

struct Collected {
  std::vector<std::string> events;  // "D:<data>", "E", "C:<command>", "L"
  void operator()(const HostParser::Event& e) {
    switch (e.kind) {
      case HostParser::Event::data:
        if (!events.empty() && events.back().rfind("D:", 0) == 0) events.back() += text(e.bytes);
        else events.push_back("D:" + text(e.bytes));
        break;
      case HostParser::Event::data_end: events.push_back("E"); break;
      case HostParser::Event::command: events.push_back("C:" + std::string(e.text)); break;
      case HostParser::Event::command_too_long: events.push_back("L"); break;
    }
  }
};

TEST(PrologixWire, HostParserSplitsCommandsAndUnescapesData) {
  HostParser p;
  Collected c;
  std::vector<std::byte> line;
  append_data_line(byte_view("a+\r\n\x1b++b"), line);
  std::string stream = "++addr 5\r\n" + text(line) + "\r\n+x\n++read eoi\n";
  // Fed one byte at a time: a sequence cut anywhere parses the same.
  for (char ch : stream) p.feed(byte_view(std::string_view(&ch, 1)), std::ref(c));
  EXPECT_EQ(c.events, (std::vector<std::string>{"C:++addr 5", "D:a+\r\n\x1b++b", "E", "D:+x", "E", "C:++read eoi"}));
}

TEST(PrologixWire, HostParserBoundsCommands) {
  HostParser p;
  Collected c;
  std::string stream = "++" + std::string(1000, 'z') + "\n++ver\n";
  p.feed(byte_view(stream), std::ref(c));
  EXPECT_EQ(c.events, (std::vector<std::string>{"L", "C:++ver"}));
}

}  // namespace
}  // namespace cppvisa::prologix
