/// @file system_info.hpp
/// @brief What `visa info` and `visa-info` print (like pyvisa-info): the machine, cppvisa's
/// version, and per backend its details and the resources it finds.
#pragma once

#include <cppvisa/export.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace cppvisa {

/// What is known of one listed resource beyond its name.
struct ResourceReport {
  std::string name;      ///< the resource name, as in BackendReport::resources
  std::string found_by;  ///< how LAN discovery found it ("mDNS _vxi-11._tcp", ...); empty when not discovered
  std::string identity;  ///< manufacturer, model and serial the discovery answer announced; may be empty
  std::string idn;       ///< the instrument's *IDN? answer (or why none), when system_info() was asked to identify
};

/// One backend as system_info() found it.
struct BackendReport {
  std::string specification;           ///< "@native", "@sim", "file.yaml@sim", a library path
  bool available = false;              ///< whether the backend opened
  std::string error;                   ///< why it did not open (error_cause()), when not available
  std::vector<std::string> details;    ///< Backend::debug_info() lines
  std::vector<std::string> resources;  ///< the resources it lists for the query
  std::vector<ResourceReport> found;   ///< one per entry of `resources`, in the same order
  std::string list_error;              ///< why listing failed, when it did
};

/// The machine, the version and the backends.
struct SystemInfo {
  std::string platform;    ///< uname: system, release and version
  std::string processor;   ///< uname: machine
  std::string version;     ///< cppvisa's version
  std::vector<BackendReport> backends;  ///< in the order asked (or list_backends()' order)
};

/// Collects the report: `specifications` empty means every backend of list_backends(); each lists
/// resources matching `query`. Never throws for a backend that cannot open: that is in its report.
/// With `identify`, every listed instrument is opened and asked *IDN? (up to 16 at once, 1 s each).
CPPVISA_API SystemInfo system_info(std::string_view query = "?*", const std::vector<std::string>& specifications = {},
                                   bool identify = false);

/// The report as visa-info prints it (pyvisa-info's layout).
CPPVISA_API std::string to_text(const SystemInfo& info);
/// The report as one JSON object: platform, processor, version, backends[] (backend, available,
/// error, details[], resources[], found[] (name, found_by, identity, idn), list_error; absent
/// values are null).
CPPVISA_API std::string to_json(const SystemInfo& info);

}  // namespace cppvisa
