/// @file backend.hpp
/// @brief The backend interface: one per VISA implementation (native, sim, ivi), shaped like the
/// VISA C API so that the C ABI (libvisa.so) and a vendor-library backend are thin adapters.
///
/// Conventions (the same as the C API's):
/// - every operation returns the VISA status (negative = error, positive = success with warning);
/// - results are written to out-parameters only on success (or as documented, e.g. `read` stores
///   the bytes received before a timeout);
/// - handles (sessions, find lists, event contexts) are process-wide unique and never 0;
/// - every method is thread-safe; an operation on one session may block (up to its timeout)
///   without blocking operations on other sessions;
/// - a handle that is not (or no longer) open gives VI_ERROR_INV_OBJECT.
#pragma once

#include <cppvisa/attributes.hpp>
#include <cppvisa/export.hpp>
#include <cppvisa/resource_info.hpp>
#include <cppvisa/types.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa {

/// An event handler as the C API has it (ViHndlr): called with the session, the event type, an
/// event context valid during the call only, and the user handle given at installation.
using EventHandlerFn = status_t (*)(session_t session, event_type_t type, session_t context, void* user_handle);

/// One step of an asynchronous read (Backend::read_step, core::Session::read_step).
struct ReadStep {
  using time_point = std::chrono::steady_clock::time_point;  ///< the clock of the deadlines
  time_point deadline{};  ///< in: when the whole read gives up (time_point::max(): never)
  bool resumed = false;   ///< in: a later step of the same read (false: the read starts now)
  int wait_fd = -1;       ///< out: >= 0 when the read needs more input, the descriptor to wait for
  time_point wait_until{};  ///< out: with wait_fd, when to call again whatever happens (its timeout)
};

/// The interface every backend implements. See the file comment for the conventions.
class CPPVISA_API Backend {
 public:
  virtual ~Backend();

  /// "native", "sim", "ivi", ...
  virtual std::string name() const = 0;
  /// The shared library behind the backend, or a description ("built-in", a YAML file path).
  virtual std::string library_path() const = 0;
  /// Lines for visa-info (version, library, configuration).
  virtual std::vector<std::string> debug_info() const;

  // ---- resource manager ----
  /// viOpenDefaultRM: opens a resource manager session into `rm`.
  virtual status_t open_default_rm(session_t& rm) = 0;
  /// The canonical names of the resources matching a VISA resource expression (with optional
  /// `{attribute filter}`); VI_ERROR_RSRC_NFOUND when none matches, VI_ERROR_INV_EXPR when malformed.
  virtual status_t find_resources(session_t rm, std::string_view expression, std::vector<std::string>& names) = 0;
  /// viParseRsrcEx: resolves aliases and parses; VI_ERROR_INV_RSRC_NAME for a malformed name.
  virtual status_t parse_resource(session_t rm, std::string_view name, ResourceInfo& info) = 0;
  /// viOpen. `open_timeout` (ms) bounds the wait for a lock when `mode` requests one.
  virtual status_t open(session_t rm, std::string_view name, AccessMode mode, std::uint32_t open_timeout,
                        session_t& session) = 0;
  /// viClose of a session, find list, event context, or resource manager (which closes its children).
  virtual status_t close(session_t object) = 0;

  // ---- attributes ----
  /// viGetAttribute of a session, event context or resource manager; VI_ERROR_NSUP_ATTR when the
  /// object has no such attribute.
  virtual status_t get_attribute(session_t object, attr_id_t id, AttrValue& value) = 0;
  /// Integers are given already normalized to the attribute's width (normalize_attr_integer).
  virtual status_t set_attribute(session_t object, attr_id_t id, const AttrValue& value) = 0;

