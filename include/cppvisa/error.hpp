/// @file error.hpp
/// @brief Error handling: `visa_category()` for std::error_code and the VisaIOError exception.
///
/// Every I/O operation of the C++ API comes in two forms, as in asio: one that throws
/// `VisaIOError` on a VISA error, and one that takes a `std::error_code&` and never throws for
/// VISA errors. Error codes of `visa_category()` have the ViStatus as their value; only negative
/// statuses (errors) are put into an error_code. Completion codes with a warning
/// (VI_SUCCESS_TERM_CHAR, VI_SUCCESS_MAX_CNT, ...) are not errors: operations report them as
/// their result or through `last_status()`.
#pragma once

#include <cppvisa/export.hpp>
#include <cppvisa/status.hpp>

#include <stdexcept>
#include <string>
#include <system_error>

namespace cppvisa {

/// The error category whose values are VISA status codes.
CPPVISA_API const std::error_category& visa_category() noexcept;

/// An error_code for a VISA status (error codes only; a non-negative status gives an empty code).
inline std::error_code make_error_code(status_t s) noexcept {
  return s < 0 ? std::error_code(static_cast<int>(s), visa_category()) : std::error_code();
}

/// The VISA status held by an error_code: its value for visa_category(), VI_ERROR_SYSTEM_ERROR
/// for other categories, VI_SUCCESS for an empty code.
CPPVISA_API status_t to_status(const std::error_code& ec) noexcept;

/// Base of every exception thrown by cppvisa.
class CPPVISA_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A VISA operation failed with a negative status (PyVISA's VisaIOError).
class CPPVISA_API VisaIOError : public Error {
 public:
  /// @param code the VISA status; @param context optional text appended to the message.
  explicit VisaIOError(status_t code, const std::string& context = {});
  status_t error_code() const noexcept { return code_; }   ///< the ViStatus
  std::string abbreviation() const;                         ///< e.g. "VI_ERROR_TMO"
  std::string description() const;                          ///< e.g. "Timeout expired before operation completed."
  /// The status as a visa_category() error_code
  std::error_code code() const noexcept { return {static_cast<int>(code_), visa_category()}; }

 private:
  status_t code_;
};

/// Operation on a closed resource or resource manager (PyVISA's InvalidSession).
class CPPVISA_API InvalidSession : public Error {
 public:
  InvalidSession() : Error("Invalid session handle. The resource might be closed.") {}
};

/// Throws VisaIOError when `ec` holds an error; otherwise does nothing.
CPPVISA_API void throw_if(const std::error_code& ec, const char* context = nullptr);

}  // namespace cppvisa
