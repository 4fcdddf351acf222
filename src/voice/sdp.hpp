// sdp.hpp — Session Description Protocol (RFC 4566/8866) as carried in SIP offers and answers.
// Promise: parse_sdp() accepts a body of bounded size, checks line syntax and order, ports
// (0-65535), payload types (0-127 for RTP profiles), connection addresses and attribute lengths,
// and throws vg::Error("SDP line N", reason) for a structural fault. Softer problems (rtpmap
// without a clock rate, rtpmap for a payload type the m= line does not offer) are returned as
// findings.
#pragma once
#include "voice/finding.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vg::voice {

struct SdpLimits {
  std::size_t max_bytes = 16384;
  std::size_t max_lines = 512;
  std::size_t max_line_bytes = 1024; // also bounds every attribute
  std::size_t max_media = 16;
  std::size_t max_formats = 64; // per m= line
};

struct SdpCodec {
  int payload_type = -1;
  std::string encoding; // as written ("opus", "PCMU", ...)
  std::uint32_t clock_rate = 0;
  unsigned channels = 1;
  std::string fmtp;
  bool from_static_table = false; // RFC 3551 static assignment, no rtpmap line
};

struct SdpMedia {
  std::string media; // audio, video, ...
  std::uint16_t port = 0;
  unsigned port_count = 1;
  std::string proto; // RTP/AVP, RTP/SAVP, ...
  std::vector<std::string> formats;
  std::vector<int> payload_types; // for RTP profiles
  std::string connection_address; // media-level c= or the session's
  std::vector<SdpCodec> codecs;   // one per payload type, rtpmap or static table
  std::optional<unsigned> ptime;
  std::optional<std::uint16_t> rtcp_port;
  bool rtcp_mux = false;
  std::string direction = "sendrecv";
  bool is_rtp() const { return proto.rfind("RTP/", 0) == 0 || proto.rfind("UDP/TLS/RTP", 0) == 0; }
  const SdpCodec *codec(int pt) const;
};

struct SdpSession {
  unsigned version = 0;
  std::string origin_user;
  std::string origin_address;
  std::string session_name;
  std::string connection_address; // session-level c=
  std::vector<SdpMedia> media;
  std::vector<Finding> findings;
};

SdpSession parse_sdp(std::string_view body, const SdpLimits &limits = {});

// RFC 3551 static payload types (0-34); nullopt for dynamic or unassigned ones.
std::optional<SdpCodec> static_payload_type(int pt);

} // namespace vg::voice
