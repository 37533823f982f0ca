// Basic and buffered I/O: viRead, viWrite, viReadAsync, viWriteAsync, viReadToFile,
// viWriteFromFile, viReadSTB, viClear, viAssertTrigger, viFlush, viSetBuf, viBufRead, viBufWrite.
#include "cabi/async_io.hpp"
#include "cabi/buffered_io.hpp"
#include "cabi/guard.hpp"
#include "cabi/io_events.hpp"
#include "core/async_read.hpp"

#include <cppvisa/attributes.hpp>

#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <variant>

using namespace cppvisa;
using namespace cppvisa::cabi;

namespace {

ViStatus read_into(SessionState& s, ViPBuf buf, ViUInt32 cnt, std::size_t& count) {
  return s.backend->read(s.handle, std::as_writable_bytes(std::span(buf, cnt)), count);
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

}  // namespace

CPPVISA_C_API ViStatus viRead(ViSession vi, ViPBuf buf, ViUInt32 cnt, ViPUInt32 retCnt) {
  return guarded([&]() -> ViStatus {
    if (retCnt) *retCnt = 0;
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (buf == nullptr && cnt > 0) return VI_ERROR_INV_PARAMETER;
    std::size_t count = 0;
    st = read_into(*r.session, buf, cnt, count);
    if (retCnt) *retCnt = static_cast<ViUInt32>(count);
    return st;
  });
}

CPPVISA_C_API ViStatus viWrite(ViSession vi, ViConstBuf buf, ViUInt32 cnt, ViPUInt32 retCnt) {
  return guarded([&]() -> ViStatus {
    if (retCnt) *retCnt = 0;
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (buf == nullptr && cnt > 0) return VI_ERROR_INV_PARAMETER;
    std::size_t count = 0;
    st = r.backend->write(vi, std::as_bytes(std::span(buf, cnt)), count);
    if (retCnt) *retCnt = static_cast<ViUInt32>(count);
    return st;
  });
}

// Asynchronous I/O: with VI_EVENT_IO_COMPLETION enabled the call returns VI_SUCCESS at once and
// the transfer runs on the C layer's pool (async_io.hpp), completing with the event (status,
// count, buffer, job id). Without the event enabled nobody could learn the outcome: the transfer
// is done before returning (VI_SUCCESS_SYNC, allowed by VPP-4.3 §6.1.2) and an error returned.
CPPVISA_C_API ViStatus viReadAsync(ViSession vi, ViPBuf buf, ViUInt32 cnt, ViPJobId jobId) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (buf == nullptr && cnt > 0) return VI_ERROR_INV_PARAMETER;
    std::uint32_t job = Library::instance().next_job_id();
    if (jobId) *jobId = job;
    if (io_enabled(*r.session)) {
      auto s = r.session;
      start_async(s, job, "viReadAsync", buf, [s, buf, cnt](TransferDone done) {
        // The read's timeout counts from its start, as viRead's.
        AttrValue tmo;
        std::uint32_t ms = 2000;
        if (s->backend->get_attribute(s->handle, attr::TMO_VALUE, tmo) >= 0)
          if (auto* v = std::get_if<std::int64_t>(&tmo)) ms = static_cast<std::uint32_t>(*v);
        core::async_read(core::WorkPool::shared(), *s->backend, s->handle, std::as_writable_bytes(std::span(buf, cnt)),
                         core::Deadline::after_ms(ms), std::move(done));
      });
      return VI_SUCCESS;
    }
    std::size_t count = 0;
    st = read_into(*r.session, buf, cnt, count);
    bool enabled = post_io_completion(*r.session, st, job, buf, count, "viReadAsync");
    // Nobody listens for the completion: an error is reported here rather than lost.
    return st < 0 && !enabled ? st : VI_SUCCESS_SYNC;
  });
}

CPPVISA_C_API ViStatus viWriteAsync(ViSession vi, ViConstBuf buf, ViUInt32 cnt, ViPJobId jobId) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (buf == nullptr && cnt > 0) return VI_ERROR_INV_PARAMETER;
    std::uint32_t job = Library::instance().next_job_id();
    if (jobId) *jobId = job;
    if (io_enabled(*r.session)) {
      auto s = r.session;
      // A write blocks its pool thread until the bytes are handed to the transport (a socket's
      // send buffer takes a command at once).
      start_async(s, job, "viWriteAsync", const_cast<ViPBuf>(buf), [s, buf, cnt](TransferDone done) {
        std::size_t count = 0;
        status_t st = s->backend->write(s->handle, std::as_bytes(std::span(buf, cnt)), count);
        done(st, count);
      });
      return VI_SUCCESS;
    }
    std::size_t count = 0;
    st = r.backend->write(vi, std::as_bytes(std::span(buf, cnt)), count);
    bool enabled = post_io_completion(*r.session, st, job, const_cast<ViPBuf>(buf), count, "viWriteAsync");
    return st < 0 && !enabled ? st : VI_SUCCESS_SYNC;
  });
}

