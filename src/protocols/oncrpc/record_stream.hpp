// oncrpc::RecordStream: RPC records (record marking) over a TCP socket, with deadlines.
#pragma once

#include "protocols/net/socket.hpp"
#include "protocols/oncrpc/rpc_message.hpp"

#include <array>
#include <vector>

namespace cppvisa::oncrpc {

class RecordStream {
 public:
  /// `max_record_size` bounds what a peer can make us buffer.
  explicit RecordStream(net::Socket socket, std::size_t max_record_size)
      : socket_(std::move(socket)), reader_(max_record_size) {}

  /// Receives the next record. ERROR_TMO (nothing lost: a later call continues the record),
  /// ERROR_CONN_LOST (peer closed), ERROR_ABORT (waker), ERROR_IO (oversize fragment: the stream
  /// is unusable and should be closed).
  status_t receive(std::vector<std::byte>& record, core::Deadline deadline, const net::Waker* cancel = nullptr);
  /// Receives the next record's first `size` bytes (reader().partial()) or, when it is shorter,
  /// the whole record (`complete`: take it with receive()). Statuses as receive(). A stop between
  /// the two steps leaves the record's remaining bytes to the next receive(), which may divert
  /// some of them into the caller's buffer (reader().divert()).
  status_t receive_head(std::size_t size, bool& complete, core::Deadline deadline,
                        const net::Waker* cancel = nullptr);
  RecordReader& reader() noexcept { return reader_; }
  /// Once the first bytes of a record have arrived, the rest must follow within `ms` (else
  /// receive() gives ERROR_TMO): a server uses it so that a peer cannot hold a connection with a
  /// half-sent record forever, while idle connections between calls stay open. 0 = no limit.
  void set_partial_record_timeout(std::uint32_t ms) noexcept { partial_timeout_ms_ = ms; }
  /// Sends one message as a single last fragment.
  status_t send(std::span<const std::byte> message, core::Deadline deadline, const net::Waker* cancel = nullptr);
  /// Sends bytes already framed (header included).
  status_t send_framed(std::span<const std::byte> framed, core::Deadline deadline,
                       const net::Waker* cancel = nullptr);
  /// Sends bytes already framed followed by `trailing` (the rest of the record), gathered in one
  /// system call where the socket takes them: the trailing bytes are not copied together first.
  status_t send_framed(std::span<const std::byte> framed, std::span<const std::byte> trailing,
                       core::Deadline deadline, const net::Waker* cancel = nullptr);

  net::Socket& socket() noexcept { return socket_; }

 private:
  /// Receives until the record is complete or the reader's stop is reached.
  status_t pump(core::Deadline deadline, const net::Waker* cancel);

  static constexpr std::size_t kDirectChunk = 256 * 1024;  // most a receive straight into a record asks

  net::Socket socket_;
  RecordReader reader_;
  std::array<std::byte, 16384> buffer_{};
  std::size_t buffered_begin_ = 0, buffered_end_ = 0;
  std::uint32_t partial_timeout_ms_ = 0;
};

}  // namespace cppvisa::oncrpc
