// A USBTMC/USB488 device model for tests: the device side of the protocol (USBTMC 1.0, USB488 1.0;
// USBTMC/USB488), reached through device-side entry points (one Bulk-OUT transfer arrives, the
// host asks for up to N Bulk-IN bytes, a control request arrives, the host polls interrupt-IN).
// The same entry points are driven by ModelTransport (a core UsbTransport for fast tests) and by
// the umockdev URB handler (tests/usb/), so the real libusb path meets the same device.
//
// It checks the host: bTag 1..255 incrementing (tag_errors counts violations), bTagInverse,
// TransferSize, padding; it implements the INITIATE_CLEAR / CHECK_CLEAR_STATUS and
// INITIATE_ABORT_BULK_IN/OUT / CHECK_ABORT_* state machines, the status byte (RQS cleared when
// read), SRQ on interrupt-IN, REN/GTL/LLO state, vendor control requests, and faults: a device
// that never answers, lying headers (wrong bTag, truncated header, TransferSize beyond the
// request), a device that NAKs Bulk-OUT until aborted, and unplug.
#pragma once

#include "protocols/usbtmc/usb_transport.hpp"
#include "protocols/usbtmc/usbtmc_wire.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace cppvisa::testing {

/// A reply the instrument produces: `size` bytes, generated on demand (a 100 MB reply is never
/// held in memory).
struct ModelReply {
  std::size_t size = 0;
  std::function<void(std::size_t offset, std::span<std::byte> out)> fill;
  static ModelReply text(std::string s) {
    auto p = std::make_shared<std::string>(std::move(s));
    ModelReply r;
    r.size = p->size();
    r.fill = [p](std::size_t off, std::span<std::byte> out) { std::memcpy(out.data(), p->data() + off, out.size()); };
    return r;
  }
  /// `size` bytes of a pattern a test can check: byte i is pattern_byte(i).
  static ModelReply pattern(std::size_t size) {
    ModelReply r;
    r.size = size;
    r.fill = [](std::size_t off, std::span<std::byte> out) {
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = pattern_byte(off + i);
    };
    return r;
  }
  static std::byte pattern_byte(std::size_t i) { return static_cast<std::byte>((i * 31 + i / 251) & 0xFF); }
};

/// What the modelled device is and which misbehaviour it shows.
struct UsbtmcModelConfig {
  static cppvisa::usbtmc::UsbDeviceInfo default_info() {
    cppvisa::usbtmc::UsbDeviceInfo i;
    i.vendor_id = 0x0957;
    i.product_id = 0x1796;
    i.manufacturer = "Keysight Model";
    i.product = "Model Scope";
    i.serial = "MY123";
    i.interface_number = 0;
    i.interface_class = 0xFE;
    i.interface_subclass = 3;
    i.interface_protocol = 1;
    i.bulk_out = 0x02;
    i.bulk_in = 0x81;
    i.interrupt_in = 0x83;
    i.bulk_out_max_packet = 512;
    i.bulk_in_max_packet = 512;
    i.interrupt_max_packet = 2;
    return i;
  }
  cppvisa::usbtmc::UsbDeviceInfo info = default_info();
  bool usb488 = true;
  bool termchar_capable = true;
  bool indicator_pulse = true;
  bool trigger_capable = true;
  bool ren_capable = true;
  bool sr1 = true;
  std::size_t max_transfer = 0;   ///< the device sends at most this many data bytes per transfer (0 = no limit)
  int clear_pending_polls = 2;    ///< CHECK_CLEAR_STATUS answers PENDING this many times first
  // faults
  bool never_answer = false;      ///< requests are accepted, no Bulk-IN ever comes
  bool wrong_tag = false;         ///< Bulk-IN headers carry bTag + 1
  bool truncated_header = false;  ///< the Bulk-IN transfer is 5 bytes
  bool lie_size = false;          ///< TransferSize 0xFFFFFFF0 whatever was asked
  bool extra_bytes = false;       ///< 64 bytes beyond TransferSize + padding in the same transfer
  /// Rigol: after the first transfer, the data continue in transfers of this many bytes with no
  /// header (0 = off).
  std::size_t split_without_header = 0;
};

class UsbtmcDeviceModel {
 public:
  using Config = UsbtmcModelConfig;
  static cppvisa::usbtmc::UsbDeviceInfo default_info() { return UsbtmcModelConfig::default_info(); }

