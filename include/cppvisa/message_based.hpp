/// @file message_based.hpp
/// @brief MessageBasedResource: write/read/query, terminations, binary and ASCII values
/// (PyVISA's MessageBasedResource).
///
/// Errors: the throwing forms throw InvalidSession on a closed resource and VisaIOError for a
/// VISA error (VI_ERROR_TMO when VI_ATTR_TMO_VALUE expires, VI_ERROR_IO, VI_ERROR_CONN_LOST, ...);
/// the `std::error_code&` forms put VISA errors (VI_ERROR_INV_OBJECT when closed) in `ec` but still
/// throw Error for text the encoding cannot represent. Sizes and counts are in bytes.
/// Thread safety: as Resource. Every operation (write, read, query, the value and block forms,
/// read_stb, assert_trigger, flush) and every setter holds the object's call lock for the whole
/// call: a query's write and read are not separated by another thread's call on this object, and
/// its reply reaches the thread that asked. The getters of the settings kept by this object
/// (chunk_size() ... read_termination()) return a copy and do not wait for an operation in
/// progress; encode() and decode() use one consistent encoding per call.
///
/// Read semantics are VISA's: a read ends on END, on the termination character when enabled
/// (read_termination's last character), or when the requested count is reached; data beyond what
/// was asked for stays buffered for the next read.
///
/// Failed reads lose nothing: the bytes received before a timeout, a lost connection or the
/// max_message_size() limit are returned by the `ec` forms and carried by the exception
/// (VisaIOError::received()), whose detail says how many arrived and how they ended ("34 bytes
/// received ending in '\n'; read_termination is '\r'"). Bounds: one call (read(), read_raw(),
/// read_bytes(), a block) takes at most the timeout in total, however slowly the instrument
/// sends (the deadline is for the call, not for each chunk), and keeps at most
/// max_message_size() bytes (blocks: BlockOptions::max_length), allocated as bytes arrive.
#pragma once

#include <cppvisa/resource.hpp>
#include <cppvisa/values.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa {

/// Progress of a long read: bytes received so far, and the total when it is known (a
/// definite-length block's whole size, header included), 0 when not.
using ReadProgress = std::function<void(std::size_t done, std::size_t total)>;

/// How read_binary_values / query_binary_values read a block (PyVISA's keyword arguments).
struct BinaryReadOptions {
  BlockFormat header = BlockFormat::ieee;  ///< ieee (incl. #0), hp, rs (accepts ieee too), empty
  bool big_endian = false;  ///< byte order of the items (false: little-endian)
  /// Consume read_termination after the block (when one is set), as PyVISA does.
  bool expect_termination = true;
  /// Number of points for blocks whose header gives no length (#0, empty). Without it the rest of
  /// the message (up to END) is the block.
  std::optional<std::size_t> data_points;
  std::size_t chunk_size = 0;  ///< bytes per read while looking for the header; 0 = chunk_size()
  /// max_length etc.: a header announcing more is refused; storage grows as the data arrive
  /// (never to the announced length at once)
  BlockOptions limits;
  /// Called after each read of the block with the payload bytes received and the payload length
  /// (0 while unknown). When set, the payload is read in pieces of at most 64 KiB (one viRead
  /// each) so that it is called while a long block arrives; may be empty.
  ReadProgress progress;
};

/// The default of MessageBasedResource::max_message_size(): 64 MiB.
inline constexpr std::size_t default_max_message_size = std::size_t{64} << 20;

/// A message-based resource (INSTR of GPIB, TCPIP, USB, ASRL; SOCKET): the base of the typed classes.
class CPPVISA_API MessageBasedResource : public Resource {
 public:
  std::string_view class_name() const noexcept override { return "MessageBasedResource"; }

