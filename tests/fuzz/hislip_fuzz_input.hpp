// The HiSLIP fuzz targets' byte source: the fuzz input replayed in small chunks.
#pragma once

#include "protocols/hislip/hislip_wire.hpp"

#include <algorithm>
#include <cstddef>
#include <span>

namespace cppvisa::hislip {

/// Replays the fuzz input in chunks of 1..chunk bytes; every `timeout_every`-th call times out.
class FuzzInput : public ByteInput {
 public:
  FuzzInput(std::span<const std::byte> data, std::size_t chunk, unsigned timeout_every)
      : data_(data), chunk_(chunk == 0 ? 1 : chunk), timeout_every_(timeout_every) {}
  status_t recv_some(std::span<std::byte> buffer, core::Deadline, std::size_t& count) override {
    count = 0;
    if (timeout_every_ && ++calls_ % timeout_every_ == 0) return status::ERROR_TMO;
    if (pos_ == data_.size()) return status::ERROR_CONN_LOST;
    count = std::min({buffer.size(), chunk_, data_.size() - pos_});
    std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(pos_), count, buffer.begin());
    pos_ += count;
    return status::SUCCESS;
  }

 private:
  std::span<const std::byte> data_;
  std::size_t pos_ = 0;
  std::size_t chunk_;
  unsigned timeout_every_;
  unsigned calls_ = 0;
};

}  // namespace cppvisa::hislip
