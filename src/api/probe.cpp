// probe(): terminations, baud rates and framings of an unknown instrument (probe.hpp).
#include <cppvisa/probe.hpp>

#include <cppvisa/error.hpp>
#include <cppvisa/reply.hpp>
#include <cppvisa/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace cppvisa {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// One setting to try: a write termination, and on serial ports a rate and framing.
struct Setting {
  std::optional<std::uint32_t> baud;
  std::optional<SerialFraming> framing;
  std::string termination;
};

struct Try {
  std::vector<std::byte> bytes;
  status_t status = 0;
};

std::unique_ptr<MessageBasedResource> open_with(ResourceManager& rm, std::string_view resource, const Setting& s) {
  OpenOptions open;
  add_serial_properties(open, s.baud, s.framing);
  return rm.open<MessageBasedResource>(resource, open);
}

std::uint32_t ms(milliseconds d) { return static_cast<std::uint32_t>(std::max<milliseconds::rep>(d.count(), 1)); }

// Reads whatever comes within `wait` (termination character off: the reply's own ending is what
// probe() wants to see) and the status the read ended with.
Try read_for(MessageBasedResource& r, milliseconds wait) {
  Try t;
  std::error_code ec;
  r.set_timeout(ms(wait));
  t.bytes = r.read_raw(0, ec);
  t.status = ec ? to_status(ec) : r.last_status();
  return t;
}

// One try on a fresh session: clear, end what an earlier try may have left unterminated in the
// instrument's input, then write command + termination and read the reply.
Try attempt(ResourceManager& rm, std::string_view resource, const Setting& s, const std::string& command,
            bool end_leftovers, milliseconds timeout) {
  auto r = open_with(rm, resource, s);
  r->set_read_termination("");
  r->set_write_termination("");
  std::error_code ec;
  r->clear(ec);  // a device clear where the protocol has one; not every backend supports it
  ec.clear();
  if (end_leftovers && !s.termination.empty()) {
    // A lone termination turns "*IDN?\n" left by a try with the wrong one into a (bad) command of
    // its own; what the instrument says to it is not the reply sought, so it is thrown away.
    r->write_raw(std::as_bytes(std::span(s.termination.data(), s.termination.size())), ec);
    if (!ec) read_for(*r, std::min(timeout / 4, milliseconds(150)));
    ec.clear();
  }
  r->flush(buffer::io_in_buf, ec);  // stale input (serial ports keep it across sessions)
  ec.clear();
  Try t;
  std::string message = command + s.termination;
  r->write_raw(std::as_bytes(std::span(message.data(), message.size())), ec);
  if (ec) {
    t.status = to_status(ec);
    return t;
  }
  return read_for(*r, timeout);
}

std::string ending_of(std::string_view text) {
  using namespace std::string_view_literals;
  for (std::string_view t : {"\r\n"sv, "\n"sv, "\r"sv, "\0"sv})
    if (text.ends_with(t)) return std::string(t);
  return {};
}

bool serial_line_error(status_t s) {
  return s == status::ERROR_ASRL_FRAMING || s == status::ERROR_ASRL_PARITY || s == status::ERROR_ASRL_OVERRUN;
}

std::string describe(const Setting& s) {
  std::string out;
  if (s.baud) out += fmt::format("{} baud ", *s.baud);
  if (s.framing) out += framing_name(*s.framing) + ", ";
  return out + "write " + termination_name(s.termination);
}

}  // namespace

void add_serial_properties(OpenOptions& open, std::optional<std::uint32_t> baud,
                           const std::optional<SerialFraming>& framing) {
  if (baud) open.properties.emplace_back("baud_rate", static_cast<std::int64_t>(*baud));
  if (framing) {
    open.properties.emplace_back("data_bits", static_cast<std::int64_t>(framing->data_bits));
    open.properties.emplace_back("parity", static_cast<std::int64_t>(framing->parity));
    open.properties.emplace_back("stop_bits", static_cast<std::int64_t>(framing->stop_bits));
  }
}

std::string framing_name(const SerialFraming& f) {
  static constexpr char parity[] = {'N', 'O', 'E', 'M', 'S'};
  auto p = static_cast<std::size_t>(f.parity);
  std::string stop = f.stop_bits == StopBits::one ? "1" : f.stop_bits == StopBits::two ? "2" : "1.5";
  return fmt::format("{}{}{}", f.data_bits, p < sizeof parity ? parity[p] : '?', stop);
}

SerialFraming parse_framing(std::string_view name) {
  SerialFraming f;
  auto bad = [&] { return Error(fmt::format("not a serial framing: \"{}\" (expected e.g. 8N1, 7E1, 8N2)", name)); };
  if (name.size() < 3 || name[0] < '5' || name[0] > '8') throw bad();
  f.data_bits = static_cast<std::uint16_t>(name[0] - '0');
  switch (std::toupper(static_cast<unsigned char>(name[1]))) {
    case 'N': f.parity = Parity::none; break;
    case 'O': f.parity = Parity::odd; break;
    case 'E': f.parity = Parity::even; break;
    case 'M': f.parity = Parity::mark; break;
    case 'S': f.parity = Parity::space; break;
    default: throw bad();
  }
  std::string_view stop = name.substr(2);
  if (stop == "1") f.stop_bits = StopBits::one;
  else if (stop == "2") f.stop_bits = StopBits::two;
  else if (stop == "1.5") f.stop_bits = StopBits::one_and_a_half;
  else throw bad();
  return f;
}

