// vxi11::Vxi11Client: one VXI-11 link (VXI-11): portmapper GETPORT over TCP (or a
// given core port), create_link, device_write in maxRecvSize pieces with END on the last,
// device_read loops with termChar and requestSize, readstb/trigger/clear/remote/local,
// lock/unlock with waitlock, destroy_link; the abort channel to cancel a blocked call; the
// interrupt channel for service requests. Statuses are VISA statuses (vxi11::error_to_status).
//
// Thread safety: core-channel calls are serialised by an internal mutex; abort() may be called
// from any thread while another thread is blocked in a core call.
#pragma once

#include "core/deadline.hpp"
#include "core/message_reader.hpp"
#include "protocols/oncrpc/rpc_client.hpp"
#include "protocols/oncrpc/rpc_server.hpp"
#include "protocols/vxi11/vxi11_wire.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace cppvisa::vxi11 {

/// A deadline as the milliseconds of a VXI-11 call: 0xFFFFFFFF when it has none, else the time left.
std::uint32_t remaining_ms(core::Deadline d);

class Vxi11Client {
 public:
  struct Target {
    std::string host;                       ///< name, IPv4 or IPv6 literal
    std::string device_name = "inst0";      ///< "inst0", "gpib0,5", ...
    std::optional<std::uint16_t> core_port;  ///< skip the portmapper (pyvisa-py's "host,port" form)
    std::uint16_t portmapper_port = 111;    ///< see oncrpc::portmapper_port()
  };

  Vxi11Client();
  ~Vxi11Client();
  Vxi11Client(const Vxi11Client&) = delete;
  Vxi11Client& operator=(const Vxi11Client&) = delete;

  /// Looks up the core port, connects, creates the link (within `deadline`; with lock_device the
  /// lock timeout is added). ERROR_RSRC_NFOUND when there is no such instrument/device,
  /// ERROR_RSRC_LOCKED when lock_device could not get the lock.
  status_t open(const Target& target, core::Deadline deadline, bool lock_device = false,
                std::uint32_t lock_timeout_ms = 0);
  /// destroy_link (bounded wait) and closes every channel.
  void close();
  bool is_open() const noexcept { return open_; }

  std::int32_t link_id() const noexcept { return lid_; }
  std::uint32_t max_recv_size() const noexcept { return max_recv_size_; }
  std::uint16_t abort_port() const noexcept { return abort_port_; }
  const std::string& peer_host() const noexcept { return host_; }

  /// Writes `data`; END on the last byte when `end`. `count` = bytes accepted, also on error.
  status_t write(std::span<const std::byte> data, bool end, std::size_t& count, core::Deadline deadline);
  /// viRead over device_read (VPP-4.3 §6.1 rules): SUCCESS (END), SUCCESS_TERM_CHAR, SUCCESS_MAX_CNT,
  /// ERROR_TMO with `count` bytes stored, ...
  status_t read(std::span<std::byte> buffer, std::size_t& count, const core::ReadTermination& term,
                core::Deadline deadline);
  /// One step of read() that never waits, for asynchronous reads (Session::read_step): sends
  /// device_read when the read starts (`resumed` false) or a piece ended without termination,
  /// takes its reply when it has arrived. When it has not, `pending` is set (VI_SUCCESS, `count`
  /// bytes stored): wait until core_fd() is readable or `wait_until` (the deadline and its
  /// grace), then call again with `resumed` into the rest of the buffer. Past that grace the
  /// call is aborted and VI_ERROR_TMO returned, as read() does.
  status_t read_step(std::span<std::byte> buffer, std::size_t& count, const core::ReadTermination& term,
                     core::Deadline deadline, bool resumed, core::Deadline& wait_until, bool& pending);
  /// The core channel's socket (what an asynchronous read waits for), or -1.
  int core_fd();
  /// Whether a device_read of read_step() waits for its reply (viTerminate and close abort it).
  bool read_outstanding() const noexcept { return read_outstanding_; }
  status_t read_stb(std::uint8_t& stb, core::Deadline deadline);
  status_t trigger(core::Deadline deadline);
  status_t clear(core::Deadline deadline);
  status_t remote(core::Deadline deadline);
  status_t local(core::Deadline deadline);
  /// device_lock with waitlock (when the timeout is not 0) and `lock_timeout_ms`; the RPC waits that
  /// long plus a margin. ERROR_RSRC_LOCKED when another link keeps the lock.
  status_t lock(std::uint32_t lock_timeout_ms);
  status_t unlock();
  /// Sends device_abort on the abort channel: a core call blocked in another thread returns
  /// ERROR_ABORT. Thread-safe. `timeout_ms` bounds connecting the abort channel and the call.
  status_t abort(std::uint32_t timeout_ms = 5000);