  enum class Result { ok, nak, stall, gone };

  explicit UsbtmcDeviceModel(Config c = {}) : cfg_(std::move(c)) {
    if (!cfg_.info.interrupt_in) cfg_.info.interrupt_max_packet = 0;
    respond_ = [](const std::string& m) -> std::optional<ModelReply> {
      if (m.rfind("*IDN?", 0) == 0) return ModelReply::text("Keysight,Model Scope,MY123,1.0\n");
      if (m.rfind("ECHO ", 0) == 0) return ModelReply::text(m.substr(5));
      return std::nullopt;
    };
  }

  // ---------------------------------------------------------------- test controls
  const Config& config() const { return cfg_; }
  template <class F>
  void configure(F&& change) {
    std::lock_guard g(m_);
    change(cfg_);
    cv_.notify_all();
  }
  /// Instrument behaviour: a complete message (EOM) -> an optional reply.
  void on_message(std::function<std::optional<ModelReply>(const std::string&)> f) {
    std::lock_guard g(m_);
    respond_ = std::move(f);
  }
  /// Queues a reply as if a query had produced it.
  void queue_reply(ModelReply r) {
    std::lock_guard g(m_);
    reply_ = std::move(r);
    reply_pos_ = 0;
    has_reply_ = true;
    serve_request_locked();
    cv_.notify_all();
  }
  /// The device requests service: STB gets RQS (0x40) and an SRQ notification is queued.
  void request_service(std::uint8_t stb) {
    std::lock_guard g(m_);
    stb_ = stb | 0x40;
    if (cfg_.info.interrupt_in) interrupts_.push_back({std::byte{0x81}, std::byte{stb_}});
    cv_.notify_all();
  }
  /// The device sends an interrupt-IN packet of its own (e.g. a vendor-specific notification:
  /// bNotify1 bit 7 clear, USBTMC 1.0 §3.4).
  void send_interrupt(std::vector<std::byte> packet) {
    std::lock_guard g(m_);
    if (cfg_.info.interrupt_in) interrupts_.push_back(std::move(packet));
    cv_.notify_all();
  }
  void set_stb(std::uint8_t stb) {
    std::lock_guard g(m_);
    stb_ = stb;
  }
  /// Bulk-OUT NAKs (the device accepts nothing) until the host aborts Bulk-OUT.
  void block_bulk_out() {
    std::lock_guard g(m_);
    out_blocked_ = true;
  }
  /// Bulk-IN halts (the device stalls it) until the host clears the halt.
  void halt_bulk_in() {
    std::lock_guard g(m_);
    halted_in_ = true;
    cv_.notify_all();
  }
  void unplug() {
    std::lock_guard g(m_);
    gone_ = true;
    cv_.notify_all();
  }

  // Observations.
  struct Stats {
    std::size_t bulk_out_transfers = 0, bulk_in_transfers = 0, requests = 0, max_request = 0;
    std::size_t triggers = 0, clears = 0, aborts_in = 0, aborts_out = 0, tag_errors = 0, padding_errors = 0;
    std::size_t clear_halts = 0, status_byte_reads = 0, bytes_out = 0;
    bool ren = false, remote = false, llo = false;
    std::size_t indicator_pulses = 0;
    std::vector<std::string> messages;  ///< complete messages received (each capped at 4 KB)
    std::vector<std::optional<std::byte>> termchars;  ///< TermChar of each request
  };
  Stats stats() const {
    std::lock_guard g(m_);
    return stats_;
  }

