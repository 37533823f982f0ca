// Where the installed library finds its data, relative to itself (a prefix can be moved).
#pragma once

#include <string>

namespace cppvisa::core {

/// The directory of the module (shared library or, when the objects are linked statically,
/// the executable) that contains this function, resolved through symlinks; empty when the
/// dynamic loader cannot tell.
///
/// Thread safety: safe to call from any thread.
std::string module_directory();

/// The data directory of cppvisa (it holds `sim/`, the bundled simulated instruments), in this
/// order:
///  1. the environment variable `CPPVISA_DATA_DIR` when set and not empty;
///  2. `<module directory>/<libdir to datadir>/cppvisa` (an installed library:
///     `<prefix>/lib/libcppvisa.so` -> `<prefix>/share/cppvisa`), or the same relative to the bin
///     directory for an executable that links the objects statically, when that directory exists;
///  3. the source tree's `data/` when the module lies in the build tree it was built in;
///  4. otherwise the location of 2 (which does not exist: the caller reports the missing file).
///
/// Thread safety: safe to call from any thread (reads the environment).
std::string data_directory();

}  // namespace cppvisa::core
