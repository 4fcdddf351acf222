// packet_guard.cpp — per-packet verdicts: drop malformed/abusive SIP, RTP and RTCP; scrub audio.
#include "voice/packet_guard.hpp"

#include "common/error.hpp"
#include "voice/rtcp_packet.hpp"
#include "voice/rtp_packet.hpp"
#include "voice/sip_message.hpp"

#include <algorithm>

namespace vg::voice {

PacketGuard::PacketGuard(InspectorConfig cfg) : cfg_(cfg), inspector_(cfg) {
  cfg_.analyse_audio = false;
}

void PacketGuard::report(Finding f) {
  if (on_finding)
    on_finding(f);
}

GuardVerdict PacketGuard::decide(std::span<const std::uint8_t> ip, double now) {
  ++stats_.packets;
  GuardVerdict v;
  try {
    v = decide_unsafe(ip, now);
  } catch (const std::exception &e) {
    ++stats_.fail_open;
    report({"guard.fail-open", Severity::warning,
            std::string("packet accepted unchanged after an internal failure: ") + e.what(), now});
    v = GuardVerdict{};
  }
  switch (v.action) {
  case GuardVerdict::Action::accept:
    ++stats_.accepted;
    break;
  case GuardVerdict::Action::drop:
    ++stats_.dropped;
    break;
  case GuardVerdict::Action::rewrite:
    ++stats_.rewritten;
    break;
  }
  return v;
}

GuardVerdict PacketGuard::decide_unsafe(std::span<const std::uint8_t> ip, double now) {
  GuardVerdict v;
  auto decoded = decode_frame(101, ip); // LINKTYPE_RAW: starts with the IP header
  if (auto *m = std::get_if<MalformedFrame>(&decoded)) {
    // not ours to judge unless it is UDP towards a voice port; the kernel drops broken IP itself
    (void)m;
    return v;
  }
  auto *u = std::get_if<UdpDatagram>(&decoded);
  if (!u)
    return v;
  u->time_s = now;
  std::string_view text(reinterpret_cast<const char *>(u->payload.data()), u->payload.size());
  const SdpMedia *media = inspector_.negotiated_media(u->dst);
  bool sip_port = cfg_.sip_ports.count(u->dst.port) > 0;
  auto drop = [&](std::string code, std::string why) {
    v.action = GuardVerdict::Action::drop;
    v.reason = why;
    report({std::move(code), Severity::alert,
            "dropped " + u->src.str() + " -> " + u->dst.str() + ": " + why, now});
    return v;
  };
  if (!media && (sip_port || looks_like_sip(text))) {
    SipVerdict sv = inspect_sip_message(text, cfg_.sip_limits, cfg_.sdp_limits);
    if (!sv.parsed())
      return drop("sip.invalid", sv.reason);
    for (const auto &f : sv.message->findings)
      if (f.severity == Severity::alert)
        return drop(f.code, f.message);
    if (sv.message->is_request) {
      auto &times = sip_times_[u->src.address];
      times.push_back(now);
      times.erase(times.begin(), std::find_if(times.begin(), times.end(), [&](double t) {
                    return t >= now - cfg_.sip_window_s;
                  }));
      if (times.size() > cfg_.sip_requests_per_window)
        return drop("sip.flood", "more than " + std::to_string(cfg_.sip_requests_per_window) +
                                     " SIP requests within " +
                                     std::to_string(cfg_.sip_window_s).substr(0, 3) + " s from " +
                                     u->src.address);
    }
    inspector_.add(*u); // learns the negotiated media
    return v;
  }
  if (!media)
    return v;
  if (looks_like_rtcp(u->payload)) {
    auto r = check_rtcp(u->payload);
    if (auto *why = std::get_if<std::string>(&r))
      return drop("rtcp.malformed", *why);
    return v;
  }
  auto r = parse_rtp(u->payload);
  if (auto *why = std::get_if<std::string>(&r))
    return drop("rtp.malformed", *why);
  const RtpPacket &p = std::get<RtpPacket>(r);
  if (std::find(media->payload_types.begin(), media->payload_types.end(), p.payload_type) ==
      media->payload_types.end())
    return drop("rtp.unexpected-payload-type",
                "payload type " + std::to_string(p.payload_type) + " was not negotiated");
  const SdpCodec *c = media->codec(p.payload_type);
  if (!c || p.payload.empty())
    return v;
  auto key = std::make_tuple(u->src, u->dst, p.ssrc, static_cast<int>(p.payload_type));
  auto it = rewriters_.find(key);
  if (it == rewriters_.end())
    it = rewriters_.emplace(key, RtpAudioRewriter::create(codec_info(*c))).first;
  if (!it->second)
    return v; // G.711/G.722/narrow L16: the band cannot be there
  std::vector<std::uint8_t> audio;
  try {
    audio = it->second->rewrite(p.payload);
  } catch (const Error &e) {
    ++stats_.fail_open;
    report({"guard.fail-open", Severity::warning,
            "RTP audio forwarded unchanged, it could not be rewritten: " + std::string(e.what()),
            now});
    return v;
  }
  std::vector<std::uint8_t> payload(u->payload.begin(),
                                    u->payload.begin() + (p.payload.data() - u->payload.data()));
  payload[0] &= static_cast<std::uint8_t>(~0x20); // padding dropped
  payload.insert(payload.end(), audio.begin(), audio.end());
  v.action = GuardVerdict::Action::rewrite;
  v.packet = replace_udp_payload(ip, *u, payload);
  return v;
}

} // namespace vg::voice
