#include "protocols/usbtmc/usb_raw_session.hpp"

#include <algorithm>
#include <cstring>

namespace cppvisa::usbtmc {
namespace {

constexpr std::int64_t kEndNone = 0;  // VI_USB_END_NONE

bool contains(const std::vector<std::uint8_t>& v, std::int64_t ep) {
  return std::find(v.begin(), v.end(), static_cast<std::uint8_t>(ep)) != v.end();
}

}  // namespace

constexpr std::int64_t kPipeReady = 0;    // VI_USB_PIPE_READY
constexpr std::int64_t kPipeStalled = 1;  // VI_USB_PIPE_STALLED

UsbRawSession::UsbRawSession(const ResourceName& name, TransportOpener opener, RawInterface interface)
    : Session(name, {event::usb_interrupt}),
      opener_(std::move(opener)),
      interface_(std::move(interface)),
      endpoints_(interface_.endpoints) {}

UsbRawSession::~UsbRawSession() { disconnect(); }

status_t UsbRawSession::lost(status_t st) noexcept {
  if (st == status::ERROR_CONN_LOST) lost_ = true;
  return st;
}

status_t UsbRawSession::connect(core::Deadline deadline) {
  status_t st = status::SUCCESS;
  if (!opener_) return status::ERROR_RSRC_NFOUND;
  transport_ = opener_(name(), deadline, st);
  if (!transport_) return st < 0 ? st : status::ERROR_RSRC_NFOUND;
  info_ = transport_->info();
  // The transport reports the first endpoint of each kind; others can be chosen by attribute.
  if (info_.bulk_in && !contains(endpoints_.bulk_in, info_.bulk_in)) endpoints_.bulk_in.push_back(info_.bulk_in);
  if (info_.bulk_out && !contains(endpoints_.bulk_out, info_.bulk_out)) endpoints_.bulk_out.push_back(info_.bulk_out);
  if (info_.interrupt_in && !contains(endpoints_.interrupt_in, info_.interrupt_in))
    endpoints_.interrupt_in.push_back(info_.interrupt_in);
  in_pipe_ = info_.bulk_in;
  out_pipe_ = info_.bulk_out;
  packet_.resize(std::max<std::size_t>(info_.bulk_in_max_packet, 8));
  define(attr::MANF_ID, static_cast<std::int64_t>(info_.vendor_id));
  define(attr::MODEL_CODE, static_cast<std::int64_t>(info_.product_id));
  define(attr::MANF_NAME, info_.manufacturer);
  define(attr::MODEL_NAME, info_.product);
  define(attr::USB_SERIAL_NUM, info_.serial);
  define(attr::USB_INTFC_NUM, static_cast<std::int64_t>(info_.interface_number));
  define(attr::USB_CLASS, static_cast<std::int64_t>(info_.interface_class));
  define(attr::USB_SUBCLASS, static_cast<std::int64_t>(info_.interface_subclass));
  define(attr::USB_PROTOCOL, static_cast<std::int64_t>(info_.interface_protocol));
  define(attr::USB_NUM_INTFCS, static_cast<std::int64_t>(std::max<std::uint8_t>(info_.num_interfaces, 1)));
  define(attr::USB_NUM_PIPES, static_cast<std::int64_t>(endpoints_.bulk_in.size() + endpoints_.bulk_out.size() +
                                                        endpoints_.interrupt_in.size()));
  define(attr::USB_BULK_IN_PIPE, info_.bulk_in ? static_cast<std::int64_t>(info_.bulk_in) : std::int64_t{-1});
  define(attr::USB_BULK_OUT_PIPE, info_.bulk_out ? static_cast<std::int64_t>(info_.bulk_out) : std::int64_t{-1});
  define(attr::USB_INTR_IN_PIPE, info_.interrupt_in ? static_cast<std::int64_t>(info_.interrupt_in) : std::int64_t{-1});
  define(attr::USB_MAX_INTR_SIZE, static_cast<std::int64_t>(info_.interrupt_max_packet));
  // Just claimed: every pipe is ready (VPP-4.3 VI_USB_PIPE_READY); a stall seen later shows here.
  define(attr::USB_BULK_IN_STATUS, kPipeReady);
  define(attr::USB_BULK_OUT_STATUS, kPipeReady);
  define(attr::USB_INTR_IN_STATUS, kPipeReady);
  define(attr::USB_ALT_SETTING, std::int64_t{0});
  if (info_.interrupt_in) {
    stop_ = false;
    interrupt_thread_ = std::thread(
        [this, ep = info_.interrupt_in, size = std::max<std::size_t>(info_.interrupt_max_packet, 1)] {
          interrupt_loop(ep, size);
        });
  }
  return status::SUCCESS;
}

void UsbRawSession::disconnect() {
  stop_ = true;
  if (interrupt_thread_.joinable()) interrupt_thread_.join();
  transport_.reset();
}

void UsbRawSession::interrupt_loop(std::uint8_t endpoint, std::size_t size) {
  std::vector<std::byte> buf(size);
  int errors = 0;
  while (!stop_) {
    std::size_t n = 0;
    status_t st = transport_->interrupt_in(endpoint, buf, core::Deadline::after_ms(100), n);
    if (st == status::ERROR_TMO) continue;
    if (st < 0) {
      if (st == status::ERROR_CONN_LOST || st == status::ERROR_NSUP_OPER || ++errors > 100) return;
      transport_->clear_halt(endpoint, core::Deadline::after_ms(100));
      continue;
    }
    errors = 0;
    raise_event(usb_interrupt_event(std::span(buf.data(), n)));
  }
}

status_t UsbRawSession::validate_attribute(attr_id_t id, const AttrValue& value) {
  const auto* v = std::get_if<std::int64_t>(&value);
  if (!v) return status::SUCCESS;
  switch (id) {
    case attr::USB_BULK_IN_PIPE:
      return *v == -1 || contains(endpoints_.bulk_in, *v) ? status::SUCCESS : status::ERROR_NSUP_ATTR_STATE;
    case attr::USB_BULK_OUT_PIPE:
      return *v == -1 || contains(endpoints_.bulk_out, *v) ? status::SUCCESS : status::ERROR_NSUP_ATTR_STATE;
    case attr::USB_INTR_IN_PIPE:
      return *v == -1 || contains(endpoints_.interrupt_in, *v) ? status::SUCCESS : status::ERROR_NSUP_ATTR_STATE;
    case attr::USB_END_IN:
      return (*v == 0 || *v == 4 || *v == 5) ? status::SUCCESS : status::ERROR_NSUP_ATTR_STATE;
    case attr::USB_CTRL_PIPE:
      // Devices have one control pipe, endpoint 0 (USB 2.0 §5.5); another would need its address.
      return *v == 0 ? status::SUCCESS : status::ERROR_NSUP_ATTR_STATE;
    default:
      return status::SUCCESS;
  }
}

void UsbRawSession::use_endpoints(const RawEndpoints& eps) {
  endpoints_ = eps;
  auto first = [](const std::vector<std::uint8_t>& v) { return v.empty() ? std::int64_t{-1} : std::int64_t{v[0]}; };
  define(attr::USB_BULK_IN_PIPE, first(eps.bulk_in));
  define(attr::USB_BULK_OUT_PIPE, first(eps.bulk_out));
  define(attr::USB_INTR_IN_PIPE, first(eps.interrupt_in));
  define(attr::USB_NUM_PIPES, static_cast<std::int64_t>(eps.bulk_in.size() + eps.bulk_out.size() + eps.interrupt_in.size()));
  define(attr::USB_BULK_IN_STATUS, kPipeReady);
  define(attr::USB_BULK_OUT_STATUS, kPipeReady);
  define(attr::USB_INTR_IN_STATUS, kPipeReady);
  reader_.discard();
  packet_pos_ = packet_len_ = 0;
}

status_t UsbRawSession::note_stall(status_t st, attr_id_t status_attribute) {
  // The transport reports a halted endpoint as VI_ERROR_IO (usb_transport.hpp).
  if (st == status::ERROR_IO) define(status_attribute, kPipeStalled);
  return st;
}

status_t UsbRawSession::set_attribute(attr_id_t id, const AttrValue& value) {
  const auto* v = std::get_if<std::int64_t>(&value);
  if (!v || !transport_) return Session::set_attribute(id, value);
  const auto deadline = core::Deadline::after_ms(2000);
  switch (id) {
    case attr::USB_ALT_SETTING: {
      const RawEndpoints* eps = *v == 0 ? &interface_.endpoints : nullptr;
      for (const auto& [alt, e] : interface_.alternates)
        if (alt == *v) eps = &e;
      if (!eps) return status::ERROR_NSUP_ATTR_STATE;  // the interface has no such setting
      status_t st = lost(transport_->set_alt_setting(static_cast<std::uint8_t>(*v), deadline));
      if (st == status::ERROR_NSUP_OPER) return status::ERROR_NSUP_ATTR_STATE;
      if (st < 0) return st;
      use_endpoints(*eps);
      define(id, *v);
      return status::SUCCESS;
    }
    case attr::USB_BULK_IN_STATUS:
    case attr::USB_BULK_OUT_STATUS:
    case attr::USB_INTR_IN_STATUS: {
      // Only VI_USB_PIPE_READY may be written: it clears the endpoint's halt (VPP-4.3).
      if (*v != kPipeReady) return status::ERROR_NSUP_ATTR_STATE;
      const attr_id_t pipe_attr = id == attr::USB_BULK_IN_STATUS    ? attr::USB_BULK_IN_PIPE
                                  : id == attr::USB_BULK_OUT_STATUS ? attr::USB_BULK_OUT_PIPE
                                                                    : attr::USB_INTR_IN_PIPE;
      const std::int64_t pipe = integer_attribute(pipe_attr, -1);
      if (pipe < 0) return status::ERROR_NSUP_ATTR_STATE;
      status_t st = lost(transport_->clear_halt(static_cast<std::uint8_t>(pipe), deadline));
      if (st < 0) return st;
      define(id, kPipeReady);
      return status::SUCCESS;
    }
    default:
      return Session::set_attribute(id, value);
  }
}

status_t UsbRawSession::receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) {
  count = 0;
  end = false;
  const bool end_on_short = end_in_ != kEndNone;
  if (packet_pos_ < packet_len_) {
    count = std::min(buffer.size(), packet_len_ - packet_pos_);
    std::memcpy(buffer.data(), packet_.data() + packet_pos_, count);
    packet_pos_ += count;
    end = packet_pos_ == packet_len_ && packet_short_ && end_on_short;
    return status::SUCCESS;
  }
  const std::size_t mps = packet_.size();
  for (;;) {
    std::size_t n = 0;
    status_t st = status::SUCCESS;
    if (buffer.size() >= mps) {
      // Whole packets straight into the caller's buffer (a partial packet would overflow).
      const std::size_t ask = buffer.size() / mps * mps;
      st = note_stall(lost(transport_->bulk_in(in_pipe_, buffer.first(ask), deadline, n)), attr::USB_BULK_IN_STATUS);
      if (st < 0) return st;
      count = n;
      end = n < ask && end_on_short;
    } else {
      st = note_stall(lost(transport_->bulk_in(in_pipe_, packet_, deadline, n)), attr::USB_BULK_IN_STATUS);
      if (st < 0) return st;
      packet_len_ = n;
      packet_short_ = n < mps;
      count = std::min(n, buffer.size());
      std::memcpy(buffer.data(), packet_.data(), count);
      packet_pos_ = count;
      end = packet_pos_ == packet_len_ && packet_short_ && end_on_short;
    }
    if (count > 0 || end) return status::SUCCESS;
    if (deadline.expired()) return status::ERROR_TMO;  // zero-length packets without END
  }
}

