// data_carrier_detector.cpp — FSK modem, answer tone and infrasound detection.
#include "voice/data_carrier_detector.hpp"
#include "voice/level_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vg::voice {
namespace {

struct Profile {
  const char *name;
  double mark, space, half_band;
  double min_ratio; // share of the 200-3800 Hz energy the two bands must hold
};
// fast modems (1200 baud) spread their energy: wider bands, a lower share
const Profile kProfiles[] = {
    {"Bell 103 originate", 1270, 1070, 150, 0.8},
    {"Bell 103 answer", 2225, 2025, 150, 0.8},
    {"Bell 202", 1200, 2200, 350, 0.7},
    {"V.21 originate", 980, 1180, 150, 0.8},
    {"V.21 answer", 1650, 1850, 150, 0.8},
    {"V.23", 1300, 2100, 300, 0.7},
    {"RTTY (170 Hz shift)", 1585, 1415, 100, 0.8},
};
constexpr std::size_t kProfileCount = sizeof kProfiles / sizeof kProfiles[0];

std::size_t fft_size(unsigned rate) {
  std::size_t n = 64;
  while (static_cast<double>(n) < rate * 0.032)
    n *= 2;
  return n;
}

// 2nd-order Butterworth (bilinear transform): low-pass when !high, else high-pass
Biquad butterworth(double fc, unsigned rate, bool high) {
  double w = std::tan(M_PI * fc / rate);
  double k = 1.0 / (1.0 + std::sqrt(2.0) * w + w * w);
  Biquad b;
  if (high) {
    b.b0 = k;
    b.b1 = -2 * k;
  } else {
    b.b0 = w * w * k;
    b.b1 = 2 * b.b0;
  }
  b.b2 = b.b0;
  b.a1 = 2 * (w * w - 1) * k;
  b.a2 = (1 - std::sqrt(2.0) * w + w * w) * k;
  return b;
}

} // namespace

double Biquad::run(double x) {
  double y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
  x2 = x1;
  x1 = x;
  y2 = y1;
  y1 = y;
  return y;
}

DataCarrierDetector::DataCarrierDetector(unsigned rate)
    : rate_(rate), stft_(fft_size(rate), std::max<std::size_t>(1, rate / 100)),
      ggwave_(rate, stft_), fsk_votes_(kProfileCount, 0),
      block_len_(std::max<std::size_t>(1, rate / 20)) {
  // infrasound: 4th-order low-pass at 20 Hz; comparison band 20-200 Hz (what leaks from bass)
  lp_[0] = lp_[1] = butterworth(20, rate, false);
  bass_[0] = butterworth(20, rate, true);
  bass_[1] = butterworth(200, rate, false);
  ggwave_.on_confirmed = [this](const Finding &f) {
    // a burst overlapping a ggwave finding closes within seconds of it: older spans can go
    std::erase_if(ggwave_spans_, [&](const auto &s) { return s.second < *f.onset_s - 60.0; });
    ggwave_spans_.emplace_back(*f.onset_s, *f.onset_s + *f.duration_s);
    if (on_confirmed)
      on_confirmed(f);
    findings.push_back(f);
  };
}

void DataCarrierDetector::push(std::span<const float> samples) {
  stft_.push(samples, [this](std::uint64_t s, std::span<const float> p) { frame(s, p); });
  // infrasound path: 1 Hz high-pass (DC removal), 4th-order 20 Hz low-pass, 50 ms RMS blocks
  const double r = 1.0 - 2.0 * M_PI * 1.0 / rate_;
  for (float x : samples) {
    double hp = x - hp_x1_ + r * hp_y1_;
    hp_x1_ = x;
    hp_y1_ = hp;
    double v = lp_[1].run(lp_[0].run(hp));
    double bass = bass_[1].run(bass_[0].run(x));
    bass_sum_ += bass * bass;
    block_sum_ += v * v;
    if ((v >= 0) != (prev_ >= 0))
      ++block_cross_;
    prev_ = v;
    ++samples_;
    if (++block_n_ == block_len_) {
      double secs = static_cast<double>(block_len_) / rate_;
      (void)secs;
      infrasound_block(std::sqrt(block_sum_ / static_cast<double>(block_n_)),
                       std::sqrt(bass_sum_ / static_cast<double>(block_n_)), block_cross_);
      block_n_ = 0;
      block_sum_ = 0;
      bass_sum_ = 0;
      block_cross_ = 0;
    }
  }
}

