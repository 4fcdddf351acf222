// stft.cpp — FFTW-backed streaming STFT.
#include "voice/stft.hpp"

#include <algorithm>
#include <cmath>
#include <fftw3.h>
#include <mutex>

namespace vg::voice {
namespace {
std::mutex &planner_mutex() { // FFTW's planner is not thread-safe
  static std::mutex m;
  return m;
}
} // namespace

Stft::Stft(std::size_t n, std::size_t hop)
    : n_(n), hop_(hop), window_(n), in_(n), power_(n / 2 + 1) {
  for (std::size_t i = 0; i < n; ++i) {
    window_[i] = static_cast<float>(
        0.5 - 0.5 * std::cos(2.0 * M_PI * static_cast<double>(i) / static_cast<double>(n)));
    window_energy_ += static_cast<double>(window_[i]) * window_[i];
  }
  std::lock_guard<std::mutex> lock(planner_mutex());
  auto *out = fftwf_alloc_complex(n / 2 + 1);
  out_ = out;
  plan_ = fftwf_plan_dft_r2c_1d(static_cast<int>(n), in_.data(), out, FFTW_ESTIMATE);
}

Stft::~Stft() {
  std::lock_guard<std::mutex> lock(planner_mutex());
  fftwf_destroy_plan(static_cast<fftwf_plan>(plan_));
  fftwf_free(out_);
}

double Stft::band_sum(std::span<const float> p, double bin, double lo, double hi) {
  double s = 0;
  auto a = static_cast<std::size_t>(std::max(0.0, std::ceil(lo / bin)));
  auto b = std::min(static_cast<std::size_t>(std::max(0.0, hi / bin)), p.size() - 1);
  for (std::size_t k = a; k <= b; ++k)
    s += p[k];
  return s;
}

double Stft::power_to_rms(double power_sum) const {
  return std::sqrt(2.0 * power_sum / (static_cast<double>(n_) * window_energy_));
}

void Stft::push(std::span<const float> samples, const FrameFn &frame) {
  buffer_.insert(buffer_.end(), samples.begin(), samples.end());
  std::size_t off = 0;
  auto *out = static_cast<fftwf_complex *>(out_);
  while (buffer_.size() - off >= n_) {
    for (std::size_t i = 0; i < n_; ++i)
      in_[i] = buffer_[off + i] * window_[i];
    fftwf_execute(static_cast<fftwf_plan>(plan_));
    for (std::size_t k = 0; k <= n_ / 2; ++k)
      power_[k] = out[k][0] * out[k][0] + out[k][1] * out[k][1];
    frame(consumed_ + off, power_);
    off += hop_;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<long>(off));
  consumed_ += off;
}

} // namespace vg::voice
