#include "protocols/gpib/gpib_intfc_session.hpp"

#include "protocols/gpib/gpib_codes.hpp"

#include <algorithm>

namespace cppvisa::gpib {
namespace {

// VISA values (visa.h) of viGpibControlATN modes and of VI_ATTR_GPIB_ADDR_STATE.
constexpr std::uint16_t kAtnDeassert = 0, kAtnAssert = 1, kAtnDeassertHandshake = 2, kAtnAssertImmediate = 3;
constexpr std::int64_t kUnaddressed = 0, kTalker = 1, kListener = 2;
constexpr std::int64_t kHs488NotImplemented = -1;

}  // namespace

GpibIntfcSession::GpibIntfcSession(const ResourceName& name)
    : GpibSession(name, {event::service_request, event::gpib_controller_in_charge, event::gpib_talk,
                         event::gpib_listen, event::clear, event::trig}) {
  board_ = name.board_number().value_or(0);
}

GpibIntfcSession::~GpibIntfcSession() { GpibIntfcSession::disconnect(); }

status_t GpibIntfcSession::connect(core::Deadline) {
  const Libgpib* lib = Libgpib::get();
  if (!lib) return status::ERROR_LIBRARY_NFOUND;
  if (board_ < 0 || board_ >= kMaxBoards) return status::ERROR_INTF_NUM_NCONFIG;
  int pad = 0;
  lib->api().ibask(board_, opt::PAD, &pad);
  if (status_t st = lib->last().status(); st < 0) return st;
  set_descriptor(lib, board_);
  lib->api().ibconfig(board_, opt::EndBitIsNormal, 0);
  return last_status();
}

void GpibIntfcSession::disconnect() {
  stop_monitor();
  set_descriptor(lib(), -1);  // a board descriptor stays open
}

std::unique_ptr<EventMonitor> GpibIntfcSession::make_monitor() {
  return std::make_unique<EventMonitor>(*lib(), board_, [this](int before, int now) {
    auto rose = [&](int bit) { return (now & bit) && !(before & bit); };
    auto raise = [&](event_type_t type) {
      auto e = std::make_shared<core::Event>(type);
      if (type == event::gpib_controller_in_charge)
        e->attributes[attr::GPIB_RECV_CIC_STATE] = std::int64_t{(now & sta::CIC) ? 1 : 0};
      if (type == event::trig) e->attributes[attr::RECV_TRIG_ID] = std::int64_t{-1};  // VI_TRIG_SW: a GET
      raise_event(std::move(e));
    };
    if (rose(sta::SRQI)) raise(event::service_request);
    if ((now ^ before) & sta::CIC) raise(event::gpib_controller_in_charge);
    if (rose(sta::TACS)) raise(event::gpib_talk);
    if (rose(sta::LACS)) raise(event::gpib_listen);
    // The board as a device (VPP-4.3 GPIB INTFC): VI_EVENT_CLEAR for a DCL, or an SDC while
    // addressed to listen (DCAS); VI_EVENT_TRIG for a GET while addressed to listen (DTAS).
    if (rose(sta::DCAS)) raise(event::clear);
    if (rose(sta::DTAS)) raise(event::trig);
  });
}

status_t GpibIntfcSession::ask(int option, int& value) const {
  if (!lib()) return status::ERROR_CONN_LOST;
  lib()->api().ibask(board_, option, &value);
  return last_status();
}

status_t GpibIntfcSession::gpib_command(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) {
  count = 0;
  if (!lib() || descriptor() < 0) return status::ERROR_CONN_LOST;
  if (status_t st = apply_timeout(deadline); st < 0) return st;
  lib()->api().ibcmd(board_, data.data(), static_cast<long>(data.size()));
  const CallResult r = lib()->last();
  count = static_cast<std::size_t>(std::clamp<long>(r.count, 0, static_cast<long>(data.size())));
  return r.status();
}

status_t GpibIntfcSession::gpib_send_ifc(core::Deadline) {
  if (!lib() || descriptor() < 0) return status::ERROR_CONN_LOST;
  lib()->api().ibsic(board_);
  return last_status();
}

status_t GpibIntfcSession::gpib_control_atn(std::uint16_t mode, core::Deadline) {
  if (!lib() || descriptor() < 0) return status::ERROR_CONN_LOST;
  const auto& api = lib()->api();
  // ibcac takes control (asserts ATN), synchronously (after the current handshake) or at once;
  // ibgts goes to standby (releases ATN), with shadow handshake when asked.
  switch (mode) {
    case kAtnAssert: api.ibcac(board_, 1); break;
    case kAtnAssertImmediate: api.ibcac(board_, 0); break;
    case kAtnDeassert: api.ibgts(board_, 0); break;
    case kAtnDeassertHandshake: api.ibgts(board_, 1); break;
    default: return status::ERROR_INV_MODE;
  }
  return last_status();
}

status_t GpibIntfcSession::gpib_pass_control(std::uint16_t primary, std::uint16_t secondary, core::Deadline deadline) {
  if (!lib() || descriptor() < 0) return status::ERROR_CONN_LOST;
  if (primary > kMaxAddress || (secondary != kVisaNoSecondary && secondary > kMaxAddress))
    return status::ERROR_INV_PARAMETER;
  const auto& api = lib()->api();
  const int sad = secondary == kVisaNoSecondary ? kNoSad : sad_code(secondary);
  std::uint32_t ms = deadline.infinite() ? tmo_infinite : static_cast<std::uint32_t>(deadline.remaining().count());
  const int ud = api.ibdev(board_, primary, sad, timeout_code(ms), 1, 0);
  if (ud < 0) return lib()->last().status();
  api.ibpct(ud);
  const status_t st = last_status();
  api.ibonl(ud, 0);
  return st;
}

status_t GpibIntfcSession::gpib_control_ren(RenMode mode, core::Deadline) {
  if (!lib() || descriptor() < 0) return status::ERROR_CONN_LOST;
  const auto& api = lib()->api();
  auto send = [&](std::uint8_t command) {
    api.ibcmd(board_, &command, 1);
    return last_status();
  };
  switch (mode) {
    case RenMode::deassert: api.ibsre(board_, 0); return last_status();
    case RenMode::assert_: api.ibsre(board_, 1); return last_status();
    case RenMode::assert_llo: {
      api.ibsre(board_, 1);
      if (status_t st = last_status(); st < 0) return st;
      return send(cmd::LLO);
    }
    case RenMode::deassert_gtl: {
      if (status_t st = send(cmd::GTL); st < 0) return st;
      api.ibsre(board_, 0);
      return last_status();
    }
    case RenMode::assert_address:
    case RenMode::assert_address_llo:
    case RenMode::address_gtl: return status::ERROR_INV_MODE;
  }
  return status::ERROR_INV_MODE;
}

status_t GpibIntfcSession::validate_attribute(attr_id_t id, const AttrValue& value) {
  const auto* v = std::get_if<std::int64_t>(&value);
  if (!v) return status::SUCCESS;
  auto configure = [&](int option, int setting) -> status_t {
    if (!lib() || descriptor() < 0) return status::ERROR_CONN_LOST;
    lib()->api().ibconfig(board_, option, setting);
    return last_status();
  };
  switch (id) {
    case attr::GPIB_PRIMARY_ADDR: return configure(opt::PAD, static_cast<int>(*v));
    case attr::GPIB_SECONDARY_ADDR:
      if (*v != kVisaNoSecondary && *v > kMaxAddress) return status::ERROR_NSUP_ATTR_STATE;
      return configure(opt::SAD, *v == kVisaNoSecondary ? kNoSad : sad_code(static_cast<int>(*v)));
    case attr::GPIB_SYS_CNTRL_STATE: return configure(opt::SC, *v ? 1 : 0);
    case attr::GPIB_HS488_CBL_LEN: return configure(opt::HSCableLength, static_cast<int>(*v));
    // The status byte the board answers a serial poll with (IEEE 488.2 §11.3: bit 6 requests service).
    case attr::DEV_STATUS_BYTE: return configure(opt::Rsv, static_cast<int>(*v));
    default: return status::SUCCESS;
  }
}

status_t GpibIntfcSession::computed_attribute(attr_id_t id, AttrValue& value) {
  auto from_lines = [&](int valid, int bit) -> status_t {
    if (!lib()) return status::ERROR_CONN_LOST;
    short bus = 0;
    lib()->api().iblines(board_, &bus);
    if (status_t st = last_status(); st < 0) return st;
    LineState state = LineState::unknown;
    if (bus & valid) state = (bus & bit) ? LineState::asserted : LineState::unasserted;
    value = static_cast<std::int64_t>(state);
    return status::SUCCESS;
  };
  auto board_status = [&](int& ibsta) -> status_t {
    if (!lib()) return status::ERROR_CONN_LOST;
    ibsta = lib()->api().ibwait(board_, 0);  // the status now, without waiting
    return last_status();
  };
  int setting = 0;
  switch (id) {
    case attr::GPIB_REN_STATE: return from_lines(lines::ValidREN, lines::BusREN);
    case attr::GPIB_ATN_STATE: return from_lines(lines::ValidATN, lines::BusATN);
    case attr::GPIB_NDAC_STATE: return from_lines(lines::ValidNDAC, lines::BusNDAC);
    case attr::GPIB_SRQ_STATE: return from_lines(lines::ValidSRQ, lines::BusSRQ);
    case attr::GPIB_CIC_STATE:
      if (status_t st = board_status(setting); st < 0) return st;
      value = std::int64_t{(setting & sta::CIC) ? 1 : 0};
      return status::SUCCESS;
    case attr::GPIB_ADDR_STATE:
      if (status_t st = board_status(setting); st < 0) return st;
      value = (setting & sta::TACS) ? kTalker : (setting & sta::LACS) ? kListener : kUnaddressed;
      return status::SUCCESS;
    case attr::GPIB_SYS_CNTRL_STATE:
      if (status_t st = ask(opt::SC, setting); st < 0) return st;
      value = std::int64_t{setting ? 1 : 0};
      return status::SUCCESS;
    case attr::GPIB_PRIMARY_ADDR:
      if (status_t st = ask(opt::PAD, setting); st < 0) return st;
      value = std::int64_t{setting};
      return status::SUCCESS;
    case attr::GPIB_SECONDARY_ADDR:
      if (status_t st = ask(opt::SAD, setting); st < 0) return st;
      value = static_cast<std::int64_t>(visa_secondary(setting));
      return status::SUCCESS;
    case attr::GPIB_HS488_CBL_LEN: {
      if (!lib()) return status::ERROR_CONN_LOST;
      lib()->api().ibask(board_, opt::HSCableLength, &setting);
      const CallResult r = lib()->last();
      if (r.failed() && r.iberr == err::ECAP) {
        value = kHs488NotImplemented;  // VI_GPIB_HS488_NIMPL: the board has no HS488
        return status::SUCCESS;
      }
      if (r.failed()) return r.status();
      value = std::int64_t{setting};
      return status::SUCCESS;
    }
    default: return status::ERROR_NSUP_ATTR;
  }
}

}  // namespace cppvisa::gpib
