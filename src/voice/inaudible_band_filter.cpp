// inaudible_band_filter.cpp — Kaiser-window FIR design and streaming convolution.
#include "voice/inaudible_band_filter.hpp"

#include "voice/stft.hpp"

#include <algorithm>
#include <cmath>

namespace vg::voice {
namespace {

double bessel_i0(double x) {
  double sum = 1, term = 1;
  for (int k = 1; k < 50; ++k) {
    term *= (x / (2.0 * k)) * (x / (2.0 * k));
    sum += term;
    if (term < 1e-12 * sum)
      break;
  }
  return sum;
}

} // namespace

InaudibleBandFilter::InaudibleBandFilter(unsigned rate, double pass_hz, double stop_hz,
                                         double atten) {
  if (rate < 2 * stop_hz)
    return; // nothing above stop_hz can exist
  double df = (stop_hz - pass_hz) / rate;
  auto n = static_cast<std::size_t>(std::ceil((atten - 7.95) / (14.36 * df))) + 1;
  n |= 1; // odd length: integer group delay
  double beta = atten > 50 ? 0.1102 * (atten - 8.7)
                           : 0.5842 * std::pow(atten - 21, 0.4) + 0.07886 * (atten - 21);
  double fc = (pass_hz + stop_hz) / 2.0 / rate;
  double m = static_cast<double>(n - 1) / 2.0;
  taps_.resize(n);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double k = static_cast<double>(i) - m;
    double sinc = k == 0 ? 2 * fc : std::sin(2 * M_PI * fc * k) / (M_PI * k);
    double r = k / m;
    double w = bessel_i0(beta * std::sqrt(std::max(0.0, 1 - r * r))) / bessel_i0(beta);
    taps_[i] = static_cast<float>(sinc * w);
    sum += sinc * w;
  }
  for (auto &t : taps_)
    t = static_cast<float>(t / sum); // unity gain at DC
  history_.assign(n - 1, 0.0f);
}

void InaudibleBandFilter::process(std::span<float> x) {
  if (taps_.empty())
    return;
  const std::size_t n = taps_.size();
  std::vector<float> buf(history_);
  buf.insert(buf.end(), x.begin(), x.end());
  for (std::size_t i = 0; i < x.size(); ++i) {
    double acc = 0;
    const float *in = &buf[i];
    for (std::size_t k = 0; k < n; ++k)
      acc += static_cast<double>(taps_[n - 1 - k]) * in[k];
    x[i] = static_cast<float>(acc);
  }
  history_.assign(buf.end() - static_cast<long>(n - 1), buf.end());
}

double band_level_dbfs(std::span<const float> x, unsigned rate, double lo, double hi) {
  Stft stft(8192, 4096);
  double total = 0;
  std::size_t frames = 0;
  const double bin = static_cast<double>(rate) / 8192.0;
  stft.push(x, [&](std::uint64_t, std::span<const float> p) {
    double s = 0;
    for (auto k = static_cast<std::size_t>(std::ceil(lo / bin));
         k <= std::min(static_cast<std::size_t>(hi / bin), p.size() - 1); ++k)
      s += p[k];
    double rms = stft.power_to_rms(s);
    total += rms * rms;
    ++frames;
  });
  if (frames == 0)
    return -200;
  return 10.0 * std::log10(std::max(total / static_cast<double>(frames), 1e-20));
}

} // namespace vg::voice
