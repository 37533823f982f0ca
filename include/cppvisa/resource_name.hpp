/// @file resource_name.hpp
/// @brief VISA resource names: parsing every interface type and class PyVISA knows, canonical
/// names, and the error (VI_ERROR_INV_RSRC_NAME) that names the expected syntax.
///
/// Grammar and case rules follow PyVISA's `pyvisa.rname` (see docs/resource-names.md for the
/// table and for where we deliberately differ, e.g. IPv6 hosts in brackets stay one field).
#pragma once

#include <cppvisa/error.hpp>
#include <cppvisa/export.hpp>
#include <cppvisa/resource_info.hpp>
#include <cppvisa/types.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace cppvisa {

/// A malformed resource name. error_code() is VI_ERROR_INV_RSRC_NAME; what() names the expected syntax.
class CPPVISA_API InvalidResourceName : public VisaIOError {
 public:
  explicit InvalidResourceName(const std::string& message);  ///< `message`: what is wrong, with the expected syntax
  /// The message given at construction (without the status text)
  const std::string& message() const noexcept { return message_; }

 private:
  std::string message_;
};

/// A parsed resource name.
struct CPPVISA_API ResourceName {
  InterfaceType interface_type = InterfaceType::unknown;  ///< e.g. InterfaceType::tcpip
  std::string interface_name;   ///< canonical prefix: "GPIB", "TCPIP", "USB", "PRLGX-TCPIP", ...
  std::string board;            ///< board text as written ("0" by default; "/dev/ttyUSB0" for ASRL)
  std::string resource_class;   ///< "INSTR", "SOCKET", "INTFC", ...
  /// The fields after the board, in grammar order, with defaults filled in, e.g. for TCPIP INSTR:
  /// {"host_address","1.2.3.4"}, {"lan_device_name","inst0"}. Absent optional fields (a GPIB
  /// secondary address that was not given) are not listed.
  std::vector<std::pair<std::string, std::string>> fields;
  std::string user;             ///< the string as the user gave it

  /// Parses a name. @throws InvalidResourceName.
  static ResourceName parse(std::string_view name);
  /// Parses a name; on error sets `ec` (VI_ERROR_INV_RSRC_NAME) and `message`, returns nullopt.
  static std::optional<ResourceName> parse(std::string_view name, std::error_code& ec, std::string* message = nullptr);

  /// The canonical name: "<INTERFACE><board>::<field>...::<CLASS>" (e.g. "TCPIP0::1.2.3.4::inst0::INSTR").
  std::string canonical() const;
  /// A field's value by name, or nullopt.
  std::optional<std::string_view> field(std::string_view name) const;
  /// Board as a number when it is one (ASRL device paths and VICP give nullopt).
  std::optional<int> board_number() const;
  /// ResourceInfo for this name (alias empty).
  ResourceInfo info() const;

  // Typed accessors for the fields most code needs (nullopt/empty when the class has no such field).
  std::string host_address() const;                  ///< TCPIP, VICP, PRLGX-TCPIP: host without brackets
  std::optional<std::uint16_t> port() const;          ///< SOCKET port, PRLGX-TCPIP port, HiSLIP "hislip0,4880"
  std::string lan_device_name() const;               ///< TCPIP INSTR: "inst0", "hislip0", "gpib0,5"
  bool is_hislip() const;                            ///< TCPIP INSTR whose device name starts with "hislip"
  std::optional<int> primary_address() const;         ///< GPIB
  std::optional<int> secondary_address() const;       ///< GPIB (nullopt when absent)
};

/// The syntax of an (interface, class) pair as shown in error messages, e.g.
/// "TCPIP[board]::host address::port::SOCKET"; empty when unknown.
CPPVISA_API std::string resource_syntax(std::string_view interface_name, std::string_view resource_class);

/// Canonical form of a name. @throws InvalidResourceName.
CPPVISA_API std::string to_canonical_name(std::string_view name);

}  // namespace cppvisa