  /// Sets up the interrupt channel (a local RPC server, create_intr_chan, device_enable_srq) and
  /// calls `on_srq` (on the channel's thread) for every device_intr_srq of this link.
  status_t enable_srq(std::function<void()> on_srq);
  /// device_enable_srq(false), destroy_intr_chan, stops the local server.
  void disable_srq();
  bool srq_enabled() const noexcept { return intr_server_ != nullptr; }

  /// The transport's grace past the caller's deadline for one RPC: the instrument gets the whole
  /// timeout as io_timeout/lock_timeout and its own timeout error (15) normally arrives before the
  /// transport gives up; a silent instrument is then aborted within grace_ms() / 2 more. Both fit in
  /// 10% of the timeout (at most 1 s): a call ends within timeout + 10% whatever the instrument
  /// does (docs/reliability.md).
  static std::uint32_t grace_ms(std::uint32_t timeout_ms) noexcept;

 private:
  /// One RPC on the core channel within `deadline` and its grace. With `in_dest`, a
  /// Device_ReadResp's data go straight into `dest` (RpcClient::finish_call_into).
  status_t call(std::uint32_t procedure, core::Deadline deadline, oncrpc::XdrReader& results,
                std::span<std::byte> dest = {}, std::optional<std::size_t>* in_dest = nullptr);
  /// Before another core call goes out: waits for the reply of a device_read abandoned in the
  /// reactor (viTerminate), sending device_abort again while it does not come (core_mutex_ held).
  status_t settle_abandoned_read(core::Deadline deadline);
  status_t generic(std::uint32_t procedure, core::Deadline deadline, std::uint8_t* stb);
  status_t connect_abort_channel(core::Deadline deadline);
  /// Begins the device_read call of a read with `room` bytes left; returns its requestSize.
  std::uint32_t begin_read(std::size_t room, const core::ReadTermination& term, core::Deadline deadline);
  /// Stores the data of a device_read reply (unless they arrived in place: `in_dest`, their size);
  /// `more` when the read goes on (no END, termination character or full buffer), else returns
  /// how it ended.
  static status_t take_read_reply(oncrpc::XdrReader& results, std::uint32_t want, std::span<std::byte> buffer,
                                  std::size_t& count, const core::ReadTermination& term, bool& more,
                                  std::optional<std::size_t> in_dest = std::nullopt);

  mutable std::mutex core_mutex_;
  oncrpc::RpcClient core_;
  std::mutex abort_mutex_;
  oncrpc::RpcClient abort_channel_{4096};
  std::unique_ptr<oncrpc::RpcServer> intr_server_;
  std::function<void()> on_srq_;
  std::string srq_handle_;

  std::string host_;
  std::int32_t lid_ = 0;
  std::uint32_t max_recv_size_ = 0;
  std::uint16_t abort_port_ = 0;
  std::atomic<bool> open_{false};
  // read_step()'s device_read waiting for its reply (core_mutex_; read without it by abort()).
  std::atomic<bool> read_outstanding_{false};
  std::uint32_t read_want_ = 0;
  std::uint32_t read_xid_ = 0;  // the outstanding device_read's xid
  std::uint32_t read_grace_ = 0;
  core::Deadline read_until_ = core::Deadline::never();
};

}  // namespace cppvisa::vxi11