CPPVISA_C_API ViStatus viReadToFile(ViSession vi, ViConstString filename, ViUInt32 cnt, ViPUInt32 retCnt) {
  return guarded([&]() -> ViStatus {
    if (retCnt) *retCnt = 0;
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (filename == nullptr) return VI_ERROR_INV_PARAMETER;
    AttrValue append;
    bool append_mode = r.backend->get_attribute(vi, attr::FILE_APPEND_EN, append) >= 0 &&
                       std::holds_alternative<std::int64_t>(append) && std::get<std::int64_t>(append) != 0;
    File file(std::fopen(filename, append_mode ? "ab" : "wb"));
    if (!file) return VI_ERROR_FILE_ACCESS;
    // viRead semantics in chunks: stop at END / termination character, at cnt bytes, or on error.
    std::vector<ViByte> chunk(std::min<ViUInt32>(cnt, 1u << 16));
    std::uint64_t total = 0;
    st = VI_SUCCESS_MAX_CNT;
    while (total < cnt) {
      ViUInt32 want = static_cast<ViUInt32>(std::min<std::uint64_t>(chunk.size(), cnt - total));
      std::size_t got = 0;
      st = read_into(*r.session, chunk.data(), want, got);
      if (got && std::fwrite(chunk.data(), 1, got, file.get()) != got) {
        st = VI_ERROR_FILE_IO;
        break;
      }
      total += got;
      if (st != VI_SUCCESS_MAX_CNT) break;
    }
    if (std::fflush(file.get()) != 0 && st >= 0) st = VI_ERROR_FILE_IO;
    if (retCnt) *retCnt = static_cast<ViUInt32>(total);
    return st;
  });
}

CPPVISA_C_API ViStatus viWriteFromFile(ViSession vi, ViConstString filename, ViUInt32 cnt, ViPUInt32 retCnt) {
  return guarded([&]() -> ViStatus {
    if (retCnt) *retCnt = 0;
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (filename == nullptr) return VI_ERROR_INV_PARAMETER;
    File file(std::fopen(filename, "rb"));
    if (!file) return VI_ERROR_FILE_ACCESS;
    // One write of the file's first cnt bytes, so that END goes with the last byte only.
    std::string data;
    char block[1 << 16];
    while (data.size() < cnt) {
      std::size_t want = std::min<std::size_t>(sizeof block, cnt - data.size());
      std::size_t got = std::fread(block, 1, want, file.get());
      data.append(block, got);
      if (got < want) {
        if (std::ferror(file.get())) return VI_ERROR_FILE_IO;
        break;
      }
    }
    std::size_t sent = 0;
    st = write_all(*r.session, data, sent);
    if (retCnt) *retCnt = static_cast<ViUInt32>(sent);
    return st;
  });
}

CPPVISA_C_API ViStatus viReadSTB(ViSession vi, ViPUInt16 status) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (status == nullptr) return VI_ERROR_INV_PARAMETER;
    std::uint16_t stb = 0;
    st = r.backend->read_stb(vi, stb);
    if (st >= 0) *status = stb;
    return st;
  });
}

CPPVISA_C_API ViStatus viClear(ViSession vi) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    st = r.backend->clear(vi);
    if (st >= 0) {
      // a device clear also discards the formatted I/O buffers (VPP-4.3 viClear)
      std::lock_guard lock(r.session->io_mutex);
      r.session->read_buffer.clear();
      r.session->write_buffer.clear();
    }
    return st;
  });
}

CPPVISA_C_API ViStatus viAssertTrigger(ViSession vi, ViUInt16 protocol) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    switch (protocol) {
      case VI_TRIG_PROT_DEFAULT: case VI_TRIG_PROT_ON: case VI_TRIG_PROT_OFF: case VI_TRIG_PROT_SYNC:
      case VI_TRIG_PROT_RESERVE: case VI_TRIG_PROT_UNRESERVE: break;
      default: return VI_ERROR_INV_PROT;
    }
    return r.backend->assert_trigger(vi, static_cast<TriggerProtocol>(protocol));
  });
}