  // ---------------------------------------------------------------- device-side entry points
  /// One Bulk-OUT transfer arrived on `endpoint`.
  Result bulk_out(std::uint8_t endpoint, std::span<const std::byte> data) {
    std::lock_guard g(m_);
    if (gone_) return Result::gone;
    if (endpoint != cfg_.info.bulk_out || halted_out_) return Result::stall;
    if (out_blocked_) return Result::nak;
    ++stats_.bulk_out_transfers;
    using namespace cppvisa::usbtmc;
    if (data.size() < header_size || (data[2] != ~data[1]) || data[1] == std::byte{0}) {
      halted_out_ = true;  // USBTMC 1.0 §3.2.2.3: a bad header halts Bulk-OUT
      return Result::stall;
    }
    const auto tag = static_cast<std::uint8_t>(data[1]);
    const std::uint8_t expected = last_tag_ == 255 ? 1 : static_cast<std::uint8_t>(last_tag_ + 1);
    if (last_tag_ != 0 && tag != expected) ++stats_.tag_errors;
    last_tag_ = tag;
    const auto id = static_cast<std::uint8_t>(data[0]);
    const std::uint32_t size = load_le32(&data[4]);
    if (id == msg::dev_dep_msg_out) {
      if (data.size() != header_size + size + padding(size)) ++stats_.padding_errors;
      if (data.size() < header_size + size) {
        halted_out_ = true;
        return Result::stall;
      }
      out_tag_ = tag;
      input_.append(reinterpret_cast<const char*>(data.data() + header_size), size);
      stats_.bytes_out += size;
      if ((static_cast<std::uint8_t>(data[8]) & 1) != 0) {
        std::string message = std::move(input_);
        input_.clear();
        stats_.messages.push_back(message.substr(0, 4096));
        if (auto r = respond_ ? respond_(message) : std::nullopt) {
          reply_ = std::move(*r);
          reply_pos_ = 0;
          has_reply_ = true;
        }
        serve_request_locked();
      }
    } else if (id == msg::request_dev_dep_msg_in) {
      if (data.size() != header_size) ++stats_.padding_errors;
      ++stats_.requests;
      stats_.max_request = std::max<std::size_t>(stats_.max_request, size);
      request_ = Request{tag, size, (static_cast<std::uint8_t>(data[8]) & 2) ? std::optional(data[9]) : std::nullopt};
      stats_.termchars.push_back(request_->termchar);
      serve_request_locked();
    } else if (id == msg::trigger && cfg_.usb488) {
      ++stats_.triggers;
    } else {
      halted_out_ = true;
      return Result::stall;
    }
    cv_.notify_all();
    return Result::ok;
  }

  /// The host asks for up to `max` bytes on `endpoint`; ok with `out` filled (possibly empty: a
  /// zero-length packet), nak (nothing to send yet), stall or gone. USB semantics: a transfer
  /// ends with a short packet, or a zero-length one when its length is a multiple of
  /// wMaxPacketSize and the host asked for more.
  Result bulk_in(std::uint8_t endpoint, std::size_t max, std::vector<std::byte>& out) {
    std::lock_guard g(m_);
    out.clear();
    if (gone_) return Result::gone;
    if (endpoint != cfg_.info.bulk_in || halted_in_) return Result::stall;
    if (!tx_) return Result::nak;
    const std::size_t mps = cfg_.info.bulk_in_max_packet;
    Tx& t = *tx_;
    std::size_t left = t.total() - t.pos;
    if (cfg_.split_without_header && left > 0) {
      // Rigol behaviour: the message goes on in further transfers without a header (each ends
      // with a short packet: split_without_header must not be a multiple of wMaxPacketSize).
      const std::size_t k = cfg_.split_without_header;
      const std::size_t seg_end =
          t.pos < t.header_len ? t.header_len + k : t.header_len + ((t.pos - t.header_len) / k + 1) * k;
      left = std::min(left, seg_end - t.pos);
    }
    if (left == 0) {  // only the terminating zero-length packet is left
      tx_.reset();
      ++stats_.bulk_in_transfers;
      finish_abort_locked();
      cv_.notify_all();
      return Result::ok;
    }
    std::size_t n = left;
    if (max < left) {
      n = (max / mps) * mps;  // whole packets only: a host buffer that ends mid-packet overflows
      if (n == 0) return Result::stall;
    }
    out.resize(n);
    t.read(out, cfg_);
    bool done = t.pos == t.total();
    if (cfg_.split_without_header && !done && n == left) {
      ++stats_.bulk_in_transfers;  // one segment ended with its short packet
      cv_.notify_all();
      return Result::ok;
    }
    if (done && n == left && (t.total() % mps != 0 || max > n)) {
      tx_.reset();  // ended by a short packet, or by the ZLP the host's larger buffer took
    }
    if (done && tx_) {
      // The host's buffer ended exactly at a packet boundary: the ZLP stays for the next transfer.
    }
    if (!tx_) {
      ++stats_.bulk_in_transfers;
      finish_abort_locked();
    }
    cv_.notify_all();
    return Result::ok;
  }

