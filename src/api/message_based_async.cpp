// The asynchronous forms of MessageBasedResource (query_async, write_async, read_async): the
// callback forms do the work, the future forms wrap them (future_of). A call is one job of
// core::WorkPool::shared() in order per resource; its read waits for the answer in the reactor
// where the session has an input descriptor (core::async_read), holding the object reserved
// (Resource::reserve_call) rather than a pool thread.
#include <cppvisa/message_based.hpp>

#include "api/session_link.hpp"
#include "core/async_read.hpp"
#include "core/error_detail.hpp"
#include "core/work_pool.hpp"

#include <cppvisa/status.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <memory>

namespace cppvisa {

namespace {

std::exception_ptr closed_before_start(const std::string& name) {
  return std::make_exception_ptr(VisaIOError(status::ERROR_ABORT, fmt::format("(resource {})", name),
                                             "the resource was closed before the asynchronous call started"));
}

}  // namespace

/// read() of one message in chunks, each an async_read: MessageBasedResource::read_raw(0) and
/// read()'s decoding, with the same limits, timeout (one for the whole message) and errors.
struct MessageBasedResource::AsyncRead : std::enable_shared_from_this<AsyncRead> {
  MessageBasedResource* self;
  session_t session;
  std::size_t chunk;
  core::Deadline deadline;
  Completion<std::string> done;
  std::vector<std::byte> out;
  // Many reads may wait at once: the first asks for at most 4 KiB (a typical answer), so that a
  // waiting read does not hold chunk_size() bytes; each next one doubles, up to chunk_size().
  std::size_t ask = 4096;
  bool starting = false;  // next() is starting a chunk's read (its end may come before it returns)
  bool again = false;     // that chunk ended full: next() reads another (a loop, not a recursion)

  AsyncRead(MessageBasedResource* r, session_t s, std::size_t c, core::Deadline d, Completion<std::string> f)
      : self(r), session(s), chunk(c), deadline(d), done(std::move(f)) {}

  /// From a pool job of the resource: takes its call lock, runs `first` (a query's write), then
  /// reads with the object reserved for this call until finish().
  static void start(MessageBasedResource* self, Completion<std::string> done, const std::function<void()>& first) {
    auto serial = self->serialise();
    std::shared_ptr<AsyncRead> read;
    try {
      if (first) first();
      read = std::make_shared<AsyncRead>(self, self->session(), self->chunk_size(),
                                         core::Deadline::at(self->call_deadline()), std::move(done));
    } catch (...) {
      serial.unlock();
      done(std::current_exception(), {});
      return;
    }
    self->reserve_call();  // until finish(), on whichever pool thread the read ends
    serial.unlock();
    read->next();
  }

  void next() {
    do {
      again = false;
      std::error_code ec;
      if (!self->room_for_more(out, ec)) return failed(ec);
      const std::size_t old = out.size();
      ask = std::min(ask, chunk);
      out.resize(old + std::min(ask, self->max_message_size_ - old));
      ask *= 2;
      // A parked read resumes only after this job returned: `starting` is not raced.
      starting = true;
      core::async_read(core::WorkPool::shared(), *self->backend_, session, std::span(out).subspan(old), deadline,
                       [r = shared_from_this(), old](status_t st, std::size_t n) { r->chunk_read(st, n, old); });
      starting = false;
    } while (again);
  }

  void chunk_read(status_t st, std::size_t n, std::size_t old) {
    out.resize(old + std::min(n, out.size() - old));
    if (st == status::ERROR_ABORT && !self->is_open()) {
      // WorkPool::interrupt() from close(): the call ends as a synchronous one closed under it.
      st = core::fail(status::ERROR_INV_OBJECT, "the resource was closed during the asynchronous call");
    }
    std::error_code ec;
    self->check(st, ec);
    if (ec) {
      self->record_read_error(st, out);
      return failed(ec);
    }
    if (st == status::SUCCESS_MAX_CNT) {
      if (starting) again = true;
      else next();
      return;
    }
    std::string text;
    std::exception_ptr error;
    try {
      text = self->decode_message(out);
    } catch (...) {
      error = std::current_exception();
    }
    finish(error, std::move(text));
  }

  void failed(const std::error_code& ec) {
    std::exception_ptr error;
    try {
      self->throw_read_error(ec, std::move(out));
    } catch (...) {
      error = std::current_exception();
    }
    finish(error, {});
  }

  void finish(std::exception_ptr error, std::string text) {
    self->end_reserve();  // before the handler, which may call the resource
    auto f = std::move(done);
    f(error, std::move(text));
  }
};

template <class T, class Start>
std::future<T> MessageBasedResource::future_of(Start start) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  start([promise](std::exception_ptr error, T value) {
    if (error) promise->set_exception(error);
    else promise->set_value(std::move(value));
  });
  return future;
}

template <class T>
void MessageBasedResource::post_call(std::function<void(Completion<T>)> call, Completion<T> done) {
  post_async([this, call = std::move(call), done = std::move(done)](bool cancelled) mutable {
    if (cancelled) return done(closed_before_start(resource_name()), T{});
    call(std::move(done));
  });
}

void MessageBasedResource::query_async(std::string message, Completion<std::string> done) {
  post_call<std::string>(
      [this, message = std::move(message)](Completion<std::string> done) {
        AsyncRead::start(this, std::move(done), [&] {  // the write and the read of one query together
          write(message);
          wait_query_delay();
        });
      },
      std::move(done));
}

void MessageBasedResource::read_async(Completion<std::string> done) {
  post_call<std::string>([this](Completion<std::string> done) { AsyncRead::start(this, std::move(done), {}); },
                         std::move(done));
}

void MessageBasedResource::write_async(std::string message, Completion<std::size_t> done) {
  // A write hands the bytes to the transport (a socket's send buffer takes a command at once):
  // it runs on its pool thread.
  post_call<std::size_t>(
      [this, message = std::move(message)](Completion<std::size_t> done) {
        std::size_t n = 0;
        std::exception_ptr error;
        try {
          n = write(message);
        } catch (...) {
          error = std::current_exception();
        }
        done(error, n);
      },
      std::move(done));
}

std::future<std::string> MessageBasedResource::query_async(std::string message) {
  return future_of<std::string>([&](Completion<std::string> done) { query_async(std::move(message), std::move(done)); });
}

std::future<std::size_t> MessageBasedResource::write_async(std::string message) {
  return future_of<std::size_t>([&](Completion<std::size_t> done) { write_async(std::move(message), std::move(done)); });
}

std::future<std::string> MessageBasedResource::read_async() {
  return future_of<std::string>([&](Completion<std::string> done) { read_async(std::move(done)); });
}

}  // namespace cppvisa
