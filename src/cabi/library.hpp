// The state behind libvisa.so: the backends it serves (native always, sim when CPPVISA_SIM names
// a PyVISA-sim YAML file or `default`), the composite resource managers handed to callers, find
// lists, per-session formatted-I/O buffers and asynchronous-I/O events, and the routing of a
// handle to the object or backend that owns it.
#pragma once

#include "cabi/format_scan.hpp"

#include <cppvisa/backend.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace cppvisa::cabi {

/// One resource manager of the C API: an RM session opened on each backend.
struct RmState {
  session_t handle = 0;
  std::vector<std::pair<std::shared_ptr<Backend>, session_t>> parts;  ///< (backend, its RM session)
  std::set<session_t> sessions;    ///< I/O sessions opened through this RM
  std::set<session_t> find_lists;  ///< find lists created through this RM
};

/// A viFindRsrc result walked by viFindNext (a snapshot).
struct FindList {
  session_t handle = 0;
  session_t rm = 0;
  std::mutex mutex;  ///< guards next
  std::vector<std::string> names;
  std::size_t next = 1;
};

/// An occurrence of VI_EVENT_IO_COMPLETION (asynchronous I/O is served by the C layer).
struct IoEvent {
  session_t handle = 0;   ///< the event context handle (0 until handed out)
  session_t session = 0;
  status_t status = 0;
  std::uint32_t job_id = 0;
  void* buffer = nullptr;
  std::uint64_t count = 0;
  std::string operation;  ///< "viReadAsync" / "viWriteAsync"
};

using IoHandler = std::pair<EventHandlerFn, void*>;

/// What the C layer keeps per I/O session.
struct SessionState {
  session_t handle = 0;
  session_t rm = 0;
  std::shared_ptr<Backend> backend;

  // Formatted I/O (viPrintf/viScanf/viBufRead/viBufWrite), guarded by io_mutex.
  std::mutex io_mutex;
  ReadBuffer read_buffer;
  status_t last_read_status = 0;  ///< status of the read that filled read_buffer
  std::string write_buffer;
  std::uint32_t read_buffer_size = 4096;
  std::uint32_t write_buffer_size = 4096;
  std::uint16_t read_oper_mode = 3;   ///< VI_FLUSH_DISABLE
  std::uint16_t write_oper_mode = 2;  ///< VI_FLUSH_WHEN_FULL

  // VI_EVENT_IO_COMPLETION and the asynchronous jobs, guarded by event_mutex.
  std::mutex event_mutex;
  std::condition_variable event_posted;
  std::uint16_t io_mechanisms = 0;
  std::deque<std::shared_ptr<IoEvent>> io_queue;
  std::deque<std::shared_ptr<IoEvent>> io_suspended;
  std::vector<IoHandler> io_handlers;
  std::uint32_t max_queue_length = 50;
  bool io_overflowed = false;  ///< completions were dropped (queue full) since the last wait
  bool closed = false;         ///< viClose began: waiters return VI_ERROR_INV_OBJECT
  /// Handler calls in progress (handler, calling thread): uninstall and close wait for them.
  std::vector<std::pair<IoHandler, std::thread::id>> io_calls;
  std::condition_variable io_call_done;
  /// An asynchronous job (viReadAsync/viWriteAsync) not yet completed, by job id.
  struct AsyncJob {
    std::uint64_t pool_id = 0;  ///< its id in core::WorkPool::shared()
    bool running = false;       ///< its transfer has begun
    bool terminated = false;    ///< viTerminate asked for its end
  };
  std::map<std::uint32_t, AsyncJob> jobs;
  std::condition_variable jobs_done;  ///< notified when a job leaves `jobs`
  /// The pool queue of this session's jobs: one per resource (set at the first job), see async_io.cpp.
  std::uint64_t pool_key = 0;
};

/// What a handle designates.
struct Route {
  enum class Kind { none, rm, find_list, session, io_event, backend_object } kind = Kind::none;
  std::shared_ptr<RmState> rm;
  std::shared_ptr<FindList> find_list;
  std::shared_ptr<SessionState> session;
  std::shared_ptr<IoEvent> io_event;
  std::shared_ptr<Backend> backend;  ///< for sessions and backend objects (event contexts)
};

class Library {
 public:
  static Library& instance();

  /// The backends, opened on first use (sim first, so that simulated resources win, then native).
  /// Returns an error status when none can be opened.
  status_t backends(std::vector<std::shared_ptr<Backend>>& out);
  /// Replaces the backends (tests); closes every object of the previous ones.
  void set_backends(std::vector<std::shared_ptr<Backend>> backends);

  Route route(session_t handle);

  session_t add_rm(std::shared_ptr<RmState> rm);
  std::shared_ptr<SessionState> add_session(session_t handle, session_t rm, std::shared_ptr<Backend> backend);
  session_t add_find_list(std::shared_ptr<FindList> list);
  session_t add_io_event(std::shared_ptr<IoEvent> event);

  /// Forgets objects (no backend call).
  void remove_session(session_t handle);
  void remove_find_list(session_t handle);
  void remove_io_event(session_t handle);
  /// Forgets an RM and returns the sessions and find lists it owned (removed as well).
  std::vector<std::shared_ptr<SessionState>> remove_rm(session_t handle);

  std::uint32_t next_job_id();

 private:
  Library() = default;
  std::mutex mutex_;
  bool backends_opened_ = false;
  status_t backends_status_ = 0;
  std::vector<std::shared_ptr<Backend>> backends_;
  std::map<session_t, std::shared_ptr<RmState>> rms_;
  std::map<session_t, std::shared_ptr<FindList>> find_lists_;
  std::map<session_t, std::shared_ptr<SessionState>> sessions_;
  std::map<session_t, std::shared_ptr<IoEvent>> io_events_;
  std::uint32_t next_job_ = 0;
};

/// A new process-wide handle (shared with the backends' handle space).
session_t new_handle();

/// Copies a string into a caller's VISA string buffer (VI_FIND_BUFLEN = 256 bytes: at most 255
/// characters and a NUL). A null destination is ignored.
void copy_out(char* dest, const std::string& text);

}  // namespace cppvisa::cabi
