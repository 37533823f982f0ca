// Shared pieces of the `visa` subcommands (common.hpp).
#include "common.hpp"

#include <fmt/format.h>

#include <cstdio>

#include <unistd.h>

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

TransferProgress::TransferProgress()
    : tty_(isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()), last_(start_) {}

TransferProgress::~TransferProgress() {
  if (shown_) fmt::print(stderr, "\r\033[K");
}

cppvisa::ReadProgress TransferProgress::callback() {
  if (!tty_) return nullptr;
  start_ = last_ = std::chrono::steady_clock::now();
  return [this](std::size_t done, std::size_t total) { update(done, total); };
}

void TransferProgress::update(std::size_t done, std::size_t total) {
  using namespace std::chrono;
  auto now = steady_clock::now();
  if (now - start_ < milliseconds(500) || (shown_ && now - last_ < milliseconds(100))) return;
  last_ = now;
  shown_ = true;
  double seconds = duration<double>(now - start_).count();
  double rate = static_cast<double>(done) / seconds;  // bytes/s
  std::string line = fmt::format("{:.1f} MB", static_cast<double>(done) / 1e6);
  if (total > 0) line += fmt::format(" of {:.1f} MB ({:.0f}%)", static_cast<double>(total) / 1e6,
                                     100.0 * static_cast<double>(done) / static_cast<double>(total));
  line += fmt::format(", {:.1f} MB/s", rate / 1e6);
  if (total > done && rate > 0) line += fmt::format(", {:.1f} s left", static_cast<double>(total - done) / rate);
  fmt::print(stderr, "\r\033[K{}", line);
  std::fflush(stderr);
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
