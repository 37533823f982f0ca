// The README's ten-line example, built so that it stays true.
#include <cppvisa/cppvisa.hpp>
#include <iostream>

int main() {
  cppvisa::ResourceManager rm("@sim");                  // or "" for the default backend
  for (auto& name : rm.list_resources()) std::cout << name << "\n";
  auto scope = rm.open<cppvisa::MessageBasedResource>("TCPIP::sim-scope::INSTR");
  scope->set_read_termination("\n");
  scope->set_write_termination("\n");
  std::cout << scope->query("*IDN?") << "\n";
  auto wave = scope->query_binary_values<std::int16_t>(":WAV:DATA?");
  std::cout << wave.size() << " points\n";
}