  /// A control transfer. For IN requests `buffer` receives up to wLength bytes (`length` set);
  /// for OUT requests it holds the data.
  Result control(std::uint8_t type, std::uint8_t req, std::uint16_t value, std::uint16_t index,
                 std::span<std::byte> buffer, std::size_t& length) {
    std::lock_guard g(m_);
    using namespace cppvisa::usbtmc;
    length = 0;
    if (gone_) return Result::gone;
    auto reply = [&](std::initializer_list<std::uint8_t> bytes) {
      std::size_t i = 0;
      for (std::uint8_t b : bytes) {
        if (i >= buffer.size()) break;
        buffer[i++] = std::byte{b};
      }
      length = i;
      return Result::ok;
    };
    const std::uint8_t ifc = cfg_.info.interface_number;
    if (type == 0x02 && req == std_request_clear_feature && value == feature_endpoint_halt) {
      ++stats_.clear_halts;
      if (index == cfg_.info.bulk_out) halted_out_ = false;
      else if (index == cfg_.info.bulk_in) halted_in_ = false;
      else return Result::stall;
      return Result::ok;
    }
    if (type == 0xC1 && req == 0x02 && index == ifc) {  // vendor: read back what 0x41/0x01 stored
      std::size_t n = std::min(buffer.size(), vendor_.size());
      if (n) std::memcpy(buffer.data(), vendor_.data(), n);
      length = n;
      return Result::ok;
    }
    if (type == 0x41 && req == 0x01 && index == ifc) {
      vendor_.assign(buffer.begin(), buffer.end());
      return Result::ok;
    }
    if (type == request_type_in_interface && index == ifc) {
      switch (req) {
        case request::get_capabilities: {
          std::uint8_t ifc_caps = cfg_.indicator_pulse ? 0x04 : 0;
          std::uint8_t dev_caps = cfg_.termchar_capable ? 0x01 : 0;
          if (!cfg_.usb488) return reply({ctrl_status::success, 0, 0x00, 0x01, ifc_caps, dev_caps, 0, 0, 0, 0, 0, 0});
          std::uint8_t i488 = 0x04 | (cfg_.ren_capable ? 0x02 : 0) | (cfg_.trigger_capable ? 0x01 : 0);
          std::uint8_t d488 = 0x08 | (cfg_.sr1 ? 0x04 : 0) | (cfg_.ren_capable ? 0x02 : 0) | (cfg_.trigger_capable ? 0x01 : 0);
          return reply({ctrl_status::success, 0, 0x00, 0x01, ifc_caps, dev_caps, 0, 0, 0, 0, 0, 0, 0x00, 0x01, i488,
                        d488, 0, 0, 0, 0, 0, 0, 0, 0});
        }
        case request::initiate_clear:
          ++stats_.clears;
          input_.clear();
          has_reply_ = false;
          request_.reset();
          clear_polls_ = cfg_.clear_pending_polls;
          clearing_ = true;
          if (tx_) tx_->truncate(cfg_.info.bulk_in_max_packet);  // the host drains what is in flight
          return reply({ctrl_status::success});
        case request::check_clear_status: {
          if (!clearing_) return reply({ctrl_status::success, 0});
          if (clear_polls_ > 0 || tx_) {
            if (clear_polls_ > 0) --clear_polls_;
            return reply({ctrl_status::pending, static_cast<std::uint8_t>(tx_ ? 1 : 0)});
          }
          clearing_ = false;
          return reply({ctrl_status::success, 0});
        }
        case request::indicator_pulse:
          if (!cfg_.indicator_pulse) return Result::stall;
          ++stats_.indicator_pulses;
          return reply({ctrl_status::success});
        case request::read_status_byte: {
          if (!cfg_.usb488) return Result::stall;
          ++stats_.status_byte_reads;
          const std::uint8_t tag = static_cast<std::uint8_t>(value & 0x7F);
          const std::uint8_t stb = stb_;
          stb_ &= ~0x40;  // IEEE 488.1 serial poll clears RQS
          if (cfg_.info.interrupt_in) {
            interrupts_.push_back({std::byte{static_cast<std::uint8_t>(0x80 | tag)}, std::byte{stb}});
            cv_.notify_all();
            return reply({ctrl_status::success, tag, 0});
          }
          return reply({ctrl_status::success, tag, stb});
        }
        case request::ren_control:
          if (!cfg_.usb488 || !cfg_.ren_capable) return Result::stall;
          stats_.ren = (value & 0xFF) != 0;
          if (!stats_.ren) stats_.remote = false, stats_.llo = false;
          return reply({ctrl_status::success});
        case request::go_to_local:
          if (!cfg_.usb488 || !cfg_.ren_capable) return Result::stall;
          stats_.remote = false;
          return reply({ctrl_status::success});
        case request::local_lockout:
          if (!cfg_.usb488 || !cfg_.ren_capable) return Result::stall;
          stats_.llo = true;
          return reply({ctrl_status::success});
        default:
          return Result::stall;
      }
    }
    if (type == request_type_in_endpoint) {
      switch (req) {
        case request::initiate_abort_bulk_in: {
          if (index != cfg_.info.bulk_in) return Result::stall;
          const auto tag = static_cast<std::uint8_t>(value & 0xFF);
          const bool active = (tx_ && tx_->tag == tag) || (request_ && request_->tag == tag);
          if (!active) return reply({tx_ || request_ ? ctrl_status::failed : ctrl_status::transfer_not_in_progress, tag});
          ++stats_.aborts_in;
          request_.reset();
          has_reply_ = false;
          aborting_in_ = true;
          if (tx_) {
            tx_->truncate(cfg_.info.bulk_in_max_packet);
          } else {
            // USBTMC 1.0 §4.2.1.4: the device ends the aborted transfer with a short packet.
            Tx zlp;
            zlp.tag = tag;
            zlp.header_len = 0;
            tx_ = std::move(zlp);
          }
          cv_.notify_all();
          return reply({ctrl_status::success, tag});
        }
        case request::check_abort_bulk_in_status:
          if (index != cfg_.info.bulk_in) return Result::stall;
          if (tx_) return reply({ctrl_status::pending, 1, 0, 0, 0, 0, 0, 0});
          aborting_in_ = false;
          return reply({ctrl_status::success, 0, 0, 0, 0, 0, 0, 0});
        case request::initiate_abort_bulk_out: {
          if (index != cfg_.info.bulk_out) return Result::stall;
          const auto tag = static_cast<std::uint8_t>(value & 0xFF);
          if (!out_blocked_ && input_.empty()) return reply({ctrl_status::transfer_not_in_progress, tag});
          ++stats_.aborts_out;
          out_blocked_ = false;
          input_.clear();
          halted_out_ = true;  // the host clears the halt after CHECK_ABORT_BULK_OUT_STATUS
          cv_.notify_all();
          return reply({ctrl_status::success, tag});
        }
        case request::check_abort_bulk_out_status:
          if (index != cfg_.info.bulk_out) return Result::stall;
          return reply({ctrl_status::success, 0, 0, 0, 0, 0, 0, 0});
        default:
          return Result::stall;
      }
    }
    return Result::stall;
  }

