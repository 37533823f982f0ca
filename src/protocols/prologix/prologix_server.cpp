#include "protocols/prologix/prologix_server.hpp"

#include "protocols/prologix/prologix_wire.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>

namespace cppvisa::prologix {

namespace {
constexpr std::size_t input_chunk = 65536;
constexpr std::size_t write_piece = 65536;  // device write size while a long data line comes
constexpr std::uint32_t access_slice_ms = 200;
// A ++read waits for the device in slices of this, so that a client that hangs up mid-read frees
// the device at once rather than after ++read_tmo_ms of silence (up to 3 s, others waiting).
constexpr std::uint32_t read_slice_ms = 100;

std::optional<int> number_arg(const std::string& text, int low, int high) {
  auto v = parse_number(text, static_cast<unsigned>(high));
  if (!v || static_cast<int>(*v) < low) return std::nullopt;
  return static_cast<int>(*v);
}
}  // namespace

/// One controller connection: its adapter settings and the bus operations it drives.
class AdapterServer::Connection {
 public:
  Connection(AdapterServer& server, net::Socket& socket, const net::Waker& stop, server::ClientId id)
      : server_(server), socket_(socket), stop_(stop), id_(id) {}

  /// Handles one parser event; false: close the connection.
  bool handle(const HostParser::Event& e) {
    switch (e.kind) {
      case HostParser::Event::data: return data(e.bytes);
      case HostParser::Event::data_end: return end_of_line();
      case HostParser::Event::command: return command(e.text);
      case HostParser::Event::command_too_long: return true;  // ignored, as any invalid command
    }
    return true;
  }

 private:
  struct Settings {
    bool controller = true;  // ++mode 1 (the GPIB-ETHERNET's default)
    int pad = 0;
    std::optional<int> sad;
    bool automatic = false;
    bool eoi = true;
    int eos = 0;             // 0 CR+LF, 1 CR, 2 LF, 3 none
    bool eot_enable = false;
    int eot_char = 0;
    std::uint32_t read_tmo_ms = 500;
    bool savecfg = true;
    bool listen_only = false;
    int status = 0;
  };

