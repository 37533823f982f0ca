#include "protocols/prologix/prologix_adapter.hpp"

#include "protocols/prologix/prologix_wire.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace cppvisa::prologix {

namespace {

std::mutex registry_mutex;
std::map<int, std::weak_ptr<Adapter>> registry;  // by board number
std::atomic<std::uint64_t> next_target{1};

constexpr std::uint32_t max_read_tmo_ms = 3000;  // ++read_tmo_ms accepts 1..3000
// After a failed read, bytes of any response may still come: every target drains them first.
constexpr std::uint64_t unknown_stream = ~std::uint64_t{0};

// How a data line cut after `sent` bytes is ended: a dangling escape takes the next byte as
// data, so it needs two line ends. `user` gets the caller's bytes that went out.
std::string line_closer(std::span<const std::byte> line, std::size_t sent, std::size_t& user) {
  user = 0;
  bool dangling = false;
  for (std::size_t i = 0; i < sent; ++i) {
    if (line[i] == esc && i + 1 == sent) {
      dangling = true;
    } else {
      if (line[i] == esc) ++i;
      ++user;
    }
  }
  return dangling ? "\n\n" : "\n";
}

}  // namespace

std::uint64_t new_target_id() noexcept { return next_target.fetch_add(1); }

/// Holds the adapter's lock for one operation.
struct Adapter::Held {
  Held(serial::DeadlineLock& l, core::Deadline deadline) : lock(l), held(l.lock_until(deadline)) {}
  ~Held() {
    if (held) lock.unlock();
  }
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;
  serial::DeadlineLock& lock;
  bool held;
};

/// The link as a ByteSource: END when nothing follows for quiet_ms (see the header).
class Adapter::Source : public core::ByteSource {
 public:
  Source(Link& link, const core::ReadTermination& term, const net::Waker* cancel)
      : link_(link), term_(term), cancel_(cancel) {}
  status_t receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) override {
    end = false;
    status_t st = link_.receive(buffer, deadline, count, cancel_);
    if (st != status::SUCCESS || term_.suppress_end) return st;
    // Take what follows until the adapter goes quiet (END) or the buffer is full (no END). Every
    // piece is looked at for the termination character as it comes (an answer in many TCP
    // segments ends at its character, not at the quiet gap after it).
    for (std::size_t checked = 0; count < buffer.size();) {
      if (term_.termchar_enabled &&
          std::memchr(buffer.data() + checked, static_cast<int>(term_.termchar), count - checked) != nullptr)
        return status::SUCCESS;  // the reader ends at the character without waiting for the quiet gap
      checked = count;
      std::size_t more = 0;
      status_t quiet = link_.receive(buffer.subspan(count),
                                     core::Deadline::earliest(core::Deadline::after_ms(quiet_ms), deadline), more, cancel_);
      if (quiet != status::SUCCESS) {
        // Nothing more came for quiet_ms: the adapter has sent all it had (a read's own deadline
        // cutting the gap short is not END; a later error shows in the next call).
        end = quiet == status::ERROR_TMO && !deadline.expired();
        return status::SUCCESS;
      }
      count += more;
    }
    return status::SUCCESS;
  }

 private:
  Link& link_;
  const core::ReadTermination& term_;
  const net::Waker* cancel_;
};

std::shared_ptr<Adapter> Adapter::open(const ResourceName& intfc, core::Deadline deadline, status_t& st) {
  const int board = intfc.board_number().value_or(0);
  const std::string name = intfc.canonical();
  // The adapter of this board if one is open: the same one, or another (refused).
  auto registered = [&]() -> std::shared_ptr<Adapter> {
    auto it = registry.find(board);
    auto existing = it == registry.end() ? nullptr : it->second.lock();
    if (!existing || existing->lost_) return nullptr;
    st = existing->name_ == name ? status::SUCCESS : status::ERROR_RSRC_BUSY;
    return existing;
  };
  {
    std::lock_guard guard(registry_mutex);
    if (auto existing = registered()) return st == status::SUCCESS ? existing : nullptr;
  }
  // Connect without the registry's lock: routing GPIB names (find()) must not wait for it.
  auto link = connect_link(intfc, deadline, st);
  if (!link) return nullptr;
  std::shared_ptr<Adapter> adapter(new Adapter(name, board, std::move(link)));
  st = adapter->configure(deadline);
  if (st < 0) return nullptr;
  std::lock_guard guard(registry_mutex);
  if (auto existing = registered()) return st == status::SUCCESS ? existing : nullptr;  // opened meanwhile
  registry[board] = adapter;
  std::erase_if(registry, [](const auto& entry) { return entry.second.expired(); });
  st = status::SUCCESS;
  return adapter;
}

