#include "protocols/usbtmc/usbtmc_session.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

namespace cppvisa::usbtmc {
namespace {

constexpr int kMaxPolls = 1000;  // CHECK_*_STATUS polls before giving up (the kernel allows ~100 reads)

// A short bound for work that only finishes a transfer already ended (a zero-length packet that
// may or may not come).
core::Deadline soon(core::Deadline d, int ms) {
  return core::Deadline::earliest(d, core::Deadline::after_ms(static_cast<std::uint32_t>(ms)));
}

void pause(int attempt, core::Deadline d) {
  auto step = std::chrono::milliseconds(std::min(1 << std::min(attempt, 4), 10));
  std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(step, d.remaining()));
}

}  // namespace

UsbtmcSession::UsbtmcSession(const ResourceName& name, TransportOpener opener, SessionOptions options)
    : Session(name, {event::service_request, event::usb_interrupt}), opener_(std::move(opener)), options_(options) {}

UsbtmcSession::~UsbtmcSession() { disconnect(); }

status_t UsbtmcSession::lost(status_t st) noexcept {
  if (st == status::ERROR_CONN_LOST) lost_ = true;
  return st;
}

status_t UsbtmcSession::connect(core::Deadline deadline) {
  status_t st = status::SUCCESS;
  if (!opener_) return status::ERROR_RSRC_NFOUND;
  transport_ = opener_(name(), deadline, st);
  if (!transport_) return st < 0 ? st : status::ERROR_RSRC_NFOUND;
  info_ = transport_->info();
  if (!info_.bulk_in || !info_.bulk_out) {
    transport_.reset();
    return status::ERROR_RSRC_NFOUND;  // not a USBTMC interface: both bulk endpoints are required
  }
  std::size_t mps = std::max<std::size_t>(info_.bulk_in_max_packet, 1);
  std::size_t rx = std::max(options_.rx_buffer, mps);
  rx_.resize((rx + mps - 1) / mps * mps);

  std::array<std::byte, 0x18> caps{};
  std::size_t n = 0;
  st = class_request(request::get_capabilities, 0, caps, deadline, n);
  if (st == status::ERROR_CONN_LOST || st == status::ERROR_TMO) {
    transport_.reset();
    return st;
  }
  if (st < 0 || parse_capabilities(std::span(caps.data(), n), caps_) < 0) caps_ = Capabilities{};

  define(attr::MANF_ID, static_cast<std::int64_t>(info_.vendor_id));
  define(attr::MODEL_CODE, static_cast<std::int64_t>(info_.product_id));
  define(attr::MANF_NAME, info_.manufacturer);
  define(attr::MODEL_NAME, info_.product);
  define(attr::USB_SERIAL_NUM, info_.serial);
  define(attr::USB_INTFC_NUM, static_cast<std::int64_t>(info_.interface_number));
  define(attr::USB_PROTOCOL, static_cast<std::int64_t>(info_.interface_protocol));
  define(attr::USB_MAX_INTR_SIZE, static_cast<std::int64_t>(info_.interrupt_max_packet));
  define(attr::IS_4882_COMPLIANT, std::int64_t{caps_.usb4882 ? 1 : 0});

  if (options_.identify) {
    if (st = identify(deadline); st < 0) {
      transport_.reset();
      return st;
    }
  }
  if (options_.clear_on_open) {
    if (st = clear(deadline); st < 0) {
      transport_.reset();
      return st;
    }
  }
  if (info_.interrupt_in) {
    stop_ = false;
    interrupt_thread_ = std::thread([this] { interrupt_loop(); });
  }
  return status::SUCCESS;
}

void UsbtmcSession::disconnect() {
  stop_ = true;
  if (interrupt_thread_.joinable()) interrupt_thread_.join();
  transport_.reset();
}

// ---------------------------------------------------------------------------------- interrupt-IN

std::shared_ptr<core::Event> usb_interrupt_event(std::span<const std::byte> packet) {
  auto e = std::make_shared<core::Event>(event::usb_interrupt);
  e->attributes[attr::STATUS] = std::int64_t{status::SUCCESS};
  e->attributes[attr::USB_RECV_INTR_SIZE] = static_cast<std::int64_t>(packet.size());
  e->attributes[attr::USB_RECV_INTR_DATA] = std::string(reinterpret_cast<const char*>(packet.data()), packet.size());
  return e;
}

