// server::ServedDevice: the contract a served protocol (raw socket, VXI-11, HiSLIP servers)
// consumes, as core::Session is the contract a client protocol implements. One object per served
// instrument, shared by every protocol server and every client that serves it.
//
// What the base class does for every device, so that each protocol gets it the same way:
// - one device call at a time, in arrival order, each wait bounded by the caller's deadline and
//   ended by abort(client);
// - locks (exclusive and shared, VPP-4.3 §6.8 semantics) that hold across all protocols and clients;
// - output belongs to the client that asked: after a client's message that expects a response,
//   other clients wait (up to Options::response_hold_ms) until that response is read; a client
//   that closes, or whose hold ran out, has its unread output discarded (device clear, IEEE 488.2
//   §5.8: clears the output queue) before another client uses the device, so no client ever
//   receives another's answer;
// - response_pending(client): a non-destructive "is output on its way?" (no polling reads, which
//   make many instruments report -420 Query UNTERMINATED): the device's own knowledge when it has
//   one (do_output()), else "the last program message was a query (IEEE 488.2 §7.3: a query
//   message unit's header ends with '?') and its response has not ended yet";
// - service-request listeners (several protocol servers may listen to one device);
// - read-only serving (writes refused with VI_ERROR_NSUP_OPER).
//
// Implementations override the protected do_* hooks. The base serialises do_* calls except
// do_abort() (called from another thread while a do_* call is blocked) and do_output() (called
// while no other do_* call runs). Statuses returned by do_* reach the clients unchanged.
#pragma once

#include "core/deadline.hpp"
#include "server/query_scanner.hpp"

#include <cppvisa/status.hpp>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

namespace cppvisa::server {

/// One client of a served device: a raw-socket connection, a VXI-11 link, a HiSLIP session.
/// Allocated with new_client_id(), unique in the process, never 0.
using ClientId = std::uint64_t;
/// A new, process-wide unique client id.
ClientId new_client_id() noexcept;

/// Why a read stopped (several may be true).
struct ReadResult {
  std::size_t count = 0;   ///< bytes stored in the buffer
  bool end = false;        ///< the last byte stored carries END (end of a message)
  bool termchar = false;   ///< the last byte stored is the requested termination character
};

/// What a device knows about its output, without reading it.
enum class Output {
  ready,    ///< bytes can be read now
  pending,  ///< a response is being prepared: a read will wait for it
  none,     ///< certainly nothing to read
  unknown,  ///< the device cannot tell (most real instruments behind a bus)
};

enum class LockType { exclusive, shared };

/// Whether an operation is kept out by another client's lock. HiSLIP's asynchronous channel
/// (status query, device clear) completes whatever the locks (IVI-6.1 §6.5); VISA operations do not.
enum class Access { checked, bypass_locks };

/// The lock state (HiSLIP AsyncLockInfo).
struct LockInfo {
  bool exclusive = false;   ///< an exclusive lock is held
  std::size_t holders = 0;  ///< clients holding any lock
};

class ServedDevice {
 public:
  struct Options {
    /// How long a client's unread response holds off the other clients (ms).
    std::uint32_t response_hold_ms = 2000;
    bool read_only = false;  ///< writes (and trigger) are refused with VI_ERROR_NSUP_OPER
  };

  ServedDevice();
  explicit ServedDevice(Options options);
  virtual ~ServedDevice();
  ServedDevice(const ServedDevice&) = delete;
  ServedDevice& operator=(const ServedDevice&) = delete;

  // ---- I/O; every call waits its turn (and for access under locks) until `deadline` ----
  // A wait that reaches the deadline gives VI_ERROR_TMO (or VI_ERROR_RSRC_LOCKED when a lock of
  // another client was the reason); abort(client) ends it with VI_ERROR_ABORT.

