// Waveform samples, axis ticks, and the drawing as SVG and as pixels (plot.hpp).
#include <cppvisa/plot.hpp>

#include <cppvisa/error.hpp>
#include <cppvisa/values.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>

namespace cppvisa {
namespace {

template <class T>
std::vector<double> block_as_doubles(std::span<const std::byte> reply, bool big_endian) {
  auto values = from_block<T>(reply, BlockFormat::ieee, big_endian);
  return std::vector<double>(values.begin(), values.end());
}

/// Where things go: the plot area inside margins for the labels, and the data ranges.
struct Frame {
  double left = 72, top = 32, right = 0, bottom = 0;  // pixels
  double x_low = 0, x_high = 1, y_low = 0, y_high = 1;
  std::vector<double> x_ticks, y_ticks;

  Frame(std::span<const double> samples, const PlotOptions& o) {
    if (o.width < 120 || o.height < 100 || o.width > 20000 || o.height > 20000)
      throw Error(fmt::format("a plot of {}x{} pixels: width 120..20000 and height 100..20000 expected", o.width, o.height));
    if (!(o.x_increment != 0) || !std::isfinite(o.x_increment) || !std::isfinite(o.x_origin))
      throw Error("a plot needs a finite, non-zero x increment and a finite x origin");
    right = o.width - 20.0;
    bottom = o.height - 48.0;
    x_low = o.x_origin;
    x_high = o.x_origin + o.x_increment * static_cast<double>(samples.size() > 1 ? samples.size() - 1 : 1);
    if (x_high < x_low) std::swap(x_low, x_high);
    bool any = false;
    for (double v : samples) {
      if (!std::isfinite(v)) continue;  // not drawn
      y_low = any ? std::min(y_low, v) : v;
      y_high = any ? std::max(y_high, v) : v;
      any = true;
    }
    if (y_high - y_low < 1e-300) {
      y_low -= 1;
      y_high += 1;
    } else {
      double pad = (y_high - y_low) * 0.05;
      y_low -= pad;
      y_high += pad;
    }
    x_ticks = axis_ticks(x_low, x_high, std::max(2, o.width / 110));
    y_ticks = axis_ticks(y_low, y_high, std::max(2, o.height / 60));
  }
  double px(double x) const { return left + (x - x_low) / (x_high - x_low) * (right - left); }
  double py(double y) const { return bottom - (y - y_low) / (y_high - y_low) * (bottom - top); }
};

std::string tick_text(double v) {
  if (std::abs(v) < 1e-12) v = 0;
  return fmt::format("{:.6g}", v);
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// ---- pixels ----------------------------------------------------------------------------------

/// 3x5 glyphs of the characters tick values use, a row per 3 bits (MSB left).
int glyph_row(char c, int row) {
  static constexpr struct {
    char c;
    std::uint8_t rows[5];
  } glyphs[] = {
      {'0', {7, 5, 5, 5, 7}}, {'1', {2, 6, 2, 2, 7}}, {'2', {7, 1, 7, 4, 7}}, {'3', {7, 1, 7, 1, 7}},
      {'4', {5, 5, 7, 1, 1}}, {'5', {7, 4, 7, 1, 7}}, {'6', {7, 4, 7, 5, 7}}, {'7', {7, 1, 1, 1, 1}},
      {'8', {7, 5, 7, 5, 7}}, {'9', {7, 5, 7, 1, 7}}, {'.', {0, 0, 0, 0, 2}}, {'-', {0, 0, 7, 0, 0}},
      {'+', {0, 2, 7, 2, 0}}, {'e', {0, 3, 7, 4, 3}},
  };
  for (auto& g : glyphs)
    if (g.c == c) return g.rows[row];
  return 0;
}

struct Canvas {
  Raster r;
  Canvas(int w, int h) {
    r.width = w;
    r.height = h;
    r.rgb.assign(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3, 255);
  }
  void dot(int x, int y, std::uint32_t color) {
    if (x < 0 || y < 0 || x >= r.width || y >= r.height) return;
    auto at = (static_cast<std::size_t>(y) * static_cast<std::size_t>(r.width) + static_cast<std::size_t>(x)) * 3;
    r.rgb[at] = static_cast<std::uint8_t>(color >> 16);
    r.rgb[at + 1] = static_cast<std::uint8_t>(color >> 8);
    r.rgb[at + 2] = static_cast<std::uint8_t>(color);
  }
  void line(double x0d, double y0d, double x1d, double y1d, std::uint32_t color) {  // Bresenham
    int x0 = static_cast<int>(std::lround(x0d)), y0 = static_cast<int>(std::lround(y0d));
    int x1 = static_cast<int>(std::lround(x1d)), y1 = static_cast<int>(std::lround(y1d));
    int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1, dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    while (true) {
      dot(x0, y0, color);
      if (x0 == x1 && y0 == y1) break;
      int e2 = 2 * err;
      if (e2 >= dy) { err += dy; x0 += sx; }
      if (e2 <= dx) { err += dx; y0 += sy; }
    }
  }
  /// Text of glyph_row() characters, 2 pixels per font pixel, its top-left corner at (x, y).
  void text(double xd, double yd, std::string_view s, std::uint32_t color) {
    int x = static_cast<int>(std::lround(xd)), y = static_cast<int>(std::lround(yd));
    for (char c : s) {
      for (int row = 0; row < 5; ++row)
        for (int col = 0; col < 3; ++col)
          if (glyph_row(c, row) & (4 >> col))
            for (int k = 0; k < 4; ++k) dot(x + col * 2 + k % 2, y + row * 2 + k / 2, color);
      x += 8;
    }
  }
};

constexpr std::uint32_t kAxis = 0x333333, kGrid = 0xDDDDDD, kWave = 0x1F77B4;

}  // namespace

std::vector<double> waveform_values(std::span<const std::byte> reply, char datatype, bool big_endian) {
  if (!reply.empty() && static_cast<char>(reply[0]) == '#') {
    switch (datatype) {
      case 'b': return block_as_doubles<std::int8_t>(reply, big_endian);
      case 'B': return block_as_doubles<std::uint8_t>(reply, big_endian);
      case 'h': return block_as_doubles<std::int16_t>(reply, big_endian);
      case 'H': return block_as_doubles<std::uint16_t>(reply, big_endian);
      case 'i': case 'l': return block_as_doubles<std::int32_t>(reply, big_endian);
      case 'I': case 'L': return block_as_doubles<std::uint32_t>(reply, big_endian);
      case 'q': return block_as_doubles<std::int64_t>(reply, big_endian);
      case 'Q': return block_as_doubles<std::uint64_t>(reply, big_endian);
      case 'f': return block_as_doubles<float>(reply, big_endian);
      case 'd': return block_as_doubles<double>(reply, big_endian);
      default: throw InvalidBinaryFormat(fmt::format("unknown datatype '{}' (b B h H i I l L q Q f d)", datatype),
                                         status::ERROR_NSUP_FMT);
    }
  }
  std::string_view text(reinterpret_cast<const char*>(reply.data()), reply.size());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  return from_ascii_block<double>(text, "f", ",");
}

std::vector<double> axis_ticks(double low, double high, int count) {
  std::vector<double> ticks;
  if (!(high > low) || !std::isfinite(low) || !std::isfinite(high) || count < 1) return ticks;
  double raw = (high - low) / count;
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  for (double t = std::ceil(low / step) * step; t <= high + step * 1e-9; t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    if (ticks.size() > 1000) break;  // a step lost in rounding; never expected
  }
  return ticks;
}

std::string plot_svg(std::span<const double> samples, const PlotOptions& o) {
  Frame f(samples, o);
  std::string s = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
      o.width, o.height);
  s += "<g class=\"grid\" stroke=\"#dddddd\">\n";
  for (double t : f.x_ticks) s += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1}\" x2=\"{0:.2f}\" y2=\"{2}\"/>\n", f.px(t), f.top, f.bottom);
  for (double t : f.y_ticks) s += fmt::format("<line x1=\"{1}\" y1=\"{0:.2f}\" x2=\"{2}\" y2=\"{0:.2f}\"/>\n", f.py(t), f.left, f.right);
  s += "</g>\n<g class=\"axes\" stroke=\"#333333\" fill=\"#333333\">\n";
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\"/>\n", f.left, f.top, f.right - f.left,
                   f.bottom - f.top);
  for (double t : f.x_ticks)
    s += fmt::format("<text x=\"{:.2f}\" y=\"{}\" text-anchor=\"middle\" stroke=\"none\">{}</text>\n", f.px(t),
                     f.bottom + 16, tick_text(t));
  for (double t : f.y_ticks)
    s += fmt::format("<text x=\"{}\" y=\"{:.2f}\" text-anchor=\"end\" stroke=\"none\">{}</text>\n", f.left - 6,
                     f.py(t) + 4, tick_text(t));
  s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" stroke=\"none\">{}</text>\n", (f.left + f.right) / 2,
                   o.height - 8, xml_escape(o.x_label));
  s += fmt::format(
      "<text x=\"14\" y=\"{0:.1f}\" text-anchor=\"middle\" stroke=\"none\" transform=\"rotate(-90 14 {0:.1f})\">{1}</text>\n",
      (f.top + f.bottom) / 2, xml_escape(o.y_label));
  if (!o.title.empty())
    s += fmt::format("<text x=\"{:.1f}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" stroke=\"none\">{}</text>\n",
                     (f.left + f.right) / 2, xml_escape(o.title));
  s += "</g>\n";
  s += "<polyline class=\"waveform\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1\" points=\"";
  std::string points;
  points.reserve(samples.size() * 16);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (!std::isfinite(samples[i])) continue;
    double x = o.x_origin + o.x_increment * static_cast<double>(i);
    fmt::format_to(std::back_inserter(points), "{}{:.2f},{:.2f}", points.empty() ? "" : " ", f.px(x), f.py(samples[i]));
  }
  s += points + "\"/>\n</svg>\n";
  return s;
}

