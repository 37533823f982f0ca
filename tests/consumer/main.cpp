// A program outside the project that uses the installed package.
#include <cppvisa/cppvisa.hpp>

#include <iostream>

int main() {
  std::cout << "cppvisa " << cppvisa::version_string << ": "
            << cppvisa::status_name(cppvisa::status::ERROR_TMO) << "\n";
  return cppvisa::status_name(cppvisa::status::ERROR_TMO) == "VI_ERROR_TMO" ? 0 : 1;
}