  /// The host polls interrupt-IN: ok with a notification, or nak.
  Result interrupt_in(std::uint8_t endpoint, std::vector<std::byte>& out) {
    std::lock_guard g(m_);
    out.clear();
    if (gone_) return Result::gone;
    if (!cfg_.info.interrupt_in || endpoint != cfg_.info.interrupt_in) return Result::stall;
    if (interrupts_.empty()) return Result::nak;
    out = interrupts_.front();
    interrupts_.pop_front();
    return Result::ok;
  }

  /// A counter that changes whenever the device state changes (for transports that block).
  std::uint64_t generation() const {
    std::lock_guard g(m_);
    return generation_;
  }
  /// Waits until generation() differs from `seen` or `until`.
  void wait_change(std::uint64_t seen, std::chrono::steady_clock::time_point until) {
    std::unique_lock l(m_);
    cond_.wait_until(l, until, [&] { return gone_ || generation_ != seen; });
  }

 private:
  struct Request {
    std::uint8_t tag;
    std::uint32_t max;
    std::optional<std::byte> termchar;
  };
  // One Bulk-IN transfer being sent: header, data (generated from the reply), padding, extras.
  struct Tx {
    std::uint8_t tag = 0;
    std::array<std::byte, 12> header{};
    std::size_t data_len = 0, reply_offset = 0, pad = 0, extra = 0, pos = 0, header_len = 12;
    std::function<void(std::size_t, std::span<std::byte>)> fill;
    std::size_t total() const { return header_len + data_len + pad + extra; }
    void read(std::span<std::byte> out, const Config&) {
      for (std::size_t i = 0; i < out.size();) {
        const std::size_t at = pos;
        if (at < header_len) {
          std::size_t n = std::min(out.size() - i, header_len - at);
          std::memcpy(out.data() + i, header.data() + at, n);
          i += n, pos += n;
        } else if (at < header_len + data_len) {
          std::size_t n = std::min(out.size() - i, header_len + data_len - at);
          fill(reply_offset + (at - header_len), out.subspan(i, n));
          i += n, pos += n;
        } else {
          out[i++] = std::byte{0xEE};
          ++pos;
        }
      }
    }
    // End the transfer at the end of the packet in progress (abort / clear).
    void truncate(std::size_t mps) {
      std::size_t end = ((pos + mps - 1) / mps) * mps;
      if (end > total()) end = total();
      std::size_t cut = total() - end;
      std::size_t from_extra = std::min(cut, extra);
      extra -= from_extra, cut -= from_extra;
      std::size_t from_pad = std::min(cut, pad);
      pad -= from_pad, cut -= from_pad;
      data_len -= std::min(cut, data_len);
    }
  };