  // ---- basic I/O (bounded by VI_ATTR_TMO_VALUE) ----
  /// viRead: stores up to buffer.size() bytes; `count` is set even on error (bytes already stored).
  /// Returns VI_SUCCESS (END), VI_SUCCESS_TERM_CHAR, VI_SUCCESS_MAX_CNT or an error (VI_ERROR_TMO
  /// when VI_ATTR_TMO_VALUE ms pass first).
  virtual status_t read(session_t session, std::span<std::byte> buffer, std::size_t& count) = 0;
  /// read() that also gives up at `call_deadline`: the end of a higher-level call made of several
  /// reads (MessageBasedResource::read(), a block), so that a peer trickling bytes cannot stretch
  /// that call past its timeout. VI_ERROR_TMO at the earlier of VI_ATTR_TMO_VALUE and
  /// `call_deadline`. The default calls read() while `call_deadline` is still ahead (a backend
  /// that cannot shorten one read then overruns it by at most one VI_ATTR_TMO_VALUE).
  virtual status_t read_until(session_t session, std::span<std::byte> buffer, std::size_t& count,
                              std::chrono::steady_clock::time_point call_deadline);
  /// viWrite: `count` = bytes transferred, also on error (VI_ERROR_TMO as for read).
  virtual status_t write(session_t session, std::span<const std::byte> data, std::size_t& count) = 0;
  /// viReadSTB: the IEEE 488.2 status byte (a serial poll, or `*STB?` with VI_PROT_4882_STRS on ASRL/SOCKET).
  virtual status_t read_stb(session_t session, std::uint16_t& stb) = 0;
  /// viClear: device clear (IEEE 488.1 SDC or the protocol's equivalent).
  virtual status_t clear(session_t session) = 0;
  /// viAssertTrigger: a software trigger (GPIB GET, the protocol's trigger message, or `*TRG`).
  virtual status_t assert_trigger(session_t session, TriggerProtocol protocol) = 0;
  /// viFlush: `mask` is an OR of buffer:: flags; VI_ERROR_INV_MASK for 0 or unknown bits.
  virtual status_t flush(session_t session, std::uint16_t mask) = 0;

  // ---- locking ----
  /// viLock: `type` is exclusive_lock or shared_lock; for shared locks an empty `requested_key`
  /// asks the backend to generate one; the granted key is stored in `access_key`.
  virtual status_t lock(session_t session, AccessMode type, std::uint32_t timeout, std::string_view requested_key,
                        std::string& access_key) = 0;
  /// viUnlock: releases one level of this session's lock; VI_ERROR_SESN_NLOCKED when it holds none.
  virtual status_t unlock(session_t session) = 0;

  // ---- events ----
  /// viEnableEvent: `mechanism` is an EventMechanism value; VI_SUCCESS_EVENT_EN when already enabled.
  virtual status_t enable_event(session_t session, event_type_t type, std::uint16_t mechanism) = 0;
  /// viDisableEvent; VI_SUCCESS_EVENT_DIS when already disabled.
  virtual status_t disable_event(session_t session, event_type_t type, std::uint16_t mechanism) = 0;
  /// viDiscardEvents: drops queued (and suspended) occurrences; VI_SUCCESS_QUEUE_EMPTY when none.
  virtual status_t discard_events(session_t session, event_type_t type, std::uint16_t mechanism) = 0;
  /// viWaitOnEvent: `context` is an event handle to close (0 when the caller does not want it:
  /// pass want_context = false and the backend closes it).
  virtual status_t wait_on_event(session_t session, event_type_t type, std::uint32_t timeout, event_type_t& out_type,
                                 session_t& context, bool want_context = true) = 0;
  /// viInstallHandler: `handler` is called on a library thread with `user_handle`.
  virtual status_t install_handler(session_t session, event_type_t type, EventHandlerFn handler, void* user_handle) = 0;
  /// A null handler uninstalls every handler of that type (VI_ANY_HNDLR).
  virtual status_t uninstall_handler(session_t session, event_type_t type, EventHandlerFn handler,
                                     void* user_handle) = 0;

