// sim::ResponseTemplate: a q/r/e string of a definition file turned into bytes, with the
// transformations PyVISA-sim applies:
// - leading/trailing spaces stripped (spaces only) — done by the loader;
// - the two-character sequences backslash-r and backslash-n become CR and LF;
// - BYTES(...) is replaced by the enclosed characters encoded as latin-1 (one byte each);
// - {RANDOM(min, max, n):spec} produces n uniform random floats formatted with spec, joined by ", ";
// - in getter responses the remaining text is a str.format template applied to the property value
//   (in dialogue responses it is sent verbatim).
#pragma once

#include "backends/sim/py_format.hpp"
#include "backends/sim/python_random.hpp"
#include "backends/sim/value.hpp"

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::sim {

/// The longest response a template may render (16 MiB): a definition file is user input, and
/// {RANDOM(0, 1, 100000):1048576f} would otherwise ask for 100 GB. Longer: FormatError.
inline constexpr std::size_t max_response_size = 16u << 20;

/// Backslash-r/backslash-n escapes and BYTES(...) directives to bytes. @throws FormatError.
std::string to_bytes(std::string_view text);

/// Raised when a response whose directive was malformed in the file is used. PyVISA-sim loads
/// such a file and raises only when the dialogue answers; so does cppvisa (the write fails).
class MalformedResponse : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ResponseTemplate {
 public:
  enum class Mode { verbatim, getter };
  ResponseTemplate() = default;
  /// @throws FormatError for a malformed RANDOM or BYTES directive or (getter mode) template.
  static ResponseTemplate parse(std::string_view text, Mode mode);
  /// A response that could not be parsed: render() throws MalformedResponse(`why`).
  static ResponseTemplate malformed(std::string_view text, std::string why);
  /// The bytes of one response. `value` is used by getter templates (may be null otherwise).
  /// @throws FormatError when the value does not suit the template; MalformedResponse for a
  /// malformed() one.
  std::string render(const Value* value, PythonRandom& rng) const;
  /// Whether the response is the same every time (no RANDOM, no value field).
  bool is_static() const noexcept;
  bool uses_random() const noexcept;
  bool uses_value() const noexcept;
  /// Why the source text could not be parsed (empty for a well-formed template).
  const std::string& malformed_reason() const noexcept { return malformed_; }
  const std::string& source() const noexcept { return source_; }

 private:
  struct Random {
    double min = 0, max = 0;
    long count = 1;
    FormatSpec spec;
  };
  struct Piece {
    enum class Kind { bytes, random, format } kind = Kind::bytes;
    std::string bytes;
    Random random;
    FormatTemplate format;  // literal parts are already bytes-converted
  };
  std::vector<Piece> pieces_;
  std::string source_;
  std::string malformed_;
};

/// Renders a getter response for a property value. A value held as text (a property without
/// specs) that looks like a number is formatted as that number when the spec needs one ("{:d}"
/// of "0"), where PyVISA-sim would raise. @throws FormatError.
std::string render_getter(const ResponseTemplate& t, const Value& value, PythonRandom& rng);

}  // namespace cppvisa::sim
