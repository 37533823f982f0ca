// Service requests: enable "message available" (status byte bit 4) in the service request enable
// register, start a slow query and wait for the instrument to ask for service instead of polling.
#include <cppvisa/cppvisa.hpp>

#include <cstdio>

int main() {
  cppvisa::ResourceManager rm("@sim");
  auto scope = rm.open<cppvisa::GPIBInstrument>("GPIB::7::INSTR");
  scope->set_read_termination("\n");
  scope->set_write_termination("\n");
  scope->write("*SRE 16");       // request service when a reply is ready (MAV)
  scope->write(":ACQ:SLOW?");    // answers after half a second
  scope->wait_for_srq(5000);     // VI_EVENT_SERVICE_REQ, up to 5 s
  const auto stb = scope->read_stb();
  std::printf("service requested, status byte 0x%02X, reply %s\n", stb, scope->read().c_str());
  return (stb & 0x10) ? 0 : 1;
}
