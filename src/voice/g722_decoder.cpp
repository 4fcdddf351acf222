// g722_decoder.cpp — ITU-T G.722 decoder: lower band (INVQBL/INVQAL, LOGSCL, SCALEL), higher band
// (INVQAH, LOGSCH, SCALEH), the shared adaptive predictor (block 4) and the receive QMF.
#include "voice/g722_decoder.hpp"

#include <algorithm>

namespace vg::voice {
namespace {

int sat16(int x) {
  return std::clamp(x, -32768, 32767);
}

// Lower band: 6-bit inverse quantizer output levels (table 17/G.722, mode 1), scaled by 2^3.
constexpr std::array<int, 64> kQm6 = {
    -136,   -136,   -136,  -136,  -24808, -21904, -19008, -16704, -14984, -13512, -12280,
    -11192, -10232, -9360, -8576, -7856,  -7192,  -6576,  -6000,  -5456,  -4944,  -4464,
    -4008,  -3576,  -3168, -2776, -2400,  -2032,  -1688,  -1360,  -1040,  -728,   24808,
    21904,  19008,  16704, 14984, 13512,  12280,  11192,  10232,  9360,   8576,   7856,
    7192,   6576,   6000,  5456,  4944,   4464,   4008,   3576,   3168,   2776,   2400,
    2032,   1688,   1360,  1040,  728,    432,    136,    -432,   -136};
// Lower band: 4-bit inverse quantizer (the embedded core that drives the adaptation).
constexpr std::array<int, 16> kQm4 = {0,     -20456, -12896, -8968, -6288, -4240, -2584, -1200,
                                      20456, 12896,  8968,   6288,  4240,  2584,  1200,  0};
// Lower band: 4-bit code -> magnitude index, and the log scale factor multipliers.
constexpr std::array<int, 16> kRl42 = {0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0};
constexpr std::array<int, 8> kWl = {-60, -30, 58, 172, 334, 538, 1198, 3042};
// Higher band: 2-bit inverse quantizer, code -> magnitude index, log scale factor multipliers.
constexpr std::array<int, 4> kQm2 = {-7408, -1616, 7408, 1616};
constexpr std::array<int, 4> kRh2 = {2, 1, 2, 1};
constexpr std::array<int, 3> kWh = {0, -214, 798};
// Inverse log2 table for the scale factor (ILB).
constexpr std::array<int, 32> kIlb = {
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008};
// QMF coefficients h0..h11 (the 24-tap filter is symmetric: h(23-i) = h(i)).
constexpr std::array<int, 12> kQmf = {3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11};

// log scale factor -> linear scale factor (SCALEL / SCALEH); `shift_base` is 8 low, 10 high.
int scale_factor(int nb, int shift_base) {
  int frac = kIlb[static_cast<std::size_t>((nb >> 6) & 31)];
  int shift = shift_base - (nb >> 11);
  int v = shift < 0 ? frac << -shift : frac >> shift;
  return v << 2;
}

int sign_bit(int x) {
  return x < 0 ? 1 : 0;
}

} // namespace

void G722Decoder::adapt_predictor(Band &s, int dq) {
  // RECONS and PARREC: reconstructed signal and partially reconstructed signal
  s.d[0] = dq;
  s.r[0] = sat16(s.s + dq);
  s.p[0] = sat16(s.sz + dq);

  // UPPOL2: second pole coefficient
  int f_a1 = sat16(s.a[1] * 4);
  int term = sign_bit(s.p[0]) == sign_bit(s.p[1]) ? -f_a1 : f_a1;
  term = std::min(term, 32767);
  int a2 = sign_bit(s.p[0]) == sign_bit(s.p[2]) ? 128 : -128;
  a2 += term >> 7;
  a2 += (s.a[2] * 32512) >> 15;
  s.ap[2] = std::clamp(a2, -12288, 12288);

  // UPPOL1: first pole coefficient, limited by the second
  int a1 = (sign_bit(s.p[0]) == sign_bit(s.p[1]) ? 192 : -192) + ((s.a[1] * 32640) >> 15);
  a1 = sat16(a1);
  int limit = sat16(15360 - s.ap[2]);
  s.ap[1] = std::clamp(a1, -limit, limit);

  // UPZERO: the six zero coefficients
  int step = dq == 0 ? 0 : 128;
  for (std::size_t i = 1; i < 7; ++i) {
    int g = sign_bit(s.d[i]) == sign_bit(dq) ? step : -step;
    s.bp[i] = sat16(g + ((s.b[i] * 32640) >> 15));
  }

  // DELAYA: shift the delay lines
  for (std::size_t i = 6; i > 0; --i) {
    s.d[i] = s.d[i - 1];
    s.b[i] = s.bp[i];
  }
  for (std::size_t i = 2; i > 0; --i) {
    s.r[i] = s.r[i - 1];
    s.p[i] = s.p[i - 1];
    s.a[i] = s.ap[i];
  }

  // FILTEP, FILTEZ, PREDIC: the next prediction
  s.sp = sat16(((s.a[1] * sat16(2 * s.r[1])) >> 15) + ((s.a[2] * sat16(2 * s.r[2])) >> 15));
  int sz = 0;
  for (std::size_t i = 6; i > 0; --i)
    sz += (s.b[i] * sat16(2 * s.d[i])) >> 15;
  s.sz = sat16(sz);
  s.s = sat16(s.sp + s.sz);
}

void G722Decoder::decode(std::span<const std::uint8_t> octets, std::vector<std::int16_t> &out) {
  out.reserve(out.size() + 2 * octets.size());
  for (std::uint8_t code : octets) {
    int il6 = code & 0x3f;
    int ih = code >> 6;
    int il4 = il6 >> 2;

    // Lower band: INVQBL (6-bit, output) and RECONS/LIMIT
    int rlow = std::clamp(low_.s + ((low_.det * kQm6[static_cast<std::size_t>(il6)]) >> 15), -16384,
                          16383);
    // INVQAL (4-bit, adaptation), LOGSCL, SCALEL
    int dlow = (low_.det * kQm4[static_cast<std::size_t>(il4)]) >> 15;
    low_.nb = std::clamp(((low_.nb * 127) >> 7) +
                             kWl[static_cast<std::size_t>(kRl42[static_cast<std::size_t>(il4)])],
                         0, 18432);
    low_.det = scale_factor(low_.nb, 8);
    adapt_predictor(low_, dlow);

    // Higher band: INVQAH, RECONS/LIMIT, LOGSCH, SCALEH
    int dhigh = (high_.det * kQm2[static_cast<std::size_t>(ih)]) >> 15;
    int rhigh = std::clamp(high_.s + dhigh, -16384, 16383);
    high_.nb = std::clamp(((high_.nb * 127) >> 7) +
                              kWh[static_cast<std::size_t>(kRh2[static_cast<std::size_t>(ih)])],
                          0, 22528);
    high_.det = scale_factor(high_.nb, 10);
    adapt_predictor(high_, dhigh);

    // Receive QMF: two output samples per pair of sub-band samples
    std::copy(qmf_.begin() + 2, qmf_.end(), qmf_.begin());
    qmf_[22] = rlow + rhigh;
    qmf_[23] = rlow - rhigh;
    int even = 0, odd = 0;
    for (std::size_t i = 0; i < 12; ++i) {
      even += qmf_[2 * i] * kQmf[i];
      odd += qmf_[2 * i + 1] * kQmf[11 - i];
    }
    out.push_back(static_cast<std::int16_t>(sat16(odd >> 11)));
    out.push_back(static_cast<std::int16_t>(sat16(even >> 11)));
  }
}

} // namespace vg::voice
