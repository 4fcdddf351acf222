// pcap_scrubber.cpp — rewriting RTP audio frames in a capture.
#include "voice/pcap_scrubber.hpp"

#include "common/error.hpp"
#include "voice/rtp_audio_rewriter.hpp"
#include "voice/rtp_packet.hpp"
#include "voice/voice_inspector.hpp"

#include <cstring>
#include <map>
#include <pcap/pcap.h>

namespace vg::voice {

ScrubPcapStats scrub_pcap(const std::string &in, const std::string &out) {
  char err[PCAP_ERRBUF_SIZE] = {0};
  pcap_t *p = pcap_open_offline(in.c_str(), err);
  if (!p)
    throw Error(in, std::string("cannot read capture: ") + err);
  int lt = pcap_datalink(p);
  pcap_dumper_t *dump = pcap_dump_open(p, out.c_str());
  if (!dump) {
    std::string e = pcap_geterr(p);
    pcap_close(p);
    throw Error(out, "cannot write capture: " + e);
  }
  InspectorConfig cfg;
  cfg.analyse_audio = false;
  VoiceInspector vi(cfg);
  std::map<std::tuple<Endpoint, Endpoint, std::uint32_t, int>, std::unique_ptr<RtpAudioRewriter>>
      rewriters;
  ScrubPcapStats st;
  std::vector<std::uint8_t> frame;
  while (true) {
    pcap_pkthdr *h = nullptr;
    const u_char *data = nullptr;
    int rc = pcap_next_ex(p, &h, &data);
    if (rc == PCAP_ERROR_BREAK)
      break;
    if (rc < 0) {
      std::string e = pcap_geterr(p);
      pcap_dump_close(dump);
      pcap_close(p);
      throw Error(in,
                  "capture file is damaged after frame " + std::to_string(st.frames) + ": " + e);
    }
    ++st.frames;
    pcap_pkthdr oh = *h;
    const u_char *outdata = data;
    auto d = decode_frame(lt, {data, h->caplen});
    if (auto *u = std::get_if<UdpDatagram>(&d)) {
      u->time_s = static_cast<double>(h->ts.tv_sec) + h->ts.tv_usec * 1e-6;
      vi.add(*u);
      const SdpMedia *m = vi.negotiated_media(u->dst);
      auto r =
          m ? parse_rtp(u->payload) : std::variant<RtpPacket, std::string>{std::string("no media")};
      if (auto *rtp = std::get_if<RtpPacket>(&r); rtp && !looks_like_rtcp(u->payload)) {
        const SdpCodec *c = m->codec(rtp->payload_type);
        auto key = std::make_tuple(u->src, u->dst, rtp->ssrc, static_cast<int>(rtp->payload_type));
        auto it = rewriters.find(key);
        if (it == rewriters.end() && c)
          it = rewriters.emplace(key, RtpAudioRewriter::create(codec_info(*c))).first;
        if (it == rewriters.end() || !it->second) {
          ++st.rtp_untouched;
        } else {
          try {
            auto audio = it->second->rewrite(rtp->payload);
            // RTP header as it was (padding dropped, so the P bit is cleared) + the new audio
            std::vector<std::uint8_t> payload(
                u->payload.begin(), u->payload.begin() + (rtp->payload.data() - u->payload.data()));
            payload[0] &= static_cast<std::uint8_t>(~0x20);
            payload.insert(payload.end(), audio.begin(), audio.end());
            frame = replace_udp_payload({data, h->caplen}, *u, payload);
            oh.caplen = oh.len = static_cast<bpf_u_int32>(frame.size());
            outdata = frame.data();
            ++st.rtp_rewritten;
          } catch (const Error &) {
            ++st.rtp_failed;
          }
        }
      }
    }
    pcap_dump(reinterpret_cast<u_char *>(dump), &oh, outdata);
  }
  bool ok = pcap_dump_flush(dump) == 0;
  pcap_dump_close(dump);
  pcap_close(p);
  if (!ok)
    throw Error(out, "write failed");
  return st;
}

} // namespace vg::voice
