// Tests of core/message_reader.hpp: viRead's termination rules over a scripted byte source.
#include "core/message_reader.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <cstring>
#include <string>
#include <thread>

using namespace cppvisa;
using namespace cppvisa::core;

namespace {

/// A source that hands out scripted chunks; each chunk may end with END.
class ScriptedSource : public ByteSource {
 public:
  void push(std::string data, bool end) { chunks_.push_back({std::move(data), end}); }
  status_t receive(std::span<std::byte> buffer, Deadline deadline, std::size_t& count, bool& end) override {
    ++calls;
    count = 0;
    end = false;
    if (chunks_.empty()) {
      if (!deadline.infinite()) std::this_thread::sleep_until(deadline.when());
      return status::ERROR_TMO;
    }
    auto& c = chunks_.front();
    count = std::min(buffer.size(), c.data.size());
    std::memcpy(buffer.data(), c.data.data(), count);
    c.data.erase(0, count);
    if (c.data.empty()) {
      end = c.end;
      chunks_.pop_front();
    }
    return status::SUCCESS;
  }
  int calls = 0;

 private:
  struct Chunk {
    std::string data;
    bool end;
  };
  std::deque<Chunk> chunks_;
};

std::string text(const std::vector<std::byte>& buf, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(buf.data()), n);
}

Deadline soon() { return Deadline::after_ms(50); }

}  // namespace

TEST(MessageReader, EndTerminatesWithSuccess) {
  ScriptedSource src;
  src.push("hello\n", true);
  MessageReader reader;
  std::vector<std::byte> buf(100);
  std::size_t n = 0;
  EXPECT_EQ(reader.read(src, buf, n, {}, soon()), status::SUCCESS);
  EXPECT_EQ(text(buf, n), "hello\n");
}

TEST(MessageReader, TermcharStopsAndKeepsTheRest) {
  ScriptedSource src;
  src.push("a\nb\nc", true);
  MessageReader reader;
  ReadTermination term{true, std::byte{'\n'}, false};
  std::vector<std::byte> buf(100);
  std::size_t n = 0;
  EXPECT_EQ(reader.read(src, buf, n, term, soon()), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(text(buf, n), "a\n");
  EXPECT_EQ(reader.buffered(), 3u);
  EXPECT_EQ(reader.read(src, buf, n, term, soon()), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(text(buf, n), "b\n");
  // The last piece carries END.
  EXPECT_EQ(reader.read(src, buf, n, term, soon()), status::SUCCESS);
  EXPECT_EQ(text(buf, n), "c");
  EXPECT_EQ(src.calls, 1);
}

TEST(MessageReader, TermcharDisabledIsOrdinaryData) {
  ScriptedSource src;
  src.push("a\nb", true);
  MessageReader reader;
  std::vector<std::byte> buf(100);
  std::size_t n = 0;
  EXPECT_EQ(reader.read(src, buf, n, {false, std::byte{'\n'}, false}, soon()), status::SUCCESS);
  EXPECT_EQ(text(buf, n), "a\nb");
}

TEST(MessageReader, CountStopsWithMaxCntAndLeavesTheRest) {
  ScriptedSource src;
  src.push("0123456789", true);
  MessageReader reader;
  std::vector<std::byte> buf(4);
  std::size_t n = 0;
  EXPECT_EQ(reader.read(src, buf, n, {}, soon()), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(text(buf, n), "0123");
  EXPECT_EQ(reader.read(src, buf, n, {}, soon()), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(text(buf, n), "4567");
  // END on the last byte wins over the full buffer (VPP-4.3).
  std::vector<std::byte> two(2);
  EXPECT_EQ(reader.read(src, two, n, {}, soon()), status::SUCCESS);
  EXPECT_EQ(text(two, n), "89");
}

TEST(MessageReader, OneByteAtATimeWalksThroughAMessage) {
  ScriptedSource src;
  src.push("abc", true);
  MessageReader reader;
  std::vector<std::byte> one(1);
  std::size_t n = 0;
  EXPECT_EQ(reader.read(src, one, n, {}, soon()), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(reader.read(src, one, n, {}, soon()), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(reader.read(src, one, n, {}, soon()), status::SUCCESS);
  EXPECT_EQ(text(one, n), "c");
}

TEST(MessageReader, TermcharOnLastByteWithEndIsSuccess) {
  ScriptedSource src;
  src.push("ok\n", true);
  MessageReader reader;
  std::vector<std::byte> buf(100);
  std::size_t n = 0;
  EXPECT_EQ(reader.read(src, buf, n, {true, std::byte{'\n'}, false}, soon()), status::SUCCESS);
  EXPECT_EQ(n, 3u);
}

TEST(MessageReader, SuppressEndReadsAcrossMessages) {
  ScriptedSource src;
  src.push("ab", true);
  src.push("cd\n", true);
  MessageReader reader;
  std::vector<std::byte> buf(100);
  std::size_t n = 0;
  EXPECT_EQ(reader.read(src, buf, n, {true, std::byte{'\n'}, true}, soon()), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(text(buf, n), "abcd\n");
}

TEST(MessageReader, MessageInPiecesIsJoined) {
  ScriptedSource src;
  src.push("par", false);
  src.push("tial", true);
  MessageReader reader;
  std::vector<std::byte> buf(100);
  std::size_t n = 0;
  EXPECT_EQ(reader.read(src, buf, n, {}, soon()), status::SUCCESS);
  EXPECT_EQ(text(buf, n), "partial");
}

TEST(MessageReader, TimeoutKeepsWhatArrived) {
  ScriptedSource src;
  src.push("no end", false);
  MessageReader reader;
  std::vector<std::byte> buf(100);
  std::size_t n = 0;
  EXPECT_EQ(reader.read(src, buf, n, {}, soon()), status::ERROR_TMO);
  EXPECT_EQ(text(buf, n), "no end");
}

TEST(MessageReader, DiscardDropsBufferedBytes) {
  ScriptedSource src;
  src.push("x\ny\n", true);
  MessageReader reader;
  ReadTermination term{true, std::byte{'\n'}, false};
  std::vector<std::byte> buf(100);
  std::size_t n = 0;
  EXPECT_EQ(reader.read(src, buf, n, term, soon()), status::SUCCESS_TERM_CHAR);
  reader.discard();
  EXPECT_EQ(reader.buffered(), 0u);
  EXPECT_EQ(reader.read(src, buf, n, term, soon()), status::ERROR_TMO);
  EXPECT_EQ(n, 0u);
}

TEST(MessageReader, EmptyBufferIsMaxCnt) {
  ScriptedSource src;
  MessageReader reader;
  std::size_t n = 7;
  EXPECT_EQ(reader.read(src, {}, n, {}, soon()), status::SUCCESS_MAX_CNT);
  EXPECT_EQ(n, 0u);
}