void DataCarrierDetector::frame(std::uint64_t start, std::span<const float> p) {
  ggwave_.frame(start, p);
  release_fsk();
  const double bin = static_cast<double>(rate_) / static_cast<double>(stft_.size());
  auto band = [&](double lo, double hi) { return Stft::band_sum(p, bin, lo, hi); };
  double total = band(200, std::min(3800.0, rate_ / 2.0 - bin));
  double level = rms_to_db(stft_.power_to_rms(total));
  bool loud = level > -50.0;

  // FSK: energy in the union of the mark and space bands (no double counting where they overlap)
  auto two_bands = [&](double f1, double f2, double hb) {
    double sum = 0;
    for (std::size_t k = 0; k < p.size(); ++k) {
      double f = static_cast<double>(k) * bin;
      if (std::fabs(f - f1) <= hb || std::fabs(f - f2) <= hb)
        sum += p[k];
    }
    return sum;
  };
  // every modem whose two bands hold its share of the energy is a candidate for this frame
  int best = -1;
  double best_narrow = -1, best_m = 0, best_s = 0;
  std::vector<bool> pass(kProfileCount, false);
  if (loud && total > 0) {
    for (std::size_t i = 0; i < kProfileCount; ++i) {
      const auto &pr = kProfiles[i];
      if (two_bands(pr.mark, pr.space, pr.half_band) / total < pr.min_ratio)
        continue;
      pass[i] = true;
      double narrow = two_bands(pr.mark, pr.space, 60) / total;
      if (narrow > best_narrow) {
        best_narrow = narrow;
        best = static_cast<int>(i);
        best_m = band(pr.mark - 60, pr.mark + 60);
        best_s = band(pr.space - 60, pr.space + 60);
      }
    }
  }
  bool fsk = best >= 0;
  if (fsk) {
    if (fsk_profile_ < 0) {
      fsk_profile_ = best;
      fsk_first_ = start;
      std::fill(fsk_votes_.begin(), fsk_votes_.end(), 0);
      fsk_mark_frames_ = fsk_space_frames_ = fsk_frames_ = 0;
      fsk_levels_.clear();
      fsk_shares_.clear();
      fsk_spectrum_.assign(p.size(), 0.0);
    }
    fsk_last_ = start;
    fsk_gap_ = 0;
    for (std::size_t i = 0; i < kProfileCount; ++i)
      fsk_votes_[i] += pass[i];
    ++fsk_frames_;
    if (best_m > 0.1 * (best_m + best_s))
      ++fsk_mark_frames_;
    if (best_s > 0.1 * (best_m + best_s))
      ++fsk_space_frames_;
    fsk_levels_.push_back(level);
    fsk_shares_.push_back(best_m / std::max(best_m + best_s, 1e-30));
    for (std::size_t k = 0; k < p.size() && k < fsk_spectrum_.size(); ++k)
      fsk_spectrum_[k] += p[k];
  } else if (fsk_profile_ >= 0 && ++fsk_gap_ > 3) {
    close_fsk();
  }

  // 2100 Hz answer tone
  double t2100 = band(2070, 2130);
  bool tone = loud && t2100 >= 0.85 * total;
  if (tone) {
    if (!tone_active_) {
      tone_active_ = true;
      tone_first_ = start;
      tone_env_.clear();
    }
    tone_last_ = start;
    tone_gap_ = 0;
    tone_env_.push_back(std::sqrt(t2100));
  } else if (tone_active_ && ++tone_gap_ > 3) {
    close_tone();
  }
}

