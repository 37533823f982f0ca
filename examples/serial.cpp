// A serial instrument: port settings (baud, termination) and a query. On a real port the name
// is ASRL/dev/ttyUSB0::INSTR (the user must be in the dialout group).
// Usage: example_serial [resource [baud]]   (default: the simulated ASRL1::INSTR at 9600 baud)
#include <cppvisa/cppvisa.hpp>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  cppvisa::ResourceManager rm(argc > 1 ? "" : "@sim");
  auto port = rm.open<cppvisa::SerialInstrument>(argc > 1 ? argv[1] : "ASRL1::INSTR");
  port->set_baud_rate(argc > 2 ? static_cast<std::uint32_t>(std::atoi(argv[2])) : 9600);
  port->set_write_termination("\r\n");  // what the instrument expects at the end of a message
  port->set_read_termination("\n");     // what ends its answers
  port->set_timeout(2000);
  const auto answer = port->query(argc > 1 ? "*IDN?" : "?IDN");
  std::printf("%u baud, identification -> %s\n", port->baud_rate(), answer.c_str());
  return answer.empty() ? 1 : 0;
}
