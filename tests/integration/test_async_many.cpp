// Asynchronous I/O multiplexed on the library's fixed pool (issue #16 point 3): reads of socket
// sessions waiting for their answer park in the reactor (core::WorkPool::parked()) instead of
// holding a pool thread, so many more of them wait at once than the pool has threads; every reply
// reaches its own future or callback; bytes that arrive in pieces, a timeout with bytes received,
// and close() of a waiting read behave as with the synchronous read. 200 simulated instruments
// served on loopback over raw socket and 100 over VXI-11 answer their own identity through
// query_async; VXI-11 reads park too (their device_read waits at the instrument, its reply in the
// reactor), and close() or viTerminate() of a parked VXI-11 read ends it with a defined status.
#include <cppvisa/cppvisa.hpp>
#include <cppvisa/gateway.hpp>

#include <visa.h>

#include "cabi/library.hpp"
#include "core/work_pool.hpp"
#include "support/many_instruments.hpp"
#include "support/served_gateway.hpp"

#include "core/reactor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace cppvisa;
using namespace std::chrono_literals;

namespace {

template <class Pred>
bool eventually(Pred pred, std::chrono::seconds limit = 30s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

/// A loopback listener whose connections the test answers by hand (a silent instrument until told).
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 256), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() {
    for (int c : clients_) ::close(c);
    ::close(fd_);
  }
  std::string resource() const { return "TCPIP::127.0.0.1::" + std::to_string(port_) + "::SOCKET"; }
  /// Accepts the connection the last open() made; returns its index.
  std::size_t accept_one() {
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    EXPECT_GE(c, 0);
    clients_.push_back(c);
    return clients_.size() - 1;
  }
  void send(std::size_t i, const std::string& text) {
    ASSERT_EQ(::send(clients_[i], text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::vector<int> clients_;
};

class AsyncMany : public ::testing::Test {
 protected:
  std::unique_ptr<MessageBasedResource> open(Listener& l, std::uint32_t timeout_ms = 30000) {
    auto r = rm_.open<MessageBasedResource>(l.resource());
    r->set_timeout(timeout_ms);
    r->set_read_termination("\n");
    r->set_write_termination("\n");
    l.accept_one();
    return r;
  }
  ResourceManager rm_{"@native"};
};

}  // namespace

TEST_F(AsyncMany, WaitingReadsParkInTheReactorNotOnPoolThreads) {
  // 64 reads wait at once on a pool of 4 threads: they must be parked, not blocking threads.
  constexpr std::size_t n = 64;
  Listener l;
  std::vector<std::unique_ptr<MessageBasedResource>> rs;
  for (std::size_t i = 0; i < n; ++i) rs.push_back(open(l));
  const std::size_t parked_before = core::WorkPool::shared().parked();
  std::vector<std::future<std::string>> replies;
  for (auto& r : rs) replies.push_back(r->read_async());
  ASSERT_TRUE(eventually([&] { return core::WorkPool::shared().parked() >= parked_before + n; }))
      << core::WorkPool::shared().parked() << " parked";
  for (std::size_t i = n; i-- > 0;) l.send(i, "answer " + std::to_string(i) + "\n");  // last first
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(replies[i].get(), "answer " + std::to_string(i));
}

TEST_F(AsyncMany, QueriesInOrderWithCallbacksAndAnswersInPieces) {
  Listener l;
  auto r = open(l);
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> got;
  auto done = [&](std::exception_ptr error, std::string value) {
    std::lock_guard g(m);
    got.push_back(error ? std::string("error") : value);
    cv.notify_all();
  };
  r->query_async("A?", done);
  r->query_async("B?", done);  // waits for the first (in order per resource)
  ASSERT_TRUE(eventually([&] { return core::WorkPool::shared().parked() >= 1; }));
  l.send(0, "fir");  // a piece: the read parks again for the rest
  std::this_thread::sleep_for(20ms);
  l.send(0, "st\nsecond\n");
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return got.size() == 2; }));
  EXPECT_EQ(got[0], "first");
  EXPECT_EQ(got[1], "second");
}

TEST_F(AsyncMany, ATimeoutKeepsTheBytesReceived) {
  Listener l;
  auto r = open(l, 300);
  const auto start = std::chrono::steady_clock::now();
  auto reply = r->read_async();
  l.send(0, "partial");  // no termination: the read times out with these bytes
  try {
    reply.get();
    ADD_FAILURE() << "the read ended without its termination";
  } catch (const VisaIOError& e) {
    // The timeout counts from the read's start, not from the last byte or a wake of the reactor
    // (generous above: a loaded machine may be late, never early).
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    EXPECT_GE(elapsed.count(), 299);
    EXPECT_LT(elapsed.count(), 5000);
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(e.received().data()), e.received().size()), "partial");
  }
  // The session goes on: the next answer is read whole.
  auto next = r->read_async();
  l.send(0, " rest\n");
  EXPECT_EQ(next.get(), " rest");
}