  // ---- interface-specific (default: VI_ERROR_NSUP_OPER) ----
  /// viGpibControlREN (also USB488 and HiSLIP REN control).
  virtual status_t gpib_control_ren(session_t session, RenMode mode);
  /// viGpibControlATN: `mode` is VI_GPIB_ATN_*.
  virtual status_t gpib_control_atn(session_t session, std::uint16_t mode);
  /// viGpibCommand: sends GPIB command bytes (ATN asserted); `count` = bytes sent, also on error.
  virtual status_t gpib_command(session_t session, std::span<const std::byte> data, std::size_t& count);
  /// viGpibPassControl: `secondary` 0xFFFF (VI_NO_SEC_ADDR) for none.
  virtual status_t gpib_pass_control(session_t session, std::uint16_t primary, std::uint16_t secondary);
  /// viGpibSendIFC: pulses the interface clear line.
  virtual status_t gpib_send_ifc(session_t session);
  /// viUsbControlOut: a control transfer to the device (USB 2.0 section 9.3 setup fields).
  virtual status_t usb_control_out(session_t session, std::int16_t request_type, std::int16_t request,
                                   std::uint16_t value, std::uint16_t index, std::span<const std::byte> data);
  /// viUsbControlIn: a control transfer from the device of up to buffer.size() bytes; `count` = bytes received.
  virtual status_t usb_control_in(session_t session, std::int16_t request_type, std::int16_t request,
                                  std::uint16_t value, std::uint16_t index, std::span<std::byte> buffer,
                                  std::size_t& count);
  /// viTerminate: aborts an asynchronous job (or every job of the session when job_id is 0).
  virtual status_t terminate(session_t session, std::uint16_t degree, std::uint32_t job_id);
  /// For asynchronous reads that wait without a thread: a file descriptor that becomes readable
  /// (poll(2)) when input for `session` arrives, or -1 when the session's reads can only block
  /// (the default; serial, USB, GPIB, a vendor library). A read that found nothing yet may wait
  /// for it, then read again with `read_until` and a deadline of now. Valid until the session closes.
  virtual int input_fd(session_t session);
  /// One step of an asynchronous read that waits without a thread (the library's
  /// core::async_read): stores in `buffer` what has arrived for `session`, without waiting for
  /// more, as part of one viRead that ends at `step.deadline`. When that read is over, returns
  /// its status as read_until() would (`step.wait_fd` = -1). When it needs more input, returns
  /// VI_SUCCESS with `step.wait_fd` (a descriptor that becomes readable when input comes) and
  /// `step.wait_until`: wait for either, then call again into the rest of the buffer with
  /// `step.resumed` set (`count` = bytes stored by this step). Needing more input is not an
  /// error (no exception event, no cause recorded). A session whose reads only block reads until
  /// the deadline at once. The default does that over input_fd() and read_until().
  virtual status_t read_step(session_t session, std::span<std::byte> buffer, std::size_t& count, ReadStep& step);

  /// Whether this backend owns a live handle (used by the C ABI to route handles).
  virtual bool owns(session_t object) const = 0;
};

/// Opens a backend from a PyVISA-style specification: "" (default), "@sim", "file.yaml@sim",
/// "@native" (also "@py"), "@ivi", or a path to a VISA shared library. An empty specification
/// uses CPPVISA_LIBRARY, then PYVISA_LIBRARY, then: a vendor VISA library when one is installed,
/// otherwise the native backend. Backends are cached per (backend, argument): the same
/// specification gives the same instance while it is alive.
/// @throws VisaIOError (VI_ERROR_LIBRARY_NFOUND) when the backend or its library cannot be opened.
CPPVISA_API std::shared_ptr<Backend> open_backend(std::string_view specification = {});

/// The names of the backends this build provides ("native", "sim", "ivi").
CPPVISA_API std::vector<std::string> list_backends();

}  // namespace cppvisa
