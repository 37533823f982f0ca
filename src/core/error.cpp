// visa_category() and VisaIOError.
#include <cppvisa/error.hpp>

#include <fmt/format.h>

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

std::string io_error_message(status_t code, const std::string& context) {
  auto text = fmt::format("{} ({}): {}", status_name(code), code, status_description(code));
  if (!context.empty()) text += " " + context;
  return text;
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
    : Error(io_error_message(code, context)), code_(code) {}

std::string VisaIOError::abbreviation() const { return status_name(code_); }
std::string VisaIOError::description() const { return status_description(code_); }

void throw_if(const std::error_code& ec, const char* context) {
  if (!ec) return;
  status_t s = to_status(ec);
  std::string text = context ? context : "";
  if (ec.category() != visa_category()) text += (text.empty() ? "" : ": ") + ec.message();
  throw VisaIOError(s, text);
}

}  // namespace cppvisa
