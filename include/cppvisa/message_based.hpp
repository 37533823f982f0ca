/// @file message_based.hpp
/// @brief MessageBasedResource: write/read/query, terminations, binary and ASCII values
/// (PyVISA's MessageBasedResource, ../docs: pyvisa-api §6).
///
/// Read semantics are VISA's: a read ends on END, on the termination character when enabled
/// (read_termination's last character), or when the requested count is reached; data beyond what
/// was asked for stays buffered for the next read.
#pragma once

#include <cppvisa/resource.hpp>
#include <cppvisa/values.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa {

/// How read_binary_values / query_binary_values read a block (PyVISA's keyword arguments).
struct BinaryReadOptions {
  BlockFormat header = BlockFormat::ieee;  ///< ieee (incl. #0), hp, rs (accepts ieee too), empty
  bool big_endian = false;
  /// Consume read_termination after the block (when one is set), as PyVISA does.
  bool expect_termination = true;
  /// Number of points for blocks whose header gives no length (#0, empty). Without it the rest of
  /// the message (up to END) is the block.
  std::optional<std::size_t> data_points;
  std::size_t chunk_size = 0;  ///< bytes per read while looking for the header; 0 = chunk_size()
  BlockOptions limits;         ///< max_length etc.: a header announcing more is refused before allocating
};

class CPPVISA_API MessageBasedResource : public Resource {
 public:
  std::string_view class_name() const noexcept override { return "MessageBasedResource"; }

  // ---- writing ----
  /// Writes bytes as they are; returns the count written.
  std::size_t write_raw(std::span<const std::byte> data);
  std::size_t write_raw(std::span<const std::byte> data, std::error_code& ec);
  std::size_t write_raw(std::string_view data) { return write_raw(std::as_bytes(std::span(data))); }
  /// Writes a message followed by write_termination (or `termination` when given).
  std::size_t write(std::string_view message);
  std::size_t write(std::string_view message, std::error_code& ec);
  std::size_t write(std::string_view message, std::string_view termination);
  std::size_t write(std::string_view message, std::string_view termination, std::error_code& ec);

  // ---- reading ----
  /// Reads one message (until END or termination character), in chunk_size pieces while the
  /// status is VI_SUCCESS_MAX_CNT. Nothing is stripped.
  std::vector<std::byte> read_raw(std::size_t size = 0);
  std::vector<std::byte> read_raw(std::size_t size, std::error_code& ec);
  /// Reads one message, decodes it, and strips read_termination when the message ends with it.
  std::string read();
  std::string read(std::error_code& ec);
  /// read() with a termination used for this read only.
  std::string read(std::string_view termination);
  /// Reads exactly `count` bytes (across messages), or up to END/termchar with break_on_termchar.
  std::vector<std::byte> read_bytes(std::size_t count, std::size_t chunk_size = 0, bool break_on_termchar = false);
  std::vector<std::byte> read_bytes(std::size_t count, std::size_t chunk_size, bool break_on_termchar,
                                    std::error_code& ec);
  /// Reads into the caller's buffer: one viRead. Returns the count; `st` gets the completion code
  /// (VI_SUCCESS = END, VI_SUCCESS_TERM_CHAR, VI_SUCCESS_MAX_CNT).
  std::size_t read_into(std::span<std::byte> buffer, status_t& st);
  std::size_t read_into(std::span<std::byte> buffer, status_t& st, std::error_code& ec);

  // ---- query ----
  /// write(message), wait `delay` (or query_delay), read().
  std::string query(std::string_view message);
  std::string query(std::string_view message, std::error_code& ec);
  std::string query(std::string_view message, std::chrono::duration<double> delay);

