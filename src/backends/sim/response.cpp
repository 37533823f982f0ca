#include "backends/sim/response.hpp"

namespace cppvisa::sim {

namespace {

constexpr long max_random_count = 100000;

// Decodes one UTF-8 code point at s[i]; advances i. Invalid sequences yield the byte itself.
std::uint32_t decode_utf8(std::string_view s, std::size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return b;
  }
  std::uint32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
  for (std::size_t k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) {
      ++i;
      return b;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  i += len;
  return cp;
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

const char* random_usage = "expected {RANDOM(min, max, count):format}, e.g. {RANDOM(0, 10.5, 3):.2f}";

}  // namespace

std::string to_bytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 'r' || text[i + 1] == 'n')) {
      out.push_back(text[i + 1] == 'r' ? '\r' : '\n');
      i += 2;
      continue;
    }
    if (text.compare(i, 6, "BYTES(") == 0) {
      auto close = text.find(')', i + 6);
      if (close == std::string_view::npos) throw FormatError("BYTES( without a closing parenthesis");
      std::string_view inner = text.substr(i + 6, close - i - 6);
      // The enclosed characters encoded as latin-1: each must be a code point below 256.
      std::size_t k = 0;
      while (k < inner.size()) {
        std::uint32_t cp = decode_utf8(inner, k);
        if (cp > 0xFF)
          throw FormatError("BYTES(...) may only contain characters U+0000..U+00FF (one byte each), e.g. \"BYTES(\\xaa\\x55)\"");
        out.push_back(static_cast<char>(cp));
      }
      i = close + 1;
      continue;
    }
    out.push_back(text[i++]);
  }
  return out;
}

ResponseTemplate ResponseTemplate::parse(std::string_view text, Mode mode) {
  ResponseTemplate t;
  t.source_ = std::string(text);
  auto add_text = [&](std::string_view chunk) {
    if (chunk.empty()) return;
    if (chunk.find("RANDOM(") != std::string_view::npos)
      throw FormatError(std::string("Wrong RANDOM directive: ") + random_usage);
    Piece p;
    std::string bytes = to_bytes(chunk);
    if (mode == Mode::getter) {
      p.kind = Piece::Kind::format;
      p.format = FormatTemplate::parse(bytes);
    } else {
      p.bytes = std::move(bytes);
    }
    t.pieces_.push_back(std::move(p));
  };
  std::size_t pos = 0;
  while (true) {
    auto start = text.find("{RANDOM(", pos);
    if (start == std::string_view::npos) break;
    add_text(text.substr(pos, start - pos));
    auto close = text.find(')', start);
    if (close == std::string_view::npos) throw FormatError(std::string("Wrong RANDOM directive: ") + random_usage);
    std::string_view args = text.substr(start + 8, close - start - 8);
    std::vector<std::string_view> parts;
    for (std::size_t b = 0;;) {
      auto comma = args.find(',', b);
      parts.push_back(trim_spaces(args.substr(b, comma == std::string_view::npos ? std::string_view::npos : comma - b)));
      if (comma == std::string_view::npos) break;
      b = comma + 1;
    }
    if (parts.size() != 3) throw FormatError(std::string("Wrong RANDOM directive (three arguments needed): ") + random_usage);
    auto lo = parse_python_float(parts[0]), hi = parse_python_float(parts[1]);
    auto n = parse_python_int(parts[2]);
    if (!lo || !hi || !n) throw FormatError(std::string("Wrong RANDOM directive (numbers expected): ") + random_usage);
    if (*n < 0 || *n > max_random_count)
      throw FormatError("Wrong RANDOM directive: the count must be between 0 and " + std::to_string(max_random_count));
    auto end = text.find('}', close);
    if (end == std::string_view::npos) throw FormatError(std::string("Wrong RANDOM directive (no closing brace): ") + random_usage);
    std::string_view rest = text.substr(close + 1, end - close - 1);
    if (!rest.empty() && rest.front() != ':')
      throw FormatError(std::string("Wrong RANDOM directive (':' expected after the parenthesis): ") + random_usage);
    Piece p;
    p.kind = Piece::Kind::random;
    p.random.min = *lo;
    p.random.max = *hi;
    p.random.count = static_cast<long>(*n);
    p.random.spec = FormatSpec::parse(rest.empty() ? rest : rest.substr(1));
    // The spec must format a float (validated now rather than at the first query).
    format_value(Value(0.5), p.random.spec);
    t.pieces_.push_back(std::move(p));
    pos = end + 1;
  }
  add_text(text.substr(pos));
  return t;
}

ResponseTemplate ResponseTemplate::malformed(std::string_view text, std::string why) {
  ResponseTemplate t;
  t.source_ = std::string(text);
  t.malformed_ = why.empty() ? std::string("malformed response") : std::move(why);
  return t;
}

std::string ResponseTemplate::render(const Value* value, PythonRandom& rng) const {
  if (!malformed_.empty()) throw MalformedResponse(malformed_);
  std::string out;
  auto bounded = [&] {
    if (out.size() > max_response_size)
      throw FormatError("the response would be longer than " + std::to_string(max_response_size >> 20) + " MiB");
  };
  for (const auto& p : pieces_) {
    switch (p.kind) {
      case Piece::Kind::bytes: out += p.bytes; break;
      case Piece::Kind::format:
        if (p.format.has_fields() && !value) throw FormatError("no value to format");
        out += p.format.format(value ? *value : Value(std::string()), max_response_size - out.size());
        break;
      case Piece::Kind::random:
        for (long k = 0; k < p.random.count; ++k) {
          if (k) out += ", ";
          out += format_value(Value(rng.uniform(p.random.min, p.random.max)), p.random.spec);
          bounded();
        }
        break;
    }
    bounded();
  }
  return out;
}

bool ResponseTemplate::uses_random() const noexcept {
  for (const auto& p : pieces_)
    if (p.kind == Piece::Kind::random) return true;
  return false;
}

bool ResponseTemplate::uses_value() const noexcept {
  for (const auto& p : pieces_)
    if (p.kind == Piece::Kind::format && p.format.has_fields()) return true;
  return false;
}

std::string render_getter(const ResponseTemplate& t, const Value& value, PythonRandom& rng) {
  try {
    return t.render(&value, rng);
  } catch (const FormatError&) {
    const auto* text = std::get_if<std::string>(&value);
    if (!text) throw;
    if (auto i = parse_python_int(*text)) {
      try {
        Value v(*i);
        return t.render(&v, rng);
      } catch (const FormatError&) {
      }
    }
    auto d = parse_python_float(*text);
    if (!d) throw;
    Value v(*d);
    return t.render(&v, rng);
  }
}

bool ResponseTemplate::is_static() const noexcept { return malformed_.empty() && !uses_random() && !uses_value(); }

}  // namespace cppvisa::sim
