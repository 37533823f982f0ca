#include "server/query_scanner.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "support/bytes.hpp"

using cppvisa::testing::byte_view;

namespace {

using cppvisa::server::QueryScanner;

bool is_query(std::string_view message) {
  QueryScanner q;
  q.feed(byte_view(message));
  return q.saw_query();
}

// Fed one byte at a time: the answer must not depend on how the message was cut.
bool is_query_bytewise(std::string_view message) {
  QueryScanner q;
  for (std::size_t i = 0; i < message.size(); ++i) q.feed(byte_view(message.substr(i, 1)));
  return q.saw_query();
}

TEST(QueryScanner, QueriesAndCommands) {
  EXPECT_TRUE(is_query("*IDN?"));
  EXPECT_TRUE(is_query("*IDN?\n"));
  EXPECT_TRUE(is_query(":MEAS:VOLT:DC? 10,0.001"));
  EXPECT_TRUE(is_query("*RST;*IDN?"));
  EXPECT_FALSE(is_query("*RST"));
  EXPECT_FALSE(is_query(":VOLT 1.5;:OUTP ON\n"));
  EXPECT_FALSE(is_query(""));
}

TEST(QueryScanner, StringsHideQuestionMarks) {
  EXPECT_FALSE(is_query(":DISP:TEXT \"Ready?\""));
  EXPECT_FALSE(is_query(":DISP:TEXT 'who?'"));
  EXPECT_FALSE(is_query(":DISP:TEXT \"say \"\"hi?\"\" now\""));  // doubled quote inside (§7.7.5)
  EXPECT_TRUE(is_query(":DISP:TEXT \"a?\";:SYST:ERR?"));
}

TEST(QueryScanner, BlocksHideQuestionMarks) {
  EXPECT_FALSE(is_query(":DATA #15ab?cd"));
  EXPECT_TRUE(is_query(":DATA #15ab?cd;*OPC?"));
  EXPECT_FALSE(is_query(":DATA #0ab?cd\n"));
  EXPECT_TRUE(is_query(":DATA #0ab?cd\n*IDN?"));  // an indefinite block ends at NL
  EXPECT_FALSE(is_query(":DATA #210'\"?''?#?##;*RST"));  // 10 bytes of anything, then a command
  EXPECT_TRUE(is_query(":DATA #210'\"?''?#?##;*ESR?"));
}

TEST(QueryScanner, NonDecimalNumbersAreCode) {
  EXPECT_FALSE(is_query(":STAT:ENAB #H1F"));
  EXPECT_TRUE(is_query(":STAT:ENAB #HFF;:STAT:ENAB?"));
  EXPECT_TRUE(is_query("#?"));  // '#' then a character that starts no block
}

TEST(QueryScanner, SameAnswerWhateverThePieces) {
  for (std::string_view m : {"*IDN?", ":DATA #15ab?cd", ":DATA #15ab?cd;*OPC?", ":DISP:TEXT \"x?\"", "#H1F?",
                             ":DATA #0a?\n?", ":DATA #3"})
    EXPECT_EQ(is_query(m), is_query_bytewise(m)) << m;
}

TEST(QueryScanner, ResetStartsANewMessage) {
  QueryScanner q;
  q.feed(byte_view("*IDN?"));
  EXPECT_TRUE(q.saw_query());
  q.reset();
  q.feed(byte_view("*RST"));
  EXPECT_FALSE(q.saw_query());
  q.feed(byte_view(":DATA \"open string ?"));
  q.reset();  // an unterminated string does not leak into the next message
  q.feed(byte_view("*CLS;*OPC?"));
  EXPECT_TRUE(q.saw_query());
}

TEST(QueryScanner, HugeBlockLengthIsBounded) {
  QueryScanner q;
  q.feed(byte_view(":DATA #999999999999ab?"));  // 9 digits: the rest is block data
  EXPECT_FALSE(q.saw_query());
}

}  // namespace