  // ---- writing ----
  /// viWrite of `data` as it is (END on the last byte when send_end()); returns the bytes written.
  std::size_t write_raw(std::span<const std::byte> data);
  /// Non-throwing write_raw(): the count written before an error
  std::size_t write_raw(std::span<const std::byte> data, std::error_code& ec);
  /// write_raw() of the bytes of `data` (no encoding, no termination)
  std::size_t write_raw(std::string_view data) { return write_raw(std::as_bytes(std::span(data))); }
  /// Encodes `message`, appends write_termination (or `termination` when given) and writes it in
  /// one viWrite; returns the bytes written. @throws Error when the text cannot be encoded.
  std::size_t write(std::string_view message);
  std::size_t write(std::string_view message, std::error_code& ec);  ///< non-throwing write() (VISA errors in `ec`)
  /// write() with `termination` instead of write_termination()
  std::size_t write(std::string_view message, std::string_view termination);
  /// Non-throwing write() with `termination` (VISA errors in `ec`)
  std::size_t write(std::string_view message, std::string_view termination, std::error_code& ec);

  // ---- reading ----
  /// Reads one message (until END or termination character), in reads of `size` bytes (0 =
  /// chunk_size()) while the status is VI_SUCCESS_MAX_CNT, within one timeout in total. Nothing
  /// is stripped. @throws VisaIOError: VI_ERROR_TMO, VI_ERROR_CONN_LOST ..., VI_ERROR_ALLOC when
  /// the message exceeds max_message_size(); the bytes received are in VisaIOError::received().
  std::vector<std::byte> read_raw(std::size_t size = 0);
  /// Non-throwing read_raw(): returns the bytes read before an error (cause: last_error_detail())
  std::vector<std::byte> read_raw(std::size_t size, std::error_code& ec);
  /// Reads one message, decodes it, and strips read_termination when the message ends with it.
  /// @throws as read_raw(); Error when the bytes are not valid in encoding().
  std::string read();
  /// Non-throwing read(): on a VISA error (in `ec`) returns the text received before it, not
  /// stripped (or "" when it cannot be decoded); Error for bytes the encoding rejects
  std::string read(std::error_code& ec);
  /// read() with `termination` as read_termination for this read only (restored afterwards, also
  /// on error). @throws as read() and set_read_termination().
  std::string read(std::string_view termination);
  /// Reads exactly `count` bytes (across messages) in reads of `chunk_size` bytes (0 = chunk_size()),
  /// or stops at END/termination character with break_on_termchar, within one timeout in total.
  /// @throws as read_raw() (the bytes already read in VisaIOError::received()).
  std::vector<std::byte> read_bytes(std::size_t count, std::size_t chunk_size = 0, bool break_on_termchar = false);
  /// Non-throwing read_bytes(): returns the bytes read before an error (in `ec`).
  std::vector<std::byte> read_bytes(std::size_t count, std::size_t chunk_size, bool break_on_termchar,
                                    std::error_code& ec);
  /// Reads into the caller's buffer: one viRead. Returns the count; `st` gets the completion code
  /// (VI_SUCCESS = END, VI_SUCCESS_TERM_CHAR, VI_SUCCESS_MAX_CNT).
  /// @throws InvalidSession when closed; VisaIOError (the bytes stored in `buffer` are also in
  /// VisaIOError::received()).
  std::size_t read_into(std::span<std::byte> buffer, status_t& st);
  /// Non-throwing read_into(): `st` also gets an error status
  std::size_t read_into(std::span<std::byte> buffer, status_t& st, std::error_code& ec);

  // ---- query ----
  /// write(message), sleep `delay` (or query_delay()) when positive, read().
  std::string query(std::string_view message);
  /// Non-throwing query(): "" when the write failed, the text received when the read failed
  /// (error in `ec`, cause in last_error_detail())
  std::string query(std::string_view message, std::error_code& ec);
  /// query() sleeping `delay` seconds between write and read
  std::string query(std::string_view message, std::chrono::duration<double> delay);

