#include <cppvisa/message_based.hpp>

#include "api/session_link.hpp"
#include "core/block_reader.hpp"
#include "core/error_detail.hpp"

#include <cppvisa/status.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <thread>
#include <utility>

namespace cppvisa {
namespace {

std::span<const std::byte> as_bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

bool valid_utf8(std::span<const std::byte> data) {
  std::size_t i = 0, n = data.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(data[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(data[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

}  // namespace

// ---- encoding ----

void MessageBasedResource::set_encoding(std::string_view encoding) {
  std::string e(encoding);
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return c == '_' ? '-' : std::tolower(c); });
  if (e == "ascii" || e == "us-ascii") e = "ascii";
  else if (e == "utf-8" || e == "utf8") e = "utf-8";
  else if (e == "latin-1" || e == "latin1" || e == "iso-8859-1") e = "latin-1";
  else throw Error(fmt::format("unknown encoding: {} (supported: ascii, utf-8, latin-1)", encoding));
  auto serial = serialise();
  std::lock_guard guard(settings_mutex_);
  encoding_ = e;
}

std::string MessageBasedResource::encode(std::string_view text) const {
  const std::string encoding_ = encoding();  // one snapshot (set_encoding() may run on another thread)
  if (encoding_ == "latin-1") {
    // Text is UTF-8 in C++; latin-1 takes code points up to U+00FF.
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
      auto c = static_cast<unsigned char>(text[i]);
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
      } else if ((c == 0xC2 || c == 0xC3) && i + 1 < text.size()) {
        out.push_back(static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(text[++i]) & 0x3F)));
      } else {
        throw Error("text cannot be encoded as latin-1");
      }
    }
    return out;
  }
  auto bytes = as_bytes(text);
  if (encoding_ == "ascii") {
    if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
      throw Error("text cannot be encoded as ascii");
  } else if (!valid_utf8(bytes)) {
    throw Error("text is not valid utf-8");
  }
  return std::string(text);
}

std::string MessageBasedResource::decode(std::span<const std::byte> data) const {
  const std::string encoding_ = encoding();  // one snapshot (set_encoding() may run on another thread)
  if (encoding_ == "latin-1") {
    std::string out;
    out.reserve(data.size());
    for (std::byte b : data) {
      auto c = static_cast<unsigned char>(b);
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
      }
    }
    return out;
  }
  if (encoding_ == "ascii") {
    for (std::size_t i = 0; i < data.size(); ++i)
      if (static_cast<unsigned char>(data[i]) >= 0x80)
        throw Error(fmt::format("'ascii' codec can't decode byte 0x{:02x} in position {}",
                                static_cast<unsigned>(data[i]), i));
  } else if (!valid_utf8(data)) {
    throw Error("received bytes are not valid utf-8");
  }
  return std::string(reinterpret_cast<const char*>(data.data()), data.size());
}

// ---- writing ----

std::size_t MessageBasedResource::write_raw(std::span<const std::byte> data, std::error_code& ec) {
  auto serial = serialise();
  std::size_t count = 0;
  if (!is_open()) {
    ec = make_error_code(status::ERROR_INV_OBJECT);
    return 0;
  }
  check(backend_->write(link_->session, data, count), ec);
  return count;
}

std::size_t MessageBasedResource::write_raw(std::span<const std::byte> data) {
  auto serial = serialise();
  std::size_t count = 0;
  check(backend_->write(session(), data, count));
  return count;
}

std::size_t MessageBasedResource::write(std::string_view message, std::string_view termination,
                                        std::error_code& ec) {
  auto serial = serialise();
  std::string payload = encode(message);
  payload += encode(termination);
  return write_raw(as_bytes(payload), ec);
}

std::size_t MessageBasedResource::write(std::string_view message, std::string_view termination) {
  auto serial = serialise();
  session();  // a closed resource throws InvalidSession
  std::error_code ec;
  std::size_t n = write(message, termination, ec);
  if (ec) check(to_status(ec));
  return n;
}

std::size_t MessageBasedResource::write(std::string_view message) {
  auto serial = serialise();
  return write(message, write_termination_);
}
std::size_t MessageBasedResource::write(std::string_view message, std::error_code& ec) {
  auto serial = serialise();
  return write(message, write_termination_, ec);
}

