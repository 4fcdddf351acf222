// ggwave's own encoder as the peer (issue 6): the ggwave npm package (the C++ library compiled to
// WebAssembly by its author, `npm install -g ggwave@0.4.0`) writes every audible, DT and MT
// transmission at the rates a softphone sees (48, 16 and 8 kHz, its own resampler; 8 kHz also
// through G.711 µ-law), DT and MT also from the 6 kHz / 128-sample frames of ggwave's
// microcontroller sketches, and each must be found once, under its protocol's name, at its onset.
// Skips when node or the package is missing.
#include "voice/audio_codec.hpp"
#include "voice/data_carrier_detector.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

int sh(const std::string &c) {
  return std::system(c.c_str());
}

// ggwave ProtocolId (ggwave.h) -> the label the detector must give
struct Peer {
  int id;
  const char *label;
  int fixed_length; // 0: variable length (markers); MT exists only with a fixed length
};
const Peer kPeers[] = {
    {0, "ggwave audible normal", 0},  {1, "ggwave audible fast", 0},
    {2, "ggwave audible fastest", 0}, {6, "ggwave DT normal", 0},
    {7, "ggwave DT fast", 0},         {8, "ggwave DT fastest", 0},
    {6, "ggwave DT normal", 16},      {7, "ggwave DT fast", 16},
    {8, "ggwave DT fastest", 16},     {9, "ggwave MT normal", 16},
    {10, "ggwave MT fast", 16},       {11, "ggwave MT fastest", 16},
};

// one node run writes every waveform as raw float32: job lines
// "id fixed_length output_rate internal_rate samples_per_frame out"
const char *kScript = R"JS(
const factory = require('ggwave');
const fs = require('fs');
factory().then(function (g) {
  g.disableLog();
  for (const line of fs.readFileSync(process.argv[2], 'utf8').trim().split('\n')) {
    const [id, fixed, rate, internal, spf, out] = line.split(' ');
    const p = g.getDefaultParameters();
    p.payloadLength = parseInt(fixed) > 0 ? parseInt(fixed) : -1;
    p.sampleRateOut = parseFloat(rate);
    p.sampleRateInp = p.sampleRate = parseFloat(internal);
    p.samplesPerFrame = parseInt(spf);
    p.sampleFormatOut = g.SampleFormat.GGWAVE_SAMPLE_FORMAT_F32;
    // DSS scrambling as ggwave's arduino-tx sketch sends it
    if (parseInt(fixed) > 0) p.operatingMode |= g.GGWAVE_OPERATING_MODE_USE_DSS;
    const inst = g.init(p);
    // the binding's enum lists DT but not MT; its C++ side takes any ProtocolId
    const w = g.encode(inst, 'voxguard', { value: parseInt(id) }, 10);
    fs.writeFileSync(out, Buffer.from(w.buffer, w.byteOffset, w.byteLength));
    g.free(inst);
  }
});
)JS";

std::vector<float> read_f32(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> out(b.size() / sizeof(float));
  std::memcpy(out.data(), b.data(), out.size() * sizeof(float));
  return out;
}

TEST(GgwaveRealPeer, EveryProtocolFromGgwavesOwnEncoderIsNamed) {
  if (sh("command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "node/npm are not installed";
  const std::string node = "NODE_PATH=\"$(npm root -g)\" node";
  if (sh(node + " -e \"require('ggwave')\" >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "the ggwave npm package is not installed (npm install -g ggwave@0.4.0)";
  fs::path dir = fs::temp_directory_path() / ("vg-ggwave-peer-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string d = dir.string();
  std::ofstream(d + "/gen.js") << kScript;
  struct Job {
    const Peer *peer;
    unsigned rate, internal, samples_per_frame;
  };
  std::vector<Job> todo;
  for (const auto &p : kPeers)
    for (unsigned rate : {48000u, 16000u, 8000u}) {
      todo.push_back({&p, rate, 48000, 1024});
      if (p.id >= 6) // DT/MT as a microcontroller computes them: 6 kHz, 128-sample frames
        todo.push_back({&p, rate, 6000, 128});
    }
  std::ofstream jobs(d + "/jobs");
  for (std::size_t i = 0; i < todo.size(); ++i)
    jobs << todo[i].peer->id << ' ' << todo[i].peer->fixed_length << ' ' << todo[i].rate << ' '
         << todo[i].internal << ' ' << todo[i].samples_per_frame << ' ' << d << '/' << i
         << ".f32\n";
  jobs.close();
  ASSERT_EQ(sh(node + " " + d + "/gen.js " + d + "/jobs >" + d + "/node.log 2>&1"), 0)
      << "ggwave's encoder failed; see " << d << "/node.log";
  for (std::size_t i = 0; i < todo.size(); ++i) {
    const Peer &p = *todo[i].peer;
    const unsigned rate = todo[i].rate;
    const auto g = read_f32(d + "/" + std::to_string(i) + ".f32");
    ASSERT_GT(g.size(), rate / 2) << "no waveform for protocol " << p.id;
    for (bool ulaw : {false, true}) {
      if (ulaw && rate != 8000)
        continue;
      SCOPED_TRACE(std::string(p.label) + (p.fixed_length ? ", fixed length" : "") + ", " +
                   std::to_string(todo[i].internal) + " Hz inside, " + std::to_string(rate) +
                   " Hz out" + (ulaw ? ", G.711 µ-law" : ""));
      std::vector<float> a(rate / 2, 0.0f);
      a.insert(a.end(), g.begin(), g.end());
      a.insert(a.end(), rate / 2, 0.0f);
      if (ulaw)
        for (auto &x : a)
          x = vg::voice::ulaw_to_float(vg::voice::float_to_ulaw(x));
      vg::voice::DataCarrierDetector det(rate);
      det.push(a);
      det.flush();
      std::string all;
      for (const auto &f : det.findings)
        all += "\n  " + f.label + ": " + f.message;
      ASSERT_EQ(det.findings.size(), 1u) << all;
      EXPECT_EQ(det.findings[0].label, p.label) << all;
      EXPECT_NEAR(*det.findings[0].onset_s, 0.5, 0.05) << all;
      EXPECT_NEAR(*det.findings[0].duration_s, static_cast<double>(g.size()) / rate, 0.1) << all;
    }
  }
  fs::remove_all(dir);
}

} // namespace
