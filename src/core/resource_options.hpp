// Resource options: settings a session needs before it connects (VISA has no place for them in
// viOpen), read from an INI file with one section per resource name (docs/resource-options.md):
//
//   [TCPIP::192.168.1.5::hislip0::INSTR]
//   tls_ca_file = /etc/lab/ca.pem
//   sasl_user = alice
//
// The file is $CPPVISA_RESOURCE_OPTIONS (it must exist then), else
// $XDG_CONFIG_HOME/cppvisa/resources.ini (~/.config/cppvisa/resources.ini) when it exists.
// A section applies to the resources whose canonical name equals its title (case-insensitive).
// Which keys mean something is the business of the session that reads them (HislipSession).
#pragma once

#include <cppvisa/status.hpp>

#include <map>
#include <string>
#include <string_view>

namespace cppvisa::core {

struct ResourceOptions {
  /// key -> value of the matching section (keys lower-cased; values trimmed, may be empty).
  std::map<std::string, std::string, std::less<>> values;
  std::string path;        ///< the file read ("" when there is none)
  bool is_private = false; ///< the file is readable by its owner only (it may then hold secrets)
};

/// The options of `canonical_name` from the default file (see above). No file: SUCCESS, no
/// values. VI_ERROR_FILE_ACCESS (the named file is missing or unreadable), VI_ERROR_INV_SETUP
/// (a malformed line, named with its number); `why` says which.
status_t load_resource_options(std::string_view canonical_name, ResourceOptions& out, std::string& why);

/// The options of `canonical_name` in INI text: "[name]" sections, "key = value" lines, comments
/// ('#' or ';') and blank lines. A key outside a section, a line without '=' or an unclosed
/// section title is VI_ERROR_INV_SETUP naming the line.
status_t parse_resource_options(std::string_view ini_text, std::string_view canonical_name, ResourceOptions& out,
                                std::string& why);

/// "on/off", "true/false", "yes/no", "1/0" (case-insensitive). False when `text` is none of them.
bool parse_option_bool(std::string_view text, bool& value);

}  // namespace cppvisa::core
