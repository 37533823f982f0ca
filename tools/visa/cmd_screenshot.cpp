// visa screenshot RESOURCE -o screen.png: the picture on an instrument's screen.
#include "common.hpp"

#include <cppvisa/screenshot.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>

namespace visa_tool {
namespace {

struct ScreenshotOptions {
  OpenSettings open;
  std::string resource, out, command;
  std::vector<std::string> setup;
  bool bmp = false, list = false, json = false;
};

int list_methods(bool json) {
  std::string rows;
  for (auto& m : cppvisa::screen_dump_methods()) {
    std::string models, setup;
    for (auto& p : m.models) models += (models.empty() ? "" : ",") + cppvisa::json_quote(p);
    for (auto& s : m.setup) setup += (setup.empty() ? "" : ",") + cppvisa::json_quote(s);
    if (json)
      rows += fmt::format(R"({}{{"family":{},"manufacturer":{},"models":[{}],"setup":[{}],"query":{},"reply":"{}"}})",
                          rows.empty() ? "" : ",\n ", cppvisa::json_quote(m.family), cppvisa::json_quote(m.manufacturer),
                          models, setup, cppvisa::json_quote(m.query),
                          m.reply == cppvisa::ScreenDumpReply::bmp_file ? "bmp_file" : "ieee_block");
    else {
      std::string commands;
      for (auto& s : m.setup) commands += s + "; ";
      fmt::print("{:<55} {:<9} {:<24} {}{}\n", m.family, m.manufacturer,
                 m.models.empty() ? std::string("*") : fmt::format("{}*", fmt::join(m.models, "*,")), commands, m.query);
    }
  }
  if (json) fmt::print("[{}]\n", rows);
  return 0;
}

int run(const ScreenshotOptions& o) {
  if (o.list) return list_methods(o.json);
  if (o.resource.empty() || o.out.empty()) {
    fmt::print(stderr, "visa: screenshot needs a RESOURCE and -o FILE (or --list)\n");
    return exit_usage;
  }
  cppvisa::ResourceManager rm(o.open.backend);
  auto r = open_message_based(rm, o.resource, o.open);
  cppvisa::ScreenDumpMethod method;
  std::string idn;
  if (!o.command.empty()) {
    method = {"given on the command line", "", {}, o.setup, cppvisa::unescape(o.command),
              o.bmp ? cppvisa::ScreenDumpReply::bmp_file : cppvisa::ScreenDumpReply::ieee_block};
    for (auto& s : method.setup) s = cppvisa::unescape(s);
  } else {
    idn = r->query("*IDN?");
    const auto* found = cppvisa::find_screen_dump_method(idn);
    if (!found)
      throw cppvisa::Error(fmt::format("no screen-dump command is known for \"{}\"; give one with --command "
                                       "(and --setup, --bmp); visa screenshot --list shows the known ones", idn));
    method = *found;
  }
  std::vector<std::byte> image;
  {
    cppvisa::TerminalProgress progress;
    image = cppvisa::take_screenshot(*r, method, progress.callback());
  }
  std::string format = cppvisa::image_format(image);
  std::ofstream f(o.out, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
  f.close();
  if (!f) throw cppvisa::Error(fmt::format("cannot write {}", o.out));
  if (o.json) {
    fmt::print(R"({{"file":{},"format":{},"bytes":{},"family":{},"query":{},"idn":{}}})" "\n", cppvisa::json_quote(o.out),
               format.empty() ? "null" : cppvisa::json_quote(format), image.size(), cppvisa::json_quote(method.family),
               cppvisa::json_quote(method.query), idn.empty() ? "null" : cppvisa::json_quote(idn));
  } else {
    fmt::print(stderr, "visa: {} bytes of {} written to {} ({})\n", image.size(), format.empty() ? "unknown format" : format,
               o.out, method.family);
  }
  if (!format.empty() && !o.out.ends_with("." + format) && !(format == "jpeg" && o.out.ends_with(".jpg")))
    fmt::print(stderr, "visa: note: the image is {}, the file name ends otherwise\n", format);
  return 0;
}

}  // namespace

Subcommand add_screenshot(CLI::App& app) {
  auto o = std::make_shared<ScreenshotOptions>();
  auto* sub = app.add_subcommand("screenshot", "Save the picture on an instrument's screen (command chosen by *IDN?)");
  sub->add_option("resource", o->resource, "resource name or alias");
  sub->add_option("-o,--out", o->out, "the image file to write (as the instrument sends it: PNG, BMP...)");
  sub->add_option("--command", o->command, "the screen-dump query, instead of the one the table gives for *IDN?");
  sub->add_option("--setup", o->setup, "with --command: commands sent first (repeatable)");
  sub->add_flag("--bmp", o->bmp, "with --command: the reply is a bare BMP file, not an IEEE 488.2 block");
  sub->add_flag("--list", o->list, "print the table of known instruments and their commands");
  add_open_options(*sub, o->open);
  sub->add_flag("--json", o->json, "the result (or --list) as JSON");
  return {sub, [o] { return run(*o); }};
}

}  // namespace visa_tool
