// ggwave_detector.cpp — ggwave audible, dual-tone and mono-tone protocol recognition from STFT
// power spectra.
#include "voice/ggwave_detector.hpp"
#include "voice/level_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <set>

namespace vg::voice {

// ggwave's protocol table (include/ggwave/ggwave.h): freqStart, framesPerTx 9/6/3, bytesPerTx,
// extra (2: one nibble per Tx) — grouped by tone layout
struct GgwaveDetector::Family {
  const char *label;     // finding label prefix
  const char *name;      // for people
  int freq_start;        // grid bin of nibble value 0 in group 0
  int groups;            // tones per data chunk (nibble groups)
  bool markers;          // a variable-length transmission has start/end markers
  bool marker_required;  // recognised only after a start marker
  std::size_t min_runs;  // chunks needed without a marker
  std::size_t min_kinds; // different tone sets needed without a marker
};

namespace {

constexpr double kGridHz = 46.875; // 48 kHz / 1024 samples per ggwave frame (= 6 kHz / 128)
constexpr int kMarkerTones = 16;
constexpr double kFrameS = 1024.0 / 48000.0;
constexpr double kMaxGridErrorHz = 2.5;

const GgwaveDetector::Family kFamilies[] = {
    {"ggwave audible", "audible", 40, 6, true, true, 2, 1},
    {"ggwave DT", "dual-tone", 24, 2, true, false, 4, 3},
    {"ggwave MT", "mono-tone", 24, 1, false, false, 6, 4},
};

struct Speed {
  const char *name;
  int frames_per_tx;
};
const Speed kSpeeds[] = {{"normal", 9}, {"fast", 6}, {"fastest", 3}};

} // namespace

GgwaveDetector::GgwaveDetector(unsigned rate, const Stft &stft)
    : rate_(rate), stft_(stft), n_(stft.size()), hop_(stft.hop()),
      bin_hz_(static_cast<double>(rate) / static_cast<double>(stft.size())) {
  if (bin_hz_ > 32.0) // the 46.875 Hz grid cannot be resolved
    return;
  for (const auto &f : kFamilies) {
    Track t;
    t.family = &f;
    for (int g = 0; g < f.groups; ++g)
      if (kGridHz * (f.freq_start + 16 * g + 15) + 50 < rate / 2.0)
        t.groups = g + 1;
    // an unmarked transmission must be seen whole; a marked one needs its marker comb
    const bool comb_fits = kGridHz * (f.freq_start + 2 * kMarkerTones) + 50 < rate / 2.0;
    if (t.groups == f.groups || (f.markers && comb_fits && t.groups > 0))
      tracks_.push_back(std::move(t));
  }
}

double GgwaveDetector::tone_power(std::span<const float> p, int grid_bin) const {
  const double k = kGridHz * grid_bin / bin_hz_;
  auto lo = static_cast<std::size_t>(std::floor(k)), hi = static_cast<std::size_t>(std::ceil(k));
  if (hi >= p.size())
    return 0;
  return std::max(p[lo], p[hi]);
}

// the tone's whole Hann main lobe: the bins within 1.5 bins of its frequency
double GgwaveDetector::lobe_power(std::span<const float> p, int grid_bin) const {
  const double f = kGridHz * grid_bin;
  return Stft::band_sum(p, bin_hz_, f - 1.5 * bin_hz_, f + 1.5 * bin_hz_);
}

// measured frequency (log-power parabola through the peak bin) minus the grid frequency
double GgwaveDetector::grid_offset(std::span<const float> p, int grid_bin) const {
  const double f = kGridHz * grid_bin;
  const auto centre = static_cast<std::size_t>(std::lround(f / bin_hz_));
  std::size_t k = centre;
  for (std::size_t j = centre - 1; j <= centre + 1; ++j)
    if (j < p.size() && p[j] > p[k])
      k = j;
  if (k == 0 || k + 1 >= p.size() || p[k] <= 0)
    return bin_hz_;
  const double a = std::log(p[k - 1] + 1e-30), b = std::log(p[k] + 1e-30),
               c = std::log(p[k + 1] + 1e-30);
  const double den = a - 2 * b + c;
  const double delta = den < 0 ? std::clamp(0.5 * (a - c) / den, -0.5, 0.5) : 0.0;
  return (static_cast<double>(k) + delta) * bin_hz_ - f;
}

// start comb: bins fs+2i+(i&1); end comb: fs+2i+1-(i&1)
bool GgwaveDetector::marker_comb(std::span<const float> p, int fs, double band, Kind &kind) const {
  double a = 0, b = 0;
  double ta[kMarkerTones], tb[kMarkerTones];
  for (int i = 0; i < kMarkerTones; ++i) {
    ta[i] = tone_power(p, fs + 2 * i + (i & 1));
    tb[i] = tone_power(p, fs + 2 * i + 1 - (i & 1));
    a += ta[i];
    b += tb[i];
  }
  for (int pass = 0; pass < 2; ++pass) {
    const double on = pass == 0 ? a : b, off = pass == 0 ? b : a;
    const double *t = pass == 0 ? ta : tb;
    if (on >= 0.3 * band && on >= 4.0 * off) {
      int present = 0;
      for (int i = 0; i < kMarkerTones; ++i)
        present += t[i] >= 0.15 * on / kMarkerTones;
      if (present >= 13) {
        kind = pass == 0 ? Kind::start_marker : Kind::end_marker;
        return true;
      }
    }
  }
  return false;
}

GgwaveDetector::Kind GgwaveDetector::classify(std::span<const float> p, const Track &t,
                                              std::vector<int> &tones, std::vector<double> &offsets,
                                              double &level) const {
  const Family &fam = *t.family;
  auto band = [&](double lo, double hi) { return Stft::band_sum(p, bin_hz_, lo, hi); };
  tones.clear();
  offsets.clear();
  const double lo_hz = kGridHz * fam.freq_start - 40,
               hi_hz = kGridHz * (fam.freq_start + 2 * kMarkerTones - 1) + 40;
  const double comb_band = band(lo_hz, hi_hz);
  level = rms_to_db(stft_.power_to_rms(comb_band));
  if (level < -55.0 || comb_band <= 0)
    return Kind::none;
  Kind marker = Kind::none;
  if (fam.markers && marker_comb(p, fam.freq_start, comb_band, marker))
    return marker;
  if (t.groups == 0)
    return Kind::none;
  // data: in every usable nibble group one tone holds most of the group's energy; unmarked, the
  // chunk's pure tones must also be (nearly) all of the voice band
  const bool unmarked = !fam.marker_required;
  if (unmarked && level < -50.0)
    return Kind::none;
  const double voice = unmarked ? band(200, std::min(3800.0, rate_ / 2.0 - bin_hz_)) : 0.0;
  if (unmarked && comb_band < 0.5 * voice) // the tones cannot hold 65% of it (speech, music)
    return Kind::none;
  double sum = 0;
  for (int g = 0; g < t.groups; ++g) {
    const int base = fam.freq_start + 16 * g;
    const double group = band(kGridHz * base - 30, kGridHz * (base + 15) + 30);
    int best = 0;
    double best_p = -1;
    for (int v = 0; v < 16; ++v) {
      const double tp = unmarked ? lobe_power(p, base + v) : tone_power(p, base + v);
      if (tp > best_p) {
        best_p = tp;
        best = v;
      }
    }
    if (group <= 0 || best_p < (unmarked ? 0.5 : 0.3) * group ||
        (unmarked && best_p < 0.15 * voice))
      return Kind::none;
    tones.push_back(best);
    if (unmarked) {
      sum += best_p;
      offsets.push_back(grid_offset(p, base + best));
    }
  }
  return unmarked && sum < 0.65 * voice ? Kind::none : Kind::data;
}

void GgwaveDetector::frame(std::uint64_t start, std::span<const float> p) {
  std::vector<int> tones;
  std::vector<double> offsets;
  for (auto &t : tracks_) {
    double level = 0;
    const Kind k = classify(p, t, tones, offsets, level);
    step(t, start, k, tones, offsets, level);
  }
}

void GgwaveDetector::step(Track &t, std::uint64_t start, Kind k, std::vector<int> &tones,
                          std::vector<double> &offsets, double level) {
  const unsigned gap_limit =
      std::max<unsigned>(3, static_cast<unsigned>(0.15 * rate_ / static_cast<double>(hop_)));
  auto begin = [&] {
    t.active = true;
    t.first = start;
    t.marker_hops = t.end_hops = 0;
    t.data.clear();
    t.data_start.clear();
    t.offsets.clear();
    t.levels.clear();
  };
  switch (k) {
  case Kind::start_marker:
    if (t.active && (!t.data.empty() || t.end_hops > 0))
      close(t); // a new transmission without the previous one's end marker
    if (!t.active)
      begin();
    ++t.marker_hops;
    t.last = start;
    t.levels.push_back(level);
    t.gap = 0;
    return;
  case Kind::data:
    if (!t.active && !t.family->marker_required)
      begin();
    if (t.active && t.end_hops == 0) {
      t.data.push_back(tones);
      t.data_start.push_back(start);
      t.offsets.push_back(offsets);
      if (t.marker_hops == 0)
        t.levels.push_back(level);
      t.last = start;
      t.gap = 0;
      return;
    }
    break;
  case Kind::end_marker:
    if (t.active && !t.data.empty()) {
      ++t.end_hops;
      t.last = start;
      t.gap = 0;
      return;
    }
    break;
  case Kind::none:
    break;
  }
  if (!t.active)
    return;
  if (!t.data.empty() && t.end_hops == 0) {
    t.data.emplace_back(); // a hop straddling two chunks
    t.data_start.push_back(start);
    t.offsets.emplace_back();
  }
  if (++t.gap > gap_limit)
    close(t);
}

void GgwaveDetector::close(Track &t) {
  if (!t.active)
    return;
  t.active = false;
  t.gap = 0;
  const Family &fam = *t.family;
  const double hop_s = static_cast<double>(hop_) / rate_;
  const bool marked = static_cast<double>(t.marker_hops) * hop_s >= 0.15;
  if (fam.marker_required && !marked)
    return;
  // runs of identical tone sets lasting >= 2 hops are the data chunks; the median spacing of their
  // starts is the chunk length
  std::vector<std::uint64_t> run_starts;
  std::vector<std::vector<int>> run_tones;
  std::vector<std::vector<double>> run_offsets; // mean measured - grid frequency per tone, Hz
  std::set<std::vector<int>> kinds;
  for (std::size_t i = 0; i < t.data.size();) {
    std::size_t j = i;
    std::vector<double> off(t.offsets[i].size(), 0.0);
    for (; j < t.data.size() && !t.data[i].empty() && t.data[j] == t.data[i]; ++j)
      for (std::size_t g = 0; g < off.size() && g < t.offsets[j].size(); ++g)
        off[g] += t.offsets[j][g];
    if (j - i >= 2) {
      for (auto &o : off)
        o /= static_cast<double>(j - i);
      run_starts.push_back(t.data_start[i]);
      run_tones.push_back(t.data[i]);
      run_offsets.push_back(std::move(off));
      kinds.insert(t.data[i]);
    }
    i = std::max(j, i + 1);
  }
  if (run_starts.size() < (marked ? 2 : fam.min_runs))
    return;
  std::vector<double> spacing;
  for (std::size_t i = 1; i < run_starts.size(); ++i)
    spacing.push_back(static_cast<double>(run_starts[i] - run_starts[i - 1]) / rate_);
  const double chunk = median(spacing);
  const Speed *speed = nullptr;
  double best = 1e9;
  for (const auto &s : kSpeeds) {
    const double d = std::fabs(std::log(chunk / (s.frames_per_tx * kFrameS)));
    if (d < best) {
      best = d;
      speed = &s;
    }
  }
  if (best > std::log(1.3))
    speed = nullptr;
  double grid_error = 0, lock = 0, scale = 0;
  if (!marked) {
    // unmarked: the tones must be ggwave's (on its grid, varied) and keyed by its clock
    if (!speed || kinds.size() < fam.min_kinds)
      return;
    // the sender's clock scales every tone alike (a microcontroller's resonator): the grid error
    // is the median chunk error at the best common scale within +-0.3%
    grid_error = 1e9;
    for (int k = -6; k <= 6; ++k) {
      std::vector<double> errors;
      for (std::size_t r = 0; r < run_tones.size(); ++r) {
        double e = 0;
        for (std::size_t g = 0; g < run_tones[r].size(); ++g) {
          const int bin = fam.freq_start + 16 * static_cast<int>(g) + run_tones[r][g];
          e += std::fabs(run_offsets[r][g] - kGridHz * bin * 0.0005 * k);
        }
        errors.push_back(e / static_cast<double>(run_tones[r].size()));
      }
      if (const double m = median(errors); m < grid_error) {
        grid_error = m;
        scale = 0.0005 * k;
      }
    }
    if (grid_error > kMaxGridErrorHz)
      return;
    // the sender's clock may be off by a few per mille (a microcontroller's resonator): the best
    // lock within +-3% of the nominal period
    for (int k = -6; k <= 6; ++k) {
      const double period = speed->frames_per_tx * kFrameS * (1.0 + 0.005 * k);
      std::complex<double> sum;
      for (auto s : run_starts)
        sum += std::polar(1.0, 2 * M_PI * static_cast<double>(s - run_starts[0]) / rate_ / period);
      lock = std::max(lock, std::abs(sum) / static_cast<double>(run_starts.size()));
    }
    if (lock < 0.75)
      return;
  }
  Finding f;
  f.code = "audio.data-carrier";
  f.severity = Severity::alert;
  f.label = std::string(fam.label) + (speed ? std::string(" ") + speed->name : "");
  f.frequency_hz = kGridHz * fam.freq_start;
  f.level_dbfs = median(t.levels);
  const double centre = static_cast<double>(n_) / 2.0;
  f.onset_s = offset_ + (static_cast<double>(t.first) + centre) / rate_;
  f.duration_s = static_cast<double>(t.last - t.first + hop_) / rate_;
  char buf[320];
  if (marked)
    std::snprintf(buf, sizeof buf,
                  "ggwave data-over-sound transmission (%s, %s: 16-tone start marker%s, %zu data "
                  "chunks of %.0f ms on the 46.875 Hz grid from %.0f Hz) in the voice band",
                  f.label.c_str(), fam.name, t.end_hops > 0 ? " and end marker" : "",
                  run_starts.size(), chunk * 1000, *f.frequency_hz);
  else
    std::snprintf(buf, sizeof buf,
                  "ggwave data-over-sound transmission (%s, %s, fixed length: %zu chunks of %d "
                  "tone%s every %.0f ms on the 46.875 Hz grid from %.0f Hz, %.1f Hz from the grid "
                  "scaled by %+.2f%%, clock lock %.2f) in the voice band",
                  f.label.c_str(), fam.name, run_starts.size(), fam.groups,
                  fam.groups > 1 ? "s" : "", chunk * 1000, *f.frequency_hz, grid_error, scale * 100,
                  lock);
  f.message = buf;
  if (on_confirmed)
    on_confirmed(f);
  findings.push_back(std::move(f));
}

bool GgwaveDetector::busy() const {
  return std::any_of(tracks_.begin(), tracks_.end(), [](const Track &t) { return t.active; });
}

void GgwaveDetector::flush() {
  for (auto &t : tracks_)
    close(t);
}

} // namespace vg::voice
