#include "protocols/prologix/prologix_wire.hpp"

#include <cctype>

namespace cppvisa::prologix {

namespace {
constexpr std::byte cr{'\r'}, lf{'\n'}, plus{'+'};
bool line_end(std::byte b) { return b == cr || b == lf; }
}  // namespace

void append_escaped(std::span<const std::byte> data, std::vector<std::byte>& out) {
  out.reserve(out.size() + data.size() + data.size() / 16 + 1);
  for (std::byte b : data) {
    if (line_end(b) || b == esc || b == plus) out.push_back(esc);
    out.push_back(b);
  }
}

void append_data_line(std::span<const std::byte> data, std::vector<std::byte>& out) {
  append_escaped(data, out);
  out.push_back(lf);
}

std::string address_command(int primary, std::optional<int> secondary) {
  std::string text = "++addr " + std::to_string(primary);
  if (secondary) text += " " + std::to_string(96 + *secondary);
  return text + "\n";
}

ReplyReader::Result ReplyReader::feed(std::span<const std::byte> in, std::size_t& consumed) {
  consumed = 0;
  if (complete_) return Result::line;
  for (std::byte b : in) {
    ++consumed;
    if (b == lf) {
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      complete_ = true;
      return Result::line;
    }
    if (line_.size() >= max_line) return Result::too_long;
    line_ += static_cast<char>(b);
  }
  return Result::need_more;
}

void ReplyReader::reset() noexcept {
  line_.clear();
  complete_ = false;
}

std::optional<unsigned> parse_number(std::string_view line, unsigned max) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t' || line.front() == '\r')) line.remove_prefix(1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
  if (line.empty() || line.size() > 10) return std::nullopt;
  unsigned long value = 0;
  for (char c : line) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max) return std::nullopt;
  return static_cast<unsigned>(value);
}

std::optional<Command> parse_command(std::string_view line) {
  if (line.size() < 3 || line.substr(0, 2) != "++") return std::nullopt;
  line.remove_prefix(2);
  Command c;
  std::size_t i = 0;
  auto space = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; };
  while (i < line.size()) {
    while (i < line.size() && space(line[i])) ++i;
    std::size_t start = i;
    while (i < line.size() && !space(line[i])) ++i;
    if (i == start) break;
    std::string word(line.substr(start, i - start));
    if (c.name.empty()) {
      for (char& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      c.name = std::move(word);
    } else {
      c.args.push_back(std::move(word));
    }
  }
  if (c.name.empty()) return std::nullopt;
  return c;
}

void HostParser::feed(std::span<const std::byte> in, const std::function<void(const Event&)>& sink) {
  auto flush_data = [&] {
    if (data_.empty()) return;
    sink(Event{Event::data, data_, {}});
    data_.clear();
  };
  auto end_data_line = [&] {
    flush_data();
    if (line_has_data_) sink(Event{Event::data_end, {}, {}});
    line_has_data_ = false;
    state_ = State::line_start;
  };
  auto data_byte = [&](std::byte b) {
    data_.push_back(b);
    line_has_data_ = true;
    if (data_.size() >= 65536) flush_data();
  };
  // A data byte as it comes in the data state (escapes and line ends apply).
  auto in_data = [&](std::byte b) {
    if (b == esc) {
      line_has_data_ = true;
      state_ = State::data_escape;
    } else if (line_end(b)) {
      end_data_line();
    } else {
      data_byte(b);
      state_ = State::data;
    }
  };
  for (std::byte b : in) {
    switch (state_) {
      case State::line_start:
        if (b == plus) state_ = State::plus;
        else if (!line_end(b)) in_data(b);  // empty lines (CR LF pairs) carry nothing
        break;
      case State::plus:
        if (b == plus) {
          command_ = "++";
          state_ = State::command;
        } else {
          data_byte(plus);
          state_ = State::data;
          in_data(b);
        }
        break;
      case State::data:
        in_data(b);
        break;
      case State::data_escape:
        data_byte(b);
        state_ = State::data;
        break;
      case State::command:
        if (line_end(b)) {
          sink(Event{Event::command, {}, command_});
          command_.clear();
          state_ = State::line_start;
        } else if (command_.size() >= max_command) {
          sink(Event{Event::command_too_long, {}, {}});
          command_.clear();
          state_ = State::skip_command;
        } else {
          command_ += static_cast<char>(b);
        }
        break;
      case State::skip_command:
        if (line_end(b)) state_ = State::line_start;
        break;
    }
  }
  flush_data();
}

}  // namespace cppvisa::prologix
