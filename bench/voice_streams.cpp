// voice_streams — decode + analysis throughput of one RTP stream, in streams per core in real time.
// Built by bench/voice_streams.sh (not a test target). Reads the RTP stream with the most packets
// towards DST_PORT from CAPTURE, then, until at least MIN_CPU seconds of CPU time are spent, runs
// what `voxguard voice inspect` runs per stream: the codec decoder (G.711, G.722, L16, Opus), the
// inaudible-band detector where the codec can carry the band, and the data-carrier detector.
// Prints `codec=... audio_s=... cpu_s=... streams_per_core=...`. With --dump FILE it also writes
// the stream's payloads back to back (raw µ-law, big-endian L16, ...) for the anchor tools.
//
// usage: voice_streams CAPTURE DST_PORT ENCODING/CLOCK[/CHANNELS] [MIN_CPU] [--dump FILE]
#include "common/error.hpp"
#include "voice/audio_codec.hpp"
#include "voice/data_carrier_detector.hpp"
#include "voice/inaudible_band_detector.hpp"
#include "voice/pcap_reader.hpp"
#include "voice/rtp_packet.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

vg::voice::SdpCodec parse_codec(const std::string &s) {
  vg::voice::SdpCodec c;
  auto a = s.find('/');
  if (a == std::string::npos)
    throw vg::Error(s, "codec must be ENCODING/CLOCK[/CHANNELS]");
  c.encoding = s.substr(0, a);
  auto b = s.find('/', a + 1);
  c.clock_rate = static_cast<unsigned>(std::stoul(s.substr(a + 1, b - a - 1)));
  c.channels = b == std::string::npos ? 1 : static_cast<unsigned>(std::stoul(s.substr(b + 1)));
  return c;
}

} // namespace

int main(int argc, char **argv) {
  try {
    if (argc < 4)
      throw vg::Error("voice_streams",
                      "usage: voice_streams CAPTURE DST_PORT ENCODING/CLOCK[/CH] [MIN_CPU] "
                      "[--dump FILE]");
    std::string capture = argv[1];
    int port = std::stoi(argv[2]);
    auto info = vg::voice::codec_info(parse_codec(argv[3]));
    double min_cpu = 3.0;
    std::string dump;
    for (int i = 4; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--dump" && i + 1 < argc)
        dump = argv[++i];
      else
        min_cpu = std::stod(a);
    }
    // the stream: payloads of the SSRC with the most packets to the port, in sequence order
    std::map<std::uint32_t, std::map<std::uint16_t, std::vector<std::uint8_t>>> by_ssrc;
    auto reader = vg::voice::PcapReader::open_file(capture);
    reader.run(
        [&](const vg::voice::UdpDatagram &d) {
          if (d.dst.port != port)
            return;
          auto r = vg::voice::parse_rtp(d.payload);
          if (auto *p = std::get_if<vg::voice::RtpPacket>(&r))
            by_ssrc[p->ssrc][p->sequence].assign(p->payload.begin(), p->payload.end());
        },
        [](std::size_t, double, const std::string &) {});
    const std::map<std::uint16_t, std::vector<std::uint8_t>> *stream = nullptr;
    for (const auto &[ssrc, pk] : by_ssrc)
      if (!stream || pk.size() > stream->size())
        stream = &pk;
    if (!stream || stream->empty())
      throw vg::Error(capture, "no RTP packets to port " + std::to_string(port));
    std::vector<std::vector<std::uint8_t>> payloads;
    for (const auto &[seq, p] : *stream)
      payloads.push_back(p);
    if (!dump.empty()) {
      std::ofstream out(dump, std::ios::binary);
      for (const auto &p : payloads)
        out.write(reinterpret_cast<const char *>(p.data()), static_cast<std::streamsize>(p.size()));
    }

    double audio_s = 0, t0 = cpu_seconds(), cpu = 0;
    std::size_t findings = 0, runs = 0;
    bool band_applicable = info.max_frequency_hz() >= 16800;
    do {
      auto dec = vg::voice::AudioDecoder::create(info);
      if (!dec)
        throw vg::Error(argv[3], "codec not decoded by voxguard");
      std::unique_ptr<vg::voice::InaudibleBandDetector> inaudible;
      if (band_applicable)
        inaudible = std::make_unique<vg::voice::InaudibleBandDetector>(dec->sample_rate());
      vg::voice::DataCarrierDetector carriers(dec->sample_rate());
      std::size_t samples = 0;
      for (const auto &p : payloads) {
        auto pcm = dec->decode(p);
        samples += pcm.size();
        if (inaudible)
          inaudible->push(pcm);
        carriers.push(pcm);
      }
      if (inaudible) {
        inaudible->flush();
        findings += inaudible->findings.size();
      }
      carriers.flush();
      findings += carriers.findings.size();
      audio_s += static_cast<double>(samples) / dec->sample_rate();
      ++runs;
      cpu = cpu_seconds() - t0;
    } while (cpu < min_cpu);
    std::printf("codec=%s packets=%zu stream_audio_s=%.2f runs=%zu audio_s=%.1f cpu_s=%.3f "
                "streams_per_core=%.0f findings_per_run=%.2f inaudible_band=%s\n",
                argv[3], payloads.size(), audio_s / static_cast<double>(runs), runs, audio_s, cpu,
                audio_s / cpu, static_cast<double>(findings) / static_cast<double>(runs),
                band_applicable ? "checked" : "not-applicable");
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "voice_streams: %s\n", e.what());
    return 2;
  }
}