// ---- reading ----

std::chrono::steady_clock::time_point MessageBasedResource::call_deadline() const {
  std::error_code ec;
  auto v = get_visa_attribute(attr::TMO_VALUE, ec);
  auto* ms = std::get_if<std::int64_t>(&v);
  if (ec || !ms || static_cast<std::uint32_t>(*ms) == tmo_infinite) return std::chrono::steady_clock::time_point::max();
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(*ms);
}

std::size_t MessageBasedResource::read_until(std::span<std::byte> buffer, status_t& st,
                                             std::chrono::steady_clock::time_point deadline, std::error_code& ec) {
  std::size_t count = 0;
  if (!is_open()) {
    ec = make_error_code(status::ERROR_INV_OBJECT);
    st = status::ERROR_INV_OBJECT;
    return 0;
  }
  st = check(backend_->read_until(link_->session, buffer, count, deadline), ec);
  return std::min(count, buffer.size());
}

void MessageBasedResource::throw_read_error(const std::error_code& ec, std::vector<std::byte> received) const {
  status_t st = to_status(ec);
  throw VisaIOError(st, fmt::format("(resource {})", resource_name()), core::detail_for(st), std::move(received));
}

std::size_t MessageBasedResource::read_into(std::span<std::byte> buffer, status_t& st, std::error_code& ec) {
  auto serial = serialise();
  std::size_t count = 0;
  if (!is_open()) {
    ec = make_error_code(status::ERROR_INV_OBJECT);
    st = status::ERROR_INV_OBJECT;
    return 0;
  }
  st = check(backend_->read(link_->session, buffer, count), ec);
  return count;
}

std::size_t MessageBasedResource::read_into(std::span<std::byte> buffer, status_t& st) {
  auto serial = serialise();
  session();  // a closed resource throws InvalidSession
  std::error_code ec;
  std::size_t n = read_into(buffer, st, ec);
  if (ec) throw_read_error(ec, {buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n)});
  return n;
}

namespace {
// Chunks up to this size are received into the session's reused scratch buffer (see
// detail::SessionLink::read_scratch); larger ones straight into the growing vector.
constexpr std::size_t max_scratch_chunk = 1 << 20;
}  // namespace

std::vector<std::byte> MessageBasedResource::read_raw(std::size_t size, std::error_code& ec) {
  auto serial = serialise();
  std::vector<std::byte> out;
  const std::size_t chunk = size ? size : chunk_size_;
  const auto deadline = call_deadline();
  // A query's reply is tens of bytes: zero-filling a chunk (20 KiB) of the vector for every read
  // cost 20x the instructions of the rest of the call (callgrind, bench/compare_client). The
  // reply goes into a reused uninitialised buffer instead, and only its bytes are copied.
  // Taken out of the link while in use (and put back by `keep`): a read nested in this one (a
  // handler running in this thread) gets a buffer of its own.
  std::unique_ptr<std::byte[]> owned;
  std::size_t owned_size = 0;
  std::span<std::byte> scratch;
  if (chunk <= max_scratch_chunk && link_) {
    owned = std::move(link_->read_scratch);
    owned_size = std::exchange(link_->read_scratch_size, 0);
    if (!owned || owned_size < chunk) {
      owned = std::make_unique_for_overwrite<std::byte[]>(chunk);
      owned_size = chunk;
    }
    scratch = std::span(owned.get(), chunk);
  }
  struct Keep {
    detail::SessionLink* link;
    std::unique_ptr<std::byte[]>& buffer;
    std::size_t& size;
    ~Keep() {
      if (link && buffer) {
        link->read_scratch = std::move(buffer);
        link->read_scratch_size = size;
      }
    }
  } keep{link_.get(), owned, owned_size};
  status_t st = status::SUCCESS_MAX_CNT;
  while (st == status::SUCCESS_MAX_CNT) {
    if (!room_for_more(out, ec)) break;
    std::size_t old = out.size();
    const std::size_t want = std::min(chunk, max_message_size_ - old);
    std::size_t n = 0;
    if (!scratch.empty()) {
      n = read_until(scratch.first(want), st, deadline, ec);
      out.insert(out.end(), scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(n));
    } else {
      out.resize(old + want);
      n = read_until(std::span(out).subspan(old), st, deadline, ec);
      out.resize(old + n);
    }
    if (ec) {
      record_read_error(st, out);
      break;
    }
  }
  return out;
}