  void serve_request_locked() {
    using namespace cppvisa::usbtmc;
    if (tx_ || !request_ || !has_reply_ || cfg_.never_answer) return;
    Request r = *request_;
    request_.reset();
    std::size_t n = std::min<std::size_t>(r.max, reply_.size - reply_pos_);
    if (cfg_.max_transfer) n = std::min(n, cfg_.max_transfer);
    bool termchar_hit = false;
    if (r.termchar && cfg_.termchar_capable && n > 0) {
      // Ends the transfer at the first TermChar (USBTMC 1.0 §3.3.1.1 Table 9, D1). Scans in
      // chunks so that a 100 MB reply is never materialised.
      std::vector<std::byte> chunk(64 * 1024);
      for (std::size_t off = 0; off < n; off += chunk.size()) {
        std::size_t m = std::min(chunk.size(), n - off);
        reply_.fill(reply_pos_ + off, std::span(chunk.data(), m));
        if (auto* p = std::memchr(chunk.data(), static_cast<int>(*r.termchar), m)) {
          n = off + (static_cast<std::byte*>(p) - chunk.data()) + 1;
          termchar_hit = true;
          break;
        }
      }
    }
    Tx t;
    t.tag = cfg_.wrong_tag ? static_cast<std::uint8_t>(r.tag + 1) : r.tag;
    t.data_len = n;
    t.reply_offset = reply_pos_;
    t.pad = padding(n);
    t.extra = cfg_.extra_bytes ? 64 : 0;
    t.fill = reply_.fill;
    reply_pos_ += n;
    const bool eom = reply_pos_ == reply_.size;
    if (eom) has_reply_ = false;
    t.header[0] = std::byte{msg::dev_dep_msg_in};
    t.header[1] = std::byte{t.tag};
    t.header[2] = static_cast<std::byte>(~t.tag);
    store_le32(&t.header[4], cfg_.lie_size ? 0xFFFFFFF0u : static_cast<std::uint32_t>(n));
    t.header[8] = std::byte{static_cast<std::uint8_t>((eom ? 1 : 0) | (termchar_hit ? 2 : 0))};
    if (cfg_.truncated_header) {
      t.header_len = 5;
      t.data_len = 0, t.pad = 0, t.extra = 0;
    }
    tx_ = std::move(t);
  }
  // A transfer ended: the next queued request (if any) can be answered.
  void finish_abort_locked() {
    aborting_in_ = false;
    serve_request_locked();
  }
  // Every state change goes through here so that blocked transports wake up.
  struct Notifier {
    std::condition_variable& cv;
    std::uint64_t& gen;
    void notify_all() {
      ++gen;
      cv.notify_all();
    }
  };

  mutable std::mutex m_;
  std::condition_variable cond_;
  std::uint64_t generation_ = 0;
  Notifier cv_{cond_, generation_};
  Config cfg_;
  std::function<std::optional<ModelReply>(const std::string&)> respond_;
  Stats stats_;
  std::string input_;
  ModelReply reply_;
  std::size_t reply_pos_ = 0;
  bool has_reply_ = false;
  std::optional<Request> request_;
  std::optional<Tx> tx_;
  std::deque<std::vector<std::byte>> interrupts_;
  std::vector<std::byte> vendor_;
  std::uint8_t last_tag_ = 0, out_tag_ = 0, stb_ = 0;
  bool halted_in_ = false, halted_out_ = false, out_blocked_ = false, gone_ = false;
  bool clearing_ = false, aborting_in_ = false;
  int clear_polls_ = 0;
};

