// core::diagnostic: stderr unless CPPVISA_STDERR=0, and the debug log (CPPVISA_LOG) when it is on.
#include "core/diagnostics.hpp"

#include <cppvisa/log.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

namespace cppvisa::core {
namespace {

TEST(Diagnostics, DebugLogGetsTheLinesAndStderrCanBeSilenced) {
  auto path = std::filesystem::temp_directory_path() / ("cppvisa_diag_" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(path);
  ASSERT_TRUE(enable_debug_log(path.string()));
  ::setenv("CPPVISA_STDERR", "0", 1);
  testing::internal::CaptureStderr();
  diagnostic("first: cannot open the simulation file 'x.yaml'");
  diagnostic("second");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  ::unsetenv("CPPVISA_STDERR");
  testing::internal::CaptureStderr();
  diagnostic("third");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "cppvisa: third\n");
  disable_debug_log();
  diagnostic("not logged");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_THAT(text, ::testing::MatchesRegex(
                        "cppvisa [0-9.]+ [0-9]+ \\[diagnostic\\] first: cannot open the simulation file 'x.yaml'\n"
                        "cppvisa [0-9.]+ [0-9]+ \\[diagnostic\\] second\n"
                        "cppvisa [0-9.]+ [0-9]+ \\[diagnostic\\] third\n"));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace cppvisa::core
