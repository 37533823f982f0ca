// read_reply() and terminations by name (reply.hpp).
#include <cppvisa/reply.hpp>

#include <cppvisa/error.hpp>
#include <cppvisa/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>

namespace cppvisa {
namespace {

const std::pair<std::string_view, std::string_view> termination_names[] = {
    {"CR", "\r"}, {"LF", "\n"}, {"CRLF", "\r\n"}, {"NUL", std::string_view("\0", 1)}, {"None", ""}};

// The total length of a definite-length block at the start of `data`, or 0 when there is none
// (or its header is not complete yet).
std::size_t block_length(const std::vector<std::byte>& data) {
  auto at = [&](std::size_t i) { return static_cast<char>(data[i]); };
  if (data.size() < 2 || at(0) != '#' || at(1) < '1' || at(1) > '9') return 0;
  auto digits = static_cast<std::size_t>(at(1) - '0');
  if (data.size() < 2 + digits) return 0;
  std::size_t length = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    if (at(2 + i) < '0' || at(2 + i) > '9') return 0;
    length = length * 10 + static_cast<std::size_t>(at(2 + i) - '0');
  }
  return 2 + digits + length;
}

}  // namespace

std::vector<std::byte> read_reply(MessageBasedResource& resource) { return read_reply(resource, nullptr); }

std::vector<std::byte> read_reply(MessageBasedResource& resource, const ReadProgress& progress) {
  const std::size_t term = resource.read_termination().size();
  auto report = [&](const std::vector<std::byte>& got) {
    if (!progress) return;
    std::size_t block = block_length(got);
    progress(got.size(), block ? block + term : 0);
  };
  std::vector<std::byte> reply;
  status_t st = status::SUCCESS_MAX_CNT;
  if (!progress) {
    reply = resource.read_raw();
    st = resource.last_status();
  } else {
    // read_raw() one viRead at a time, telling `progress` of each.
    const std::size_t chunk = resource.chunk_size();
    while (st == status::SUCCESS_MAX_CNT) {
      std::size_t old = reply.size();
      reply.resize(old + chunk);
      std::size_t n = resource.read_into(std::span(reply).subspan(old), st);
      reply.resize(old + n);
      report(reply);
    }
  }
  if (st != status::SUCCESS_TERM_CHAR) return reply;
  std::size_t needed = block_length(reply);
  if (needed <= reply.size()) return reply;
  // The rest of the block is binary: without the termination character each of its 0x0A bytes
  // would end a read. Restored afterwards, also on error.
  struct TermcharOff {
    MessageBasedResource& r;
    std::int64_t was;
    explicit TermcharOff(MessageBasedResource& res) : r(res), was(res.get_int_attribute(attr::TERMCHAR_EN)) {
      if (was) r.set_visa_attribute(attr::TERMCHAR_EN, std::int64_t{0});
    }
    ~TermcharOff() {
      std::error_code ignored;
      if (was) r.set_visa_attribute(attr::TERMCHAR_EN, was, ignored);
    }
  };
  {
    TermcharOff off(resource);
    const std::size_t piece = progress ? std::max<std::size_t>(resource.chunk_size(), 65536) : needed;
    while (reply.size() < needed) {
      auto rest = resource.read_bytes(std::min(piece, needed - reply.size()));
      reply.insert(reply.end(), rest.begin(), rest.end());
      report(reply);
    }
  }
  if (term > 0) {
    auto tail = resource.read_raw();
    reply.insert(reply.end(), tail.begin(), tail.end());
    report(reply);
  }
  return reply;
}

std::string parse_termination(std::string_view name) {
  if (name.empty()) throw Error("empty termination (use CR, LF, CRLF, NUL or None)");
  for (auto& [n, value] : termination_names)
    if (name == n || (n == "None" && name == "none")) return std::string(value);
  return unescape(name);
}

std::string termination_name(std::string_view termination) {
  for (auto& [n, value] : termination_names)
    if (termination == value) return std::string(n);
  return show_bytes(termination);
}

std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    char c = text[++i];
    switch (c) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case '0': out += '\0'; break;
      case '\\': out += '\\'; break;
      case 'x':
        if (i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) && std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
          out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
          i += 2;
          break;
        }
        [[fallthrough]];
      default:
        out += '\\';
        out += c;
    }
  }
  return out;
}

}  // namespace cppvisa
