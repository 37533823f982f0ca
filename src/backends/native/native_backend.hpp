// The `native` backend: cppvisa's own protocol stacks, as core::Session classes, chosen through
// the transport table (transports.hpp): TCPIP SOCKET (raw socket), TCPIP INSTR over HiSLIP or
// VXI-11, ASRL INSTR (serial). viTerminate is core::SessionBackend's: Session::abort() of the
// session (each protocol's session says what it can abort).
#pragma once

#include "backends/native/transports.hpp"
#include "core/session_backend.hpp"

#include <vector>

namespace cppvisa::native {

class NativeBackend : public core::SessionBackend {
 public:
  /// A backend over `table` (the built-in rows by default; tests pass their own).
  explicit NativeBackend(std::span<const Transport> table = builtin_transports());
  ~NativeBackend() override;

  std::string name() const override { return "native"; }
  std::string library_path() const override { return "built-in"; }
  /// One line per transport row ("<name>: <resources>", and "unavailable: <why>").
  std::vector<std::string> debug_info() const override;

  /// What the available rows' `list` hooks find for `?*::INSTR`.
  std::vector<std::string> list_resources(session_t rm) override;
  /// What the available rows' `list` hooks find for `expression` (unfiltered).
  std::vector<std::string> list_resources(session_t rm, std::string_view expression) override;
  /// The session of the first row that opens `name`: VI_ERROR_LIBRARY_NFOUND when that row is
  /// unavailable, VI_ERROR_RSRC_NFOUND when no row opens it.
  std::unique_ptr<core::Session> create_session(session_t rm, const ResourceName& name, status_t& st) override;

 private:
  std::vector<Transport> table_;
};

/// A new native backend.
std::shared_ptr<Backend> make_backend();

}  // namespace cppvisa::native
