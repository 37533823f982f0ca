// Fuzz target: simulation definition files (src/backends/sim/loader.hpp). Any text either loads
// or throws sim::LoadError; a file that loads gives devices that answer their own queries,
// setters and errors without crashing or hanging (a reply whose directive was malformed makes
// the write or trigger that uses it throw sim::MalformedResponse, and only that).
#include "backends/sim/device.hpp"
#include "backends/sim/loader.hpp"

#include <cppvisa/status.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

void exercise(const std::shared_ptr<const cppvisa::sim::DeviceDef>& def) {
  using namespace cppvisa;
  for (const char* kind : {"ASRL INSTR", "TCPIP SOCKET"}) {
    sim::Device device(def, kind, {}, 1);
    const std::string term = device.eom().query_termination;
    auto send = [&](const std::string& message) {
      try {
        device.write(message + term);
      } catch (const sim::MalformedResponse&) {
      }
    };
    for (const auto& d : def->dialogues) send(d.query);
    for (const auto& p : def->properties) {
      if (p.getter_query) send(*p.getter_query);
      if (p.setter) {
        send(p.setter_text);
        send(p.setter->text() + " 1");
      }
    }
    for (const auto& g : def->channels) {
      for (const auto& d : g.dialogues) send(d.query);
      for (const auto& p : g.properties)
        if (p.getter_query) send(*p.getter_query);
    }
    for (const auto& w : def->waveforms) send(w.query);
    send("*IDN?;BOGUS;*STB?");
    try {
      device.trigger();
    } catch (const sim::MalformedResponse&) {
    }
    // Read a bounded amount of what is ready (waveforms may be large, responses may be delayed).
    std::byte buf[4096];
    for (int i = 0; i < 64; ++i) {
      std::size_t n = 0;
      bool end = false;
      if (device.receive(buf, core::Deadline::after_ms(0), n, end) != status::SUCCESS) break;
    }
    device.serial_poll();
    device.clear();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  cppvisa::sim::Definitions defs;
  try {
    defs = cppvisa::sim::load_definitions_text(text, "/nonexistent/fuzz.yaml");
  } catch (const cppvisa::sim::LoadError&) {
    return 0;
  }
  for (const auto& d : defs.devices) exercise(d);
  return 0;
}
