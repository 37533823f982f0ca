// A C++ program outside the project: asks the simulated oscilloscope who it is through
// libcppvisa.so. Usage: consumer_cpp <expected substring of *IDN?> [<expected substring of the
// native backend's debug_info>]
#include <cppvisa/cppvisa.hpp>
#include <cppvisa/version.hpp>

#include <exception>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  const std::string expected = argc > 1 ? argv[1] : "SIMSCOPE-1000";
  try {
    if (argc > 2) {  // e.g. a build without an optional dependency says why a transport is missing
      std::string info;
      for (const auto& line : cppvisa::open_backend("@native")->debug_info()) info += line + "\n";
      std::cout << info;
      if (info.find(argv[2]) == std::string::npos) {
        std::cerr << "expected '" << argv[2] << "' in the native backend's debug_info\n";
        return 1;
      }
    }
    cppvisa::ResourceManager rm("@sim");
    auto scope = rm.open<cppvisa::MessageBasedResource>("TCPIP::sim-scope::INSTR");
    scope->set_read_termination("\n");
    scope->set_write_termination("\n");
    const std::string idn = scope->query("*IDN?");
    std::cout << "cppvisa " << cppvisa::version_string << ": " << idn << "\n";
    if (idn.find(expected) == std::string::npos) {
      std::cerr << "expected '" << expected << "' in the answer\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "consumer_cpp: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