  // ---- asynchronous forms ----
  /// query() on the library's small fixed pool of threads (shared by all resources; calls of one
  /// resource run in order, one at a time, and hold the object's call lock from their start to
  /// their end as a synchronous call does); returns at once. While the answer has not arrived, a
  /// session over a socket (raw socket, HiSLIP, VXI-11) waits in the library's reactor (epoll),
  /// not on a pool thread, so any number of resources can wait at once; other sessions block a
  /// pool thread for the read. The future holds the answer or the exception query() threw;
  /// VisaIOError(VI_ERROR_ABORT) when the resource closed before the query started,
  /// VI_ERROR_INV_OBJECT when it closed during the call. The resource must outlive the call
  /// (close() and the destructor wait for a running one). @throws InvalidSession when closed.
  std::future<std::string> query_async(std::string message);
  /// write() on the pool (as query_async()); the future holds the bytes written.
  std::future<std::size_t> write_async(std::string message);
  /// read() on the pool (as query_async()); the future holds the message read.
  std::future<std::string> read_async();

  /// The handler of the callback forms: called once, on a pool thread, with no lock of the
  /// library held (it may call this resource), with `error` null and the value, or with the
  /// exception the synchronous call would have thrown (and an empty value).
  template <class T>
  using Completion = std::function<void(std::exception_ptr error, T value)>;
  /// query_async() calling `done` instead of fulfilling a future. @throws InvalidSession when closed.
  void query_async(std::string message, Completion<std::string> done);
  /// write_async() calling `done`. @throws InvalidSession when closed.
  void write_async(std::string message, Completion<std::size_t> done);
  /// read_async() calling `done`. @throws InvalidSession when closed.
  void read_async(Completion<std::string> done);

  // ---- binary and ASCII values ----
  /// Writes message + a binary block of `values` (IEEE 488.2 §7.7.6 definite length with the
  /// default `header`) + write_termination, in one write; returns the bytes written.
  /// @throws as write_raw(); Error when `message` cannot be encoded.
  template <BlockRange R>
  std::size_t write_binary_values(std::string_view message, const R& values, BlockFormat header = BlockFormat::ieee,
                                  bool big_endian = false) {
    auto serial = serialise();
    std::vector<std::byte> payload = encoded_bytes(message);
    append_block(payload, values, header, big_endian);
    auto term = encode(write_termination_);
    auto tb = as_byte_span(term);
    payload.insert(payload.end(), tb.begin(), tb.end());
    return write_raw(payload);
  }
  /// Writes message + values as text ("1.000000,2.000000" by default) + write_termination;
  /// returns the bytes written. @throws as write(); InvalidAsciiFormat for a bad `converter`.
  template <BlockRange R>
  std::size_t write_ascii_values(std::string_view message, const R& values, std::string_view converter = "f",
                                 std::string_view separator = ",") {
    std::string text(message);
    text += to_ascii_block(values, converter, separator);
    return write(text);
  }
  /// Reads one message and parses it as ASCII values. @throws as read(); InvalidAsciiFormat.
  template <AsciiValue T = double>
  std::vector<T> read_ascii_values(std::string_view converter = "f", std::string_view separator = ",") {
    return from_ascii_block<T>(read(), converter, separator);
  }
  template <AsciiValue T = double>
  /// write(message), sleep query_delay(), read_ascii_values<T>(converter, separator).
  std::vector<T> query_ascii_values(std::string_view message, std::string_view converter = "f",
                                    std::string_view separator = ",") {
    auto serial = serialise();  // the write and the read of one query together
    write(message);
    wait_query_delay();
    return read_ascii_values<T>(converter, separator);
  }
  /// Reads a binary block straight into the returned vector's storage (no intermediate copy of
  /// the payload beyond the first chunk), then fixes the byte order in place.
  /// @throws InvalidBinaryFormat for a malformed or oversized block, VisaIOError for I/O errors
  /// (a timeout or a hang-up: the data bytes received, or the bytes of an incomplete header, in
  /// VisaIOError::received()).
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
  /// read_binary_values() into the caller's vector, which ends up holding exactly the block's
  /// items. Its storage is reused: a vector that already has the size or capacity for the block
  /// (reserve(), or the previous block of a loop) is neither reallocated nor cleared, so reading
  /// an N-item block costs the vector plus a few KiB, where a returned vector grows by
  /// reallocation (briefly holding old and new storage). @throws as read_binary_values(); after
  /// an error `values` holds the items stored before it.
  template <BlockValue T>
  void read_binary_values_into(std::vector<T>& values, const BinaryReadOptions& options = {}) {
    std::size_t items = 0;
    try {
      read_block_into(options, sizeof(T), [&](std::size_t nbytes) {
        items = nbytes / sizeof(T);
        if (values.size() < items) values.resize(items);  // growing only: no shrink and re-clear
        return std::as_writable_bytes(std::span<T>(values).first(items));
      });
    } catch (...) {
      values.resize(items);  // the items stored before the error (none before the header)
      throw;
    }
    values.resize(items);
    fix_byte_order(std::span<T>(values), options.big_endian);
  }
  /// write(message), wait query_delay, read_binary_values_into(values, options).
  template <BlockValue T>
  void query_binary_values_into(std::string_view message, std::vector<T>& values,
                                const BinaryReadOptions& options = {}) {
    write(message);
    wait_query_delay();
    read_binary_values_into(values, options);
  }
  /// write(message), wait query_delay, read_binary_values<T>(options).
  template <BlockValue T>
  std::vector<T> query_binary_values(std::string_view message, const BinaryReadOptions& options = {}) {
    auto serial = serialise();  // the write and the read of one query together
    write(message);
    wait_query_delay();
    return read_binary_values<T>(options);
  }

