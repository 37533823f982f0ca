// visa_category(), VisaIOError and the per-thread error details (core/error_detail.hpp).
#include <cppvisa/error.hpp>

#include "core/error_detail.hpp"

#include <fmt/format.h>

#include <cstring>

namespace cppvisa {
namespace {

class VisaCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "visa"; }
  std::string message(int value) const override {
    auto s = static_cast<status_t>(value);
    return fmt::format("{} ({}): {}", status_name(s), s, status_description(s));
  }
};

// "<name> (<value>): <description>[: <cause>] [<context>]": the cause follows the status's
// description at once, the context (which resource, which call) ends the line.
std::string io_error_message(status_t code, const std::string& context, const std::string& detail) {
  auto text = fmt::format("{} ({}): {}", status_name(code), code, status_description(code));
  if (!detail.empty()) {
    if (!text.empty() && text.back() == '.') text.pop_back();
    text += ": " + detail;
  }
  if (!context.empty()) text += " " + context;
  return text;
}

struct ThreadDetail {
  status_t status = status::SUCCESS;
  std::string text;
};
thread_local ThreadDetail t_detail;

const std::vector<std::byte>& no_bytes() {
  static const std::vector<std::byte> empty;
  return empty;
}
const std::string& no_text() {
  static const std::string empty;
  return empty;
}

}  // namespace

const std::error_category& visa_category() noexcept {
  static const VisaCategory category;
  return category;
}

status_t to_status(const std::error_code& ec) noexcept {
  if (!ec) return status::SUCCESS;
  if (ec.category() == visa_category()) return static_cast<status_t>(ec.value());
  if (ec == std::errc::timed_out) return status::ERROR_TMO;
  return status::ERROR_SYSTEM_ERROR;
}

VisaIOError::VisaIOError(status_t code, const std::string& context)
    : VisaIOError(code, context, core::detail_for(code)) {}

VisaIOError::VisaIOError(status_t code, const std::string& context, std::string detail,
                         std::vector<std::byte> received)
    : Error(io_error_message(code, context, detail)), code_(code) {
  if (!detail.empty() || !received.empty())
    extra_ = std::make_shared<const Extra>(Extra{std::move(detail), std::move(received)});
}

std::string VisaIOError::abbreviation() const { return status_name(code_); }
std::string VisaIOError::description() const { return status_description(code_); }
const std::string& VisaIOError::detail() const noexcept { return extra_ ? extra_->detail : no_text(); }
const std::vector<std::byte>& VisaIOError::received() const noexcept {
  return extra_ ? extra_->received : no_bytes();
}

void throw_if(const std::error_code& ec, const char* context) {
  if (!ec) return;
  status_t s = to_status(ec);
  std::string text = context ? context : "";
  if (ec.category() != visa_category()) text += (text.empty() ? "" : ": ") + ec.message();
  throw VisaIOError(s, text);
}

std::string last_error_detail() { return t_detail.text; }
status_t last_error_detail_status() noexcept { return t_detail.text.empty() ? status::SUCCESS : t_detail.status; }

namespace core {

status_t fail(status_t st, std::string text) {
  t_detail.status = st;
  t_detail.text = std::move(text);
  return st;
}

status_t fail_errno(status_t st, std::string_view what, int err) {
  return fail(st, fmt::format("{}: {}", what, std::strerror(err)));
}

status_t fail_within(status_t st, std::string_view context) {
  std::string text(context);
  if (!t_detail.text.empty()) text += (text.empty() ? "" : ": ") + t_detail.text;
  return fail(st, std::move(text));
}

void clear_detail() noexcept {
  t_detail.status = status::SUCCESS;
  t_detail.text.clear();
}

std::string detail_for(status_t st) { return st == t_detail.status ? t_detail.text : std::string(); }

std::string quoted(std::string_view text) {
  std::string out = "'";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\'': out += "\\'"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c >= 0x7F) out += fmt::format("\\x{:02x}", c);
        else out += ch;
    }
  }
  return out + "'";
}

std::string received_summary(std::span<const std::byte> data, std::string_view termination,
                             std::string_view termination_name) {
  if (data.empty()) return "no byte received";
  auto last = static_cast<char>(data.back());
  std::string text = fmt::format("{} byte{} received ending in {}", data.size(), data.size() == 1 ? "" : "s",
                                 quoted(std::string_view(&last, 1)));
  bool line_end = last == '\n' || last == '\r';
  if (line_end && !termination_name.empty() && (termination.empty() || termination.back() != last))
    text += fmt::format("; {} is {}", termination_name, termination.empty() ? "not set" : quoted(termination));
  return text;
}

}  // namespace core
}  // namespace cppvisa