  /// The client has hung up (closed or reset its connection; this server takes the end of its
  /// input as the end of the connection, see serve()).
  bool client_gone() const {
    pollfd p{socket_.fd(), POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }

  Slot* addressed() { return settings_.controller ? server_.find(settings_.pad, settings_.sad) : nullptr; }

  bool reply(std::string text) {
    text += "\r\n";
    return socket_.send_all(std::as_bytes(std::span(text.data(), text.size())),
                            core::Deadline::after_ms(server_.options_.send_timeout_ms), nullptr,
                            &stop_) == status::SUCCESS;
  }

  bool wait_for_access(server::ServedDevice& d) {
    for (;;) {
      if (stop_.woken()) return false;
      if (d.wait_access(id_, core::Deadline::after_ms(access_slice_ms)) == status::SUCCESS) return true;
    }
  }

  // Writes bytes to the addressed device; false when it refuses them (the connection closes:
  // the adapter cannot report an error, and dropping data silently would be worse).
  bool device_write(std::span<const std::byte> bytes, bool end) {
    Slot* slot = addressed();
    if (!slot) return true;  // no listener at this address: the bytes go nowhere, as on a bus
    auto& d = *slot->instrument.device;
    if (!wait_for_access(d)) return false;
    auto deadline = core::Deadline::after_ms(server_.options_.write_timeout_ms);
    do {
      std::size_t count = 0;
      status_t st = d.write(id_, bytes, end, count, deadline);
      if (st == status::ERROR_RSRC_LOCKED && count == 0 && !stop_.woken()) {
        if (!wait_for_access(d)) return false;
        continue;
      }
      if (st < 0 || (count == 0 && !bytes.empty())) return false;
      bytes = bytes.subspan(std::min(count, bytes.size()));
    } while (!bytes.empty());
    return true;
  }

  bool data(std::span<const std::byte> bytes) {
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    if (pending_.size() <= write_piece) return true;
    // A long line: pass it on, keeping its last byte back for END.
    std::span<const std::byte> out(pending_.data(), pending_.size() - 1);
    bool ok = device_write(out, false);
    pending_.erase(pending_.begin(), pending_.end() - 1);
    return ok;
  }

  bool end_of_line() {
    static constexpr char eos_bytes[4][3] = {"\r\n", "\r", "\n", ""};
    for (const char* c = eos_bytes[settings_.eos]; *c; ++c) pending_.push_back(static_cast<std::byte>(*c));
    bool ok = pending_.empty() || device_write(pending_, settings_.eoi);
    pending_.clear();
    if (ok && settings_.automatic && settings_.controller) return read_device(ReadUntil::eoi, 0);
    return ok;
  }

  enum class ReadUntil { eoi, character, timeout };

  // Streams the addressed device's output to the host (++read, ++auto 1).
  bool read_device(ReadUntil until, int character) {
    Slot* slot = addressed();
    if (!slot) return true;  // nobody talks: the adapter's read times out, nothing is sent
    auto& d = *slot->instrument.device;
    if (!wait_for_access(d)) return false;
    if (buffer_.size() != server_.options_.read_chunk) buffer_.resize(server_.options_.read_chunk);
    std::optional<std::byte> termchar;
    if (until == ReadUntil::character) termchar = static_cast<std::byte>(character);
    // ++read_tmo_ms is the longest wait for a byte (Prologix manual): it starts again with every
    // byte that comes.
    auto byte_deadline = core::Deadline::after_ms(settings_.read_tmo_ms);
    for (;;) {
      server::ReadResult r;
      status_t st = d.read(id_, buffer_, termchar, r,
                           core::Deadline::earliest(core::Deadline::after_ms(read_slice_ms), byte_deadline));
      std::size_t count = std::min(r.count, buffer_.size());
      if (count > 0 && socket_.send_all(std::span<const std::byte>(buffer_).first(count),
                                        core::Deadline::after_ms(server_.options_.send_timeout_ms), nullptr,
                                        &stop_) != status::SUCCESS)
        return false;
      bool end = st >= 0 && r.end;
      if (end && settings_.eot_enable) {
        std::byte eot = static_cast<std::byte>(settings_.eot_char);
        if (socket_.send_all(std::span(&eot, 1), core::Deadline::after_ms(server_.options_.send_timeout_ms), nullptr,
                             &stop_) != status::SUCCESS)
          return false;
      }
      if (stop_.woken()) return false;
      if (count > 0) byte_deadline = core::Deadline::after_ms(settings_.read_tmo_ms);
      if (st == status::ERROR_TMO && !byte_deadline.expired()) {
        if (client_gone()) return false;  // nobody to stream to: the connection closes
        continue;
      }
      if (st < 0) return true;  // the adapter's read timed out (or the device failed): the read ends
      if (until != ReadUntil::timeout && (end || (until == ReadUntil::character && r.termchar))) return true;
    }
  }

  std::optional<std::pair<int, std::optional<int>>> address_args(const std::vector<std::string>& args) {
    if (args.empty()) return std::pair{settings_.pad, settings_.sad};
    auto pad = number_arg(args[0], 0, 30);
    if (!pad) return std::nullopt;
    std::optional<int> sad;
    if (args.size() > 1) {
      auto s = number_arg(args[1], 96, 126);
      if (!s) return std::nullopt;
      sad = *s - 96;
    }
    return std::pair{*pad, sad};
  }

  // A flag or number setting: no argument queries it, a valid one sets it.
  template <typename T>
  bool setting(const std::vector<std::string>& args, T& value, int low, int high) {
    if (args.empty()) return reply(std::to_string(static_cast<int>(value)));
    if (auto v = number_arg(args[0], low, high)) value = static_cast<T>(*v);
    return true;
  }

  bool command(std::string_view text) {
    auto c = parse_command(text);
    if (!c) return true;
    const auto& a = c->args;
    const std::string& n = c->name;
    if (n == "ver") return reply(server_.options_.version);
    if (n == "mode") return setting(a, settings_.controller, 0, 1);
    if (n == "auto") return setting(a, settings_.automatic, 0, 1);
    if (n == "eoi") return setting(a, settings_.eoi, 0, 1);
    if (n == "eos") return setting(a, settings_.eos, 0, 3);
    if (n == "eot_enable") return setting(a, settings_.eot_enable, 0, 1);
    if (n == "eot_char") return setting(a, settings_.eot_char, 0, 255);
    if (n == "read_tmo_ms") return setting(a, settings_.read_tmo_ms, 1, 3000);
    if (n == "savecfg") return setting(a, settings_.savecfg, 0, 1);
    if (n == "lon") return setting(a, settings_.listen_only, 0, 1);
    if (n == "status") return setting(a, settings_.status, 0, 255);
    if (n == "rst") {
      settings_ = Settings{};
      return true;
    }
    if (n == "help") return reply("++addr ++auto ++clr ++eoi ++eos ++eot_enable ++eot_char ++ifc ++llo ++loc ++lon "
                                  "++mode ++read ++read_tmo_ms ++rst ++savecfg ++spoll ++srq ++status ++trg ++ver ++help");
    if (n == "addr") {
      if (a.empty()) {
        std::string text = std::to_string(settings_.pad);
        if (settings_.sad) text += " " + std::to_string(96 + *settings_.sad);
        return reply(text);
      }
      if (auto addr = address_args(a)) std::tie(settings_.pad, settings_.sad) = *addr;
      return true;
    }
    if (!settings_.controller) return true;  // the rest are controller commands
    if (n == "read") {
      if (a.empty()) return read_device(ReadUntil::timeout, 0);
      if (a[0] == "eoi") return read_device(ReadUntil::eoi, 0);
      if (auto ch = number_arg(a[0], 0, 255)) return read_device(ReadUntil::character, *ch);
      return true;
    }
    if (n == "srq") {
      bool any = false;
      for (auto& slot : server_.bus_) any = any || slot->srq.load();
      return reply(any ? "1" : "0");
    }
    if (n == "spoll") {
      auto addr = address_args(a);
      Slot* slot = addr ? server_.find(addr->first, addr->second) : nullptr;
      if (!slot) return true;  // nobody answers the poll
      std::uint8_t stb = 0;
      if (slot->instrument.device->read_stb(id_, stb, core::Deadline::after_ms(settings_.read_tmo_ms)) < 0) return true;
      if (stb & 0x40) slot->srq = false;  // the poll took the request
      return reply(std::to_string(stb));
    }
    if (n == "ifc") return true;  // interface clear: nothing is addressed afterwards; the devices keep their state
    auto each_addressed = [&](auto&& op) {
      std::vector<Slot*> slots;
      if (n == "trg" && !a.empty()) {
        // ++trg pad1 [sad1] pad2 [sad2] ...
        for (std::size_t i = 0; i < a.size(); ++i) {
          auto pad = number_arg(a[i], 0, 30);
          if (!pad) return true;
          std::optional<int> sad;
          if (i + 1 < a.size())
            if (auto s = number_arg(a[i + 1], 96, 126)) {
              sad = *s - 96;
              ++i;
            }
          if (Slot* s = server_.find(*pad, sad)) slots.push_back(s);
        }
      } else if (Slot* s = addressed()) {
        slots.push_back(s);
      }
      for (Slot* s : slots) op(*s->instrument.device);
      return true;
    };
    auto deadline = [] { return core::Deadline::after_ms(2000); };
    if (n == "clr") return each_addressed([&](server::ServedDevice& d) { d.clear(id_, deadline()); });
    if (n == "trg") return each_addressed([&](server::ServedDevice& d) { d.trigger(id_, deadline()); });
    if (n == "loc") return each_addressed([&](server::ServedDevice& d) { d.local(id_, deadline()); });
    if (n == "llo") return each_addressed([&](server::ServedDevice& d) { d.remote(id_, deadline()); });
    return true;  // unknown commands are ignored
  }

  AdapterServer& server_;
  net::Socket& socket_;
  const net::Waker& stop_;
  server::ClientId id_;
  Settings settings_;
  std::vector<std::byte> pending_;  // data of the current line not yet written
  std::vector<std::byte> buffer_;   // device reads
};

AdapterServer::AdapterServer(std::vector<Instrument> bus, Options options)
    : options_(std::move(options)),
      server_([this](server::ClientId id) { for (auto& s : bus_) s->instrument.device->abort(id); },
              [this](server::ClientId id) { for (auto& s : bus_) s->instrument.device->close_client(id); }) {
  options_.read_chunk = std::clamp<std::size_t>(options_.read_chunk, 4096, std::size_t{64} << 20);
  for (auto& i : bus) {
    auto slot = std::make_unique<Slot>();
    slot->instrument = std::move(i);
    bus_.push_back(std::move(slot));
  }
}

AdapterServer::~AdapterServer() { stop(); }

AdapterServer::Slot* AdapterServer::find(int primary, std::optional<int> secondary) {
  for (auto& s : bus_)
    if (s->instrument.primary == primary && s->instrument.secondary == secondary) return s.get();
  // IEEE 488.1 addressing: a device with primary addressing only (no extended L/T function)
  // is addressed by its MLA/MTA alone and ignores the secondary address that follows. (PyVISA
  // 1.11 names every GPIB instrument with secondary address 0: GPIB0::7::0::INSTR.)
  if (secondary)
    for (auto& s : bus_)
      if (s->instrument.primary == primary && !s->instrument.secondary) return s.get();
  return nullptr;
}

status_t AdapterServer::start() {
  for (std::size_t i = 0; i < bus_.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (bus_[i]->instrument.primary == bus_[j]->instrument.primary &&
          bus_[i]->instrument.secondary == bus_[j]->instrument.secondary) {
        error_ = "two devices on the Prologix bus at GPIB address " + std::to_string(bus_[i]->instrument.primary);
        return status::ERROR_INV_SETUP;
      }
  for (auto& s : bus_) {
    Slot* slot = s.get();
    if (!slot->listener)
      slot->listener = slot->instrument.device->add_service_request_listener([slot] { slot->srq = true; });
  }
  return server_.start(options_.listen, [this](net::Socket& socket, const net::Waker& stop, server::ClientId id) {
    serve(socket, stop, id);
  });
}

void AdapterServer::stop() {
  server_.stop();
  for (auto& s : bus_)
    if (s->listener) s->instrument.device->remove_service_request_listener(std::exchange(s->listener, 0));
}

void AdapterServer::serve(net::Socket& socket, const net::Waker& stop, server::ClientId id) {
  Connection connection(*this, socket, stop, id);
  HostParser parser;
  std::vector<std::byte> in(input_chunk);
  bool open = true;
  while (open) {
    // The adapter answers only what the client asks: input is all the traffic the idle timeout
    // watches (a ++read that takes long is not idle: the wait starts after it).
    core::Deadline wait = options_.idle_timeout_ms == 0 ? core::Deadline::never()
                                                        : core::Deadline::after_ms(options_.idle_timeout_ms);
    if (net::wait_fd(socket.fd(), POLLIN, wait, &stop) != status::SUCCESS) break;
    std::size_t n = 0;
    if (socket.recv_available(in, n) != status::SUCCESS) break;  // the client closed
    parser.feed(std::span<const std::byte>(in).first(n), [&](const HostParser::Event& e) {
      if (open) open = connection.handle(e);
    });
  }
}

}  // namespace cppvisa::prologix
