#include "protocols/mdns/dns_message.hpp"

#include <cctype>

namespace cppvisa::mdns {
namespace {

class Reader {
 public:
  explicit Reader(std::span<const std::byte> in) : in_(in) {}
  bool ok() const noexcept { return ok_; }
  std::size_t pos() const noexcept { return pos_; }
  std::uint8_t u8() {
    if (!ok_ || pos_ + 1 > in_.size()) return fail();
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  std::uint16_t u16() {
    std::uint16_t hi = u8();
    return static_cast<std::uint16_t>((hi << 8) | u8());
  }
  std::uint32_t u32() {
    std::uint32_t hi = u16();
    return (hi << 16) | u16();
  }
  std::span<const std::byte> take(std::size_t n) {
    if (!ok_ || n > in_.size() - pos_) {
      fail();
      return {};
    }
    auto s = in_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  // RFC 1035 §4.1.4: a name is labels ending in a zero octet or a pointer to a prior occurrence.
  // Pointers must point before the label that holds them, so a chain of them always moves
  // backwards and ends; the jump count bounds the work besides.
  std::string name() {
    std::string out;
    std::size_t p = pos_, length = 0, jumps = 0;
    bool jumped = false;
    std::size_t limit = pos_;  // a pointer must point before this offset
    for (;;) {
      if (!ok_ || p >= in_.size()) return fail(), std::string{};
      auto len = static_cast<std::uint8_t>(in_[p]);
      if ((len & 0xC0) == 0xC0) {
        if (p + 1 >= in_.size() || ++jumps > max_pointer_jumps) return fail(), std::string{};
        std::size_t target = (static_cast<std::size_t>(len & 0x3F) << 8) | static_cast<std::uint8_t>(in_[p + 1]);
        if (!jumped) pos_ = p + 2;
        jumped = true;
        if (target >= limit) return fail(), std::string{};
        limit = target;
        p = target;
        continue;
      }
      if (len & 0xC0) return fail(), std::string{};  // 0x40/0x80: extended label types (RFC 6891), unused
      if (len == 0) {
        if (!jumped) pos_ = p + 1;
        return out;
      }
      if (p + 1 + len > in_.size() || (length += len + 1) > max_name_length) return fail(), std::string{};
      if (!out.empty()) out += '.';
      out += escape_label({reinterpret_cast<const char*>(in_.data() + p + 1), len});
      p += 1 + len;
      if (!jumped) limit = p;
    }
  }
  std::uint8_t fail() noexcept {
    ok_ = false;
    return 0;
  }

 private:
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

bool decode_rdata(Reader& r, Record& rec, std::size_t rdlength) {
  const std::size_t end = r.pos() + rdlength;
  switch (rec.type) {
    case rr_type::ptr:
      rec.target = r.name();
      break;
    case rr_type::srv:
      rec.priority = r.u16();
      rec.weight = r.u16();
      rec.port = r.u16();
      rec.target = r.name();
      break;
    case rr_type::a:
    case rr_type::aaaa: {
      std::size_t n = rec.type == rr_type::a ? 4 : 16;
      if (rdlength != n) return false;
      auto bytes = r.take(n);
      for (std::size_t i = 0; i < bytes.size(); ++i) rec.address[i] = static_cast<std::uint8_t>(bytes[i]);
      break;
    }
    case rr_type::txt:
      while (r.ok() && r.pos() < end) {
        std::size_t n = r.u8();
        auto s = r.take(n);
        if (r.ok() && n > 0) rec.txt.emplace_back(reinterpret_cast<const char*>(s.data()), s.size());
      }
      break;
    default: {
      auto s = r.take(rdlength);
      for (auto b : s) rec.rdata.push_back(static_cast<std::uint8_t>(b));
    }
  }
  return r.ok() && r.pos() == end;
}

void put16(std::vector<std::byte>& out, std::uint16_t v) {
  out.push_back(static_cast<std::byte>(v >> 8));
  out.push_back(static_cast<std::byte>(v & 0xFF));
}

void put32(std::vector<std::byte>& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v & 0xFFFF));
}

void put_name(std::vector<std::byte>& out, std::string_view name) {
  std::string label;
  auto flush = [&] {
    if (label.empty()) return;
    std::size_t n = label.size() > 63 ? 63 : label.size();  // RFC 1035 §2.3.4: labels of 63 octets
    out.push_back(static_cast<std::byte>(n));
    for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::byte>(label[i]));
    label.clear();
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\' && i + 1 < name.size()) label += name[++i];
    else if (name[i] == '.') flush();
    else label += name[i];
  }
  flush();
  out.push_back(std::byte{0});
}

// Names compare case-insensitively in ASCII (RFC 1035 §2.3.3, RFC 6762 §16).
char fold(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

bool same_name(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (fold(a[i]) != fold(b[i])) return false;
  return true;
}

std::string escape_label(std::string_view label) {
  std::string out;
  out.reserve(label.size());
  for (char c : label) {
    if (c == '.' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string first_label(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\' && i + 1 < name.size()) out += name[++i];
    else if (name[i] == '.') break;
    else out += name[i];
  }
  return out;
}

bool decode(std::span<const std::byte> data, Message& out) {
  out = Message{};
  Reader r(data);
  out.id = r.u16();
  out.flags = r.u16();
  const std::size_t qd = r.u16();
  const std::size_t rr = std::size_t{r.u16()} + r.u16() + r.u16();
  if (!r.ok()) return false;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < qd; ++i) {
    Question q;
    q.name = r.name();
    q.type = r.u16();
    q.klass = r.u16();
    if (!r.ok()) return false;
    if (++kept > max_records) return true;
    out.questions.push_back(std::move(q));
  }
  for (std::size_t i = 0; i < rr; ++i) {
    Record rec;
    rec.name = r.name();
    rec.type = r.u16();
    rec.klass = r.u16();
    rec.ttl = r.u32();
    const std::size_t rdlength = r.u16();
    if (!r.ok()) return false;
    if ((rec.klass & ~class_top_bit) != class_in) {
      r.take(rdlength);
      if (!r.ok()) return false;
      continue;
    }
    if (!decode_rdata(r, rec, rdlength)) return false;
    if (++kept > max_records) return true;
    out.answers.push_back(std::move(rec));
  }
  return true;
}

std::vector<std::byte> encode(const Message& m) {
  std::vector<std::byte> out;
  put16(out, m.id);
  put16(out, m.flags);
  put16(out, static_cast<std::uint16_t>(m.questions.size()));
  put16(out, static_cast<std::uint16_t>(m.answers.size()));
  put16(out, 0);
  put16(out, 0);
  for (const auto& q : m.questions) {
    put_name(out, q.name);
    put16(out, q.type);
    put16(out, q.klass);
  }
  for (const auto& rec : m.answers) {
    put_name(out, rec.name);
    put16(out, rec.type);
    put16(out, rec.klass);
    put32(out, rec.ttl);
    const std::size_t length_at = out.size();
    put16(out, 0);
    switch (rec.type) {
      case rr_type::ptr: put_name(out, rec.target); break;
      case rr_type::srv:
        put16(out, rec.priority);
        put16(out, rec.weight);
        put16(out, rec.port);
        put_name(out, rec.target);
        break;
      case rr_type::a:
      case rr_type::aaaa:
        for (std::size_t i = 0; i < (rec.type == rr_type::a ? 4u : 16u); ++i) out.push_back(std::byte{rec.address[i]});
        break;
      case rr_type::txt:
        // RFC 6763 §6.1: an empty TXT record holds one empty string.
        if (rec.txt.empty()) out.push_back(std::byte{0});
        for (const auto& s : rec.txt) {
          std::size_t n = s.size() > 255 ? 255 : s.size();
          out.push_back(static_cast<std::byte>(n));
          for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::byte>(s[i]));
        }
        break;
      default:
        for (auto b : rec.rdata) out.push_back(std::byte{b});
    }
    const std::size_t n = out.size() - length_at - 2;
    out[length_at] = static_cast<std::byte>(n >> 8);
    out[length_at + 1] = static_cast<std::byte>(n & 0xFF);
  }
  return out;
}

std::vector<std::vector<std::byte>> encode_in_parts(const Message& message, std::size_t limit) {
  // encode() compresses no name: a message's size is its header and questions plus each record's.
  Message part = message;
  part.answers.clear();
  const std::size_t base = encode(part).size();
  std::vector<std::vector<std::byte>> parts;
  std::size_t size = base;
  auto flush = [&] {
    if (!part.answers.empty()) parts.push_back(encode(part));
    part.answers.clear();
    size = base;
  };
  for (const auto& r : message.answers) {
    Message alone;
    alone.answers = {r};
    const std::size_t n = encode(alone).size() - 12;  // without its header
    if (base + n > limit) continue;
    if (size + n > limit) flush();
    part.answers.push_back(r);
    size += n;
  }
  flush();
  return parts;
}

std::string txt_value(const std::vector<std::string>& txt, std::string_view key) {
  for (const auto& s : txt) {
    auto eq = s.find('=');
    std::string_view k = std::string_view(s).substr(0, eq);
    if (same_name(k, key)) return eq == std::string::npos ? std::string{} : s.substr(eq + 1);
  }
  return {};
}

}  // namespace cppvisa::mdns
