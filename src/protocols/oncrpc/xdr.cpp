#include "protocols/oncrpc/xdr.hpp"

#include <algorithm>

namespace cppvisa::oncrpc {

void XdrWriter::put_u32(std::uint32_t v) {
  out_->resize(out_->size() + 4);
  put_u32_at(out_->size() - 4, v);
}

void XdrWriter::put_u32_at(std::size_t at, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) (*out_)[at + i] = std::byte(v >> (24 - 8 * i));
}

void XdrWriter::put_fixed(std::span<const std::byte> data) {
  out_->insert(out_->end(), data.begin(), data.end());
  out_->insert(out_->end(), xdr_padding(data.size()), std::byte{0});
}

void XdrWriter::put_opaque(std::span<const std::byte> data) {
  put_u32(static_cast<std::uint32_t>(data.size()));
  put_fixed(data);
}

std::span<std::byte> XdrWriter::begin_trailing_opaque(std::size_t max) {
  trailing_at_ = out_->size();
  trailing_max_ = max;
  trailing_size_ = 0;
  put_u32(0);  // the length, written by end_trailing_opaque
  if (trailing_store_) {
    // Room for the padding too; resize() only grows the store, so bytes are zero-filled once.
    if (trailing_store_->size() < max + 3) trailing_store_->resize(max + 3);
    return std::span(*trailing_store_).first(max);
  }
  out_->resize(trailing_at_ + 4 + max);
  return std::span(*out_).subspan(trailing_at_ + 4, max);
}

void XdrWriter::end_trailing_opaque(std::size_t count) {
  count = std::min(count, trailing_max_);
  put_u32_at(trailing_at_, static_cast<std::uint32_t>(count));
  const std::size_t pad = xdr_padding(count);
  if (trailing_store_) {
    std::fill_n(trailing_store_->begin() + static_cast<std::ptrdiff_t>(count), pad, std::byte{0});
    trailing_size_ = count + pad;
    return;
  }
  out_->resize(trailing_at_ + 4 + count);
  out_->insert(out_->end(), pad, std::byte{0});
}

std::span<const std::byte> XdrWriter::trailing() const noexcept {
  if (!trailing_store_) return {};
  return std::span<const std::byte>(*trailing_store_).first(trailing_size_);
}

void XdrWriter::put_string(std::string_view s) { put_opaque(as_bytes(s)); }

std::uint32_t XdrReader::get_u32() {
  if (!ok_ || in_.size() - pos_ < 4) {
    ok_ = false;
    return 0;
  }
  const std::byte* p = in_.data() + pos_;
  pos_ += 4;
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
}

bool XdrReader::get_bool() {
  std::uint32_t v = get_u32();
  if (v > 1) ok_ = false;
  return ok_ && v == 1;
}

std::span<const std::byte> XdrReader::get_opaque(std::size_t max) {
  std::uint32_t length = get_u32();
  if (!ok_) return {};
  std::size_t left = in_.size() - pos_;
  // Compare without overflow: length and its padding must fit in what is left.
  if (length > max || length > left || xdr_padding(length) > left - length) {
    ok_ = false;
    return {};
  }
  auto view = in_.subspan(pos_, length);
  pos_ += length + xdr_padding(length);
  return view;
}

std::string XdrReader::get_string(std::size_t max) {
  auto view = get_opaque(max);
  return std::string(reinterpret_cast<const char*>(view.data()), view.size());
}

}  // namespace cppvisa::oncrpc