std::shared_ptr<Adapter> Adapter::find(int board) {
  std::lock_guard guard(registry_mutex);
  auto it = registry.find(board);
  if (it == registry.end()) return nullptr;
  auto adapter = it->second.lock();
  return adapter && !adapter->lost_ ? adapter : nullptr;
}

Adapter::Adapter(std::string name, int board, std::unique_ptr<Link> link)
    : name_(std::move(name)), board_(board), link_(std::move(link)) {}

Adapter::~Adapter() {
  {
    std::lock_guard guard(srq_mutex_);
    stopping_ = true;
  }
  srq_changed_.notify_all();
  if (monitor_.joinable()) monitor_.join();
}

status_t Adapter::failed(status_t st) {
  if (st == status::ERROR_CONN_LOST) lost_ = true;
  return st;
}

status_t Adapter::configure(core::Deadline deadline) {
  Held held(lock_, deadline);
  if (!held.held) return status::ERROR_TMO;
  link_->discard_input();
  if (status_t st = ensure_settings(deadline, nullptr); st < 0) return st;
  std::string reply;
  if (status_t st = send_text("++ver\n", deadline, nullptr); st < 0) return st;
  if (status_t st = read_reply(reply, deadline, nullptr); st < 0) return st;
  version_ = reply;
  return status::SUCCESS;
}

status_t Adapter::send_bytes(std::span<const std::byte> bytes, core::Deadline deadline, const net::Waker* cancel,
                             std::size_t& sent) {
  sent = 0;
  if (lost_) return status::ERROR_CONN_LOST;
  if (!close_line_.empty()) {
    // The device gets the cut message with END: the adapter cannot take a line back.
    std::size_t n = 0;
    status_t st = failed(link_->send(std::as_bytes(std::span(close_line_.data(), close_line_.size())), deadline, cancel, n));
    close_line_.erase(0, n);
    if (st < 0) return st;
  }
  return failed(link_->send(bytes, deadline, cancel, sent));
}

status_t Adapter::send_text(std::string_view text, core::Deadline deadline, const net::Waker* cancel) {
  std::size_t sent = 0;
  status_t st = send_bytes(std::as_bytes(std::span(text.data(), text.size())), deadline, cancel, sent);
  // A command cut short is completed: the adapter must not take the next bytes as its arguments.
  if (st < 0 && sent > 0 && sent < text.size()) close_line_ = "\n";
  return st;
}

status_t Adapter::ensure_settings(core::Deadline deadline, const net::Waker* cancel) {
  if (settings_known_) return status::SUCCESS;
  // Controller mode, no read-after-write (reads are asked for explicitly), nothing appended to
  // data (the bytes given are the bytes sent), EOI with the last byte, device bytes unmodified.
  status_t st = send_text("++mode 1\n++auto 0\n++eos 3\n++eoi 1\n++eot_enable 0\n", deadline, cancel);
  if (st < 0) return st;
  settings_known_ = true;
  address_.reset();
  eoi_ = true;
  read_tmo_.reset();
  return status::SUCCESS;
}

status_t Adapter::drain_stale(core::Deadline deadline, const net::Waker* cancel) {
  // Another target's response may still be on its way: drop it until the adapter goes quiet.
  std::array<std::byte, 65536> scratch;
  for (;;) {
    std::size_t n = 0;
    status_t st = link_->receive(scratch, core::Deadline::earliest(core::Deadline::after_ms(quiet_ms), deadline), n, cancel);
    if (st == status::ERROR_TMO) {
      if (deadline.expired()) return status::ERROR_TMO;
      break;
    }
    if (st < 0) return failed(st);
  }
  streaming_ = 0;
  return status::SUCCESS;
}


status_t Adapter::select(const Target* t, core::Deadline deadline, const net::Waker* cancel) {
  if (lost_) return status::ERROR_CONN_LOST;
  if (status_t st = ensure_settings(deadline, cancel); st < 0) return st;
  if (streaming_ != 0 && (!t || streaming_ != t->id)) {
    if (status_t st = drain_stale(deadline, cancel); st < 0) return st;
  }
  if (!t) return status::SUCCESS;
  std::pair<int, int> want{t->primary, t->secondary.value_or(-1)};
  if (address_ == want) return status::SUCCESS;
  address_.reset();
  if (status_t st = send_text(address_command(t->primary, t->secondary), deadline, cancel); st < 0) return st;
  address_ = want;
  return status::SUCCESS;
}