bool MessageBasedResource::room_for_more(const std::vector<std::byte>& out, std::error_code& ec) const {
  if (out.size() < max_message_size_) return true;
  // The limit keeps memory bounded by what the caller allows, not by what the peer sends.
  check(core::fail(status::ERROR_ALLOC,
                   fmt::format("the message is longer than max_message_size ({} bytes): {}; the rest is "
                               "still to be read (set_max_message_size() raises the limit)",
                               max_message_size_, core::received_summary(out, {}, {}))),
        ec);
  return false;
}

void MessageBasedResource::record_read_error(status_t st, const std::vector<std::byte>& out) const {
  if (st == status::ERROR_INV_OBJECT) return;
  // The summary of the whole message replaces the last read's; a lower layer's cause
  // ("the peer closed the connection", an errno) stays in front, as the backend put it.
  std::string text = core::received_summary(out, read_termination_, "read_termination");
  if (st == status::ERROR_TMO) text = fmt::format("after {} ms, {}", timeout(), text);
  else if (std::string lower = core::detail_for(st); lower.find("; ") != std::string::npos)
    text = lower.substr(0, lower.find("; ")) + "; " + text;
  core::fail(st, std::move(text));
}

std::vector<std::byte> MessageBasedResource::read_raw(std::size_t size) {
  auto serial = serialise();
  session();  // a closed resource throws InvalidSession
  std::error_code ec;
  auto out = read_raw(size, ec);
  if (ec) throw_read_error(ec, std::move(out));
  return out;
}

std::string MessageBasedResource::decode_message(std::span<const std::byte> raw) const {
  std::string text = decode(raw);
  if (!read_termination_.empty() && text.size() >= read_termination_.size() &&
      text.compare(text.size() - read_termination_.size(), read_termination_.size(), read_termination_) == 0)
    text.resize(text.size() - read_termination_.size());
  return text;
}

std::string MessageBasedResource::read(std::error_code& ec) {
  auto serial = serialise();
  auto raw = read_raw(0, ec);
  if (!ec) return decode_message(raw);
  try {
    return decode(raw);  // what arrived before the error, not stripped
  } catch (const Error&) {
    return {};
  }
}

std::string MessageBasedResource::read() {
  auto serial = serialise();
  session();  // a closed resource throws InvalidSession
  std::error_code ec;
  auto raw = read_raw(0, ec);
  if (ec) throw_read_error(ec, std::move(raw));
  return decode_message(raw);
}

std::string MessageBasedResource::read(std::string_view termination) {
  auto serial = serialise();
  std::string saved = read_termination_;
  set_read_termination(termination);
  try {
    auto text = read();
    set_read_termination(saved);
    return text;
  } catch (...) {
    set_read_termination(saved);
    throw;
  }
}

std::vector<std::byte> MessageBasedResource::read_bytes(std::size_t count, std::size_t chunk_size,
                                                        bool break_on_termchar, std::error_code& ec) {
  auto serial = serialise();
  // Storage grows with the bytes received, never to `count` at once.
  std::vector<std::byte> out;
  std::size_t chunk = chunk_size ? chunk_size : chunk_size_;
  const auto deadline = call_deadline();
  while (out.size() < count) {
    status_t st = status::SUCCESS;
    std::size_t got = out.size();
    out.resize(got + std::min(chunk, count - got));
    std::size_t n = read_until(std::span(out).subspan(got), st, deadline, ec);
    out.resize(got + n);
    if (ec) {
      if (st != status::ERROR_INV_OBJECT)
        core::fail(st, fmt::format("{} of the {} bytes asked for received", out.size(), count));
      break;
    }
    if (break_on_termchar && (st == status::SUCCESS || st == status::SUCCESS_TERM_CHAR)) break;
  }
  return out;
}

std::vector<std::byte> MessageBasedResource::read_bytes(std::size_t count, std::size_t chunk_size,
                                                        bool break_on_termchar) {
  auto serial = serialise();
  session();  // a closed resource throws InvalidSession
  std::error_code ec;
  auto out = read_bytes(count, chunk_size, break_on_termchar, ec);
  if (ec) throw_read_error(ec, std::move(out));
  return out;
}

