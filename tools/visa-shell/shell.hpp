// visa-shell's commands (pyvisa-shell's, with completion): one Shell per process.
#pragma once

#include <cppvisa/cppvisa.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace visa_shell {

class Shell {
 public:
  /// Opens a resource manager on `backend` (a PyVISA backend specification; "" = the default).
  /// @throws cppvisa::VisaIOError when the backend cannot be opened.
  explicit Shell(const std::string& backend);

  /// Runs one command line; false when the shell should end (exit, quit, EOF).
  bool execute(const std::string& line);
  /// "(visa) " or "(RESOURCE) " when a resource is open.
  std::string prompt() const;
  /// Completion candidates for `word` after `line` (the text before it).
  std::vector<std::string> complete(const std::string& line, const std::string& word);

 private:
  using Args = std::vector<std::string>;
  struct Command {
    void (Shell::*run)(const std::string& rest, const Args& args);
    const char* usage;
    const char* help;
  };
  static const std::map<std::string, Command>& commands();

  void do_list(const std::string& rest, const Args& args);
  void do_open(const std::string& rest, const Args& args);
  void do_close(const std::string& rest, const Args& args);
  void do_query(const std::string& rest, const Args& args);
  void do_read(const std::string& rest, const Args& args);
  void do_write(const std::string& rest, const Args& args);
  void do_attr(const std::string& rest, const Args& args);
  void do_termchar(const std::string& rest, const Args& args);
  void do_timeout(const std::string& rest, const Args& args);
  void do_clear(const std::string& rest, const Args& args);
  void do_stb(const std::string& rest, const Args& args);
  void do_help(const std::string& rest, const Args& args);

  cppvisa::MessageBasedResource& message_based();  ///< the open resource; throws when none or not message-based
  cppvisa::Resource& resource();                   ///< the open resource; throws when none
  void print_reply(const std::vector<std::byte>& reply);
  const std::vector<std::string>& known_resources();  ///< the last list, or a fresh one for completion
  std::vector<std::string> attribute_names();

  cppvisa::ResourceManager rm_;
  std::unique_ptr<cppvisa::Resource> current_;
  std::vector<std::string> listed_;
  bool listed_once_ = false;
};

}  // namespace visa_shell
