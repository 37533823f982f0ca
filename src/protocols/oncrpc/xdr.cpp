#include "protocols/oncrpc/xdr.hpp"

namespace cppvisa::oncrpc {

namespace {
constexpr std::size_t padding(std::size_t n) noexcept { return (4 - (n & 3)) & 3; }
}  // namespace

void XdrWriter::put_u32(std::uint32_t v) {
  const std::byte b[4] = {std::byte(v >> 24), std::byte(v >> 16), std::byte(v >> 8), std::byte(v)};
  out_->insert(out_->end(), b, b + 4);
}

void XdrWriter::put_fixed(std::span<const std::byte> data) {
  out_->insert(out_->end(), data.begin(), data.end());
  out_->insert(out_->end(), padding(data.size()), std::byte{0});
}

void XdrWriter::put_opaque(std::span<const std::byte> data) {
  put_u32(static_cast<std::uint32_t>(data.size()));
  put_fixed(data);
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
  if (length > max || length > left || padding(length) > left - length) {
    ok_ = false;
    return {};
  }
  auto view = in_.subspan(pos_, length);
  pos_ += length + padding(length);
  return view;
}

std::string XdrReader::get_string(std::size_t max) {
  auto view = get_opaque(max);
  return std::string(reinterpret_cast<const char*>(view.data()), view.size());
}

}  // namespace cppvisa::oncrpc
