// A C++ program outside the project: asks the simulated oscilloscope who it is through
// libcppvisa.so. Usage: consumer_cpp <expected substring of *IDN?>
#include <cppvisa/cppvisa.hpp>
#include <cppvisa/version.hpp>

#include <exception>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  const std::string expected = argc > 1 ? argv[1] : "SIMSCOPE-1000";
  try {
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
