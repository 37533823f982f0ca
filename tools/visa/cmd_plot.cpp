// visa plot RESOURCE COMMAND --out wave.svg|wave.png: a waveform drawn with axes.
#include "common.hpp"

#include <cppvisa/plot.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <memory>

#ifdef CPPVISA_HAVE_LIBPNG
#include <png.h>
#endif

namespace visa_tool {
namespace {

struct PlotCliOptions {
  OpenSettings open;
  std::string resource, command, out;
  std::vector<std::string> setup;
  std::string datatype = "b";
  bool little_endian = false, png = false, json = false;
  cppvisa::PlotOptions plot;
};

#ifdef CPPVISA_HAVE_LIBPNG
// libpng's simplified API (png_image, libpng >= 1.6) writes the whole raster in one call.
void write_png(const std::string& path, const cppvisa::Raster& r) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(r.width);
  image.height = static_cast<png_uint_32>(r.height);
  image.format = PNG_FORMAT_RGB;
  if (!png_image_write_to_file(&image, path.c_str(), 0, r.rgb.data(), r.width * 3, nullptr))
    throw cppvisa::Error(fmt::format("cannot write {}: {}", path, image.message));
}
#endif

int run(PlotCliOptions& o) {
  bool png = o.png || o.out.ends_with(".png");
#ifndef CPPVISA_HAVE_LIBPNG
  if (png) throw cppvisa::Error("PNG output needs libpng, which this build of visa was made without; use .svg");
#endif
  cppvisa::ResourceManager rm(o.open.backend);
  auto r = open_message_based(rm, o.resource, o.open);
  for (auto& s : o.setup) r->write(cppvisa::unescape(s));
  r->write(cppvisa::unescape(o.command));
  std::vector<std::byte> reply;
  {
    cppvisa::TerminalProgress progress;
    reply = cppvisa::read_reply(*r, progress.callback());
  }
  auto samples = cppvisa::waveform_values(reply, o.datatype[0], !o.little_endian);
  if (o.plot.title.empty()) o.plot.title = o.resource + "  " + o.command;
  if (png) {
#ifdef CPPVISA_HAVE_LIBPNG
    write_png(o.out, cppvisa::plot_raster(samples, o.plot));
#endif
  } else {
    std::string svg = cppvisa::plot_svg(samples, o.plot);
    std::ofstream f(o.out, std::ios::binary | std::ios::trunc);
    f << svg;
    f.close();
    if (!f) throw cppvisa::Error(fmt::format("cannot write {}", o.out));
  }
  if (o.json)
    fmt::print(R"({{"file":{},"format":"{}","samples":{},"reply_bytes":{}}})" "\n", cppvisa::json_quote(o.out),
               png ? "png" : "svg", samples.size(), reply.size());
  else
    fmt::print(stderr, "visa: {} samples drawn into {}\n", samples.size(), o.out);
  return 0;
}

}  // namespace

Subcommand add_plot(CLI::App& app) {
  auto o = std::make_shared<PlotCliOptions>();
  auto* sub = app.add_subcommand("plot", "Query a waveform (binary block or ASCII list) and draw it as SVG or PNG");
  sub->add_option("resource", o->resource, "resource name or alias")->required();
  sub->add_option("command", o->command, "the query that returns the waveform (\\ escapes allowed)")->required();
  sub->add_option("-o,--out", o->out, "the file to write: .svg, or .png (also with --png)")->required();
  sub->add_flag("--png", o->png, "write PNG whatever the file name");
  sub->add_option("--setup", o->setup, "commands sent first (repeatable)");
  sub->add_option("--datatype", o->datatype, "binary items: b B h H i I l L q Q f d (PyVISA codes)")
      ->capture_default_str()
      ->check(CLI::IsMember({"b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d"}));
  sub->add_flag("--little-endian", o->little_endian, "binary items are little-endian (default big-endian)");
  sub->add_option("--title", o->plot.title, "the title (default: resource and command)");
  sub->add_option("--x-origin", o->plot.x_origin, "x of the first sample")->capture_default_str();
  sub->add_option("--x-increment", o->plot.x_increment, "x step between samples")->capture_default_str();
  sub->add_option("--x-label", o->plot.x_label, "x axis label")->capture_default_str();
  sub->add_option("--y-label", o->plot.y_label, "y axis label")->capture_default_str();
  sub->add_option("--width", o->plot.width, "pixels")->capture_default_str()->check(CLI::Range(120, 20000));
  sub->add_option("--height", o->plot.height, "pixels")->capture_default_str()->check(CLI::Range(100, 20000));
  add_open_options(*sub, o->open);
  sub->add_flag("--json", o->json, "what was drawn as JSON");
  return {sub, [o] { return run(*o); }};
}

}  // namespace visa_tool
