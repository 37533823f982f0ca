// Tests of core::read_block: every block format read through reads that stop at each 0x0A (a
// termination character inside the data), blocks cut short, and storage that grows with the
// bytes received rather than with the announced length.
#include "core/block_reader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

using namespace cppvisa;

namespace {

// A device whose reads stop after each termination character (VI_SUCCESS_TERM_CHAR), at the
// buffer's end (VI_SUCCESS_MAX_CNT) or at the end of the message (END: VI_SUCCESS); after the
// message: `after` (VI_ERROR_TMO by default).
struct Script {
  std::string message;
  std::size_t pos = 0;
  bool termchar = true;
  status_t after = status::ERROR_TMO;
  int reads = 0;
  status_t operator()(std::span<std::byte> buffer, std::size_t& count) {
    ++reads;
    count = 0;
    if (pos >= message.size()) return after;
    while (count < buffer.size() && pos < message.size()) {
      char c = message[pos++];
      buffer[count++] = static_cast<std::byte>(c);
      if (pos == message.size()) return status::SUCCESS;
      if (termchar && c == '\n') return status::SUCCESS_TERM_CHAR;
    }
    return status::SUCCESS_MAX_CNT;
  }
};

std::string data_with_line_ends(std::size_t n) {
  std::string d;
  for (std::size_t i = 0; i < n; ++i) d += "\n\r\x0a\x0d" "ab"[i % 6];
  return d;
}

struct Outcome {
  status_t st;
  std::string data;
  std::string rest;
  std::size_t peak = 0;
  std::string why;
};

Outcome run(Script& script, core::BlockSpec spec) {
  std::vector<std::byte> storage, pending;
  Outcome out;
  auto grow = [&](std::size_t n) {
    storage.resize(n);
    out.peak = std::max(out.peak, n);
    return std::span(storage);
  };
  bool ended = false;
  core::BlockResult result;
  core::BlockReadFn read = [&](std::span<std::byte> b, std::size_t& c) { return script(b, c); };
  out.st = core::read_block(read, spec, pending, ended, grow, result);
  out.data.assign(reinterpret_cast<const char*>(storage.data()), result.length);
  out.rest.assign(reinterpret_cast<const char*>(pending.data()), pending.size());
  out.why = result.why;
  return out;
}

}  // namespace

TEST(BlockReader, EveryFormatFollowsItsHeaderThroughTerminationCharacters) {
  const std::string data = data_with_line_ends(250);
  struct Case {
    const char* name;
    std::string message;
    std::optional<BlockFormat> format;
  };
  const std::string hp_len = std::string("\x00\xfa", 2);  // 250, big-endian
  const Case cases[] = {
      {"ieee definite", "#3250" + data + "\n", BlockFormat::ieee},
      {"ieee indefinite", "#0" + data + "\n", BlockFormat::ieee},
      {"hp", "#A" + hp_len + data + "\n", BlockFormat::hp},
      {"rs", "#(250)" + data + "\n", BlockFormat::rs},
      {"detected ieee", "#3250" + data + "\n", std::nullopt},
      {"detected hp", "#A" + hp_len + data + "\n", std::nullopt},
      {"detected rs", "#(250)" + data + "\n", std::nullopt},
  };
  for (const auto& c : cases) {
    Script script{c.message};
    core::BlockSpec spec;
    spec.format = c.format;
    spec.big_endian = true;
    spec.chunk = 7;
    auto out = run(script, spec);
    EXPECT_EQ(out.st, status::SUCCESS) << c.name << ": " << out.why;
    EXPECT_EQ(out.data, data) << c.name;
  }
}

TEST(BlockReader, ACutShortBlockIsAnErrorNeverSuccess) {
  Script script{"#3250" + data_with_line_ends(100)};  // END after 100 of 250 bytes
  auto out = run(script, {});
  EXPECT_EQ(out.st, status::ERROR_INV_LENGTH);
  EXPECT_NE(out.why.find("after 100 of the 250 data bytes"), std::string::npos) << out.why;

  // A definite block whose message ends early in the middle of a read.
  Script silent{"#3250abcd"};
  silent.termchar = false;
  auto s2 = run(silent, {});
  EXPECT_EQ(s2.st, status::ERROR_INV_LENGTH);
}

TEST(BlockReader, ReadErrorsInsideTheDataSayHowManyBytesArrived) {
  Script script{"#3250abcd"};
  script.termchar = false;
  // Never END: reads give the bytes, then the device is lost.
  core::BlockReadFn read = [&](std::span<std::byte> b, std::size_t& c) {
    status_t st = script(b, c);
    return st == status::SUCCESS ? status::SUCCESS_MAX_CNT : status::ERROR_CONN_LOST;
  };
  std::vector<std::byte> storage, pending;
  bool ended = false;
  core::BlockResult result;
  status_t st = core::read_block(
      read, {}, pending, ended,
      [&](std::size_t n) {
        storage.resize(n);
        return std::span(storage);
      },
      result);
  EXPECT_EQ(st, status::ERROR_CONN_LOST);
  EXPECT_EQ(result.length, 4u);
  EXPECT_NE(result.why.find("4 of the 250 data bytes"), std::string::npos) << result.why;
}