  // ---- status, trigger, flush ----
  /// viReadSTB: the status byte (IEEE 488.2 §11.2).
  /// @throws InvalidSession when closed; VisaIOError (VI_ERROR_TMO, VI_ERROR_NSUP_OPER).
  std::uint16_t read_stb();
  std::uint16_t read_stb(std::error_code& ec);  ///< non-throwing read_stb(): 0 on error
  /// viAssertTrigger with VI_TRIG_PROT_DEFAULT. @throws InvalidSession; VisaIOError (VI_ERROR_TMO, VI_ERROR_NSUP_OPER).
  void assert_trigger();
  void assert_trigger(std::error_code& ec);  ///< non-throwing assert_trigger()
  /// viFlush with `mask` an OR of buffer:: flags. @throws InvalidSession; VisaIOError (VI_ERROR_INV_MASK).
  void flush(std::uint16_t mask);
  void flush(std::uint16_t mask, std::error_code& ec);  ///< non-throwing flush()

  // ---- settings kept by this object (PyVISA's plain attributes) ----
  /// The most bytes read_raw(), read() and query() keep for one message (default
  /// default_max_message_size, 64 MiB): a longer message fails with VI_ERROR_ALLOC and the bytes
  /// received so far; the rest stays to be read. Also the "max_message_size" property.
  std::size_t max_message_size() const;
  void set_max_message_size(std::size_t n);  ///< sets max_message_size(); @throws Error when `n` is 0
  /// Bytes per viRead of read_raw()/read() (default 20480)
  std::size_t chunk_size() const;
  void set_chunk_size(std::size_t n);  ///< sets chunk_size(); @throws Error when `n` is 0
  /// The sleep between write and read of query() (seconds; default 0)
  std::chrono::duration<double> query_delay() const;
  /// Sets query_delay(); zero or negative: no sleep
  void set_query_delay(std::chrono::duration<double> d);
  /// "ascii" (default; non-ASCII bytes are an error), "utf-8" (validated) or "latin-1".
  std::string encoding() const;
  /// "ascii"/"us-ascii", "utf-8"/"utf8", "latin-1"/"latin1"/"iso-8859-1"; @throws Error otherwise
  void set_encoding(std::string_view encoding);
  /// Appended by write() (default "\r\n")
  std::string write_termination() const;
  void set_write_termination(std::string_view t);  ///< sets write_termination(); any bytes, may be empty
  /// Stripped by read() when the message ends with it (default empty)
  std::string read_termination() const;
  /// Its last character becomes VI_ATTR_TERMCHAR with VI_ATTR_TERMCHAR_EN true; empty disables
  /// the termination character (TERMCHAR back to '\n'). A last character that also appears earlier
  /// is ambiguous and refused (as PyVISA does).
  void set_read_termination(std::string_view t);