void UsbtmcSession::interrupt_loop() {
  std::vector<std::byte> buf(std::max<std::size_t>(info_.interrupt_max_packet, 2));
  int errors = 0;
  while (!stop_) {
    std::size_t n = 0;
    // Short waits so that close never waits long for this thread.
    status_t st = transport_->interrupt_in(info_.interrupt_in, buf, core::Deadline::after_ms(100), n);
    if (st == status::ERROR_TMO) continue;
    if (st == status::ERROR_CONN_LOST || st == status::ERROR_NSUP_OPER || ++errors > 100) {
      std::lock_guard g(stb_mutex_);
      interrupt_lost_ = true;
      stb_cv_.notify_all();
      return;
    }
    if (st < 0) {
      transport_->clear_halt(info_.interrupt_in, core::Deadline::after_ms(100));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    errors = 0;
    Notification note;
    if (!parse_notification(std::span(buf.data(), n), note) || note.kind == Notification::other) {
      // USBTMC 1.0 §3.4: bNotify1 with D7 = 0 is vendor specific; VISA reports such packets on
      // USB INSTR as VI_EVENT_USB_INTR with the packet (as on USB RAW).
      raise_event(usb_interrupt_event(std::span(buf.data(), n)));
      continue;
    }
    if (note.kind == Notification::srq) {
      raise_event(std::make_shared<core::Event>(event::service_request));
    } else if (note.kind == Notification::status_byte) {
      std::lock_guard g(stb_mutex_);
      stb_answers_[note.tag] = note.stb;
      stb_cv_.notify_all();
    }
  }
}

// ---------------------------------------------------------------------------------- control

status_t UsbtmcSession::class_request(std::uint8_t req, std::uint16_t value, std::span<std::byte> response,
                                      core::Deadline deadline, std::size_t& received) {
  received = 0;
  const bool to_endpoint = req >= request::initiate_abort_bulk_out && req <= request::check_abort_bulk_in_status;
  const std::uint16_t index =
      !to_endpoint ? info_.interface_number
      : (req <= request::check_abort_bulk_out_status ? info_.bulk_out : info_.bulk_in);
  return lost(transport_->control_in(to_endpoint ? request_type_in_endpoint : request_type_in_interface, req, value,
                                     index, response, deadline, received));
}

status_t UsbtmcSession::simple_request(std::uint8_t req, std::uint16_t value, core::Deadline deadline) {
  std::array<std::byte, 1> r{};
  std::size_t n = 0;
  if (status_t st = class_request(req, value, r, deadline, n); st < 0) return st;
  if (n < 1 || r[0] != std::byte{ctrl_status::success}) return status::ERROR_IO;
  return status::SUCCESS;
}

// ---------------------------------------------------------------------------------- aborts

status_t UsbtmcSession::drain_bulk_in(core::Deadline deadline, int max_transfers) {
  // Reads and discards Bulk-IN until a transfer ends with a short (or zero-length) packet.
  for (int i = 0; i < max_transfers; ++i) {
    std::size_t n = 0;
    status_t st = lost(transport_->bulk_in(info_.bulk_in, rx_, deadline, n));
    if (st < 0) return st;
    if (n < rx_.size()) return status::SUCCESS;
  }
  return status::ERROR_IO;
}

status_t UsbtmcSession::abort_bulk_in(std::uint8_t tag, core::Deadline deadline) {
  // USBTMC 1.0 §4.2.1.4-5: INITIATE_ABORT_BULK_IN, then read Bulk-IN until a short packet, then
  // CHECK_ABORT_BULK_IN_STATUS while PENDING (reading again while bmAbortBulkIn D0 says so).
  ++counters_.aborts_in;
  std::array<std::byte, 8> r{};
  std::size_t n = 0;
  status_t st = class_request(request::initiate_abort_bulk_in, tag, std::span(r.data(), 2), deadline, n);
  if (st == status::ERROR_IO) {
    // The device stalls the request (not supported): clear the endpoint and hope.
    return lost(transport_->clear_halt(info_.bulk_in, deadline));
  }
  if (st < 0) return st;
  InitiateResponse init;
  if (!parse_initiate(std::span(r.data(), n), init)) return status::ERROR_IO;
  // FAILED / TRANSFER_NOT_IN_PROGRESS: nothing of that tag in flight, nothing to abort.
  if (init.status != ctrl_status::success) return status::SUCCESS;
  if (st = drain_bulk_in(deadline, 64); st < 0) return st;
  for (int i = 0; i < kMaxPolls; ++i) {
    if (st = class_request(request::check_abort_bulk_in_status, 0, r, deadline, n); st < 0) return st;
    CheckAbortResponse check;
    if (!parse_check_abort(std::span(r.data(), n), check)) return status::ERROR_IO;
    if (check.status != ctrl_status::pending) return status::SUCCESS;
    if (check.more_data) {
      if (st = drain_bulk_in(deadline, 64); st < 0) return st;
    } else {
      pause(i, deadline);
    }
    if (deadline.expired()) return status::ERROR_TMO;
  }
  return status::ERROR_IO;
}

status_t UsbtmcSession::abort_bulk_out(std::uint8_t tag, core::Deadline deadline) {
  // USBTMC 1.0 §4.2.1.2-3: INITIATE_ABORT_BULK_OUT, CHECK_ABORT_BULK_OUT_STATUS while PENDING,
  // then CLEAR_FEATURE(ENDPOINT_HALT) on Bulk-OUT.
  ++counters_.aborts_out;
  std::array<std::byte, 8> r{};
  std::size_t n = 0;
  status_t st = class_request(request::initiate_abort_bulk_out, tag, std::span(r.data(), 2), deadline, n);
  if (st == status::ERROR_IO) return lost(transport_->clear_halt(info_.bulk_out, deadline));
  if (st < 0) return st;
  InitiateResponse init;
  if (!parse_initiate(std::span(r.data(), n), init)) return status::ERROR_IO;
  if (init.status == ctrl_status::success) {
    for (int i = 0;; ++i) {
      if (i == kMaxPolls) return status::ERROR_IO;
      if (st = class_request(request::check_abort_bulk_out_status, 0, r, deadline, n); st < 0) return st;
      CheckAbortResponse check;
      if (!parse_check_abort(std::span(r.data(), n), check)) return status::ERROR_IO;
      if (check.status != ctrl_status::pending) break;
      pause(i, deadline);
      if (deadline.expired()) return status::ERROR_TMO;
    }
  }
  return lost(transport_->clear_halt(info_.bulk_out, deadline));
}

status_t UsbtmcSession::run_pending(core::Deadline deadline) {
  if (lost_ || !transport_) return status::ERROR_CONN_LOST;
  if (abort_out_due_) {
    if (status_t st = abort_bulk_out(*abort_out_due_, deadline); st < 0) return st;
    abort_out_due_.reset();
  }
  if (abort_in_due_) {
    if (status_t st = abort_bulk_in(*abort_in_due_, deadline); st < 0) return st;
    abort_in_due_.reset();
  }
  return status::SUCCESS;
}

// ---------------------------------------------------------------------------------- read

void UsbtmcSession::drop_transfer() noexcept {
  if (request_open_ && !(header_seen_ && data_left_ == 0 && rx_short_)) abort_in_due_ = request_tag_;
  request_open_ = false;
  header_seen_ = false;
  rx_pos_ = rx_len_ = 0;
  rx_short_ = true;
  drain_before_request_ = false;
}

status_t UsbtmcSession::send_request(std::uint32_t room, core::Deadline deadline) {
  if (drain_before_request_) {
    // The previous transfer ended exactly at the end of our buffer: its zero-length packet (or
    // extra bytes a device put after the padding) must go before the next header is read.
    drain_before_request_ = false;
    status_t st = drain_bulk_in(soon(deadline, 50), 4);
    if (st < 0 && st != status::ERROR_TMO) return st;
  }
  std::uint32_t ask = std::clamp(std::max(room, options_.min_request), std::uint32_t{1}, options_.max_request);
  const std::uint8_t tag = tags_.next();
  auto header = request_dev_dep_msg_in(tag, ask, termchar_request_ ? termchar_ : std::nullopt);
  std::size_t sent = 0;
  status_t st = lost(transport_->bulk_out(info_.bulk_out, header, deadline, sent));
  ++counters_.bulk_out_transfers;
  if (st < 0) {
    if (st == status::ERROR_TMO && sent > 0) abort_out_due_ = tag;
    if (st == status::ERROR_IO) transport_->clear_halt(info_.bulk_out, deadline);
    return st;
  }
  ++counters_.requests;
  request_open_ = true;
  header_seen_ = false;
  request_tag_ = tag;
  requested_ = ask;
  rx_pos_ = rx_len_ = 0;
  rx_short_ = false;
  return status::SUCCESS;
}

status_t UsbtmcSession::fill_rx(core::Deadline deadline) {
  std::size_t n = 0;
  status_t st = lost(transport_->bulk_in(info_.bulk_in, rx_, deadline, n));
  if (st < 0) return st;
  ++counters_.bulk_in_transfers;
  rx_pos_ = 0;
  rx_len_ = n;
  rx_short_ = n < rx_.size();
  return status::SUCCESS;
}

status_t UsbtmcSession::receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) {
  count = 0;
  end = false;
  for (;;) {
    if (!request_open_) {
      const auto room = static_cast<std::uint32_t>(std::min<std::size_t>(buffer.size(), options_.max_request));
      if (status_t st = send_request(room, deadline); st < 0) return st;
    }
    if (rx_pos_ == rx_len_) {
      if (header_seen_ && rx_short_ && !options_.headerless_continuation) {
        // The device ended the transfer before TransferSize bytes: a short transfer is a
        // protocol error (USBTMC 1.0 §3.3: the transfer holds header, TransferSize bytes, padding).
        // With the Rigol quirk the data go on in the next transfers without a header.
        drop_transfer();
        return status::ERROR_IO;
      }
      status_t st = fill_rx(deadline);
      if (st == status::ERROR_TMO) {
        drop_transfer();  // the request stays in the device: abort it before the next command
        return st;
      }
      if (st < 0) {
        if (st == status::ERROR_IO) {
          transport_->clear_halt(info_.bulk_in, deadline);
          drop_transfer();
        }
        return st;
      }
      if (rx_len_ == 0 && !header_seen_) continue;  // a zero-length packet ending an earlier transfer
    }
    if (!header_seen_) {
      HeaderChecks checks;
      checks.check_tag = !options_.accept_wrong_tag;
      checks.check_msg_id = !options_.accept_wrong_msg_id;
      BulkInHeader h;
      HeaderError e = parse_bulk_in_header(std::span(rx_.data() + rx_pos_, rx_len_ - rx_pos_), request_tag_,
                                           requested_, h, checks);
      if (e != HeaderError::none) {
        // Refused: the rest of whatever the device sends for it is aborted before the next command.
        abort_in_due_ = request_tag_;
        request_open_ = false;
        rx_pos_ = rx_len_ = 0;
        return status::ERROR_IO;
      }
      header_seen_ = true;
      data_left_ = h.transfer_size;
      eom_ = h.eom;
      rx_pos_ += header_size;
    }
    std::size_t take = std::min<std::size_t>({data_left_, rx_len_ - rx_pos_, buffer.size() - count});
    std::memcpy(buffer.data() + count, rx_.data() + rx_pos_, take);
    count += take;
    rx_pos_ += take;
    data_left_ -= static_cast<std::uint32_t>(take);
    if (data_left_ == 0) {
      // Transfer complete: padding (and anything a device adds) is discarded.
      request_open_ = false;
      header_seen_ = false;
      drain_before_request_ = !rx_short_;
      rx_pos_ = rx_len_ = 0;
      rx_short_ = true;
      if (eom_) {
        end = true;
        return status::SUCCESS;
      }
      // No EOM: the message goes on in another transfer, which needs another request.
    }
    if (count == buffer.size() || (count > 0 && rx_pos_ == rx_len_ && request_open_)) return status::SUCCESS;
    if (count > 0 && !request_open_) return status::SUCCESS;
  }
}

