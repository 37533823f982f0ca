// Line input for visa-shell: libedit's line editing, history and TAB completion when the build
// found libedit and the input is a terminal; plain lines otherwise (scripts, pipes, no libedit).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace visa_shell {

/// Candidates for the word being completed: `line` is the whole line up to the cursor's word,
/// `word` the partial word; returns every candidate that starts with `word`.
using Completer = std::function<std::vector<std::string>(const std::string& line, const std::string& word)>;

class LineInput {
 public:
  /// `history_file`: read at start and written at exit when non-empty (libedit only).
  LineInput(Completer completer, std::string history_file);
  ~LineInput();
  LineInput(const LineInput&) = delete;
  LineInput& operator=(const LineInput&) = delete;

  /// The next line without its newline; nullopt at end of input (Ctrl-D).
  std::optional<std::string> read(const std::string& prompt);
  /// Whether line editing is in use (libedit on a terminal).
  bool editing() const noexcept { return editing_; }

 private:
  bool editing_ = false;
  std::string history_file_;
};

}  // namespace visa_shell
