#include "protocols/usbtmc/usbtmc_quirks.hpp"

#include <cstdlib>

namespace cppvisa::usbtmc {
namespace {

struct FlagName {
  std::string_view name;
  std::uint32_t bit;
};
constexpr FlagName kFlags[] = {
    {"headerless_continuation", quirk::headerless_continuation},
    {"accept_wrong_tag", quirk::accept_wrong_tag},
    {"accept_wrong_msg_id", quirk::accept_wrong_msg_id},
    {"no_termchar_request", quirk::no_termchar_request},
    {"clear_on_open", quirk::clear_on_open},
    {"termchar_in_request", quirk::termchar_in_request},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::uint16_t> parse_id(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 8) return std::nullopt;
  std::string text(s);
  char* end = nullptr;
  unsigned long v = std::strtoul(text.c_str(), &end, 0);
  if (end == text.c_str() || *end != '\0' || v > 0xFFFF || text[0] == '-' || text[0] == '+') return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

}  // namespace

const std::vector<QuirkRow>& builtin_quirks() {
  // Rigol oscilloscopes send one header for a whole reply and continue the data in further
  // Bulk-IN transfers without headers; the Linux usbtmc driver reads them that way
  // (drivers/usb/class/usbtmc.c, usbtmc_id_quirk / rigol_quirk, Linux 3.x-4.19), python-usbtmc
  // does the same for its RIGOL_QUIRK_PIDS (python-ivi/python-usbtmc usbtmc/usbtmc.py).
  static const std::vector<QuirkRow> rows = {
      {0x1AB1, 0x0588, {}, quirk::headerless_continuation, "Linux usbtmc.c usbtmc_id_quirk; python-usbtmc RIGOL_QUIRK_PIDS"},
      {0x1AB1, 0x04B0, {}, quirk::headerless_continuation, "Linux usbtmc.c usbtmc_id_quirk"},
      {0x1AB1, 0x04CE, {}, quirk::headerless_continuation, "python-usbtmc RIGOL_QUIRK_PIDS"},
      // Rigol DS1102Z-E (firmware 00.06.04) caps each reply at one packet, ends it with a
      // zero-length packet without EOM, and echoes the previous bTag in the continuation's
      // header: gotmc/usbtmc pull request 12 ("honor EOM bit, drain multi-packet bulk-IN
      // responses", tested on that instrument). Known by model, not by product id.
      {0x1AB1, std::nullopt, "DS1102Z-E", quirk::headerless_continuation | quirk::accept_wrong_tag,
       "gotmc/usbtmc PR 12 (Rigol DS1102Z-E, firmware 00.06.04)"},
  };
  return rows;
}

bool parse_quirk_overrides(std::string_view text, std::vector<QuirkRow>& rows, std::string& error) {
  std::vector<QuirkRow> out;
  while (!trim(text).empty()) {
    auto semi = text.find(';');
    std::string_view row = trim(text.substr(0, semi));
    text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
    if (row.empty()) continue;
    auto eq = row.find('=');
    auto colon = row.find(':');
    if (eq == std::string_view::npos || colon == std::string_view::npos || colon > eq) {
      error = "quirk row '" + std::string(row) + "' is not vid:pid=flags";
      return false;
    }
    QuirkRow q;
    auto vid = parse_id(row.substr(0, colon));
    std::string_view pid_text = trim(row.substr(colon + 1, eq - colon - 1));
    if (auto tilde = pid_text.find('~'); tilde != std::string_view::npos) {
      q.idn = std::string(trim(pid_text.substr(tilde + 1)));
      pid_text = trim(pid_text.substr(0, tilde));
      if (q.idn.empty()) {
        error = "empty *IDN? text after '~' in '" + std::string(row) + "'";
        return false;
      }
    }
    if (!vid) {
      error = "bad vendor id in '" + std::string(row) + "'";
      return false;
    }
    q.vendor_id = *vid;
    if (pid_text != "*") {
      auto pid = parse_id(pid_text);
      if (!pid) {
        error = "bad product id in '" + std::string(row) + "'";
        return false;
      }
      q.product_id = *pid;
    }
    std::string_view flags = row.substr(eq + 1);
    while (!trim(flags).empty()) {
      auto comma = flags.find(',');
      std::string_view name = trim(flags.substr(0, comma));
      flags = comma == std::string_view::npos ? std::string_view{} : flags.substr(comma + 1);
      if (name == "none") continue;
      bool known = false;
      for (const auto& f : kFlags)
        if (f.name == name) q.flags |= f.bit, known = true;
      if (!known) {
        error = "unknown quirk '" + std::string(name) + "'";
        return false;
      }
    }
    q.source = "CPPVISA_USBTMC_QUIRKS";
    out.push_back(q);
  }
  rows = std::move(out);
  return true;
}

std::uint32_t quirks_for(std::uint16_t vendor_id, std::uint16_t product_id, const std::vector<QuirkRow>& overrides) {
  std::uint32_t flags = 0;
  auto apply = [&](const std::vector<QuirkRow>& rows) {
    for (const auto& r : rows)
      if (r.idn.empty() && r.vendor_id == vendor_id && (!r.product_id || *r.product_id == product_id)) flags = r.flags;
  };
  apply(builtin_quirks());
  apply(overrides);
  return flags;
}

std::vector<QuirkRow> identity_quirks_for(std::uint16_t vendor_id, std::uint16_t product_id,
                                          const std::vector<QuirkRow>& overrides) {
  std::vector<QuirkRow> out;
  for (const auto* rows : {&builtin_quirks(), &overrides})
    for (const auto& r : *rows)
      if (!r.idn.empty() && r.vendor_id == vendor_id && (!r.product_id || *r.product_id == product_id))
        out.push_back(r);
  return out;
}

std::uint32_t quirks_for_identity(std::uint32_t flags, std::string_view idn, const std::vector<QuirkRow>& rows) {
  for (const auto& r : rows)
    if (!r.idn.empty() && idn.find(r.idn) != std::string_view::npos) flags = r.flags;
  return flags;
}

void apply_quirks(std::uint32_t flags, SessionOptions& o) {
  o.headerless_continuation = (flags & quirk::headerless_continuation) != 0;
  o.accept_wrong_tag = (flags & quirk::accept_wrong_tag) != 0;
  o.accept_wrong_msg_id = (flags & quirk::accept_wrong_msg_id) != 0;
  o.no_termchar_request = (flags & quirk::no_termchar_request) != 0;
  o.clear_on_open = (flags & quirk::clear_on_open) != 0;
  o.termchar_in_request = (flags & quirk::termchar_in_request) != 0;
}

void apply_identity_quirks(std::uint32_t flags, std::vector<QuirkRow> rows, SessionOptions& options) {
  if (rows.empty()) return;
  options.identify = [flags, rows = std::move(rows)](std::string_view idn, SessionOptions& o) {
    auto identify = std::move(o.identify);  // apply_quirks rewrites the flags only
    apply_quirks(quirks_for_identity(flags, idn, rows), o);
    o.identify = std::move(identify);
  };
}

}  // namespace cppvisa::usbtmc