  /// Writes to the instrument; `end`: the last byte ends the program message (END).
  /// `count` = bytes accepted, also on error.
  status_t write(ClientId client, std::span<const std::byte> data, bool end, std::size_t& count,
                 core::Deadline deadline);
  /// Reads up to buffer.size() bytes. Stops after END, after `termchar` (when given), or when the
  /// buffer is full; what follows stays for the next read. On VI_ERROR_TMO `result.count` holds
  /// the bytes stored so far. A deadline already due means "what is available now".
  status_t read(ClientId client, std::span<std::byte> buffer, std::optional<std::byte> termchar, ReadResult& result,
                core::Deadline deadline);
  /// Whether output for `client` is ready or on its way (see the file comment); false while the
  /// client's message is incomplete (no END yet). Never reads.
  bool response_pending(ClientId client);
  /// Whether output for `client` can be read now without waiting: the device itself says bytes
  /// are ready (do_output() is Output::ready; a device that cannot tell is never "ready") and no
  /// device call runs. A read with a deadline already due then returns them. Never reads.
  bool response_ready(ClientId client);
  /// The IEEE 488.2 status byte (serial poll).
  status_t read_stb(ClientId client, std::uint8_t& stb, core::Deadline deadline, Access access = Access::checked);
  status_t trigger(ClientId client, core::Deadline deadline);
  /// Device clear: discards pending input and output.
  status_t clear(ClientId client, core::Deadline deadline, Access access = Access::checked);
  /// The client's next message interrupts its unread response (IEEE 488.2 §6.3.2.3; HiSLIP's
  /// Interrupted): the response goes, the way the instrument drops it (do_interrupt()).
  status_t interrupt(ClientId client, core::Deadline deadline);
  status_t remote(ClientId client, core::Deadline deadline);
  status_t local(ClientId client, core::Deadline deadline);

  // ---- locks (one lock per device, whatever protocol took it) ----
  /// Takes an exclusive lock (`key` ignored) or joins the shared lock with `key` (an empty key is
  /// not allowed for shared). A holder of the only shared lock may add the exclusive one. A lock
  /// that would keep out a client whose response is unread is granted once that response was read
  /// or its hold ran out (never inside another client's query). Waits
  /// until `deadline`: VI_SUCCESS, VI_ERROR_RSRC_LOCKED (not granted in time), VI_ERROR_ABORT,
  /// VI_ERROR_INV_ACCESS_KEY (empty shared key), VI_SUCCESS_NESTED_EXCLUSIVE/SHARED when the client
  /// holds that lock already (nothing changes: protocols that need an error say so).
  status_t lock(ClientId client, LockType type, std::string_view key, core::Deadline deadline);
  /// Releases the client's exclusive lock, else its shared one. VI_SUCCESS (exclusive released),
  /// VI_SUCCESS_NESTED_SHARED (shared released), VI_ERROR_SESN_NLOCKED (held none).
  status_t unlock(ClientId client);
  bool holds_lock(ClientId client, LockType type) const;
  LockInfo lock_info() const;
  /// Whether no lock of another client keeps `client` out now.
  bool may_access(ClientId client) const;
  /// Waits until may_access(client): VI_SUCCESS, VI_ERROR_RSRC_LOCKED (deadline), VI_ERROR_ABORT.
  status_t wait_access(ClientId client, core::Deadline deadline);

  // ---- clients ----
  /// Ends `client`'s device call in progress (do_abort()) and every wait it has, with VI_ERROR_ABORT.
  /// Nothing in progress: nothing happens (the next call is not affected).
  void abort(ClientId client);
  /// The client is gone: its locks are released, its unread output is discarded before anyone
  /// else uses the device, its waits end. Protocol servers call it for every client they end.
  void close_client(ClientId client);
  /// Aborts every call and wait in progress (servers stopping).
  void abort_all();

  // ---- service requests ----
  /// Adds a function called when the instrument requests service (any thread; must not block).
  std::size_t add_service_request_listener(std::function<void()> listener);
  void remove_service_request_listener(std::size_t id);

  /// A human-readable description (e.g. the resource served), for logs.
  virtual std::string description() const { return {}; }

