// A self-signed certificate and its key for the TLS tests, made by the `openssl` command.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace cppvisa::testing {

struct CertPair {
  std::string cert, key;  ///< PEM files; both empty when the certificate could not be made
};

/// An EC (P-256) certificate valid 2 days, subject CN=cppvisa-test-`name`, with the extension
/// `san` ("subjectAltName=IP:127.0.0.1"), written to `dir`/`name`.crt and .key.
inline CertPair make_self_signed(const std::filesystem::path& dir, const std::string& name, const std::string& san) {
  CertPair p{(dir / (name + ".crt")).string(), (dir / (name + ".key")).string()};
  std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                        "-subj /CN=cppvisa-test-" + name + " -addext '" + san + "' -keyout " + p.key + " -out " +
                        p.cert + " >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) return {};
  return p;
}

/// The SHA-256 fingerprint of a PEM certificate as `openssl x509 -fingerprint` prints it
/// ("AB:CD:..."); "" when the command fails.
inline std::string fingerprint_of(const std::string& cert_file) {
  std::string command = "openssl x509 -noout -fingerprint -sha256 -in " + cert_file;
  std::string out;
  if (FILE* f = ::popen(command.c_str(), "r")) {
    char line[512];
    while (std::fgets(line, sizeof line, f)) out += line;
    ::pclose(f);
  }
  auto eq = out.find('=');
  if (eq == std::string::npos) return {};
  out = out.substr(eq + 1);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace cppvisa::testing