  // ---- binary and ASCII values ----
  /// Writes message + a binary block of `values` + write_termination, in one write.
  template <BlockRange R>
  std::size_t write_binary_values(std::string_view message, const R& values, BlockFormat header = BlockFormat::ieee,
                                  bool big_endian = false) {
    std::vector<std::byte> payload = encoded_bytes(message);
    append_block(payload, values, header, big_endian);
    auto term = encode(write_termination_);
    auto tb = as_byte_span(term);
    payload.insert(payload.end(), tb.begin(), tb.end());
    return write_raw(payload);
  }
  /// Writes message + values as text ("1.000000,2.000000" by default) + write_termination.
  template <BlockRange R>
  std::size_t write_ascii_values(std::string_view message, const R& values, std::string_view converter = "f",
                                 std::string_view separator = ",") {
    std::string text(message);
    text += to_ascii_block(values, converter, separator);
    return write(text);
  }
  /// Reads one message and parses it as ASCII values.
  template <AsciiValue T = double>
  std::vector<T> read_ascii_values(std::string_view converter = "f", std::string_view separator = ",") {
    return from_ascii_block<T>(read(), converter, separator);
  }
  template <AsciiValue T = double>
  std::vector<T> query_ascii_values(std::string_view message, std::string_view converter = "f",
                                    std::string_view separator = ",") {
    write(message);
    wait_query_delay();
    return read_ascii_values<T>(converter, separator);
  }
  /// Reads a binary block straight into the returned vector's storage (no intermediate copy of
  /// the payload beyond the first chunk), then fixes the byte order in place.
  /// @throws InvalidBinaryFormat for a malformed or oversized block, VisaIOError for I/O errors.
  template <BlockValue T>
  std::vector<T> read_binary_values(const BinaryReadOptions& options = {}) {
    std::vector<T> values;
    read_block_into(options, sizeof(T), [&](std::size_t nbytes) {
      values.resize(nbytes / sizeof(T));
      return std::as_writable_bytes(std::span<T>(values));
    });
    fix_byte_order(std::span<T>(values), options.big_endian);
    return values;
  }
  /// write(message), wait query_delay, read_binary_values<T>(options).
  template <BlockValue T>
  std::vector<T> query_binary_values(std::string_view message, const BinaryReadOptions& options = {}) {
    write(message);
    wait_query_delay();
    return read_binary_values<T>(options);
  }

  // ---- status, trigger, flush ----
  std::uint16_t read_stb();
  std::uint16_t read_stb(std::error_code& ec);
  void assert_trigger();
  void assert_trigger(std::error_code& ec);
  void flush(std::uint16_t mask);
  void flush(std::uint16_t mask, std::error_code& ec);

  // ---- settings kept by this object (PyVISA's plain attributes) ----
  std::size_t chunk_size() const noexcept { return chunk_size_; }
  void set_chunk_size(std::size_t n);
  std::chrono::duration<double> query_delay() const noexcept { return query_delay_; }
  void set_query_delay(std::chrono::duration<double> d) { query_delay_ = d; }
  /// "ascii" (default; non-ASCII bytes are an error), "utf-8" (validated) or "latin-1".
  const std::string& encoding() const noexcept { return encoding_; }
  void set_encoding(std::string_view encoding);
  const std::string& write_termination() const noexcept { return write_termination_; }
  void set_write_termination(std::string_view t) { write_termination_ = t; }
  const std::string& read_termination() const noexcept { return read_termination_; }
  /// Its last character becomes VI_ATTR_TERMCHAR with VI_ATTR_TERMCHAR_EN true; empty disables
  /// the termination character (TERMCHAR back to '\n'). A last character that also appears earlier
  /// is ambiguous and refused (as PyVISA does).
  void set_read_termination(std::string_view t);

  // ---- VISA attributes as properties ----
  bool send_end() const;
  void set_send_end(bool on);
  std::uint16_t io_protocol() const;
  void set_io_protocol(std::uint16_t p);

  /// Encodes text to bytes with this resource's encoding. @throws Error when it cannot be encoded.
  std::string encode(std::string_view text) const;
  /// Decodes bytes with this resource's encoding (latin-1 -> UTF-8). @throws Error when invalid.
  std::string decode(std::span<const std::byte> data) const;

 protected:
  using Resource::Resource;
  friend class ResourceManager;
  /// Reads a block whose data bytes go to the storage `allocate(nbytes)` returns.
  void read_block_into(const BinaryReadOptions& options, std::size_t itemsize,
                       const std::function<std::span<std::byte>(std::size_t)>& allocate);
  std::vector<std::byte> encoded_bytes(std::string_view text) const;
  void wait_query_delay() const;
  const Property* find_property(std::string_view name) const override;
  void collect_property_names(std::vector<std::string>& out) const override;

  std::size_t chunk_size_ = 20 * 1024;
  std::chrono::duration<double> query_delay_{0.0};
  std::string encoding_ = "ascii";
  std::string write_termination_ = "\r\n";
  std::string read_termination_;
};

}  // namespace cppvisa
