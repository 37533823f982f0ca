// LineInput (line_input.hpp): libedit's readline interface, or std::getline.
#include "line_input.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#ifdef CPPVISA_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

namespace visa_shell {
namespace {

#ifdef CPPVISA_HAVE_LIBEDIT
// readline's completion interface is a C one without user data: the completer lives here.
Completer* g_completer = nullptr;
std::vector<std::string> g_candidates;

char* next_candidate(const char*, int state) {
  static std::size_t index = 0;
  if (state == 0) index = 0;
  if (index >= g_candidates.size()) return nullptr;
  return strdup(g_candidates[index++].c_str());
}

char** complete(const char* text, int start, int /*end*/) {
  rl_attempted_completion_over = 1;  // no file-name completion when we have nothing
  if (g_completer == nullptr) return nullptr;
  std::string line(rl_line_buffer, static_cast<std::size_t>(start));
  g_candidates = (*g_completer)(line, text);
  if (g_candidates.empty()) return nullptr;
  return rl_completion_matches(text, next_candidate);
}
#endif

}  // namespace

LineInput::LineInput([[maybe_unused]] Completer completer, std::string history_file)
    : history_file_(std::move(history_file)) {
#ifdef CPPVISA_HAVE_LIBEDIT
  editing_ = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  if (editing_) {
    g_completer = new Completer(std::move(completer));
    rl_readline_name = const_cast<char*>("visa-shell");
    // Resource names hold "::" and attribute names "_": only blanks separate words.
    rl_basic_word_break_characters = const_cast<char*>(" \t");
    rl_attempted_completion_function = complete;
    using_history();
    if (!history_file_.empty()) read_history(history_file_.c_str());
  }
#endif
}

LineInput::~LineInput() {
#ifdef CPPVISA_HAVE_LIBEDIT
  if (editing_) {
    if (!history_file_.empty()) write_history(history_file_.c_str());
    delete g_completer;
    g_completer = nullptr;
  }
#endif
}

std::optional<std::string> LineInput::read(const std::string& prompt) {
#ifdef CPPVISA_HAVE_LIBEDIT
  if (editing_) {
    char* raw = readline(prompt.c_str());
    if (raw == nullptr) return std::nullopt;
    std::string line(raw);
    std::free(raw);
    if (line.find_first_not_of(" \t") != std::string::npos) add_history(line.c_str());
    return line;
  }
#endif
  if (isatty(STDIN_FILENO)) {
    std::cout << prompt << std::flush;
  }
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  return line;
}

}  // namespace visa_shell