status_t Adapter::write(const Target& t, std::span<const std::byte> data, bool eoi, std::size_t& count,
                        core::Deadline deadline, const net::Waker* cancel) {
  count = 0;
  Held held(lock_, deadline);
  if (!held.held) return status::ERROR_TMO;
  if (status_t st = select(&t, deadline, cancel); st < 0) return st;
  if (streaming_ != 0) {
    // A new message interrupts the unread response (IEEE 488.2 §6.3.2.3): drop its bytes.
    if (status_t st = drain_stale(deadline, cancel); st < 0) return st;
  }
  link_->discard_input();
  if (eoi_ != eoi) {
    eoi_.reset();
    if (status_t st = send_text(eoi ? "++eoi 1\n" : "++eoi 0\n", deadline, cancel); st < 0) return st;
    eoi_ = eoi;
  }
  if (data.empty()) return status::SUCCESS;
  // Escaped and sent a piece at a time: the copy stays one piece long, and escaping never eats
  // into the timeout (a 64 MB line escaped at once took longer than a 1 s timeout under ASan).
  constexpr std::size_t piece = 64 * 1024;
  std::vector<std::byte> line;
  for (std::size_t done = 0; done < data.size();) {
    const auto in = data.subspan(done, std::min(piece, data.size() - done));
    line.clear();
    append_escaped(in, line);
    if (done + in.size() == data.size()) line.push_back(std::byte{'\n'});  // the line's end
    std::size_t sent = 0;
    status_t st = send_bytes(line, deadline, cancel, sent);
    if (st < 0) {
      // Cut short (timeout, abort): the line is ended before the next bytes go out. A piece
      // ends with no escape dangling, so pieces sent whole need one line end.
      std::size_t user = 0;
      if (sent > 0 && sent < line.size())
        close_line_ = line_closer(line, sent, user);
      else if (sent == 0 && done > 0)
        close_line_ = "\n";
      count = done + user;
      return st;
    }
    done += in.size();
  }
  count = data.size();
  return status::SUCCESS;
}

status_t Adapter::read(const Target& t, core::MessageReader& reader, std::span<std::byte> buffer, std::size_t& count,
                       const core::ReadTermination& term, core::Deadline deadline, const net::Waker* cancel) {
  count = 0;
  Held held(lock_, deadline);
  if (!held.held) return status::ERROR_TMO;
  if (status_t st = select(&t, deadline, cancel); st < 0) return st;
  if (streaming_ != t.id && reader.buffered() == 0) {
    // The adapter waits up to ++read_tmo_ms for each byte: as long as this read may wait.
    auto left = static_cast<std::uint32_t>(std::clamp<long long>(deadline.remaining().count(), 1, max_read_tmo_ms));
    std::string text;
    if (read_tmo_ != left) text += "++read_tmo_ms " + std::to_string(left) + "\n";
    text += "++read eoi\n";
    read_tmo_.reset();
    if (status_t st = send_text(text, deadline, cancel); st < 0) return st;
    read_tmo_ = left;
    streaming_ = t.id;
  }
  Source source(*link_, term, cancel);
  status_t st = reader.read(source, buffer, count, term, deadline);
  // A full buffer, or a termination character with bytes after it: the response goes on.
  bool more = st == status::SUCCESS_MAX_CNT || (st == status::SUCCESS_TERM_CHAR && reader.buffered() > 0);
  streaming_ = st < 0 ? unknown_stream : more ? t.id : 0;
  return failed(st);
}

status_t Adapter::command(const Target* t, std::string_view text, core::Deadline deadline, const net::Waker* cancel) {
  Held held(lock_, deadline);
  if (!held.held) return status::ERROR_TMO;
  if (status_t st = select(t, deadline, cancel); st < 0) return st;
  return send_text(text, deadline, cancel);
}

status_t Adapter::read_reply(std::string& reply, core::Deadline deadline, const net::Waker* cancel) {
  ReplyReader reader;
  std::array<std::byte, 64> chunk;
  for (;;) {
    std::size_t n = 0;
    if (status_t st = failed(link_->receive(chunk, deadline, n, cancel)); st < 0) return st;
    std::size_t used = 0;
    auto r = reader.feed(std::span(chunk).first(n), used);
    if (r == ReplyReader::Result::too_long) {
      // Not a reply line: garbage. Drop the rest of it so that the next operation starts clean.
      if (status_t st = drain_stale(deadline, cancel); st < 0 && st != status::ERROR_TMO) return st;
      return status::ERROR_IO;
    }
    if (r == ReplyReader::Result::line) {
      reply = std::string(reader.line());
      return status::SUCCESS;
    }
  }
}