status_t UsbtmcSession::read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (status_t st = run_pending(deadline); st < 0) return st;
  core::ReadTermination term = read_termination();
  termchar_ = term.termchar;
  termchar_request_ =
      term.termchar_enabled && caps_.termchar && options_.termchar_in_request && !options_.no_termchar_request;
  return reader_.read(*this, buffer, count, term, deadline);
}

// Asks *IDN? (IEEE 488.2 §10.14) for the quirk rows known by model. Only when such a row exists
// for this vendor: an unasked query can upset instruments that do not speak IEEE 488.2 (an
// adapter that asked every instrument it met had to turn that off: xyphro/UsbGpib issue 38).
status_t UsbtmcSession::identify(core::Deadline deadline) {
  static constexpr std::string_view query = "*IDN?\n";
  std::size_t n = 0;
  status_t st = write(std::as_bytes(std::span(query.data(), query.size())), n, deadline);
  if (st < 0) return st;
  std::array<std::byte, 256> buf{};
  identity_.clear();
  do {
    st = read(buf, n, deadline);
    identity_.append(reinterpret_cast<const char*>(buf.data()), n);
  } while (st == status::SUCCESS_MAX_CNT && identity_.size() < 4096);
  if (st < 0) return st;
  if (st == status::SUCCESS_MAX_CNT) clear(deadline);  // an answer no *IDN? gives: drop the rest
  while (!identity_.empty() && (identity_.back() == '\n' || identity_.back() == '\r')) identity_.pop_back();
  options_.identify(identity_, options_);
  return status::SUCCESS;
}

