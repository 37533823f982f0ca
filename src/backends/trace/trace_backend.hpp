// The I/O trace (CPPVISA_TRACE=FILE): a Backend that forwards every operation to another backend
// and writes one record per VISA operation -- wall-clock time, duration, process, session,
// resource, status, arguments and data -- as a text line or a JSON line (docs/tools.md, "I/O
// trace"). open_backend() puts it in front of every backend when CPPVISA_TRACE is set, so C++
// programs and programs on libvisa.so (PyVISA included) are traced alike; when the variable is not
// set nothing is wrapped and the I/O path is unchanged.
#pragma once

#include <cppvisa/backend.hpp>

#include <memory>
#include <string>

namespace cppvisa::trace {

/// Where and how records are written.
struct TraceSettings {
  std::string path;        ///< the file (appended to); "-" or "stderr" for the standard error
  bool json = false;       ///< JSON lines instead of text lines
  std::size_t data_limit = 128;  ///< bytes of data shown per record before cutting (0: all)
};

/// The settings from the environment: CPPVISA_TRACE (the file; unset or empty: no trace),
/// CPPVISA_TRACE_FORMAT ("json" or "text"; default json for a file ending in .jsonl or .json),
/// CPPVISA_TRACE_DATA (bytes of data shown per record, 0 = all). Read once per process.
const TraceSettings* settings_from_environment();

/// `inner` with every operation recorded per `settings`. @throws VisaIOError
/// (VI_ERROR_SYSTEM_ERROR) when the trace file cannot be opened.
std::shared_ptr<Backend> make_tracing_backend(std::shared_ptr<Backend> inner, const TraceSettings& settings);

}  // namespace cppvisa::trace
