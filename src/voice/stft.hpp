// stft.hpp — streaming short-time Fourier transform (Hann window, FFTW single precision).
// Promise: push() accepts audio in chunks of any size and calls `frame` once per complete window of
// `n` samples advanced by `hop`, with the first sample index of the window and its one-sided power
// spectrum (n/2+1 bins). power_to_rms() turns a sum of bins back into the RMS of the signal part.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace vg::voice {

class Stft {
public:
  Stft(std::size_t n, std::size_t hop);
  ~Stft();
  Stft(const Stft &) = delete;
  Stft &operator=(const Stft &) = delete;
  using FrameFn = std::function<void(std::uint64_t start, std::span<const float> power)>;
  void push(std::span<const float> samples, const FrameFn &frame);
  std::size_t size() const { return n_; }
  std::size_t hop() const { return hop_; }
  // RMS of the signal whose one-sided bins sum to `power_sum`.
  double power_to_rms(double power_sum) const;
  // sum of the bins of `power` (bins `bin_hz` apart) from lo_hz to hi_hz inclusive
  static double band_sum(std::span<const float> power, double bin_hz, double lo_hz, double hi_hz);

private:
  std::size_t n_, hop_;
  std::vector<float> window_, buffer_, in_, power_;
  void *out_ = nullptr;  // fftwf_complex*
  void *plan_ = nullptr; // fftwf_plan
  double window_energy_ = 0;
  std::uint64_t consumed_ = 0; // index of buffer_[0]
};

} // namespace vg::voice
