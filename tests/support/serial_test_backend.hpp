// A SessionBackend that opens serial sessions only (what the native backend does for ASRL
// names), for tests that drive a pseudo-terminal's master side.
#pragma once

#include "core/session_backend.hpp"
#include "protocols/serial/serial_session.hpp"

#include <memory>
#include <string>
#include <vector>

namespace cppvisa::testing {

class SerialTestBackend : public core::SessionBackend {
 public:
  std::string name() const override { return "serial-test"; }
  std::string library_path() const override { return "in-process"; }
  std::vector<std::string> list_resources(session_t) override { return serial::list_ports(); }
  std::unique_ptr<core::Session> create_session(session_t, const ResourceName& name, status_t& st) override {
    return serial::make_session(name, st);
  }
};

}  // namespace cppvisa::testing
