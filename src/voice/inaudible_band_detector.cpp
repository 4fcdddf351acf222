// inaudible_band_detector.cpp — tonal near-ultrasound detection with tonality and persistence
// gates.
#include "voice/inaudible_band_detector.hpp"
#include "voice/level_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vg::voice {
namespace {

std::size_t fft_size(unsigned rate) {
  // N=2048 at 48 kHz; keep about the same time span at other rates (power of two)
  std::size_t n = 256;
  while (n * 48000 < 2048ull * rate)
    n *= 2;
  return n;
}

} // namespace

std::string beacon_grid_label(const std::vector<double> &fs) {
  if (fs.empty())
    return "";
  double lo = *std::min_element(fs.begin(), fs.end());
  double hi = *std::max_element(fs.begin(), fs.end());
  std::string out;
  auto add = [&](const char *name) { out += (out.empty() ? "" : ", ") + std::string(name); };
  bool on75 = std::all_of(fs.begin(), fs.end(), [](double f) {
    double steps = (f - 18000.0) / 75.0;
    return std::fabs(steps - std::round(steps)) * 75.0 <= 12.0;
  });
  if (lo >= 17990 && hi <= 19960 && on75)
    add("SilverPush (18.0-19.95 kHz, 75 Hz grid)");
  if (lo >= 18490 && hi <= 20010)
    add("Google Nearby (18.5-20 kHz)");
  if (lo >= 18740 && hi <= 19520)
    add("Lisnr (18.75-19.51 kHz)");
  if (lo >= 17990 && hi <= 19510)
    add("SoniTalk (18.0-19.5 kHz)");
  if (lo >= 14990 && hi <= 19510)
    add("ggwave ultrasound (15-19.5 kHz)");
  return out;
}

InaudibleBandDetector::InaudibleBandDetector(unsigned rate, InaudibleBandConfig cfg)
    : rate_(rate), cfg_(cfg), stft_(fft_size(rate), std::max<std::size_t>(1, rate / 50)) {}

void InaudibleBandDetector::push(std::span<const float> samples) {
  stft_.push(samples, [this](std::uint64_t s, std::span<const float> p) { frame(s, p); });
}

