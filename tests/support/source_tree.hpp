// testing::source_path: a file of the source tree (data/, tests/data/ ...) for the tests that load one.
#pragma once

#include <string>

namespace cppvisa::testing {

/// `rel` under the source tree the tests were built from (CPPVISA_SOURCE_DIR).
inline std::string source_path(const std::string& rel) { return std::string(CPPVISA_SOURCE_DIR) + "/" + rel; }

}  // namespace cppvisa::testing
