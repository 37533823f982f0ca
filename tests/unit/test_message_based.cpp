// Tests of message_based.hpp: write/read/query semantics against the in-memory backend.
#include "support/fake_backend.hpp"

#include <cppvisa/resource_manager.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <tuple>
#include <thread>

using namespace cppvisa;
using cppvisa::testing::FakeBackend;
using cppvisa::testing::FakeBackendDevice;
using namespace std::chrono_literals;

namespace {

struct MbFixture : ::testing::Test {
  std::shared_ptr<FakeBackend> backend = std::make_shared<FakeBackend>();
  std::shared_ptr<FakeBackendDevice> dev;
  std::unique_ptr<ResourceManager> rm;
  std::unique_ptr<MessageBasedResource> inst;
  void SetUp() override {
    dev = backend->add("TCPIP::10.0.0.1::INSTR");
    rm = std::make_unique<ResourceManager>(backend);
    inst = rm->open<MessageBasedResource>("TCPIP::10.0.0.1::INSTR");
  }
  std::string str(const std::vector<std::byte>& v) { return {reinterpret_cast<const char*>(v.data()), v.size()}; }
};

}  // namespace

TEST_F(MbFixture, WriteAppendsTermination) {
  EXPECT_EQ(inst->write("*IDN?"), 7u);
  EXPECT_EQ(dev->messages.back(), "*IDN?\r\n");
  inst->set_write_termination("\n");
  inst->write("A");
  EXPECT_EQ(dev->messages.back(), "A\n");
  inst->write("B", "");
  EXPECT_EQ(dev->messages.back(), "B");
  inst->write("C\n");  // already ends with it: still appended, as PyVISA does
  EXPECT_EQ(dev->messages.back(), "C\n\n");
  EXPECT_EQ(inst->write_raw(std::string_view("raw")), 3u);
  EXPECT_EQ(dev->messages.back(), "raw");
}

TEST_F(MbFixture, SendEndOffKeepsTheMessageOpen) {
  inst->set_send_end(false);
  inst->write_raw(std::string_view("part1,"));
  EXPECT_TRUE(dev->messages.empty());
  inst->set_send_end(true);
  inst->write_raw(std::string_view("part2"));
  ASSERT_EQ(dev->messages.size(), 1u);
  EXPECT_EQ(dev->messages[0], "part1,part2");
}

TEST_F(MbFixture, ReadStripsOnlyTheFullTermination) {
  dev->push("value\r\n");
  inst->set_read_termination("\r\n");
  EXPECT_EQ(inst->read(), "value");
  dev->push("other\n");
  EXPECT_EQ(inst->read(), "other\n");  // does not end with "\r\n": returned as is
  EXPECT_THROW(inst->set_read_termination("\n\n"), Error);
}

TEST_F(MbFixture, TermcharSplitsAndKeepsLeftovers) {
  dev->push("1\n2\n3\n");
  inst->set_read_termination("\n");
  EXPECT_EQ(inst->read(), "1");
  EXPECT_EQ(inst->last_status(), status::SUCCESS_TERM_CHAR);
  EXPECT_EQ(inst->read(), "2");
  EXPECT_EQ(inst->read(), "3");
  EXPECT_EQ(inst->last_status(), status::SUCCESS);
}

TEST_F(MbFixture, ReadWithTerminationOverride) {
  dev->push("a;b;");
  EXPECT_EQ(inst->read(";"), "a");
  EXPECT_EQ(inst->read_termination(), "");
  EXPECT_EQ(inst->get_int_attribute(attr::TERMCHAR_EN), 0);
  EXPECT_EQ(inst->read(), "b;");
}

TEST_F(MbFixture, ReadRawLoopsOverMaxCnt) {
  std::string big(100000, 'x');
  dev->push(big);
  inst->set_chunk_size(1000);
  auto data = inst->read_raw();
  EXPECT_EQ(data.size(), big.size());
  EXPECT_EQ(inst->last_status(), status::SUCCESS);
}

