// The `ivi` backend: a vendor VISA shared library (NI-VISA, Keysight, R&S, or any libvisa.so with
// the standard C API) loaded at run time with dlopen and called through its exported vi* functions.
#pragma once

#include <cppvisa/backend.hpp>

#include <memory>
#include <string>
#include <vector>

namespace cppvisa::ivi {

/// Loads the library at `path`. @throws VisaIOError(VI_ERROR_LIBRARY_NFOUND) when it cannot be
/// loaded or lacks viOpenDefaultRM/viOpen.
std::shared_ptr<Backend> make_backend(const std::string& path);

/// Candidate vendor libraries found on this system (ld.so cache and standard directories), in
/// PyVISA's order (visa, visa32, visa64), without cppvisa's own libvisa.so.
std::vector<std::string> find_vendor_libraries();

}  // namespace cppvisa::ivi
