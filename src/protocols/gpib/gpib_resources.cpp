#include "protocols/gpib/gpib_resources.hpp"

#include "protocols/gpib/gpib_codes.hpp"
#include "protocols/gpib/gpib_instr_session.hpp"
#include "protocols/gpib/gpib_intfc_session.hpp"
#include "protocols/gpib/libgpib.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <mutex>

namespace cppvisa::gpib {

std::unique_ptr<core::Session> make_session(const ResourceName& name, status_t& st) {
  if (name.interface_type != InterfaceType::gpib) {
    st = status::ERROR_NSUP_OPER;
    return nullptr;
  }
  const int board = name.board_number().value_or(0);
  if (board < 0 || board >= kMaxBoards) {
    st = status::ERROR_INTF_NUM_NCONFIG;
    return nullptr;
  }
  st = status::SUCCESS;
  if (name.resource_class == "INSTR") return std::make_unique<GpibInstrSession>(name);
  if (name.resource_class == "INTFC") return std::make_unique<GpibIntfcSession>(name);
  st = status::ERROR_NSUP_OPER;
  return nullptr;
}

std::vector<std::string> list_resources() {
  std::vector<std::string> names;
  const Libgpib* lib = Libgpib::get();
  if (!lib) return names;
  const auto& api = lib->api();
  for (int board = 0; board < kMaxBoards; ++board) {
    int own = 0;
    api.ibask(board, opt::PAD, &own);
    if (lib->last().failed()) continue;  // no such board (ENEB) or not configured
    names.push_back(fmt::format("GPIB{}::INTFC", board));
    // NI-488.2 FindLstn: a primary address without a listener has its secondary addresses tried.
    std::vector<std::uint16_t> addresses;
    for (int pad = 0; pad <= kMaxAddress; ++pad)
      if (pad != own) addresses.push_back(static_cast<std::uint16_t>(pad));
    addresses.push_back(kNoAddr);
    std::vector<std::uint16_t> found((kMaxAddress + 1) * (kMaxAddress + 2), kNoAddr);
    api.FindLstn(board, addresses.data(), found.data(), static_cast<int>(found.size()));
    const CallResult r = lib->last();
    if (r.failed()) continue;
    const long n = std::clamp<long>(r.count, 0, static_cast<long>(found.size()));
    for (long i = 0; i < n; ++i) {
      const int pad = found[i] & 0xFF;
      const std::uint16_t secondary = visa_secondary(found[i] >> 8);
      if (secondary == kVisaNoSecondary)
        names.push_back(fmt::format("GPIB{}::{}::INSTR", board, pad));
      else
        names.push_back(fmt::format("GPIB{}::{}::{}::INSTR", board, pad, secondary));
    }
  }
  return names;
}

const char* unavailable() { return Libgpib::unavailable_reason(); }

const char* found_at() {
  const Libgpib* lib = Libgpib::get();
  if (!lib) return nullptr;
  static std::once_flag once;
  static std::string text;
  std::call_once(once, [&] { text = "libgpib: " + lib->path(); });
  return text.c_str();
}

}  // namespace cppvisa::gpib