void InaudibleBandDetector::frame(std::uint64_t start, std::span<const float> p) {
  ++frames_;
  const double bin_hz = static_cast<double>(rate_) / static_cast<double>(stft_.size());
  auto lo = static_cast<std::size_t>(std::ceil(cfg_.band_low_hz / bin_hz));
  auto hi = std::min(static_cast<std::size_t>(cfg_.band_high_hz / bin_hz), p.size() - 2);
  bool tonal = false;
  if (lo + 8 < hi) {
    std::size_t kp = lo;
    for (std::size_t k = lo; k <= hi; ++k)
      if (p[k] > p[kp])
        kp = k;
    std::vector<double> band(p.begin() + static_cast<long>(lo),
                             p.begin() + static_cast<long>(hi) + 1);
    double floor = std::max(median(band), 1e-30);
    double tonality = 10.0 * std::log10(std::max<double>(p[kp], 1e-30) / floor);
    double tone_power = 0;
    for (std::size_t k = kp > 3 ? kp - 3 : 0; k <= std::min(kp + 3, p.size() - 1); ++k)
      tone_power += p[k];
    double level = rms_to_db(stft_.power_to_rms(tone_power));
    double voice_power = 0;
    for (auto k = static_cast<std::size_t>(300 / bin_hz);
         k <= static_cast<std::size_t>(3400 / bin_hz); ++k)
      voice_power += p[k];
    double voice = rms_to_db(stft_.power_to_rms(voice_power));
    // a carrier is a narrow line that holds most of the band's energy (cymbals and hi-hats have
    // resonant peaks too, but over broadband noise) and keeps its frequency from one hop to the
    // next
    double band_power = 0;
    for (double x : band)
      band_power += x;
    bool dominant = tone_power >= cfg_.min_band_share * band_power;
    bool stable = prev_peak_ != 0 && (kp > prev_peak_ ? kp - prev_peak_ : prev_peak_ - kp) <= 2;
    // a line, not the slope of audible content running into the band: a local maximum away from the
    // band's lower edge, standing out from the 15.3-16.8 kHz neighbourhood just below the band
    bool local_max = kp >= lo + 3 && kp + 1 < p.size() && p[kp] >= p[kp - 1] && p[kp] >= p[kp + 1];
    std::size_t nb_lo = lo > 64 ? lo - 64 : 0;
    double neighbourhood = 0;
    for (std::size_t k = nb_lo; k < lo; ++k)
      neighbourhood += p[k];
    neighbourhood /= static_cast<double>(std::max<std::size_t>(lo - nb_lo, 1));
    bool above_neighbours = p[kp] >= neighbourhood * std::pow(10.0, cfg_.tonality_db / 10.0);
    bool candidate = tonality >= cfg_.tonality_db && level >= cfg_.min_level_dbfs && dominant &&
                     local_max && above_neighbours;
    prev_peak_ = candidate ? kp : 0;
    if (candidate && stable) {
      tonal = true;
      // parabolic interpolation on the log power for a sub-bin frequency
      double a = std::log(std::max<double>(p[kp - 1], 1e-30)),
             b = std::log(std::max<double>(p[kp], 1e-30)),
             c = std::log(std::max<double>(p[kp + 1], 1e-30));
      double den = a - 2 * b + c;
      double delta = den != 0 ? 0.5 * (a - c) / den : 0;
      double freq = (static_cast<double>(kp) + std::clamp(delta, -0.5, 0.5)) * bin_hz;
      if (!active_) {
        active_ = true;
        confirmed_ = false;
        first_start_ = start;
        freqs_.clear();
        levels_.clear();
        ratios_.clear();
      }
      last_start_ = start;
      gap_ = 0;
      freqs_.push_back(freq);
      levels_.push_back(level);
      ratios_.push_back(level - voice);
      double span = static_cast<double>(last_start_ - first_start_ + stft_.hop()) / rate_;
      if (!confirmed_ && span >= cfg_.min_duration_s) {
        confirmed_ = true;
        if (on_confirmed) {
          Finding f;
          f.code = "audio.inaudible-band";
          f.severity = Severity::alert;
          f.message = "near-ultrasonic carrier detected";
          f.frequency_hz = median(freqs_);
          f.level_dbfs = median(levels_);
          f.onset_s = offset_ + static_cast<double>(first_start_ + stft_.size() / 2) / rate_;
          on_confirmed(f);
        }
      }
    }
  }
  if (!tonal && active_ && ++gap_ > cfg_.max_gap_frames)
    close_event();
}

void InaudibleBandDetector::close_event() {
  if (active_ && confirmed_) {
    Finding f;
    f.code = "audio.inaudible-band";
    f.severity = Severity::alert;
    f.frequency_hz = median(freqs_);
    f.level_dbfs = median(levels_);
    f.onset_s = offset_ + static_cast<double>(first_start_ + stft_.size() / 2) / rate_;
    f.duration_s = static_cast<double>(last_start_ - first_start_ + stft_.hop()) / rate_;
    std::vector<double> distinct;
    for (double x : freqs_) {
      double r = std::round(x / 25.0) * 25.0;
      if (std::find(distinct.begin(), distinct.end(), r) == distinct.end())
        distinct.push_back(r);
    }
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "tonal carrier in the inaudible band 16.8-24 kHz at %.0f Hz, %.1f dBFS (%+.1f dB "
                  "against the voice band), %zu distinct frequenc%s",
                  *f.frequency_hz, *f.level_dbfs, median(ratios_), distinct.size(),
                  distinct.size() == 1 ? "y" : "ies");
    f.message = buf;
    f.label = beacon_grid_label(distinct);
    findings.push_back(std::move(f));
  }
  active_ = false;
  confirmed_ = false;
  gap_ = 0;
}

void InaudibleBandDetector::flush() {
  close_event();
}

} // namespace vg::voice
