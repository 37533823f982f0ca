// raw_socket::SocketSession: a `TCPIP[board]::host::port::SOCKET` session (IEEE 488.2 over TCP).
// - connect with its own open timeout; a refused/unknown/unreachable port fails at open
//   (VI_ERROR_RSRC_NFOUND), not at the first write as in PyVISA-py;
// - TCP_NODELAY (VI_ATTR_TCPIP_NODELAY, default on) and keep-alive (VI_ATTR_TCPIP_KEEPALIVE) are
//   applied to the live socket when set;
// - reads follow core::MessageReader: the termination character ends a read only when
//   VI_ATTR_TERMCHAR_EN is set (as NI-VISA does for sockets); a socket has no END, so with
//   VI_ATTR_SUPPRESS_END_EN false (the default is true, as NI) a read also ends when no more bytes
//   are waiting; bytes go straight into the caller's buffer; bytes after a termination character
//   are kept for the next read;
// - viClear / viFlush(read discard) drop buffered and already-received input;
// - with VI_ATTR_IO_PROT = VI_PROT_4882_STRS, viAssertTrigger sends "*TRG\n" and viReadSTB
//   queries "*STB?\n" (VPP-4.3 §6.4 / §6.5 for 488.2 strings over sockets);
// - a peer that closes gives VI_ERROR_CONN_LOST;
// - abort() (viTerminate, from another thread) wakes a blocked recv/send: VI_ERROR_ABORT;
// - output_state() is ready when bytes are buffered or the socket is readable now, else unknown
//   (a socket cannot tell whether the instrument is preparing an answer).
#pragma once

#include "core/message_reader.hpp"
#include "core/session.hpp"
#include "protocols/net/socket.hpp"

namespace cppvisa::raw_socket {

class SocketSession : public core::Session {
 public:
  explicit SocketSession(const ResourceName& name);
  ~SocketSession() override;

  status_t connect(core::Deadline deadline) override;
  void disconnect() override;
  status_t read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) override;
  status_t write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) override;
  status_t read_stb(std::uint16_t& stb, core::Deadline deadline) override;
  status_t clear(core::Deadline deadline) override;
  status_t assert_trigger(TriggerProtocol protocol, core::Deadline deadline) override;
  status_t flush(std::uint16_t mask, core::Deadline deadline) override;
  status_t abort() override;
  core::OutputState output_state() override;
  int input_fd() override { return socket_.valid() ? socket_.fd() : -1; }

 protected:
  void attribute_changed(attr_id_t id, const AttrValue& value) override;

 private:
  class Source;
  void discard_input();
  bool uses_488_strings() const;

  net::Socket socket_;
  core::MessageReader reader_;
  std::unique_ptr<Source> source_;
  bool wrote_ = false;  // a write since the last read: the read's first receive waits first
  net::Waker waker_;  // abort(): every wait of an operation watches it
  core::AbortGate gate_{[this] { waker_.wake(); }, [this] { waker_.reset(); }};
};

}  // namespace cppvisa::raw_socket