status_t Adapter::query(const Target* t, std::string_view text, std::string& reply, core::Deadline deadline,
                        const net::Waker* cancel) {
  Held held(lock_, deadline);
  if (!held.held) return status::ERROR_TMO;
  if (status_t st = select(t, deadline, cancel); st < 0) return st;
  link_->discard_input();
  if (status_t st = send_text(text, deadline, cancel); st < 0) return st;
  return read_reply(reply, deadline, cancel);
}

status_t Adapter::serial_poll(const Target& t, std::uint8_t& stb, core::Deadline deadline, const net::Waker* cancel) {
  // "++spoll pad [sad]" polls without changing the current address.
  std::string text = "++spoll " + std::to_string(t.primary);
  if (t.secondary) text += " " + std::to_string(96 + *t.secondary);
  std::string reply;
  if (status_t st = query(nullptr, text + "\n", reply, deadline, cancel); st < 0) return st;
  auto value = parse_number(reply, 255);
  if (!value) return status::ERROR_IO;  // not a status byte
  stb = static_cast<std::uint8_t>(*value);
  return status::SUCCESS;
}

status_t Adapter::raw_write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline,
                            const net::Waker* cancel) {
  count = 0;
  Held held(lock_, deadline);
  if (!held.held) return status::ERROR_TMO;
  if (lost_) return status::ERROR_CONN_LOST;
  // The user may change any setting (++auto 1, ++addr ...): re-send ours before the next
  // instrument operation.
  settings_known_ = false;
  address_.reset();
  streaming_ = 0;
  return send_bytes(data, deadline, cancel, count);
}

status_t Adapter::raw_read(core::MessageReader& reader, std::span<std::byte> buffer, std::size_t& count,
                           const core::ReadTermination& term, core::Deadline deadline, const net::Waker* cancel) {
  count = 0;
  Held held(lock_, deadline);
  if (!held.held) return status::ERROR_TMO;
  if (lost_ && reader.buffered() == 0) return status::ERROR_CONN_LOST;
  Source source(*link_, term, cancel);
  return failed(reader.read(source, buffer, count, term, deadline));
}

status_t Adapter::discard_input(core::Deadline deadline) {
  Held held(lock_, deadline);
  if (!held.held) return status::ERROR_TMO;
  link_->discard_input();
  return status::SUCCESS;
}

std::uint64_t Adapter::add_srq_listener(const Target& t, std::function<void(std::uint8_t)> on_srq) {
  std::lock_guard guard(srq_mutex_);
  std::uint64_t id = next_listener_++;
  listeners_[id] = Listener{t, std::move(on_srq)};
  if (!monitor_.joinable()) monitor_ = std::thread([this] { monitor(); });
  srq_changed_.notify_all();
  return id;
}

void Adapter::remove_srq_listener(std::uint64_t id) {
  {
    std::lock_guard guard(srq_mutex_);
    listeners_.erase(id);
  }
  // Wait for a callback in progress (listeners raise events, whose handlers run on another thread).
  std::lock_guard calling(callback_mutex_);
}

void Adapter::monitor() {
  std::unique_lock guard(srq_mutex_);
  for (;;) {
    srq_changed_.wait_for(guard, std::chrono::milliseconds(srq_poll_ms), [&] { return stopping_; });
    if (stopping_) return;
    if (listeners_.empty() || lost_) continue;
    std::map<std::uint64_t, Listener> targets = listeners_;
    guard.unlock();
    // Only when the adapter is idle: a transfer in progress is never delayed by the monitor.
    std::string reply;
    bool asserted = false;
    {
      Held held(lock_, core::Deadline::after_ms(0));
      if (held.held && select(nullptr, core::Deadline::after_ms(500), nullptr) >= 0 &&
          send_text("++srq\n", core::Deadline::after_ms(500), nullptr) >= 0 &&
          read_reply(reply, core::Deadline::after_ms(500), nullptr) >= 0)
        asserted = parse_number(reply, 1).value_or(0) == 1;
    }
    if (asserted) {
      for (auto& [id, l] : targets) {
        std::uint8_t stb = 0;
        if (serial_poll(l.target, stb, core::Deadline::after_ms(500), nullptr) < 0 || !(stb & 0x40)) continue;
        std::lock_guard calling(callback_mutex_);
        bool present = false;
        {
          std::lock_guard check(srq_mutex_);
          present = listeners_.count(id) != 0;
        }
        if (present) l.on_srq(stb);
      }
    }
    guard.lock();
  }
}

}  // namespace cppvisa::prologix