CPPVISA_C_API ViStatus viFlush(ViSession vi, ViUInt16 mask) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    // Conflicting pairs and unknown bits (VPP-4.3 viFlush).
    if (mask == 0 || (mask & ~0xFFu) || (mask & (VI_READ_BUF | VI_READ_BUF_DISCARD)) == (VI_READ_BUF | VI_READ_BUF_DISCARD) ||
        (mask & (VI_WRITE_BUF | VI_WRITE_BUF_DISCARD)) == (VI_WRITE_BUF | VI_WRITE_BUF_DISCARD) ||
        (mask & (VI_IO_IN_BUF | VI_IO_IN_BUF_DISCARD)) == (VI_IO_IN_BUF | VI_IO_IN_BUF_DISCARD) ||
        (mask & (VI_IO_OUT_BUF | VI_IO_OUT_BUF_DISCARD)) == (VI_IO_OUT_BUF | VI_IO_OUT_BUF_DISCARD))
      return VI_ERROR_INV_MASK;
    SessionState& s = *r.session;
    ViStatus result = VI_SUCCESS;
    {
      std::lock_guard lock(s.io_mutex);
      if (mask & VI_WRITE_BUF) result = flush_write_buffer(s, true);
      if (mask & VI_WRITE_BUF_DISCARD) s.write_buffer.clear();
      if (mask & (VI_READ_BUF | VI_READ_BUF_DISCARD)) {
        bool unfinished = !s.read_buffer.message_complete;
        s.read_buffer.clear();
        // VI_READ_BUF also drops the rest of an unfinished message from the device.
        if ((mask & VI_READ_BUF) && unfinished) {
          ReadBuffer sink;
          sink.message_complete = false;
          while (!sink.message_complete) {
            sink.data.clear();
            if (ViStatus rst = refill_read_buffer(s, sink); rst < 0) {
              if (result >= 0) result = rst;
              break;
            }
          }
        }
      }
    }
    if (result < 0) return result;
    // The low-level buffers belong to the backend.
    if (std::uint16_t low = mask & (VI_IO_IN_BUF | VI_IO_OUT_BUF | VI_IO_IN_BUF_DISCARD | VI_IO_OUT_BUF_DISCARD)) {
      ViStatus st2 = r.backend->flush(vi, low);
      if (st2 < 0 && st2 != VI_ERROR_NSUP_OPER) return st2;
    }
    return VI_SUCCESS;
  });
}

CPPVISA_C_API ViStatus viSetBuf(ViSession vi, ViUInt16 mask, ViUInt32 size) {
  return guarded([&]() -> ViStatus {
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (mask == 0 || (mask & ~(VI_READ_BUF | VI_WRITE_BUF | VI_IO_IN_BUF | VI_IO_OUT_BUF))) return VI_ERROR_INV_MASK;
    SessionState& s = *r.session;
    ViStatus result = VI_SUCCESS;
    std::lock_guard lock(s.io_mutex);
    if (mask & VI_WRITE_BUF) {
      if (ViStatus fst = flush_write_buffer(s, false); fst < 0) return fst;
      if (size == 0) result = VI_WARN_NSUP_BUF;
      else s.write_buffer_size = size;
    }
    if (mask & VI_READ_BUF) {
      if (size == 0) result = VI_WARN_NSUP_BUF;
      else s.read_buffer_size = size;
    }
    // The serial driver's own buffers are not resizable from here.
    if (mask & (VI_IO_IN_BUF | VI_IO_OUT_BUF)) result = VI_WARN_NSUP_BUF;
    return result;
  });
}

CPPVISA_C_API ViStatus viBufWrite(ViSession vi, ViConstBuf buf, ViUInt32 cnt, ViPUInt32 retCnt) {
  return guarded([&]() -> ViStatus {
    if (retCnt) *retCnt = 0;
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (buf == nullptr && cnt > 0) return VI_ERROR_INV_PARAMETER;
    SessionState& s = *r.session;
    std::lock_guard lock(s.io_mutex);
    st = buffered_write(s, std::string_view(reinterpret_cast<const char*>(buf), cnt));
    if (st >= 0 && s.write_oper_mode == VI_FLUSH_ON_ACCESS) st = flush_write_buffer(s, true);
    if (st >= 0 && retCnt) *retCnt = cnt;
    return st;
  });
}

CPPVISA_C_API ViStatus viBufRead(ViSession vi, ViPBuf buf, ViUInt32 cnt, ViPUInt32 retCnt) {
  return guarded([&]() -> ViStatus {
    if (retCnt) *retCnt = 0;
    Route r;
    ViStatus st;
    if (!route_session(vi, r, st)) return st;
    if (buf == nullptr && cnt > 0) return VI_ERROR_INV_PARAMETER;
    SessionState& s = *r.session;
    std::lock_guard lock(s.io_mutex);
    ReadBuffer& rb = s.read_buffer;
    std::size_t copied = 0;
    st = VI_SUCCESS;
    while (copied < cnt) {
      if (rb.empty()) {
        if (copied > 0 && rb.message_complete) break;  // a message ended: stop there
        rb.data.clear();
        rb.pos = 0;
        if (ViStatus rst = refill_read_buffer(s, rb); rst < 0) {
          st = rst;
          // bytes that arrived before the error are still the caller's
          std::size_t take = std::min<std::size_t>(cnt - copied, rb.data.size() - rb.pos);
          std::memcpy(buf + copied, rb.data.data() + rb.pos, take);
          rb.pos += take;
          copied += take;
          break;
        }
        if (rb.empty() && rb.message_complete) break;
      }
      std::size_t take = std::min<std::size_t>(cnt - copied, rb.data.size() - rb.pos);
      std::memcpy(buf + copied, rb.data.data() + rb.pos, take);
      rb.pos += take;
      copied += take;
    }
    if (retCnt) *retCnt = static_cast<ViUInt32>(copied);
    if (st < 0) return st;
    if (rb.empty() && rb.message_complete) {
      if (s.read_oper_mode == VI_FLUSH_ON_ACCESS) rb.clear();
      return s.last_read_status == VI_SUCCESS_TERM_CHAR ? VI_SUCCESS_TERM_CHAR : VI_SUCCESS;
    }
    return VI_SUCCESS_MAX_CNT;
  });
}