void DataCarrierDetector::close_fsk() {
  double dur = static_cast<double>(fsk_last_ - fsk_first_ + stft_.hop()) / rate_;
  bool both = fsk_mark_frames_ >= fsk_frames_ / 10 + 1 && fsk_space_frames_ >= fsk_frames_ / 10 + 1;
  // data keys the tones on and off: the mark/space balance moves from hop to hop (mean move >=
  // 0.12), while a chord or an organ holding two partials keeps it steady
  double mean = 0, var = 0, moves = 0;
  for (double x : fsk_shares_)
    mean += x;
  mean /= std::max<std::size_t>(fsk_shares_.size(), 1);
  for (std::size_t i = 0; i < fsk_shares_.size(); ++i) {
    var += (fsk_shares_[i] - mean) * (fsk_shares_[i] - mean);
    if (i)
      moves += std::fabs(fsk_shares_[i] - fsk_shares_[i - 1]);
  }
  double sd = std::sqrt(var / std::max<std::size_t>(fsk_shares_.size(), 1));
  double mv = moves / std::max<std::size_t>(fsk_shares_.size() > 1 ? fsk_shares_.size() - 1 : 1, 1);
  (void)sd;
  if (fsk_profile_ >= 0 && dur >= 0.3 && both) {
    // Among the modems that fit at least half as many frames as the best fitting one, the one whose
    // tone spacing best matches the spacing of the two spectral peaks of the whole burst (CPFSK
    // pushes its peaks outwards, so the spacing tells Bell 202 (1000 Hz shift) from V.23 (800 Hz)
    // where the bands overlap).
    const double bin = static_cast<double>(rate_) / static_cast<double>(stft_.size());
    auto peak = [&](double lo, double hi) {
      std::size_t a = static_cast<std::size_t>(std::max(0.0, lo / bin)), kb = a;
      for (std::size_t k = a; k < fsk_spectrum_.size() && static_cast<double>(k) * bin <= hi; ++k)
        if (fsk_spectrum_[k] > fsk_spectrum_[kb])
          kb = k;
      return static_cast<double>(kb) * bin;
    };
    // the energy centroid over the range all candidates span tells modems with different centres
    // apart (Bell 103 from V.21), the peak spacing those with the same centre (Bell 202 from V.23)
    const unsigned most = *std::max_element(fsk_votes_.begin(), fsk_votes_.end());
    auto candidate = [&](std::size_t i) { return fsk_votes_[i] * 2 >= most && fsk_votes_[i] > 0; };
    double range_lo = 1e9, range_hi = 0;
    for (std::size_t i = 0; i < kProfileCount; ++i)
      if (candidate(i)) {
        range_lo = std::min(range_lo, std::min(kProfiles[i].mark, kProfiles[i].space) -
                                          kProfiles[i].half_band);
        range_hi = std::max(range_hi, std::max(kProfiles[i].mark, kProfiles[i].space) +
                                          kProfiles[i].half_band);
      }
    double wsum = 0, fsum = 0;
    for (std::size_t k = 0; k < fsk_spectrum_.size(); ++k) {
      double f = static_cast<double>(k) * bin;
      if (f >= range_lo && f <= range_hi) {
        wsum += fsk_spectrum_[k];
        fsum += fsk_spectrum_[k] * f;
      }
    }
    double centroid = wsum > 0 ? fsum / wsum : 0;
    std::size_t winner = 0;
    double best_score = 1e18;
    for (std::size_t i = 0; i < kProfileCount; ++i) {
      if (!candidate(i))
        continue;
      const auto &pr = kProfiles[i];
      double lo_tone = std::min(pr.mark, pr.space), hi_tone = std::max(pr.mark, pr.space);
      double mid = (lo_tone + hi_tone) / 2;
      double p1 = peak(lo_tone - pr.half_band - 150, mid),
             p2 = peak(mid, hi_tone + pr.half_band + 150);
      double score = 0.5 * std::fabs((p2 - p1) - (hi_tone - lo_tone)) + std::fabs(centroid - mid);
      if (score < best_score) {
        best_score = score;
        winner = i;
      }
    }
    const auto &pr = kProfiles[winner];
    double line_share = 0;
    {
      double lo_tone = std::min(pr.mark, pr.space), hi_tone = std::max(pr.mark, pr.space);
      for (auto [a, b] : {std::pair{lo_tone - pr.half_band, (lo_tone + hi_tone) / 2},
                          std::pair{(lo_tone + hi_tone) / 2, hi_tone + pr.half_band}}) {
        std::size_t ka = static_cast<std::size_t>(a / bin),
                    kb = std::min(static_cast<std::size_t>(b / bin), fsk_spectrum_.size() - 1);
        std::size_t kp = ka;
        double tot = 0;
        for (std::size_t k = ka; k <= kb; ++k) {
          tot += fsk_spectrum_[k];
          if (fsk_spectrum_[k] > fsk_spectrum_[kp])
            kp = k;
        }
        double top = fsk_spectrum_[kp] + (kp > 0 ? fsk_spectrum_[kp - 1] : 0) +
                     (kp + 1 < fsk_spectrum_.size() ? fsk_spectrum_[kp + 1] : 0);
        line_share = std::max(line_share, top / std::max(tot, 1e-30));
      }
    }
    // keyed data spreads the burst's spectrum around the tones; sustained notes are sharp lines
    if (line_share > 0.7 || mv < 0.12) {
      fsk_profile_ = -1;
      fsk_gap_ = 0;
      return;
    }
    Finding f;
    f.code = "audio.data-carrier";
    f.severity = Severity::alert;
    f.label = pr.name;
    f.frequency_hz = pr.mark;
    f.level_dbfs = median(fsk_levels_);
    f.onset_s = offset_ + static_cast<double>(fsk_first_) / rate_;
    f.duration_s = dur;
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "FSK modem signal (%s: mark %.0f Hz, space %.0f Hz) in the voice band", pr.name,
                  pr.mark, pr.space);
    f.message = buf;
    emit_fsk(std::move(f));
  }
  fsk_profile_ = -1;
  fsk_gap_ = 0;
}

