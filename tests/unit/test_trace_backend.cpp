// Tests of the I/O trace backend (backends/trace): records of every operation, in both formats.
#include "support/fake_backend.hpp"

#include "backends/trace/trace_backend.hpp"

#include <cppvisa/resource_manager.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace cppvisa;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct TraceFixture : ::testing::Test {
  std::string path = "/tmp/cppvisa-trace-unit-" + std::to_string(::getpid()) + ".log";
  void TearDown() override { std::remove(path.c_str()); }

  std::string run(bool json, std::size_t limit) {
    auto fake = std::make_shared<cppvisa::testing::FakeBackend>();
    auto dev = fake->add("TCPIP::10.0.0.1::INSTR");
    dev->respond = [](const std::string& m) { return std::vector<std::string>{m == "*IDN?\n" ? "FAKE,1\n" : "?\n"}; };
    trace::TraceSettings s{path, json, limit};
    {
      ResourceManager rm(trace::make_tracing_backend(fake, s));
      auto inst = rm.open<MessageBasedResource>("TCPIP::10.0.0.1::INSTR");
      inst->set_write_termination("\n");
      EXPECT_EQ(inst->query("*IDN?"), "FAKE,1\n");
      std::error_code ec;
      inst->get_visa_attribute(0x12345678, ec);  // an unknown attribute: its error is recorded
    }
    return slurp(path);
  }
};

}  // namespace

TEST_F(TraceFixture, TextLines) {
  auto text = run(false, 0);
  EXPECT_NE(text.find(" viOpenDefaultRM "), std::string::npos);
  EXPECT_NE(text.find(" viOpen session="), std::string::npos);
  EXPECT_NE(text.find("rsrc=TCPIP::10.0.0.1::INSTR count=6 status=VI_SUCCESS length=6 data=\"*IDN?\\n\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("viRead"), std::string::npos);
  EXPECT_NE(text.find("data=\"FAKE,1\\n\""), std::string::npos);
  EXPECT_NE(text.find("attr=0x12345678 status=VI_ERROR_NSUP_ATTR"), std::string::npos) << text;
  EXPECT_NE(text.find(" viClose "), std::string::npos);
}

TEST_F(TraceFixture, JsonLinesWithCutData) {
  auto text = run(true, 3);
  std::istringstream lines(text);
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    EXPECT_EQ(line.front(), '{');
    EXPECT_EQ(line.back(), '}');
  }
  EXPECT_GE(n, 6);
  EXPECT_NE(text.find(R"("op":"viWrite")"), std::string::npos);
  EXPECT_NE(text.find(R"x("length":6,"data":"\"*ID\" ... (6 bytes)")x"), std::string::npos) << text;
}

TEST(Trace, UnwritableFileIsAnError) {
  trace::TraceSettings s{"/nonexistent/dir/trace.log", false, 0};
  EXPECT_THROW(trace::make_tracing_backend(std::make_shared<cppvisa::testing::FakeBackend>(), s), VisaIOError);
}
