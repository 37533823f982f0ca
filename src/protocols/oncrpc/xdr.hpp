// XDR (RFC 4506) encoding and decoding, hand-written: the subset VXI-11 and the portmapper use
// (32-bit integers, bools, variable-length opaque/string) is tiny and sits on the path of every
// VXI-11 call, so generated code or a library would add nothing but copies.
//
// The reader is strict: every get_* checks bounds against the input and the declared maximum,
// and once a get fails the reader stays failed (ok() == false) and returns zeros.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::oncrpc {

/// The zero bytes that follow `n` bytes of opaque data or string to a multiple of 4 (RFC 4506 §4.9).
constexpr std::size_t xdr_padding(std::size_t n) noexcept { return (4 - (n & 3)) & 3; }

/// Appends XDR items to a byte vector.
class XdrWriter {
 public:
  XdrWriter() = default;
  explicit XdrWriter(std::vector<std::byte>& out) : out_(&out) {}
  /// A writer whose trailing opaque (begin_trailing_opaque) goes to `trailing_store`, not `out`.
  XdrWriter(std::vector<std::byte>& out, std::vector<std::byte>* trailing_store)
      : out_(&out), trailing_store_(trailing_store) {}
  XdrWriter(const XdrWriter&) = delete;
  XdrWriter& operator=(const XdrWriter&) = delete;

  void put_u32(std::uint32_t v);
  /// Overwrites the word at byte offset `at` of bytes() (written earlier, e.g. as a placeholder).
  void put_u32_at(std::size_t at, std::uint32_t v);
  void put_i32(std::int32_t v) { put_u32(static_cast<std::uint32_t>(v)); }
  void put_bool(bool v) { put_u32(v ? 1u : 0u); }
  /// Variable-length opaque: length word, bytes, zero padding to a multiple of 4.
  void put_opaque(std::span<const std::byte> data);
  void put_string(std::string_view s);
  /// Fixed-length opaque: bytes and padding, no length.
  void put_fixed(std::span<const std::byte> data);

  /// Starts a variable-length opaque of at most `max` bytes that ends the message (nothing may be
  /// written after it) and returns the space for its data, for a producer that writes them in
  /// place (a device read of megabytes). With a trailing store the data stay in the store, which
  /// only ever grows (no zero-fill per message), and the sender gathers trailing() after bytes()
  /// (no copy of the data either); without one the space is in the vector (zero-filled).
  std::span<std::byte> begin_trailing_opaque(std::size_t max);
  /// Ends that opaque with its first `count` (<= max) bytes: writes the length word and padding.
  void end_trailing_opaque(std::size_t count);
  /// The trailing opaque's data and padding when they are in the store (else empty): the message
  /// is bytes() followed by trailing().
  std::span<const std::byte> trailing() const noexcept;

  std::vector<std::byte>& bytes() noexcept { return *out_; }
  std::size_t size() const noexcept { return out_->size(); }

 private:
  std::vector<std::byte> own_;
  std::vector<std::byte>* out_ = &own_;
  std::vector<std::byte>* trailing_store_ = nullptr;
  std::size_t trailing_at_ = 0;    // offset of the trailing opaque's length word in the vector
  std::size_t trailing_max_ = 0;   // its room
  std::size_t trailing_size_ = 0;  // data + padding in the store (after end_trailing_opaque)
};

/// Reads XDR items from a byte span (no copies: opaque data are views into the input).
class XdrReader {
 public:
  XdrReader() = default;
  explicit XdrReader(std::span<const std::byte> in) : in_(in) {}

  std::uint32_t get_u32();
  std::int32_t get_i32() { return static_cast<std::int32_t>(get_u32()); }
  /// Strict bool: values other than 0 and 1 fail the reader.
  bool get_bool();
  /// Variable-length opaque of at most `max` bytes (view into the input, padding skipped).
  std::span<const std::byte> get_opaque(std::size_t max);
  std::string get_string(std::size_t max);

  bool ok() const noexcept { return ok_; }
  /// Marks the reader failed (e.g. a value out of range for the caller).
  void fail() noexcept { ok_ = false; }
  std::size_t remaining() const noexcept { return ok_ ? in_.size() - pos_ : 0; }
  /// True when the reader is ok and every byte was consumed.
  bool done() const noexcept { return ok_ && pos_ == in_.size(); }
  /// The unread bytes.
  std::span<const std::byte> rest() const noexcept { return ok_ ? in_.subspan(pos_) : std::span<const std::byte>{}; }

 private:
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

/// Bytes of a string_view (for tests and literals).
inline std::span<const std::byte> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace cppvisa::oncrpc
