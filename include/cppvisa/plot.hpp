/// @file plot.hpp
/// @brief A waveform read from an instrument, drawn with axes (`visa plot`): the samples of a
/// reply (binary block or ASCII list), an SVG drawing, and an RGB raster for image files.
#pragma once

#include <cppvisa/export.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cppvisa {

/// The samples of a waveform reply: an IEEE 488.2 definite-length block (§7.7.6.2) whose items
/// are `datatype` (a PyVISA/struct code: b B h H i I l L q Q f d) in the given byte order, or
/// otherwise ASCII numbers separated by commas (a trailing termination is ignored).
/// @throws InvalidBinaryFormat or InvalidAsciiFormat for a reply that is neither.
CPPVISA_API std::vector<double> waveform_values(std::span<const std::byte> reply, char datatype = 'b',
                                                bool big_endian = true);

/// How a waveform is drawn.
struct PlotOptions {
  int width = 800;                  ///< pixels (SVG user units)
  int height = 400;                 ///< pixels
  std::string title;                ///< above the plot; empty: none
  std::string x_label = "sample";   ///< under the x axis
  std::string y_label = "value";    ///< left of the y axis
  double x_origin = 0;              ///< x of the first sample
  double x_increment = 1;           ///< x step between samples
};

/// Tick positions for an axis from `low` to `high`: multiples of 1, 2 or 5 times a power of ten,
/// about `count` of them, all within [low, high].
CPPVISA_API std::vector<double> axis_ticks(double low, double high, int count = 6);

/// An SVG document: a frame with ticks and labelled values on both axes, the labels and title,
/// and the samples as one `<polyline class="waveform">` with one point per finite sample, in order
/// (x from left to right, larger values higher). An empty `samples` draws the axes alone.
/// @throws Error for a size outside 120..20000 x 100..20000 or a zero or non-finite x increment.
CPPVISA_API std::string plot_svg(std::span<const double> samples, const PlotOptions& options = {});

/// A drawing as pixels: `width` x `height`, rows from the top, 3 bytes (R, G, B) per pixel.
struct Raster {
  int width = 0;                    ///< pixels per row
  int height = 0;                   ///< rows
  std::vector<std::uint8_t> rgb;    ///< width * height * 3 bytes
};

/// The same drawing as plot_svg() (frame, ticks, tick values in a small built-in digit font, the
/// waveform as connected lines) as pixels, for image files such as PNG. @throws as plot_svg().
CPPVISA_API Raster plot_raster(std::span<const double> samples, const PlotOptions& options = {});

}  // namespace cppvisa