TEST_F(AsyncMany, ALongAnswerAndMaxMessageSize) {
  Listener l;
  auto r = open(l);
  // 100 kB in several pieces: the read grows past its first 4 KiB request and parks between pieces.
  std::string big(100000, 'x');
  auto reply = r->read_async();
  for (std::size_t at = 0; at < big.size(); at += 30000) {
    l.send(0, big.substr(at, 30000));
    std::this_thread::sleep_for(5ms);
  }
  l.send(0, "\n");
  EXPECT_EQ(reply.get(), big);
  // The caller's limit holds as in read(): VI_ERROR_ALLOC with the bytes kept so far.
  r->set_max_message_size(10);
  auto limited = r->read_async();
  l.send(0, "0123456789abcdef\n");
  try {
    limited.get();
    ADD_FAILURE() << "a message longer than max_message_size was read whole";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_ALLOC);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(e.received().data()), e.received().size()), "0123456789");
  }
}

TEST_F(AsyncMany, CloseWakesAParkedRead) {
  Listener l;
  auto r = open(l, 60000);
  const std::size_t parked_before = core::WorkPool::shared().parked();
  auto reply = r->read_async();
  ASSERT_TRUE(eventually([&] { return core::WorkPool::shared().parked() > parked_before; }));
  r->close();  // returns after the read ended
  ASSERT_EQ(reply.wait_for(0s), std::future_status::ready);
  try {
    reply.get();
    ADD_FAILURE() << "the read returned normally";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_INV_OBJECT);
  }
}

