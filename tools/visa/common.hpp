// What the `visa` subcommands share: how a resource is opened (backend, timeout, terminations),
// how results are printed (text or --json) and how failures end the program.
#pragma once

#include <cppvisa/cppvisa.hpp>

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace visa_tool {

/// Exit statuses: 0 done, 1 the operation failed (the cause on stderr), 2 bad arguments.
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

/// A subcommand: its CLI11 app and what runs when it was chosen (returns the exit status).
struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

/// Options of the subcommands that open a resource.
struct OpenSettings {
  std::string backend;               ///< -b/--backend
  double timeout_ms = 5000;          ///< -t/--timeout
  std::string read_termination = "LF";   ///< --read-termination (name or escapes)
  std::string write_termination = "LF";  ///< --write-termination
  std::uint32_t baud = 0;                ///< --baud (serial ports; 0 = as configured)
  std::string framing;                   ///< --framing (serial ports: "8N1", "7E1"...; empty = as configured)
};

/// A CLI11 check of a serial framing name ("8N1"): a bad one is a usage error (exit 2).
std::string check_framing(const std::string& name);

/// Adds -b/--backend to `app`.
void add_backend_option(CLI::App& app, std::string& backend);
/// Adds -b, -t, --read-termination, --write-termination, --baud, --framing to `app`.
void add_open_options(CLI::App& app, OpenSettings& settings);

/// Opens `name` as a message-based resource with `settings`. @throws as ResourceManager::open.
std::unique_ptr<cppvisa::MessageBasedResource> open_message_based(cppvisa::ResourceManager& rm,
                                                                   const std::string& name,
                                                                   const OpenSettings& settings);

/// Prints "visa: CAUSE" on stderr (the cause through cppvisa::error_cause) and returns exit_failure.
int fail(const std::exception& e);

/// A reply for a person: the text (its termination stripped) or, for binary data, a hex dump.
std::string reply_text(const cppvisa::MessageBasedResource& r, const std::vector<std::byte>& reply);
/// A reply as a JSON object's members: "length", and "text" or "hex".
std::string reply_json(const cppvisa::MessageBasedResource& r, const std::vector<std::byte>& reply);

Subcommand add_list(CLI::App& app);
Subcommand add_info(CLI::App& app);
Subcommand add_query(CLI::App& app);
Subcommand add_write(CLI::App& app);
Subcommand add_read(CLI::App& app);
Subcommand add_bench(CLI::App& app);
Subcommand add_trace(CLI::App& app);
Subcommand add_probe(CLI::App& app);
Subcommand add_record(CLI::App& app);
Subcommand add_plot(CLI::App& app);
Subcommand add_screenshot(CLI::App& app);

}  // namespace visa_tool
