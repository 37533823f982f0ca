// HiSLIP block reads over loopback, plain and over TLS (HiSLIP 2.0 secure connection), beside a
// plain TCP transfer of the same size: what encryption costs on the HiSLIP path. Our client
// (hislip::Client) against our server (hislip::Server) serving a device that answers with a
// prepared 10 MB block (on tests/integration's FakeDevice); the certificate is made at start with the `openssl` command (the TLS case is
// skipped without it or without OpenSSL). Bytes per second are the block's.
#include "integration/fake_device.hpp"
#include "protocols/hislip/hislip_client.hpp"
#include "protocols/hislip/hislip_server.hpp"
#include "protocols/net/socket.hpp"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

using namespace cppvisa;

constexpr std::size_t block = 10'000'000;

core::Deadline soon() { return core::Deadline::after_ms(30000); }

/// An instrument that answers any message with the same prepared block, copied out in large
/// pieces (FakeDevice builds its blocks byte by byte, which would be the bottleneck).
class BlockDevice : public testing::FakeDevice {
 public:
  BlockDevice() {
    std::string head = "#8" + std::to_string(block);
    answer_.assign(reinterpret_cast<const std::byte*>(head.data()), reinterpret_cast<const std::byte*>(head.data()) + head.size());
    answer_.resize(head.size() + block, std::byte{0x55});
    answer_.push_back(std::byte{'\n'});
  }

 protected:
  server::Output do_output() override { return pending_ ? server::Output::ready : server::Output::none; }
  status_t do_write(std::span<const std::byte> data, bool end, std::size_t& count, core::Deadline) override {
    count = data.size();
    if (end) {
      pending_ = true;
      pos_ = 0;
    }
    return status::SUCCESS;
  }
  status_t do_read(std::span<std::byte> buffer, std::optional<std::byte>, server::ReadResult& result,
                   core::Deadline) override {
    result = {};
    std::size_t n = std::min(buffer.size(), answer_.size() - pos_);
    std::memcpy(buffer.data(), answer_.data() + pos_, n);
    pos_ += n;
    result.count = n;
    if (pos_ == answer_.size()) {
      result.end = true;
      pending_ = false;
    }
    return status::SUCCESS;
  }

 private:
  std::vector<std::byte> answer_;
  std::atomic<bool> pending_{false};
  std::size_t pos_ = 0;
};

struct Pair {
  std::string cert, key;
  Pair() {
    auto dir = std::filesystem::temp_directory_path() / ("cppvisa-bench-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    cert = (dir / "c.pem").string();
    key = (dir / "k.pem").string();
    std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
                          "-subj /CN=bench -addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert +
                          " >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) cert.clear();
  }
};

void hislip_block(benchmark::State& state, bool tls) {
  static Pair pair;
  if (tls && (!net::tls_available() || pair.cert.empty())) {
    state.SkipWithError("no OpenSSL or no openssl command");
    return;
  }
  hislip::Server::Options so;
  if (tls) {
    so.tls_cert_file = pair.cert;
    so.tls_key_file = pair.key;
    so.encryption = hislip::Server::Options::Encryption::mandatory;
  }
  hislip::Server server(so);
  server.add_device("hislip0", std::make_shared<BlockDevice>());
  if (server.start() != status::SUCCESS) {
    state.SkipWithError("server did not start");
    return;
  }
  hislip::Client::Options co;
  co.tls.ca_file = pair.cert;
  hislip::Client client(co);
  if (client.open({"127.0.0.1", server.port(), "hislip0"}, soon()) != status::SUCCESS || client.encrypted() != tls) {
    state.SkipWithError("open failed");
    return;
  }
  std::vector<std::byte> buffer(block + 64);
  const std::string query = "BLOCK? " + std::to_string(block) + "\n";
  for (auto _ : state) {
    std::size_t n = 0;
    client.write(std::as_bytes(std::span(query.data(), query.size())), true, n, soon());
    status_t st = client.read(buffer, n, core::ReadTermination{}, soon());
    if (st < 0 || n < block) {
      state.SkipWithError("read failed");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * block));
  state.SetLabel(tls ? client.tls_info().cipher : "plain");
}

void BM_HislipBlockPlain(benchmark::State& state) { hislip_block(state, false); }
void BM_HislipBlockTls(benchmark::State& state) { hislip_block(state, true); }

/// The same number of bytes over a plain TCP connection on loopback (the transport's limit).
void BM_TcpBlock(benchmark::State& state) {
  net::TcpListener listener;
  if (listener.open("127.0.0.1", 0) != status::SUCCESS) {
    state.SkipWithError("listen failed");
    return;
  }
  net::Socket client, peer;
  std::thread accept([&] { listener.accept(peer, soon()); });
  net::connect_tcp("127.0.0.1", listener.port(), soon(), client);
  accept.join();
  std::vector<std::byte> out(block), in(block);
  for (auto _ : state) {
    std::thread sender([&] { peer.send_all(out, soon()); });
    client.recv_exact(in, soon());
    sender.join();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * block));
}

BENCHMARK(BM_TcpBlock)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_HislipBlockPlain)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_HislipBlockTls)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
