// User aliases: the [aliases] section of an INI file (alias = resource name).
#include <cppvisa/aliases.hpp>

#include <cppvisa/error.hpp>
#include <cppvisa/resource_name.hpp>

#include "core/resource_name_grammar.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>
#include <vector>

namespace cppvisa {
namespace {

// An alias file is a few lines; a bigger one is a mistake (or not an alias file).
constexpr std::size_t max_file_size = 1 << 20;

std::string_view trim(std::string_view s) {
  const char* space = " \t\r\f\v";
  auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(space);
  return s.substr(first, last - first + 1);
}

/// Cuts an inline comment: '#' or ';' preceded by white space (as Python's configparser with
/// inline_comment_prefixes), so "a = TCPIP::h::INSTR  # bench scope" works.
std::string_view strip_inline_comment(std::string_view value) {
  for (std::size_t i = 1; i < value.size(); ++i)
    if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t'))
      return value.substr(0, i);
  return value;
}

[[noreturn]] void malformed(std::size_t line, const std::string& why) {
  throw Error(fmt::format("aliases file, line {}: {}", line, why));
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

std::string home_directory() {
  std::string home = env("HOME");
  if (!home.empty()) return home;
  std::vector<char> buffer(16384);
  passwd pw{};
  passwd* result = nullptr;
  if (getpwuid_r(getuid(), &pw, buffer.data(), buffer.size(), &result) == 0 && result && result->pw_dir)
    return result->pw_dir;
  return {};
}

/// Canonical form of a resource name when it parses, else the text as given.
std::string canonical_or_self(std::string_view name) {
  std::error_code ec;
  auto parsed = ResourceName::parse(name, ec);
  return parsed ? parsed->canonical() : std::string(name);
}

}  // namespace

AliasTable AliasTable::parse(std::string_view ini_text) {
  AliasTable table;
  if (ini_text.substr(0, 3) == "\xEF\xBB\xBF") ini_text.remove_prefix(3);  // UTF-8 byte order mark
  bool in_aliases = false;
  std::size_t line_number = 0;
  while (!ini_text.empty()) {
    ++line_number;
    auto end = ini_text.find('\n');
    std::string_view raw = ini_text.substr(0, end);
    ini_text.remove_prefix(end == std::string_view::npos ? ini_text.size() : end + 1);
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      auto close = line.find(']');
      if (close == std::string_view::npos) malformed(line_number, "a section header without ']'");
      std::string_view after = trim(line.substr(close + 1));
      if (!after.empty() && after.front() != '#' && after.front() != ';')
        malformed(line_number, "text after the section header");
      in_aliases = detail::iequals(trim(line.substr(1, close - 1)), "aliases");
      continue;
    }
    if (!in_aliases) continue;
    auto equals = line.find('=');
    if (equals == std::string_view::npos)
      malformed(line_number, fmt::format("expected 'alias = resource name', not '{}'", detail::printable(line)));
    std::string_view alias = trim(line.substr(0, equals));
    std::string_view resource = trim(strip_inline_comment(trim(line.substr(equals + 1))));
    if (alias.empty()) malformed(line_number, "the alias before '=' is empty");
    if (resource.empty()) malformed(line_number, fmt::format("no resource name for alias '{}'", detail::printable(alias)));
    if (alias.find("::") != std::string_view::npos)
      malformed(line_number, fmt::format("an alias cannot contain '::' ('{}')", detail::printable(alias)));
    for (char c : alias)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
        malformed(line_number, "an alias cannot contain control characters");
    if (table.entries_.count(detail::to_lower(alias)))
      malformed(line_number, fmt::format("alias '{}' is defined twice", detail::printable(alias)));
    table.add(std::string(alias), std::string(resource));
  }
  return table;
}

std::string AliasTable::default_path() {
  std::string explicit_path = env("CPPVISA_ALIASES");
  if (!explicit_path.empty()) return explicit_path;
  // XDG Base Directory spec: a relative $XDG_CONFIG_HOME is invalid and must be ignored.
  std::string config = env("XDG_CONFIG_HOME");
  if (config.empty() || config.front() != '/') {
    std::string home = home_directory();
    if (home.empty()) return {};
    config = home + "/.config";
  }
  return config + "/cppvisa/aliases.ini";
}

AliasTable AliasTable::load_default() {
  std::string path = default_path();
  if (path.empty()) return {};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    if (error == ENOENT || error == ENOTDIR) return {};
    throw Error(fmt::format("cannot read the aliases file {}: {}", path, std::strerror(error)));
  }
  std::string text;
  char buffer[4096];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      throw Error(fmt::format("cannot read the aliases file {}: {}", path, std::strerror(error)));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > max_file_size) {
      ::close(fd);
      throw Error(fmt::format("the aliases file {} is larger than {} bytes", path, max_file_size));
    }
  }
  ::close(fd);
  try {
    return parse(text);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  }
}

std::optional<std::string> AliasTable::resolve(std::string_view alias) const {
  auto it = entries_.find(detail::to_lower(trim(alias)));
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> AliasTable::alias_of(std::string_view canonical_name) const {
  std::string wanted = canonical_or_self(canonical_name);
  for (const auto& [key, resource] : entries_)
    if (detail::iequals(canonical_or_self(resource), wanted)) return display_.at(key);
  return std::nullopt;
}

void AliasTable::add(std::string alias, std::string resource_name) {
  std::string key = detail::to_lower(alias);
  entries_[key] = std::move(resource_name);
  display_[key] = std::move(alias);
}

}  // namespace cppvisa
