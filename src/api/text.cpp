// Showing data to people (text.hpp): the tools and the I/O trace share these.
#include <cppvisa/text.hpp>

#include <cppvisa/error.hpp>

#include <fmt/format.h>

#include <charconv>

namespace cppvisa {
namespace {

bool text_byte(unsigned char c) { return (c >= 0x20 && c < 0x7F) || c == '\t' || c == '\r' || c == '\n'; }

// Length of the valid UTF-8 sequence at text[i], or 0 when it is not one.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  auto c = static_cast<unsigned char>(text[i]);
  std::size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > text.size()) return 0;
  for (std::size_t k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 0;
  return len;
}

}  // namespace

bool is_text(std::span<const std::byte> data) noexcept {
  for (std::byte b : data)
    if (!text_byte(static_cast<unsigned char>(b))) return false;
  return true;
}

std::string show_bytes(std::span<const std::byte> data, std::size_t limit) {
  bool cut = limit > 0 && data.size() > limit;
  auto shown = cut ? data.first(limit) : data;
  std::string out;
  if (is_text(data)) {
    out.reserve(shown.size() + 8);
    out += '"';
    for (std::byte b : shown) {
      auto c = static_cast<char>(b);
      switch (c) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        default: out += c;
      }
    }
    out += '"';
  } else {
    out.reserve(shown.size() * 3 + 8);
    out += "hex";
    for (std::byte b : shown) out += fmt::format(" {:02x}", static_cast<unsigned>(b));
  }
  if (cut) out += fmt::format(" ... ({} bytes)", data.size());
  return out;
}

std::string parse_shown_bytes(std::string_view shown) {
  if (shown.ends_with(" bytes)") && shown.find(" ... (") != std::string_view::npos)
    throw Error("the data was cut when it was shown (" + std::string(shown.substr(shown.rfind(" ... (") + 5)) +
                "); a trace for reading back needs CPPVISA_TRACE_DATA=0");
  std::string out;
  if (shown.size() >= 2 && shown.front() == '"' && shown.back() == '"') {
    std::string_view body = shown.substr(1, shown.size() - 2);
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] != '\\') {
        out += body[i];
        continue;
      }
      if (++i == body.size()) throw Error("shown bytes end with a lone backslash");
      switch (body[i]) {
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        default: throw Error(fmt::format("unknown escape \\{} in shown bytes", body[i]));
      }
    }
    return out;
  }
  if (shown == "hex") return out;
  if (!shown.starts_with("hex ")) throw Error("shown bytes are neither quoted text nor hex");
  for (std::size_t i = 3; i < shown.size(); i += 3) {
    unsigned v = 0;
    if (i + 3 > shown.size() || shown[i] != ' ' ||
        std::from_chars(shown.data() + i + 1, shown.data() + i + 3, v, 16).ptr != shown.data() + i + 3)
      throw Error("malformed hex in shown bytes");
    out += static_cast<char>(v);
  }
  return out;
}

std::string hex_dump(std::span<const std::byte> data) {
  std::string out;
  for (std::size_t offset = 0; offset < data.size(); offset += 16) {
    auto line = data.subspan(offset, std::min<std::size_t>(16, data.size() - offset));
    out += fmt::format("{:08x} ", offset);
    for (std::size_t i = 0; i < 16; ++i) {
      if (i == 8) out += ' ';
      out += i < line.size() ? fmt::format(" {:02x}", static_cast<unsigned>(line[i])) : std::string("   ");
    }
    out += "  |";
    for (std::byte b : line) {
      auto c = static_cast<unsigned char>(b);
      out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '.';
    }
    out += "|\n";
  }
  return out;
}

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += fmt::format("\\u{:04x}", c);
        } else if (c < 0x80) {
          out += static_cast<char>(c);
        } else if (auto len = utf8_length(text, i); len > 0) {
          out.append(text.substr(i, len));
          i += len - 1;
        } else {
          out += "\\ufffd";
        }
    }
  }
  out += '"';
  return out;
}

std::string error_cause(const std::exception& e) {
  // VisaIOError::what() already carries the status name, code, description and context.
  return e.what();
}

}  // namespace cppvisa
