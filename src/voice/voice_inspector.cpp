// voice_inspector.cpp — SIP/SDP call tracking, RTP/RTCP checks, stream statistics and audio
// analysis.
#include "voice/voice_inspector.hpp"

#include "common/error.hpp"
#include "voice/audio_codec.hpp"
#include "voice/rtcp_packet.hpp"
#include "voice/rtp_packet.hpp"
#include "voice/sip_message.hpp"

#include <algorithm>
#include <cstdio>

namespace vg::voice {
namespace {

std::string codec_text(const SdpCodec &c) {
  std::string s = c.encoding + "/" + std::to_string(c.clock_rate);
  if (c.channels > 1)
    s += "/" + std::to_string(c.channels);
  return s;
}

} // namespace

VoiceInspector::VoiceInspector(InspectorConfig cfg) : cfg_(std::move(cfg)) {}
VoiceInspector::~VoiceInspector() = default;

const SdpMedia *VoiceInspector::negotiated_media(const Endpoint &receiver) const {
  auto it = media_.find(receiver);
  return it == media_.end() ? nullptr : &it->second.media;
}

void VoiceInspector::report(Finding f) {
  if (on_finding)
    on_finding(f);
  findings_.push_back(std::move(f));
}

CallInfo &VoiceInspector::call(const std::string &id, double rel) {
  for (auto &c : calls_)
    if (c.call_id == id)
      return c;
  calls_.push_back({});
  calls_.back().call_id = id;
  calls_.back().first_s = rel;
  return calls_.back();
}

void VoiceInspector::malformed_frame(std::size_t frame, double t, const std::string &reason) {
  if (t0_ < 0)
    t0_ = t;
  Finding f;
  f.code = "net.malformed";
  f.severity = Severity::warning;
  f.message = "frame " + std::to_string(frame) + ": " + reason;
  f.time_s = t - t0_;
  report(std::move(f));
}

void VoiceInspector::add(const UdpDatagram &d) {
  if (t0_ < 0)
    t0_ = d.time_s;
  ++datagrams_;
  double rel = d.time_s - t0_;
  std::string_view text(reinterpret_cast<const char *>(d.payload.data()), d.payload.size());
  auto media_it = media_.find(d.dst);
  auto rtcp_it = rtcp_.find(d.dst);
  bool sip_port = cfg_.sip_ports.count(d.dst.port) || cfg_.sip_ports.count(d.src.port);
  if (looks_like_sip(text) || (sip_port && media_it == media_.end() && rtcp_it == rtcp_.end())) {
    handle_sip(d, rel);
    return;
  }
  if (rtcp_it != rtcp_.end() || looks_like_rtcp(d.payload)) {
    if (rtcp_it == rtcp_.end() && media_it == media_.end())
      return; // not a known media port: not ours to judge
    auto r = check_rtcp(d.payload);
    if (auto *why = std::get_if<std::string>(&r)) {
      Finding f;
      f.code = "rtcp.malformed";
      f.severity = Severity::alert;
      f.message = d.src.str() + " -> " + d.dst.str() + ": " + *why;
      f.time_s = rel;
      report(std::move(f));
    }
    return;
  }
  if (media_it != media_.end()) {
    handle_media(d, rel, &media_it->second);
    return;
  }
  // RTP without a negotiated session: only well-formed version-2 packets on unprivileged ports
  if (d.dst.port >= 1024 && d.src.port >= 1024 && d.payload.size() >= 12 &&
      (d.payload[0] >> 6) == 2)
    if (std::holds_alternative<RtpPacket>(parse_rtp(d.payload)))
      handle_media(d, rel, nullptr);
}

void VoiceInspector::handle_sip(const UdpDatagram &d, double rel) {
  ++sip_messages_;
  std::string_view text(reinterpret_cast<const char *>(d.payload.data()), d.payload.size());
  SipVerdict v = inspect_sip_message(text, cfg_.sip_limits, cfg_.sdp_limits);
  const std::string where = d.src.str() + " -> " + d.dst.str();
  if (!v.parsed()) {
    Finding f;
    f.code = "sip.invalid";
    f.severity = Severity::alert;
    f.message = "malformed SIP from " + where + ": " + v.reason;
    f.time_s = rel;
    report(std::move(f));
    return;
  }
  SipMessage &m = *v.message;
  if (m.is_request) { // per-source request rate (pike)
    auto &q = sip_rate_[d.src.address];
    q.push_back(rel);
    while (!q.empty() && q.front() < rel - cfg_.sip_window_s)
      q.pop_front();
    if (q.size() > cfg_.sip_requests_per_window) {
      if (flooding_.insert(d.src.address).second) {
        Finding f;
        f.code = "sip.flood";
        f.severity = Severity::alert;
        f.message = "more than " + std::to_string(cfg_.sip_requests_per_window) +
                    " SIP requests in " + std::to_string(cfg_.sip_window_s).substr(0, 3) +
                    " s from " + d.src.address;
        f.time_s = rel;
        report(std::move(f));
      }
    } else if (q.size() < cfg_.sip_requests_per_window / 2) {
      flooding_.erase(d.src.address);
    }
  }
  for (const auto &fi : m.findings)
    if (fi.severity != Severity::info) {
      Finding f = fi;
      f.message = m.summary() + " from " + where + ": " + f.message;
      f.time_s = rel;
      report(std::move(f));
    }
  if (m.call_id.empty())
    return;
  CallInfo &c = call(m.call_id, rel);
  ++c.messages;
  if (m.is_request && m.method == "INVITE" && c.request_uri.empty()) {
    c.request_uri = m.request_uri.text;
    if (m.from)
      c.from = m.from->uri.text;
    if (m.to)
      c.to = m.to->uri.text;
  }
  if (!m.is_request)
    c.last_status = std::to_string(m.status_code) + " " + m.reason_phrase;
  if (!m.sdp)
    return;
  bool answer = !m.is_request;
  auto &list = answer ? c.answered_codecs : c.offered_codecs;
  list.clear();
  for (const auto &media : m.sdp->media) {
    if (!media.connection_address.empty())
      call_addresses_[m.call_id].insert(media.connection_address);
    if (media.port == 0 || !media.is_rtp())
      continue;
    for (int pt : media.payload_types) {
      const SdpCodec *sc = media.codec(pt);
      list.push_back(media.media + " PT " + std::to_string(pt) + " " +
                     (sc ? codec_text(*sc) : "?"));
    }
    Endpoint rx{media.connection_address, media.port};
    media_[rx] = {m.call_id, media};
    Endpoint rtcp{media.connection_address,
                  media.rtcp_port ? *media.rtcp_port : static_cast<std::uint16_t>(media.port + 1)};
    if (!media.rtcp_mux)
      rtcp_[rtcp] = {m.call_id, media};
  }
}

void VoiceInspector::handle_media(const UdpDatagram &d, double rel, const Expectation *e) {
  auto r = parse_rtp(d.payload);
  if (auto *why = std::get_if<std::string>(&r)) {
    Finding f;
    f.code = "rtp.malformed";
    f.severity = Severity::alert;
    f.message = d.src.str() + " -> " + d.dst.str() + ": " + *why;
    f.time_s = rel;
    report(std::move(f));
    return;
  }
  const RtpPacket &p = std::get<RtpPacket>(r);
  auto key = std::make_tuple(d.src, d.dst, p.ssrc);
  auto it = by_key_.find(key);
  StreamInfo *s;
  if (it == by_key_.end()) {
    streams_.push_back(std::make_unique<StreamInfo>());
    s = streams_.back().get();
    by_key_[key] = s;
    s->src = d.src;
    s->dst = d.dst;
    s->ssrc = p.ssrc;
    s->payload_type = p.payload_type;
    s->first_s = rel;
    SdpCodec codec;
    const SdpCodec *sc = e ? e->media.codec(p.payload_type) : nullptr;
    auto st = static_payload_type(p.payload_type);
    if (sc)
      codec = *sc;
    else if (st)
      codec = *st;
    s->codec = sc   ? codec_text(*sc)
               : st ? codec_text(*st) + " (static PT, no SDP)"
                    : "PT " + std::to_string(p.payload_type) + " (unknown)";
    s->call_id = e ? e->call_id : "";
    s->clock = codec.clock_rate ? codec.clock_rate : 8000;
    s->stats =
        std::make_unique<RtpStreamStats>(s->clock, e && e->media.ptime ? *e->media.ptime : 20);
    auto prev = last_ssrc_.find({d.src, d.dst});
    if (prev != last_ssrc_.end() && prev->second != p.ssrc) {
      Finding f;
      f.code = "rtp.ssrc-change";
      f.severity = Severity::warning;
      char buf[120];
      std::snprintf(buf, sizeof buf, "SSRC changed from %08x to %08x on %s -> %s", prev->second,
                    p.ssrc, d.src.str().c_str(), d.dst.str().c_str());
      f.message = buf;
      f.time_s = rel;
      s->findings.push_back(f);
      report(f);
    }
    last_ssrc_[{d.src, d.dst}] = p.ssrc;
    if (e) {
      const auto &addrs = call_addresses_[e->call_id];
      if (!addrs.empty() && !addrs.count(d.src.address)) {
        Finding f;
        f.code = "rtp.source-mismatch";
        f.severity = Severity::warning;
        f.message = "RTP to " + d.dst.str() + " comes from " + d.src.address +
                    ", which no SDP of call " + e->call_id + " announced";
        f.time_s = rel;
        s->findings.push_back(f);
        report(f);
      }
    }
    if (cfg_.analyse_audio && (sc || st)) {
      CodecInfo info = codec_info(codec);
      s->opus = info.kind == CodecKind::opus;
      s->sample_rate = info.sample_rate;
      try {
        s->decoder = AudioDecoder::create(info);
      } catch (const Error &) {
        s->decoder = nullptr;
      }
      if (info.max_frequency_hz() < 16800)
        s->not_applicable = "codec " + info.name + " (its audio band ends at " +
                            std::to_string(static_cast<int>(info.max_frequency_hz() / 1000)) +
                            " kHz)";
      if (s->decoder) {
        if (s->not_applicable.empty()) {
          s->inaudible = std::make_unique<InaudibleBandDetector>(s->decoder->sample_rate());
          s->inaudible->set_time_offset(rel);
        }
        s->carriers = std::make_unique<DataCarrierDetector>(s->decoder->sample_rate());
        s->carriers->set_time_offset(rel);
        auto live = [this, s](const Finding &f) {
          if (on_finding) {
            Finding g = f;
            g.time_s = s->last_s; // capture time of the packet that confirmed it
            g.message = "stream " + s->src.str() + " -> " + s->dst.str() + ": " + g.message;
            on_finding(g);
          }
        };
        if (s->inaudible)
          s->inaudible->on_confirmed = live;
        s->carriers->on_confirmed = live;
      } else if (info.kind != CodecKind::other) {
        s->not_applicable = s->not_applicable.empty()
                                ? "codec " + info.name + " is not decoded here"
                                : s->not_applicable;
      }
    }
  } else {
    s = it->second;
  }
  s->last_s = rel;
  s->bytes += p.payload.size();
  std::vector<Finding> out;
  s->stats->add(p, d.time_s, rel, out);
  if (e && std::find(e->media.payload_types.begin(), e->media.payload_types.end(),
                     p.payload_type) == e->media.payload_types.end())
    out.push_back(
        {"rtp.unexpected-payload-type", Severity::alert,
         "payload type " + std::to_string(p.payload_type) + " was not negotiated in the SDP", rel});
  for (auto &f : out) {
    if (f.code == "rtp.unexpected-payload-type" &&
        std::any_of(s->findings.begin(), s->findings.end(),
                    [](const Finding &x) { return x.code == "rtp.unexpected-payload-type"; }))
      continue;
    f.message = d.src.str() + " -> " + d.dst.str() + ": " + f.message;
    s->findings.push_back(f);
    report(f);
  }
  if (s->decoder && p.payload_type == s->payload_type)
    handle_audio(*s, p, rel);
}

void VoiceInspector::handle_audio(StreamInfo &s, const RtpPacket &p, double) {
  if (p.payload.empty())
    return;
  double ratio = static_cast<double>(s.decoder->sample_rate()) / s.clock;
  if (s.timeline_started) {
    auto gap = static_cast<std::int32_t>(p.timestamp - s.next_ts);
    if (gap < 0)
      return; // late or repeated audio: already covered
    if (gap > 0 && gap < static_cast<std::int32_t>(s.clock)) {
      auto fill = s.decoder->conceal(static_cast<unsigned>(gap * ratio));
      if (s.inaudible)
        s.inaudible->push(fill);
      if (s.carriers)
        s.carriers->push(fill);
    }
  }
  std::vector<float> pcm;
  try {
    pcm = s.decoder->decode(p.payload);
  } catch (const Error &err) {
    if (s.decode_errors++ == 0) {
      Finding f{"audio.decode-error", Severity::warning,
                s.src.str() + " -> " + s.dst.str() + ": " + std::string(err.what()),
                p.timestamp / 1.0};
      f.time_s = s.last_s;
      s.findings.push_back(f);
      report(f);
    }
    return;
  }
  ++s.audio_packets;
  if (s.decoder->last_bandwidth_hz() >= 20000)
    ++s.fullband_packets;
  s.timeline_started = true;
  s.next_ts = p.timestamp + static_cast<std::uint32_t>(static_cast<double>(pcm.size()) / ratio);
  if (s.inaudible)
    s.inaudible->push(pcm);
  if (s.carriers)
    s.carriers->push(pcm);
}

void VoiceInspector::finish() {
  for (auto &sp : streams_) {
    StreamInfo &s = *sp;
    auto tag = [&](Finding f) {
      char ssrc[16];
      std::snprintf(ssrc, sizeof ssrc, "%08x", s.ssrc);
      f.message =
          "stream " + s.src.str() + " -> " + s.dst.str() + " (SSRC " + ssrc + "): " + f.message;
      s.findings.push_back(f);
      findings_.push_back(f); // already reported live when confirmed
    };
    if (s.inaudible) {
      s.inaudible->flush();
      for (auto &f : s.inaudible->findings)
        tag(f);
      if (s.opus && s.audio_packets > 0 && s.fullband_packets == 0 && s.inaudible->findings.empty())
        s.not_applicable =
            "Opus stream without full-band packets (its audio band ends below 16.8 kHz)";
    }
    if (s.carriers) {
      s.carriers->flush();
      for (auto &f : s.carriers->findings)
        tag(f);
    }
    if (!s.not_applicable.empty() && cfg_.analyse_audio) {
      Finding f{"audio.not-applicable", Severity::info,
                "inaudible-band check not applicable: " + s.not_applicable, s.first_s};
      tag(f);
      if (on_finding)
        on_finding(s.findings.back());
    }
  }
}

} // namespace vg::voice
