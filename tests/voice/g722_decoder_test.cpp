// G.722 decoding against an independent implementation: spandsp (the G.722 code baresip's g722
// module uses) encodes test signals; our decoder must reproduce spandsp's decoder sample for
// sample, recover the signal (SNR, tone frequency), and feed the data-carrier detector through the
// RTP codec dispatch (PT 9, "G722/8000": RTP clock 8000, audio 16 kHz). spandsp is loaded at run
// time (libspandsp.so.2, installed with baresip); the tests skip with that reason when it is
// missing.
#include "voice/audio_codec.hpp"
#include "voice/data_carrier_detector.hpp"
#include "voice/g722_decoder.hpp"
#include "voice/sdp.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <dlfcn.h>
#include <numbers>
#include <random>
#include <vector>

namespace {

// spandsp's public G.722 API (spandsp/g722.h), resolved with dlsym.
struct Spandsp {
  using EncInit = void *(*)(void *, int, int);
  using Enc = int (*)(void *, std::uint8_t *, const std::int16_t *, int);
  using DecInit = void *(*)(void *, int, int);
  using Dec = int (*)(void *, std::int16_t *, const std::uint8_t *, int);
  using Free = int (*)(void *);
  void *lib = nullptr;
  EncInit enc_init = nullptr;
  Enc enc = nullptr;
  Free enc_free = nullptr;
  DecInit dec_init = nullptr;
  Dec dec = nullptr;
  Free dec_free = nullptr;

  Spandsp() {
    lib = dlopen("libspandsp.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      return;
    enc_init = reinterpret_cast<EncInit>(dlsym(lib, "g722_encode_init"));
    enc = reinterpret_cast<Enc>(dlsym(lib, "g722_encode"));
    enc_free = reinterpret_cast<Free>(dlsym(lib, "g722_encode_free"));
    dec_init = reinterpret_cast<DecInit>(dlsym(lib, "g722_decode_init"));
    dec = reinterpret_cast<Dec>(dlsym(lib, "g722_decode"));
    dec_free = reinterpret_cast<Free>(dlsym(lib, "g722_decode_free"));
  }
  ~Spandsp() {
    if (lib)
      dlclose(lib);
  }
  bool ok() const { return enc_init && enc && enc_free && dec_init && dec && dec_free; }

  std::vector<std::uint8_t> encode(const std::vector<std::int16_t> &pcm) const {
    void *s = enc_init(nullptr, 64000, 0);
    std::vector<std::uint8_t> out(pcm.size() / 2 + 1);
    int n = enc(s, out.data(), pcm.data(), static_cast<int>(pcm.size()));
    enc_free(s);
    out.resize(static_cast<std::size_t>(n));
    return out;
  }
  std::vector<std::int16_t> decode(const std::vector<std::uint8_t> &code) const {
    void *s = dec_init(nullptr, 64000, 0);
    std::vector<std::int16_t> out(code.size() * 2);
    int n = dec(s, out.data(), code.data(), static_cast<int>(code.size()));
    dec_free(s);
    out.resize(static_cast<std::size_t>(n));
    return out;
  }
};

constexpr double kRate = 16000;

std::vector<std::int16_t> tone(double hz, double dbfs, double seconds) {
  std::vector<std::int16_t> v(static_cast<std::size_t>(seconds * kRate));
  double a = 32767 * std::pow(10, dbfs / 20);
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<std::int16_t>(
        std::lround(a * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i) / kRate)));
  return v;
}

// A speech-like test signal: several partials with slow amplitude modulation, plus a 50-7000 Hz
// logarithmic sweep, at about -12 dBFS.
std::vector<std::int16_t> test_signal(double seconds) {
  std::vector<std::int16_t> v(static_cast<std::size_t>(seconds * kRate));
  double phase = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    double t = static_cast<double>(i) / kRate;
    double env = 0.6 + 0.4 * std::sin(2 * std::numbers::pi * 3 * t);
    double x = 0;
    for (double f : {180.0, 360.0, 540.0, 1250.0, 2600.0, 5100.0})
      x += env * std::sin(2 * std::numbers::pi * f * t) / 6;
    double f = 50 * std::pow(7000.0 / 50, t / seconds);
    phase += 2 * std::numbers::pi * f / kRate;
    x = 0.7 * x + 0.3 * std::sin(phase);
    v[i] = static_cast<std::int16_t>(std::lround(0.25 * 32767 * x));
  }
  return v;
}