  // ---- VISA attributes as properties ----
  bool send_end() const;  ///< VI_ATTR_SEND_END_EN: END with the last byte of each write
  void set_send_end(bool on);  ///< sets VI_ATTR_SEND_END_EN; @throws as set_visa_attribute()
  std::uint16_t io_protocol() const;  ///< VI_ATTR_IO_PROT (VI_PROT_NORMAL, VI_PROT_4882_STRS, ...)
  void set_io_protocol(std::uint16_t p);  ///< sets VI_ATTR_IO_PROT; @throws as set_visa_attribute()

  /// Encodes text to bytes with this resource's encoding. @throws Error when it cannot be encoded.
  std::string encode(std::string_view text) const;
  /// Decodes bytes with this resource's encoding (latin-1 -> UTF-8). @throws Error when invalid.
  std::string decode(std::span<const std::byte> data) const;

 protected:
  using Resource::Resource;  ///< made by ResourceManager::open_resource
  friend class ResourceManager;
  /// Reads a block whose data bytes go to the storage `resize(nbytes)` returns; `resize` is called
  /// with growing sizes as the data arrive and must keep the bytes already stored.
  void read_block_into(const BinaryReadOptions& options, std::size_t itemsize,
                       const std::function<std::span<std::byte>(std::size_t)>& resize);
  /// The end of a call that started now: now + the timeout (the far future when infinite).
  std::chrono::steady_clock::time_point call_deadline() const;
  /// One viRead bounded by `deadline` too; `ec` gets an error (VI_ERROR_INV_OBJECT when closed).
  std::size_t read_until(std::span<std::byte> buffer, status_t& st, std::chrono::steady_clock::time_point deadline,
                         std::error_code& ec);
  /// Throws the error `ec` holds (the cause as last_error_detail() has it), with `received`.
  [[noreturn]] void throw_read_error(const std::error_code& ec, std::vector<std::byte> received) const;
  std::vector<std::byte> encoded_bytes(std::string_view text) const;  ///< encode() as bytes
  /// decode() of a whole message, without read_termination when it ends with it.
  std::string decode_message(std::span<const std::byte> raw) const;
  void wait_query_delay() const;  ///< sleeps query_delay() when positive
  /// read_raw()'s check before another chunk: false (and `ec`, the cause recorded) when `out`
  /// already holds max_message_size() bytes.
  bool room_for_more(const std::vector<std::byte>& out, std::error_code& ec) const;
  /// Records the cause of a failed read of the message `out` (read_raw() and read_async()).
  void record_read_error(status_t st, const std::vector<std::byte>& out) const;
  /// Adds chunk_size, query_delay, encoding, terminations, send_end, io_protocol, stb
  const Property* find_property(std::string_view name) const override;
  /// Appends the names find_property() adds
  void collect_property_names(std::vector<std::string>& out) const override;

  std::size_t chunk_size_ = 20 * 1024;  ///< see chunk_size()
  std::size_t max_message_size_ = default_max_message_size;  ///< see max_message_size()
  std::chrono::duration<double> query_delay_{0.0};  ///< see query_delay()
  std::string encoding_ = "ascii";  ///< see encoding()
  std::string write_termination_ = "\r\n";  ///< see write_termination()
  std::string read_termination_;  ///< see read_termination()
  /// Guards the settings above for their getters; setters hold it and the call lock.
  mutable std::mutex settings_mutex_;

 private:
  struct AsyncRead;  // a read() waiting without a thread (message_based_async.cpp)
  /// The future forms over the callback forms: `start(completion)` fulfils the future.
  template <class T, class Start>
  static std::future<T> future_of(Start start);
  /// Posts `call(done)` as this resource's next asynchronous call: `call` runs on a pool thread
  /// with the call reserved (reserve_call()) and must end it with finish_call(); cancelled, `done`
  /// gets VI_ERROR_ABORT.
  template <class T>
  void post_call(std::function<void(Completion<T>)> call, Completion<T> done);
};

}  // namespace cppvisa
