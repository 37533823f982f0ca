// Tests of plot.hpp: waveform samples from replies, axis ticks, the SVG and the raster.
#include <cppvisa/error.hpp>
#include <cppvisa/plot.hpp>
#include <cppvisa/values.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "support/bytes.hpp"

using cppvisa::testing::byte_vector;

using namespace cppvisa;

namespace {
}  // namespace

TEST(Plot, WaveformValues) {
  EXPECT_EQ(waveform_values(byte_vector(std::string("#14\x01\xff\x7f\x80\n", 9))), (std::vector<double>{1, -1, 127, -128}));
  EXPECT_EQ(waveform_values(byte_vector(std::string("#14\x01\xff\x7f\x80", 8)), 'B'), (std::vector<double>{1, 255, 127, 128}));
  EXPECT_EQ(waveform_values(byte_vector(std::string("#14\x01\x02\xff\xfe", 8)), 'h'), (std::vector<double>{258, -2}));
  EXPECT_EQ(waveform_values(byte_vector(std::string("#14\x01\x02\xff\xfe", 8)), 'h', false), (std::vector<double>{513, -257}));
  EXPECT_EQ(waveform_values(byte_vector("1.5,-2,3e2\r\n")), (std::vector<double>{1.5, -2, 300}));
  EXPECT_THROW(waveform_values(byte_vector("#14\x01\x02"), 'b'), InvalidBinaryFormat);  // short block
  EXPECT_THROW(waveform_values(byte_vector("#12\x01\x02"), 'x'), InvalidBinaryFormat);
  EXPECT_THROW(waveform_values(byte_vector("1,two,3")), InvalidAsciiFormat);
}

TEST(Plot, AxisTicks) {
  EXPECT_EQ(axis_ticks(0, 10000, 5), (std::vector<double>{0, 2000, 4000, 6000, 8000, 10000}));
  EXPECT_EQ(axis_ticks(-1.1, 1.1, 4), (std::vector<double>{-1, 0, 1}));  // steps of 0.5 would be 5
  EXPECT_EQ(axis_ticks(-1.1, 1.1, 5), (std::vector<double>{-1, -0.5, 0, 0.5, 1}));
  auto small = axis_ticks(0.001, 0.0042, 4);
  ASSERT_EQ(small.size(), 4u);
  EXPECT_NEAR(small[0], 0.001, 1e-15);
  EXPECT_NEAR(small[3], 0.004, 1e-15);
  EXPECT_TRUE(axis_ticks(1, 1).empty());
  EXPECT_TRUE(axis_ticks(0, NAN).empty());
}

TEST(Plot, SvgHasOnePointPerSample) {
  std::vector<double> samples = {0, 1, 4, 9, 16, NAN, 25};
  PlotOptions o;
  o.title = "a <b> & \"c\"";
  std::string svg = plot_svg(samples, o);
  EXPECT_NE(svg.find("a &lt;b&gt; &amp; &quot;c&quot;"), std::string::npos);
  auto at = svg.find("points=\"");
  ASSERT_NE(at, std::string::npos);
  std::string points = svg.substr(at + 8, svg.find('"', at + 8) - at - 8);
  std::vector<std::pair<double, double>> xy;
  for (std::size_t p = 0; p < points.size();) {
    auto end = points.find(' ', p);
    if (end == std::string::npos) end = points.size();
    auto comma = points.find(',', p);
    xy.emplace_back(std::stod(points.substr(p, comma - p)), std::stod(points.substr(comma + 1, end - comma - 1)));
    p = end + 1;
  }
  ASSERT_EQ(xy.size(), 6u);  // the NaN is not drawn
  EXPECT_LT(xy[0].first, xy[1].first);
  EXPECT_GT(xy[0].second, xy[5].second);  // larger values higher
  // y is affine in the value: (16 - 9) / (9 - 4) of the pixel steps
  EXPECT_NEAR((xy[4].second - xy[3].second) / (xy[3].second - xy[2].second), 7.0 / 5.0, 0.01);
  PlotOptions narrow, flat;
  narrow.width = 50;
  flat.x_increment = 0;
  EXPECT_THROW(plot_svg(samples, narrow), Error);
  EXPECT_THROW(plot_svg(samples, flat), Error);
  EXPECT_NE(plot_svg({}, o).find("<polyline"), std::string::npos);  // axes alone, an empty line
}

TEST(Plot, RasterDrawsTheWaveform) {
  std::vector<double> samples = {0, 10};
  auto r = plot_raster(samples, {});
  ASSERT_EQ(r.rgb.size(), 800u * 400u * 3u);
  auto pixel = [&](int x, int y) {
    auto at = (static_cast<std::size_t>(y) * 800 + static_cast<std::size_t>(x)) * 3;
    return (r.rgb[at] << 16) | (r.rgb[at + 1] << 8) | r.rgb[at + 2];
  };
  int wave = 0;
  for (int y = 0; y < 400; ++y)
    for (int x = 0; x < 800; ++x) wave += pixel(x, y) == 0x1F77B4;
  EXPECT_GT(wave, 500);  // a diagonal across the 708 x 320 plot area
  EXPECT_EQ(pixel(0, 0), 0xFFFFFF);
  EXPECT_EQ(pixel(72, 200), 0x333333);  // the frame's left side
}