// Best SNR of `out` against `in` over codec delays 0..63 samples.
double snr_db(const std::vector<std::int16_t> &in, const std::vector<std::int16_t> &out) {
  double best = -1e9;
  for (std::size_t delay = 0; delay < 64; ++delay) {
    double sig = 0, err = 0;
    for (std::size_t i = 1600; i + delay < out.size() && i < in.size(); ++i) {
      double e = static_cast<double>(out[i + delay]) - in[i];
      sig += static_cast<double>(in[i]) * in[i];
      err += e * e;
    }
    best = std::max(best, 10 * std::log10(sig / std::max(err, 1e-9)));
  }
  return best;
}

// Frequency of the strongest component (a 1 Hz grid search with Goertzel, refined to 0.1 Hz).
double peak_hz(const std::vector<std::int16_t> &x, double lo, double hi) {
  auto power = [&](double f) {
    double w = 2 * std::cos(2 * std::numbers::pi * f / kRate), s1 = 0, s2 = 0;
    for (std::size_t i = 1600; i < x.size(); ++i) {
      double s0 = x[i] + w * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    return s1 * s1 + s2 * s2 - w * s1 * s2;
  };
  double best = lo, bp = -1;
  for (double f = lo; f <= hi; f += 1)
    if (double p = power(f); p > bp)
      bp = p, best = f;
  double centre = best;
  for (double f = centre - 1; f <= centre + 1; f += 0.1)
    if (double p = power(f); p > bp)
      bp = p, best = f;
  return best;
}

std::vector<std::int16_t> ours(const std::vector<std::uint8_t> &code) {
  vg::voice::G722Decoder d;
  std::vector<std::int16_t> out;
  // in RTP-sized pieces: the state must carry across calls
  for (std::size_t off = 0; off < code.size(); off += 160)
    d.decode(std::span(code).subspan(off, std::min<std::size_t>(160, code.size() - off)), out);
  return out;
}

class G722 : public ::testing::Test {
protected:
  void SetUp() override {
    if (!spandsp_.ok())
      GTEST_SKIP() << "libspandsp.so.2 (G.722 reference, installed with baresip) not loadable: "
                   << dlerror();
  }
  Spandsp spandsp_;
};

TEST_F(G722, SampleExactWithSpandspOnEncodedAudio) {
  auto code = spandsp_.encode(test_signal(4));
  ASSERT_EQ(code.size(), 32000u);
  EXPECT_EQ(ours(code), spandsp_.decode(code));
}

TEST_F(G722, SampleExactWithSpandspOnArbitraryOctets) {
  // Every octet is a code word: random streams drive the predictor to its limits. Where the QMF
  // output leaves the 16-bit range, the Recommendation limits it and we saturate, while spandsp
  // truncates to int16 (wraps around); everywhere else both must agree sample for sample, which
  // also shows that the predictor states stay in step.
  std::mt19937 rng(722);
  for (int round = 0; round < 4; ++round) {
    std::vector<std::uint8_t> code(40000);
    for (auto &c : code)
      c = static_cast<std::uint8_t>(round == 3 ? (rng() & 1 ? 0x00 : 0xff) : rng());
    auto a = ours(code), b = spandsp_.decode(code);
    ASSERT_EQ(a.size(), b.size());
    std::size_t rails = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] == 32767 || a[i] == -32768) {
        ++rails;
        continue;
      }
      ASSERT_EQ(a[i], b[i]) << "round " << round << ", sample " << i;
    }
    EXPECT_LT(rails, a.size() / 4) << "round " << round;
  }
}

TEST_F(G722, RecoversTheSignal) {
  auto in = test_signal(4);
  auto out = ours(spandsp_.encode(in));
  ASSERT_EQ(out.size(), in.size());
  double snr = snr_db(in, out);
  std::fprintf(stderr, "G.722 round trip (spandsp encoder, voxguard decoder): SNR %.1f dB\n", snr);
  EXPECT_GT(snr, 20.0);
  // a tone above the G.711 band: wideband audio really comes through
  for (double hz : {2100.0, 6000.0, 7500.0}) {
    auto t = ours(spandsp_.encode(tone(hz, -10, 1)));
    EXPECT_NEAR(peak_hz(t, hz - 200, hz + 200), hz, 1.0) << hz;
  }
  // silence stays (nearly) silent
  auto quiet = ours(spandsp_.encode(std::vector<std::int16_t>(16000, 0)));
  for (std::size_t i = 800; i < quiet.size(); ++i)
    ASSERT_LE(std::abs(quiet[i]), 8) << i;
}

