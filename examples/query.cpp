// Open an instrument, set its terminations and timeout, ask who it is, set and read back a setting;
// errors come back as VISA statuses (the std::error_code form, which never throws).
// Usage: example_query [resource]   (default: the simulated oscilloscope)
#include <cppvisa/cppvisa.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  cppvisa::ResourceManager rm(argc > 1 ? "" : "@sim");
  auto scope = rm.open<cppvisa::MessageBasedResource>(argc > 1 ? argv[1] : "TCPIP::sim-scope::INSTR");
  scope->set_read_termination("\n");
  scope->set_write_termination("\n");
  scope->set_timeout(2000);  // ms
  std::printf("*IDN? -> %s\n", scope->query("*IDN?").c_str());
  scope->write(":TIM:SCAL 0.002");
  std::printf(":TIM:SCAL? -> %s\n", scope->query(":TIM:SCAL?").c_str());

  std::error_code ec;
  scope->query(":NO:SUCH:COMMAND?", ec);  // the instrument does not answer: a timeout, not a crash
  std::printf(":NO:SUCH:COMMAND? -> %s\n", ec ? ec.message().c_str() : "an answer");
  return ec ? 0 : 1;
}