// ggwave's DT/MT tones hop inside modem bands: a burst that closes while a ggwave transmission is
// open waits for it, and one lying mostly inside a ggwave finding is that transmission
void DataCarrierDetector::emit_fsk(Finding f) {
  if (ggwave_.busy()) {
    pending_fsk_.push_back(std::move(f));
    return;
  }
  const double a = *f.onset_s, b = a + *f.duration_s;
  for (auto [ga, gb] : ggwave_spans_)
    if (std::min(b, gb) - std::max(a, ga) >= 0.5 * (b - a))
      return;
  if (on_confirmed)
    on_confirmed(f);
  findings.push_back(std::move(f));
}

void DataCarrierDetector::release_fsk() {
  if (ggwave_.busy() || pending_fsk_.empty())
    return;
  auto pending = std::move(pending_fsk_);
  pending_fsk_.clear();
  for (auto &f : pending)
    emit_fsk(std::move(f));
}

void DataCarrierDetector::close_tone() {
  double dur = static_cast<double>(tone_last_ - tone_first_ + stft_.hop()) / rate_;
  if (tone_active_ && dur >= 0.5) {
    // 15 Hz amplitude modulation (ANSam): envelope depth over the 10 ms hops
    double mx = *std::max_element(tone_env_.begin(), tone_env_.end());
    double mn = *std::min_element(tone_env_.begin(), tone_env_.end());
    double depth = (mx - mn) / std::max(mx + mn, 1e-12);
    Finding f;
    f.code = "audio.answer-tone";
    f.severity = Severity::alert;
    f.label = depth > 0.08 ? "ANSam" : "ANS";
    f.frequency_hz = 2100;
    const double envelope = median(tone_env_);
    f.level_dbfs = rms_to_db(stft_.power_to_rms(envelope * envelope));
    f.onset_s = offset_ + static_cast<double>(tone_first_) / rate_;
    f.duration_s = dur;
    f.message = std::string("2100 Hz modem/fax answer tone (") + f.label +
                "): a data connection is being set up over the voice channel";
    if (on_confirmed)
      on_confirmed(f);
    findings.push_back(std::move(f));
  }
  tone_active_ = false;
  tone_gap_ = 0;
}

void DataCarrierDetector::infrasound_block(double rms, double bass_rms, double crossings) {
  std::uint64_t block_start = samples_ - block_len_;
  // loud below 20 Hz, and not the skirt of a louder bass note or kick drum
  if (rms_to_db(rms) >= -45.0 && rms >= bass_rms) {
    if (!infra_active_) {
      infra_active_ = true;
      infra_first_ = block_start;
      infra_levels_.clear();
      infra_freqs_.clear();
    }
    infra_last_ = samples_;
    infra_levels_.push_back(rms_to_db(rms));
    infra_freqs_.push_back(crossings);
  } else if (infra_active_) {
    close_infra();
  }
}

void DataCarrierDetector::close_infra() {
  double dur = static_cast<double>(infra_last_ - infra_first_) / rate_;
  double crossings = 0;
  for (double c : infra_freqs_)
    crossings += c;
  double freq = dur > 0 ? crossings / (2.0 * dur) : 0;
  if (infra_active_ && dur >= 0.25 && freq >= 1.0 && freq < 20.0) {
    Finding f;
    f.code = "audio.infrasound";
    f.severity = Severity::warning;
    f.frequency_hz = freq;
    f.level_dbfs = median(infra_levels_);
    f.onset_s = offset_ + static_cast<double>(infra_first_) / rate_;
    f.duration_s = dur;
    f.message =
        "infrasound (below 20 Hz) held for " + std::to_string(static_cast<int>(dur * 1000)) + " ms";
    if (on_confirmed)
      on_confirmed(f);
    findings.push_back(std::move(f));
  }
  infra_active_ = false;
}

void DataCarrierDetector::flush() {
  ggwave_.flush();
  close_fsk();
  release_fsk();
  close_tone();
  close_infra();
}

} // namespace vg::voice