// ---------------------------------------------------------------------------------- write

status_t UsbtmcSession::write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (status_t st = run_pending(deadline); st < 0) return st;
  const bool end = send_end();
  if (data.empty() && !end) return status::SUCCESS;
  std::vector<std::byte> transfer;
  std::size_t chunk = std::max<std::size_t>(options_.max_out_payload, 4);
  std::size_t offset = 0;
  do {
    const std::size_t n = std::min(chunk, data.size() - offset);
    const bool last = offset + n == data.size();
    const std::uint8_t tag = tags_.next();
    transfer.clear();
    append_dev_dep_msg_out(transfer, tag, data.subspan(offset, n), last && end);
    std::size_t sent = 0;
    status_t st = lost(transport_->bulk_out(info_.bulk_out, transfer, deadline, sent));
    ++counters_.bulk_out_transfers;
    if (st < 0) {
      if (sent > header_size) count += std::min(n, sent - header_size);
      if (st == status::ERROR_TMO) abort_out_due_ = tag;
      if (st == status::ERROR_IO) transport_->clear_halt(info_.bulk_out, deadline);
      return st;
    }
    offset += n;
    count = offset;
  } while (offset < data.size());
  return status::SUCCESS;
}

// ---------------------------------------------------------------------------------- clear, flush