// ---- query ----

std::string MessageBasedResource::query(std::string_view message, std::chrono::duration<double> delay) {
  auto serial = serialise();
  write(message);
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  return read();
}

std::string MessageBasedResource::query(std::string_view message) {
  auto serial = serialise();
  return query(message, query_delay_);
}

std::string MessageBasedResource::query(std::string_view message, std::error_code& ec) {
  auto serial = serialise();
  write(message, ec);
  if (ec) return {};
  if (query_delay_.count() > 0) std::this_thread::sleep_for(query_delay_);
  return read(ec);
}

// ---- values ----

std::vector<std::byte> MessageBasedResource::encoded_bytes(std::string_view text) const {
  auto encoded = encode(text);
  auto b = as_bytes(encoded);
  return {b.begin(), b.end()};
}

void MessageBasedResource::wait_query_delay() const {
  if (query_delay_.count() > 0) std::this_thread::sleep_for(query_delay_);
}

void MessageBasedResource::read_block_into(const BinaryReadOptions& options, std::size_t itemsize,
                                           const std::function<std::span<std::byte>(std::size_t)>& resize) {
  auto serial = serialise();
  session();
  core::BlockSpec spec;
  spec.format = options.header;
  spec.big_endian = options.big_endian;
  spec.itemsize = itemsize;
  spec.data_points = options.data_points;
  spec.limits = options.limits;
  spec.chunk = options.chunk_size ? options.chunk_size : chunk_size_;
  spec.progress = options.progress;
  spec.termchar_ends_indefinite = !read_termination_.empty() && get_int_attribute(attr::SUPPRESS_END_EN) != 0;
  // While the data of known length are read, the termination character is data: off meanwhile
  // (one read instead of one per 0x0A byte), back on before the terminator is read.
  struct TermcharOff {
    MessageBasedResource* r;
    bool off = false;
    ~TermcharOff() {
      std::error_code ignored;
      if (off) r->set_visa_attribute(attr::TERMCHAR_EN, std::int64_t{1}, ignored);
    }
  } termchar{this};
  if (!read_termination_.empty())
    spec.before_data = [&] {
      std::error_code ignored;
      set_visa_attribute(attr::TERMCHAR_EN, std::int64_t{0}, ignored);
      termchar.off = !ignored;
    };
  const auto deadline = call_deadline();
  std::error_code ec;
  auto read = [&](std::span<std::byte> buffer, std::size_t& count) {
    status_t st = status::SUCCESS;
    count = read_until(buffer, st, deadline, ec);
    return st;
  };
  // The caller's storage as last sized (read_block sizes it once the header is known): on a read
  // error its data bytes, or before the header was complete the bytes received, go into the
  // exception (a timeout or a hang-up loses nothing, VisaIOError::received()).
  std::span<std::byte> stored;
  bool header_read = false;
  auto keep = [&](std::size_t n) {
    header_read = true;
    return stored = resize(n);
  };
  std::vector<std::byte> pending;
  auto received = [&](std::size_t n) {
    if (!header_read) return pending;
    auto b = stored.first(std::min(n, stored.size()));
    return std::vector<std::byte>(b.begin(), b.end());
  };
  bool message_ended = false;
  core::BlockResult result;
  status_t st = core::read_block(read, spec, pending, message_ended, keep, result);
  if (st < 0) {
    if (ec) {
      core::fail(st, result.why);
      throw_read_error(ec, received(result.length));
    }
    core::fail(st, result.why);
    throw InvalidBinaryFormat(result.why, st);
  }
  if (termchar.off) {
    set_visa_attribute(attr::TERMCHAR_EN, std::int64_t{1}, ec);
    termchar.off = false;
  }
  // The termination after the block (PyVISA reads it), unless the message already ended: by the
  // same deadline as the block (one call, one timeout).
  if (options.expect_termination && !read_termination_.empty() && !message_ended &&
      pending.size() < read_termination_.size()) {
    std::vector<std::byte> end(read_termination_.size() - pending.size());
    std::size_t got = 0;
    while (got < end.size()) {
      std::size_t n = 0;
      status_t rs = read(std::span(end).subspan(got), n);
      got += std::min(n, end.size() - got);
      if (ec || rs == status::SUCCESS || rs == status::SUCCESS_TERM_CHAR) break;
    }
    if (ec) {
      core::fail(to_status(ec), fmt::format("the block's {} data bytes arrived, not the read termination after them",
                                            result.length));
      throw_read_error(ec, received(result.length));  // the whole block: only its end is missing
    }
  }
}

