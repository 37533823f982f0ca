// sim::WaveformMessage: an IEEE 488.2 definite-length arbitrary block ("#<n><length><data>")
// followed by the response terminator, whose data (a sine wave of signed 8- or 16-bit samples)
// is computed while it is read: reading 100 M points needs no 100 M-point buffer.
#pragma once

#include "backends/sim/output_message.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace cppvisa::sim {

class WaveformMessage final : public OutputMessage {
 public:
  /// `points` samples of `sample_bytes` (1 or 2) bytes each; one sine period every `period` samples.
  WaveformMessage(std::uint64_t points, int sample_bytes, bool big_endian, std::int64_t period,
                  std::string terminator);
  std::uint64_t size() const override;
  void copy(std::uint64_t offset, std::span<std::byte> out) const override;

  /// The header, e.g. "#41000".
  const std::string& header() const noexcept { return header_; }
  /// Sample i of a waveform (what the data bytes encode): round(A * sin(2*pi*i/period)) with
  /// A = 100 for int8 and 25000 for int16.
  static std::int32_t sample(std::uint64_t i, int sample_bytes, std::int64_t period);

 private:
  int sample_bytes_;
  bool big_endian_;
  std::int64_t period_;
  std::string header_;
  std::string terminator_;
  std::uint64_t data_size_;
  std::vector<std::int16_t> period_table_;  // one period of samples (when the period is not huge)
};

}  // namespace cppvisa::sim
