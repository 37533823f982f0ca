#include "backends/sim/waveform.hpp"

#include "backends/sim/block.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

namespace cppvisa::sim {

WaveformMessage::WaveformMessage(std::uint64_t points, int sample_bytes, bool big_endian, std::int64_t period,
                                 std::string terminator)
    : sample_bytes_(sample_bytes == 2 ? 2 : 1),
      big_endian_(big_endian),
      period_(period < 2 ? 2 : period),
      terminator_(std::move(terminator)),
      data_size_(points * static_cast<std::uint64_t>(sample_bytes_)) {
  // IEEE 488.2 §7.7.6.2: '#', one digit giving the number of length digits, the length, the data
  // (at most 9 digits: the device refuses larger records, Device::match_device).
  header_ = definite_block_header(data_size_).value_or("#0");
  if (period_ <= (1 << 20)) {
    period_bytes_.resize(static_cast<std::size_t>(period_) * static_cast<std::size_t>(sample_bytes_));
    for (std::int64_t i = 0; i < period_; ++i)
      encode(sample(static_cast<std::uint64_t>(i), sample_bytes_, period_),
             &period_bytes_[static_cast<std::size_t>(i) * static_cast<std::size_t>(sample_bytes_)]);
  }
}

void WaveformMessage::encode(std::int32_t value, std::byte* out) const {
  auto v = static_cast<std::uint16_t>(static_cast<std::int16_t>(value));
  if (sample_bytes_ == 1) {
    out[0] = static_cast<std::byte>(v & 0xFF);
  } else {
    out[big_endian_ ? 0 : 1] = static_cast<std::byte>(v >> 8);
    out[big_endian_ ? 1 : 0] = static_cast<std::byte>(v & 0xFF);
  }
}

std::uint64_t WaveformMessage::size() const { return header_.size() + data_size_ + terminator_.size(); }

std::int32_t WaveformMessage::sample(std::uint64_t i, int sample_bytes, std::int64_t period) {
  double amplitude = sample_bytes == 2 ? 25000.0 : 100.0;
  auto phase = static_cast<double>(i % static_cast<std::uint64_t>(period)) / static_cast<double>(period);
  return static_cast<std::int32_t>(std::lround(amplitude * std::sin(2.0 * std::numbers::pi * phase)));
}

void WaveformMessage::copy(std::uint64_t offset, std::span<std::byte> out) const {
  std::size_t done = 0;
  std::uint64_t pos = offset;
  const std::uint64_t data_begin = header_.size(), data_end = data_begin + data_size_;
  while (done < out.size() && pos < data_begin) out[done++] = static_cast<std::byte>(header_[pos++]);
  const auto width = static_cast<std::uint64_t>(sample_bytes_);
  while (done < out.size() && pos < data_end) {
    std::uint64_t k = pos - data_begin;
    std::uint64_t n = std::min<std::uint64_t>(out.size() - done, data_end - pos);
    if (!period_bytes_.empty()) {
      // Whole runs of the precomputed period.
      std::uint64_t in_period = k % period_bytes_.size();
      n = std::min<std::uint64_t>(n, period_bytes_.size() - in_period);
      std::memcpy(out.data() + done, period_bytes_.data() + in_period, static_cast<std::size_t>(n));
    } else {
      std::byte encoded[2];
      encode(sample(k / width, sample_bytes_, period_), encoded);
      n = std::min<std::uint64_t>(n, width - k % width);
      std::memcpy(out.data() + done, encoded + k % width, static_cast<std::size_t>(n));
    }
    done += static_cast<std::size_t>(n);
    pos += n;
  }
  while (done < out.size()) out[done++] = static_cast<std::byte>(terminator_[static_cast<std::size_t>(pos++ - data_end)]);
}

}  // namespace cppvisa::sim
