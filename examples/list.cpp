// List resources and what their names say (PyVISA's rm.list_resources_info()).
// Usage: example_list [backend] [expression]   e.g. example_list @sim "?*::INSTR", example_list "" for real instruments
#include <cppvisa/cppvisa.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  cppvisa::ResourceManager rm(argc > 1 ? argv[1] : "@sim");
  auto found = rm.list_resources_info(argc > 2 ? argv[2] : "?*::INSTR");
  for (auto& [name, info] : found) std::printf("%-45s %s\n", name.c_str(), info.resource_class.c_str());
  std::printf("%zu resources\n", found.size());
  return found.empty() ? 1 : 0;
}
