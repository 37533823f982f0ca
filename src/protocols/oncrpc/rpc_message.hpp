// ONC RPC v2 call and reply messages (RFC 5531 §9) and record marking
// over TCP (RFC 5531 §11).
#pragma once

#include "protocols/oncrpc/xdr.hpp"

#include <cppvisa/status.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cppvisa::oncrpc {

inline constexpr std::uint32_t msg_call = 0;
inline constexpr std::uint32_t msg_reply = 1;
inline constexpr std::uint32_t rpc_version = 2;
inline constexpr std::size_t max_auth_body = 400;  // RFC 5531: opaque_auth body<400>

enum class AcceptStat : std::uint32_t {
  success = 0,
  prog_unavail = 1,
  prog_mismatch = 2,
  proc_unavail = 3,
  garbage_args = 4,
  system_err = 5,
};

enum class RejectStat : std::uint32_t { rpc_mismatch = 0, auth_error = 1 };

struct CallHeader {
  std::uint32_t xid = 0;
  std::uint32_t prog = 0;
  std::uint32_t vers = 0;
  std::uint32_t proc = 0;
};

/// Writes a call header with AUTH_NONE credentials and verifier; the arguments follow.
void encode_call(XdrWriter& out, const CallHeader& header);

enum class CallDecode {
  ok,            ///< header read; the reader is positioned at the arguments
  not_a_call,    ///< msg_type is REPLY (a server drops it)
  rpc_mismatch,  ///< rpcvers != 2 (reply MSG_DENIED / RPC_MISMATCH); header.xid is valid
  malformed,     ///< too short or bad auth: close the connection / drop the datagram
};

/// Reads a call header (any auth flavor is accepted and ignored; VXI-11 uses AUTH_NONE).
CallDecode decode_call(XdrReader& in, CallHeader& header);

/// Accepted reply header; for success the results follow, for prog_mismatch pass the versions.
void encode_accepted_reply(XdrWriter& out, std::uint32_t xid, AcceptStat stat, std::uint32_t low = 0,
                           std::uint32_t high = 0);
/// MSG_DENIED / RPC_MISMATCH(2, 2).
void encode_rpc_mismatch_reply(XdrWriter& out, std::uint32_t xid);

struct ReplyHeader {
  std::uint32_t xid = 0;
  bool accepted = false;
  AcceptStat accept = AcceptStat::success;   ///< when accepted
  RejectStat reject = RejectStat::rpc_mismatch;  ///< when denied
  std::uint32_t low = 0, high = 0;           ///< PROG_MISMATCH / RPC_MISMATCH versions; auth_stat in low
};

/// Reads a reply header; on success (true) with accepted && accept == success the reader is at the
/// results. False when the message is not a well-formed reply.
bool decode_reply(XdrReader& in, ReplyHeader& header);

/// The VISA status for a reply that is not a success: ERROR_NSUP_OPER for PROG_UNAVAIL,
/// PROG_MISMATCH and PROC_UNAVAIL (the peer does not implement it), ERROR_IO otherwise.
status_t reply_error_status(const ReplyHeader& header) noexcept;

// ---- record marking ----

inline constexpr std::uint32_t last_fragment_bit = 0x80000000u;

/// Frames a message as one last fragment: header word + payload.
std::vector<std::byte> frame_record(std::span<const std::byte> message);
/// Starts a message framed in place: clears `buf` and reserves the 4-byte record mark.
void begin_record(std::vector<std::byte>& buf);
/// Writes the record mark (one last fragment) for everything after the reserved 4 bytes and
/// `trailing` more bytes sent after `buf` (XdrWriter::trailing()).
void finish_record(std::vector<std::byte>& buf, std::size_t trailing = 0);

/// Incremental record-marking decoder with a bound on the record size (fragments are reassembled).
/// feed() consumes bytes up to the end of one record and stops there, so the caller keeps bytes
/// of the next record. Memory grows only with bytes actually received, never with a claimed length.
class RecordReader {
 public:
  explicit RecordReader(std::size_t max_record_size) : max_(max_record_size) {}

