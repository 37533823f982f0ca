#include "protocols/serial/port_names.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <tuple>

namespace cppvisa::serial {
namespace {

std::optional<unsigned> parse_number(std::string_view text) {
  unsigned value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  return true;
}

bool is_character_device(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

// A /dev/ttyS<N> node exists for every possible 8250 line; sysfs says whether a UART is there
// (type 0 is PORT_UNKNOWN). Without sysfs, fall back to the node alone.
bool uart_present(const std::string& name) {
  std::ifstream type("/sys/class/tty/" + name + "/type");
  if (!type) return true;
  int value = 0;
  if (!(type >> value)) return true;
  return value != 0;
}

}  // namespace

std::optional<std::string> device_path(const ResourceName& name) {
  const std::string& board = name.board;
  if (!board.empty() && board.front() == '/') return board;
  std::string_view digits = board;
  if (iequals_prefix(board, "COM")) digits.remove_prefix(3);
  if (auto n = parse_number(digits)) {
    if (*n == 0) return std::nullopt;  // COM ports count from 1
    return "/dev/ttyS" + std::to_string(*n - 1);
  }
  // A bare device name ("ttyUSB0"): only plain names, never URLs or relative paths.
  if (!board.empty() && std::all_of(board.begin(), board.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
      }) && board.front() != '.')
    return "/dev/" + board;
  return std::nullopt;
}

std::string resource_name_for(std::string_view path) {
  constexpr std::string_view uart = "/dev/ttyS";
  if (path.substr(0, uart.size()) == uart)
    if (auto n = parse_number(path.substr(uart.size()))) return "ASRL" + std::to_string(*n + 1) + "::INSTR";
  return "ASRL" + std::string(path) + "::INSTR";
}

std::vector<std::string> list_ports() {
  namespace fs = std::filesystem;
  struct Port {
    unsigned order;
    unsigned number;
    std::string path;
  };
  std::vector<Port> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/dev", ec)) {
    std::string name = entry.path().filename().string();
    unsigned order = 0;
    std::string_view rest;
    for (std::string_view prefix : {"ttyS", "ttyUSB", "ttyACM"}) {
      if (name.size() > prefix.size() && std::string_view(name).substr(0, prefix.size()) == prefix &&
          parse_number(std::string_view(name).substr(prefix.size()))) {
        rest = std::string_view(name).substr(prefix.size());
        break;
      }
      ++order;
    }
    if (rest.empty()) continue;
    std::string path = "/dev/" + name;
    if (!is_character_device(path)) continue;
    if (order == 0 && !uart_present(name)) continue;
    if (::access(path.c_str(), R_OK | W_OK) != 0) continue;
    found.push_back({order, *parse_number(rest), path});
  }
  std::sort(found.begin(), found.end(),
            [](const Port& a, const Port& b) { return std::tie(a.order, a.number) < std::tie(b.order, b.number); });
  std::vector<std::string> names;
  for (const auto& p : found) names.push_back(resource_name_for(p.path));

  std::vector<std::string> links;
  for (const auto& entry : fs::directory_iterator("/dev/serial/by-id", ec)) {
    std::string path = entry.path().string();
    if (path.find(':') != std::string::npos) continue;  // "::" would end the board in a resource name
    if (is_character_device(path) && ::access(path.c_str(), R_OK | W_OK) == 0) links.push_back(resource_name_for(path));
  }
  std::sort(links.begin(), links.end());
  names.insert(names.end(), links.begin(), links.end());
  return names;
}

}  // namespace cppvisa::serial
