#include "protocols/gpib/gpib_instr_session.hpp"

#include "protocols/gpib/gpib_codes.hpp"

#include <vector>

namespace cppvisa::gpib {

GpibInstrSession::GpibInstrSession(const ResourceName& name) : GpibSession(name, {event::service_request}) {
  board_ = name.board_number().value_or(0);
  pad_ = name.primary_address().value_or(0);
  sad_ = sad_code(name.secondary_address());
  define(attr::GPIB_PRIMARY_ADDR, static_cast<std::int64_t>(pad_));
  define(attr::GPIB_SECONDARY_ADDR, static_cast<std::int64_t>(visa_secondary(sad_)));
}

GpibInstrSession::~GpibInstrSession() { GpibInstrSession::disconnect(); }

status_t GpibInstrSession::connect(core::Deadline) {
  const Libgpib* lib = Libgpib::get();
  if (!lib) return status::ERROR_LIBRARY_NFOUND;
  const auto& api = lib->api();
  if (sad_ == cmd::SAD) {
    // Secondary 0 may be PyVISA's spelling of "no secondary address" (see the header).
    short found = 0;
    api.ibln(board_, pad_, cmd::SAD, &found);
    const CallResult r = lib->last();
    if (r.failed()) return r.status();
    if (!found) {
      sad_ = kNoSad;
      define(attr::GPIB_SECONDARY_ADDR, static_cast<std::int64_t>(kVisaNoSecondary));
    }
  }
  const int ud = api.ibdev(board_, pad_, sad_, timeout_code(timeout_ms()), send_end() ? 1 : 0,
                           eos_mode(read_termination()));
  if (ud < 0) {
    const CallResult r = lib->last();
    return r.failed() ? r.status() : status::ERROR_SYSTEM_ERROR;
  }
  set_descriptor(lib, ud);
  // END in ibsta means EOI only, so that a read stopped by the termination character is told
  // apart (VI_SUCCESS_TERM_CHAR) from one the talker ended (VI_SUCCESS).
  status_t st = status::SUCCESS;
  auto configure = [&](int option, int value) {
    if (st < 0) return;
    api.ibconfig(ud, option, value);
    st = last_status();
  };
  configure(opt::EndBitIsNormal, 0);
  configure(opt::READDR, integer_attribute(attr::GPIB_READDR_EN, 1) ? 1 : 0);
  configure(opt::UnAddr, integer_attribute(attr::GPIB_UNADDR_EN, 0) ? 1 : 0);
  if (st < 0) {
    api.ibonl(ud, 0);
    set_descriptor(nullptr, -1);
  }
  return st;
}

void GpibInstrSession::disconnect() {
  stop_monitor();
  if (lib() && descriptor() >= 0) lib()->api().ibonl(descriptor(), 0);
  set_descriptor(lib(), -1);
}

status_t GpibInstrSession::read_stb(std::uint16_t& stb, core::Deadline deadline) {
  if (!lib() || descriptor() < 0) return status::ERROR_CONN_LOST;
  if (status_t st = apply_timeout(deadline); st < 0) return st;
  char value = 0;
  lib()->api().ibrsp(descriptor(), &value);
  if (status_t st = last_status(); st < 0) return st;
  stb = static_cast<std::uint8_t>(value);
  return status::SUCCESS;
}

status_t GpibInstrSession::clear(core::Deadline deadline) {
  if (!lib() || descriptor() < 0) return status::ERROR_CONN_LOST;
  flush(buffer::read_buf_discard, deadline);
  if (status_t st = apply_timeout(deadline); st < 0) return st;
  lib()->api().ibclr(descriptor());
  return last_status();
}

status_t GpibInstrSession::assert_trigger(TriggerProtocol protocol, core::Deadline deadline) {
  if (protocol != TriggerProtocol::default_) return status::ERROR_INV_PROT;
  if (!lib() || descriptor() < 0) return status::ERROR_CONN_LOST;
  if (status_t st = apply_timeout(deadline); st < 0) return st;
  lib()->api().ibtrg(descriptor());
  return last_status();
}

status_t GpibInstrSession::address_as_listener(std::initializer_list<std::uint8_t> extra) {
  std::vector<std::uint8_t> bytes{cmd::UNL, static_cast<std::uint8_t>(cmd::LAD | pad_)};
  if (sad_ != kNoSad) bytes.push_back(static_cast<std::uint8_t>(sad_));
  bytes.insert(bytes.end(), extra);
  lib()->api().ibcmd(board_, bytes.data(), static_cast<long>(bytes.size()));
  return last_status();
}

status_t GpibInstrSession::gpib_control_ren(RenMode mode, core::Deadline) {
  if (!lib() || descriptor() < 0) return status::ERROR_CONN_LOST;
  const auto& api = lib()->api();
  auto ren = [&](int on) {
    api.ibsre(board_, on);
    return last_status();
  };
  // VPP-4.3 viGpibControlREN: REN is a board line (system controller); addressing the device as
  // a listener with REN asserted puts it in remote, GTL returns it to local, LLO locks it out.
  switch (mode) {
    case RenMode::deassert: return ren(0);
    case RenMode::assert_: return ren(1);
    case RenMode::deassert_gtl: {
      api.ibloc(descriptor());
      if (status_t st = last_status(); st < 0) return st;
      return ren(0);
    }
    case RenMode::assert_address: {
      if (status_t st = ren(1); st < 0) return st;
      return address_as_listener({});
    }
    case RenMode::assert_llo: {
      if (status_t st = ren(1); st < 0) return st;
      const std::uint8_t llo = cmd::LLO;
      api.ibcmd(board_, &llo, 1);
      return last_status();
    }
    case RenMode::assert_address_llo: {
      if (status_t st = ren(1); st < 0) return st;
      return address_as_listener({cmd::LLO});
    }
    case RenMode::address_gtl: {
      api.ibloc(descriptor());
      return last_status();
    }
  }
  return status::ERROR_INV_MODE;
}

std::unique_ptr<EventMonitor> GpibInstrSession::make_monitor() {
  return std::make_unique<EventMonitor>(*lib(), board_, pad_, sad_, [this] {
    raise_event(std::make_shared<core::Event>(event::service_request));
  });
}

status_t GpibInstrSession::validate_attribute(attr_id_t id, const AttrValue& value) {
  const auto* v = std::get_if<std::int64_t>(&value);
  const int ud = descriptor();
  auto configure = [&](int option, int setting) -> status_t {
    if (!lib() || ud < 0) return status::SUCCESS;
    lib()->api().ibconfig(ud, option, setting);
    return last_status();
  };
  switch (id) {
    case attr::GPIB_PRIMARY_ADDR: {
      if (status_t st = configure(opt::PAD, static_cast<int>(*v)); st < 0) return st;
      pad_ = static_cast<int>(*v);
      define(id, value);  // this session's value (defined at construction, so read from here)
      return status::SUCCESS;
    }
    case attr::GPIB_SECONDARY_ADDR: {
      if (*v != kVisaNoSecondary && *v > kMaxAddress) return status::ERROR_NSUP_ATTR_STATE;
      const int sad = *v == kVisaNoSecondary ? kNoSad : sad_code(static_cast<int>(*v));
      if (status_t st = configure(opt::SAD, sad); st < 0) return st;
      sad_ = sad;
      define(id, value);
      return status::SUCCESS;
    }
    case attr::GPIB_READDR_EN: return configure(opt::READDR, *v ? 1 : 0);
    case attr::GPIB_UNADDR_EN: return configure(opt::UnAddr, *v ? 1 : 0);
    default: return status::SUCCESS;
  }
}

status_t GpibInstrSession::computed_attribute(attr_id_t id, AttrValue& value) {
  if (id != attr::GPIB_REN_STATE) return status::ERROR_NSUP_ATTR;
  short bus = 0;
  if (!lib()) return status::ERROR_CONN_LOST;
  lib()->api().iblines(board_, &bus);
  if (status_t st = last_status(); st < 0) return st;
  LineState state = LineState::unknown;
  if (bus & lines::ValidREN) state = (bus & lines::BusREN) ? LineState::asserted : LineState::unasserted;
  value = static_cast<std::int64_t>(state);
  return status::SUCCESS;
}

}  // namespace cppvisa::gpib