/// The model behind the core transport interface: blocks (until the deadline) where a real host
/// controller would keep retrying a NAKed endpoint.
class ModelTransport : public cppvisa::usbtmc::UsbTransport {
 public:
  explicit ModelTransport(std::shared_ptr<UsbtmcDeviceModel> m) : model_(std::move(m)), info_(model_->config().info) {}
  const cppvisa::usbtmc::UsbDeviceInfo& info() const override { return info_; }

  status_t bulk_out(std::uint8_t ep, std::span<const std::byte> data, core::Deadline d, std::size_t& sent) override {
    sent = 0;
    for (;;) {
      const auto seen = model_->generation();
      auto r = model_->bulk_out(ep, data);
      if (r == UsbtmcDeviceModel::Result::ok) {
        sent = data.size();
        return status::SUCCESS;
      }
      if (r != UsbtmcDeviceModel::Result::nak) return map(r);
      if (!wait(d, seen)) return status::ERROR_TMO;
    }
  }
  status_t bulk_in(std::uint8_t ep, std::span<std::byte> buffer, core::Deadline d, std::size_t& received) override {
    received = 0;
    for (;;) {
      const auto seen = model_->generation();
      auto r = model_->bulk_in(ep, buffer.size(), scratch_in_);
      if (r == UsbtmcDeviceModel::Result::ok) {
        if (!scratch_in_.empty()) std::memcpy(buffer.data(), scratch_in_.data(), scratch_in_.size());
        received = scratch_in_.size();
        return status::SUCCESS;
      }
      if (r != UsbtmcDeviceModel::Result::nak) return map(r);
      if (!wait(d, seen)) return status::ERROR_TMO;
    }
  }
  status_t interrupt_in(std::uint8_t ep, std::span<std::byte> buffer, core::Deadline d, std::size_t& received) override {
    received = 0;
    std::vector<std::byte> out;
    for (;;) {
      const auto seen = model_->generation();
      auto r = model_->interrupt_in(ep, out);
      if (r == UsbtmcDeviceModel::Result::ok) {
        received = std::min(out.size(), buffer.size());
        std::memcpy(buffer.data(), out.data(), received);
        return status::SUCCESS;
      }
      if (r != UsbtmcDeviceModel::Result::nak) return map(r);
      if (!wait(d, seen)) return status::ERROR_TMO;
    }
  }
  status_t control_in(std::uint8_t type, std::uint8_t req, std::uint16_t value, std::uint16_t index,
                      std::span<std::byte> buffer, core::Deadline, std::size_t& received) override {
    auto r = model_->control(type, req, value, index, buffer, received);
    return map(r);
  }
  status_t control_out(std::uint8_t type, std::uint8_t req, std::uint16_t value, std::uint16_t index,
                       std::span<const std::byte> data, core::Deadline) override {
    std::vector<std::byte> copy(data.begin(), data.end());
    std::size_t n = 0;
    return map(model_->control(type, req, value, index, copy, n));
  }
  status_t clear_halt(std::uint8_t ep, core::Deadline d) override {
    std::size_t n = 0;
    return control_out_std(ep, d, n);
  }

 private:
  status_t control_out_std(std::uint8_t ep, core::Deadline, std::size_t& n) {
    std::span<std::byte> none;
    return map(model_->control(0x02, usbtmc::std_request_clear_feature, usbtmc::feature_endpoint_halt, ep, none, n));
  }
  static status_t map(UsbtmcDeviceModel::Result r) {
    switch (r) {
      case UsbtmcDeviceModel::Result::ok: return status::SUCCESS;
      case UsbtmcDeviceModel::Result::gone: return status::ERROR_CONN_LOST;
      case UsbtmcDeviceModel::Result::stall: return status::ERROR_IO;
      case UsbtmcDeviceModel::Result::nak: return status::ERROR_TMO;
    }
    return status::ERROR_IO;
  }
  // Waits for a device change or the deadline; false when the deadline has passed.
  bool wait(core::Deadline d, std::uint64_t seen) {
    if (d.expired()) return false;
    model_->wait_change(seen, d.infinite() ? std::chrono::steady_clock::now() + std::chrono::hours(1) : d.when());
    return true;
  }
  std::shared_ptr<UsbtmcDeviceModel> model_;
  cppvisa::usbtmc::UsbDeviceInfo info_;
  std::vector<std::byte> scratch_in_;
};

}  // namespace cppvisa::testing
