// raw_socket::MessageSplitter: where program messages end in a raw socket's byte stream.
#include "protocols/socket/message_splitter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "support/bytes.hpp"

using cppvisa::testing::byte_view;

namespace cppvisa::raw_socket {
namespace {

/// Feeds `stream` in pieces of `chunk` bytes and returns the messages found (the rest unended).
std::vector<std::string> split(std::string_view stream, std::size_t chunk, std::string* rest = nullptr) {
  MessageSplitter splitter;
  std::vector<std::string> out;
  std::string current;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    std::string_view piece = stream.substr(at, chunk);
    while (!piece.empty()) {
      std::size_t len = splitter.find_end(byte_view(piece));
      if (len == 0) {
        current += piece;
        break;
      }
      current += piece.substr(0, len);
      out.push_back(current);
      current.clear();
      piece.remove_prefix(len);
    }
  }
  if (rest) *rest = current;
  return out;
}

TEST(MessageSplitter, NlEndsAMessage) {
  for (std::size_t chunk : {1u, 3u, 100u}) {
    std::string rest;
    EXPECT_EQ(split("*IDN?\n:WAV:POIN 1000\nCURV?\nVOLT", chunk, &rest),
              (std::vector<std::string>{"*IDN?\n", ":WAV:POIN 1000\n", "CURV?\n"}));
    EXPECT_EQ(rest, "VOLT");
  }
}

TEST(MessageSplitter, NlInsideADefiniteBlockIsData) {
  std::string upload = std::string("DATA #212ab\ncd\nef\nghi") + "\n";  // 12 bytes of block, 3 of them NL
  for (std::size_t chunk : {1u, 2u, 5u, 100u}) {
    EXPECT_EQ(split(upload + "*OPC?\n", chunk), (std::vector<std::string>{upload, "*OPC?\n"})) << chunk;
  }
  // Two blocks in one message, then an empty block (#10).
  std::string two = "A #13\n\n\n,#210\n\n\n\n\n\n\n\n\n\n;B #10\n";
  EXPECT_EQ(split(two + "C\n", 1), (std::vector<std::string>{two, "C\n"}));
}

TEST(MessageSplitter, IndefiniteBlocksStringsAndNumbersEndAtNl) {
  // #0 ends with NL^END (IEEE 488.2 §7.7.6.3); on a raw socket that NL is the terminator.
  EXPECT_EQ(split("DATA #0abc\nX\n", 1), (std::vector<std::string>{"DATA #0abc\n", "X\n"}));
  // A stray quote must not swallow the messages after it.
  EXPECT_EQ(split("DISP 'unterminated\n*IDN?\n", 4), (std::vector<std::string>{"DISP 'unterminated\n", "*IDN?\n"}));
  // #H/#Q/#B numbers (§7.7.4) are ordinary characters.
  EXPECT_EQ(split("VAL #HFF\nVAL #B101\n", 1), (std::vector<std::string>{"VAL #HFF\n", "VAL #B101\n"}));
  // A malformed length ("#2" then a letter) falls back to plain characters.
  EXPECT_EQ(split("X #2a\nY\n", 1), (std::vector<std::string>{"X #2a\n", "Y\n"}));
}

TEST(MessageSplitter, AHugeAnnouncedLengthDoesNotOverflow) {
  std::string rest;
  EXPECT_TRUE(split("X #999999999999999999999\n\n", 7, &rest).empty());  // all of it is block data
  EXPECT_EQ(rest.size(), 26u);
}

}  // namespace
}  // namespace cppvisa::raw_socket