// ---- status, trigger, flush ----

std::uint16_t MessageBasedResource::read_stb() {
  auto serial = serialise();
  std::uint16_t stb = 0;
  check(backend_->read_stb(session(), stb));
  return stb;
}

std::uint16_t MessageBasedResource::read_stb(std::error_code& ec) {
  auto serial = serialise();
  std::uint16_t stb = 0;
  if (!is_open()) return (ec = make_error_code(status::ERROR_INV_OBJECT)), 0;
  check(backend_->read_stb(link_->session, stb), ec);
  return stb;
}

void MessageBasedResource::assert_trigger() {
  auto serial = serialise();
  check(backend_->assert_trigger(session(), TriggerProtocol::default_));
}
void MessageBasedResource::assert_trigger(std::error_code& ec) {
  if (!is_open()) return (void)(ec = make_error_code(status::ERROR_INV_OBJECT));
  auto serial = serialise();
  check(backend_->assert_trigger(link_->session, TriggerProtocol::default_), ec);
}

void MessageBasedResource::flush(std::uint16_t mask) {
  auto serial = serialise();
  check(backend_->flush(session(), mask));
}
void MessageBasedResource::flush(std::uint16_t mask, std::error_code& ec) {
  if (!is_open()) return (void)(ec = make_error_code(status::ERROR_INV_OBJECT));
  auto serial = serialise();
  check(backend_->flush(link_->session, mask), ec);
}

// ---- settings ----

// Settings are written holding both the call lock (so that no operation sees a change half-way)
// and settings_mutex_; operations read them under the call lock, the getters under settings_mutex_.

std::size_t MessageBasedResource::max_message_size() const {
  std::lock_guard guard(settings_mutex_);
  return max_message_size_;
}

void MessageBasedResource::set_max_message_size(std::size_t n) {
  if (n == 0) throw Error("max_message_size must be at least 1");
  auto serial = serialise();
  std::lock_guard guard(settings_mutex_);
  max_message_size_ = n;
}

std::size_t MessageBasedResource::chunk_size() const {
  std::lock_guard guard(settings_mutex_);
  return chunk_size_;
}

void MessageBasedResource::set_chunk_size(std::size_t n) {
  if (n == 0) throw Error("chunk_size must be at least 1");
  auto serial = serialise();
  std::lock_guard guard(settings_mutex_);
  chunk_size_ = n;
}

std::chrono::duration<double> MessageBasedResource::query_delay() const {
  std::lock_guard guard(settings_mutex_);
  return query_delay_;
}

void MessageBasedResource::set_query_delay(std::chrono::duration<double> d) {
  auto serial = serialise();
  std::lock_guard guard(settings_mutex_);
  query_delay_ = d;
}

std::string MessageBasedResource::encoding() const {
  std::lock_guard guard(settings_mutex_);
  return encoding_;
}

std::string MessageBasedResource::write_termination() const {
  std::lock_guard guard(settings_mutex_);
  return write_termination_;
}

void MessageBasedResource::set_write_termination(std::string_view t) {
  auto serial = serialise();
  std::lock_guard guard(settings_mutex_);
  write_termination_.assign(t.data(), t.size());
}

std::string MessageBasedResource::read_termination() const {
  std::lock_guard guard(settings_mutex_);
  return read_termination_;
}

void MessageBasedResource::set_read_termination(std::string_view t) {
  auto serial = serialise();
  if (!t.empty()) {
    char last = t.back();
    if (t.substr(0, t.size() - 1).find(last) != std::string_view::npos)
      throw Error("ambiguous ending in termination characters");
    set_visa_attribute(attr::TERMCHAR, static_cast<std::int64_t>(static_cast<unsigned char>(last)));
    set_visa_attribute(attr::TERMCHAR_EN, std::int64_t{1});
  } else {
    set_visa_attribute(attr::TERMCHAR, std::int64_t{'\n'});
    set_visa_attribute(attr::TERMCHAR_EN, std::int64_t{0});
  }
  std::lock_guard guard(settings_mutex_);
  read_termination_ = t;
}