status_t UsbRawSession::read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (lost_ || !transport_) return status::ERROR_CONN_LOST;
  const std::int64_t pipe = integer_attribute(attr::USB_BULK_IN_PIPE, -1);
  if (pipe < 0) return status::ERROR_NSUP_OPER;
  in_pipe_ = static_cast<std::uint8_t>(pipe);
  end_in_ = integer_attribute(attr::USB_END_IN, 5);
  core::ReadTermination term = read_termination();
  return reader_.read(*this, buffer, count, term, deadline);
}

status_t UsbRawSession::write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (lost_ || !transport_) return status::ERROR_CONN_LOST;
  const std::int64_t pipe = integer_attribute(attr::USB_BULK_OUT_PIPE, -1);
  if (pipe < 0) return status::ERROR_NSUP_OPER;
  out_pipe_ = static_cast<std::uint8_t>(pipe);
  status_t st = lost(transport_->bulk_out(out_pipe_, data, deadline, count));
  if (st == status::ERROR_IO) transport_->clear_halt(out_pipe_, deadline);
  return st;
}

status_t UsbRawSession::flush(std::uint16_t mask, core::Deadline) {
  if (mask == 0 || (mask & ~0xFFu)) return status::ERROR_INV_MASK;
  constexpr std::uint16_t input = buffer::read_buf | buffer::read_buf_discard | buffer::io_in_buf |
                                  buffer::io_in_buf_discard;
  if (mask & input) {
    reader_.discard();
    packet_pos_ = packet_len_ = 0;
  }
  return status::SUCCESS;
}

status_t UsbRawSession::usb_control_out(std::int16_t request_type, std::int16_t request, std::uint16_t value,
                                        std::uint16_t index, std::span<const std::byte> data, core::Deadline deadline) {
  if (lost_ || !transport_) return status::ERROR_CONN_LOST;
  if (request_type < 0 || request_type > 0xFF || (request_type & 0x80) || request < 0 || request > 0xFF ||
      data.size() > 0xFFFF)
    return status::ERROR_INV_PARAMETER;
  return lost(transport_->control_out(static_cast<std::uint8_t>(request_type), static_cast<std::uint8_t>(request),
                                      value, index, data, deadline));
}

status_t UsbRawSession::usb_control_in(std::int16_t request_type, std::int16_t request, std::uint16_t value,
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
