// Loading PyVISA-sim definition files (YAML, spec 1.0 and 1.1) into sim::Definitions.
// Every scalar is read as text, as PyVISA-sim's BaseLoader does ("1.0", "true" and "null" are
// strings until a spec converts them). What PyVISA-sim refuses at load — YAML syntax, a wrong
// type, an invalid default, a setter pattern that cannot parse, a missing included file, an
// unknown device — throws LoadError whose what() starts with "FILE:LINE:COLUMN: ". What it loads
// and only fails on when used (a malformed RANDOM or BYTES directive in a response, a getter format
// that cannot format its default) or ignores (an unknown key) loads, with a warning of the same
// form in Definitions::warnings; a malformed response throws MalformedResponse when used.
// See docs/simulation.md for the format.
#pragma once

#include "backends/sim/model.hpp"

#include <string>
#include <string_view>

namespace cppvisa::sim {

/// Loads a file (absolute or relative to the working directory). @throws LoadError.
Definitions load_definitions(const std::string& path);

/// Loads YAML text. `path` names it in messages and is the base of relative `filename:` entries
/// (its directory; the working directory when it has none). @throws LoadError.
Definitions load_definitions_text(std::string_view text, const std::string& path = "<yaml>");

/// The directory of the bundled files (what `bundled: true` refers to): core::data_directory()/sim
/// (found from the library's own path, so that an installed prefix can be moved).
std::string bundled_directory();

/// The file `@sim` loads: $CPPVISA_SIM_DEFAULT when set and non-empty, else
/// bundled_directory()/default.yaml.
std::string default_definitions_path();

}  // namespace cppvisa::sim