Raster plot_raster(std::span<const double> samples, const PlotOptions& o) {
  Frame f(samples, o);
  Canvas c(o.width, o.height);
  for (double t : f.x_ticks) c.line(f.px(t), f.top, f.px(t), f.bottom, kGrid);
  for (double t : f.y_ticks) c.line(f.left, f.py(t), f.right, f.py(t), kGrid);
  c.line(f.left, f.top, f.right, f.top, kAxis);
  c.line(f.left, f.bottom, f.right, f.bottom, kAxis);
  c.line(f.left, f.top, f.left, f.bottom, kAxis);
  c.line(f.right, f.top, f.right, f.bottom, kAxis);
  for (double t : f.x_ticks) {
    std::string label = tick_text(t);
    c.line(f.px(t), f.bottom, f.px(t), f.bottom + 4, kAxis);
    c.text(f.px(t) - 4.0 * static_cast<double>(label.size()), f.bottom + 8, label, kAxis);
  }
  for (double t : f.y_ticks) {
    std::string label = tick_text(t);
    c.line(f.left - 4, f.py(t), f.left, f.py(t), kAxis);
    c.text(f.left - 8 - 8.0 * static_cast<double>(label.size()), f.py(t) - 5, label, kAxis);
  }
  for (std::size_t i = 1; i < samples.size(); ++i) {
    if (!std::isfinite(samples[i - 1]) || !std::isfinite(samples[i])) continue;
    double x0 = o.x_origin + o.x_increment * static_cast<double>(i - 1);
    double x1 = o.x_origin + o.x_increment * static_cast<double>(i);
    c.line(f.px(x0), f.py(samples[i - 1]), f.px(x1), f.py(samples[i]), kWave);
  }
  if (samples.size() == 1) c.dot(static_cast<int>(f.px(o.x_origin)), static_cast<int>(f.py(samples[0])), kWave);
  return std::move(c.r);
}

}  // namespace cppvisa
