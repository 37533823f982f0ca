// core::diagnostic: stderr unless CPPVISA_STDERR=0, and the debug log named by CPPVISA_DEBUG_LOG.
#include "core/diagnostics.hpp"

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

TEST(Diagnostics, DebugLogGetsTimestampedLinesAndStderrCanBeSilenced) {
  auto path = std::filesystem::temp_directory_path() / ("cppvisa_diag_" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(path);
  ::setenv("CPPVISA_DEBUG_LOG", path.c_str(), 1);
  ::setenv("CPPVISA_STDERR", "0", 1);
  testing::internal::CaptureStderr();
  diagnostic("first: cannot open the simulation file 'x.yaml'");
  diagnostic("second");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  ::unsetenv("CPPVISA_STDERR");
  testing::internal::CaptureStderr();
  diagnostic("third");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "cppvisa: third\n");
  ::unsetenv("CPPVISA_DEBUG_LOG");
  diagnostic("not logged");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_THAT(text, ::testing::MatchesRegex(
                        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z cppvisa: first: cannot open "
                        "the simulation file 'x.yaml'\n"
                        "[-0-9T:.]+Z cppvisa: second\n"
                        "[-0-9T:.]+Z cppvisa: third\n"));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace cppvisa::core