 protected:
  // ---- what a device implements (called one at a time, except as noted) ----
  virtual status_t do_write(std::span<const std::byte> data, bool end, std::size_t& count,
                            core::Deadline deadline) = 0;
  virtual status_t do_read(std::span<std::byte> buffer, std::optional<std::byte> termchar, ReadResult& result,
                           core::Deadline deadline) = 0;
  /// Default: Output::unknown.
  virtual Output do_output();
  /// Default for each: VI_ERROR_NSUP_OPER.
  virtual status_t do_read_stb(std::uint8_t& stb, core::Deadline deadline);
  virtual status_t do_trigger(core::Deadline deadline);
  virtual status_t do_clear(core::Deadline deadline);
  virtual status_t do_remote(core::Deadline deadline);
  virtual status_t do_local(core::Deadline deadline);
  /// Makes the do_* call in progress return VI_ERROR_ABORT soon. Called from another thread, not
  /// serialised with the other hooks. Default: nothing (the call ends at its deadline).
  virtual void do_abort();
  /// Discards unread output (another client's). Default: do_clear() (IEEE 488.2 §5.8).
  virtual void do_discard_output(core::Deadline deadline);
  /// A new message of the same client interrupts the unread response. Default: do_discard_output().
  /// A 488.2 instrument does this itself when the message arrives (and reports -410 Query
  /// INTERRUPTED): such a device only drops what it buffered on the gateway side.
  virtual void do_interrupt(core::Deadline deadline);
  /// Called when the first listener is added (true) and the last removed (false).
  virtual void do_enable_service_requests(bool on);
  /// For implementations: the instrument requests service (calls the listeners; any thread).
  void service_requested();

 private:
  enum class Op { io, other, unlocked };  // io: held off by another client's unread response; unlocked: by no lock
  /// Waits for the device (free, access, hold), then marks it busy for `client`.
  status_t begin(ClientId client, Op op, core::Deadline deadline, std::unique_lock<std::mutex>& lock);
  void end(std::unique_lock<std::mutex>& lock);
  /// An operation that is not held off by another client's response (stb, trigger, clear, ...).
  /// `clears_output`: a success leaves no output for anyone (device clear).
  status_t run(ClientId client, Access access, core::Deadline deadline, const std::function<status_t()>& call,
               bool clears_output = false);
  void forget_output_locked();
  void leave_wait_locked(ClientId client);
  /// Waits (mutex_ held through `lock`) until `ready`, the deadline (VI_ERROR_RSRC_LOCKED) or an abort.
  status_t wait_until_locked(std::unique_lock<std::mutex>& lock, ClientId client, core::Deadline deadline,
                             const std::function<bool()>& ready);
  bool pending_locked();  // mutex_ held, device not busy: the owner's response is ready or on its way
  enum class Gate { open, locked, held, discard };
  /// Whether `client` may have the (free) device for `op` now; `pending`: pending_locked().
  Gate gate_locked(ClientId client, Op op, bool pending) const;
  bool grantable(ClientId client, LockType type, std::string_view key) const;  // mutex_ held
  /// mutex_ held: another client's response is unread, still held for it, and a lock of `type`
  /// for `client` would keep that client out.
  bool response_held_locked(ClientId client, LockType type);
  bool may_access_locked(ClientId client) const;

  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  ClientId busy_ = 0;                 // the client whose do_* call runs
  std::set<ClientId> aborted_;        // clients whose waits must end with ERROR_ABORT (until they all left)
  std::multiset<ClientId> waiting_;   // clients waiting in begin()/lock()/wait_access()
  struct Waiting {
    ClientId client;
    Op op;
    /// A later waiter stood back for this one (it could go then): if this one does not go after
    /// all (a lock granted meanwhile closed its gate, an abort, its deadline), it must wake the
    /// others, or they sleep until their deadlines with the device free.
    bool deferred_to = false;
  };
  std::map<std::uint64_t, Waiting> queue_;  // begin()'s waiters by arrival
  std::uint64_t next_ticket_ = 0;
  // Output ownership.
  ClientId owner_ = 0;                // the client that wrote last
  bool owner_closed_ = false;
  bool expect_response_ = false;      // the owner's last message was a query, response not ended
  bool mid_message_ = false;          // the owner wrote part of a message (no END yet)
  core::Deadline::clock::time_point hold_until_{};
  QueryScanner scanner_;
  // Locks.
  ClientId exclusive_ = 0;
  std::set<ClientId> sharers_;
  std::string shared_key_;
  // Service requests.
  std::mutex listeners_mutex_;
  std::map<std::size_t, std::function<void()>> listeners_;
  std::size_t next_listener_ = 1;
};

}  // namespace cppvisa::server