// Continuous-phase FSK (Bell 202: mark 1200 Hz, space 2200 Hz, 1200 baud) with random bits.
std::vector<std::int16_t> bell202(double seconds, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::int16_t> v(static_cast<std::size_t>(seconds * kRate));
  double phase = 0, f = 1200;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (static_cast<std::size_t>(static_cast<double>(i) * 1200 / kRate) !=
        static_cast<std::size_t>(static_cast<double>(i + 1) * 1200 / kRate))
      f = rng() & 1 ? 1200 : 2200;
    phase += 2 * std::numbers::pi * f / kRate;
    v[i] = static_cast<std::int16_t>(std::lround(0.3 * 32767 * std::sin(phase)));
  }
  return v;
}

std::vector<vg::voice::Finding> carriers_via_rtp(const std::vector<std::int16_t> &pcm,
                                                 const Spandsp &sp) {
  vg::voice::SdpCodec c{9, "G722", 8000, 1};
  auto info = vg::voice::codec_info(c);
  auto dec = vg::voice::AudioDecoder::create(info);
  EXPECT_NE(dec, nullptr);
  if (!dec)
    return {};
  EXPECT_EQ(dec->sample_rate(), 16000u);
  vg::voice::DataCarrierDetector det(dec->sample_rate());
  auto code = sp.encode(pcm);
  for (std::size_t off = 0; off + 160 <= code.size(); off += 160) { // 20 ms RTP payloads
    auto out = dec->decode(std::span(code).subspan(off, 160));
    EXPECT_EQ(out.size(), 320u);
    det.push(out);
  }
  det.flush();
  return det.findings;
}

TEST_F(G722, InBandCarriersAreFoundThroughTheCodecDispatch) {
  std::vector<std::int16_t> sig(16000, 0); // 1 s silence, 2100 Hz for 2 s, silence, FSK 1.5 s
  auto ans = tone(2100, -12, 2);
  sig.insert(sig.end(), ans.begin(), ans.end());
  sig.resize(sig.size() + 16000, 0);
  auto fsk = bell202(1.5, 202);
  sig.insert(sig.end(), fsk.begin(), fsk.end());
  sig.resize(sig.size() + 16000, 0);
  auto f = carriers_via_rtp(sig, spandsp_);
  bool answer = false, modem = false;
  for (const auto &x : f) {
    if (x.label == "ANS" || x.label == "ANSam") {
      answer = true;
      EXPECT_NEAR(*x.frequency_hz, 2100, 5);
      EXPECT_NEAR(*x.onset_s, 1.0, 0.1);
    } else if (x.label == "Bell 202") {
      modem = true;
      EXPECT_NEAR(*x.onset_s, 4.0, 0.1);
    }
  }
  EXPECT_TRUE(answer);
  EXPECT_TRUE(modem);
}

TEST(G722Dispatch, PayloadType9IsDecodedAt16kHz) {
  vg::voice::SdpCodec c{9, "G722", 8000, 1};
  auto info = vg::voice::codec_info(c);
  EXPECT_EQ(info.rtp_clock, 8000u); // RFC 3551: the RTP clock says 8000 for a 16 kHz codec
  EXPECT_EQ(info.sample_rate, 16000u);
  EXPECT_EQ(info.max_frequency_hz(), 8000); // no inaudible band: "not applicable: codec G722"
  auto dec = vg::voice::AudioDecoder::create(info);
  ASSERT_NE(dec, nullptr);
  std::vector<std::uint8_t> any = {0x00, 0xff, 0x3f, 0xc0, 0x7e};
  auto pcm = dec->decode(any);
  EXPECT_EQ(pcm.size(), 10u);
  for (float x : pcm)
    EXPECT_TRUE(x >= -1.0f && x <= 1.0f);
  EXPECT_TRUE(dec->decode({}).empty());
}

} // namespace
