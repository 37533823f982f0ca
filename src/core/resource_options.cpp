#include "core/resource_options.hpp"

#include "core/config_text.hpp"

#include <fmt/format.h>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cppvisa::core {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool parse_option_bool(std::string_view text, bool& value) {
  std::string t = lower(trim_blanks(text));
  if (t == "1" || t == "on" || t == "true" || t == "yes") value = true;
  else if (t == "0" || t == "off" || t == "false" || t == "no") value = false;
  else return false;
  return true;
}

status_t parse_resource_options(std::string_view text, std::string_view canonical_name, ResourceOptions& out,
                                std::string& why) {
  out.values.clear();
  const std::string wanted = lower(canonical_name);
  bool in_section = false, matching = false;
  return for_each_config_line(text, "#;", [&](std::size_t number, std::string_view line) {
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 3) {
        why = fmt::format("line {}: a section title is '[resource name]'", number);
        return status::ERROR_INV_SETUP;
      }
      in_section = true;
      matching = lower(trim_blanks(line.substr(1, line.size() - 2))) == wanted;
      return status::SUCCESS;
    }
    auto eq = line.find('=');
    std::string_view key = eq == std::string_view::npos ? std::string_view() : trim_blanks(line.substr(0, eq));
    if (key.empty()) {
      why = fmt::format("line {}: expected 'key = value'", number);
      return status::ERROR_INV_SETUP;
    }
    if (!in_section) {
      why = fmt::format("line {}: '{}' is outside a [resource name] section", number, key);
      return status::ERROR_INV_SETUP;
    }
    if (matching) out.values[lower(key)] = std::string(trim_blanks(line.substr(eq + 1)));
    return status::SUCCESS;
  });
}

status_t load_resource_options(std::string_view canonical_name, ResourceOptions& out, std::string& why) {
  out = {};
  std::string path;
  bool required = false;
  if (const char* e = std::getenv("CPPVISA_RESOURCE_OPTIONS"); e && *e) {
    path = e;
    required = true;
  } else {
    path = user_config_file("resources.ini");
    if (path.empty()) return status::SUCCESS;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (!required && errno == ENOENT) return status::SUCCESS;
    why = fmt::format("resource options file {}: {}", path, std::strerror(errno));
    return status::ERROR_FILE_ACCESS;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = fmt::format("resource options file {}: cannot be read", path);
    return status::ERROR_FILE_ACCESS;
  }
  std::ostringstream all;
  all << in.rdbuf();
  if (status_t s = parse_resource_options(all.str(), canonical_name, out, why); s != status::SUCCESS) {
    why = fmt::format("resource options file {}: {}", path, why);
    return s;
  }
  out.path = path;
  out.is_private = (st.st_mode & (S_IRWXG | S_IRWXO)) == 0;
  return status::SUCCESS;
}

}  // namespace cppvisa::core