TEST_F(MbFixture, ReadRawReusesItsBufferAcrossChunkSizes) {
  // read_raw receives into a buffer kept between reads: replies of every size, read with the
  // chunk size changed in between (smaller, larger, above what the kept buffer serves), come out
  // whole and with nothing of an earlier, longer reply.
  auto pattern = [](std::size_t n, int seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + static_cast<std::size_t>(seed)) % 26);
    return s;
  };
  const std::pair<std::size_t, std::size_t> cases[] = {{5000, 0},   {300, 0},       {70000, 1000}, {10, 1000},
                                                       {5000, 64},  {3'000'000, 2'000'000}, {40, 2'000'000}, {40, 0}};
  int seed = 0;
  for (auto [size, chunk] : cases) {
    if (chunk) inst->set_chunk_size(chunk);
    std::string text = pattern(size, ++seed);
    dev->push(text);
    EXPECT_EQ(str(inst->read_raw()), text) << size << " bytes, chunk " << inst->chunk_size();
    EXPECT_EQ(inst->last_status(), status::SUCCESS);
  }
}

TEST_F(MbFixture, ReadBytesAcrossMessagesAndBreakOnTermchar) {
  dev->push("abc");
  dev->push("defg");
  EXPECT_EQ(str(inst->read_bytes(5)), "abcde");
  EXPECT_EQ(str(inst->read_bytes(10, 0, true)), "fg");
  EXPECT_TRUE(inst->read_bytes(0).empty());
}

TEST_F(MbFixture, QueryAndDelay) {
  dev->respond = [](const std::string& m) { return std::vector<std::string>{"got " + m}; };
  inst->set_write_termination("\n");
  inst->set_read_termination("\n");
  EXPECT_EQ(inst->query("X"), "got X");
  inst->set_query_delay(std::chrono::milliseconds(5));
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(inst->query("Y"), "got Y");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(5));
}

TEST_F(MbFixture, TimeoutRaisesTmoNearTheTimeout) {
  inst->set_timeout(100);
  auto start = std::chrono::steady_clock::now();
  try {
    inst->read();
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(95));
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  std::error_code ec;
  inst->set_timeout(0);
  inst->read(ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_TMO));
}

TEST_F(MbFixture, StbTriggerClearFlush) {
  dev->stb = 0x42;
  EXPECT_EQ(inst->read_stb(), 0x42);
  inst->assert_trigger();
  EXPECT_EQ(dev->triggers, 1);
  dev->push("stale");
  inst->clear();
  EXPECT_EQ(dev->clears, 1);
  inst->set_timeout(10);
  std::error_code ec;
  inst->read(ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_TMO));
  dev->push("a\nb\n");
  inst->set_read_termination("\n");
  EXPECT_EQ(inst->read(), "a");
  inst->flush(buffer::read_buf_discard);
  inst->read(ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_TMO));
}

TEST_F(MbFixture, Encodings) {
  dev->push("caf\xc3\xa9");
  std::error_code ec;
  EXPECT_THROW(inst->read(), Error);  // ascii by default
  dev->push("caf\xe9");
  inst->set_encoding("latin-1");
  EXPECT_EQ(inst->read(), "caf\xc3\xa9");
  inst->write("\xc3\xa9", "");
  EXPECT_EQ(dev->messages.back(), "\xe9");
  inst->set_encoding("utf-8");
  EXPECT_THROW(inst->write("\xff"), Error);
  EXPECT_THROW(inst->set_encoding("klingon"), Error);
}

TEST_F(MbFixture, ClosedResourceIsInvalid) {
  inst->close();
  EXPECT_THROW(inst->write("x"), InvalidSession);
  std::error_code ec;
  inst->write("x", ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_INV_OBJECT));
  inst->close();
}

// ---- binary and ASCII values ----

namespace {
template <class T>
std::string raw_bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}
}  // namespace

TEST_F(MbFixture, WriteBinaryValuesIsOneMessage) {
  inst->set_write_termination("\n");
  std::vector<std::int16_t> v{1, 2, 3, 4, 5, 6};
  EXPECT_EQ(inst->write_binary_values("", v, BlockFormat::ieee), 17u);
  EXPECT_EQ(dev->messages.back(), "#212" + raw_bytes(v) + "\n");
  inst->write_binary_values("CURV ", v, BlockFormat::hp);
  EXPECT_EQ(dev->messages.back(), std::string("CURV #A\x0c\x00", 9) + raw_bytes(v) + "\n");
}

