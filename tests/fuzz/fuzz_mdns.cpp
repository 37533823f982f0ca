// Fuzz target for the mDNS side of LAN discovery: the DNS message parser (names with compression
// pointers, every record type) and the turning of decoded records into resource names.
#include "protocols/mdns/dns_message.hpp"
#include "protocols/mdns/mdns_browse.hpp"

#include <cstddef>
#include <cstdint>

using namespace cppvisa::mdns;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Message m;
  if (!decode({reinterpret_cast<const std::byte*>(data), size}, m)) return 0;
  std::vector<Received> records;
  for (auto& r : m.answers) records.push_back({std::move(r), "10.0.0.1"});
  (void)resources_from_records(records);
  // A decoded message encodes and decodes again.
  Message again;
  m.answers.clear();
  for (auto& r : records) m.answers.push_back(r.record);
  if (!decode(encode(m), again)) __builtin_trap();
  return 0;
}
