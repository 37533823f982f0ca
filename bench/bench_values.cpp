// Benchmarks of the binary values codec: decoding and encoding a 10 M-point float block
// (40 MB), in host byte order (a copy) and in the swapped order (copy + byte swap), 40 MB of each
// other item type (int8, int16, int32, double) decoded, plus the
// in-place fix used when a reply is read straight into a std::vector<float>. Bytes/s = MB/s
// of payload. ASCII formatting/parsing of 100 k points for comparison.
#include <cppvisa/values.hpp>

#include <benchmark/benchmark.h>

#include <bit>
#include <cstdint>
#include <numeric>
#include <vector>

using namespace cppvisa;

namespace {

constexpr std::size_t points = 10'000'000;

const std::vector<float>& sample() {
  static const std::vector<float> values = [] {
    std::vector<float> v(points);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.001f;
    return v;
  }();
  return values;
}

bool swapped(benchmark::State& state) { return state.range(0) != 0; }
bool big_endian_for(bool swap) { return (std::endian::native == std::endian::big) != swap; }

void BM_DecodeIeeeFloat(benchmark::State& state) {
  bool be = big_endian_for(swapped(state));
  auto block = to_ieee_block(sample(), be);
  for (auto _ : state) {
    auto values = from_ieee_block<float>(block, be);
    benchmark::DoNotOptimize(values.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * points * sizeof(float)));
  state.SetLabel(swapped(state) ? "byte swap" : "host order");
}
BENCHMARK(BM_DecodeIeeeFloat)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Decoding per datatype: a 40 MB block of each item type, host order (Arg 0) and swapped (Arg 1).
template <class T>
void BM_DecodeIeeeType(benchmark::State& state) {
  bool be = big_endian_for(swapped(state));
  std::vector<T> values(points * sizeof(float) / sizeof(T));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<T>(i % 100);
  auto block = to_ieee_block(values, be);
  for (auto _ : state) {
    auto out = from_ieee_block<T>(block, be);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * values.size() * sizeof(T)));
  state.SetLabel(swapped(state) ? "byte swap" : "host order");
}
BENCHMARK(BM_DecodeIeeeType<std::int8_t>)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeIeeeType<std::int16_t>)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeIeeeType<std::int32_t>)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeIeeeType<double>)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The reader's path: header from the first chunk, payload decoded into a preallocated vector.
void BM_DecodeIntoPreallocated(benchmark::State& state) {
  bool be = big_endian_for(swapped(state));
  auto block = to_ieee_block(sample(), be);
  std::vector<float> out(points);
  for (auto _ : state) {
    std::error_code ec;
    auto header = parse_block_header(std::span(block).first(64), BlockFormat::ieee, be, ec);
    decode_into(std::span<const std::byte>(block).subspan(header->offset, *header->length), be, std::span(out), ec);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * points * sizeof(float)));
  state.SetLabel(swapped(state) ? "byte swap" : "host order");
}
BENCHMARK(BM_DecodeIntoPreallocated)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Bytes already read into the vector's storage: only the in-place swap remains.
void BM_FixByteOrderInPlace(benchmark::State& state) {
  std::vector<float> values = sample();
  for (auto _ : state) {
    fix_byte_order(std::span(values), std::endian::native != std::endian::big);
    benchmark::DoNotOptimize(values.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * points * sizeof(float)));
}
BENCHMARK(BM_FixByteOrderInPlace)->Unit(benchmark::kMillisecond);

void BM_EncodeIeeeFloat(benchmark::State& state) {
  bool be = big_endian_for(swapped(state));
  std::vector<std::byte> out;
  out.reserve(points * sizeof(float) + 64);
  for (auto _ : state) {
    out.clear();
    append_block(out, sample(), BlockFormat::ieee, be);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * points * sizeof(float)));
  state.SetLabel(swapped(state) ? "byte swap" : "host order");
}
BENCHMARK(BM_EncodeIeeeFloat)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_ToIeeeBlockAllocating(benchmark::State& state) {
  for (auto _ : state) {
    auto block = to_ieee_block(sample());
    benchmark::DoNotOptimize(block.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * points * sizeof(float)));
}
BENCHMARK(BM_ToIeeeBlockAllocating)->Unit(benchmark::kMillisecond);

constexpr std::size_t ascii_points = 100'000;

void BM_AsciiFormat(benchmark::State& state) {
  std::vector<double> values(sample().begin(), sample().begin() + ascii_points);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto text = to_ascii_block(values, "f");
    bytes += text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * ascii_points));
}
BENCHMARK(BM_AsciiFormat)->Unit(benchmark::kMillisecond);

void BM_AsciiParse(benchmark::State& state) {
  std::vector<double> values(sample().begin(), sample().begin() + ascii_points);
  auto text = to_ascii_block(values, "f");
  for (auto _ : state) {
    auto parsed = from_ascii_block(text);
    benchmark::DoNotOptimize(parsed.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * ascii_points));
}
BENCHMARK(BM_AsciiParse)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