bool MessageBasedResource::send_end() const { return get_int_attribute(attr::SEND_END_EN) != 0; }
void MessageBasedResource::set_send_end(bool on) { set_visa_attribute(attr::SEND_END_EN, std::int64_t{on}); }
std::uint16_t MessageBasedResource::io_protocol() const {
  return static_cast<std::uint16_t>(get_int_attribute(attr::IO_PROT));
}
void MessageBasedResource::set_io_protocol(std::uint16_t p) { set_visa_attribute(attr::IO_PROT, std::int64_t{p}); }

// ---- properties ----

const Resource::Property* MessageBasedResource::find_property(std::string_view name) const {
  using R = MessageBasedResource;
  auto self = [](const Resource& r) -> const R& { return static_cast<const R&>(r); };
  auto mut = [](Resource& r) -> R& { return static_cast<R&>(r); };
  static const std::map<std::string, Property, std::less<>> table = {
      {"chunk_size",
       {[=](const Resource& r) -> PropertyValue { return static_cast<std::int64_t>(self(r).chunk_size()); },
        [=](Resource& r, const PropertyValue& v) {
          auto n = property::to_int(v, "chunk_size");
          if (n < 1) throw Error("chunk_size must be at least 1");
          mut(r).set_chunk_size(static_cast<std::size_t>(n));
        }}},
      {"max_message_size",
       {[=](const Resource& r) -> PropertyValue { return static_cast<std::int64_t>(self(r).max_message_size()); },
        [=](Resource& r, const PropertyValue& v) {
          auto n = property::to_int(v, "max_message_size");
          if (n < 1) throw Error("max_message_size must be at least 1");
          mut(r).set_max_message_size(static_cast<std::size_t>(n));
        }}},
      {"query_delay",
       {[=](const Resource& r) -> PropertyValue { return self(r).query_delay().count(); },
        [=](Resource& r, const PropertyValue& v) {
          mut(r).set_query_delay(std::chrono::duration<double>(property::to_double(v, "query_delay")));
        }}},
      {"encoding",
       {[=](const Resource& r) -> PropertyValue { return self(r).encoding(); },
        [=](Resource& r, const PropertyValue& v) { mut(r).set_encoding(property::to_string(v, "encoding")); }}},
      {"write_termination",
       {[=](const Resource& r) -> PropertyValue { return self(r).write_termination(); },
        [=](Resource& r, const PropertyValue& v) {
          mut(r).set_write_termination(property::to_string(v, "write_termination"));
        }}},
      {"read_termination",
       {[=](const Resource& r) -> PropertyValue { return self(r).read_termination(); },
        [=](Resource& r, const PropertyValue& v) {
          mut(r).set_read_termination(property::to_string(v, "read_termination"));
        }}},
      {"send_end",
       {[=](const Resource& r) -> PropertyValue { return self(r).send_end(); },
        [=](Resource& r, const PropertyValue& v) { mut(r).set_send_end(property::to_bool(v, "send_end")); }}},
      {"io_protocol",
       {[=](const Resource& r) -> PropertyValue { return static_cast<std::int64_t>(self(r).io_protocol()); },
        [=](Resource& r, const PropertyValue& v) {
          mut(r).set_io_protocol(static_cast<std::uint16_t>(property::to_int(v, "io_protocol")));
        }}},
      {"stb", {[=](const Resource& r) -> PropertyValue {
                 return static_cast<std::int64_t>(const_cast<R&>(self(r)).read_stb());
               },
               {}}},
  };
  auto it = table.find(name);
  return it != table.end() ? &it->second : Resource::find_property(name);
}

void MessageBasedResource::collect_property_names(std::vector<std::string>& out) const {
  Resource::collect_property_names(out);
  for (const char* n : {"chunk_size", "max_message_size", "query_delay", "encoding", "write_termination", "read_termination",
                        "send_end", "io_protocol", "stb"})
    out.emplace_back(n);
}

}  // namespace cppvisa