TEST_F(AsyncMany, ASynchronousCallWaitsForTheAsynchronousOneItFollows) {
  Listener l;
  auto r = open(l);
  auto first = r->query_async("Q1?");
  ASSERT_TRUE(eventually([&] { return core::WorkPool::shared().parked() >= 1; }));
  std::atomic<bool> second_done{false};
  std::string second;
  std::thread t([&] {
    second = r->query("Q2?");  // the call lock is reserved by the parked query
    second_done = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(second_done.load());
  l.send(0, "one\n");
  EXPECT_EQ(first.get(), "one");
  l.send(0, "two\n");
  t.join();
  EXPECT_EQ(second, "two");
}

namespace {

/// `n` simulated instruments, each answering "*IDN?" with its own identity, served on loopback
/// over `protocol` ("socket": a port each; "vxi11": one core channel, a link each).
class ManyServed {
 public:
  ManyServed(int n, const std::string& protocol)
      : dir_(std::filesystem::temp_directory_path() /
             ("cppvisa-async-many-" + std::to_string(::getpid()) + "-" + protocol)) {
    std::filesystem::create_directories(dir_);
    const std::string file = (dir_ / "many.yaml").string();
    EXPECT_TRUE(cppvisa::testing::write_many_instruments(file, n));
    served_.start(cppvisa::testing::many_instruments_options(n, protocol), file + "@sim");
  }
  ~ManyServed() { std::filesystem::remove_all(dir_); }
  std::vector<std::string> names() {
    std::vector<std::string> out;
    for (const auto& e : served_.gateway().endpoints()) out.push_back(e.resource);
    return out;
  }

 private:
  std::filesystem::path dir_;
  cppvisa::testing::ServedGateway served_;
};

/// Every instrument of `names` asked "*IDN?" at once, futures for the even ones and callbacks for
/// the odd ones, twice: each reply must be its own instrument's identity.
void each_answers_its_own_query(const std::vector<std::string>& names) {
  const int n = static_cast<int>(names.size());
  ResourceManager rm("@native");
  std::vector<std::unique_ptr<MessageBasedResource>> rs;
  for (const auto& name : names) rs.push_back(cppvisa::testing::open_lines(rm, name, 30000));
  for (int round = 0; round < 2; ++round) {
    std::vector<std::future<std::string>> futures(n);
    std::vector<std::string> called(n);
    std::atomic<int> calls{0};
    for (int i = 0; i < n; ++i) {
      if (i % 2 == 0) {
        futures[i] = rs[i]->query_async("*IDN?");
      } else {
        rs[i]->query_async("*IDN?", [&, i](std::exception_ptr error, std::string value) {
          called[i] = error ? std::string("error") : std::move(value);
          ++calls;
        });
      }
    }
    for (int i = 0; i < n; i += 2) EXPECT_EQ(futures[i].get(), cppvisa::testing::many_idn(i));
    ASSERT_TRUE(eventually([&] { return calls.load() == n / 2; }));
    for (int i = 1; i < n; i += 2) EXPECT_EQ(called[i], cppvisa::testing::many_idn(i));
  }
}

}  // namespace

TEST(AsyncManyServed, TwoHundredInstrumentsEachAnswerTheirOwnQuery) {
  ManyServed served(200, "socket");
  auto names = served.names();
  ASSERT_EQ(names.size(), 200u);
  each_answers_its_own_query(names);
}

TEST(AsyncManyServed, VxiElevenInstrumentsEachAnswerTheirOwnQuery) {
  ManyServed served(100, "vxi11");
  auto names = served.names();
  ASSERT_EQ(names.size(), 100u);
  each_answers_its_own_query(names);
}

TEST(AsyncManyServed, HislipInstrumentsEachAnswerTheirOwnQuery) {
  // Each session's asynchronous channel is watched by the shared reactor (no thread each).
  const std::size_t watching = cppvisa::core::Reactor::shared().watching();
  ManyServed served(100, "hislip");
  auto names = served.names();
  ASSERT_EQ(names.size(), 100u);
  {
    ResourceManager rm("@native");
    std::vector<std::unique_ptr<MessageBasedResource>> rs;
    for (int i = 0; i < 20; ++i) rs.push_back(cppvisa::testing::open_lines(rm, names[i], 30000));
    // (a watch is re-armed after its callback: one being called is briefly not counted)
    EXPECT_TRUE(eventually([&] { return cppvisa::core::Reactor::shared().watching() == watching + 20; }));
  }
  EXPECT_EQ(cppvisa::core::Reactor::shared().watching(), watching);  // closed: watches gone
  each_answers_its_own_query(names);
}

TEST(AsyncManyServed, VxiElevenReadsWaitInTheReactorAndCloseEndsThem) {
  // A read with no answer asked for: each device_read waits at its instrument (its io_timeout is
  // the session's 60 s); the reads park, 32 of them on a pool of 4 threads.
  constexpr int n = 32;
  ManyServed served(n, "vxi11");
  ResourceManager rm("@native");
  std::vector<std::unique_ptr<MessageBasedResource>> rs;
  for (const auto& name : served.names()) rs.push_back(cppvisa::testing::open_lines(rm, name, 60000));
  const std::size_t parked_before = core::WorkPool::shared().parked();
  std::vector<std::future<std::string>> reads;
  for (auto& r : rs) reads.push_back(r->read_async());
  ASSERT_TRUE(eventually([&] { return core::WorkPool::shared().parked() >= parked_before + n; }))
      << core::WorkPool::shared().parked() << " parked";
  // Closing wakes each parked read with VI_ERROR_INV_OBJECT (device_abort ends the request at
  // the instrument, so destroy_link is not held behind it for the 60 s).
  const auto start = std::chrono::steady_clock::now();
  for (auto& r : rs) r->close();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  for (auto& f : reads) {
    ASSERT_EQ(f.wait_for(0s), std::future_status::ready);
    try {
      f.get();
      ADD_FAILURE() << "a read of a closed session returned normally";
    } catch (const VisaIOError& e) {
      EXPECT_EQ(e.error_code(), status::ERROR_INV_OBJECT);
    }
  }
}

TEST(AsyncManyServed, VxiElevenTerminateOfAParkedReadAndTheSessionGoesOn) {
  ManyServed served(1, "vxi11");
  cabi::Library::instance().set_backends({open_backend("@native")});
  ViSession rm = VI_NULL, s = VI_NULL;
  ASSERT_EQ(viOpenDefaultRM(&rm), VI_SUCCESS);
  ASSERT_EQ(viOpen(rm, served.names().at(0).c_str(), VI_NULL, VI_NULL, &s), VI_SUCCESS);
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TMO_VALUE, 60000), VI_SUCCESS);
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TERMCHAR_EN, VI_TRUE), VI_SUCCESS);
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_IO_COMPLETION, VI_QUEUE, VI_NULL), VI_SUCCESS);
  const std::size_t parked_before = core::WorkPool::shared().parked();
  ViByte buf[128];
  ViJobId job = 0;
  ASSERT_EQ(viReadAsync(s, buf, sizeof buf, &job), VI_SUCCESS);  // nothing asked: waits 60 s
  ASSERT_TRUE(eventually([&] { return core::WorkPool::shared().parked() > parked_before; }));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(viTerminate(s, VI_NULL, job), VI_SUCCESS);
  ViEventType type = 0;
  ViEvent ctx = VI_NULL;
  ASSERT_EQ(viWaitOnEvent(s, VI_EVENT_IO_COMPLETION, 30000, &type, &ctx), VI_SUCCESS);
  ViStatus st = VI_SUCCESS;
  ViJobId done_job = 0;
  viGetAttribute(ctx, VI_ATTR_STATUS, &st);
  viGetAttribute(ctx, VI_ATTR_JOB_ID, &done_job);
  viClose(ctx);
  EXPECT_EQ(st, VI_ERROR_ABORT);
  EXPECT_EQ(done_job, job);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);  // not the read's 60 s
  // The abandoned device_read was aborted at the instrument: the next query is answered at once
  // (its reply is not taken for the old request's, which is skipped by its xid).
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TMO_VALUE, 10000), VI_SUCCESS);
  ViUInt32 n = 0;
  const std::string q = "*IDN?\n";
  ASSERT_EQ(viWrite(s, reinterpret_cast<ViConstBuf>(q.data()), static_cast<ViUInt32>(q.size()), &n), VI_SUCCESS);
  ASSERT_GE(viRead(s, buf, sizeof buf, &n), VI_SUCCESS);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), n), cppvisa::testing::many_idn(0) + "\n");
  EXPECT_EQ(viClose(s), VI_SUCCESS);
  viClose(rm);
  cabi::Library::instance().set_backends({});
}
