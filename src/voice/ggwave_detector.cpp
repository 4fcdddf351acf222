// ggwave_detector.cpp — ggwave audible protocol recognition from STFT power spectra.
#include "voice/ggwave_detector.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vg::voice {
namespace {

constexpr double kGridHz = 46.875; // 48 kHz / 1024 samples per ggwave frame
constexpr int kFreqStart = 40;     // ggwave's freqStart for the audible protocols (1875 Hz)
constexpr int kMarkerTones = 16;
constexpr double kFrameS = 1024.0 / 48000.0;

struct Speed {
  const char *label;
  int frames_per_tx;
};
const Speed kSpeeds[] = {
    {"ggwave audible normal", 9}, {"ggwave audible fast", 6}, {"ggwave audible fastest", 3}};

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

} // namespace

GgwaveDetector::GgwaveDetector(unsigned rate, const Stft &stft)
    : rate_(rate), stft_(stft), n_(stft.size()), hop_(stft.hop()), groups_(0) {
  const double bin = static_cast<double>(rate) / static_cast<double>(n_);
  if (bin > 32.0) // the 46.875 Hz grid cannot be resolved
    return;
  for (int g = 0; g < 6; ++g)
    if (kGridHz * (kFreqStart + 16 * g + 15) + 50 < rate / 2.0)
      groups_ = g + 1;
}

double GgwaveDetector::tone_power(std::span<const float> p, int grid_bin) const {
  const double k = kGridHz * grid_bin * static_cast<double>(n_) / rate_;
  auto lo = static_cast<std::size_t>(std::floor(k)), hi = static_cast<std::size_t>(std::ceil(k));
  if (hi >= p.size())
    return 0;
  return std::max(p[lo], p[hi]);
}

GgwaveDetector::Kind GgwaveDetector::classify(std::span<const float> p, std::vector<int> &tones,
                                              double &level) const {
  const double bin = static_cast<double>(rate_) / static_cast<double>(n_);
  auto band = [&](double lo, double hi) { return Stft::band_sum(p, bin, lo, hi); };
  tones.clear();
  const double lo_hz = kGridHz * kFreqStart - 40, hi_hz = kGridHz * (kFreqStart + 31) + 40;
  const double marker_band = band(lo_hz, hi_hz);
  level = 20.0 * std::log10(std::max(stft_.power_to_rms(marker_band), 1e-12));
  if (level < -55.0 || marker_band <= 0)
    return Kind::none;
  // marker combs: start = bins 40+2i+(i&1), end = bins 40+2i+1-(i&1)
  double a = 0, b = 0;
  std::vector<double> ta(kMarkerTones);
  for (int i = 0; i < kMarkerTones; ++i) {
    ta[static_cast<std::size_t>(i)] = tone_power(p, kFreqStart + 2 * i + (i & 1));
    a += ta[static_cast<std::size_t>(i)];
    b += tone_power(p, kFreqStart + 2 * i + 1 - (i & 1));
  }
  for (int pass = 0; pass < 2; ++pass) {
    double on = pass == 0 ? a : b, off = pass == 0 ? b : a;
    if (on >= 0.3 * marker_band && on >= 4.0 * off) {
      int present = 0;
      for (int i = 0; i < kMarkerTones; ++i) {
        double t = pass == 0 ? ta[static_cast<std::size_t>(i)]
                             : tone_power(p, kFreqStart + 2 * i + 1 - (i & 1));
        present += t >= 0.15 * on / kMarkerTones;
      }
      if (present >= 13)
        return pass == 0 ? Kind::start_marker : Kind::end_marker;
    }
  }
  // data: in every usable nibble group one tone holds most of the group's energy
  if (groups_ == 0)
    return Kind::none;
  for (int g = 0; g < groups_; ++g) {
    const int base = kFreqStart + 16 * g;
    double group = band(kGridHz * base - 30, kGridHz * (base + 15) + 30);
    int best = 0;
    double best_p = -1;
    for (int v = 0; v < 16; ++v) {
      double t = tone_power(p, base + v);
      if (t > best_p) {
        best_p = t;
        best = v;
      }
    }
    if (group <= 0 || best_p < 0.3 * group)
      return Kind::none;
    tones.push_back(best);
  }
  return Kind::data;
}