status_t UsbtmcSession::clear(core::Deadline deadline) {
  if (lost_ || !transport_) return status::ERROR_CONN_LOST;
  // A device clear supersedes pending aborts (USBTMC 1.0 §4.2.1.6: it clears both FIFOs).
  abort_in_due_.reset();
  abort_out_due_.reset();
  request_open_ = false;
  header_seen_ = false;
  rx_pos_ = rx_len_ = 0;
  rx_short_ = true;
  drain_before_request_ = false;
  reader_.discard();
  if (status_t st = simple_request(request::initiate_clear, 0, deadline); st < 0) return st;
  std::array<std::byte, 2> r{};
  for (int i = 0;; ++i) {
    if (i == kMaxPolls) return status::ERROR_IO;
    std::size_t n = 0;
    if (status_t st = class_request(request::check_clear_status, 0, r, deadline, n); st < 0) return st;
    CheckClearResponse check;
    if (!parse_check_clear(std::span(r.data(), n), check)) return status::ERROR_IO;
    if (check.status == ctrl_status::success) break;
    if (check.status != ctrl_status::pending) return status::ERROR_IO;
    if (check.more_data) {
      if (status_t st = drain_bulk_in(deadline, 64); st < 0) return st;
    } else {
      pause(i, deadline);
    }
    if (deadline.expired()) return status::ERROR_TMO;
  }
  return lost(transport_->clear_halt(info_.bulk_out, deadline));
}

status_t UsbtmcSession::flush(std::uint16_t mask, core::Deadline deadline) {
  if (mask == 0 || (mask & ~0xFFu)) return status::ERROR_INV_MASK;
  if (lost_ || !transport_) return status::ERROR_CONN_LOST;
  constexpr std::uint16_t input = buffer::read_buf | buffer::read_buf_discard | buffer::io_in_buf |
                                  buffer::io_in_buf_discard;
  if (mask & input) {
    reader_.discard();
    drop_transfer();  // the rest of a transfer in flight is aborted before the next operation
    return run_pending(deadline);
  }
  return status::SUCCESS;  // writes are not buffered
}

// ---------------------------------------------------------------------------------- USB488

