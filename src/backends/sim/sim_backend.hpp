// The `sim` backend: simulated instruments defined in PyVISA-sim YAML files
// (ResourceManager("@sim") for the bundled file, ResourceManager("path.yaml@sim") for a user's).
// Every resource manager opened on the backend gets its own instrument states; sessions of one
// resource manager on the same resource share one instrument. See docs/simulation.md.
#pragma once

#include <cppvisa/backend.hpp>

#include <memory>
#include <string_view>

namespace cppvisa::sim {

/// Opens the sim backend on a definitions file: an empty path loads the bundled default file
/// (default_definitions_path(): $CPPVISA_SIM_DEFAULT, else <data dir>/sim/default.yaml).
/// @throws VisaIOError(VI_ERROR_LIBRARY_NFOUND) whose message gives "FILE:LINE:COLUMN: what is
/// wrong" when the file cannot be read or is not a valid definitions file.
std::shared_ptr<Backend> make_backend(std::string_view yaml_path_or_empty);

}  // namespace cppvisa::sim