TEST_F(MbFixture, WriteAsciiValues) {
  inst->set_write_termination("\n");
  inst->write_ascii_values("", std::vector<int>{1, 2, 3, 4, 5}, "d");
  EXPECT_EQ(dev->messages.back(), "1,2,3,4,5\n");
  inst->write_ascii_values("V ", std::vector<double>{1.5});
  EXPECT_EQ(dev->messages.back(), "V 1.500000\n");
}

TEST_F(MbFixture, ReadBinaryValuesWithTermcharInsideData) {
  inst->set_read_termination("\n");
  // 10 is '\n': the termination character occurs inside the data and must not cut the block.
  std::vector<std::int32_t> v{10, 2570, -1, 0x0A0A0A0A, 42};
  dev->push("#220" + raw_bytes(v) + "\n");
  inst->set_chunk_size(4);  // the header straddles chunks too
  auto got = inst->read_binary_values<std::int32_t>();
  EXPECT_EQ(got, v);
  // The terminator was consumed: nothing is left.
  inst->set_timeout(10);
  std::error_code ec;
  inst->read(ec);
  EXPECT_EQ(ec, make_error_code(status::ERROR_TMO));
}

TEST_F(MbFixture, QueryBinaryValuesBigEndianAndLarge) {
  std::vector<float> v(100000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.5f;
  auto be = v;
  fix_byte_order(std::span<float>(be), true);  // host -> big endian wire order
  dev->respond = [&](const std::string&) {
    return std::vector<std::string>{"#6400000" + raw_bytes(be) + "\n"};
  };
  inst->set_read_termination("\n");
  BinaryReadOptions opts;
  opts.big_endian = true;
  EXPECT_EQ(inst->query_binary_values<float>("CURV?", opts), v);
}

TEST_F(MbFixture, BinaryValuesIntoTheCallersVectorReuseItsStorage) {
  std::vector<float> v(100000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.25f;
  auto be = v;
  fix_byte_order(std::span<float>(be), true);
  std::vector<float> short_be{1.5f, -2};
  fix_byte_order(std::span<float>(short_be), true);
  dev->respond = [&](const std::string& q) {
    if (q.starts_with("SHORT?")) return std::vector<std::string>{"#18" + raw_bytes(short_be) + "\n"};
    return std::vector<std::string>{"#6400000" + raw_bytes(be) + "\n"};
  };
  inst->set_read_termination("\n");
  BinaryReadOptions opts;
  opts.big_endian = true;
  std::vector<float> into;
  into.reserve(v.size());
  const float* storage = into.data();
  inst->query_binary_values_into("CURV?", into, opts);
  EXPECT_EQ(into, v);
  EXPECT_EQ(into.data(), storage);  // reserved: never reallocated
  // A shorter block after a longer one: exactly its items, in the same storage.
  inst->query_binary_values_into("SHORT?", into, opts);
  EXPECT_EQ(into, (std::vector<float>{1.5f, -2}));
  EXPECT_EQ(into.data(), storage);
  // Then the longer one again into the storage kept.
  inst->query_binary_values_into("CURV?", into, opts);
  EXPECT_EQ(into, v);
  EXPECT_EQ(into.data(), storage);
  // An empty vector grows as the data arrive.
  std::vector<float> fresh;
  inst->query_binary_values_into("CURV?", fresh, opts);
  EXPECT_EQ(fresh, v);
}

TEST_F(MbFixture, BinaryValuesIntoKeepOnlyTheItemsReceivedOnAnError) {
  inst->set_timeout(200);
  inst->set_read_termination("\n");
  std::vector<std::uint8_t> into(1000, 7);  // a previous, longer block
  dev->push("#210abc\nd", false);           // 5 of the 10 data bytes, then silence
  try {
    inst->read_binary_values_into(into);
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
    EXPECT_EQ(str(e.received()), "abc\nd");
  }
  EXPECT_EQ(into, (std::vector<std::uint8_t>{'a', 'b', 'c', '\n', 'd'}));
  dev->push("no block here");
  EXPECT_THROW(inst->read_binary_values_into(into), InvalidBinaryFormat);
  EXPECT_TRUE(into.empty());
}

TEST_F(MbFixture, IndefiniteAndDataPoints) {
  std::vector<std::uint8_t> v{1, 2, 3};
  dev->push("#0" + raw_bytes(v) + "\n");
  EXPECT_EQ(inst->read_binary_values<std::uint8_t>(), v);
  dev->push("#0" + raw_bytes(v) + "\n");
  BinaryReadOptions opts;
  opts.data_points = 3;
  EXPECT_EQ(inst->read_binary_values<std::uint8_t>(opts), v);
  dev->push(raw_bytes(v));
  opts.header = BlockFormat::empty;
  EXPECT_EQ(inst->read_binary_values<std::uint8_t>(opts), v);
}

TEST_F(MbFixture, MalformedBlocksAreErrors) {
  dev->push("no block here");
  EXPECT_THROW(inst->read_binary_values<float>(), InvalidBinaryFormat);
  dev->push("#3");  // ends inside the header
  EXPECT_THROW(inst->read_binary_values<float>(), InvalidBinaryFormat);
  dev->push("#216abcd");  // shorter than announced, then END
  EXPECT_THROW(inst->read_binary_values<float>(), InvalidBinaryFormat);
  // A header announcing 1 TB is refused before anything is allocated.
  dev->push("#D1000000000000abcd");
  try {
    inst->read_binary_values<float>();
    FAIL();
  } catch (const InvalidBinaryFormat& e) {
    SUCCEED() << e.what();
  }
}

TEST_F(MbFixture, AsciiValuesRead) {
  dev->push("1.5,2.5,-3\n");
  inst->set_read_termination("\n");
  EXPECT_EQ(inst->read_ascii_values(), (std::vector<double>{1.5, 2.5, -3}));
  dev->respond = [](const std::string&) { return std::vector<std::string>{"1;2;3;\n"}; };
  EXPECT_EQ(inst->query_ascii_values<int>("X?", "d", ";"), (std::vector<int>{1, 2, 3}));
  dev->push("1,zz\n");
  EXPECT_THROW(inst->read_ascii_values(), InvalidAsciiFormat);
}

namespace {

// A device that sends `byte` every `period` until stopped (a trickling instrument).
struct Trickle {
  std::atomic<bool> stop{false};
  std::thread thread;
  Trickle(FakeBackendDevice& dev, std::string byte, std::chrono::milliseconds period)
      : thread([&dev, byte, period, this] {
          while (!stop) {
            dev.push(byte, false);
            std::this_thread::sleep_for(period);
          }
        }) {}
  ~Trickle() {
    stop = true;
    thread.join();
  }
};

}  // namespace

TEST_F(MbFixture, MessageLongerThanMaxMessageSizeFailsAndKeepsWhatArrived) {
  EXPECT_EQ(inst->max_message_size(), default_max_message_size);
  inst->set_max_message_size(100);
  inst->set_chunk_size(30);
  dev->push(std::string(250, 'x'), true);
  try {
    inst->read();
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_ALLOC);
    EXPECT_EQ(e.received().size(), 100u);
    EXPECT_NE(e.detail().find("max_message_size (100 bytes)"), std::string::npos) << e.detail();
  }
  // Nothing lost: the rest is read next.
  inst->set_max_message_size(1000);
  EXPECT_EQ(inst->read(), std::string(150, 'x'));
  EXPECT_THROW(inst->set_max_message_size(0), Error);
  inst->set_property("max_message_size", std::int64_t{4096});
  EXPECT_EQ(inst->max_message_size(), 4096u);
}

TEST_F(MbFixture, OneCallIsBoundedByItsTimeoutWhateverThePeerTrickles) {
  // Every 10 ms a byte: each read of 4 bytes completes (VI_SUCCESS_MAX_CNT) well within the
  // timeout, yet the message never ends. The call must end at its timeout, with the bytes.
  inst->set_timeout(300);
  inst->set_chunk_size(4);
  Trickle trickle(*dev, "z", 10ms);
  auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  auto got = inst->read(ec);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(ec, make_error_code(status::ERROR_TMO));
  EXPECT_FALSE(got.empty());
  EXPECT_EQ(got.find_first_not_of('z'), std::string::npos);
  EXPECT_GE(elapsed, 290ms);
  // Generous (a unit test): without the call's deadline the read would never end.
  EXPECT_LT(elapsed, 300ms + 2s);
}

TEST_F(MbFixture, BlockIsBoundedByItsTimeoutWhateverThePeerTrickles) {
  inst->set_timeout(300);
  dev->push("#9999999999", false);
  Trickle trickle(*dev, "\x0a", 10ms);  // data bytes that are also the termination character
  inst->set_read_termination("\n");
  auto start = std::chrono::steady_clock::now();
  try {
    inst->read_binary_values<std::uint8_t>();
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
    EXPECT_NE(e.detail().find("of the 999999999 data bytes the block header announced received"), std::string::npos)
        << e.detail();
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, 300ms + 2s);
}

TEST_F(MbFixture, BlockCutByATimeoutOrAHangUpKeepsItsDataBytes) {
  inst->set_timeout(200);
  inst->set_read_termination("\n");
  dev->push("#210abc\nd", false);  // 5 of the 10 data bytes, then silence
  try {
    inst->read_binary_values<std::uint8_t>();
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
    EXPECT_EQ(str(e.received()), "abc\nd");
    EXPECT_NE(e.detail().find("5 of the 10 data bytes"), std::string::npos) << e.detail();
  }
  // The whole block but not the termination after it: the block is in the exception.
  const std::string data(100, 'h');
  dev->push("#3100" + data, false);
  try {
    inst->read_binary_values<std::uint8_t>();
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
    EXPECT_EQ(str(e.received()), data);
    EXPECT_NE(e.detail().find("the block's 100 data bytes arrived, not the read termination"), std::string::npos)
        << e.detail();
  }
  // The header itself incomplete: the bytes received as they came.
  dev->push("#9123", false);
  try {
    inst->read_binary_values<std::uint8_t>();
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
    EXPECT_EQ(str(e.received()), "#9123");
  }
}

TEST_F(MbFixture, EveryBlockFormatWithLineEndsInTheDataAndTermcharOn) {
  // The same reader as viScanf's %b (core::read_block): the header's length decides.
  std::string data;
  for (int i = 0; i < 250; ++i) data += "\n\r\x0a\x0d" "ab"[i % 6];
  const std::vector<std::uint8_t> expected(data.begin(), data.end());
  inst->set_read_termination("\n");
  inst->set_chunk_size(16);
  const std::string hp_len("\xfa\x00", 2);  // 250, little-endian (the items' byte order)
  const std::tuple<const char*, std::string, BlockFormat> cases[] = {
      {"IEEE definite", "#3250" + data + "\n", BlockFormat::ieee},
      {"IEEE indefinite", "#0" + data + "\n", BlockFormat::ieee},
      {"HP", "#A" + hp_len + data + "\n", BlockFormat::hp},
      {"R&S", "#(250)" + data + "\n", BlockFormat::rs},
  };
  for (const auto& [name, message, format] : cases) {
    dev->push(message);
    dev->push("next\n");
    BinaryReadOptions opts;
    opts.header = format;
    EXPECT_EQ(inst->read_binary_values<std::uint8_t>(opts), expected) << name;
    EXPECT_EQ(inst->read(), "next") << name << ": the block's bytes must not spill into the next read";
  }
}

TEST_F(MbFixture, BlockReadProgress) {
  std::vector<std::uint8_t> v(200000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(i);
  dev->push("#6200000" + raw_bytes(v) + "\n");
  inst->set_read_termination("\n");
  BinaryReadOptions opts;
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  opts.progress = [&](std::size_t done, std::size_t total) { calls.emplace_back(done, total); };
  EXPECT_EQ(inst->read_binary_values<std::uint8_t>(opts), v);
  ASSERT_GE(calls.size(), 4u);  // the first chunk, then pieces of 64 KiB
  EXPECT_EQ(calls.back(), std::make_pair(v.size(), v.size()));
  for (std::size_t i = 1; i < calls.size(); ++i) EXPECT_GT(calls[i].first, calls[i - 1].first);
}
