// sim::OutputMessage: one message a simulated device has queued for reading. Its bytes are
// produced on demand (copy()), so a large generated message (a waveform block) is never held in
// memory; the last byte of a message carries END.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace cppvisa::sim {

class OutputMessage {
 public:
  virtual ~OutputMessage() = default;
  /// Total length in bytes (response terminator included).
  virtual std::uint64_t size() const = 0;
  /// Copies bytes [offset, offset + out.size()) of the message into `out` (within size()).
  virtual void copy(std::uint64_t offset, std::span<std::byte> out) const = 0;
};

/// A message held as bytes.
class BytesMessage final : public OutputMessage {
 public:
  explicit BytesMessage(std::string bytes) : bytes_(std::move(bytes)) {}
  std::uint64_t size() const override { return bytes_.size(); }
  void copy(std::uint64_t offset, std::span<std::byte> out) const override {
    bytes_.copy(reinterpret_cast<char*>(out.data()), out.size(), static_cast<std::size_t>(offset));
  }
  const std::string& bytes() const noexcept { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace cppvisa::sim
