// Tests of aliases.hpp: the INI [aliases] parser, lookups both ways and the default file path.
#include <cppvisa/aliases.hpp>
#include <cppvisa/error.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

using namespace cppvisa;

namespace {

/// Sets (or unsets) an environment variable for the life of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

/// A fresh directory under the system temp dir, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cppvisa-aliases-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string error_of(std::string_view text) {
  try {
    AliasTable::parse(text);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST(Aliases, ParsesTheAliasesSection) {
  auto table = AliasTable::parse(
      "# bench instruments\n"
      "[general]\n"
      "scope = not an alias\n"
      "\n"
      "[aliases]\n"
      "  scope = TCPIP::192.168.1.5::INSTR\n"
      "; a comment\n"
      "dmm=GPIB0::22::INSTR   # inline comment\n"
      "Supply = USB::0x1234::5::SN;X::INSTR\n"
      "[other]\n"
      "ignored = ASRL1\n");
  EXPECT_EQ(table.entries().size(), 3u);
  EXPECT_EQ(table.resolve("scope"), "TCPIP::192.168.1.5::INSTR");
  EXPECT_EQ(table.resolve("SCOPE"), "TCPIP::192.168.1.5::INSTR");  // case-insensitive lookup
  EXPECT_EQ(table.resolve("dmm"), "GPIB0::22::INSTR");
  EXPECT_EQ(table.resolve("supply"), "USB::0x1234::5::SN;X::INSTR");  // ';' without a space before is text
  EXPECT_EQ(table.resolve("ignored"), std::nullopt);
  EXPECT_EQ(table.resolve("nope"), std::nullopt);
  EXPECT_EQ(table.entries().at("supply"), "USB::0x1234::5::SN;X::INSTR");
}

TEST(Aliases, SectionNameIsCaseInsensitiveAndCrlfWorks) {
  auto table = AliasTable::parse("\xEF\xBB\xBF[Aliases]\r\na = ASRL1::INSTR\r\n");
  EXPECT_EQ(table.resolve("a"), "ASRL1::INSTR");
}

TEST(Aliases, AliasOfComparesCanonicalNames) {
  auto table = AliasTable::parse("[aliases]\nScope = TCPIP::192.168.1.5::INSTR\nodd = not a resource\n");
  EXPECT_EQ(table.alias_of("TCPIP0::192.168.1.5::inst0::INSTR"), "Scope");  // alias as written
  EXPECT_EQ(table.alias_of("tcpip::192.168.1.5"), "Scope");
  EXPECT_EQ(table.alias_of("TCPIP0::192.168.1.6::inst0::INSTR"), std::nullopt);
  EXPECT_EQ(table.alias_of("not a resource"), "odd");
}

TEST(Aliases, AddReplaces) {
  AliasTable table;
  table.add("Gen", "GPIB::1");
  table.add("gen", "GPIB::2");
  EXPECT_EQ(table.entries().size(), 1u);
  EXPECT_EQ(table.resolve("GEN"), "GPIB::2");
  EXPECT_EQ(table.alias_of("GPIB0::2::INSTR"), "gen");
}

TEST(Aliases, MalformedLinesNameTheLine) {
  EXPECT_EQ(error_of("[aliases]\nscope TCPIP::1.2.3.4\n"),
            "aliases file, line 2: expected 'alias = resource name', not 'scope TCPIP::1.2.3.4'");
  EXPECT_EQ(error_of("[aliases]\n\n = GPIB::1\n"), "aliases file, line 3: the alias before '=' is empty");
  EXPECT_EQ(error_of("[aliases]\nx =   \n"), "aliases file, line 2: no resource name for alias 'x'");
  EXPECT_EQ(error_of("[aliases]\nx = GPIB::1\nX = GPIB::2\n"), "aliases file, line 3: alias 'X' is defined twice");
  EXPECT_EQ(error_of("[aliases]\nGPIB::1 = GPIB::2\n"),
            "aliases file, line 2: an alias cannot contain '::' ('GPIB::1')");
  EXPECT_EQ(error_of("[aliases\n"), "aliases file, line 1: a section header without ']'");
  EXPECT_EQ(error_of("[aliases] x\n"), "aliases file, line 1: text after the section header");
  // Outside [aliases] anything goes.
  EXPECT_EQ(error_of("[x]\nnot a pair\n"), "");
}

TEST(Aliases, DefaultPathFollowsTheEnvironment) {
  {
    ScopedEnv a("CPPVISA_ALIASES", "/some/where.ini");
    EXPECT_EQ(AliasTable::default_path(), "/some/where.ini");
  }
  ScopedEnv a("CPPVISA_ALIASES", nullptr);
  {
    ScopedEnv x("XDG_CONFIG_HOME", "/xdg");
    EXPECT_EQ(AliasTable::default_path(), "/xdg/cppvisa/aliases.ini");
  }
  ScopedEnv home("HOME", "/home/someone");
  {
    ScopedEnv x("XDG_CONFIG_HOME", nullptr);
    EXPECT_EQ(AliasTable::default_path(), "/home/someone/.config/cppvisa/aliases.ini");
  }
  ScopedEnv relative("XDG_CONFIG_HOME", "relative/dir");  // ignored, as the XDG spec says
  EXPECT_EQ(AliasTable::default_path(), "/home/someone/.config/cppvisa/aliases.ini");
}

TEST(Aliases, LoadDefaultReadsTheFile) {
  TempDir dir;
  auto path = dir.path() / "aliases.ini";
  ScopedEnv env("CPPVISA_ALIASES", path.c_str());
  EXPECT_TRUE(AliasTable::load_default().entries().empty());  // absent file: empty table
  {
    std::ofstream out(path);
    out << "[aliases]\nscope = TCPIP::127.0.0.1::INSTR\n";
  }
  EXPECT_EQ(AliasTable::load_default().resolve("scope"), "TCPIP::127.0.0.1::INSTR");
  {
    std::ofstream out(path);
    out << "[aliases]\nbroken\n";
  }
  try {
    AliasTable::load_default();
    FAIL() << "no exception";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(path.string()), std::string::npos) << what;
    EXPECT_NE(what.find("line 2"), std::string::npos) << what;
  }
}

TEST(Aliases, LoadDefaultThroughXdgAndErrors) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "cppvisa");
  {
    std::ofstream out(dir.path() / "cppvisa" / "aliases.ini");
    out << "[aliases]\ndmm = GPIB::22\n";
  }
  ScopedEnv a("CPPVISA_ALIASES", nullptr);
  ScopedEnv x("XDG_CONFIG_HOME", dir.path().c_str());
  EXPECT_EQ(AliasTable::load_default().resolve("DMM"), "GPIB::22");
  // A directory where the file should be is an error, not an empty table.
  ScopedEnv d("CPPVISA_ALIASES", dir.path().c_str());
  EXPECT_THROW(AliasTable::load_default(), Error);
  // A huge file is refused.
  auto big = dir.path() / "big.ini";
  {
    std::ofstream out(big);
    out << "[aliases]\n" << std::string(2 << 20, '#') << "\n";
  }
  ScopedEnv b("CPPVISA_ALIASES", big.c_str());
  EXPECT_THROW(AliasTable::load_default(), Error);
}
