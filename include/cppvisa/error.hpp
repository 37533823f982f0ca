/// @file error.hpp
/// @brief Error handling: `visa_category()` for std::error_code and the VisaIOError exception.
///
/// Every I/O operation of the C++ API comes in two forms, as in asio: one that throws
/// `VisaIOError` on a VISA error, and one that takes a `std::error_code&` and never throws for
/// VISA errors. Error codes of `visa_category()` have the ViStatus as their value; only negative
/// statuses (errors) are put into an error_code. Completion codes with a warning
/// (VI_SUCCESS_TERM_CHAR, VI_SUCCESS_MAX_CNT, ...) are not errors: operations report them as
/// their result or through `last_status()`.
///
/// Causes: a status alone rarely says what went wrong, so every error carries its cause beside
/// it, in the user's terms ("connect to 127.0.0.1:5025: Connection refused", "34 bytes received
/// ending in '\\n'; read_termination is '\\r'"). The throwing forms put it in the exception
/// (VisaIOError::detail(), and in what()); the `std::error_code&` forms leave it for
/// last_error_detail(), per thread, as errno is. The status codes stay as VISA defines them.
/// See docs/errors.md.
#pragma once

#include <cppvisa/export.hpp>
#include <cppvisa/status.hpp>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

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
///
/// what() reads "<name> (<value>): <description>: <detail> <context>", e.g.
/// "VI_ERROR_RSRC_NFOUND (-1073807343): Insufficient location information ...: raw socket:
/// connect to 127.0.0.1:5025: Connection refused (opening 'TCPIP::127.0.0.1::5025::SOCKET')".
class CPPVISA_API VisaIOError : public Error {
 public:
  /// @param code the VISA status; @param context optional text appended to the message
  /// (what was being done, e.g. the resource name). The cause is the one this thread's last
  /// error recorded for `code` (last_error_detail()), if any.
  explicit VisaIOError(status_t code, const std::string& context = {});
  /// @param code the VISA status; @param context as above; @param detail the cause (see detail());
  /// @param received the bytes a failed read had received before the error (see received()).
  VisaIOError(status_t code, const std::string& context, std::string detail, std::vector<std::byte> received = {});
  status_t error_code() const noexcept { return code_; }   ///< the ViStatus
  /// The cause in the user's terms ("connect to host:port: Connection refused"); empty when
  /// none is known.
  const std::string& detail() const noexcept;
  /// The bytes a failed read (timeout, connection lost, message too long) had received before
  /// the error, as viRead returns them with its count: nothing is lost. Empty for other errors.
  const std::vector<std::byte>& received() const noexcept;
  std::string abbreviation() const;                         ///< e.g. "VI_ERROR_TMO"
  std::string description() const;                          ///< e.g. "Timeout expired before operation completed."
  /// The status as a visa_category() error_code
  std::error_code code() const noexcept { return {static_cast<int>(code_), visa_category()}; }

 private:
  struct Extra {
    std::string detail;
    std::vector<std::byte> received;
  };
  status_t code_;
  std::shared_ptr<const Extra> extra_;  // shared: copying an exception never throws
};

/// Operation on a closed resource or resource manager (PyVISA's InvalidSession).
class CPPVISA_API InvalidSession : public Error {
 public:
  InvalidSession() : Error("Invalid session handle. The resource might be closed.") {}
};

/// Throws VisaIOError when `ec` holds an error, with the cause last_error_detail() holds for it;
/// otherwise does nothing. The throwing forms of the API are their `ec` form plus this.
CPPVISA_API void throw_if(const std::error_code& ec, const char* context = nullptr);

/// The cause recorded with the last error cppvisa returned to this thread (an `ec` form, a C
/// API call of libvisa.so), or "" when that error carried none. Each operation starts by
/// forgetting the previous cause, so the text always belongs to the last error of this thread.
CPPVISA_API std::string last_error_detail();
/// The status last_error_detail() belongs to (VI_SUCCESS when there is none).
CPPVISA_API status_t last_error_detail_status() noexcept;

}  // namespace cppvisa
