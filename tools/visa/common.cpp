// Shared pieces of the `visa` subcommands (common.hpp).
#include "common.hpp"

#include <fmt/format.h>

namespace visa_tool {

void add_backend_option(CLI::App& app, std::string& backend) {
  app.add_option("-b,--backend", backend,
                 "backend: @native, @sim, FILE.yaml@sim, @ivi or a VISA library path (default: as open_backend "
                 "chooses, CPPVISA_LIBRARY/PYVISA_LIBRARY first)");
}

std::string check_framing(const std::string& name) {
  try {
    cppvisa::parse_framing(name);
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

void add_open_options(CLI::App& app, OpenSettings& s) {
  add_backend_option(app, s.backend);
  app.add_option("-t,--timeout", s.timeout_ms, "I/O timeout in ms (inf: none)")->capture_default_str();
  app.add_option("--read-termination", s.read_termination, "CR, LF, CRLF, NUL, None or text with \\ escapes")
      ->capture_default_str();
  app.add_option("--write-termination", s.write_termination, "CR, LF, CRLF, NUL, None or text with \\ escapes")
      ->capture_default_str();
  app.add_option("--baud", s.baud, "serial ports: the baud rate");
  app.add_option("--framing", s.framing, "serial ports: data bits, parity, stop bits (8N1, 7E1, ...)")
      ->check(check_framing);
}

std::unique_ptr<cppvisa::MessageBasedResource> open_message_based(cppvisa::ResourceManager& rm,
                                                                   const std::string& name,
                                                                   const OpenSettings& s) {
  cppvisa::OpenOptions open;
  std::optional<std::uint32_t> baud;
  if (s.baud > 0) baud = s.baud;
  std::optional<cppvisa::SerialFraming> framing;
  if (!s.framing.empty()) framing = cppvisa::parse_framing(s.framing);
  cppvisa::add_serial_properties(open, baud, framing);
  auto r = rm.open<cppvisa::MessageBasedResource>(name, open);
  r->set_timeout_ms(s.timeout_ms);
  r->set_read_termination(cppvisa::parse_termination(s.read_termination));
  r->set_write_termination(cppvisa::parse_termination(s.write_termination));
  return r;
}

int fail(const std::exception& e) {
  fmt::print(stderr, "visa: {}\n", cppvisa::error_cause(e));
  return exit_failure;
}

namespace {
std::string strip(const cppvisa::MessageBasedResource& r, std::string text) {
  const std::string& term = r.read_termination();
  if (!term.empty() && text.ends_with(term)) text.resize(text.size() - term.size());
  return text;
}
}  // namespace

std::string reply_text(const cppvisa::MessageBasedResource& r, const std::vector<std::byte>& reply) {
  if (cppvisa::is_text(reply)) return strip(r, r.decode(reply)) + "\n";
  return cppvisa::hex_dump(reply);
}

std::string reply_json(const cppvisa::MessageBasedResource& r, const std::vector<std::byte>& reply) {
  if (cppvisa::is_text(reply))
    return fmt::format(R"("length":{},"text":{})", reply.size(), cppvisa::json_quote(strip(r, r.decode(reply))));
  std::string hex;
  hex.reserve(reply.size() * 2);
  for (std::byte b : reply) hex += fmt::format("{:02x}", static_cast<unsigned>(b));
  return fmt::format(R"("length":{},"hex":"{}")", reply.size(), hex);
}

}  // namespace visa_tool
