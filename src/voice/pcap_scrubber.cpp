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
namespace {

std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::uint32_t sum16(const std::uint8_t *p, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2)
    sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1)
    sum += static_cast<std::uint32_t>(p[n - 1] << 8);
  return sum;
}

} // namespace

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
            auto payload = it->second->rewrite(rtp->payload);
            std::size_t head = static_cast<std::size_t>(rtp->payload.data() - data);
            frame.assign(data, data + head);
            frame.insert(frame.end(), payload.begin(), payload.end());
            std::size_t ip = static_cast<std::size_t>(u->ip_header - data);
            std::size_t udp = static_cast<std::size_t>(u->udp_header - data);
            std::size_t rtp_off = udp + 8;
            frame[rtp_off] &= static_cast<std::uint8_t>(~0x20); // padding was dropped
            std::size_t udp_len = frame.size() - udp;
            frame[udp + 4] = static_cast<std::uint8_t>(udp_len >> 8);
            frame[udp + 5] = static_cast<std::uint8_t>(udp_len);
            frame[udp + 6] = frame[udp + 7] = 0;
            if (u->ip_version == 4) {
              std::size_t total = frame.size() - ip;
              frame[ip + 2] = static_cast<std::uint8_t>(total >> 8);
              frame[ip + 3] = static_cast<std::uint8_t>(total);
              frame[ip + 10] = frame[ip + 11] = 0;
              std::uint16_t cs = fold(sum16(&frame[ip], (frame[ip] & 0x0f) * 4u));
              frame[ip + 10] = static_cast<std::uint8_t>(cs >> 8);
              frame[ip + 11] = static_cast<std::uint8_t>(cs);
            } else {
              std::size_t plen = frame.size() - ip - 40;
              frame[ip + 4] = static_cast<std::uint8_t>(plen >> 8);
              frame[ip + 5] = static_cast<std::uint8_t>(plen);
              std::uint32_t s = sum16(&frame[ip + 8], 32);
              s += static_cast<std::uint32_t>(udp_len) + 17;
              std::uint16_t cs = fold(sum16(&frame[udp], udp_len, s));
              if (cs == 0)
                cs = 0xffff;
              frame[udp + 6] = static_cast<std::uint8_t>(cs >> 8);
              frame[udp + 7] = static_cast<std::uint8_t>(cs);
            }
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