TEST(BlockReader, StorageGrowsWithTheBytesNotWithTheAnnouncedLength) {
  // A header announcing 999 999 999 bytes, 1000 of them sent, then silence.
  Script script{"#9999999999" + std::string(1000, 'x')};
  script.termchar = false;
  core::BlockReadFn read = [&](std::span<std::byte> b, std::size_t& c) {
    status_t st = script(b, c);
    return st == status::SUCCESS ? status::SUCCESS_MAX_CNT : st;  // no END: then VI_ERROR_TMO
  };
  std::vector<std::byte> storage, pending;
  std::size_t peak = 0;
  bool ended = false;
  core::BlockResult result;
  status_t st = core::read_block(
      read, {}, pending, ended,
      [&](std::size_t n) {
        storage.resize(n);
        peak = std::max(peak, n);
        return std::span(storage);
      },
      result);
  EXPECT_EQ(st, status::ERROR_TMO);
  EXPECT_EQ(result.length, 1000u);
  EXPECT_LE(peak, 64u * 1024);  // the first step, not 953 MiB
}

TEST(BlockReader, WrongItemSizeSaysTheNumbers) {
  Script script{"#17abcdefg\n"};
  core::BlockSpec spec;
  spec.itemsize = 4;
  auto out = run(script, spec);
  EXPECT_EQ(out.st, status::ERROR_INV_LENGTH);
  EXPECT_NE(out.why.find("7 data bytes are not a multiple of the item size (4 bytes)"), std::string::npos) << out.why;
}

TEST(BlockReader, BytesAfterTheBlockStayForTheCaller) {
  Script script{"#15hello\r\n"};
  auto out = run(script, {});
  EXPECT_EQ(out.st, status::SUCCESS);
  EXPECT_EQ(out.data, "hello");
  EXPECT_EQ(out.rest, "\r\n");
}

TEST(BlockReader, IndefiniteBlockLongerThanItsLimitIsRefused) {
  Script script{"#0" + std::string(5000, 'y') + "\n"};
  core::BlockSpec spec;
  spec.limits.max_length = 1000;
  auto out = run(script, spec);
  EXPECT_EQ(out.st, status::ERROR_INV_LENGTH);
  EXPECT_LE(out.peak, 1000u);
}

TEST(BlockReader, IndefiniteBlockEndsAtTheTerminationCharacterWhereReadsCannotSeeEnd) {
  // A SOCKET with VI_ATTR_SUPPRESS_END_EN: reads stop at '\n', never report END.
  Script script{"#0abc\nnext"};
  core::BlockReadFn read = [&](std::span<std::byte> b, std::size_t& c) {
    status_t st = script(b, c);
    return st == status::SUCCESS ? status::ERROR_TMO : st;
  };
  std::vector<std::byte> storage, pending;
  bool ended = false;
  core::BlockResult result;
  core::BlockSpec spec;
  spec.termchar_ends_indefinite = true;
  status_t st = core::read_block(
      read, spec, pending, ended,
      [&](std::size_t n) {
        storage.resize(n);
        return std::span(storage);
      },
      result);
  EXPECT_EQ(st, status::SUCCESS) << result.why;
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(storage.data()), result.length), "abc");
  EXPECT_EQ(script.pos, 6u);  // "next" not read: it belongs to the next message
}

TEST(BlockReader, StorageStopsAtMaxStoredAndTheRestOfTheBlockIsDropped) {
  // viScanf %b into an array of 10 elements: a 1 MB block costs 10 bytes of storage; the block
  // is still read to its end, so what follows it stays for the caller.
  const std::string data = data_with_line_ends(1 << 20);
  const std::pair<const char*, std::string> cases[] = {
      {"ieee definite", "#71048576" + data + "\r\n"},
      {"ieee indefinite", "#0" + data + "\n"},
      {"rs", "#(1048576)" + data + "\r\n"},
  };
  for (const auto& [name, message] : cases) {
    Script script{message};
    core::BlockSpec spec;
    spec.format = std::nullopt;
    spec.itemsize = 2;
    spec.max_stored = 21;  // 10 items
    auto out = run(script, spec);
    EXPECT_EQ(out.st, status::SUCCESS) << name << ": " << out.why;
    EXPECT_EQ(out.data, data.substr(0, 20)) << name;
    EXPECT_LE(out.peak, 20u) << name;
    // Read to the block's end, not beyond: the "\r\n" after a definite block stays unread.
    EXPECT_EQ(script.pos - out.rest.size(), message.size() - (std::string(name) == "ieee indefinite" ? 0 : 2))
        << name;
  }
  // Cut short: the numbers count every byte received, stored or dropped.
  Script cut{"#3250" + data_with_line_ends(100)};
  core::BlockSpec spec;
  spec.max_stored = 0;
  auto out = run(cut, spec);
  EXPECT_EQ(out.st, status::ERROR_INV_LENGTH);
  EXPECT_NE(out.why.find("after 100 of the 250 data bytes"), std::string::npos) << out.why;
  EXPECT_EQ(out.peak, 0u);
  // An indefinite block of an odd length past max_stored: the item size still checked.
  Script odd{"#0abcdefg\n"};
  spec.itemsize = 2;
  spec.max_stored = 2;
  out = run(odd, spec);
  EXPECT_EQ(out.st, status::ERROR_INV_LENGTH);
  EXPECT_NE(out.why.find("7 data bytes are not a multiple"), std::string::npos) << out.why;
}