void GgwaveDetector::frame(std::uint64_t start, std::span<const float> p) {
  std::vector<int> tones;
  double level = 0;
  Kind k = classify(p, tones, level);
  const unsigned gap_limit =
      std::max<unsigned>(3, static_cast<unsigned>(0.15 * rate_ / static_cast<double>(hop_)));
  switch (k) {
  case Kind::start_marker:
    if (active_ && (!data_.empty() || end_hops_ > 0))
      close(); // a new transmission without the previous one's end marker
    if (!active_) {
      active_ = true;
      first_ = start;
      marker_hops_ = end_hops_ = 0;
      data_.clear();
      data_start_.clear();
      levels_.clear();
    }
    ++marker_hops_;
    marker_last_ = last_ = start;
    levels_.push_back(level);
    gap_ = 0;
    return;
  case Kind::data:
    if (active_ && end_hops_ == 0) {
      data_.push_back(tones);
      data_start_.push_back(start);
      last_ = start;
      gap_ = 0;
      return;
    }
    break;
  case Kind::end_marker:
    if (active_ && !data_.empty()) {
      ++end_hops_;
      last_ = start;
      gap_ = 0;
      return;
    }
    break;
  case Kind::none:
    break;
  }
  if (!active_)
    return;
  if (!data_.empty() && end_hops_ == 0) {
    data_.emplace_back(); // a hop straddling two chunks
    data_start_.push_back(start);
  }
  if (++gap_ > gap_limit)
    close();
}

void GgwaveDetector::close() {
  if (!active_)
    return;
  active_ = false;
  gap_ = 0;
  const double hop_s = static_cast<double>(hop_) / rate_;
  if (static_cast<double>(marker_hops_) * hop_s < 0.15)
    return;
  // runs of identical tone sets lasting >= 2 hops are the data chunks; the median spacing of their
  // starts is the chunk length
  std::vector<std::uint64_t> run_starts;
  for (std::size_t i = 0; i < data_.size();) {
    std::size_t j = i;
    while (j < data_.size() && !data_[i].empty() && data_[j] == data_[i])
      ++j;
    if (j - i >= 2)
      run_starts.push_back(data_start_[i]);
    i = std::max(j, i + 1);
  }
  if (run_starts.size() < 2)
    return;
  std::vector<double> spacing;
  for (std::size_t i = 1; i < run_starts.size(); ++i)
    spacing.push_back(static_cast<double>(run_starts[i] - run_starts[i - 1]) / rate_);
  const double chunk = median(spacing);
  const Speed *speed = nullptr;
  double best = 1e9;
  for (const auto &s : kSpeeds) {
    double d = std::fabs(std::log(chunk / (s.frames_per_tx * kFrameS)));
    if (d < best) {
      best = d;
      speed = &s;
    }
  }
  if (best > std::log(1.3))
    speed = nullptr;
  Finding f;
  f.code = "audio.data-carrier";
  f.severity = Severity::alert;
  f.label = speed ? speed->label : "ggwave audible";
  f.frequency_hz = kGridHz * kFreqStart;
  f.level_dbfs = median(levels_);
  const double centre = static_cast<double>(n_) / 2.0;
  f.onset_s = offset_ + (static_cast<double>(first_) + centre) / rate_;
  f.duration_s = static_cast<double>(last_ - first_ + hop_) / rate_;
  char buf[240];
  std::snprintf(buf, sizeof buf,
                "ggwave data-over-sound transmission (%s: 16-tone start marker%s, %zu data chunks "
                "of %.0f ms on the 46.875 Hz grid from 1875 Hz) in the voice band",
                f.label.c_str(), end_hops_ > 0 ? " and end marker" : "", run_starts.size(),
                chunk * 1000);
  f.message = buf;
  if (on_confirmed)
    on_confirmed(f);
  findings.push_back(std::move(f));
}

void GgwaveDetector::flush() {
  close();
}

} // namespace vg::voice
