// The ivi backend (a VISA shared library loaded at run time) against cppvisa's own libvisa.so
// serving the simulated instruments: the C++ API -> ivi backend -> C ABI -> sim backend.
#include <cppvisa/cppvisa.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

using namespace cppvisa;

namespace {

std::string libvisa_path() { return std::string(CPPVISA_BINARY_DIR) + "/src/cabi/libvisa.so"; }

struct IviFixture : ::testing::Test {
  void SetUp() override {
    if (!std::filesystem::exists(libvisa_path())) GTEST_SKIP() << "libvisa.so is not built in this build";
    setenv("CPPVISA_SIM", "default", 1);
  }
};

}  // namespace

TEST_F(IviFixture, OpensAPathAsTheIviBackend) {
  auto backend = open_backend(libvisa_path());
  EXPECT_EQ(backend->name(), "ivi");
  EXPECT_EQ(backend->library_path(), libvisa_path());
  EXPECT_EQ(open_backend(libvisa_path() + "@ivi"), backend);  // cached per (backend, argument)
  bool vendor_line = false;
  for (auto& line : backend->debug_info()) vendor_line |= line.find("Vendor: cppvisa") != std::string::npos;
  EXPECT_TRUE(vendor_line);
  // libvisa.so's resource manager and the sessions behind it describe the same implementation.
  session_t rm = 0;
  ASSERT_EQ(backend->open_default_rm(rm), status::SUCCESS);
  AttrValue version, manufacturer;
  EXPECT_EQ(backend->get_attribute(rm, attr::RSRC_IMPL_VERSION, version), status::SUCCESS);
  EXPECT_EQ(std::get<std::int64_t>(version), static_cast<std::int64_t>(implementation_version));
  EXPECT_EQ(backend->get_attribute(rm, attr::RSRC_MANF_NAME, manufacturer), status::SUCCESS);
  EXPECT_EQ(std::get<std::string>(manufacturer), manufacturer_name);
  backend->close(rm);
}

TEST_F(IviFixture, ListsOpensAndQueriesThroughTheCApi) {
  ResourceManager rm(libvisa_path());
  auto names = rm.list_resources("?*");
  EXPECT_NE(std::find(names.begin(), names.end(), "ASRL1::INSTR"), names.end());
  auto info = rm.resource_info("TCPIP::sim-scope::INSTR");
  EXPECT_EQ(info.interface_type, InterfaceType::tcpip);
  EXPECT_EQ(info.resource_class, "INSTR");
  auto scope = rm.open<MessageBasedResource>("TCPIP::sim-scope::INSTR");
  scope->set_read_termination("\n");
  scope->set_write_termination("\n");
  EXPECT_EQ(scope->query("*IDN?"), "CPPVISA,SIMSCOPE-1000,SIM0001,1.0");
  scope->write(":WAV:POIN 100000");
  auto wave = scope->query_binary_values<std::int16_t>(":WAV:DATA?");
  EXPECT_EQ(wave.size(), 100000u);
  EXPECT_EQ(scope->get_int_attribute(attr::TERMCHAR), '\n');
  scope->set_timeout(50);
  try {
    scope->read();
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
  }
}

TEST_F(IviFixture, MissingLibraryIsLibraryNotFound) {
  try {
    open_backend("/nonexistent/libvisa.so");
    FAIL();
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_LIBRARY_NFOUND);
  }
  EXPECT_THROW(open_backend("@nosuchbackend"), VisaIOError);
}