ProbeResult probe(ResourceManager& rm, std::string_view resource, const ProbeOptions& options) {
  ProbeResult result;
  ResourceInfo info = rm.resource_info(resource);
  bool serial = info.interface_type == InterfaceType::asrl;
  // END travels with the data on GPIB (EOI), VXI-11 and HiSLIP (END flag) and USBTMC (EOM bit);
  // a raw socket or a serial line has nothing that ends a message but its bytes.
  bool has_end = !serial && info.resource_class != "SOCKET";
  std::vector<std::string> terminations;
  for (auto& t : options.terminations)
    if (!t.empty() || has_end) terminations.push_back(t);

  // Serial: framing by framing, rate by rate (9600 8N1 first); elsewhere the terminations alone.
  std::vector<std::pair<std::optional<SerialFraming>, std::optional<std::uint32_t>>> lines;
  if (serial)
    for (auto& f : options.framings)
      for (auto b : options.baud_rates) lines.emplace_back(f, b);
  if (lines.empty()) lines.emplace_back(std::nullopt, std::nullopt);

  auto deadline = Clock::now() + options.total_timeout;
  bool unanswered = false;  // the last try left its command in the instrument without an answer
  for (auto& [framing, baud] : lines) {
    for (auto& term : terminations) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left <= milliseconds(0)) {
        result.timed_out = true;
        return result;
      }
      Setting s{baud, framing, term};
      std::string what = describe(s);
      if (options.progress) options.progress(what);
      ++result.tries;
      Try t = attempt(rm, resource, s, options.command, unanswered, std::min(options.try_timeout, left));
      std::string text(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
      if (serial_line_error(t.status) || (!t.bytes.empty() && !is_text(t.bytes))) {
        // A wrong rate or framing garbles every reply alike: no termination helps at this setting.
        result.notes.push_back(fmt::format("{}: garbled ({}) {}", what, status_name(t.status), show_bytes(t.bytes, 16)));
        unanswered = true;
        break;
      }
      if (t.bytes.empty()) {
        result.notes.push_back(what + ": no reply (" + status_name(t.status) + ")");
        unanswered = true;
        continue;
      }
      std::string ending = ending_of(text);
      bool ended = t.status >= 0 && t.status != status::ERROR_TMO;  // END (or a read that completed)
      if (ending.empty() && !ended) {
        result.notes.push_back(what + ": a reply without termination or END " + show_bytes(text, 32));
        unanswered = true;
        continue;
      }
      result.found = true;
      result.write_termination = term;
      result.read_termination = ending;
      result.baud_rate = baud;
      result.framing = framing;
      result.reply = text.substr(0, text.size() - ending.size());
      result.notes.push_back(what + ": " + show_bytes(text, 64));
      return result;
    }
  }
  return result;
}

std::vector<std::string> probe_snippets(std::string_view resource, const ProbeResult& r) {
  auto quoted = [](const std::string& s) {
    std::string out = "\"";
    for (char c : s) out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\0' ? "\\0" : std::string(1, c);
    return out + "\"";
  };
  static constexpr const char* parity_py[] = {"none", "odd", "even", "mark", "space"};
  std::vector<std::string> lines;
  std::string cpp = fmt::format("inst->set_write_termination({}); inst->set_read_termination({});",
                                quoted(r.write_termination), quoted(r.read_termination));
  std::string py = fmt::format("rm.open_resource(\"{}\", write_termination={}, read_termination={}", resource,
                               quoted(r.write_termination), quoted(r.read_termination));
  std::string cli = fmt::format("--write-termination {} --read-termination {}", termination_name(r.write_termination),
                                termination_name(r.read_termination));
  if (r.baud_rate) {
    cpp += fmt::format(" inst->set_visa_attribute(cppvisa::attr::ASRL_BAUD, {});", *r.baud_rate);
    py += fmt::format(", baud_rate={}", *r.baud_rate);
    cli += fmt::format(" --baud {}", *r.baud_rate);
  }
  if (r.framing && !(*r.framing == SerialFraming{})) {
    const auto& f = *r.framing;
    cpp += fmt::format(
        " inst->set_visa_attribute(cppvisa::attr::ASRL_DATA_BITS, {}); inst->set_visa_attribute(cppvisa::attr::ASRL_PARITY, "
        "{}); inst->set_visa_attribute(cppvisa::attr::ASRL_STOP_BITS, {});",
        f.data_bits, static_cast<int>(f.parity), static_cast<int>(f.stop_bits));
    py += fmt::format(", data_bits={}, parity=pyvisa.constants.Parity.{}, stop_bits=pyvisa.constants.StopBits.{}",
                      f.data_bits, parity_py[static_cast<std::size_t>(f.parity) % 5],
                      f.stop_bits == StopBits::one ? "one" : f.stop_bits == StopBits::two ? "two" : "one_and_a_half");
    cli += " --framing " + framing_name(f);
  }
  lines.push_back("C++:    " + cpp);
  lines.push_back("PyVISA: " + py + ")");
  lines.push_back("visa:   " + cli);
  return lines;
}

}  // namespace cppvisa
