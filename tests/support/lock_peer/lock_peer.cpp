// lock_peer: a second process for the lock tests (tests/integration/test_locks.cpp). Reads
// testing::LockCommands lines on standard input, answers each with one line on standard output,
// through libvisa's C API over the native backend; ends at end of input or "quit".
#include "cabi/library.hpp"
#include "support/lock_commands.hpp"

#include <cppvisa/backend.hpp>

#include <iostream>
#include <string>

int main() {
  cppvisa::cabi::Library::instance().set_backends({cppvisa::open_backend("@native")});
  ViSession rm = VI_NULL;
  if (viOpenDefaultRM(&rm) < 0) return 1;
  cppvisa::testing::LockCommands commands(rm);
  std::string line;
  while (std::getline(std::cin, line) && line != "quit") std::cout << commands.run(line) << std::endl;
  viClose(rm);
  cppvisa::cabi::Library::instance().set_backends({});
  return 0;
}