  /// Consumes bytes; returns how many. Stops after a complete record (has_record()) or an error.
  std::size_t feed(std::span<const std::byte> data);
  bool has_record() const noexcept { return complete_; }
  /// The complete record (valid until the next take/feed), then resets for the next one.
  std::vector<std::byte> take_record();
  /// take_record() into `out`, whose storage the reader keeps for the next record (no reallocation
  /// when records of similar size follow each other).
  void take_record_into(std::vector<std::byte>& out);
  /// A fragment or record exceeded the maximum: the stream cannot be resynchronised.
  bool failed() const noexcept { return failed_; }
  /// Bytes of the current fragment's body still to come (0 between fragments).
  std::size_t body_pending() const noexcept { return in_fragment_ && !complete_ && !failed_ ? fragment_left_ : 0; }
  /// Room for up to `limit` bytes of the current fragment's body at the end of the record, for a
  /// caller that receives straight into it instead of copying through feed() (a block of megabytes
  /// then crosses memory once more, not twice). Empty when no fragment body is pending. The record
  /// grows by what the caller asks for, never by what a fragment header announces.
  std::span<std::byte> direct_space(std::size_t limit);
  /// Counts `received` bytes of the space direct_space() gave (the rest of it is given back).
  void commit_direct(std::size_t received);
  /// Bytes of an unfinished record are pending.
  bool in_progress() const noexcept { return header_have_ > 0 || size_ > 0 || fragment_left_ > 0; }

  // A caller that knows where a large opaque lies in a record (RpcClient::await_reply_into: the
  // data of a VXI-11 device_read reply) takes the record in steps: its head up to a size
  // (stop_at), then the opaque's bytes straight into its own buffer (divert), then the rest.

  /// feed() and direct_space() stop once the record holds `size` bytes (0: no stop); the record
  /// so far is partial().
  void stop_at(std::size_t size) noexcept { stop_ = size; }
  /// A stop is set and the record (unfinished) holds fewer bytes than it.
  bool before_stop() const noexcept { return stop_ && size_ < stop_ && !complete_ && !failed_; }
  /// A stop is set and reached (the record is unfinished).
  bool at_stop() const noexcept { return stop_ && size_ >= stop_ && !complete_ && !failed_; }
  /// The bytes of the record received so far (valid until the next feed or direct receive).
  std::span<const std::byte> partial() const noexcept { return std::span(record_).first(size_); }
  /// The next `dest.size()` bytes of the record's body go to `dest`, not into the record (they
  /// count against the maximum all the same); diverted() counts them. `dest` must outlive the
  /// diversion: end it with end_divert() before it goes.
  void divert(std::span<std::byte> dest) noexcept;
  /// Bytes written to the diversion's `dest` so far.
  std::size_t diverted() const noexcept { return divert_done_; }
  /// Ends a diversion: further bytes of the record go into it again.
  void end_divert() noexcept;

 private:
  /// Makes record_ hold at least `size` bytes (zero-filling only bytes it never held before).
  void reserve_bytes(std::size_t size);
  std::size_t max_;
  // The record is record_[0, size_). record_.size() is a high-water mark: storage that is only
  // shrunk when the record is taken, so that the direct receives of a block do not zero-fill
  // (std::vector::resize) the space of every receive again (callgrind: more instructions than
  // bytes received).
  std::vector<std::byte> record_;
  std::size_t size_ = 0;
  std::byte header_[4]{};
  std::size_t header_have_ = 0;
  std::size_t fragment_left_ = 0;
  std::size_t direct_ = 0;  // bytes of direct_space() not yet committed
  std::size_t stop_ = 0;    // stop_at()
  std::span<std::byte> divert_;  // divert()
  std::size_t divert_done_ = 0;
  std::size_t skipped_ = 0;  // bytes of this record diverted (not in record_)
  bool in_fragment_ = false;
  bool last_ = false;
  bool complete_ = false;
  bool failed_ = false;
};

}  // namespace cppvisa::oncrpc
