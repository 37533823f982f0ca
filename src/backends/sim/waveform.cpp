#include "backends/sim/waveform.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace cppvisa::sim {

WaveformMessage::WaveformMessage(std::uint64_t points, int sample_bytes, bool big_endian, std::int64_t period,
                                 std::string terminator)
    : sample_bytes_(sample_bytes == 2 ? 2 : 1),
      big_endian_(big_endian),
      period_(period < 2 ? 2 : period),
      terminator_(std::move(terminator)),
      data_size_(points * static_cast<std::uint64_t>(sample_bytes_)) {
  // IEEE 488.2 §7.7.6.2: '#', one digit giving the number of length digits, the length, the data.
  std::string length = std::to_string(data_size_);
  header_ = "#" + std::to_string(length.size()) + length;
  if (period_ <= (1 << 20)) {
    period_table_.resize(static_cast<std::size_t>(period_));
    for (std::int64_t i = 0; i < period_; ++i)
      period_table_[static_cast<std::size_t>(i)] =
          static_cast<std::int16_t>(sample(static_cast<std::uint64_t>(i), sample_bytes_, period_));
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
  if (done < out.size() && pos < data_end) {
    std::uint64_t k = pos - data_begin;
    const auto width = static_cast<std::uint64_t>(sample_bytes_);
    std::uint64_t index = k / width;
    std::uint64_t phase = index % static_cast<std::uint64_t>(period_);
    std::size_t byte_in_sample = static_cast<std::size_t>(k % width);
    while (done < out.size() && pos < data_end) {
      std::int32_t value = period_table_.empty() ? sample(index, sample_bytes_, period_) : period_table_[phase];
      auto v = static_cast<std::uint16_t>(static_cast<std::int16_t>(value));
      for (; byte_in_sample < width && done < out.size(); ++byte_in_sample, ++pos) {
        std::uint8_t b;
        if (width == 1) b = static_cast<std::uint8_t>(v & 0xFF);
        else b = ((byte_in_sample == 0) == big_endian_) ? static_cast<std::uint8_t>(v >> 8) : static_cast<std::uint8_t>(v & 0xFF);
        out[done++] = static_cast<std::byte>(b);
      }
      byte_in_sample = 0;
      ++index;
      if (++phase == static_cast<std::uint64_t>(period_)) phase = 0;
    }
  }
  while (done < out.size()) out[done++] = static_cast<std::byte>(terminator_[static_cast<std::size_t>(pos++ - data_end)]);
}

}  // namespace cppvisa::sim
