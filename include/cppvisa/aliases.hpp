/// @file aliases.hpp
/// @brief User aliases for resource names, read from an INI file's [aliases] section
/// (e.g. "scope = TCPIP::192.168.1.5\::INSTR"). The file is $CPPVISA_ALIASES, else
/// $XDG_CONFIG_HOME/cppvisa/aliases.ini (~/.config/cppvisa/aliases.ini).
#pragma once

#include <cppvisa/export.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cppvisa {

/// A table of aliases (alias -> resource name). Alias lookup is case-insensitive.
class CPPVISA_API AliasTable {
 public:
  AliasTable() = default;
  /// Parses INI text. Lines outside [aliases], comments (# ;) and blank lines are ignored.
  /// @throws Error with the line number for a malformed line inside [aliases].
  static AliasTable parse(std::string_view ini_text);
  /// Loads the file named by the environment (see file comment); an absent file gives an empty table.
  static AliasTable load_default();
  /// The path load_default() reads.
  static std::string default_path();

  /// The resource name for `alias` (case-insensitive, surrounding blanks ignored), or nullopt.
  std::optional<std::string> resolve(std::string_view alias) const;
  /// The alias defined for a canonical resource name, if any.
  std::optional<std::string> alias_of(std::string_view canonical_name) const;
  /// Adds or replaces `alias` (case-insensitive key; the spelling given is kept for display).
  void add(std::string alias, std::string resource_name);
  /// Lower-cased alias -> resource name
  const std::map<std::string, std::string>& entries() const noexcept { return entries_; }

 private:
  std::map<std::string, std::string> entries_;  // key: lower-cased alias
  std::map<std::string, std::string> display_;  // lower-cased alias -> alias as written
};

}  // namespace cppvisa