status_t UsbtmcSession::read_stb(std::uint16_t& stb, core::Deadline deadline) {
  if (lost_ || !transport_) return status::ERROR_CONN_LOST;
  if (!caps_.has_usb488) return status::ERROR_NSUP_OPER;
  const std::uint8_t tag = stb_tags_.next();
  {
    std::lock_guard g(stb_mutex_);
    stb_answers_.erase(tag);
  }
  std::array<std::byte, 3> r{};
  std::size_t n = 0;
  if (status_t st = class_request(request::read_status_byte, tag, r, deadline, n); st < 0) return st;
  StatusByteResponse resp;
  if (!parse_status_byte(std::span(r.data(), n), resp) || resp.status != ctrl_status::success || resp.tag != tag)
    return status::ERROR_IO;
  if (!info_.interrupt_in) {
    stb = resp.stb;
    return status::SUCCESS;
  }
  // USB488 §4.3.1.1: with an interrupt endpoint the STB comes as notification 0x80|bTag.
  std::unique_lock l(stb_mutex_);
  auto ready = [&] { return interrupt_lost_ || stb_answers_.count(tag) != 0; };
  if (deadline.infinite()) stb_cv_.wait(l, ready);
  else if (!stb_cv_.wait_until(l, deadline.when(), ready)) return status::ERROR_TMO;
  auto it = stb_answers_.find(tag);
  if (it == stb_answers_.end()) return lost_ ? status::ERROR_CONN_LOST : status::ERROR_IO;
  stb = it->second;
  stb_answers_.erase(it);
  return status::SUCCESS;
}

status_t UsbtmcSession::assert_trigger(TriggerProtocol protocol, core::Deadline deadline) {
  if (protocol != TriggerProtocol::default_) return status::ERROR_INV_PROT;
  if (status_t st = run_pending(deadline); st < 0) return st;
  if (!caps_.trigger) return status::ERROR_NSUP_OPER;
  const std::uint8_t tag = tags_.next();
  auto message = trigger_message(tag);
  std::size_t sent = 0;
  status_t st = lost(transport_->bulk_out(info_.bulk_out, message, deadline, sent));
  if (st == status::ERROR_TMO) abort_out_due_ = tag;
  return st;
}

status_t UsbtmcSession::gpib_control_ren(RenMode mode, core::Deadline deadline) {
  if (lost_ || !transport_) return status::ERROR_CONN_LOST;
  if (!caps_.ren_control) return status::ERROR_NSUP_OPER;
  // USB488 §4.3.2-4; mapping of the VISA modes as NI-VISA documents for USB INSTR.
  auto ren = [&](bool on) { return simple_request(request::ren_control, on ? 1 : 0, deadline); };
  auto gtl = [&] { return simple_request(request::go_to_local, 0, deadline); };
  auto llo = [&] { return simple_request(request::local_lockout, 0, deadline); };
  status_t st = status::SUCCESS;
  switch (mode) {
    case RenMode::deassert: return ren(false);
    case RenMode::assert_:
    case RenMode::assert_address: return ren(true);
    case RenMode::deassert_gtl:
      if (st = gtl(); st < 0) return st;
      return ren(false);
    case RenMode::assert_llo:
    case RenMode::assert_address_llo:
      if (st = ren(true); st < 0) return st;
      return llo();
    case RenMode::address_gtl: return gtl();
  }
  return status::ERROR_INV_MODE;
}

status_t UsbtmcSession::indicator_pulse(core::Deadline deadline) {
  if (lost_ || !transport_) return status::ERROR_CONN_LOST;
  if (!caps_.indicator_pulse) return status::ERROR_NSUP_OPER;
  return simple_request(request::indicator_pulse, 0, deadline);
}

status_t UsbtmcSession::usb_control_out(std::int16_t request_type, std::int16_t request, std::uint16_t value,
                                        std::uint16_t index, std::span<const std::byte> data, core::Deadline deadline) {
  if (lost_ || !transport_) return status::ERROR_CONN_LOST;
  if (request_type < 0 || request_type > 0xFF || (request_type & 0x80) || request < 0 || request > 0xFF ||
      data.size() > 0xFFFF)
    return status::ERROR_INV_PARAMETER;
  return lost(transport_->control_out(static_cast<std::uint8_t>(request_type), static_cast<std::uint8_t>(request),
                                      value, index, data, deadline));
}

status_t UsbtmcSession::usb_control_in(std::int16_t request_type, std::int16_t request, std::uint16_t value,
                                       std::uint16_t index, std::span<std::byte> buffer, std::size_t& count,
                                       core::Deadline deadline) {
  count = 0;
  if (lost_ || !transport_) return status::ERROR_CONN_LOST;
  if (request_type < 0 || request_type > 0xFF || !(request_type & 0x80) || request < 0 || request > 0xFF ||
      buffer.size() > 0xFFFF)
    return status::ERROR_INV_PARAMETER;
  return lost(transport_->control_in(static_cast<std::uint8_t>(request_type), static_cast<std::uint8_t>(request),
                                     value, index, buffer, deadline, count));
}

}  // namespace cppvisa::usbtmc
